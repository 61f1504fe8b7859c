//! The few AWS calls deploy and destroy make, and the `kubectl` and `helm` runs of an EKS
//! environment, as small hubctl-shaped traits.
//!
//! The engine (`changeset`, `delegation`, `mod`) is written against these traits, so its
//! sequencing — event streams, failures, rollbacks, slow changes — is tested with scripted
//! fakes, and the real implementations (`aws`) are proven end to end against `moto_server`.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;

use anyhow::Result;

/// A stack's status, as far as deploy and destroy act on it (CloudFormation User Guide,
/// "Stack status codes").
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum StackStatus {
    /// `CREATE_COMPLETE`.
    CreateComplete,
    /// `UPDATE_COMPLETE`.
    UpdateComplete,
    /// `DELETE_COMPLETE`.
    DeleteComplete,
    /// `ROLLBACK_COMPLETE`: the first creation failed; the stack can only be deleted.
    RollbackComplete,
    /// `REVIEW_IN_PROGRESS`: made by a change set that never ran; the next one creates it.
    ReviewInProgress,
    /// `UPDATE_ROLLBACK_FAILED`, `ROLLBACK_FAILED`, `DELETE_FAILED`,
    /// `IMPORT_ROLLBACK_FAILED`: waits for a person.
    Stuck(String),
    /// Any other `..._IN_PROGRESS`: an operation is running.
    InProgress(String),
    /// Any other resting status (`UPDATE_ROLLBACK_COMPLETE`, `CREATE_FAILED`, ...).
    Other(String),
    /// No status reported.
    #[default]
    Unknown,
}

impl StackStatus {
    /// The status CloudFormation reports as `code`.
    pub fn parse(code: &str) -> StackStatus {
        match code {
            "CREATE_COMPLETE" => StackStatus::CreateComplete,
            "UPDATE_COMPLETE" => StackStatus::UpdateComplete,
            "DELETE_COMPLETE" => StackStatus::DeleteComplete,
            "ROLLBACK_COMPLETE" => StackStatus::RollbackComplete,
            "REVIEW_IN_PROGRESS" => StackStatus::ReviewInProgress,
            "UPDATE_ROLLBACK_FAILED"
            | "ROLLBACK_FAILED"
            | "DELETE_FAILED"
            | "IMPORT_ROLLBACK_FAILED" => StackStatus::Stuck(code.to_string()),
            "" => StackStatus::Unknown,
            code if code.ends_with("_IN_PROGRESS") => StackStatus::InProgress(code.to_string()),
            code => StackStatus::Other(code.to_string()),
        }
    }

    /// CloudFormation's code.
    pub fn as_str(&self) -> &str {
        match self {
            StackStatus::CreateComplete => "CREATE_COMPLETE",
            StackStatus::UpdateComplete => "UPDATE_COMPLETE",
            StackStatus::DeleteComplete => "DELETE_COMPLETE",
            StackStatus::RollbackComplete => "ROLLBACK_COMPLETE",
            StackStatus::ReviewInProgress => "REVIEW_IN_PROGRESS",
            StackStatus::Stuck(code) | StackStatus::InProgress(code) | StackStatus::Other(code) => {
                code
            }
            StackStatus::Unknown => "",
        }
    }

    /// An operation is running (someone else's, or the one being followed).
    pub fn is_in_progress(&self) -> bool {
        matches!(self, StackStatus::InProgress(_))
    }
}

impl std::fmt::Display for StackStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stack as CloudFormation reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LiveStack {
    /// Its status.
    pub status: StackStatus,
    /// Why it is in that status, when CloudFormation says.
    pub status_reason: Option<String>,
    /// Parameter values.
    pub parameters: BTreeMap<String, String>,
    /// Outputs.
    pub outputs: BTreeMap<String, String>,
    /// Stack tags.
    pub tags: BTreeMap<String, String>,
}

