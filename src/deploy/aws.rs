//! The real implementations of the `api` traits, on the AWS SDK for Rust.
//!
//! Credentials come from the standard chain (environment, profiles, SSO, credential
//! process); `AWS_ENDPOINT_URL` (and the per-service `AWS_ENDPOINT_URL_<SERVICE>`) is
//! honoured, which is how the tests reach `moto_server`. Transient errors (throttling, 5xx,
//! dropped connections) are retried by the SDK's standard retry policy.

use anyhow::{anyhow, Context, Result};
use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_cloudformation::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_cloudformation::types::{Capability, ChangeSetType, Parameter, Tag};
use aws_sdk_route53::types::{
    Change, ChangeAction, ChangeBatch, ChangeStatus, ResourceRecord, ResourceRecordSet, RrType,
};

use super::api::{
    Artifacts, AssumeRole, CertificateState, Certificates, Cfn, ChangeSetRequest, ChangeSetState,
    Cloud, Dns, DomainValidation, Identity, LiveStack, NsChange, Record, Service, StackEvent,
    StackStatus, Tagging, Task, Tasks, TemplateSource,
};
use super::api::{ImageState, Registry};
use super::kube::Programs;

/// The SDK's clients for one region, as the deploy engine's one [`Cloud`].
pub struct Aws {
    cfn: CloudFormation,
    sts: Sts,
    route53: Route53,
    s3: S3,
    acm: Acm,
    ecs: Ecs,
    kube: Programs,
    tagging: ResourceTagging,
    ecr: Ecr,
}

impl Aws {
    /// Clients for `config`.
    pub fn new(config: &SdkConfig) -> Aws {
        Aws {
            cfn: CloudFormation::new(config),
            sts: Sts::new(config),
            route53: Route53::new(config),
            s3: S3::new(config),
            acm: Acm::new(config),
            ecs: Ecs(aws_sdk_ecs::Client::new(config)),
            kube: Programs,
            tagging: ResourceTagging(aws_sdk_resourcegroupstagging::Client::new(config)),
            ecr: Ecr(aws_sdk_ecr::Client::new(config)),
        }
    }
}

impl Cloud for Aws {
    type Cfn = CloudFormation;
    type Identity = Sts;
    type Dns = Route53;
    type AssumeRole = Sts;
    type Artifacts = S3;
    type Certificates = Acm;
    type Tasks = Ecs;
    type Kube = Programs;
    type Tagging = ResourceTagging;
    type Registry = Ecr;

    fn cfn(&self) -> &CloudFormation {
        &self.cfn
    }
    fn identity(&self) -> &Sts {
        &self.sts
    }
    fn dns(&self) -> &Route53 {
        &self.route53
    }
    fn assume(&self) -> &Sts {
        &self.sts
    }
    fn artifacts(&self) -> &S3 {
        &self.s3
    }
    fn certificates(&self) -> &Acm {
        &self.acm
    }
    fn tasks(&self) -> &Ecs {
        &self.ecs
    }
    fn kube(&self) -> &Programs {
        &self.kube
    }
    fn tagging(&self) -> &ResourceTagging {
        &self.tagging
    }
    fn registry(&self) -> &Ecr {
        &self.ecr
    }
}

/// Attempts per call, first included: enough to ride out throttling and brief outages.
const MAX_ATTEMPTS: u32 = 8;

/// How long a connection to AWS may take to open: an endpoint that does not answer (no
/// network, a firewall) fails in seconds, not after the SDK's default.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// Loads the SDK configuration for `region`.
pub async fn sdk_config(region: &str) -> SdkConfig {
    sdk_config_with_profile(region, None).await
}

/// Loads the SDK configuration for `region` with the credentials of shared-config profile
/// `profile` (`~/.aws/config`, `~/.aws/credentials`; SSO and credential processes too);
/// `None` keeps the standard chain (`AWS_PROFILE`, the environment, the default profile).
pub async fn sdk_config_with_profile(region: &str, profile: Option<&str>) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS))
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .build(),
        );
    if let Some(profile) = profile {
        // The profile's credentials even when AWS_ACCESS_KEY_ID is set, as `aws --profile`
        // has it (the SDK's default chain would try the environment first).
        loader = loader.profile_name(profile).credentials_provider(
            aws_config::profile::ProfileFileCredentialsProvider::builder()
                .profile_name(profile)
                .build(),
        );
    }
    loader.load().await
}

/// `what: Code: message` for an error AWS answered; for anything else (no credentials, an
/// expired session, no network) one line with the likely fix, the SDK's chain after it only
/// when no known cause is in it.
fn sdk_error<E: std::error::Error + ProvideErrorMetadata>(what: &str, err: E) -> anyhow::Error {
    match (err.code(), err.message()) {
        (Some(code), Some(message)) => anyhow!("{what}: {code}: {message}"),
        (Some(code), None) => anyhow!("{what}: {code}"),
        _ => {
            let chain = DisplayErrorContext(&err).to_string();
            match likely_cause(&chain) {
                Some(cause) => anyhow!("{what}: {cause}"),
                None => anyhow!("{what}: {chain}"),
            }
        }
    }
}

