//! The declaration: every key of the config with its type, what its absence means and one
//! line of doc. The reader's known keys, `hubctl schema` and the README's config reference
//! are all read off these statics; nothing else lists the keys.
//!
//! Defaults are the reader's own (`config::read`, `config::hub`, `config::eks`), named
//! through the same constants where the reader has one.

use super::{Absent, Fields, Key, Kind, List, Variant};
use crate::config::eks::DEFAULT_KUBERNETES_VERSION;
use crate::config::hub::DEFAULT_POSTGRES_VERSION;
use crate::config::read::REGIONS;
use crate::model::SharedData;

const fn key(name: &'static str, kind: Kind, absent: Absent, doc: &'static str) -> Key {
    Key {
        name,
        kind,
        absent,
        doc,
    }
}

const fn text(what: &'static str) -> Kind {
    Kind::Text {
        what,
        pattern: None,
    }
}

const fn text_like(what: &'static str, pattern: &'static str) -> Kind {
    Kind::Text {
        what,
        pattern: Some(pattern),
    }
}

const REQUIRED: Absent = Absent::Required;
const fn default(value: &'static str) -> Absent {
    Absent::Default(value)
}
const fn means(what: &'static str) -> Absent {
    Absent::Means(what)
}

const ACCOUNT_ID: Kind = Kind::Either(&[
    text_like("12-digit account id", "^[0-9]{12}$"),
    Kind::Integer {
        min: 100_000_000_000,
        max: 999_999_999_999,
    },
]);
const DNS_NAME: Kind = text("DNS name");
const CIDR: Kind = text_like(
    "CIDR",
    "^[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}/[0-9]{1,2}$",
);
const IMAGE: Kind = text("image reference");
const HTTPS_URL: Kind = text_like("https URL", "^https://[^/\\s]+(/\\S*)?$");
const SECRET_ARN: Kind = text_like(
    "Secrets Manager ARN",
    "^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+-[A-Za-z0-9]{6}$",
);
const USER_NAME: Kind = text_like("user name", "^[a-z0-9][a-z0-9._@-]{0,63}$");
const NODE_COUNT: Kind = Kind::Integer { min: 0, max: 1000 };
const ADDON_VERSION: Kind = text_like(
    "add-on version",
    "^v[0-9]+\\.[0-9]+\\.[0-9]+-eksbuild\\.[0-9]+$",
);

// The settings an environment may override: the same keys at the top and under
// `environments.<name>`.
const REGION: Key = key(
    "region",
    Kind::Enum(REGIONS),
    REQUIRED,
    "the AWS region every stack of the environment deploys into",
);
const TAGS: Key = key(
    "tags",
    Kind::Tags { max: 40 },
    default("{}"),
    "tags for every stack, which CloudFormation copies onto every taggable resource (at most 40; `hubctl:` and `aws:` keys are reserved); `hubctl:project` and `hubctl:environment` are added",
);
const DNS_KEY: Key = key(
    "dns",
    Kind::Map(&DNS),
    REQUIRED,
    "where the hub's name lives and how its subzone is delegated",
);
const NETWORK_KEY: Key = key(
    "network",
    Kind::Map(&NETWORK),
    REQUIRED,
    "the environment's VPC",
);
const STORAGE_KEY: Key = key(
    "storage",
    Kind::Map(&STORAGE),
    means("`retain: true`, no shared directory"),
    "the EFS file system of the users' homes and the KMS key",
);
const HUB_KEY: Key = key(
    "hub",
    Kind::Map(&HUB),
    REQUIRED,
    "JupyterHub: where it runs, its images, users, sizes, database and login",
);

/// The file's top level.
pub static FILE: Fields = Fields {
    name: "",
    keys: &[
        key(
            "project",
            text_like("name", "^[a-z]([a-z0-9-]{0,18}[a-z0-9])?$"),
            REQUIRED,
            "stack-name prefix (`<project>-<env>-frame`, `-dns`, `-hub`): a-z, 0-9 and `-`, starts with a letter, at most 20 characters; set once, not per environment",
        ),
        REGION,
        TAGS,
        DNS_KEY,
        NETWORK_KEY,
        STORAGE_KEY,
        HUB_KEY,
        key(
            "environments",
            Kind::Named {
                what: "environment name",
                pattern: "^[a-z]([a-z0-9-]{0,14}[a-z0-9])?$",
                reserved: &["parent"],
                values: &ENVIRONMENT,
            },
            REQUIRED,
            "the environments, each deployed on its own: a name (a-z, 0-9 and `-`, at most 16 characters, not `parent`) → its account and what it overrides",
        ),
    ],
    variants: &[],
};

