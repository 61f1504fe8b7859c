//! The hub's run-time permissions, as IAM evaluates them. The calls are the real ones: the
//! hub's spawner (`templates/hub/fargate_spawner.py`, configured by the image's
//! `jupyterhub_config.py` from the synthesized hub task's environment) starts, polls and
//! stops every user's server against moto, and botocore's hooks record each call
//! (`tests/iam/spawner_calls.py`). What ECS itself does with a task's roles (pull the image,
//! write logs, read the secrets, mount EFS) follows from each task definition as ECS holds
//! it after RegisterTaskDefinition. Each is evaluated against the synthesized roles, the
//! frame's KMS key policy and EFS file system policy; the denials below must hold too.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{json, Value};

use super::context::{account_of, Principal};
use super::resolve::{outputs, resolve, Scope};
use super::{check, inline_policies, Case, Expect, Policies, Request};
use crate::support::{local_aws_env, python_tool, root, start, synth};

/// The one resource of type `kind` in `template`: (logical id, resource).
pub(super) fn resource_of<'a>(template: &'a Value, kind: &str) -> (&'a String, &'a Value) {
    template["Resources"]
        .as_object()
        .expect("resources")
        .iter()
        .find(|(_, r)| r["Type"] == kind)
        .unwrap_or_else(|| panic!("no {kind}"))
}

pub(super) fn read_json(path: &Path) -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One environment's stacks with every intrinsic resolved as CloudFormation would, the hub's
/// parameters filled from the upstream outputs the manifest names (as deploy fills them).
pub(super) struct Environment {
    pub(super) region: String,
    pub(super) account: String,
    pub(super) hub: Value,
    pub(super) hub_scope: Scope,
    pub(super) frame: Value,
    pub(super) frame_scope: Scope,
    pub(super) dns: Value,
    pub(super) dns_scope: Scope,
}

impl Environment {
    pub(super) fn load(out: &Path, env: &str) -> Environment {
        let dir = out.join(env);
        let manifest = read_json(&dir.join("manifest.json"));
        let region = manifest["region"].as_str().expect("region").to_string();
        let account = manifest["account"].as_str().expect("account").to_string();
        let mut upstream: BTreeMap<String, BTreeMap<String, Value>> = BTreeMap::new();
        let mut scopes: BTreeMap<String, (Value, Scope)> = BTreeMap::new();
        for stack in manifest["stacks"].as_array().expect("stacks") {
            let id = stack["id"].as_str().expect("id").to_string();
            let name = stack["name"].as_str().expect("name");
            let template = read_json(&dir.join(stack["template"].as_str().expect("template")));
            let mut scope = Scope::new(&region, &account, name);
            for (parameter, source) in stack["parameters"].as_object().expect("parameters") {
                let value = upstream[source["stack"].as_str().expect("stack")]
                    [source["output"].as_str().expect("output")]
                .clone();
                let kind = template["Parameters"][parameter]["Type"]
                    .as_str()
                    .unwrap_or_default();
                let value = match (&value, kind.starts_with("List<")) {
                    (Value::String(text), true) => json!(text.split(',').collect::<Vec<_>>()),
                    _ => value,
                };
                scope = scope.parameter(parameter, value);
            }
            let scope = scope.with_resources(&template);
            upstream.insert(id.clone(), outputs(&template, &scope));
            scopes.insert(id, (template, scope));
        }
        let (hub, hub_scope) = scopes.remove("hub").expect("an ECS hub stack");
        let (frame, frame_scope) = scopes.remove("frame").expect("a frame stack");
        let (dns, dns_scope) = scopes.remove("dns").expect("a dns stack");
        Environment {
            region,
            account,
            hub,
            hub_scope,
            frame,
            frame_scope,
            dns,
            dns_scope,
        }
    }

    pub(super) fn hub_resource(&self, id: &str) -> Value {
        resolve(&self.hub["Resources"][id]["Properties"], &self.hub_scope)
    }

    fn hub_property(&self, id: &str, key: &str) -> Value {
        resolve(
            &self.hub["Resources"][id]["Properties"][key],
            &self.hub_scope,
        )
    }