/// The usual reasons a call never reached AWS, as one sentence with the fix.
fn likely_cause(chain: &str) -> Option<&'static str> {
    let lower = chain.to_ascii_lowercase();
    const CAUSES: &[(&[&str], &str)] = &[
        (
            &[
                "sso session",
                "token has expired",
                "expiredtoken",
                "expired token",
                "session has expired",
            ],
            "the AWS SSO session has expired: run `aws sso login` (with the profile in AWS_PROFILE), then re-run",
        ),
        (
            &[
                "no credentials",
                "credentialsnotloaded",
                "credentials not loaded",
                "no providers in chain",
                "failed to load credentials",
            ],
            "no AWS credentials found: set AWS_PROFILE (and run `aws sso login`), or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
        ),
        (
            &["error parsing xml", "no root element", "invalid json", "unhandled error"],
            "the endpoint answered, but not as AWS does (a proxy in the way, or a wrong AWS_ENDPOINT_URL)",
        ),
        (
            &[
                "dns error",
                "failed to lookup address",
                "name or service not known",
                "connection refused",
                "timed out",
                "timeout",
                "network is unreachable",
                "dispatch failure",
                "io error",
            ],
            "cannot reach AWS (no network, a firewall or proxy, or a wrong AWS_ENDPOINT_URL)",
        ),
    ];
    CAUSES
        .iter()
        .find(|(needles, _)| needles.iter().any(|needle| lower.contains(needle)))
        .map(|(_, cause)| *cause)
}

/// CloudFormation in the workload account.
pub struct CloudFormation(aws_sdk_cloudformation::Client);

impl CloudFormation {
    /// A client for `config`.
    pub fn new(config: &SdkConfig) -> CloudFormation {
        CloudFormation(aws_sdk_cloudformation::Client::new(config))
    }
}

impl Cfn for CloudFormation {
    async fn describe_stack(&self, name: &str) -> Result<Option<LiveStack>> {
        let response = match self.0.describe_stacks().stack_name(name).send().await {
            Ok(response) => response,
            Err(err) => {
                if err
                    .message()
                    .is_some_and(|message| message.contains("does not exist"))
                {
                    return Ok(None);
                }
                return Err(sdk_error(&format!("DescribeStacks {name}"), err));
            }
        };
        let Some(stack) = response.stacks().first() else {
            return Ok(None);
        };
        Ok(Some(LiveStack {
            status: StackStatus::parse(
                stack.stack_status().map(|s| s.as_str()).unwrap_or_default(),
            ),
            status_reason: stack.stack_status_reason().map(str::to_string),
            parameters: stack
                .parameters()
                .iter()
                .filter_map(|p| {
                    Some((
                        p.parameter_key()?.to_string(),
                        p.parameter_value().unwrap_or_default().to_string(),
                    ))
                })
                .collect(),
            outputs: stack
                .outputs()
                .iter()
                .filter_map(|o| {
                    Some((
                        o.output_key()?.to_string(),
                        o.output_value().unwrap_or_default().to_string(),
                    ))
                })
                .collect(),
            tags: stack
                .tags()
                .iter()
                .filter_map(|t| {
                    Some((
                        t.key()?.to_string(),
                        t.value().unwrap_or_default().to_string(),
                    ))
                })
                .collect(),
        }))
    }

    async fn get_template(&self, name: &str) -> Result<String> {
        let response = self
            .0
            .get_template()
            .stack_name(name)
            .send()
            .await
            .map_err(|err| sdk_error(&format!("GetTemplate {name}"), err))?;
        Ok(response.template_body().unwrap_or_default().to_string())
    }

    async fn create_change_set(&self, request: &ChangeSetRequest) -> Result<()> {
        let parameters: Vec<Parameter> = request
            .parameters
            .iter()
            .map(|(key, value)| {
                Parameter::builder()
                    .parameter_key(key)
                    .parameter_value(value)
                    .build()
            })
            .collect();
        let tags: Vec<Tag> = request
            .tags
            .iter()
            .map(|(key, value)| Tag::builder().key(key).value(value).build())
            .collect();
        let (body, url) = match &request.template {
            TemplateSource::Body(body) => (Some(body.clone()), None),
            TemplateSource::Url(url) => (None, Some(url.clone())),
        };
        let result = self
            .0
            .create_change_set()
            .stack_name(&request.stack_name)
            .change_set_name(&request.change_set_name)
            .change_set_type(if request.create {
                ChangeSetType::Create
            } else {
                ChangeSetType::Update
            })
            .set_template_body(body)
            .set_template_url(url)
            .set_parameters(Some(parameters))
            .set_tags(Some(tags))
            .capabilities(Capability::CapabilityIam)
            .capabilities(Capability::CapabilityNamedIam)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // A retry whose first attempt went through: the change set is there.
            Err(err) if format!("{}", DisplayErrorContext(&err)).contains("AlreadyExists") => {
                Ok(())
            }
            Err(err) => Err(sdk_error(
                &format!("CreateChangeSet {}", request.stack_name),
                err,
            )),
        }
    }

    async fn describe_change_set(&self, stack: &str, change_set: &str) -> Result<ChangeSetState> {
        let response = self
            .0
            .describe_change_set()
            .stack_name(stack)
            .change_set_name(change_set)
            .send()
            .await
            .map_err(|err| sdk_error(&format!("DescribeChangeSet {stack}"), err))?;
        Ok(ChangeSetState {
            status: response
                .status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            status_reason: response.status_reason().map(str::to_string),
            execution_status: response
                .execution_status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            n_changes: response.changes().len(),
        })
    }

    async fn execute_change_set(&self, stack: &str, change_set: &str) -> Result<()> {
        self.0
            .execute_change_set()
            .stack_name(stack)
            .change_set_name(change_set)
            .send()
            .await
            .map_err(|err| sdk_error(&format!("ExecuteChangeSet {stack}"), err))?;
        Ok(())
    }

    async fn delete_change_set(&self, stack: &str, change_set: &str) -> Result<()> {
        self.0
            .delete_change_set()
            .stack_name(stack)
            .change_set_name(change_set)
            .send()
            .await
            .map_err(|err| sdk_error(&format!("DeleteChangeSet {stack}"), err))?;
        Ok(())
    }

    async fn stack_events(&self, name: &str, limit: usize) -> Result<Vec<StackEvent>> {
        let response = self
            .0
            .describe_stack_events()
            .stack_name(name)
            .send()
            .await
            .map_err(|err| sdk_error(&format!("DescribeStackEvents {name}"), err))?;
        Ok(response
            .stack_events()
            .iter()
            .take(limit)
            .map(|event| StackEvent {
                id: event.event_id().unwrap_or_default().to_string(),
                logical_id: event.logical_resource_id().unwrap_or_default().to_string(),
                resource_type: event.resource_type().unwrap_or_default().to_string(),
                physical_id: event
                    .physical_resource_id()
                    .filter(|id| !id.is_empty())
                    .map(str::to_string),
                status: event
                    .resource_status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                reason: event.resource_status_reason().map(str::to_string),
                timestamp: event.timestamp().map(|t| t.to_string()).unwrap_or_default(),
            })
            .collect())
    }

    async fn delete_stack(&self, name: &str) -> Result<()> {
        self.0
            .delete_stack()
            .stack_name(name)
            .send()
            .await
            .map_err(|err| sdk_error(&format!("DeleteStack {name}"), err))?;
        Ok(())
    }
}

