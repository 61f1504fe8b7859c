//! The validated deployment model: only valid states, no serde, no I/O.
//!
//! `config` builds these values after checking every rule; `stacks` reads them and never
//! re-checks. Newtypes carry the proofs (`AccountId` is twelve digits, `Cidr` is a network
//! address with its host bits clear, `DnsName` is lowercase without a trailing dot).

use std::collections::BTreeMap;
use std::fmt;

/// One environment of one project: everything the stacks need, merged and checked.
#[derive(Clone, Debug, PartialEq)]
pub struct Deployment {
    /// Stack-name prefix.
    pub project: String,
    /// Environment name (`dev`, `prod`, ...).
    pub env: String,
    /// The workload account this environment deploys into.
    pub account: AccountId,
    /// AWS region of every stack.
    pub region: String,
    /// Tags for every stack (CloudFormation propagates stack tags to taggable resources).
    pub tags: BTreeMap<String, String>,
    /// The environment's DNS.
    pub dns: Dns,
    /// The VPC layout.
    pub network: Network,
    /// Storage settings.
    pub storage: Storage,
    /// The hub.
    pub hub: Hub,
}

/// DNS settings: the subzone in the workload account and its parent in the DNS account.
#[derive(Clone, Debug, PartialEq)]
pub struct Dns {
    /// The company zone that delegates to us, in the parent account.
    pub parent_zone: DnsName,
    /// The account holding `parent_zone`.
    pub parent_account: AccountId,
    /// The roles in `parent_account` that write the NS records, one per workload account.
    pub delegation_role: DelegationRoles,
    /// The environment's own public zone, a strict child of `parent_zone`.
    pub subzone: DnsName,
    /// The hub's host name, inside `subzone`.
    pub hub_host: DnsName,
}

/// The delegation roles in the parent DNS account: one per workload account, each trusting
/// only that account and writing only that account's subzones. `dns.delegation_role` gives
/// the base name (and optionally a path); the role of workload account A is `<name>-<A>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DelegationRoles {
    /// AWS partition of the parent account (`aws`, `aws-cn`, `aws-us-gov`).
    pub partition: String,
    /// The parent DNS account.
    pub account: AccountId,
    /// The roles' IAM path (`/` unless the configured ARN carries one).
    pub path: String,
    /// The base name; each role appends `-<workload account>`.
    pub name: String,
}

impl DelegationRoles {
    /// The longest base name: IAM role names have at most 64 characters, and hubctl
    /// appends `-` and a 12-digit account id.
    pub const MAX_BASE_NAME: usize = 64 - 13;

    /// The name of the role that workload account `workload` assumes.
    pub fn role_name(&self, workload: &AccountId) -> String {
        format!("{}-{}", self.name, workload)
    }

    /// The ARN of the role that workload account `workload` assumes.
    pub fn role_arn(&self, workload: &AccountId) -> String {
        format!(
            "arn:{}:iam::{}:role{}{}",
            self.partition,
            self.account,
            self.path,
            self.role_name(workload)
        )
    }
}

/// The VPC layout.
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    /// The VPC's address range.
    pub vpc_cidr: Cidr,
    /// How the availability zones are chosen.
    pub availability_zones: AvailabilityZones,
    /// Number of NAT gateways, 1 to the number of zones.
    pub nat_gateways: usize,
    /// Interface endpoints for ECR's API and registry in the private subnets.
    pub ecr_endpoints: bool,
}

/// Availability zones: a count resolved at validate time to zone ids (the same physical
/// zones in every account, fixed for good), or zone names the config lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AvailabilityZones {
    /// These zone ids (`euw1-az1`), the region's first N where Fargate runs
    /// (`config::zones`).
    Ids(Vec<String>),
    /// These zone names (`eu-west-1a`), in this order.
    Named(Vec<String>),
}

impl AvailabilityZones {
    /// How many zones the VPC spans.
    pub fn len(&self) -> usize {
        match self {
            AvailabilityZones::Ids(zones) | AvailabilityZones::Named(zones) => zones.len(),
        }
    }

    /// Never true: at least two zones are validated.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Storage settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Storage {
    /// Keep EFS and the KMS key when the stack is deleted or they are replaced.
    pub retain: bool,
    /// One EFS directory in every user server, read-only except for admins.
    pub shared: Option<SharedData>,
}

/// Where every user server mounts its user's home (the docker-stacks images' `jovyan`).
pub const HOME_MOUNT: &str = "/home/jovyan";

/// `storage.shared`: a directory of the environment's EFS that every user server mounts,
/// read-only, and admins' servers read-write (on ECS by each user's task role, on EKS by
/// which of two access points the server's volume goes through).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharedData {
    /// Its directory on the file system, absolute and outside `/home` and `/hub`.
    pub path: String,
    /// Where user servers see it, absolute.
    pub mount: String,
}

