//! The images stack: one ECR repository for each repository path the environment's images
//! name in its own account's and region's registry (`<account>.dkr.ecr.<region>.amazonaws.com/<path>:<tag>`),
//! scanned on push, with immutable tags, encrypted with the frame's KMS key and a lifecycle
//! rule for untagged images. Images anywhere else (Docker Hub, quay.io, another account's
//! or region's ECR) are left alone: hubctl neither creates nor checks them.
//!
//! The stack exists only when the environment has such an image, depends on the frame (the
//! key) and nothing else, so `hubctl images` can make the repositories on a fresh account
//! before the subzone is delegated; the hub stack depends on it, and deploy checks between
//! the two that every image's tag is there ([`push_commands`] says what to push and how).

use crate::cfn::resources::{
    ImageScanningConfiguration, Repository, RepositoryEncryption, RepositoryLifecyclePolicy, Tag,
};
use crate::cfn::{Expr, Parameter, Resource, Template};
use crate::model::{Deployment, Image};
use crate::stacks::{frame, platform, OutputRef, StackId};

/// Parameter: the frame's KMS key, which encrypts the repositories.
pub const KMS_KEY_ARN: &str = "KmsKeyArn";

/// Days an untagged image (a tag's former image, a build's leftover layer set) is kept.
pub const UNTAGGED_DAYS: u32 = 14;

/// What an image is for: the command that builds it differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ImageUse {
    /// The hub's own image, built from `templates/hub/`.
    Hub,
    /// A user server's image (built by whoever chose it).
    User,
}

/// One image the environment runs from a repository of its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnImage<'d> {
    /// What it is for.
    pub image_use: ImageUse,
    /// The image as configured.
    pub image: &'d Image,
    /// Its repository path (`jhub/hub`).
    pub repository: &'d str,
}

impl OwnImage<'_> {
    /// The tag, or the digest when the reference pins one (`sha256:...`).
    pub fn tag_or_digest(&self) -> ImageId<'_> {
        let reference = self.image.reference.as_str();
        let last = reference.rsplit('/').next().unwrap_or(reference);
        match last.split_once('@') {
            Some((_, digest)) => ImageId::Digest(digest),
            None => ImageId::Tag(last.rsplit_once(':').map_or("", |(_, tag)| tag)),
        }
    }
}

/// How a configured image names its version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageId<'i> {
    /// `...:5.4.6`
    Tag(&'i str),
    /// `...@sha256:...`
    Digest(&'i str),
}

/// The images `deployment` runs from its own account's and region's ECR, each once, in the
/// platform's order (the hub's first); images elsewhere are not in the list.
pub fn own_images(deployment: &Deployment) -> Vec<OwnImage<'_>> {
    let mut found: Vec<OwnImage<'_>> = Vec::new();
    for (image_use, image) in platform::of(deployment.hub.platform).images(deployment) {
        let Some((account, region, repository)) = &image.ecr else {
            continue;
        };
        if account != deployment.account.as_str() || region != &deployment.region {
            continue;
        }
        if found.iter().any(|own| own.image == image) {
            continue;
        }
        found.push(OwnImage {
            image_use,
            image,
            repository,
        });
    }
    found
}

/// The repository paths the images stack creates: sorted, each once.
pub fn repositories(deployment: &Deployment) -> Vec<&str> {
    let mut paths: Vec<&str> = own_images(deployment)
        .iter()
        .map(|own| own.repository)
        .collect();
    paths.sort_unstable();
    paths.dedup();
    paths
}

/// The logical id of repository `path`: its letters and digits, each segment capitalised
/// (`jhub/hub` → `RepositoryJhubHub`), with a short hash of the path so that `a-b` and
/// `a/b` stay apart.
pub fn logical_id(path: &str) -> String {
    let mut id = String::from("Repository");
    for segment in path.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut chars = segment.chars();
        if let Some(first) = chars.next() {
            id.push(first.to_ascii_uppercase());
            id.extend(chars);
        }
    }
    format!("{id}{:08x}", crate::model::fnv1a(path))
}

/// The lifecycle rule: only untagged images expire. Tags are immutable and the hub pins its
/// images by tag (or by the digest of a tagged image), so no configured image can be expired
/// while it is in use; a rule counting tagged images could expire the one a running hub or
/// a user's next server still needs.
pub fn lifecycle_policy_text() -> String {
    let rules = serde_json::json!({
        "rules": [{
            "rulePriority": 1,
            "description": format!("expire untagged images {UNTAGGED_DAYS} days after their push; tagged images stay"),
            "selection": {
                "tagStatus": "untagged",
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": UNTAGGED_DAYS,
            },
            "action": {"type": "expire"},
        }]
    });
    // Plain data always serializes.
    serde_json::to_string(&rules).expect("the lifecycle rules serialize")
}

