//! CloudFormation's intrinsic functions resolved, so that a synthesized policy becomes the
//! document IAM stores: `Ref`, `Fn::GetAtt`, `Fn::Sub` (both forms), `Fn::Join`,
//! `Fn::Select` and the pseudo parameters. Physical names and ARNs are made the way
//! CloudFormation makes them for each resource type ("Return values" on each resource's
//! page of the CloudFormation User Guide); an intrinsic this module cannot resolve fails
//! the test rather than passing through unresolved.

use std::collections::BTreeMap;

use serde_json::{json, Value};

/// What a template's intrinsics resolve to in one stack.
#[derive(Clone, Debug)]
pub struct Scope {
    /// `AWS::Partition`.
    pub partition: String,
    /// `AWS::Region`.
    pub region: String,
    /// `AWS::AccountId`.
    pub account: String,
    /// `AWS::StackName`.
    pub stack_name: String,
    /// `Ref` of parameters and resources.
    pub refs: BTreeMap<String, Value>,
    /// `Fn::GetAtt`, keyed `LogicalId.Attribute`.
    pub attributes: BTreeMap<String, String>,
}

impl Scope {
    /// A scope with no parameters and no resources yet.
    pub fn new(region: &str, account: &str, stack_name: &str) -> Scope {
        Scope {
            partition: "aws".to_string(),
            region: region.to_string(),
            account: account.to_string(),
            stack_name: stack_name.to_string(),
            refs: BTreeMap::new(),
            attributes: BTreeMap::new(),
        }
    }

    /// Sets a parameter's value.
    pub fn parameter(mut self, name: &str, value: Value) -> Scope {
        self.refs.insert(name.to_string(), value);
        self
    }

    fn reference(&self, name: &str) -> Value {
        match name {
            "AWS::Partition" => json!(self.partition),
            "AWS::Region" => json!(self.region),
            "AWS::AccountId" => json!(self.account),
            "AWS::StackName" => json!(self.stack_name),
            "AWS::URLSuffix" => json!("amazonaws.com"),
            _ => self.refs.get(name).cloned().unwrap_or_else(|| {
                panic!(
                    "Ref {name}: no such parameter or resource in {}",
                    self.stack_name
                )
            }),
        }
    }

    fn attribute(&self, id: &str, attribute: &str) -> String {
        self.attributes
            .get(&format!("{id}.{attribute}"))
            .cloned()
            .unwrap_or_else(|| {
                panic!(
                    "Fn::GetAtt {id}.{attribute}: unknown in {}",
                    self.stack_name
                )
            })
    }