impl SharedData {
    /// The directory of `shared: true`.
    pub const DEFAULT_PATH: &'static str = "/shared";
    /// The mount of `shared: true`: inside the home, so that JupyterLab's file browser
    /// shows it.
    pub const DEFAULT_MOUNT: &'static str = "/home/jovyan/shared";
}

/// Hub settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hub {
    /// Where JupyterHub runs.
    pub platform: Platform,
    /// The hub's container image (with a tag or digest).
    pub hub_image: Image,
    /// The default single-user server image.
    pub user_image: Image,
    /// Users with admin rights, in config order.
    pub admins: Vec<User>,
    /// Other users allowed to log in, in config order.
    pub allowed_users: Vec<User>,
    /// Networks that may reach the load balancer.
    pub allowed_cidrs: Vec<Cidr>,
    /// Seconds of inactivity after which a server is stopped.
    pub idle_timeout_seconds: u32,
    /// Server sizes users choose from.
    pub profiles: Vec<Profile>,
    /// The hub's database.
    pub database: Database,
    /// How users log in.
    pub auth: Auth,
    /// Protect the load balancer and the database from deletion.
    pub deletion_protection: bool,
    /// The EKS cluster, exactly when `platform` is [`Platform::Eks`].
    pub eks: Option<EksCluster>,
}

/// The EKS cluster of `platform: eks`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EksCluster {
    /// Kubernetes `major.minor`, e.g. `1.35`.
    pub version: String,
    /// Who runs the pods.
    pub compute: Compute,
    /// IAM role ARNs given cluster-admin through access entries.
    pub admin_roles: Vec<String>,
    /// Networks that may reach the public API endpoint; empty: private endpoint only.
    pub endpoint_cidrs: Vec<Cidr>,
    /// Add-on name → pinned version; an add-on not listed gets EKS's default version for
    /// the cluster's Kubernetes version.
    pub addon_versions: BTreeMap<String, String>,
}

/// Who runs the pods of an EKS cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Compute {
    /// EKS Auto Mode: compute, block storage and load balancing managed by EKS.
    Auto,
    /// Managed node groups: a general one, and optionally a tainted GPU one.
    NodeGroups {
        /// The general node group.
        general: NodeGroup,
        /// The GPU node group (scales from 0), tainted `nvidia.com/gpu`.
        gpu: Option<NodeGroup>,
    },
}

impl Compute {
    /// True when GPU servers can be scheduled.
    pub fn has_gpus(&self) -> bool {
        match self {
            Compute::Auto => true,
            Compute::NodeGroups { gpu, .. } => gpu.is_some(),
        }
    }
}

/// A managed node group's instances and size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeGroup {
    /// EC2 instance types, e.g. `m7i.xlarge`.
    pub instance_types: Vec<String>,
    /// Fewest nodes.
    pub min: u32,
    /// Most nodes.
    pub max: u32,
    /// Nodes wanted now (a later deploy sets it again).
    pub desired: u32,
}

impl Hub {
    /// Admins and allowed users, admins first.
    pub fn users(&self) -> impl Iterator<Item = &User> {
        self.admins.iter().chain(&self.allowed_users)
    }

    /// Whether `user` is one of the admins.
    pub fn is_admin(&self, user: &User) -> bool {
        self.admins.contains(user)
    }
}

/// A container image reference with an explicit tag or digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    /// The whole reference, e.g. `123456789012.dkr.ecr.eu-west-1.amazonaws.com/hub:5.4.6`.
    pub reference: String,
    /// For a private ECR image: (account, region, repository), to scope pull permissions.
    pub ecr: Option<(String, String, String)>,
}

/// A user listed in the config, with the POSIX identity of their home directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// The JupyterHub user name.
    pub name: String,
    /// uid and gid of their files on EFS (stable: derived from the name).
    pub uid: u32,
}

/// A server size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    /// Short name (`a-z0-9-`).
    pub name: String,
    /// Fargate CPU units (1024 = 1 vCPU).
    pub cpu: u32,
    /// Memory in MiB.
    pub memory: u32,
    /// NVIDIA GPUs (EKS only; 0 on ECS).
    pub gpus: u32,
    /// Image, when not the default user image.
    pub image: Image,
}

