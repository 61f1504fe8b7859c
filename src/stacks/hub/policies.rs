//! Policy pieces both platforms' roles are made of: AWS managed policies by name, key use
//! only through a service, and the decryption of secrets the config names.

use crate::cfn::iam::Statement;
use crate::cfn::Expr;

/// The AWS managed policy `name` (e.g. `AmazonEKSClusterPolicy`, `service-role/...`).
pub(super) fn managed(name: &str) -> Expr {
    Expr::sub(format!("arn:${{AWS::Partition}}:iam::aws:policy/{name}"))
}

/// `statement` only for calls Secrets Manager makes for the caller (`kms:ViaService`): the
/// key decrypts secrets, not whatever the role's session asks.
pub(super) fn through_secrets_manager(statement: Statement) -> Statement {
    statement.when(
        "StringEquals",
        "kms:ViaService",
        Expr::sub("secretsmanager.${AWS::Region}.amazonaws.com"),
    )
}

/// `statement` only for calls EC2 makes for the caller (its volumes).
fn through_ec2(statement: Statement) -> Statement {
    statement.when(
        "StringEquals",
        "kms:ViaService",
        Expr::sub("ec2.${AWS::Region}.amazonaws.com"),
    )
}

/// Secrets named in the config may be encrypted with any key of the account (the
/// `aws/secretsmanager` key needs no grant, a customer-managed one does): decrypt through
/// Secrets Manager, and only for exactly these secrets. `None` without any.
pub(super) fn decrypt_configured_secrets(arns: &[&str]) -> Option<Statement> {
    let mut arns = arns.to_vec();
    arns.sort_unstable();
    arns.dedup();
    (!arns.is_empty()).then(|| {
        through_secrets_manager(Statement::allow(
            "DecryptConfiguredSecrets",
            &["kms:Decrypt"],
            vec![Expr::sub(
                "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*",
            )],
        ))
        .when(
            "StringEquals",
            "kms:EncryptionContext:SecretARN",
            Expr::strings(&arns),
        )
    })
}

/// What makes EBS volumes encrypted with `key` (Auto Mode's cluster role, the EBS CSI
/// driver): the key used through EC2 only, and grants for AWS resources only.
pub(super) fn volumes_with_key(key: &Expr) -> Vec<Statement> {
    vec![
        through_ec2(Statement::allow(
            "UseKeyThroughEc2",
            &[
                "kms:Decrypt",
                "kms:DescribeKey",
                "kms:Encrypt",
                "kms:GenerateDataKeyWithoutPlaintext",
                "kms:ReEncryptFrom",
                "kms:ReEncryptTo",
            ],
            vec![key.clone()],
        )),
        through_ec2(
            Statement::allow("GrantForVolumes", &["kms:CreateGrant"], vec![key.clone()]).when(
                "Bool",
                "kms:GrantIsForAWSResource",
                "true".into(),
            ),
        ),
    ]
}
