//! The images rule across environments: two environments in one account and region may not
//! name the same ECR repository.
//!
//! Each environment's images stack creates the repositories its images name in its own
//! registry (`stacks::images`), and a repository name is one per account and region: a
//! second stack creating it fails, and sharing it would let one environment's destroy
//! (which empties and deletes its repositories) take the images another still runs. So the
//! later environment in file order is told to use a repository of its own.

use super::read::Reader;
use super::yaml::{Node, Value};
use crate::model::Deployment;
use crate::stacks::images::{own_images, repositories};

/// Every place in `merged` (one environment's merged tree) that configures `reference`:
/// `hub.hub_image`, `hub.user_image`, `hub.profiles[i].image`.
fn nodes_naming<'n>(merged: &'n Node, reference: &str) -> Vec<&'n Node> {
    let Some(hub) = merged.get("hub") else {
        return Vec::new();
    };
    let mut nodes: Vec<&Node> = ["hub_image", "user_image"]
        .iter()
        .filter_map(|key| hub.get(key))
        .collect();
    if let Some(Value::Seq(profiles)) = hub.get("profiles").map(|n| &n.value) {
        nodes.extend(profiles.iter().filter_map(|p| p.get("image")));
    }
    nodes
        .into_iter()
        .filter(|node| matches!(&node.value, Value::Str(text) if text == reference))
        .collect()
}

/// Where to report a problem with `reference`: the first place that configures it, else the
/// `hub` section (the reader took every image from one of those places, so the fallback is
/// a guard: a problem is never dropped for want of a place).
fn node_naming<'n>(merged: &'n Node, reference: &str) -> &'n Node {
    nodes_naming(merged, reference)
        .into_iter()
        .next()
        .or_else(|| merged.get("hub"))
        .unwrap_or(merged)
}

/// Whether `path` is a name ECR takes: 2 to 256 characters; segments split by `/`, each
/// runs of lowercase letters and digits with `.`, `_`, `__` or a run of `-` between them
/// (ECR's `(?:[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*/)*[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*`).
pub(super) fn is_repository_name(path: &str) -> bool {
    let segment_ok = |segment: &str| {
        let alphanumeric = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
        // Alternate runs: alphanumeric, separator, alphanumeric, ...
        let mut runs: Vec<(bool, String)> = Vec::new();
        for c in segment.chars() {
            let kind = alphanumeric(c);
            match runs.last_mut() {
                Some((last, text)) if *last == kind => text.push(c),
                _ => runs.push((kind, c.to_string())),
            }
        }
        let separator_ok =
            |run: &str| matches!(run, "." | "_" | "__") || run.chars().all(|c| c == '-');
        runs.first().is_some_and(|(kind, _)| *kind)
            && runs.last().is_some_and(|(kind, _)| *kind)
            && runs.iter().filter(|(kind, _)| !kind).all(|(_, run)| {
                run.chars().all(|c| matches!(c, '.' | '_' | '-')) && separator_ok(run)
            })
    };
    (2..=256).contains(&path.len()) && path.split('/').all(segment_ok)
}

/// Reports an image of the environment's own registry whose repository path ECR would
/// refuse (the images stack would fail at deploy): at the image, with ECR's rule.
pub(super) fn check_repository_names(reader: &mut Reader<'_>, read: &[(Deployment, Node)]) {
    for (deployment, merged) in read {
        for own in own_images(deployment) {
            if is_repository_name(own.repository) {
                continue;
            }
            reader.error(
                node_naming(merged, &own.image.reference),
                format!("\"{}\" is not a name ECR takes for a repository", own.repository),
                "use lowercase letters and digits, with `.`, `_`, `__` or `-` between them and `/` between segments (2 to 256 characters), e.g. `jhub/hub`; hubctl creates this environment's repositories",
            );
        }
    }
}

/// Reports, at the later environment's image, a repository that an earlier environment in
/// the same account and region also creates.
pub(super) fn check_shared_repositories(reader: &mut Reader<'_>, read: &[(Deployment, Node)]) {
    for (index, (deployment, merged)) in read.iter().enumerate() {
        for own in own_images(deployment) {
            let Some((earlier, _)) = read[..index].iter().find(|(other, _)| {
                other.account == deployment.account
                    && other.region == deployment.region
                    && repositories(other).contains(&own.repository)
            }) else {
                continue;
            };
            // The image as the environment writes it: where an overlay sets it, else the
            // shared value (reported once per environment, which names it).
            let node = node_naming(merged, &own.image.reference);
            let registry = deployment.registry();
            let suggestion = format!(
                "{registry}/{}/{}",
                deployment.env,
                own.image
                    .reference
                    .strip_prefix(&format!("{registry}/"))
                    .unwrap_or(own.repository)
            );
            reader.error(
                node,
                format!(
                    "repository {} is also created by environment `{}`, in the same account {} and region {} (environment `{}`)",
                    own.repository, earlier.env, deployment.account, deployment.region, deployment.env
                ),
                format!(
                    "ECR repository names are one per account and region and each environment's images stack creates (and its destroy deletes) its own: give environment `{}` a repository of its own, e.g. \"{suggestion}\", under `environments.{}.hub`, or use an image in another registry (hubctl leaves those alone)",
                    deployment.env, deployment.env
                ),
            );
        }
    }
}