/// The hub's database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Database {
    /// A small encrypted RDS PostgreSQL created in the stack.
    Postgres {
        /// e.g. `db.t4g.micro`.
        instance_class: String,
        /// A standby in a second zone.
        multi_az: bool,
        /// PostgreSQL major version, e.g. `17` (RDS applies the minor versions).
        engine_version: String,
    },
    /// SQLite on an encrypted EBS gp3 volume of this many GiB (EKS only: the hub pod's
    /// persistent volume claim).
    Sqlite {
        /// The volume's size.
        volume_gib: u32,
    },
    /// An existing database; its SQLAlchemy URL is in this secret.
    External {
        /// Secrets Manager ARN of the URL.
        url_secret_arn: String,
    },
}

/// How users log in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Auth {
    /// Amazon Cognito: a user pool created in the stack, or an existing one.
    Cognito {
        /// An existing pool: its id and hosted UI domain name.
        existing: Option<ExistingUserPool>,
    },
    /// Any OAuth2 / OIDC provider.
    OAuth(OAuthProvider),
}

/// An existing Cognito user pool.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExistingUserPool {
    /// e.g. `eu-west-1_AbCdEf123`.
    pub user_pool_id: String,
    /// Its hosted UI domain, e.g. `login.example.com` or `x.auth.eu-west-1.amazoncognito.com`.
    pub domain: String,
}

/// An OAuth2 / OIDC provider (Auth0, Keycloak, Okta, ...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthProvider {
    /// Authorization endpoint.
    pub authorize_url: String,
    /// Token endpoint.
    pub token_url: String,
    /// Userinfo endpoint.
    pub userdata_url: String,
    /// The client id (not a secret).
    pub client_id: String,
    /// Secrets Manager ARN of the client secret.
    pub client_secret_arn: String,
    /// Scopes requested.
    pub scopes: Vec<String>,
    /// The userinfo claim that is the JupyterHub user name.
    pub username_claim: String,
    /// The provider's end-session URL (with its parameters) where logging out of the hub
    /// sends the browser; `None`: logging out ends the hub's session only.
    pub logout_url: Option<String>,
}

/// Where JupyterHub runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Platform {
    /// ECS on Fargate.
    Ecs,
    /// EKS.
    Eks,
}

/// A twelve-digit AWS account id.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct AccountId(String);

impl AccountId {
    /// Accepts exactly twelve ASCII digits.
    pub fn parse(text: &str) -> Option<AccountId> {
        (text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| AccountId(text.to_string()))
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A lowercase DNS name without the trailing dot.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct DnsName(String);

impl DnsName {
    /// Checks RFC 1035 host-name syntax: 2+ labels of `a-z0-9-`, 1..=63 each, no leading or
    /// trailing hyphen, 253 characters at most. Returns what is wrong otherwise.
    pub fn parse(text: &str) -> Result<DnsName, String> {
        if text.ends_with('.') {
            return Err("has a trailing dot; write it without".to_string());
        }
        if text.len() > 253 {
            return Err("is longer than 253 characters".to_string());
        }
        if text.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err("has uppercase letters; DNS names here are lowercase".to_string());
        }
        let labels: Vec<&str> = text.split('.').collect();
        if labels.len() < 2 {
            return Err("is not a fully qualified name (it needs a dot)".to_string());
        }
        for label in &labels {
            if label.is_empty() || label.len() > 63 {
                return Err(format!(
                    "has a label of {} characters; each must be 1 to 63",
                    label.len()
                ));
            }
            if !label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                return Err(format!("label \"{label}\" may hold only a-z, 0-9 and '-'"));
            }
            if label.starts_with('-') || label.ends_with('-') {
                return Err(format!("label \"{label}\" starts or ends with '-'"));
            }
        }
        Ok(DnsName(text.to_string()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when `self` is `other` or lies below it.
    pub fn is_within(&self, other: &DnsName) -> bool {
        self == other || self.is_strictly_below(other)
    }

    /// True when `self` lies below `other` (and is not `other` itself).
    pub fn is_strictly_below(&self, other: &DnsName) -> bool {
        self.0.len() > other.0.len() + 1
            && self.0.ends_with(other.as_str())
            && self.0.as_bytes()[self.0.len() - other.0.len() - 1] == b'.'
    }
}

impl fmt::Display for DnsName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An IPv4 network in CIDR notation with its host bits clear.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    /// The network address.
    pub address: u32,
    /// The prefix length.
    pub prefix: u8,
}

impl Cidr {
    /// Parses `a.b.c.d/n`. A set host bit is an error that names the network meant.
    pub fn parse(text: &str) -> Result<Cidr, String> {
        let (address_text, prefix_text) = text
            .split_once('/')
            .ok_or_else(|| "is not in CIDR notation (a.b.c.d/n)".to_string())?;
        let octets: Vec<&str> = address_text.split('.').collect();
        if octets.len() != 4 {
            return Err("is not in CIDR notation (a.b.c.d/n)".to_string());
        }
        let mut address = 0u32;
        let plain_number = |text: &str| {
            !text.is_empty()
                && text.bytes().all(|b| b.is_ascii_digit())
                && (text == "0" || !text.starts_with('0'))
        };
        for octet in octets {
            let value: u8 = octet
                .parse()
                .ok()
                .filter(|_| plain_number(octet))
                .ok_or_else(|| {
                    format!(
                        "has \"{octet}\" where an octet 0-255 (no sign, no leading zero) belongs"
                    )
                })?;
            address = (address << 8) | u32::from(value);
        }
        let prefix: u8 = prefix_text
            .parse()
            .ok()
            .filter(|p| *p <= 32 && plain_number(prefix_text))
            .ok_or_else(|| format!("has prefix \"/{prefix_text}\"; it must be 0 to 32"))?;
        let cidr = Cidr { address, prefix };
        let network = Cidr {
            address: address & cidr.mask(),
            prefix,
        };
        if network.address != address {
            return Err(format!("has host bits set; the network is {network}"));
        }
        Ok(cidr)
    }

    fn mask(&self) -> u32 {
        if self.prefix == 0 {
            0
        } else {
            u32::MAX << (32 - self.prefix)
        }
    }

    /// The `index`-th subnet with `extra_bits` more prefix bits.
    pub fn subnet(&self, extra_bits: u8, index: u32) -> Cidr {
        let prefix = self.prefix + extra_bits;
        Cidr {
            address: self.address | (index << (32 - prefix)),
            prefix,
        }
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d] = self.address.to_be_bytes();
        write!(f, "{a}.{b}.{c}.{d}/{}", self.prefix)
    }
}

impl Deployment {
    /// `<project>-<env>-<stack>`.
    pub fn stack_name(&self, stack: &str) -> String {
        format!("{}-{stack}", self.prefix())
    }