/// STS: who am I, and the delegation role.
pub struct Sts {
    client: aws_sdk_sts::Client,
    /// The first call of a run, with fewer attempts: without credentials or a network it
    /// should say so in seconds (throttling on GetCallerIdentity is rare).
    first: aws_sdk_sts::Client,
    config: SdkConfig,
}

/// Attempts of the account check.
const FIRST_CALL_ATTEMPTS: u32 = 2;

impl Sts {
    /// A client for `config`.
    pub fn new(config: &SdkConfig) -> Sts {
        let first = aws_sdk_sts::config::Builder::from(config)
            .retry_config(RetryConfig::standard().with_max_attempts(FIRST_CALL_ATTEMPTS))
            .build();
        Sts {
            client: aws_sdk_sts::Client::new(config),
            first: aws_sdk_sts::Client::from_conf(first),
            config: config.clone(),
        }
    }
}

impl Identity for Sts {
    async fn account(&self) -> Result<String> {
        let response = self
            .first
            .get_caller_identity()
            .send()
            .await
            .map_err(|err| sdk_error("GetCallerIdentity", err))?;
        response
            .account()
            .map(str::to_string)
            .ok_or_else(|| anyhow!("GetCallerIdentity returned no account"))
    }

    async fn arn(&self) -> Result<String> {
        let response = self
            .client
            .get_caller_identity()
            .send()
            .await
            .map_err(|err| sdk_error("GetCallerIdentity", err))?;
        response
            .arn()
            .map(str::to_string)
            .ok_or_else(|| anyhow!("GetCallerIdentity returned no ARN"))
    }

    async fn eks_token(&self, cluster: &str) -> Result<String> {
        use aws_credential_types::provider::ProvideCredentials;
        let provider = self
            .config
            .credentials_provider()
            .ok_or_else(|| anyhow!("no AWS credentials to sign the EKS token with"))?;
        let credentials = provider.provide_credentials().await.map_err(|err| {
            anyhow!(
                "cannot load AWS credentials for the EKS token: {}",
                DisplayErrorContext(err)
            )
        })?;
        let region = self
            .config
            .region()
            .ok_or_else(|| anyhow!("no region for the EKS token"))?;
        eks_token(
            credentials,
            region.as_ref(),
            cluster,
            std::time::SystemTime::now(),
        )
    }
}

/// STS's regional endpoint host, which EKS asks to check a token.
fn sts_host(region: &str) -> String {
    if region.starts_with("cn-") {
        format!("sts.{region}.amazonaws.com.cn")
    } else {
        format!("sts.{region}.amazonaws.com")
    }
}

/// RFC 3986 percent-encoding of a query value (what SigV4's canonical query uses).
fn uri_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// base64url without padding (RFC 4648 §5).
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

/// The bearer token EKS takes for `cluster`, as aws-iam-authenticator and `aws eks
/// get-token` make it: `k8s-aws-v1.` and the base64url (no padding) of a GetCallerIdentity
/// URL on the region's STS endpoint, presigned (SigV4 in the query, valid 60 seconds) with
/// the header `x-k8s-aws-id: <cluster>` signed. EKS calls the URL to learn who signed it.
pub fn eks_token(
    credentials: aws_credential_types::Credentials,
    region: &str,
    cluster: &str,
    now: std::time::SystemTime,
) -> Result<String> {
    use aws_sigv4::http_request::{
        sign, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
    };
    use aws_sigv4::sign::v4;
    let identity = credentials.into();
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(std::time::Duration::from_secs(60));
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("sts")
        .time(now)
        .settings(settings)
        .build()
        .context("EKS token: signing parameters")?
        .into();
    let mut url = format!(
        "https://{}/?Action=GetCallerIdentity&Version=2011-06-15",
        sts_host(region)
    );
    let request = SignableRequest::new(
        "GET",
        &url,
        std::iter::once(("x-k8s-aws-id", cluster)),
        SignableBody::Bytes(&[]),
    )
    .context("EKS token: the request to sign")?;
    let (instructions, _signature) = sign(request, &params)
        .context("EKS token: signing")?
        .into_parts();
    for (name, value) in instructions.params() {
        url.push('&');
        url.push_str(name);
        url.push('=');
        url.push_str(&uri_encode(value));
    }
    Ok(format!("k8s-aws-v1.{}", base64url(url.as_bytes())))
}