/// `environments.<name>`: merged over the top level (maps merge, scalars and lists replace).
pub static ENVIRONMENT: Fields = Fields {
    name: "environments.<name>",
    keys: &[
        key(
            "account",
            ACCOUNT_ID,
            REQUIRED,
            "the workload account the environment deploys into (quote it, so leading zeros survive)",
        ),
        REGION,
        TAGS,
        DNS_KEY,
        NETWORK_KEY,
        STORAGE_KEY,
        HUB_KEY,
    ],
    variants: &[],
};

/// `dns`.
pub static DNS: Fields = Fields {
    name: "dns",
    keys: &[
        key(
            "parent_zone",
            DNS_NAME,
            REQUIRED,
            "the company zone in the parent DNS account, e.g. `example.com` (one for all environments)",
        ),
        key(
            "parent_account",
            ACCOUNT_ID,
            REQUIRED,
            "the account that owns `parent_zone` (one for all environments)",
        ),
        key(
            "delegation_role",
            text("IAM role name or ARN"),
            REQUIRED,
            "base name (at most 51 characters) or ARN in `parent_account` (for a path) of the roles hubctl assumes to write the NS record: one per workload account, named `<name>-<account>`; one for all environments",
        ),
        key(
            "subzone",
            DNS_NAME,
            REQUIRED,
            "the environment's own zone, a strict child of `parent_zone`; one per environment, none inside another",
        ),
        key(
            "hub_host",
            DNS_NAME,
            REQUIRED,
            "the hub's host name: the subzone or a name inside it",
        ),
    ],
    variants: &[],
};

/// `network`.
pub static NETWORK: Fields = Fields {
    name: "network",
    keys: &[
        key(
            "vpc_cidr",
            CIDR,
            REQUIRED,
            "the VPC's address range, /16 to /24 (/20 or larger on EKS: pods take subnet addresses); split into 16 equal subnets",
        ),
        key(
            "availability_zones",
            Kind::Either(&[
                Kind::Integer { min: 2, max: 6 },
                Kind::List(&List {
                    items: text_like("zone name", "^[a-z]{2}(-[a-z]+)+-[0-9]+[a-z]$"),
                    min: 2,
                    max: Some(6),
                    unique: true,
                }),
            ]),
            default("2"),
            "a count, resolved to the region's first zone ids where ECS Fargate runs (`src/config/zones.rs`), or a list of 2 to 6 zone names of the region",
        ),
        key(
            "nat_gateways",
            Kind::Integer { min: 1, max: 6 },
            default("1"),
            "NAT gateways, 1 (cheapest) to one per zone (survives a zone outage)",
        ),
        key(
            "ecr_endpoints",
            Kind::Boolean,
            default("false"),
            "interface endpoints for ECR's API and registry in the private subnets (image pulls skip the NAT gateways)",
        ),
    ],
    variants: &[],
};

/// `storage`.
pub static STORAGE: Fields = Fields {
    name: "storage",
    keys: &[
        key(
            "retain",
            Kind::Boolean,
            default("true"),
            "keep the EFS file system and the KMS key when a stack deletes or replaces them",
        ),
        key(
            "shared",
            Kind::Either(&[Kind::Boolean, Kind::Map(&SHARED)]),
            default("false"),
            "one EFS directory every user server mounts, read-only (read-write for admins): `true` for the defaults, or `{path, mount}`",
        ),
    ],
    variants: &[],
};

/// `storage.shared` written as a mapping.
pub static SHARED: Fields = Fields {
    name: "storage.shared",
    keys: &[
        key(
            "path",
            text("absolute path"),
            default(SharedData::DEFAULT_PATH),
            "its directory on the file system: absolute, plain names, outside `/home` and `/hub`, at most 4 levels and 100 characters",
        ),
        key(
            "mount",
            text("absolute path"),
            default(SharedData::DEFAULT_MOUNT),
            "where user servers see it: absolute, not over the home or the image's system directories (`/usr`, `/tmp`, ...)",
        ),
    ],
    variants: &[],
};

