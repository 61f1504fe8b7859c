//! EKS storage: the EFS CSI driver's mounts (homes, the shared data) and EBS volumes with the
//! environment's key.

use super::*;

/// An EFS client's mount request (Amazon EFS User Guide, "Using IAM to control file system
/// data access": ClientMount, ClientWrite, ClientRootAccess, with
/// `elasticfilesystem:AccessPointArn` when mounted through an access point,
/// `elasticfilesystem:AccessedViaMountTarget`, and `aws:SecureTransport` true with TLS).
fn efs_mount(
    env: &Env,
    session: &PodSession,
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

#[test]
fn the_efs_csi_driver_mounts_the_homes_access_point_only() {
    let cases = each_fixture(|env, cases| {
        // The EFS CSI driver's node daemon set mounts with the node's role.
        let efs = env.node_session();
        let file_system = env.parameter("hub", "FileSystemId");
        let homes = env.scope("hub").refs["HomesAccessPoint"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        // The persistent volume mounts with `iam` and `tls` (k8s/10-storage.yaml).
        let storage = std::fs::read_to_string(env.dir.join("k8s/10-storage.yaml"))
            .expect("the storage manifest");
        assert!(
            storage.contains("- \"iam\"") && storage.contains("- \"tls\""),
            "{}: the homes' volume mounts with IAM and TLS",
            env.name
        );
        let policies = efs.with(&env.file_system_policy());
        let name = |what: &str| format!("{}: the EFS CSI driver {what}", env.name);
        for action in [
            "elasticfilesystem:ClientMount",
            "elasticfilesystem:ClientWrite",
        ] {
            cases.push(Case::new(
                name(&format!(
                    "mounts the homes through their access point ({action})"
                )),
                efs_mount(env, &efs, action, &file_system, Some(&homes), true),
                &policies,
                Expect::Allowed,
            ));
            cases.push(Case::new(
                name(&format!("cannot mount without an access point ({action})")),
                efs_mount(env, &efs, action, &file_system, None, true),
                &policies,
                Expect::ExplicitlyDenied,
            ));
            cases.push(Case::new(
                name(&format!(
                    "cannot mount through another access point ({action})"
                )),
                efs_mount(
                    env,
                    &efs,
                    action,
                    &file_system,
                    Some("fsap-0123456789abcdef0"),
                    true,
                ),
                &policies,
                Expect::Denied,
            ));
            cases.push(Case::new(
                name(&format!("cannot mount without TLS ({action})")),
                efs_mount(env, &efs, action, &file_system, Some(&homes), false),
                &policies,
                Expect::ExplicitlyDenied,
            ));
            cases.push(Case::new(
                name(&format!("cannot mount another file system ({action})")),
                efs_mount(
                    env,
                    &efs,
                    action,
                    "fs-0123456789abcdef0",
                    Some(&homes),
                    true,
                ),
                &Policies {
                    identity: efs.policies.identity.clone(),
                    resource: None,
                },
                Expect::Denied,
            ));
        }
        cases.push(Case::new(
            name("has no root access through the access point"),
            efs_mount(
                env,
                &efs,
                "elasticfilesystem:ClientRootAccess",
                &file_system,
                Some(&homes),
                true,
            ),
            &policies,
            Expect::Denied,
        ));
        cases.push(Case::new(
            name("has no root access without an access point"),
            efs_mount(
                env,
                &efs,
                "elasticfilesystem:ClientRootAccess",
                &file_system,
                None,
                true,
            ),
            &policies,
            Expect::ExplicitlyDenied,
        ));
    });
    check(&cases);
}

/// `storage.shared` on EKS (the example's eks-dev sets it). The EFS CSI driver mounts every
/// server's volumes with the node's role, so IAM cannot tell one user's server from
/// another's: it tells the two access points apart. The nodes may mount the read-only one
/// and never write through it (EFS refuses every write through that mount, whatever the
/// pod asks); they may write through the read-write one, which the files give admins'
/// servers only. No Pod Identity role mounts either.
#[test]
fn the_shared_data_is_read_only_through_its_read_only_access_point() {
    let n_with_shared = std::sync::atomic::AtomicUsize::new(0);
    let cases = each_fixture(|env, cases| {
        let refs = &env.scope("hub").refs;
        let (Some(read_write), Some(read_only)) = (
            refs.get("SharedAccessPoint").and_then(Value::as_str),
            refs.get("SharedReadOnlyAccessPoint")
                .and_then(Value::as_str),
        ) else {
            assert!(
                !refs.contains_key("SharedAccessPoint")
                    && !refs.contains_key("SharedReadOnlyAccessPoint"),
                "{}: one shared access point without the other",
                env.name
            );
            return;
        };
        n_with_shared.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        assert_ne!(read_write, read_only);
        shared_data_files(env);
        let file_system = env.parameter("hub", "FileSystemId");
        let node = env.node_session();
        let policies = node.with(&env.file_system_policy());
        let name = |what: &str| format!("{}: shared data: {what}", env.name);
        let mount = |session: &PodSession, action: &str, access_point: &str, tls: bool| {
            efs_mount(env, session, action, &file_system, Some(access_point), tls)
        };
        for (action, through_read_only, through_read_write) in [
            (
                "elasticfilesystem:ClientMount",
                Expect::Allowed,
                Expect::Allowed,
            ),
            (
                "elasticfilesystem:ClientWrite",
                Expect::Denied,
                Expect::Allowed,
            ),
            (
                "elasticfilesystem:ClientRootAccess",
                Expect::Denied,
                Expect::Denied,
            ),
        ] {
            cases.push(Case::new(
                name(&format!(
                    "the nodes through the read-only access point: {action}"
                )),
                mount(&node, action, read_only, true),
                &policies,
                through_read_only,
            ));
            cases.push(Case::new(
                name(&format!(
                    "the nodes through the read-write access point: {action}"
                )),
                mount(&node, action, read_write, true),
                &policies,
                through_read_write,
            ));
        }
        for access_point in [read_only, read_write] {
            cases.push(Case::new(
                name(&format!(
                    "the nodes cannot mount {access_point} without TLS"
                )),
                mount(&node, "elasticfilesystem:ClientMount", access_point, false),
                &policies,
                Expect::ExplicitlyDenied,
            ));
        }
        // Pod Identity roles (the hub's, the add-ons'): none mounts the shared data.
        let accounts = env.service_accounts();
        for id in env.ids_of("eks-addons", "AWS::IAM::Role") {
            if !accounts.contains_key(&id) {
                continue;
            }
            let pod = env.pod_session(&id);
            for access_point in [read_only, read_write] {
                for action in [
                    "elasticfilesystem:ClientMount",
                    "elasticfilesystem:ClientWrite",
                ] {
                    cases.push(Case::new(
                        name(&format!("the pod role {id} cannot {action} {access_point}")),
                        mount(&pod, action, access_point, true),
                        &pod.with(&env.file_system_policy()),
                        Expect::Denied,
                    ));
                }
            }
        }
    });
    assert!(
        n_with_shared.into_inner() >= 1,
        "no EKS fixture has storage.shared"
    );
    check(&cases);
}

/// The cluster's files put the two access points where the IAM cases assume them: the
/// claim every server gets (`shared`, read-only in the pod) on the read-only access point,
/// mounted `ro`; the admins' claim on the read-write one; and the hub's hook hands the
/// read-write claim to the config's admins only.
fn shared_data_files(env: &Env) {
    let text =
        std::fs::read_to_string(env.dir.join("k8s/10-storage.yaml")).expect("the storage manifest");
    let objects = hubctl::k8s::parse_yaml_stream(&text).expect("the storage manifest's YAML");
    let volume_of_claim = |claim: &str| -> Value {
        let pvc = objects
            .iter()
            .find(|o| o["kind"] == "PersistentVolumeClaim" && o["metadata"]["name"] == claim)
            .unwrap_or_else(|| panic!("{}: no claim {claim}", env.name));
        objects
            .iter()
            .find(|o| {
                o["kind"] == "PersistentVolume"
                    && o["metadata"]["name"] == pvc["spec"]["volumeName"]
            })
            .unwrap_or_else(|| panic!("{}: claim {claim} has no volume", env.name))
            .clone()
    };
    let read_only = volume_of_claim("shared");
    assert_eq!(
        read_only["spec"]["csi"]["volumeHandle"],
        json!("${frame.FileSystemId}::${hub.SharedReadOnlyAccessPointId}"),
        "{}",
        env.name
    );
    assert_eq!(read_only["spec"]["csi"]["readOnly"], json!(true));
    assert_eq!(read_only["spec"]["accessModes"], json!(["ReadOnlyMany"]));
    let options = read_only["spec"]["mountOptions"]
        .as_array()
        .expect("options");
    for option in ["iam", "tls", "ro"] {
        assert!(options.contains(&json!(option)), "{}: {option}", env.name);
    }
    let read_write = volume_of_claim("shared-admin");
    assert_eq!(
        read_write["spec"]["csi"]["volumeHandle"],
        json!("${frame.FileSystemId}::${hub.SharedAccessPointId}"),
        "{}",
        env.name
    );
    // The hub stack's outputs are the access points the IAM cases mount.
    assert_eq!(
        env.hub_output("SharedReadOnlyAccessPointId"),
        env.scope("hub").refs["SharedReadOnlyAccessPoint"]
            .as_str()
            .unwrap_or_default()
    );
    assert_eq!(
        env.hub_output("SharedAccessPointId"),
        env.scope("hub").refs["SharedAccessPoint"]
            .as_str()
            .unwrap_or_default()
    );
    let values =
        std::fs::read_to_string(env.dir.join("jupyterhub-values.yaml")).expect("the values");
    let values = &hubctl::k8s::parse_yaml_stream(&values).expect("the values' YAML")[0];
    let storage = &values["singleuser"]["storage"];
    assert_eq!(
        storage["extraVolumes"],
        json!([{"name": "shared", "persistentVolumeClaim": {"claimName": "shared", "readOnly": true}}]),
        "{}",
        env.name
    );
    assert_eq!(storage["extraVolumeMounts"][0]["readOnly"], json!(true));
    let hook = values["hub"]["extraConfig"]["02-hubctl-shared-data"]
        .as_str()
        .expect("the shared data's hook");
    let admins = &values["hub"]["config"]["Authenticator"]["admin_users"];
    assert!(
        hook.contains(&format!("frozenset({admins})")),
        "{}: the hook's writers are the config's admins {admins}:\n{hook}",
        env.name
    );
}

/// A KMS request EC2 makes for the caller creating or attaching an encrypted volume (AWS KMS
/// Developer Guide, "How Amazon EBS uses AWS KMS": CreateGrant, GenerateDataKeyWithoutPlaintext,
/// Decrypt and ReEncrypt with the caller's permissions; `kms:ViaService`
/// `ec2.<region>.amazonaws.com`; "kms:GrantIsForAWSResource": true when an integrated
/// service creates the grant for the caller, false when the caller calls CreateGrant).
fn kms_via_ec2(env: &Env, session: &Request, action: &str, key: &str) -> Request {
    let mut request = session.clone();
    request.action = action.to_string();
    request.resource = key.to_string();
    request.resource_account = account_of(key);
    request = request
        .with(
            "kms:ViaService",
            json!(format!("ec2.{}.amazonaws.com", env.region)),
        )
        .with("kms:CallerAccount", json!(env.account));
    if action == "kms:CreateGrant" {
        request = request.with("kms:GrantIsForAWSResource", json!("true"));
    }
    request
}

#[test]
fn block_storage_uses_the_environment_key_only_through_ec2() {
    let cases = each_fixture(|env, cases| {
        let (key, key_policy) = env.key();
        // Auto Mode's block storage runs as the cluster role; node groups' EBS CSI driver as
        // its Pod Identity role.
        let (who, base, identity) = if env.has("eks-addons", "EbsCsiPodRole") {
            let ebs = env.pod_session("EbsCsiPodRole");
            (
                "the EBS CSI driver",
                ebs.request("kms:DescribeKey", &key, &env.account),
                ebs.policies.identity.clone(),
            )
        } else {
            let role = env.role("hub", "ClusterRole");
            let session = Principal::RoleSession {
                role_arn: role.arn.clone(),
                session: "eks-auto-mode".into(),
            };
            (
                "Auto Mode (the cluster role)",
                session.request("kms:DescribeKey", &key, &env.account),
                role.identity,
            )
        };
        let policies = Policies {
            identity,
            resource: Some(key_policy),
        };
        let name = |what: &str| format!("{}: {who} {what}", env.name);
        for action in [
            "kms:CreateGrant",
            "kms:GenerateDataKeyWithoutPlaintext",
            "kms:Decrypt",
            "kms:ReEncryptFrom",
            "kms:ReEncryptTo",
            "kms:DescribeKey",
        ] {
            cases.push(Case::new(
                name(&format!("has EC2 use the key for a volume ({action})")),
                kms_via_ec2(env, &base, action, &key),
                &policies,
                Expect::Allowed,
            ));
        }
        let grant = kms_via_ec2(env, &base, "kms:CreateGrant", &key);
        let mut direct_grant = grant
            .clone()
            .with("kms:GrantIsForAWSResource", json!("false"));
        direct_grant.context.remove("kms:ViaService");
        cases.push(Case::new(
            name("cannot create a grant itself (kms:GrantIsForAWSResource false)"),
            direct_grant.clone(),
            &policies,
            Expect::Denied,
        ));
        let mut no_flag = grant.clone();
        no_flag.context.remove("kms:GrantIsForAWSResource");
        cases.push(Case::new(
            name("cannot create a grant without kms:GrantIsForAWSResource"),
            no_flag,
            &policies,
            Expect::Denied,
        ));
        let mut other_key = grant.clone();
        other_key.resource = format!(
            "arn:aws:kms:{}:{}:key/0b5e7c1d-0000-4000-8000-otherkey0001",
            env.region, env.account
        );
        cases.push(Case::new(
            name("cannot have EC2 create a grant on another key"),
            other_key,
            &Policies {
                identity: policies.identity.clone(),
                resource: Some(json!({"Version": "2012-10-17", "Statement": [{
                    "Sid": "AccountDecides", "Effect": "Allow",
                    "Principal": {"AWS": format!("arn:aws:iam::{}:root", env.account)},
                    "Action": "kms:*", "Resource": "*"
                }]})),
            },
            Expect::Denied,
        ));
        for action in ["kms:Decrypt", "kms:GenerateDataKeyWithoutPlaintext"] {
            let mut direct = kms_via_ec2(env, &base, action, &key);
            direct.context.remove("kms:ViaService");
            cases.push(Case::new(
                name(&format!("cannot use the key directly ({action})")),
                direct,
                &policies,
                Expect::Denied,
            ));
            cases.push(Case::new(
                name(&format!(
                    "cannot use the key through another service ({action})"
                )),
                kms_via_ec2(env, &base, action, &key).with(
                    "kms:ViaService",
                    json!(format!("rds.{}.amazonaws.com", env.region)),
                ),
                &policies,
                Expect::Denied,
            ));
        }
    });
    check(&cases);
}