/// The Resource Groups Tagging API in the workload account.
pub struct ResourceTagging(aws_sdk_resourcegroupstagging::Client);

impl Tagging for ResourceTagging {
    async fn tagged(&self, key: &str, value: Option<&str>) -> Result<Vec<String>> {
        let filter = aws_sdk_resourcegroupstagging::types::TagFilter::builder()
            .key(key)
            .set_values(value.map(|value| vec![value.to_string()]))
            .build();
        let mut arns = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let response = self
                .0
                .get_resources()
                .tag_filters(filter.clone())
                .set_pagination_token(token.take())
                .send()
                .await
                .map_err(|err| sdk_error(&format!("GetResources {key}"), err))?;
            arns.extend(
                response
                    .resource_tag_mapping_list()
                    .iter()
                    .filter_map(|mapping| mapping.resource_arn().map(str::to_string)),
            );
            match response.pagination_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_string()),
                _ => return Ok(arns),
            }
        }
    }
}

/// ECR's API.
pub struct Ecr(aws_sdk_ecr::Client);

impl Registry for Ecr {
    async fn repository_exists(&self, repository: &str) -> Result<bool> {
        match self
            .0
            .describe_repositories()
            .repository_names(repository)
            .send()
            .await
        {
            Ok(answer) => Ok(!answer.repositories().is_empty()),
            Err(err) if err.code() == Some("RepositoryNotFoundException") => Ok(false),
            Err(err) => Err(sdk_error(
                &format!("DescribeRepositories {repository}"),
                err,
            )),
        }
    }

    async fn image_state(
        &self,
        repository: &str,
        image: crate::stacks::images::ImageId<'_>,
    ) -> Result<ImageState> {
        use crate::stacks::images::ImageId;
        let id = match image {
            ImageId::Tag(tag) => aws_sdk_ecr::types::ImageIdentifier::builder().image_tag(tag),
            ImageId::Digest(digest) => {
                aws_sdk_ecr::types::ImageIdentifier::builder().image_digest(digest)
            }
        }
        .build();
        match self
            .0
            .describe_images()
            .repository_name(repository)
            .image_ids(id)
            .send()
            .await
        {
            // A digest pins what is there only while a tag holds it: untagged images expire.
            Ok(answer)
                if matches!(image, ImageId::Digest(_))
                    && !answer.image_details().is_empty()
                    && answer
                        .image_details()
                        .iter()
                        .all(|detail| detail.image_tags().is_empty()) =>
            {
                Ok(ImageState::Untagged)
            }
            Ok(answer) if !answer.image_details().is_empty() => Ok(ImageState::Present),
            Ok(_) => Ok(ImageState::Missing),
            Err(err) => match err.code() {
                Some("ImageNotFoundException") => Ok(ImageState::Missing),
                Some("RepositoryNotFoundException") => Ok(ImageState::NoRepository),
                _ => Err(sdk_error(&format!("DescribeImages {repository}"), err)),
            },
        }
    }
}

impl AssumeRole for Sts {
    type ParentDns = Route53;

    async fn assume(&self, role_arn: &str) -> Result<Route53> {
        let ask = |client: &aws_sdk_sts::Client| {
            client
                .assume_role()
                .role_arn(role_arn)
                .role_session_name("hubctl-delegation")
                .duration_seconds(900)
                .send()
        };
        let response = match ask(&self.client).await {
            // STS issues credentials in a region only if the account that issues them (the
            // parent DNS account) has it enabled, and an opt-in region the workload uses may
            // not be. Then, and only then, ask a region every account has: asking the
            // workload's region first keeps working a configured STS endpoint, a
            // region-restricting SCP or a private network that allow only that region.
            Err(err) if err.code() == Some("RegionDisabledException") => {
                let partition = role_arn.split(':').nth(1).unwrap_or("aws");
                let fallback = aws_sdk_sts::Client::from_conf(
                    aws_sdk_sts::config::Builder::from(&self.config)
                        .region(Region::new(default_region(partition)))
                        .build(),
                );
                ask(&fallback).await.map_err(|err| {
                    sdk_error(
                        &format!("AssumeRole {role_arn} (in {}, after the parent account refused the workload's region)", default_region(partition)),
                        err,
                    )
                })?
            }
            Err(err) => return Err(sdk_error(&format!("AssumeRole {role_arn}"), err)),
            Ok(response) => response,
        };
        let credentials = response
            .credentials()
            .ok_or_else(|| anyhow!("AssumeRole {role_arn} returned no credentials"))?;
        let provider = aws_sdk_route53::config::Credentials::new(
            credentials.access_key_id(),
            credentials.secret_access_key(),
            Some(credentials.session_token().to_string()),
            None,
            "hubctl-delegation",
        );
        let config = aws_sdk_route53::config::Builder::from(&self.config)
            .credentials_provider(provider)
            .build();
        Ok(Route53(aws_sdk_route53::Client::from_conf(config)))
    }
}