/// `hub`.
pub static HUB: Fields = Fields {
    name: "hub",
    keys: &[
        key(
            "platform",
            Kind::Enum(&["ecs", "eks"]),
            REQUIRED,
            "`ecs`: JupyterHub on ECS Fargate; `eks`: on an EKS cluster with the Zero-to-JupyterHub chart (needs `hub.eks`)",
        ),
        key(
            "hub_image",
            IMAGE,
            REQUIRED,
            "the hub's image with a pinned tag or digest (not `latest`), built from `templates/hub/`; an ECR image gets pull rights for exactly its repository; on EKS the chart's own hub image runs",
        ),
        key(
            "user_image",
            IMAGE,
            REQUIRED,
            "the users' servers' image, pinned like `hub_image`; a profile's `image` overrides it",
        ),
        key(
            "admins",
            Kind::List(&List {
                items: USER_NAME,
                min: 1,
                max: Some(100),
                unique: true,
            }),
            REQUIRED,
            "JupyterHub admins (user names of a-z, 0-9 and `._@-`); each gets an EFS home",
        ),
        key(
            "allowed_users",
            Kind::List(&List {
                items: USER_NAME,
                min: 0,
                max: Some(100),
                unique: true,
            }),
            default("[]"),
            "everyone else who may log in, each with an EFS home; at most 100 users with the admins",
        ),
        key(
            "allowed_cidrs",
            Kind::List(&List {
                items: CIDR,
                min: 1,
                max: None,
                unique: true,
            }),
            REQUIRED,
            "the networks that may reach the hub's load balancer; `0.0.0.0/0` opens it to the internet",
        ),
        key(
            "idle_timeout",
            Kind::Either(&[
                Kind::Integer {
                    min: 600,
                    max: 604_800,
                },
                text_like("duration", "^[0-9]+[smhd]?$"),
            ]),
            default("3600"),
            "stop a server idle this long: seconds, or a number with `s`, `m`, `h` or `d` (`90m`, `8h`), 10 minutes to 7 days",
        ),
        key(
            "profiles",
            Kind::List(&List {
                items: Kind::Map(&PROFILE),
                min: 1,
                max: Some(8),
                unique: false,
            }),
            means("one profile `default`: 1024 CPU units, 4096 MiB, `user_image`"),
            "the server sizes users pick from; users × (profiles + 3) at most 420 (CloudFormation's 500 resources)",
        ),
        key(
            "database",
            Kind::Map(&DATABASE),
            means("`kind: postgres` on ECS, `kind: sqlite` on EKS"),
            "the hub's database",
        ),
        key(
            "auth",
            Kind::Map(&AUTH),
            REQUIRED,
            "how users log in",
        ),
        key(
            "deletion_protection",
            Kind::Boolean,
            default("true"),
            "protect the load balancer, the database and the user pool from deletion",
        ),
        key(
            "eks",
            Kind::Map(&EKS),
            means("required with `platform: eks`, refused otherwise"),
            "the EKS cluster",
        ),
    ],
    variants: &[],
};

/// `hub.profiles[]`.
pub static PROFILE: Fields = Fields {
    name: "hub.profiles[]",
    keys: &[
        key(
            "name",
            text_like("name", "^[a-z]([a-z0-9-]{0,14}[a-z0-9])?$"),
            REQUIRED,
            "the profile's name: a-z, 0-9 and `-`, at most 16 characters, each once",
        ),
        key(
            "cpu",
            Kind::Integer {
                min: 1,
                max: 4_294_967_295,
            },
            REQUIRED,
            "CPU units, 1024 = 1 vCPU (on ECS a Fargate size)",
        ),
        key(
            "memory",
            Kind::Integer {
                min: 1,
                max: 4_294_967_295,
            },
            REQUIRED,
            "memory in MiB (on ECS a Fargate size for the CPU)",
        ),
        key(
            "gpus",
            Kind::Integer { min: 0, max: 8 },
            default("0"),
            "NVIDIA GPUs (EKS only)",
        ),
        key(
            "image",
            IMAGE,
            means("`hub.user_image`"),
            "this profile's server image",
        ),
    ],
    variants: &[],
};