/// The parameters the images stack takes from the frame.
pub fn inputs() -> std::collections::BTreeMap<String, OutputRef> {
    [(
        KMS_KEY_ARN.to_string(),
        OutputRef::new(StackId::Frame, frame::outputs::KMS_KEY_ARN),
    )]
    .into_iter()
    .collect()
}

/// The images template of `deployment`, or `None` when none of its images is in its own
/// registry.
pub fn template(deployment: &Deployment) -> Option<Template> {
    let paths = repositories(deployment);
    if paths.is_empty() {
        return None;
    }
    let name = deployment.stack_name(StackId::Images.suffix());
    let mut template = Template::new(format!(
        "hubctl {name}: the ECR repositories of the environment's images ({})",
        paths.join(", ")
    ));
    let mut key = Parameter::new(
        "String",
        "From the frame stack: the KMS key that encrypts the repositories",
    );
    key.allowed_pattern = Some(crate::stacks::KMS_KEY_ARN_PATTERN.to_string());
    template.parameter(KMS_KEY_ARN, key);
    for path in paths {
        let id = logical_id(path);
        template.add(
            &id,
            Resource::new(Repository {
                // Images are rebuilt from their Dockerfiles; a repository left behind would
                // also block the next deploy's create of the same name.
                empty_on_delete: true,
                encryption_configuration: Some(RepositoryEncryption {
                    encryption_type: "KMS".to_string(),
                    kms_key: Some(Expr::reference(KMS_KEY_ARN)),
                }),
                image_scanning_configuration: Some(ImageScanningConfiguration {
                    scan_on_push: true,
                }),
                image_tag_mutability: Some("IMMUTABLE".to_string()),
                lifecycle_policy: Some(RepositoryLifecyclePolicy {
                    lifecycle_policy_text: lifecycle_policy_text(),
                }),
                repository_name: path.to_string(),
                tags: Tag::name(format!("{name}/{path}")),
            }),
        );
        template.output(
            &format!("{id}Uri"),
            &format!("The repository {path}"),
            Expr::get_att(&id, "RepositoryUri"),
        );
    }
    Some(template)
}