/// A region enabled by default in every account of `partition`.
pub fn default_region(partition: &str) -> &'static str {
    match partition {
        "aws-cn" => "cn-north-1",
        "aws-us-gov" => "us-gov-west-1",
        _ => "us-east-1",
    }
}

/// Route 53 (in the workload account, or in the parent account through the assumed role).
pub struct Route53(aws_sdk_route53::Client);

impl Route53 {
    /// A client for `config`.
    pub fn new(config: &SdkConfig) -> Route53 {
        Route53(aws_sdk_route53::Client::new(config))
    }
}

fn fqdn(name: &str) -> String {
    format!("{}.", name.trim_end_matches('.'))
}

impl Dns for Route53 {
    async fn name_servers(&self, zone_id: &str) -> Result<Vec<String>> {
        let response = self
            .0
            .get_hosted_zone()
            .id(zone_id)
            .send()
            .await
            .map_err(|err| sdk_error(&format!("GetHostedZone {zone_id}"), err))?;
        Ok(response
            .delegation_set()
            .map(|set| set.name_servers().to_vec())
            .unwrap_or_default())
    }

    async fn public_zones_named(&self, name: &str) -> Result<Vec<String>> {
        let response = self
            .0
            .list_hosted_zones_by_name()
            .dns_name(fqdn(name))
            .max_items(100)
            .send()
            .await
            .map_err(|err| sdk_error(&format!("ListHostedZonesByName {name}"), err))?;
        Ok(response
            .hosted_zones()
            .iter()
            .filter(|zone| zone.name().eq_ignore_ascii_case(&fqdn(name)))
            .filter(|zone| !zone.config().is_some_and(|config| config.private_zone()))
            .map(|zone| zone.id().trim_start_matches("/hostedzone/").to_string())
            .collect())
    }