/// `hub.database`: the keys of its `kind`.
pub static DATABASE: Fields = Fields {
    name: "hub.database",
    keys: &[key(
        "kind",
        Kind::Tag,
        REQUIRED,
        "which database the hub keeps its state in",
    )],
    variants: &[
        Variant {
            name: "postgres",
            doc: "a small encrypted RDS PostgreSQL instance made here, with a managed password",
            keys: &[
                key(
                    "instance_class",
                    text_like("RDS instance class", "^db\\.[^.]+\\.[^.]+$"),
                    default("db.t4g.micro"),
                    "the RDS instance class",
                ),
                key(
                    "multi_az",
                    Kind::Boolean,
                    default("false"),
                    "a standby in a second zone",
                ),
                key(
                    "engine_version",
                    Kind::Either(&[
                        Kind::Integer {
                            min: 14,
                            max: 4_294_967_295,
                        },
                        text_like("major version", "^[0-9]+$"),
                    ]),
                    default(DEFAULT_POSTGRES_VERSION),
                    "the PostgreSQL major version, 14 or newer (RDS applies the minor versions)",
                ),
            ],
        },
        Variant {
            name: "external",
            doc: "an existing database",
            keys: &[key(
                "url_secret_arn",
                SECRET_ARN,
                REQUIRED,
                "the complete ARN (with its 6-character suffix) of the secret holding the database URL, in the environment's account and region",
            )],
        },
        Variant {
            name: "sqlite",
            doc: "EKS only: SQLite on the hub's own encrypted EBS gp3 volume",
            keys: &[key(
                "volume_gib",
                Kind::Integer { min: 1, max: 1024 },
                default("1"),
                "the volume's size in GiB",
            )],
        },
    ],
};

/// `hub.auth`: the keys of its `kind`.
pub static AUTH: Fields = Fields {
    name: "hub.auth",
    keys: &[key(
        "kind",
        Kind::Tag,
        REQUIRED,
        "who checks the users' logins",
    )],
    variants: &[
        Variant {
            name: "cognito",
            doc: "an Amazon Cognito user pool, made here unless `user_pool_id` names one",
            keys: &[
                key(
                    "user_pool_id",
                    text("user pool id"),
                    means("a pool is made"),
                    "an existing pool of the environment's own account and region, e.g. `eu-west-1_AbCdEf123` (Cognito has no cross-account access)",
                ),
                key(
                    "domain",
                    DNS_NAME,
                    means("required with `user_pool_id`"),
                    "the existing pool's hosted UI domain",
                ),
            ],
        },
        Variant {
            name: "oauth",
            doc: "any OAuth2/OIDC provider (Auth0, Keycloak, Okta, ...)",
            keys: &[
                key(
                    "authorize_url",
                    HTTPS_URL,
                    REQUIRED,
                    "the provider's authorization endpoint",
                ),
                key(
                    "token_url",
                    HTTPS_URL,
                    REQUIRED,
                    "the provider's token endpoint",
                ),
                key(
                    "userdata_url",
                    HTTPS_URL,
                    REQUIRED,
                    "the provider's user info endpoint",
                ),
                key("client_id", text("string"), REQUIRED, "the hub's client id"),
                key(
                    "client_secret_arn",
                    SECRET_ARN,
                    REQUIRED,
                    "the complete ARN of the secret holding the client secret, in the environment's account and region",
                ),
                key(
                    "scopes",
                    Kind::List(&List {
                        items: text("scope"),
                        min: 1,
                        max: None,
                        unique: false,
                    }),
                    default("[openid, email, profile]"),
                    "the scopes the hub asks for",
                ),
                key(
                    "username_claim",
                    text("claim"),
                    default("preferred_username"),
                    "the user info field that is the JupyterHub user name",
                ),
                key(
                    "logout_url",
                    HTTPS_URL,
                    means("logging out ends the hub's session only"),
                    "where logging out of the hub sends the browser, so the provider's session ends too (else the next person at that browser is signed straight back in): the provider's end-session URL with its parameters, no secret or token, back to this environment's hub, e.g. Auth0's `https://<tenant>/v2/logout?client_id=<client_id>&returnTo=https://<hub_host>/hub/login`; the provider must allow that redirect. hubctl sends no `id_token_hint`: Keycloak then asks the user to confirm the logout, and a provider that requires the hint (Okta) refuses",
                ),
            ],
        },
    ],
};