    /// The environment's own ECR registry: `<account>.dkr.ecr.<region>.amazonaws.com`.
    pub fn registry(&self) -> String {
        format!("{}.dkr.ecr.{}.amazonaws.com", self.account, self.region)
    }

    /// `<project>-<env>`: what the environment's stacks and named resources start with.
    pub fn prefix(&self) -> String {
        format!("{}-{}", self.project, self.env)
    }

    /// The delegation role this environment's deploy assumes in the parent DNS account.
    pub fn delegation_role_arn(&self) -> String {
        self.dns.delegation_role.role_arn(&self.account)
    }
}

/// FNV-1a (32 bits) of `text`: a stable number for a name (a file owner id, a logical id),
/// the same on every machine and run, unlike the standard library's hashers.
pub fn fnv1a(text: &str) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in text.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_rejects_host_bits_and_names_the_network() {
        assert_eq!(
            Cidr::parse("10.0.0.1/16").unwrap_err(),
            "has host bits set; the network is 10.0.0.0/16"
        );
        assert_eq!(
            Cidr::parse("10.20.0.0/16").unwrap().to_string(),
            "10.20.0.0/16"
        );
        assert!(Cidr::parse("10.0.0.256/16").is_err());
        assert!(Cidr::parse("10.0.0.0").is_err());
        assert!(Cidr::parse("+10.0.0.0/16").is_err());
        assert!(Cidr::parse("10.0.0.0/+16").is_err());
        assert!(Cidr::parse("010.0.0.0/16").is_err());
        assert!(Cidr::parse("0.0.0.0/0").is_ok());
    }

    #[test]
    fn subnets_are_carved_in_order() {
        let vpc = Cidr::parse("10.20.0.0/16").unwrap();
        assert_eq!(vpc.subnet(2, 0).to_string(), "10.20.0.0/18");
        assert_eq!(vpc.subnet(2, 3).to_string(), "10.20.192.0/18");
    }

    #[test]
    fn dns_names_nest_on_label_boundaries() {
        let parent = DnsName::parse("example.com").unwrap();
        assert!(DnsName::parse("dev.example.com")
            .unwrap()
            .is_strictly_below(&parent));
        assert!(!DnsName::parse("badexample.com")
            .unwrap()
            .is_strictly_below(&parent));
        assert!(!parent.is_strictly_below(&parent));
        assert!(parent.is_within(&parent));
        assert!(DnsName::parse("Example.com").is_err());
        assert!(DnsName::parse("example.com.").is_err());
        assert!(DnsName::parse("-a.example.com").is_err());
    }

    #[test]
    fn account_ids_are_twelve_digits() {
        assert!(AccountId::parse("123456789012").is_some());
        assert!(AccountId::parse("12345678901").is_none());
        assert!(AccountId::parse("12345678901a").is_none());
    }
}