    async fn ns_record(&self, zone_id: &str, name: &str) -> Result<Option<(i64, Vec<String>)>> {
        let response = self
            .0
            .list_resource_record_sets()
            .hosted_zone_id(zone_id)
            .start_record_name(fqdn(name))
            .start_record_type(RrType::Ns)
            .max_items(1)
            .send()
            .await
            .map_err(|err| sdk_error(&format!("ListResourceRecordSets {zone_id}"), err))?;
        Ok(response
            .resource_record_sets()
            .iter()
            .find(|set| set.name().eq_ignore_ascii_case(&fqdn(name)) && set.r#type() == &RrType::Ns)
            .map(|set| {
                (
                    set.ttl().unwrap_or_default(),
                    set.resource_records()
                        .iter()
                        .map(|r| r.value().to_string())
                        .collect(),
                )
            }))
    }

    async fn change_ns(
        &self,
        zone_id: &str,
        name: &str,
        change: NsChange,
        ttl: i64,
        values: &[String],
    ) -> Result<String> {
        let records = values
            .iter()
            .map(|value| {
                ResourceRecord::builder()
                    .value(value)
                    .build()
                    .context("NS value")
            })
            .collect::<Result<Vec<_>>>()?;
        let set = ResourceRecordSet::builder()
            .name(fqdn(name))
            .r#type(RrType::Ns)
            .ttl(ttl)
            .set_resource_records(Some(records))
            .build()
            .context("NS record")?;
        let action = match change {
            NsChange::Upsert => ChangeAction::Upsert,
            NsChange::Delete => ChangeAction::Delete,
        };
        let batch = ChangeBatch::builder()
            .comment(format!("hubctl: delegation of {name}"))
            .changes(
                Change::builder()
                    .action(action)
                    .resource_record_set(set)
                    .build()
                    .context("NS change")?,
            )
            .build()
            .context("NS change batch")?;
        let response = self
            .0
            .change_resource_record_sets()
            .hosted_zone_id(zone_id)
            .change_batch(batch)
            .send()
            .await
            .map_err(|err| sdk_error(&format!("ChangeResourceRecordSets {name}"), err))?;
        Ok(response
            .change_info()
            .map(|info| info.id().to_string())
            .unwrap_or_default())
    }

    async fn records(&self, zone_id: &str) -> Result<Vec<Record>> {
        let mut records = Vec::new();
        let mut start: Option<(String, RrType, Option<String>)> = None;
        loop {
            let mut request = self.0.list_resource_record_sets().hosted_zone_id(zone_id);
            if let Some((name, kind, identifier)) = start.take() {
                request = request
                    .start_record_name(name)
                    .start_record_type(kind)
                    .set_start_record_identifier(identifier);
            }
            let response = request
                .send()
                .await
                .map_err(|err| sdk_error(&format!("ListResourceRecordSets {zone_id}"), err))?;
            // Only simple records: a weighted or latency record (with a set identifier) is
            // nothing hubctl or CloudFormation's validation writes.
            for set in response
                .resource_record_sets()
                .iter()
                .filter(|set| set.set_identifier().is_none())
            {
                records.push(Record {
                    name: set.name().to_string(),
                    kind: set.r#type().as_str().to_string(),
                    ttl: set.ttl().unwrap_or_default(),
                    values: set
                        .resource_records()
                        .iter()
                        .map(|r| r.value().to_string())
                        .collect(),
                });
            }
            match (
                response.is_truncated(),
                response.next_record_name(),
                response.next_record_type(),
            ) {
                // Records of one name and type page on by their identifier.
                (true, Some(name), Some(kind)) => {
                    start = Some((
                        name.to_string(),
                        kind.clone(),
                        response.next_record_identifier().map(str::to_string),
                    ))
                }
                _ => return Ok(records),
            }
        }
    }

    async fn delete_record(&self, zone_id: &str, record: &Record) -> Result<String> {
        let values = record
            .values
            .iter()
            .map(|value| {
                ResourceRecord::builder()
                    .value(value)
                    .build()
                    .context("record value")
            })
            .collect::<Result<Vec<_>>>()?;
        let set = ResourceRecordSet::builder()
            .name(&record.name)
            .r#type(RrType::from(record.kind.as_str()))
            .ttl(record.ttl)
            .set_resource_records(Some(values))
            .build()
            .context("record")?;
        let batch = ChangeBatch::builder()
            .comment("hubctl destroy: a record CloudFormation left in the zone")
            .changes(
                Change::builder()
                    .action(ChangeAction::Delete)
                    .resource_record_set(set)
                    .build()
                    .context("record change")?,
            )
            .build()
            .context("record change batch")?;
        let response = self
            .0
            .change_resource_record_sets()
            .hosted_zone_id(zone_id)
            .change_batch(batch)
            .send()
            .await
            .map_err(|err| sdk_error(&format!("ChangeResourceRecordSets {}", record.name), err))?;
        Ok(response
            .change_info()
            .map(|info| info.id().to_string())
            .unwrap_or_default())
    }

    async fn change_in_sync(&self, change_id: &str) -> Result<bool> {
        let response = self
            .0
            .get_change()
            .id(change_id)
            .send()
            .await
            .map_err(|err| sdk_error(&format!("GetChange {change_id}"), err))?;
        Ok(response
            .change_info()
            .is_some_and(|info| info.status() == &ChangeStatus::Insync))
    }
}

/// ECS in the workload account (the hub's cluster).
pub struct Ecs(aws_sdk_ecs::Client);

/// True for ECS's answer that the cluster is gone (nothing left to stop).
fn cluster_missing<E: ProvideErrorMetadata>(err: &E) -> bool {
    err.code() == Some("ClusterNotFoundException")
}

impl Tasks for Ecs {
    async fn services(&self, cluster: &str) -> Result<Vec<Service>> {
        let mut arns = Vec::new();
        // The SDK's paginator, as for the template bucket's keys.
        let mut pages = self
            .0
            .list_services()
            .cluster(cluster)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            match page {
                Ok(page) => arns.extend(page.service_arns().iter().cloned()),
                Err(err) if err.as_service_error().is_some_and(cluster_missing) => {
                    return Ok(Vec::new())
                }
                Err(err) => return Err(sdk_error(&format!("ListServices {cluster}"), err)),
            }
        }
        let mut services = Vec::new();
        // DescribeServices takes at most 10 services a call.
        for chunk in arns.chunks(10) {
            let response = self
                .0
                .describe_services()
                .cluster(cluster)
                .set_services(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(|err| sdk_error(&format!("DescribeServices {cluster}"), err))?;
            for service in response.services() {
                services.push(Service {
                    arn: service.service_arn().unwrap_or_default().to_string(),
                    desired: service.desired_count(),
                    running: service.running_count(),
                    pending: service.pending_count(),
                });
            }
        }
        Ok(services)
    }

    async fn set_desired(&self, cluster: &str, service: &str, count: i32) -> Result<()> {
        self.0
            .update_service()
            .cluster(cluster)
            .service(service)
            .desired_count(count)
            .send()
            .await
            .map_err(|err| sdk_error(&format!("UpdateService {service}"), err))?;
        Ok(())
    }

    async fn tasks(&self, cluster: &str) -> Result<Vec<Task>> {
        let mut arns = Vec::new();
        // Running and stopping tasks are listed by their desired status, so both lists.
        for desired in [
            aws_sdk_ecs::types::DesiredStatus::Running,
            aws_sdk_ecs::types::DesiredStatus::Stopped,
        ] {
            let mut pages = self
                .0
                .list_tasks()
                .cluster(cluster)
                .desired_status(desired)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                match page {
                    Ok(page) => arns.extend(page.task_arns().iter().cloned()),
                    Err(err) if err.as_service_error().is_some_and(cluster_missing) => {
                        return Ok(Vec::new())
                    }
                    Err(err) => return Err(sdk_error(&format!("ListTasks {cluster}"), err)),
                }
            }
        }
        let mut tasks = Vec::new();
        // DescribeTasks takes at most 100 tasks a call.
        for chunk in arns.chunks(100) {
            let response = self
                .0
                .describe_tasks()
                .cluster(cluster)
                .set_tasks(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(|err| sdk_error(&format!("DescribeTasks {cluster}"), err))?;
            for task in response.tasks() {
                tasks.push(Task {
                    arn: task.task_arn().unwrap_or_default().to_string(),
                    group: task.group().unwrap_or_default().to_string(),
                    started_by: task.started_by().unwrap_or_default().to_string(),
                    last_status: task.last_status().unwrap_or_default().to_string(),
                    desired_status: task.desired_status().unwrap_or_default().to_string(),
                });
            }
        }
        Ok(tasks)
    }