/// What a change set request asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeSetRequest {
    /// The stack.
    pub stack_name: String,
    /// A name for the change set.
    pub change_set_name: String,
    /// `true` for a new stack.
    pub create: bool,
    /// The template.
    pub template: TemplateSource,
    /// Parameter values.
    pub parameters: BTreeMap<String, String>,
    /// Stack tags.
    pub tags: BTreeMap<String, String>,
}

/// Where CloudFormation reads a template from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TemplateSource {
    /// Sent inline (compact JSON, at most 51,200 bytes).
    Body(String),
    /// Staged in S3 (up to 1 MB).
    Url(String),
}

/// A change set's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeSetState {
    /// `CREATE_PENDING`, `CREATE_IN_PROGRESS`, `CREATE_COMPLETE`, `FAILED`, ...
    pub status: String,
    /// Why, when `FAILED`.
    pub status_reason: Option<String>,
    /// `AVAILABLE`, `EXECUTE_IN_PROGRESS`, `EXECUTE_COMPLETE`, ... (may be empty).
    pub execution_status: String,
    /// Number of resource changes.
    pub n_changes: usize,
}

/// One stack event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackEvent {
    /// Unique id (events are listed newest first).
    pub id: String,
    /// Logical id of the resource (the stack's own name for stack-level events).
    pub logical_id: String,
    /// Resource type.
    pub resource_type: String,
    /// The resource's physical id, once it has one (a certificate's ARN, ...).
    pub physical_id: Option<String>,
    /// `CREATE_IN_PROGRESS`, `CREATE_FAILED`, ...
    pub status: String,
    /// Why, when CloudFormation says.
    pub reason: Option<String>,
    /// When, as CloudFormation reports it (RFC 3339).
    pub timestamp: String,
}

/// CloudFormation, as the engine uses it.
pub trait Cfn: Sync {
    /// The stack, or `None` when it does not exist.
    fn describe_stack(&self, name: &str) -> impl Future<Output = Result<Option<LiveStack>>> + Send;
    /// The deployed template body.
    fn get_template(&self, name: &str) -> impl Future<Output = Result<String>> + Send;
    /// Creates a change set (named in the request; a retry of the same request is not an
    /// error).
    fn create_change_set(
        &self,
        request: &ChangeSetRequest,
    ) -> impl Future<Output = Result<()>> + Send;
    /// The state of change set `change_set` of `stack`.
    fn describe_change_set(
        &self,
        stack: &str,
        change_set: &str,
    ) -> impl Future<Output = Result<ChangeSetState>> + Send;
    /// Runs the change set.
    fn execute_change_set(
        &self,
        stack: &str,
        change_set: &str,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Deletes a change set that will not run.
    fn delete_change_set(
        &self,
        stack: &str,
        change_set: &str,
    ) -> impl Future<Output = Result<()>> + Send;
    /// The stack's events, newest first (at most `limit`).
    fn stack_events(
        &self,
        name: &str,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<StackEvent>>> + Send;
    /// Starts deleting the stack.
    fn delete_stack(&self, name: &str) -> impl Future<Output = Result<()>> + Send;
}

/// The caller's identity.
pub trait Identity: Sync {
    /// The account of the credentials in use.
    fn account(&self) -> impl Future<Output = Result<String>> + Send;
    /// The ARN GetCallerIdentity gives for the credentials in use (an IAM user's ARN, or
    /// `arn:aws:sts::<account>:assumed-role/<name>/<session>`).
    fn arn(&self) -> impl Future<Output = Result<String>> + Send;
    /// A bearer token for EKS cluster `cluster`, as `aws eks get-token` makes it: a
    /// presigned STS GetCallerIdentity URL (with the signed header `x-k8s-aws-id: <cluster>`)
    /// in base64url, after `k8s-aws-v1.`. Signing is local: no call is made.
    fn eks_token(&self, cluster: &str) -> impl Future<Output = Result<String>> + Send;
}

/// An NS record change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NsChange {
    /// Create or replace.
    Upsert,
    /// Remove.
    Delete,
}

/// Route 53, as the delegation uses it (in the workload account for the subzone's name
/// servers, in the parent account through the assumed role for the NS record).
pub trait Dns: Sync {
    /// The name servers Route 53 assigned to a hosted zone.
    fn name_servers(&self, zone_id: &str) -> impl Future<Output = Result<Vec<String>>> + Send;
    /// Public hosted zones named exactly `name` (zone ids).
    fn public_zones_named(&self, name: &str) -> impl Future<Output = Result<Vec<String>>> + Send;
    /// The NS record `name` in the zone: (TTL, values), or `None`.
    fn ns_record(
        &self,
        zone_id: &str,
        name: &str,
    ) -> impl Future<Output = Result<Option<(i64, Vec<String>)>>> + Send;
    /// Changes the NS record `name`; returns the change id.
    fn change_ns(
        &self,
        zone_id: &str,
        name: &str,
        change: NsChange,
        ttl: i64,
        values: &[String],
    ) -> impl Future<Output = Result<String>> + Send;
    /// True once the change is `INSYNC`.
    fn change_in_sync(&self, change_id: &str) -> impl Future<Output = Result<bool>> + Send;
    /// Every record set of the zone.
    fn records(&self, zone_id: &str) -> impl Future<Output = Result<Vec<Record>>> + Send;
    /// Deletes `record` (as `records` read it) from the zone; returns the change id.
    fn delete_record(
        &self,
        zone_id: &str,
        record: &Record,
    ) -> impl Future<Output = Result<String>> + Send;
}

/// A simple record set of a hosted zone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Its name, fully qualified with the trailing dot, as Route 53 returns it.
    pub name: String,
    /// `CNAME`, `NS`, ...
    pub kind: String,
    /// Its TTL (0 for an alias record).
    pub ttl: i64,
    /// Its values.
    pub values: Vec<String>,
}