/// `hub.eks`: the keys of its `compute`, and the rest.
pub static EKS: Fields = Fields {
    name: "hub.eks",
    keys: &[
        key(
            "version",
            text("Kubernetes version"),
            default(DEFAULT_KUBERNETES_VERSION),
            "Kubernetes `major.minor`, quoted (1.32 to 1.37; EKS applies patch versions)",
        ),
        key(
            "compute",
            Kind::Tag,
            default("auto"),
            "who runs the pods",
        ),
        key(
            "admin_roles",
            Kind::List(&List {
                items: text_like(
                    "IAM role ARN",
                    "^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$",
                ),
                min: 0,
                max: None,
                unique: true,
            }),
            default("[]"),
            "IAM roles (ARNs with their path) given cluster-admin access entries; whoever deploys gets one of its own",
        ),
        key(
            "endpoint_cidrs",
            Kind::List(&List {
                items: CIDR,
                min: 0,
                max: Some(40),
                unique: true,
            }),
            default("[]"),
            "the networks that may reach the public API endpoint; `[]` keeps it private to the VPC",
        ),
        key(
            "addons",
            Kind::Map(&ADDONS),
            default("{}"),
            "pinned add-on versions; an add-on not listed gets EKS's default for the cluster's version",
        ),
    ],
    variants: &[
        Variant {
            name: "auto",
            doc: "EKS Auto Mode: EKS brings and removes the nodes (GPU ones too), storage and load balancers",
            keys: &[],
        },
        Variant {
            name: "nodegroups",
            doc: "managed node groups (AL2023), no autoscaler: each keeps `desired` nodes",
            keys: &[
                key(
                    "nodes",
                    Kind::Map(&NODE_GROUP),
                    REQUIRED,
                    "the general node group",
                ),
                key(
                    "gpu_nodes",
                    Kind::Map(&GPU_NODE_GROUP),
                    means("no GPU nodes"),
                    "a GPU node group (Bottlerocket NVIDIA), tainted `nvidia.com/gpu`, from 0 nodes",
                ),
            ],
        },
    ],
};

const INSTANCE_TYPES: Kind = Kind::List(&List {
    items: text("EC2 instance type"),
    min: 1,
    max: Some(20),
    unique: true,
});

/// `hub.eks.nodes`.
pub static NODE_GROUP: Fields = Fields {
    name: "hub.eks.nodes",
    keys: &[
        key(
            "instance_types",
            INSTANCE_TYPES,
            REQUIRED,
            "EC2 instance types, e.g. `m7i.xlarge`",
        ),
        key("min", NODE_COUNT, REQUIRED, "fewest nodes"),
        key(
            "max",
            NODE_COUNT,
            REQUIRED,
            "most nodes, at least 1 and `min`",
        ),
        key(
            "desired",
            NODE_COUNT,
            REQUIRED,
            "nodes kept running, from `min` to `max`",
        ),
    ],
    variants: &[],
};

/// `hub.eks.gpu_nodes`: the keys of a node group, its size following the GPU servers.
pub static GPU_NODE_GROUP: Fields = Fields {
    name: "hub.eks.gpu_nodes",
    keys: &[
        key(
            "instance_types",
            INSTANCE_TYPES,
            REQUIRED,
            "NVIDIA GPU instance types, e.g. `g6.xlarge`",
        ),
        key(
            "min",
            Kind::Integer { min: 0, max: 0 },
            default("0"),
            "always 0: the group starts from no nodes",
        ),
        key("max", NODE_COUNT, REQUIRED, "most GPU nodes, at least 1"),
        key(
            "desired",
            Kind::Refused,
            means("0"),
            "not set: the group's size follows the GPU servers",
        ),
    ],
    variants: &[],
};

const fn addon(name: &'static str) -> Key {
    key(
        name,
        ADDON_VERSION,
        means("EKS's default"),
        "the add-on's version, e.g. `v1.20.4-eksbuild.1` (`aws eks describe-addon-versions`)",
    )
}

/// `hub.eks.addons`: the add-ons the eks-addons stack installs, whose versions may be pinned.
pub static ADDONS: Fields = Fields {
    name: "hub.eks.addons",
    keys: &[
        addon("aws-ebs-csi-driver"),
        addon("aws-efs-csi-driver"),
        addon("coredns"),
        addon("eks-pod-identity-agent"),
        addon("external-dns"),
        addon("kube-proxy"),
        addon("vpc-cni"),
    ],
    variants: &[],
};