    async fn stop_task(&self, cluster: &str, arn: &str, reason: &str) -> Result<()> {
        self.0
            .stop_task()
            .cluster(cluster)
            .task(arn)
            .reason(reason)
            .send()
            .await
            .map_err(|err| sdk_error(&format!("StopTask {arn}"), err))?;
        Ok(())
    }
}

/// S3 in the workload account (the frame stack's template bucket).
pub struct S3(aws_sdk_s3::Client);

impl S3 {
    /// A client for `config`. With a custom endpoint (`AWS_ENDPOINT_URL`, a local test
    /// server) buckets are addressed by path, since `<bucket>.127.0.0.1` does not resolve.
    pub fn new(config: &SdkConfig) -> S3 {
        let s3_config = aws_sdk_s3::config::Builder::from(config)
            .force_path_style(config.endpoint_url().is_some())
            .build();
        S3(aws_sdk_s3::Client::from_conf(s3_config))
    }
}

impl Artifacts for S3 {
    async fn put(&self, bucket: &str, key: &str, body: &str) -> Result<()> {
        self.0
            .put_object()
            .bucket(bucket)
            .key(key)
            .content_type("application/json")
            .body(aws_sdk_s3::primitives::ByteStream::from(
                body.as_bytes().to_vec(),
            ))
            .send()
            .await
            .map_err(|err| sdk_error(&format!("PutObject s3://{bucket}/{key}"), err))?;
        Ok(())
    }

    async fn delete(&self, bucket: &str, key: &str) -> Result<()> {
        self.0
            .delete_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|err| sdk_error(&format!("DeleteObject s3://{bucket}/{key}"), err))?;
        Ok(())
    }

    async fn keys(&self, bucket: &str) -> Result<Vec<String>> {
        let mut keys = Vec::new();
        let mut pages = self
            .0
            .list_objects_v2()
            .bucket(bucket)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = match page {
                Ok(page) => page,
                // Gone already (a destroy re-run after CloudFormation removed it): empty.
                Err(err) if err.code() == Some("NoSuchBucket") => return Ok(Vec::new()),
                Err(err) => return Err(sdk_error(&format!("ListObjectsV2 {bucket}"), err)),
            };
            keys.extend(
                page.contents()
                    .iter()
                    .filter_map(|object| object.key().map(str::to_string)),
            );
        }
        Ok(keys)
    }
}

/// ACM in the workload account.
pub struct Acm(aws_sdk_acm::Client);

impl Acm {
    /// A client for `config`.
    pub fn new(config: &SdkConfig) -> Acm {
        Acm(aws_sdk_acm::Client::new(config))
    }
}

impl Certificates for Acm {
    async fn validation(&self, arn: &str) -> Result<CertificateState> {
        let response = self
            .0
            .describe_certificate()
            .certificate_arn(arn)
            .send()
            .await
            .map_err(|err| sdk_error(&format!("DescribeCertificate {arn}"), err))?;
        let certificate = response
            .certificate()
            .ok_or_else(|| anyhow!("DescribeCertificate {arn}: no certificate in the answer"))?;
        Ok(CertificateState {
            status: certificate
                .status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            failure_reason: certificate.failure_reason().map(|r| r.as_str().to_string()),
            validations: certificate
                .domain_validation_options()
                .iter()
                .map(|option| DomainValidation {
                    domain: option.domain_name().to_string(),
                    status: option
                        .validation_status()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default(),
                    record: option
                        .resource_record()
                        .map(|r| (r.name().to_string(), r.value().to_string())),
                })
                .collect(),
        })
    }
}

/// Cognito user pools, for `hubctl users` (the environment's region, where the config holds
/// an existing pool too).
pub struct Cognito(aws_sdk_cognitoidentityprovider::Client);

impl Cognito {
    /// A client for `config`.
    pub fn new(config: &SdkConfig) -> Cognito {
        Cognito(aws_sdk_cognitoidentityprovider::Client::new(config))
    }
}

/// The most users one ListUsers page holds (Cognito's maximum).
const USERS_PER_PAGE: i32 = 60;

impl super::api::Directory for Cognito {
    async fn username_attributes(&self, pool_id: &str) -> Result<Vec<String>> {
        let response = self
            .0
            .describe_user_pool()
            .user_pool_id(pool_id)
            .send()
            .await
            .map_err(|err| sdk_error(&format!("DescribeUserPool {pool_id}"), err))?;
        Ok(response
            .user_pool()
            .map(|pool| {
                pool.username_attributes()
                    .iter()
                    .map(|attribute| attribute.as_str().to_string())
                    .collect()
            })
            .unwrap_or_default())
    }

    async fn list_users(&self, pool_id: &str, token: Option<&str>) -> Result<super::api::UserPage> {
        let response = self
            .0
            .list_users()
            .user_pool_id(pool_id)
            .limit(USERS_PER_PAGE)
            .set_pagination_token(token.map(str::to_string))
            .send()
            .await
            .map_err(|err| sdk_error(&format!("ListUsers {pool_id}"), err))?;
        let users = response
            .users()
            .iter()
            .filter_map(|user| {
                Some(super::api::PoolUser {
                    username: user.username()?.to_string(),
                    email: user
                        .attributes()
                        .iter()
                        .find(|attribute| attribute.name() == "email")
                        .and_then(|attribute| attribute.value())
                        .map(str::to_string),
                    status: user
                        .user_status()
                        .map(|status| status.as_str().to_string())
                        .unwrap_or_default(),
                    enabled: user.enabled(),
                })
            })
            .collect();
        Ok(super::api::UserPage {
            users,
            next: response.pagination_token().map(str::to_string),
        })
    }