/// An ECS service, as destroy's cleanup reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Service {
    /// The service's ARN.
    pub arn: String,
    /// Tasks it should run.
    pub desired: i32,
    /// Tasks it runs.
    pub running: i32,
    /// Tasks it is starting.
    pub pending: i32,
}

/// An ECS task, as destroy's cleanup reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Task {
    /// The task's ARN.
    pub arn: String,
    /// `service:<name>` for a service's task; what RunTask was given otherwise.
    pub group: String,
    /// `ecs-svc/...` for a service's task; what RunTask was given otherwise.
    pub started_by: String,
    /// Where the task is: `RUNNING`, `STOPPING`, `STOPPED`, ...
    pub last_status: String,
    /// Where ECS takes it: `RUNNING` or `STOPPED`.
    pub desired_status: String,
}

impl Task {
    /// True for a task an ECS service started (the hub itself), false for one started by
    /// RunTask (a user's server).
    pub fn of_a_service(&self) -> bool {
        self.group.starts_with("service:") || self.started_by.starts_with("ecs-svc/")
    }
}

/// ECS, as destroy uses it: the hub's cluster holds user servers that no service owns, and
/// CloudFormation cannot delete a cluster with running tasks.
pub trait Tasks: Sync {
    /// The services of `cluster`; none when the cluster does not exist.
    fn services(&self, cluster: &str) -> impl Future<Output = Result<Vec<Service>>> + Send;
    /// Sets the service's desired count.
    fn set_desired(
        &self,
        cluster: &str,
        service: &str,
        count: i32,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Every task `cluster` holds, running or stopped; none when the cluster does not exist.
    fn tasks(&self, cluster: &str) -> impl Future<Output = Result<Vec<Task>>> + Send;
    /// Stops a task.
    fn stop_task(
        &self,
        cluster: &str,
        arn: &str,
        reason: &str,
    ) -> impl Future<Output = Result<()>> + Send;
}

/// Assumes the parent account's delegation role.
pub trait AssumeRole: Sync {
    /// The parent account's Route 53 client.
    type ParentDns: Dns + Send;
    /// Assumes `role_arn`.
    fn assume(&self, role_arn: &str) -> impl Future<Output = Result<Self::ParentDns>> + Send;
}

/// S3, as template staging uses it: a private bucket of the frame stack.
pub trait Artifacts: Sync {
    /// Stores `body` as `key`.
    fn put(&self, bucket: &str, key: &str, body: &str) -> impl Future<Output = Result<()>> + Send;
    /// Removes `key` (absent is fine).
    fn delete(&self, bucket: &str, key: &str) -> impl Future<Output = Result<()>> + Send;
    /// Every key in the bucket.
    fn keys(&self, bucket: &str) -> impl Future<Output = Result<Vec<String>>> + Send;
}

/// An ACM certificate's validation, as ACM reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CertificateState {
    /// `PENDING_VALIDATION`, `ISSUED`, `FAILED`, ...
    pub status: String,
    /// Why, when `FAILED`.
    pub failure_reason: Option<String>,
    /// One per name on the certificate.
    pub validations: Vec<DomainValidation>,
}