/// The commands that log in to `deployment`'s registry, build (the hub's image, from
/// `templates/hub`) and push each of `missing`, one a line.
pub fn push_commands(deployment: &Deployment, missing: &[OwnImage<'_>]) -> Vec<String> {
    if missing.is_empty() {
        return Vec::new();
    }
    let registry = deployment.registry();
    let mut commands = vec![format!(
        "aws ecr get-login-password --region {} | docker login --username AWS --password-stdin {registry}",
        deployment.region
    )];
    for own in missing {
        let reference = &own.image.reference;
        let target = match own.tag_or_digest() {
            ImageId::Tag(_) => reference.clone(),
            // A digest is what a push of a tag prints: push the image under a new tag and
            // pin the digest docker prints.
            ImageId::Digest(_) => format!("{registry}/{}:<new-tag>", own.repository),
        };
        match own.image_use {
            // The tasks and nodes run x86-64: a build on an arm64 machine (Apple silicon)
            // would push an image that cannot start, under a tag that cannot be reused.
            ImageUse::Hub => commands.push(format!(
                "docker build --platform linux/amd64 -t {target} templates/hub"
            )),
            ImageUse::User => commands.push(format!(
                "docker build --platform linux/amd64 -t {target} <the directory of its Dockerfile>"
            )),
        }
        commands.push(format!("docker push {target}"));
    }
    commands
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> crate::config::Config {
        crate::config::parse("t.yaml", text).expect("valid config")
    }

    fn env(hub: &str, account: &str, region: &str) -> String {
        format!(
            "project: p\nregion: {region}\ndns: {{parent_zone: example.com, parent_account: '111111111111', delegation_role: R, subzone: d.example.com, hub_host: d.example.com}}\nnetwork: {{vpc_cidr: 10.0.0.0/16}}\nhub: {{admins: [x], allowed_cidrs: [10.0.0.0/8], auth: {{kind: cognito}}, {hub}}}\nenvironments: {{dev: {{account: '{account}'}}}}\n"
        )
    }

    const OWN: &str = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";

    #[test]
    fn only_the_environments_own_registry_gets_repositories() {
        let text = env(
            &format!("platform: ecs, hub_image: '{OWN}/jhub/hub:1', user_image: 'quay.io/jupyter/base-notebook:1', profiles: [{{name: a, cpu: 1024, memory: 4096}}, {{name: b, cpu: 1024, memory: 4096, image: '{OWN}/lab/big:2'}}, {{name: c, cpu: 1024, memory: 4096, image: '210987654321.dkr.ecr.eu-west-1.amazonaws.com/x:1'}}, {{name: d, cpu: 1024, memory: 4096, image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/y:1'}}]"),
            "123456789012",
            "eu-west-1",
        );
        let config = config(&text);
        let deployment = &config.deployments[0];
        assert_eq!(repositories(deployment), ["jhub/hub", "lab/big"]);
        let uses: Vec<ImageUse> = own_images(deployment).iter().map(|o| o.image_use).collect();
        assert_eq!(uses, [ImageUse::Hub, ImageUse::User]);
    }

    #[test]
    fn another_account_or_public_registries_make_no_stack() {
        let text = env(
            "platform: ecs, hub_image: '210987654321.dkr.ecr.eu-west-1.amazonaws.com/jhub/hub:1', user_image: 'quay.io/jupyter/base-notebook:1'",
            "123456789012",
            "eu-west-1",
        );
        let config = config(&text);
        assert!(template(&config.deployments[0]).is_none());
        assert!(crate::stacks::build(&config.deployments[0])
            .iter()
            .all(|stack| stack.id != StackId::Images));
    }

    #[test]
    fn eks_runs_no_hub_image_so_it_gets_no_repository_for_it() {
        let text = env(
            &format!("platform: eks, hub_image: '{OWN}/jhub/hub:1', user_image: '{OWN}/jhub/user:1', eks: {{compute: auto}}, database: {{kind: sqlite}}"),
            "123456789012",
            "eu-west-1",
        );
        let config = config(&text);
        assert_eq!(repositories(&config.deployments[0]), ["jhub/user"]);
    }

    #[test]
    fn one_repository_for_two_tags_of_one_path() {
        let text = env(
            &format!(
                "platform: ecs, hub_image: '{OWN}/jhub/hub:1', user_image: '{OWN}/jhub/hub:2'"
            ),
            "123456789012",
            "eu-west-1",
        );
        let config = config(&text);
        let deployment = &config.deployments[0];
        assert_eq!(repositories(deployment), ["jhub/hub"]);
        assert_eq!(own_images(deployment).len(), 2);
        let template = serde_json::to_value(template(deployment).unwrap()).unwrap();
        assert_eq!(template["Resources"].as_object().unwrap().len(), 1);
    }

    #[test]
    fn the_repository_is_scanned_immutable_encrypted_and_expires_only_untagged_images() {
        let text = env(
            &format!("platform: ecs, hub_image: '{OWN}/jhub/hub:1', user_image: 'quay.io/a/b:1'"),
            "123456789012",
            "eu-west-1",
        );
        let config = config(&text);
        let template = serde_json::to_value(template(&config.deployments[0]).unwrap()).unwrap();
        let repository = &template["Resources"][logical_id("jhub/hub")];
        let p = &repository["Properties"];
        assert_eq!(p["RepositoryName"], "jhub/hub");
        assert_eq!(p["ImageScanningConfiguration"]["ScanOnPush"], true);
        assert_eq!(p["ImageTagMutability"], "IMMUTABLE");
        assert_eq!(p["EncryptionConfiguration"]["EncryptionType"], "KMS");
        assert_eq!(p["EncryptionConfiguration"]["KmsKey"]["Ref"], KMS_KEY_ARN);
        assert_eq!(p["EmptyOnDelete"], true);
        assert!(repository.get("DeletionPolicy").is_none());
        let rules: serde_json::Value = serde_json::from_str(
            p["LifecyclePolicy"]["LifecyclePolicyText"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
        let rules = rules["rules"].as_array().unwrap();
        assert!(
            rules
                .iter()
                .all(|rule| rule["selection"]["tagStatus"] == "untagged"),
            "a rule on tagged images could expire one in use: {rules:?}"
        );
    }

    #[test]
    fn logical_ids_keep_paths_apart() {
        assert_ne!(logical_id("a-b"), logical_id("a/b"));
        assert!(logical_id("jhub/hub").starts_with("RepositoryJhubHub"));
    }

    #[test]
    fn the_commands_log_in_build_the_hub_from_its_directory_and_push() {
        let text = env(
            &format!(
                "platform: ecs, hub_image: '{OWN}/jhub/hub:1', user_image: '{OWN}/jhub/user:2'"
            ),
            "123456789012",
            "eu-west-1",
        );
        let config = config(&text);
        let deployment = &config.deployments[0];
        let commands = push_commands(deployment, &own_images(deployment));
        assert_eq!(
            commands[0],
            format!("aws ecr get-login-password --region eu-west-1 | docker login --username AWS --password-stdin {OWN}")
        );
        assert_eq!(
            commands[1],
            format!("docker build --platform linux/amd64 -t {OWN}/jhub/hub:1 templates/hub")
        );
        assert_eq!(commands[2], format!("docker push {OWN}/jhub/hub:1"));
        assert_eq!(
            commands.last().unwrap(),
            &format!("docker push {OWN}/jhub/user:2")
        );
        assert!(push_commands(deployment, &[]).is_empty());
    }
}
