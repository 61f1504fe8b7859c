//! A synth output as a [`Snapshot`]: `<env>/manifest.json` and the templates it names, and
//! `parent/*.template.json`. Works on the relative-path → text map that `synth::render`
//! returns and that `cli` reads back from a directory, so both sides load the same way.

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::{anyhow, Context, Result};
use serde_json::Value;

use super::{EnvSide, Snapshot, StackSide};
use crate::synth::PARENT_DIR;

/// A side already loaded, whose parsed templates the other side shares where the text is
/// the same (most stacks of a change are untouched: each is parsed once).
#[derive(Clone, Copy)]
pub struct Reuse<'a> {
    /// Its files.
    pub files: &'a BTreeMap<String, String>,
    /// Its snapshot.
    pub snapshot: &'a Snapshot,
}

impl Reuse<'_> {
    fn template(&self, path: &str, text: &str) -> Option<Arc<Value>> {
        if self.files.get(path).map(String::as_str) != Some(text) {
            return None;
        }
        self.snapshot
            .envs
            .values()
            .flat_map(|env| &env.stacks)
            .find(|stack| stack.source == path)
            .map(|stack| Arc::clone(&stack.template))
    }
}

/// The snapshot of `files` (relative path → text), limited to `envs` when given (the parent
/// directory is then left out unless named: it belongs to every environment).
pub fn snapshot(
    files: &BTreeMap<String, String>,
    envs: Option<&[&str]>,
    origin: &str,
    reuse: Option<Reuse<'_>>,
) -> Result<Snapshot> {
    let load = |path: &str, text: &str| -> Result<Arc<Value>> {
        match reuse.and_then(|r| r.template(path, text)) {
            Some(shared) => Ok(shared),
            None => parse(origin, path, text).map(Arc::new),
        }
    };
    let mut snapshot = Snapshot::default();
    for (path, text) in files {
        let Some((env, file)) = path.split_once('/') else {
            continue;
        };
        if envs.is_some_and(|wanted| !wanted.contains(&env)) {
            continue;
        }
        if env == PARENT_DIR {
            if let Some(name) = file.strip_suffix(".template.json") {
                let template = load(path, text)?;
                snapshot
                    .envs
                    .entry(env.to_string())
                    .or_default()
                    .stacks
                    .push(StackSide {
                        id: "delegation-role".to_string(),
                        name: name.to_string(),
                        source: path.clone(),
                        template,
                        ..StackSide::default()
                    });
            }
        } else if file == "manifest.json" {
            let manifest = parse(origin, path, text)?;
            let side = env_side(files, env, manifest, origin, &load)?;
            snapshot.envs.insert(env.to_string(), side);
        }
    }
    Ok(snapshot)
}

fn parse(origin: &str, path: &str, text: &str) -> Result<Value> {
    serde_json::from_str(text)
        .with_context(|| format!("{origin}/{path}: not JSON; is this a hubctl synth output?"))
}

/// The value a synth output gives the parameter deploy fills with the deploying principal.
pub const DEPLOYER: &str = "(the deploying principal)";

/// The environment's Helm values (`<env>/*-values.yaml`) and manifests (`<env>/k8s/*.yaml`).
fn kubernetes_files(
    files: &BTreeMap<String, String>,
    env: &str,
    origin: &str,
) -> Result<BTreeMap<String, Value>> {
    let mut found = BTreeMap::new();
    let prefix = format!("{env}/");
    for (path, text) in files.range(prefix.clone()..) {
        let Some(file) = path.strip_prefix(&prefix) else {
            break;
        };
        let manifest = file.starts_with("k8s/") && file.ends_with(".yaml");
        let values = !file.contains('/') && file.ends_with("-values.yaml");
        if !manifest && !values {
            continue;
        }
        let mut documents = crate::k8s::parse_yaml_stream(text)
            .map_err(|problem| anyhow!("{origin}/{path}: {problem}"))?;
        let value = if manifest {
            super::kubernetes::keyed_objects(documents)
        } else if documents.len() == 1 {
            documents.remove(0)
        } else {
            return Err(anyhow!(
                "{origin}/{path}: {} YAML documents, but a values file holds one",
                documents.len()
            ));
        };
        found.insert(file.to_string(), value);
    }
    Ok(found)
}

fn env_side(
    files: &BTreeMap<String, String>,
    env: &str,
    manifest: Value,
    origin: &str,
    load: &dyn Fn(&str, &str) -> Result<Arc<Value>>,
) -> Result<EnvSide> {
    let bad = |what: &str| {
        anyhow!("{origin}/{env}/manifest.json: {what}; is this a hubctl synth output?")
    };
    let stacks = manifest
        .get("stacks")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("no `stacks` list"))?;
    let tags: BTreeMap<String, String> = manifest
        .get("tags")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default();
    let mut side = EnvSide {
        manifest: None,
        stacks: Vec::new(),
        kubernetes: kubernetes_files(files, env, origin)?,
    };
    for stack in stacks {
        let field = |key: &str| {
            stack
                .get(key)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| bad(&format!("a stack without `{key}`")))
        };
        let (id, name, template_file) = (field("id")?, field("name")?, field("template")?);
        let path = format!("{env}/{template_file}");
        let text = files
            .get(&path)
            .ok_or_else(|| anyhow!("{origin}/{path}: missing, though manifest.json names it"))?;
        let mut wiring = BTreeMap::new();
        let mut parameters = BTreeMap::new();
        for (param, source) in stack
            .get("parameters")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let wired = |key: &str| {
                source.get(key).and_then(Value::as_str).ok_or_else(|| {
                    bad(&format!(
                        "parameter `{param}` of stack `{name}` has no `{key}` naming the output that fills it"
                    ))
                })
            };
            let (upstream, output) = (wired("stack")?, wired("output")?);
            parameters.insert(param.clone(), format!("{upstream}.{output}"));
            wiring.insert(param.clone(), (upstream.to_string(), output.to_string()));
        }
        if let Some(param) = stack.get("deployer_parameter").and_then(Value::as_str) {
            parameters.insert(param.to_string(), DEPLOYER.to_string());
        }
        side.stacks.push(StackSide {
            id,
            name,
            template: load(&path, text)?,
            source: path,
            parameters,
            wiring,
            tags: tags.clone(),
        });
    }
    side.manifest = Some(manifest);
    Ok(side)
}