/// The DNS validation of one name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DomainValidation {
    /// The name on the certificate.
    pub domain: String,
    /// `PENDING_VALIDATION`, `SUCCESS`, `FAILED`.
    pub status: String,
    /// The CNAME ACM looks up: (name, value), once ACM has made it.
    pub record: Option<(String, String)>,
}

/// ACM, to explain a certificate that keeps a stack waiting.
pub trait Certificates: Sync {
    /// The certificate's validation state.
    fn validation(&self, arn: &str) -> impl Future<Output = Result<CertificateState>> + Send;
}

/// What one run of a command-line program gave back.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ran {
    /// Its exit code; `None` when a signal ended it.
    pub code: Option<i32>,
    /// What it wrote on stdout.
    pub stdout: String,
    /// What it wrote on stderr.
    pub stderr: String,
}

impl Ran {
    /// True for exit code 0.
    pub fn ok(&self) -> bool {
        self.code == Some(0)
    }
}

/// `kubectl` and `helm`, as deploy and destroy run them against an EKS cluster: the real
/// programs found on PATH (`kube::Programs`), or the tests' scripted ones.
pub trait Kube: Sync {
    /// Where `program` is, when it is on PATH.
    fn find(&self, program: &str) -> Option<PathBuf>;
    /// Runs `program` with `args` to its end. `Err` only when it cannot be started; a
    /// non-zero exit is an answer (`Ran::code`).
    fn run(&self, program: &str, args: &[String]) -> impl Future<Output = Result<Ran>> + Send;
}

/// The Resource Groups Tagging API, as destroy uses it: what is still tagged with the
/// cluster's name once the stacks are gone.
pub trait Tagging: Sync {
    /// The ARNs of the resources (of the region) tagged `key`, with value `value` when given.
    fn tagged(
        &self,
        key: &str,
        value: Option<&str>,
    ) -> impl Future<Output = Result<Vec<String>>> + Send;
}

/// Whether an image is in its repository, as DescribeImages answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageState {
    /// The tag (or digest) is there.
    Present,
    /// The repository is there, the image is not (`ImageNotFoundException`).
    Missing,
    /// No such repository (`RepositoryNotFoundException`).
    NoRepository,
    /// A digest of an image that has no tag: the repository's lifecycle rule expires it
    /// (untagged images, 14 days after their push).
    Untagged,
}

/// ECR, as deploy uses it: is an image the hub will run pushed yet.
pub trait Registry: Sync {
    /// The state of image `image` (a tag, or a digest) in repository `repository` of the
    /// caller's own registry.
    fn image_state(
        &self,
        repository: &str,
        image: crate::stacks::images::ImageId<'_>,
    ) -> impl Future<Output = Result<ImageState>> + Send;
    /// Whether repository `repository` exists in the caller's own registry
    /// (`DescribeRepositories`).
    fn repository_exists(&self, repository: &str) -> impl Future<Output = Result<bool>> + Send;
}