    async fn invite(
        &self,
        pool_id: &str,
        username: &str,
        email: &str,
    ) -> Result<super::api::Invitation> {
        use aws_sdk_cognitoidentityprovider::types::{AttributeType, DeliveryMediumType};
        let attribute = |name: &str, value: &str| {
            AttributeType::builder()
                .name(name)
                .value(value)
                .build()
                .context("an attribute needs a name")
        };
        // No TemporaryPassword and no MessageAction: Cognito makes the password and sends
        // the pool's invitation to the verified address.
        let result = self
            .0
            .admin_create_user()
            .user_pool_id(pool_id)
            .username(username)
            .user_attributes(attribute("email", email)?)
            .user_attributes(attribute("email_verified", "true")?)
            .desired_delivery_mediums(DeliveryMediumType::Email)
            .send()
            .await;
        match result {
            Ok(_) => Ok(super::api::Invitation::Sent),
            Err(err) => match err.code() {
                Some("UsernameExistsException") => Ok(super::api::Invitation::AlreadyThere),
                Some("LimitExceededException") => Ok(super::api::Invitation::LimitExceeded(
                    err.message()
                        .unwrap_or("LimitExceededException")
                        .to_string(),
                )),
                _ => Err(sdk_error(
                    &format!("AdminCreateUser {username} in {pool_id}"),
                    err,
                )),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn base64url_decode(text: &str) -> Vec<u8> {
        let value = |c: u8| -> u32 {
            match c {
                b'A'..=b'Z' => u32::from(c - b'A'),
                b'a'..=b'z' => u32::from(c - b'a') + 26,
                b'0'..=b'9' => u32::from(c - b'0') + 52,
                b'-' => 62,
                b'_' => 63,
                other => panic!("not base64url: {}", char::from(other)),
            }
        };
        let mut out = Vec::new();
        for chunk in text.as_bytes().chunks(4) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, c)| n | value(*c) << (18 - 6 * i));
            for i in 0..chunk.len() - 1 {
                out.push((n >> (16 - 8 * i)) as u8);
            }
        }
        out
    }

    #[test]
    fn base64url_has_no_padding_and_round_trips() {
        for text in ["", "f", "fo", "foo", "foob", "fooba", "foobar", "?>?~"] {
            let encoded = base64url(text.as_bytes());
            assert!(!encoded.contains('='), "{encoded}");
            assert_eq!(base64url_decode(&encoded), text.as_bytes(), "{text}");
        }
        assert_eq!(base64url(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64url(b"\xfb\xff"), "-_8");
    }

    #[test]
    fn the_eks_token_is_a_presigned_get_caller_identity_for_the_cluster() {
        let credentials = aws_credential_types::Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            Some("session/token+with=odd".to_string()),
            None,
            "test",
        );
        let now = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_767_225_600);
        let token = eks_token(credentials, "eu-west-1", "jhub-eks-dev", now).unwrap();
        let body = token.strip_prefix("k8s-aws-v1.").expect("the prefix");
        assert!(!body.contains('=') && !body.contains('+') && !body.contains('/'));
        let url = String::from_utf8(base64url_decode(body)).unwrap();
        let rest = url
            .strip_prefix("https://sts.eu-west-1.amazonaws.com/?")
            .unwrap_or_else(|| panic!("{url}"));
        let query: BTreeMap<&str, &str> = rest
            .split('&')
            .map(|pair| pair.split_once('=').expect("name=value"))
            .collect();
        assert_eq!(query["Action"], "GetCallerIdentity");
        assert_eq!(query["Version"], "2011-06-15");
        assert_eq!(query["X-Amz-Algorithm"], "AWS4-HMAC-SHA256");
        assert_eq!(query["X-Amz-Expires"], "60");
        assert_eq!(query["X-Amz-Date"], "20260101T000000Z");
        assert_eq!(
            query["X-Amz-Credential"],
            "AKIDEXAMPLE%2F20260101%2Feu-west-1%2Fsts%2Faws4_request"
        );
        let signed = query["X-Amz-SignedHeaders"].replace("%3B", ";");
        assert_eq!(signed, "host;x-k8s-aws-id");
        assert_eq!(
            query["X-Amz-Security-Token"],
            "session%2Ftoken%2Bwith%3Dodd"
        );
        assert_eq!(query["X-Amz-Signature"].len(), 64);
        // Signed for this cluster: another name gives another signature.
        let other = eks_token(
            aws_credential_types::Credentials::new(
                "AKIDEXAMPLE",
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                Some("session/token+with=odd".to_string()),
                None,
                "test",
            ),
            "eu-west-1",
            "another",
            now,
        )
        .unwrap();
        assert_ne!(token, other);
        // China's partition has its own STS domain.
        let china = eks_token(
            aws_credential_types::Credentials::new("AKID", "secret", None, None, "test"),
            "cn-north-1",
            "c",
            now,
        )
        .unwrap();
        let url = String::from_utf8(base64url_decode(&china["k8s-aws-v1.".len()..])).unwrap();
        assert!(
            url.starts_with("https://sts.cn-north-1.amazonaws.com.cn/?Action=GetCallerIdentity&"),
            "{url}"
        );
        assert!(!url.contains("X-Amz-Security-Token"), "{url}");
    }
}
