//! Login: the OAuth settings the hub gets, from any OAuth2/OIDC provider's endpoints or
//! from a Cognito user pool (created here, or an existing one) with the hub's app client.

use super::{ids, outputs, parameters, reference};
use crate::cfn::resources::{
    AccountRecoverySetting, AdminCreateUserConfig, EmailConfiguration, InviteMessageTemplate,
    PasswordPolicy, RecoveryOption, Secret, UserPool, UserPoolClient, UserPoolDomain,
    UserPoolPolicies,
};
use crate::cfn::{Expr, Resource, Template};
use crate::model::{Auth, Deployment, ExistingUserPool};

/// The OAuth settings the hub container gets: (authorize, token, userdata, client id,
/// client secret `valueFrom`, scopes, username claim, and where logging out of the hub
/// sends the browser).
pub(crate) struct OAuthSettings {
    pub(crate) authorize_url: Expr,
    pub(crate) token_url: Expr,
    pub(crate) userdata_url: Expr,
    /// Where logging out of the hub sends the browser, so the provider's session ends too
    /// (it would otherwise sign the next person at that browser straight back in without a
    /// password): Cognito's logout endpoint for the hub's client, back to the hub's login
    /// page (one of the client's `LogoutURLs`); another provider's `auth.logout_url`.
    /// `None` when that is not configured: logging out ends the hub's session only.
    pub(crate) logout_url: Option<Expr>,
    pub(crate) client_id: Expr,
    pub(crate) client_secret: Expr,
    pub(crate) scopes: String,
    pub(crate) username_claim: String,
}

/// Days a temporary password (the invitation's) stays valid.
const TEMPORARY_PASSWORD_DAYS: u32 = 7;

/// The invitation `hubctl users` has Cognito send: its own e-mail (`COGNITO_DEFAULT`), with
/// the user name (their e-mail address) and the temporary password Cognito makes, both
/// placeholders Cognito requires (CreateUserPool fails without either). The hosted UI asks
/// for a new password at the first sign-in.
fn invitation(host: &str) -> InviteMessageTemplate {
    // Cognito sends it as HTML: paragraphs and breaks, not newlines. The subject names no
    // host: EmailSubject holds at most 140 characters.
    InviteMessageTemplate {
        email_message: format!(
            "<p>You are invited to JupyterHub at <a href=\"https://{host}/\">https://{host}/</a>.</p><p>User name: {{username}}<br>Temporary password: {{####}}</p><p>Sign in there and choose your own password. The temporary password expires in {TEMPORARY_PASSWORD_DAYS} days; after that, ask an admin to invite you again.</p>"
        ),
        email_subject: "Your JupyterHub account".to_string(),
    }
}

/// The hosted UI domain of the pool as text, and whether it is a `Fn::Sub` (the pool made
/// here: its name holds the account and region).
fn pool_domain(existing: Option<&ExistingUserPool>, prefix: &str) -> (String, bool) {
    match existing {
        Some(pool) => (pool.domain.clone(), false),
        None => (
            format!(
                "{}.auth.${{AWS::Region}}.amazoncognito.com",
                domain_prefix(prefix)
            ),
            true,
        ),
    }
}

/// The created pool's domain prefix, `<project>-<env>-<account>`.
fn domain_prefix(prefix: &str) -> String {
    format!("{prefix}-${{AWS::AccountId}}")
}