/// Every AWS client deploy and destroy use (and the cluster's command-line tools), as one
/// value: the SDK's and the programs on PATH (`aws::Aws`), or the tests' scripted ones.
pub trait Cloud: Sync {
    /// CloudFormation in the workload account.
    type Cfn: Cfn;
    /// STS: who the credentials are.
    type Identity: Identity;
    /// Route 53 in the workload account.
    type Dns: Dns;
    /// STS: the parent account's delegation role.
    type AssumeRole: AssumeRole;
    /// S3, for templates over the inline limit.
    type Artifacts: Artifacts;
    /// ACM, to explain a certificate that keeps the hub stack waiting.
    type Certificates: Certificates;
    /// ECS, to stop the user servers before the hub stack goes.
    type Tasks: Tasks;
    /// kubectl and helm, for what goes inside an EKS cluster.
    type Kube: Kube;
    /// The Resource Groups Tagging API, for what an EKS cluster's controllers left.
    type Tagging: Tagging;
    /// ECR, for the images the hub needs.
    type Registry: Registry;

    /// CloudFormation.
    fn cfn(&self) -> &Self::Cfn;
    /// STS caller identity.
    fn identity(&self) -> &Self::Identity;
    /// Route 53.
    fn dns(&self) -> &Self::Dns;
    /// STS AssumeRole.
    fn assume(&self) -> &Self::AssumeRole;
    /// S3.
    fn artifacts(&self) -> &Self::Artifacts;
    /// ACM.
    fn certificates(&self) -> &Self::Certificates;
    /// ECS.
    fn tasks(&self) -> &Self::Tasks;
    /// kubectl and helm.
    fn kube(&self) -> &Self::Kube;
    /// Resource Groups Tagging API.
    fn tagging(&self) -> &Self::Tagging;
    /// ECR.
    fn registry(&self) -> &Self::Registry;
}

/// A user of a Cognito user pool, as ListUsers shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolUser {
    /// Its Cognito user name (a pool with `UsernameAttributes` shows the user's `sub` here).
    pub username: String,
    /// Its `email` attribute.
    pub email: Option<String>,
    /// `FORCE_CHANGE_PASSWORD` (invited, not signed in yet), `CONFIRMED`, ...
    pub status: String,
    /// False once an admin disabled the user.
    pub enabled: bool,
}

/// One page of ListUsers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserPage {
    /// The page's users.
    pub users: Vec<PoolUser>,
    /// The token of the next page; `None` on the last one.
    pub next: Option<String>,
}

/// What AdminCreateUser answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Invitation {
    /// Created: Cognito e-mails the temporary password with the pool's invitation.
    Sent,
    /// `UsernameExistsException`: the user is there (created since the pool was read, or a
    /// retried call whose first attempt went through).
    AlreadyThere,
    /// `LimitExceededException`: the pool's e-mail quota is spent (Cognito's own e-mail
    /// sends 50 a day); AWS's message.
    LimitExceeded(String),
}

/// A Cognito user pool, as `hubctl users` reads it and invites into it.
pub trait Directory: Sync {
    /// The pool's `UsernameAttributes` (`email`, `phone_number`; empty when users are named
    /// by their user name).
    fn username_attributes(
        &self,
        pool_id: &str,
    ) -> impl Future<Output = Result<Vec<String>>> + Send;
    /// One page of the pool's users (`token`: the previous page's `next`).
    fn list_users(
        &self,
        pool_id: &str,
        token: Option<&str>,
    ) -> impl Future<Output = Result<UserPage>> + Send;
    /// Creates user `username` with a verified `email` and no password of ours: Cognito
    /// makes a temporary one and e-mails it (`DesiredDeliveryMediums: [EMAIL]`).
    fn invite(
        &self,
        pool_id: &str,
        username: &str,
        email: &str,
    ) -> impl Future<Output = Result<Invitation>> + Send;
}