    /// Gives every resource of `template` the `Ref` and attributes CloudFormation would,
    /// by type.
    pub fn with_resources(mut self, template: &Value) -> Scope {
        let resources = template["Resources"]
            .as_object()
            .expect("a template has Resources");
        for (id, resource) in resources {
            let properties = &resource["Properties"];
            let name = |key: &str| -> String {
                properties[key]
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| generated_name(&self.stack_name, id))
            };
            let (p, r, a) = (
                self.partition.clone(),
                self.region.clone(),
                self.account.clone(),
            );
            let kind = resource["Type"].as_str().unwrap_or_default();
            let (reference, attributes): (String, Vec<(&str, String)>) = match kind {
                "AWS::IAM::Role" => {
                    let role = name("RoleName");
                    let path = properties["Path"].as_str().unwrap_or("/");
                    let arn = format!("arn:{p}:iam::{a}:role{path}{role}");
                    (role, vec![("Arn", arn)])
                }
                "AWS::ECR::Repository" => {
                    let repository = name("RepositoryName");
                    let arn = format!("arn:{p}:ecr:{r}:{a}:repository/{repository}");
                    let uri = format!("{a}.dkr.ecr.{r}.amazonaws.com/{repository}");
                    (repository, vec![("Arn", arn), ("RepositoryUri", uri)])
                }
                "AWS::ECS::Cluster" => {
                    let cluster = name("ClusterName");
                    let arn = format!("arn:{p}:ecs:{r}:{a}:cluster/{cluster}");
                    (cluster, vec![("Arn", arn)])
                }
                "AWS::ECS::TaskDefinition" => {
                    let family = name("Family");
                    (
                        format!("arn:{p}:ecs:{r}:{a}:task-definition/{family}:1"),
                        vec![],
                    )
                }
                "AWS::Logs::LogGroup" => {
                    let group = name("LogGroupName");
                    let arn = format!("arn:{p}:logs:{r}:{a}:log-group:{group}:*");
                    (group, vec![("Arn", arn)])
                }
                "AWS::SecretsManager::Secret" => {
                    let secret = name("Name");
                    (
                        format!(
                            "arn:{p}:secretsmanager:{r}:{a}:secret:{secret}-{}",
                            suffix(id, 6)
                        ),
                        vec![],
                    )
                }
                "AWS::EFS::AccessPoint" => {
                    let access_point = format!("fsap-{}", hex_id(id, 17));
                    let arn =
                        format!("arn:{p}:elasticfilesystem:{r}:{a}:access-point/{access_point}");
                    (access_point, vec![("Arn", arn)])
                }
                "AWS::EFS::FileSystem" => {
                    let file_system = format!("fs-{}", hex_id(id, 17));
                    let arn =
                        format!("arn:{p}:elasticfilesystem:{r}:{a}:file-system/{file_system}");
                    (file_system, vec![("Arn", arn)])
                }
                "AWS::KMS::Key" => {
                    let key = format!("{}-0000-4000-8000-{}", hex_id(id, 8), hex_id(id, 12));
                    let arn = format!("arn:{p}:kms:{r}:{a}:key/{key}");
                    (key, vec![("Arn", arn)])
                }
                "AWS::EC2::SecurityGroup" => {
                    let group = format!("sg-{}", hex_id(id, 17));
                    (group.clone(), vec![("GroupId", group)])
                }
                "AWS::EC2::Subnet" => (format!("subnet-{}", hex_id(id, 17)), vec![]),
                "AWS::EC2::VPC" => (
                    format!("vpc-{}", hex_id(id, 17)),
                    vec![(
                        "CidrBlock",
                        properties["CidrBlock"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string(),
                    )],
                ),
                "AWS::S3::Bucket" => {
                    let bucket = name("BucketName").to_ascii_lowercase();
                    let arn = format!("arn:{p}:s3:::{bucket}");
                    (bucket, vec![("Arn", arn)])
                }
                "AWS::RDS::DBInstance" => (
                    generated_name(&self.stack_name, id).to_ascii_lowercase(),
                    vec![
                        (
                            "Endpoint.Address",
                            format!(
                                "{}.{}.{r}.rds.amazonaws.com",
                                id.to_ascii_lowercase(),
                                hex_id(id, 12)
                            ),
                        ),
                        ("Endpoint.Port", "5432".to_string()),
                    ],
                ),
                "AWS::EKS::Cluster" => {
                    // AWS::EKS::Cluster "Return values": Ref is the name, Arn is
                    // `arn:...:eks:<region>:<account>:cluster/<name>`.
                    let cluster = name("Name");
                    let arn = format!("arn:{p}:eks:{r}:{a}:cluster/{cluster}");
                    (
                        cluster,
                        vec![
                            ("Arn", arn),
                            (
                                "Endpoint",
                                format!(
                                    "https://{}.gr7.{r}.eks.amazonaws.com",
                                    hex_id(id, 32).to_ascii_uppercase()
                                ),
                            ),
                            (
                                "CertificateAuthorityData",
                                "LS0tLS1CRUdJTi0tLS0t".to_string(),
                            ),
                            ("ClusterSecurityGroupId", format!("sg-{}", hex_id(id, 17))),
                        ],
                    )
                }
                // A certificate's Ref is its ARN.
                "AWS::CertificateManager::Certificate" => (
                    format!(
                        "arn:{p}:acm:{r}:{a}:certificate/{}-0000-4000-8000-{}",
                        hex_id(id, 8),
                        hex_id(id, 12)
                    ),
                    vec![],
                ),
                // A hosted zone's Ref is its id (`Z` and upper-case letters and digits).
                "AWS::Route53::HostedZone" => {
                    (format!("Z{}", hex_id(id, 20).to_ascii_uppercase()), vec![])
                }
                _ => (format!("{id}-physical-id"), vec![]),
            };
            for (attribute, value) in attributes {
                self.attributes.insert(format!("{id}.{attribute}"), value);
            }
            self.refs.insert(id.clone(), json!(reference));
        }
        self
    }
}

/// CloudFormation's generated physical name: `<stack>-<logical id>-<random>`, at most 64.
fn generated_name(stack: &str, id: &str) -> String {
    let mut name = format!("{stack}-{id}");
    name.truncate(64 - 13);
    format!("{name}-{}", suffix(id, 12))
}

fn hash(text: &str) -> u64 {
    // FNV-1a: stable across runs, unlike std's hasher.
    text.bytes().fold(0xcbf29ce484222325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    })
}

/// A stand-in random suffix, stable per logical id: uppercase letters and digits.
fn suffix(id: &str, length: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut state = hash(id);
    (0..length)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ALPHABET[(state >> 33) as usize % ALPHABET.len()] as char
        })
        .collect()
}

fn hex_id(id: &str, length: usize) -> String {
    let mut text = String::new();
    let mut state = hash(id);
    while text.len() < length {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        text.push_str(&format!("{:016x}", state));
    }
    text.truncate(length);
    text
}