/// What the hub gets to sign people in (nothing added to a template: the Cognito settings
/// name the resources [`add_auth`] adds by their logical ids). The EKS values read it too.
pub(crate) fn settings(deployment: &Deployment, prefix: &str) -> OAuthSettings {
    match &deployment.hub.auth {
        Auth::OAuth(provider) => OAuthSettings {
            authorize_url: provider.authorize_url.clone().into(),
            token_url: provider.token_url.clone().into(),
            userdata_url: provider.userdata_url.clone().into(),
            logout_url: provider.logout_url.clone().map(Expr::from),
            client_id: provider.client_id.clone().into(),
            client_secret: provider.client_secret_arn.clone().into(),
            scopes: provider.scopes.join(" "),
            username_claim: provider.username_claim.clone(),
        },
        Auth::Cognito { existing } => {
            let (domain, computed) = pool_domain(existing.as_ref(), prefix);
            let url = |path: &str| {
                let text = format!("https://{domain}{path}");
                if computed {
                    Expr::sub(text)
                } else {
                    Expr::from(text)
                }
            };
            // Cognito's GET /logout: client_id, and logout_uri exactly one of the client's
            // LogoutURLs (a host name and a path need no escaping beyond '/' and ':').
            let logout_uri = login_page(deployment)
                .replace(':', "%3A")
                .replace('/', "%2F");
            let logout_url = Expr::sub(format!(
                "https://{domain}/logout?client_id=${{{}}}&logout_uri={logout_uri}",
                ids::USER_POOL_CLIENT
            ));
            OAuthSettings {
                authorize_url: url("/oauth2/authorize"),
                token_url: url("/oauth2/token"),
                userdata_url: url("/oauth2/userInfo"),
                logout_url: Some(logout_url),
                client_id: reference(ids::USER_POOL_CLIENT),
                client_secret: reference(ids::OAUTH_CLIENT_SECRET),
                scopes: "openid email profile".to_string(),
                username_claim: "username".to_string(),
            }
        }
    }
}

/// The hub's login page, where logging out ends (the app client's one LogoutURL).
fn login_page(deployment: &Deployment) -> String {
    format!("https://{}/hub/login", deployment.dns.hub_host.as_str())
}

/// Adds what the login needs to `template` (for Cognito: the pool unless it exists, its
/// domain, the hub's app client and its secret) and returns the hub's [`settings`].
pub(crate) fn add_auth(
    template: &mut Template,
    deployment: &Deployment,
    prefix: &str,
) -> OAuthSettings {
    if let Auth::Cognito { existing } = &deployment.hub.auth {
        add_cognito(template, deployment, existing.as_ref(), prefix);
    }
    settings(deployment, prefix)
}