    fn hub_ids_of(&self, kind: &str) -> Vec<String> {
        self.hub["Resources"]
            .as_object()
            .expect("resources")
            .iter()
            .filter(|(_, r)| r["Type"] == kind)
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// The role whose ARN is `arn`: its inline policies.
    pub(super) fn role_policies(&self, arn: &str) -> Policies {
        let id = self
            .hub_ids_of("AWS::IAM::Role")
            .into_iter()
            .find(|id| self.hub_scope.attributes[&format!("{id}.Arn")] == arn)
            .unwrap_or_else(|| panic!("no role of the hub stack has the ARN {arn}"));
        Policies {
            identity: inline_policies(&self.hub_resource(&id)),
            resource: None,
        }
    }

    pub(super) fn role_arn(&self, id: &str) -> String {
        self.hub_scope.attributes[&format!("{id}.Arn")].clone()
    }

    /// Property `key` of the frame's one resource of type `kind`, resolved.
    fn frame_property(&self, kind: &str, key: &str) -> Value {
        let (_, resource) = resource_of(&self.frame, kind);
        resolve(&resource["Properties"][key], &self.frame_scope)
    }

    pub(super) fn key_policy(&self) -> Value {
        self.frame_property("AWS::KMS::Key", "KeyPolicy")
    }

    pub(super) fn key_arn(&self) -> String {
        self.hub_scope.refs["KmsKeyArn"]
            .as_str()
            .expect("the key ARN parameter")
            .to_string()
    }

    fn file_system_policy(&self) -> Value {
        self.frame_property("AWS::EFS::FileSystem", "FileSystemPolicy")
    }

    /// The secrets the hub stack creates, by ARN: their KMS key, if any.
    fn secret_keys(&self) -> BTreeMap<String, Option<String>> {
        self.hub_ids_of("AWS::SecretsManager::Secret")
            .into_iter()
            .map(|id| {
                let arn = self.hub_scope.refs[&id]
                    .as_str()
                    .expect("a secret ARN")
                    .to_string();
                let key = self
                    .hub_property(&id, "KmsKeyId")
                    .as_str()
                    .map(str::to_string);
                (arn, key)
            })
            .collect()
    }
}

/// The task id of a task ARN (`arn:...:task/<cluster>/<id>`).
fn task_id(arn: &str) -> String {
    arn.rsplit('/').next().unwrap_or_default().to_string()
}

/// The secret's ARN in a `valueFrom` (which may end in `:json-key:version-stage:version-id`).
fn secret_arn(value_from: &str) -> String {
    value_from.split(':').take(7).collect::<Vec<_>>().join(":")
}

/// A KMS request Secrets Manager makes for the caller (AWS Secrets Manager User Guide,
/// "Secret encryption and decryption": it calls GenerateDataKey to encrypt a new secret value
/// and Decrypt to read one, with the caller's permissions, encryption context
/// `SecretARN` and `SecretVersionId`; AWS KMS Developer Guide, "kms:ViaService" and
/// "kms:CallerAccount").
fn kms_via_secrets_manager(
    env: &Environment,
    session: &Principal,
    action: &str,
    secret: &str,
    version: &str,
) -> Request {
    session
        .request(action, &env.key_arn(), &env.account)
        .with(
            "kms:ViaService",
            json!(format!("secretsmanager.{}.amazonaws.com", env.region)),
        )
        .with("kms:CallerAccount", json!(env.account))
        .with("kms:EncryptionContext:SecretARN", json!(secret))
        .with("kms:EncryptionContext:SecretVersionId", json!(version))
}

/// An ECS request on a resource of the cluster: `ecs:cluster` is the cluster's ARN (Amazon
/// ECS Developer Guide, "Condition keys for Amazon ECS"; Service Authorization Reference).
fn ecs(session: &Principal, action: &str, resource: &str, cluster_arn: &str) -> Request {
    session
        .request(action, resource, &account_of(resource))
        .with("ecs:cluster", json!(cluster_arn))
}

/// `iam:PassRole` ECS checks on RunTask for the task definition's roles (Amazon ECS
/// Developer Guide, "Task IAM role": the principal that calls RunTask needs iam:PassRole;
/// `iam:PassedToService` is `ecs-tasks.amazonaws.com`).
fn pass_role(session: &Principal, role_arn: &str, to: &str) -> Request {
    session
        .request("iam:PassRole", role_arn, &account_of(role_arn))
        .with("iam:PassedToService", json!(to))
}

/// An EFS client's mount request with a task role (Amazon EFS User Guide, "Using IAM to
/// control file system data access": ClientMount, ClientWrite, with
/// `elasticfilesystem:AccessPointArn` when mounted through an access point,
/// `elasticfilesystem:AccessedViaMountTarget`, and `aws:SecureTransport` true with TLS).
fn efs_mount(
    env: &Environment,
    session: &Principal,
    action: &str,
    file_system: &str,
    access_point: Option<&str>,
    tls: bool,
) -> Request {
    let arn = format!(
        "arn:aws:elasticfilesystem:{}:{}:file-system/{file_system}",
        env.region, env.account
    );
    let mut request = session
        .request(action, &arn, &env.account)
        .with("elasticfilesystem:AccessedViaMountTarget", json!("true"))
        .with(
            "aws:SecureTransport",
            json!(if tls { "true" } else { "false" }),
        );
    if let Some(access_point) = access_point {
        request = request.with(
            "elasticfilesystem:AccessPointArn",
            json!(format!(
                "arn:aws:elasticfilesystem:{}:{}:access-point/{access_point}",
                env.region, env.account
            )),
        );
    }
    request
}

/// ECR repository `(account, region, repository)` of an image, if it is in ECR.
fn ecr_repository(image: &str) -> Option<(String, String, String)> {
    let (host, path) = image.split_once('/')?;
    let mut parts = host.split('.');
    let (account, dkr, ecr, region) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if dkr != "dkr" || ecr != "ecr" {
        return None;
    }
    let repository = path.split(['@', ':']).next()?;
    Some((
        account.to_string(),
        region.to_string(),
        repository.to_string(),
    ))
}

/// What ECS does with a task's roles when it starts the task (Amazon ECS Developer Guide,
/// "Amazon ECS task execution IAM role": the execution role pulls the image from ECR, writes
/// the awslogs streams `<prefix>/<container>/<task id>`, and reads the `secrets`; the task
/// role mounts the EFS volumes that use IAM authorization).
fn task_start_cases(env: &Environment, definition: &Value, task: &str, cases: &mut Vec<Case>) {
    let family = definition["family"].as_str().expect("family");
    let execution = Principal::RoleSession {
        role_arn: definition["executionRoleArn"]
            .as_str()
            .expect("an execution role")
            .to_string(),
        session: task.to_string(),
    };
    let execution_policies =
        env.role_policies(definition["executionRoleArn"].as_str().unwrap_or_default());
    let key_policies = |identity: &Policies| Policies {
        identity: identity.identity.clone(),
        resource: Some(env.key_policy()),
    };
    let secret_keys = env.secret_keys();
    for container in definition["containerDefinitions"]
        .as_array()
        .expect("containers")
    {
        let name = container["name"].as_str().unwrap_or_default();
        let image = container["image"].as_str().unwrap_or_default();
        if let Some((account, region, repository)) = ecr_repository(image) {
            cases.push(Case::new(
                format!("{family}: ECS gets an ECR token"),
                execution.request("ecr:GetAuthorizationToken", "*", &env.account),
                &execution_policies,
                Expect::Allowed,
            ));
            let arn = format!("arn:aws:ecr:{region}:{account}:repository/{repository}");
            for action in [
                "ecr:BatchCheckLayerAvailability",
                "ecr:GetDownloadUrlForLayer",
                "ecr:BatchGetImage",
            ] {
                cases.push(Case::new(
                    format!("{family}: ECS pulls {image} ({action})"),
                    execution.request(action, &arn, &account),
                    &execution_policies,
                    Expect::Allowed,
                ));
            }
            // The images stack's repositories are written by whoever pushes (the deployer),
            // never by a task; and a task pulls its own image's repository only.
            for action in [
                "ecr:PutImage",
                "ecr:InitiateLayerUpload",
                "ecr:UploadLayerPart",
                "ecr:CompleteLayerUpload",
                "ecr:BatchDeleteImage",
            ] {
                cases.push(Case::new(
                    format!("{family}: ECS cannot push to {repository} ({action})"),
                    execution.request(action, &arn, &account),
                    &execution_policies,
                    Expect::Denied,
                ));
            }
            let other = format!("arn:aws:ecr:{region}:{account}:repository/{repository}-other");
            cases.push(Case::new(
                format!("{family}: ECS cannot pull from another repository of the registry"),
                execution.request("ecr:BatchGetImage", &other, &account),
                &execution_policies,
                Expect::Denied,
            ));
        }
        let log = &container["logConfiguration"];
        if log["logDriver"] == "awslogs" {
            let options = &log["options"];
            let stream = format!(
                "arn:aws:logs:{}:{}:log-group:{}:log-stream:{}/{name}/{task}",
                options["awslogs-region"].as_str().unwrap_or_default(),
                env.account,
                options["awslogs-group"].as_str().unwrap_or_default(),
                options["awslogs-stream-prefix"]
                    .as_str()
                    .unwrap_or_default(),
            );
            for action in ["logs:CreateLogStream", "logs:PutLogEvents"] {
                cases.push(Case::new(
                    format!("{family}: ECS writes {name}'s log ({action})"),
                    execution.request(action, &stream, &env.account),
                    &execution_policies,
                    Expect::Allowed,
                ));
            }
        }
        for secret in container["secrets"].as_array().into_iter().flatten() {
            let arn = secret_arn(secret["valueFrom"].as_str().unwrap_or_default());
            let variable = secret["name"].as_str().unwrap_or_default();
            cases.push(Case::new(
                format!("{family}: ECS reads {variable}"),
                execution.request("secretsmanager:GetSecretValue", &arn, &account_of(&arn)),
                &execution_policies,
                Expect::Allowed,
            ));
            match secret_keys.get(&arn) {
                Some(Some(_frame_key)) => cases.push(Case::new(
                    format!("{family}: Secrets Manager decrypts {variable} for ECS"),
                    kms_via_secrets_manager(env, &execution, "kms:Decrypt", &arn, "v1"),
                    &key_policies(&execution_policies),
                    Expect::Allowed,
                )),
                Some(None) => {}
                // A secret named in the config: under whichever customer-managed key of the
                // account its owner chose (with the usual key policy that lets the account's
                // IAM decide); through Secrets Manager and for that secret only.
                None => {
                    let customer_key = format!(
                        "arn:aws:kms:{}:{}:key/0b5e7c1d-0000-4000-8000-customerkey1",
                        env.region, env.account
                    );
                    let key_policy = json!({"Version": "2012-10-17", "Statement": [{
                        "Sid": "AccountDecides", "Effect": "Allow",
                        "Principal": {"AWS": format!("arn:aws:iam::{}:root", env.account)},
                        "Action": "kms:*", "Resource": "*"
                    }]});
                    let policies = Policies {
                        identity: execution_policies.identity.clone(),
                        resource: Some(key_policy),
                    };
                    let mut request =
                        kms_via_secrets_manager(env, &execution, "kms:Decrypt", &arn, "v1");
                    request.resource = customer_key.clone();
                    cases.push(Case::new(
                        format!("{family}: Secrets Manager decrypts {variable} under its own key"),
                        request.clone(),
                        &policies,
                        Expect::Allowed,
                    ));
                    let other_secret = format!("{}-other", &arn[..arn.len() - 7]);
                    cases.push(Case::new(
                        format!("{family}: not another secret under that key"),
                        request
                            .clone()
                            .with("kms:EncryptionContext:SecretARN", json!(other_secret)),
                        &policies,
                        Expect::Denied,
                    ));
                    let mut direct = request;
                    direct.context.remove("kms:ViaService");
                    cases.push(Case::new(
                        format!("{family}: not that key directly"),
                        direct,
                        &policies,
                        Expect::Denied,
                    ));
                }
            }
        }
    }
    let task_role = definition["taskRoleArn"].as_str().expect("a task role");
    let session = Principal::RoleSession {
        role_arn: task_role.to_string(),
        session: task.to_string(),
    };
    let mut policies = env.role_policies(task_role);
    policies.resource = Some(env.file_system_policy());
    for volume in definition["volumes"].as_array().into_iter().flatten() {
        let efs = &volume["efsVolumeConfiguration"];
        if efs.is_null() {
            continue;
        }
        assert_eq!(
            efs["authorizationConfig"]["iam"], "ENABLED",
            "{family}: EFS without IAM authorization"
        );
        let tls = efs["transitEncryption"] == "ENABLED";
        assert!(tls, "{family}: EFS without TLS");
        let access_point = efs["authorizationConfig"]["accessPointId"].as_str();
        assert!(
            access_point.is_some(),
            "{family}: EFS without an access point"
        );
        // A volume every container mounts read-only (the shared data in a user's server)
        // must be read-only to EFS too: the task role may mount it, not write through it.
        let mounts: Vec<&Value> = definition["containerDefinitions"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|c| c["mountPoints"].as_array().into_iter().flatten())
            .filter(|m| m["sourceVolume"] == volume["name"])
            .collect();
        assert!(
            !mounts.is_empty(),
            "{family}: volume {} is not mounted",
            volume["name"]
        );
        let read_only = mounts.iter().all(|m| m["readOnly"] == json!(true));
        for (action, expect, what) in [
            ("elasticfilesystem:ClientMount", Expect::Allowed, "mounts"),
            (
                "elasticfilesystem:ClientWrite",
                if read_only {
                    Expect::Denied
                } else {
                    Expect::Allowed
                },
                if read_only {
                    "cannot write its read-only"
                } else {
                    "writes"
                },
            ),
        ] {
            cases.push(Case::new(
                format!(
                    "{family}: the task {what} volume {} ({action})",
                    volume["name"]
                ),
                efs_mount(
                    env,
                    &session,
                    action,
                    efs["fileSystemId"].as_str().unwrap_or_default(),
                    access_point,
                    tls,
                ),
                &policies,
                expect,
            ));
        }
    }
}

/// The hub's calls, recorded around the real spawner: each to IAM requests, all allowed.
fn spawner_cases(env: &Environment, run: &Value, cases: &mut Vec<Case>) -> BTreeMap<String, usize> {
    let hub = Principal::RoleSession {
        role_arn: env.role_arn("HubTaskRole"),
        session: "hub-task".into(),
    };
    let hub_policies = env.role_policies(&env.role_arn("HubTaskRole"));
    let key_policies = Policies {
        identity: hub_policies.identity.clone(),
        resource: Some(env.key_policy()),
    };
    let definitions: BTreeMap<String, &Value> = run["task_definitions"]
        .as_array()
        .expect("task definitions")
        .iter()
        .map(|d| {
            (
                d["taskDefinitionArn"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                d,
            )
        })
        .collect();
    let cluster_arn = run["cluster_arn"]
        .as_str()
        .expect("the cluster")
        .to_string();
    let mut seen = BTreeMap::new();
    for (n, call) in run["calls"].as_array().expect("calls").iter().enumerate() {
        let operation = call["operation"].as_str().unwrap_or_default();
        let (service, params, response) = (
            call["service"].as_str().unwrap_or_default(),
            &call["params"],
            &call["response"],
        );
        *seen.entry(format!("{service}:{operation}")).or_default() += 1;
        let name = |what: &str| format!("call {n}: {service}:{operation} {what}");
        match (service, operation) {
            ("secretsmanager", "PutSecretValue") => {
                let arn = response["ARN"].as_str().expect("the secret's ARN");
                cases.push(Case::new(name(arn), hub.request("secretsmanager:PutSecretValue", arn, &env.account), &hub_policies, Expect::Allowed));
                let version = response["VersionId"].as_str().unwrap_or("v1");
                cases.push(Case::new(name("encrypts through KMS"), kms_via_secrets_manager(env, &hub, "kms:GenerateDataKey", arn, version), &key_policies, Expect::Allowed));
            }
            ("ecs", "RunTask") => {
                let task = &response["tasks"][0];
                let definition_arn = task["taskDefinitionArn"].as_str().expect("the task's definition");
                let task_arn = task["taskArn"].as_str().expect("the task ARN");
                assert_eq!(task["clusterArn"], json!(cluster_arn));
                cases.push(Case::new(name(definition_arn), ecs(&hub, "ecs:RunTask", definition_arn, &cluster_arn), &hub_policies, Expect::Allowed));
                let definition = definitions[definition_arn];
                for role in ["taskRoleArn", "executionRoleArn"] {
                    let role_arn = definition[role].as_str().expect("the task's roles");
                    cases.push(Case::new(name(&format!("passes {role_arn}")), pass_role(&hub, role_arn, "ecs-tasks.amazonaws.com"), &hub_policies, Expect::Allowed));
                }
                task_start_cases(env, definition, &task_id(task_arn), cases);
            }
            ("ecs", "DescribeTasks") => {
                for task in params["tasks"].as_array().expect("tasks") {
                    let task = task.as_str().expect("a task ARN");
                    cases.push(Case::new(name(task), ecs(&hub, "ecs:DescribeTasks", task, &cluster_arn), &hub_policies, Expect::Allowed));
                }
            }
            ("ecs", "StopTask") => {
                let task = params["task"].as_str().expect("a task ARN");
                cases.push(Case::new(name(task), ecs(&hub, "ecs:StopTask", task, &cluster_arn), &hub_policies, Expect::Allowed));
            }
            _ => panic!("the spawner made {service}:{operation}, which this replay does not know: add its request context ({call})"),
        }
    }
    seen
}

/// The same calls with one thing changed: each denied.
fn denied_cases(env: &Environment, cases: &mut Vec<Case>) {
    let (region, account) = (&env.region, &env.account);
    let hub = Principal::RoleSession {
        role_arn: env.role_arn("HubTaskRole"),
        session: "hub-task".into(),
    };
    let hub_policies = env.role_policies(&env.role_arn("HubTaskRole"));
    let cluster = env.hub_scope.attributes["Cluster.Arn"].clone();
    let own_definition =
        format!("arn:aws:ecs:{region}:{account}:task-definition/jhub-dev-user-small-alice:1");
    let mut denied: Vec<(&str, Request, Policies)> = vec![
        ("the hub runs another environment's task definition", ecs(&hub, "ecs:RunTask", &format!("arn:aws:ecs:{region}:{account}:task-definition/jhub-staging-user-small-alice:1"), &cluster), hub_policies.clone()),
        ("the hub runs its hub task definition as a user server", ecs(&hub, "ecs:RunTask", &format!("arn:aws:ecs:{region}:{account}:task-definition/jhub-dev-hub:1"), &cluster), hub_policies.clone()),
        ("the hub runs a user server in another cluster", ecs(&hub, "ecs:RunTask", &own_definition, &format!("arn:aws:ecs:{region}:{account}:cluster/other")), hub_policies.clone()),
        ("the hub stops a task of another cluster", ecs(&hub, "ecs:StopTask", &format!("arn:aws:ecs:{region}:{account}:task/other/0123"), &format!("arn:aws:ecs:{region}:{account}:cluster/other")), hub_policies.clone()),
        ("the hub passes a role outside the user role path", pass_role(&hub, &format!("arn:aws:iam::{account}:role/Admin"), "ecs-tasks.amazonaws.com"), hub_policies.clone()),
        ("the hub passes another environment's user role", pass_role(&hub, &format!("arn:aws:iam::{account}:role/hubctl/jhub-staging/users/alice"), "ecs-tasks.amazonaws.com"), hub_policies.clone()),
        ("the hub passes a user role to another service", pass_role(&hub, &env.role_arn(&user_role(env, "alice")), "lambda.amazonaws.com"), hub_policies.clone()),
        ("the hub passes its own role", pass_role(&hub, &env.role_arn("HubTaskRole"), "ecs-tasks.amazonaws.com"), hub_policies.clone()),
        ("the hub overwrites its cookie secret", hub.request("secretsmanager:PutSecretValue", env.hub_scope.refs["CookieSecret"].as_str().unwrap_or_default(), account), hub_policies.clone()),
        ("the hub decrypts with the key directly", hub.request("kms:Decrypt", &env.key_arn(), account), Policies { identity: hub_policies.identity.clone(), resource: Some(env.key_policy()) }),
    ];
    // Mounts: the file system policy applies to every one.
    let file_system = env.hub_scope.refs["FileSystemId"]
        .as_str()
        .expect("the file system id")
        .to_string();
    let access_point = |id: &str| {
        env.hub_scope.refs[id]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let with_fs = |mut policies: Policies| {
        policies.resource = Some(env.file_system_policy());
        policies
    };
    let alice = Principal::RoleSession {
        role_arn: env.role_arn(&user_role(env, "alice")),
        session: "task".into(),
    };
    let alice_policies = with_fs(env.role_policies(&env.role_arn(&user_role(env, "alice"))));
    let bob_home = access_point(&home_access_point(env, "bob"));
    let alice_home = access_point(&home_access_point(env, "alice"));
    denied.extend([
        (
            "alice's server mounts bob's home",
            efs_mount(
                env,
                &alice,
                "elasticfilesystem:ClientMount",
                &file_system,
                Some(&bob_home),
                true,
            ),
            alice_policies.clone(),
        ),
        (
            "alice's server writes bob's home",
            efs_mount(
                env,
                &alice,
                "elasticfilesystem:ClientWrite",
                &file_system,
                Some(&bob_home),
                true,
            ),
            alice_policies.clone(),
        ),
        (
            "alice's server mounts the hub's state",
            efs_mount(
                env,
                &alice,
                "elasticfilesystem:ClientMount",
                &file_system,
                Some(&access_point("HubAccessPoint")),
                true,
            ),
            alice_policies.clone(),
        ),
        (
            "alice's server mounts the file system without an access point",
            efs_mount(
                env,
                &alice,
                "elasticfilesystem:ClientMount",
                &file_system,
                None,
                true,
            ),
            alice_policies.clone(),
        ),
        (
            "the hub mounts alice's home",
            efs_mount(
                env,
                &hub,
                "elasticfilesystem:ClientMount",
                &file_system,
                Some(&alice_home),
                true,
            ),
            with_fs(hub_policies.clone()),
        ),
    ]);
    shared_data_cases(env, &file_system, cases);
    let bob = Principal::RoleSession {
        role_arn: env.role_arn(&user_role(env, "bob")),
        session: "task".into(),
    };
    denied.push((
        "bob's server (not an admin) mounts alice's home",
        efs_mount(
            env,
            &bob,
            "elasticfilesystem:ClientMount",
            &file_system,
            Some(&alice_home),
            true,
        ),
        with_fs(env.role_policies(&env.role_arn(&user_role(env, "bob")))),
    ));
    let user_execution = Principal::RoleSession {
        role_arn: env.role_arn("UserExecutionRole"),
        session: "task".into(),
    };
    let user_execution_policies = env.role_policies(&env.role_arn("UserExecutionRole"));
    let hub_execution = Principal::RoleSession {
        role_arn: env.role_arn("HubExecutionRole"),
        session: "task".into(),
    };
    let hub_execution_policies = env.role_policies(&env.role_arn("HubExecutionRole"));
    let cookie = env.hub_scope.refs["CookieSecret"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let alice_token = env.hub_scope.refs[&user_token(env, "alice")]
        .as_str()
        .unwrap_or_default()
        .to_string();
    denied.extend([
        (
            "a user server's execution role reads the hub's cookie secret",
            user_execution.request("secretsmanager:GetSecretValue", &cookie, account),
            user_execution_policies.clone(),
        ),
        (
            "the hub's execution role reads a user's token",
            hub_execution.request("secretsmanager:GetSecretValue", &alice_token, account),
            hub_execution_policies.clone(),
        ),
        (
            "a user's task role reads its own token directly",
            alice.request("secretsmanager:GetSecretValue", &alice_token, account),
            env.role_policies(&env.role_arn(&user_role(env, "alice"))),
        ),
    ]);
    for (what, request, policies) in denied {
        cases.push(Case::new(
            format!("denied: {what}"),
            request,
            &policies,
            Expect::Denied,
        ));
    }
    cases.push(Case::new(
        "denied explicitly: alice's server mounts her home without TLS",
        efs_mount(
            env,
            &alice,
            "elasticfilesystem:ClientMount",
            &file_system,
            Some(&alice_home),
            false,
        ),
        &alice_policies,
        Expect::ExplicitlyDenied,
    ));
}

/// `storage.shared` (the example sets it): every role of the hub stack against the shared
/// data's access point, with the file system policy. Only the servers of the config's
/// admins may write through it; every user's server may mount it; nothing else may do
/// either, and no one has root access or mounts it without TLS.
fn shared_data_cases(env: &Environment, file_system: &str, cases: &mut Vec<Case>) {
    let shared = env.hub_scope.refs["SharedAccessPoint"]
        .as_str()
        .expect("the example's shared data access point")
        .to_string();
    let admins = ["alice"];
    let users = ["alice", "bob", "carol"];
    let mut roles = env.hub_ids_of("AWS::IAM::Role");
    roles.sort();
    let mut n_writers = 0;
    for id in roles {
        let arn = env.role_arn(&id);
        let session = Principal::RoleSession {
            role_arn: arn.clone(),
            session: "task".into(),
        };
        let mut policies = env.role_policies(&arn);
        policies.resource = Some(env.file_system_policy());
        let user = users.iter().find(|user| user_role(env, user) == id);
        let admin = user.is_some_and(|user| admins.contains(user));
        n_writers += usize::from(admin);
        let who = match user {
            Some(user) if admin => format!("{user}'s server (an admin)"),
            Some(user) => format!("{user}'s server"),
            None => format!("role {id}"),
        };
        let mount = |action: &str, tls: bool| {
            efs_mount(env, &session, action, file_system, Some(&shared), tls)
        };
        let allowed = |yes: bool| if yes { Expect::Allowed } else { Expect::Denied };
        cases.push(Case::new(
            format!("shared data: {who} mounts it: {}", user.is_some()),
            mount("elasticfilesystem:ClientMount", true),
            &policies,
            allowed(user.is_some()),
        ));
        cases.push(Case::new(
            format!("shared data: {who} writes it: {admin}"),
            mount("elasticfilesystem:ClientWrite", true),
            &policies,
            allowed(admin),
        ));
        cases.push(Case::new(
            format!("shared data: {who} has no root access"),
            mount("elasticfilesystem:ClientRootAccess", true),
            &policies,
            Expect::Denied,
        ));
        if user.is_some() {
            for action in [
                "elasticfilesystem:ClientMount",
                "elasticfilesystem:ClientWrite",
            ] {
                cases.push(Case::new(
                    format!("shared data: {who} cannot {action} without TLS"),
                    mount(action, false),
                    &policies,
                    Expect::ExplicitlyDenied,
                ));
            }
        }
    }
    assert_eq!(n_writers, admins.len(), "each admin's role was evaluated");
}

/// The logical id of a user's resource: `<prefix><Name><uid>`.
fn user_resource(env: &Environment, prefix: &str, user: &str) -> String {
    let capitalized = format!("{}{}", user[..1].to_uppercase(), &user[1..]);
    let start = format!("{prefix}{capitalized}");
    env.hub["Resources"]
        .as_object()
        .expect("resources")
        .keys()
        .find(|id| id.starts_with(&start) && id[start.len()..].chars().all(|c| c.is_ascii_digit()))
        .unwrap_or_else(|| panic!("no {prefix} resource for {user}"))
        .clone()
}

fn user_role(env: &Environment, user: &str) -> String {
    user_resource(env, "UserRole", user)
}

fn home_access_point(env: &Environment, user: &str) -> String {
    user_resource(env, "HomeAccessPoint", user)
}

fn user_token(env: &Environment, user: &str) -> String {
    user_resource(env, "UserToken", user)
}

/// Runs the spawner of `env` against a fresh moto for `users`; returns spawner_calls.py's output.
fn run_spawner(env: &Environment, users: &[&str]) -> Value {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temp dir");
    let hub_task = env.hub_resource("HubTask");
    let hub_container = hub_task["ContainerDefinitions"]
        .as_array()
        .expect("containers")
        .iter()
        .find(|c| c["Name"] == "hub")
        .expect("the hub container")
        .clone();
    let environment: BTreeMap<String, Value> = hub_container["Environment"]
        .as_array()
        .expect("environment")
        .iter()
        .map(|e| {
            (
                e["Name"].as_str().unwrap_or_default().to_string(),
                e["Value"].clone(),
            )
        })
        .collect();
    let prefix = environment["JUPYTERHUB_USER_TOKEN_SECRET_PREFIX"]
        .as_str()
        .expect("token prefix")
        .to_string();
    let token_secrets: Vec<Value> = env
        .hub_ids_of("AWS::SecretsManager::Secret")
        .into_iter()
        .map(|id| json!({"Name": env.hub_property(&id, "Name"), "KmsKeyId": env.hub_property(&id, "KmsKeyId")}))
        .filter(|secret| secret["Name"].as_str().is_some_and(|name| name.starts_with(&prefix)))
        .map(|secret| json!({"Name": secret["Name"], "KmsKeyId": secret["KmsKeyId"]}))
        .collect();
    assert_eq!(
        token_secrets.len(),
        users.len(),
        "one token secret per user"
    );
    let setup = json!({
        "account": env.account,
        "region": env.region,
        "cluster": env.hub_scope.refs["Cluster"],
        "task_definitions": env.hub_ids_of("AWS::ECS::TaskDefinition").into_iter().map(|id| env.hub_resource(&id)).collect::<Vec<_>>(),
        "token_secrets": token_secrets,
        "hub_environment": environment,
        "users": users,
    });
    let setup_path = dir.path().join("setup.json");
    std::fs::write(&setup_path, setup.to_string()).expect("write the setup");
    let out_path = dir.path().join("calls.json");
    let (_moto, port) = start(
        "moto_launcher.py",
        &["--port".into(), "0".into(), "--quiet".into()],
    );
    let mut command = std::process::Command::new(python_tool("hub", "python"));
    command
        .arg(root().join("tests/iam/spawner_calls.py"))
        .arg(&setup_path)
        .arg(&out_path);
    for (variable, value) in local_aws_env(&format!("http://127.0.0.1:{port}")) {
        match value {
            Some(value) => command.env(variable, value),
            None => command.env_remove(variable),
        };
    }
    let output = command.output().expect("run spawner_calls.py");
    assert!(
        output.status.success(),
        "spawner_calls.py: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    read_json(&out_path)
}

/// Runs every user's server of `env` through the real spawner and returns the cases of
/// everything that happened: the hub's calls, and ECS starting each task and the hub's own.
fn run_time_cases(env: &Environment) -> Vec<Case> {
    let hub_task = env.hub_resource("HubTask");
    let families = hub_task["ContainerDefinitions"][0]["Environment"]
        .as_array()
        .expect("the hub's environment")
        .iter()
        .find(|e| e["Name"] == "JUPYTERHUB_USER_TASK_FAMILIES")
        .and_then(|e| e["Value"].as_str())
        .expect("the users' task families");
    let families: BTreeMap<String, Value> = serde_json::from_str(families).expect("JSON");
    let users: Vec<&str> = families.keys().map(String::as_str).collect();
    let run = run_spawner(env, &users);
    let mut cases = Vec::new();
    let seen = spawner_cases(env, &run, &mut cases);
    // Every user's server was started, watched and stopped, and its token written.
    for call in [
        "secretsmanager:PutSecretValue",
        "ecs:RunTask",
        "ecs:DescribeTasks",
        "ecs:StopTask",
    ] {
        assert!(
            seen.get(call).copied().unwrap_or(0) >= users.len(),
            "{call}: {seen:?}"
        );
    }
    // The hub's own task, started by its ECS service.
    let hub_family = hub_task["Family"].as_str().expect("the hub's family");
    let hub_definition = run["task_definitions"]
        .as_array()
        .expect("definitions")
        .iter()
        .find(|d| d["family"] == hub_family)
        .expect("the hub's task definition")
        .clone();
    task_start_cases(
        env,
        &hub_definition,
        "0123456789abcdef0123456789abcdef",
        &mut cases,
    );
    cases
}

#[test]
fn the_hub_and_its_user_servers_may_do_exactly_what_they_do() {
    let (_dir, out) = synth(&root().join("config.example.yaml"));
    let env = Environment::load(&out, "dev");
    let mut cases = run_time_cases(&env);
    denied_cases(&env, &mut cases);
    check(&cases);
}

/// The lab fixture: ECR images, an external database and an OAuth provider, both secrets
/// named in the config and encrypted under the lab's own key.
#[test]
fn a_hub_with_secrets_from_the_config_reads_them_through_secrets_manager_only() {
    let (_dir, out) = synth(&root().join("tests/fixtures/lab-us-east-1.yaml"));
    let env = Environment::load(&out, "lab");
    let cases = run_time_cases(&env);
    let configured = cases
        .iter()
        .filter(|c| c.name.contains("under its own key"))
        .count();
    assert_eq!(
        configured, 2,
        "the database URL and the OAuth client secret"
    );
    check(&cases);
}

/// The repository policy the README gives for a pull across accounts, with the pulling
/// account filled in.
fn readme_repository_policy(pulling_account: &str) -> Value {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("the README");
    let block = readme
        .split("```json")
        .skip(1)
        .filter_map(|rest| rest.split("```").next())
        .find(|block| block.contains("PullFromWorkloadAccounts"))
        .expect("the README shows the repository policy");
    serde_json::from_str(&block.replace("<pulling account>", pulling_account))
        .expect("the README's policy is JSON")
}

/// The example's prod (account 210987654321) with its hub image in a central registry
/// account no environment is in (999999999999): the execution role's own policy is not
/// enough across accounts; with the README's repository policy the pull is allowed.
#[test]
fn a_pull_from_another_accounts_repository_needs_the_readmes_repository_policy() {
    let example = std::fs::read_to_string(root().join("config.example.yaml")).expect("example");
    let own = "210987654321.dkr.ecr.eu-west-1.amazonaws.com/jhub/hub";
    assert!(example.contains(own), "prod's own hub image");
    let config_dir = tempfile::tempdir().expect("temp dir");
    let config = config_dir.path().join("hubctl.yaml");
    std::fs::write(
        &config,
        example.replace(own, "999999999999.dkr.ecr.eu-west-1.amazonaws.com/jhub/hub"),
    )
    .expect("write the config");
    let (_dir, out) = synth(&config);
    let env = Environment::load(&out, "prod");
    let image = env.hub_resource("HubTask")["ContainerDefinitions"][0]["Image"]
        .as_str()
        .expect("the hub image")
        .to_string();
    let (repository_account, region, repository) = ecr_repository(&image).expect("an ECR image");
    assert_ne!(
        repository_account, env.account,
        "the example pulls across accounts"
    );
    let execution = Principal::RoleSession {
        role_arn: env.role_arn("HubExecutionRole"),
        session: "task".into(),
    };
    let identity = env
        .role_policies(&env.role_arn("HubExecutionRole"))
        .identity;
    let arn = format!("arn:aws:ecr:{region}:{repository_account}:repository/{repository}");
    let mut cases = Vec::new();
    for action in [
        "ecr:BatchCheckLayerAvailability",
        "ecr:GetDownloadUrlForLayer",
        "ecr:BatchGetImage",
    ] {
        let request = execution.request(action, &arn, &repository_account);
        cases.push(Case::new(
            format!("{action} with the README's repository policy"),
            request.clone(),
            &Policies {
                identity: identity.clone(),
                resource: Some(readme_repository_policy(&env.account)),
            },
            Expect::Allowed,
        ));
        cases.push(Case::new(
            format!("{action} without a repository policy"),
            request.clone(),
            &Policies {
                identity: identity.clone(),
                resource: None,
            },
            Expect::Denied,
        ));
        cases.push(Case::new(
            format!("{action} by an account the repository policy does not name"),
            request,
            &Policies {
                identity: identity.clone(),
                resource: Some(readme_repository_policy("999999999999")),
            },
            Expect::Denied,
        ));
    }
    check(&cases);
}