/// `value` with every intrinsic function resolved in `scope`.
pub fn resolve(value: &Value, scope: &Scope) -> Value {
    match value {
        Value::Object(map) if map.len() == 1 => {
            let (key, argument) = map.iter().next().expect("one entry");
            match key.as_str() {
                "Ref" => scope.reference(argument.as_str().expect("Ref names a string")),
                "Fn::GetAtt" => {
                    let parts: Vec<&str> = match argument {
                        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
                        Value::String(text) => text.splitn(2, '.').collect(),
                        _ => panic!("Fn::GetAtt {argument}"),
                    };
                    json!(scope.attribute(parts[0], parts[1]))
                }
                "Fn::Sub" => {
                    let (text, variables) = match argument {
                        Value::String(text) => (text.as_str(), BTreeMap::new()),
                        Value::Array(items) => (
                            items[0].as_str().expect("Fn::Sub text"),
                            items[1]
                                .as_object()
                                .expect("Fn::Sub variables")
                                .iter()
                                .map(|(k, v)| (k.clone(), resolve(v, scope)))
                                .collect(),
                        ),
                        _ => panic!("Fn::Sub {argument}"),
                    };
                    json!(substitute(text, &variables, scope))
                }
                "Fn::Join" => {
                    let separator = argument[0].as_str().expect("Fn::Join separator");
                    let parts = resolve(&argument[1], scope);
                    let parts: Vec<String> = parts
                        .as_array()
                        .expect("Fn::Join list")
                        .iter()
                        .map(|part| match part {
                            Value::String(text) => text.clone(),
                            other => other.to_string(),
                        })
                        .collect();
                    json!(parts.join(separator))
                }
                "Fn::Select" => {
                    let index = argument[0]
                        .as_u64()
                        .or_else(|| argument[0].as_str().and_then(|s| s.parse().ok()))
                        .expect("Fn::Select index") as usize;
                    resolve(&argument[1], scope)[index].clone()
                }
                key if key.starts_with("Fn::") => panic!("{key} is not resolved here: {value}"),
                _ => Value::Object(
                    map.iter()
                        .map(|(k, v)| (k.clone(), resolve(v, scope)))
                        .collect(),
                ),
            }
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), resolve(v, scope)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|v| resolve(v, scope)).collect()),
        other => other.clone(),
    }
}

/// `${Name}`, `${Logical.Attribute}` and `${!Literal}` of `Fn::Sub`.
fn substitute(text: &str, variables: &BTreeMap<String, Value>, scope: &Scope) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .unwrap_or_else(|| panic!("unclosed ${{ in {text}"));
        let name = &after[..end];
        if let Some(literal) = name.strip_prefix('!') {
            out.push_str("${");
            out.push_str(literal);
            out.push('}');
        } else {
            let value = match variables.get(name) {
                Some(value) => value.clone(),
                None => match name.split_once('.') {
                    Some((id, attribute)) if !name.starts_with("AWS::") => {
                        json!(scope.attribute(id, attribute))
                    }
                    _ => scope.reference(name),
                },
            };
            match value {
                Value::String(text) => out.push_str(&text),
                other => panic!("Fn::Sub ${{{name}}} is not a string: {other}"),
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Every `Ref` and `Fn::GetAtt` a template's outputs resolve to: `{output name: value}`.
pub fn outputs(template: &Value, scope: &Scope) -> BTreeMap<String, Value> {
    template["Outputs"]
        .as_object()
        .map(|outputs| {
            outputs
                .iter()
                .map(|(name, output)| (name.clone(), resolve(&output["Value"], scope)))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn intrinsics_resolve_as_cloudformation_would() {
    let template = json!({"Resources": {
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"Path": "/hubctl/x/"}},
        "Cluster": {"Type": "AWS::ECS::Cluster", "Properties": {}}
    }});
    let scope = Scope::new("eu-west-1", "123456789012", "jhub-dev-hub")
        .parameter("Ids", json!(["subnet-a", "subnet-b"]))
        .with_resources(&template);
    let value = json!([
        {"Fn::Sub": "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:task/${Cluster}/*"},
        {"Fn::GetAtt": ["Role", "Arn"]},
        {"Fn::Sub": ["${A}-${!Literal}", {"A": {"Ref": "AWS::AccountId"}}]},
        {"Fn::Join": [",", {"Ref": "Ids"}]},
        {"Fn::Select": [1, {"Ref": "Ids"}]}
    ]);
    let resolved = resolve(&value, &scope);
    let cluster = scope.refs["Cluster"].as_str().unwrap().to_string();
    assert!(
        cluster.starts_with("jhub-dev-hub-Cluster-") && cluster.len() <= 64,
        "{cluster}"
    );
    assert_eq!(
        resolved,
        json!([
            format!("arn:aws:ecs:eu-west-1:123456789012:task/{cluster}/*"),
            format!(
                "arn:aws:iam::123456789012:role/hubctl/x/{}",
                scope.refs["Role"].as_str().unwrap()
            ),
            "123456789012-${Literal}",
            "subnet-a,subnet-b",
            "subnet-b"
        ])
    );
}