/// The Cognito side of [`add_auth`]: the pool (unless `existing`), its domain and output, the
/// hub's app client (callback and logout URLs on the hub's host) and its secret.
fn add_cognito(
    template: &mut Template,
    deployment: &Deployment,
    existing: Option<&ExistingUserPool>,
    prefix: &str,
) {
    let host = deployment.dns.hub_host.as_str();
    let pool_id = match existing {
        Some(pool) => Expr::from(pool.user_pool_id.as_str()),
        None => {
            template.add(
                ids::USER_POOL,
                Resource::new(UserPool {
                    // A forgotten password: a code to the verified address (the
                    // pool sends no SMS).
                    account_recovery_setting: Some(AccountRecoverySetting {
                        recovery_mechanisms: vec![RecoveryOption {
                            name: "verified_email".to_string(),
                            priority: 1,
                        }],
                    }),
                    admin_create_user_config: Some(AdminCreateUserConfig {
                        allow_admin_create_user_only: true,
                        invite_message_template: Some(invitation(host)),
                    }),
                    auto_verified_attributes: vec!["email".to_string()],
                    deletion_protection: if deployment.hub.deletion_protection {
                        "ACTIVE"
                    } else {
                        "INACTIVE"
                    }
                    .to_string(),
                    email_configuration: Some(EmailConfiguration {
                        email_sending_account: "COGNITO_DEFAULT".to_string(),
                    }),
                    enabled_mfas: vec!["SOFTWARE_TOKEN_MFA".to_string()],
                    mfa_configuration: "OPTIONAL".to_string(),
                    policies: Some(UserPoolPolicies {
                        password_policy: PasswordPolicy {
                            minimum_length: 12,
                            require_lowercase: true,
                            require_numbers: true,
                            require_symbols: false,
                            require_uppercase: true,
                            temporary_password_validity_days: TEMPORARY_PASSWORD_DAYS,
                        },
                    }),
                    user_pool_name: format!("{prefix}-hub"),
                }),
            );
            template.add(
                ids::USER_POOL_DOMAIN,
                Resource::new(UserPoolDomain {
                    domain: Expr::sub(domain_prefix(prefix)),
                    user_pool_id: reference(ids::USER_POOL),
                }),
            );
            template.output(
                outputs::USER_POOL_ID,
                "Cognito user pool: `hubctl users` invites the configured users into it",
                reference(ids::USER_POOL),
            );
            reference(ids::USER_POOL)
        }
    };
    template.add(
        ids::USER_POOL_CLIENT,
        Resource::new(UserPoolClient {
            allowed_o_auth_flows: vec!["code".to_string()],
            allowed_o_auth_flows_user_pool_client: true,
            allowed_o_auth_scopes: vec![
                "email".to_string(),
                "openid".to_string(),
                "profile".to_string(),
            ],
            callback_urls: vec![format!("https://{host}/hub/oauth_callback")],
            client_name: format!("{prefix}-hub"),
            enable_token_revocation: true,
            generate_secret: true,
            logout_urls: vec![login_page(deployment)],
            prevent_user_existence_errors: "ENABLED".to_string(),
            supported_identity_providers: vec!["COGNITO".to_string()],
            user_pool_id: pool_id,
        }),
    );
    // The client secret goes from Cognito into Secrets Manager inside CloudFormation;
    // the template only names the attribute, never the value.
    template.add(
        ids::OAUTH_CLIENT_SECRET,
        Resource::new(Secret {
            description: "Cognito app client secret of the hub".to_string(),
            name: None,
            generate_secret_string: None,
            kms_key_id: reference(parameters::KMS_KEY_ARN),
            secret_string: Some(Expr::get_att(ids::USER_POOL_CLIENT, "ClientSecret")),
        }),
    );
}

#[cfg(test)]
mod tests {
    use crate::cfn::Template;

    /// The domain `<project>-<env>-<account>` is a fixed, create-only name: it may stay fixed
    /// only while nothing replaces the pool (ARCHITECTURE.md, "Fixed names"). The pool's
    /// resource schema lists no create-only property; AWS's documentation still marks these
    /// as "Update requires: Replacement".
    #[test]
    fn the_pool_sets_no_property_that_replaces_it() {
        let config = crate::config::parse(
            "t.yaml",
            "project: p\nregion: eu-west-1\ndns: {parent_zone: example.com, parent_account: '111111111111', delegation_role: R, subzone: dev.example.com, hub_host: hub.dev.example.com}\nnetwork: {vpc_cidr: 10.20.0.0/16}\nhub: {platform: ecs, hub_image: 'a/b:1', user_image: 'a/c:1', admins: [x], allowed_cidrs: [10.0.0.0/8], auth: {kind: cognito}}\nenvironments: {dev: {account: '123456789012'}}\n",
        )
        .expect("valid config");
        let mut template = Template::new("t");
        super::add_auth(&mut template, &config.deployments[0], "p-dev");
        let pool = &template.resources[super::ids::USER_POOL];
        let set: Vec<&String> = pool
            .properties
            .as_object()
            .expect("properties are an object")
            .keys()
            .collect();
        for replacing in [
            "AliasAttributes",
            "Schema",
            "UsernameAttributes",
            "UsernameConfiguration",
        ] {
            assert!(
                !set.iter().any(|key| key.as_str() == replacing),
                "the pool sets {replacing}, which replaces it: give the domain a new name with it"
            );
        }
        let domain = &template.resources[super::ids::USER_POOL_DOMAIN];
        assert_eq!(
            domain.properties["Domain"],
            serde_json::json!({"Fn::Sub": "p-dev-${AWS::AccountId}"})
        );
    }
}