/// Reports an image in a repository that another environment of the config creates in
/// another account: hubctl writes no cross-account pull policy on its repositories (and the
/// images stack's next update would remove one set by hand), so the pull would fail.
pub(super) fn check_cross_account_repositories(
    reader: &mut Reader<'_>,
    read: &[(Deployment, Node)],
) {
    for (deployment, merged) in read {
        let platform = crate::stacks::platform::of(deployment.hub.platform);
        for (_, image) in platform.images(deployment) {
            let Some((account, region, repository)) = &image.ecr else {
                continue;
            };
            if account == deployment.account.as_str() && region == &deployment.region {
                continue;
            }
            let Some((owner, _)) = read.iter().find(|(other, _)| {
                other.account.as_str() == account
                    && &other.region == region
                    && repositories(other).contains(&repository.as_str())
            }) else {
                continue;
            };
            let node = node_naming(merged, &image.reference);
            let own = format!("{}/{repository}", deployment.registry());
            reader.error(
                node,
                format!(
                    "environment `{}` (account {}) would pull {} from the repository environment `{}` creates in account {account}: hubctl writes no cross-account pull policy on it, so the pull would fail",
                    deployment.env, deployment.account, image.reference, owner.env
                ),
                format!(
                    "push the image into this environment's own registry as well (e.g. \"{own}:<tag>\", under `environments.{}.hub`): its images stack makes the repository",
                    deployment.env
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    fn config(envs: &str) -> Result<crate::config::Config, crate::config::ConfigErrors> {
        crate::config::parse(
            "t.yaml",
            &format!("project: p\nregion: eu-west-1\ndns: {{parent_zone: example.com, parent_account: '111111111111', delegation_role: R}}\nnetwork: {{vpc_cidr: 10.0.0.0/16}}\nhub: {{platform: ecs, hub_image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/jhub/hub:1', user_image: 'quay.io/a/b:1', admins: [x], allowed_cidrs: [10.0.0.0/8], auth: {{kind: cognito}}}}\nenvironments:\n{envs}"),
        )
    }

    #[test]
    fn two_environments_of_one_account_and_region_cannot_share_a_repository() {
        let errors = config(
            "  dev: {account: '123456789012', dns: {subzone: dev.example.com, hub_host: dev.example.com}}\n  test: {account: '123456789012', dns: {subzone: test.example.com, hub_host: test.example.com}}\n",
        )
        .expect_err("a shared repository is refused");
        let text = errors.to_string();
        assert_eq!(errors.0.len(), 1, "{text}");
        let error = &errors.0[0];
        assert_eq!(error.key, "hub.hub_image", "{text}");
        assert!(
            error
                .problem
                .contains("repository jhub/hub is also created by environment `dev`")
                && error.problem.contains("(environment `test`)"),
            "{text}"
        );
        assert!(
            error
                .hint
                .contains("123456789012.dkr.ecr.eu-west-1.amazonaws.com/test/jhub/hub:1"),
            "{text}"
        );
    }

    #[test]
    fn an_image_in_another_environments_repository_in_another_account_is_refused() {
        let errors = config(
            "  dev: {account: '123456789012', dns: {subzone: dev.example.com, hub_host: dev.example.com}}\n  prod: {account: '210987654321', dns: {subzone: prod.example.com, hub_host: prod.example.com}}\n",
        )
        .expect_err("prod cannot pull dev's repository");
        let text = errors.to_string();
        assert!(
            text.contains("environment `prod` (account 210987654321) would pull 123456789012.dkr.ecr.eu-west-1.amazonaws.com/jhub/hub:1 from the repository environment `dev` creates")
                && text.contains("\"210987654321.dkr.ecr.eu-west-1.amazonaws.com/jhub/hub:<tag>\", under `environments.prod.hub`"),
            "{text}"
        );
        // Its own registry is fine.
        config(
            "  dev: {account: '123456789012', dns: {subzone: dev.example.com, hub_host: dev.example.com}}\n  prod: {account: '210987654321', dns: {subzone: prod.example.com, hub_host: prod.example.com}, hub: {hub_image: '210987654321.dkr.ecr.eu-west-1.amazonaws.com/jhub/hub:1'}}\n",
        )
        .expect("each account its own repository");
    }

    #[test]
    fn repository_names_follow_ecr() {
        for good in [
            "jhub/hub",
            "a1",
            "lab/big-2.x_y",
            "a/b/c",
            "a__b",
            "a--b",
            "a---b",
        ] {
            assert!(super::is_repository_name(good), "{good}");
        }
        for bad in [
            "Jhub/hub", "a", "a//b", "a-", "-a", "a..b", "a/", "/a", "a b", "a___b", "a_-b", "a._b",
        ] {
            assert!(!super::is_repository_name(bad), "{bad}");
        }
        let errors = config(
            "  dev: {account: '123456789012', dns: {subzone: dev.example.com, hub_host: dev.example.com}, hub: {hub_image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/Jhub/hub:1'}}\n",
        )
        .expect_err("an uppercase repository is refused");
        assert!(
            errors
                .0
                .iter()
                .any(|e| e.key == "environments.dev.hub.hub_image"
                    && e.problem == "\"Jhub/hub\" is not a name ECR takes for a repository"),
            "{errors}"
        );
    }

    #[test]
    fn a_repository_of_its_own_or_another_account_is_fine() {
        config(
            "  dev: {account: '123456789012', dns: {subzone: dev.example.com, hub_host: dev.example.com}}\n  test: {account: '123456789012', dns: {subzone: test.example.com, hub_host: test.example.com}, hub: {hub_image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/test/jhub/hub:1'}}\n  prod: {account: '210987654321', dns: {subzone: prod.example.com, hub_host: prod.example.com}, hub: {hub_image: '999999999999.dkr.ecr.eu-west-1.amazonaws.com/jhub/hub:1'}}\n",
        )
        .expect("own repositories, and an image of an account no environment is in, pass");
    }
}
