//! The cluster's files compared: the Helm values as data, the manifests' objects keyed by
//! kind and name (so adding one shifts nothing), and what such a change risks where the
//! cluster, not CloudFormation, would refuse it or lose state.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::tree::{self, Change};
use super::{Impact, Risk};

/// A manifest file's objects keyed `<Kind> <namespace/>name`.
pub fn keyed_objects(objects: Vec<Value>) -> Value {
    let mut map = Map::new();
    for (index, object) in objects.into_iter().enumerate() {
        let kind = object.get("kind").and_then(Value::as_str).unwrap_or("?");
        let metadata = object.get("metadata");
        let name = metadata
            .and_then(|m| m.get("name"))
            .and_then(Value::as_str)
            .map_or_else(|| format!("#{index}"), str::to_string);
        let namespace = metadata
            .and_then(|m| m.get("namespace"))
            .and_then(Value::as_str)
            .map(|ns| format!("{ns}/"))
            .unwrap_or_default();
        map.insert(format!("{kind} {namespace}{name}"), object);
    }
    Value::Object(map)
}

/// Every change between the two sides' files.
pub fn changes(old: &BTreeMap<String, Value>, new: &BTreeMap<String, Value>) -> Vec<Change> {
    if old.is_empty() || new.is_empty() {
        // A whole environment added or removed reads from its stacks; an environment
        // moving between platforms shows in its stacks too.
        return Vec::new();
    }
    let as_object = |files: &BTreeMap<String, Value>| {
        Value::Object(files.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
    };
    tree::changes(&[], Some(&as_object(old)), Some(&as_object(new)))
}

/// What the changes risk: the hub's database volume or the homes' volume changing
/// (state left behind), and updates the API server refuses (a StorageClass's parameters
/// and a PersistentVolume's source cannot change in place).
pub fn risks(env: &str, changes: &[Change]) -> Vec<Risk> {
    let mut risks: BTreeMap<(String, String), Risk> = BTreeMap::new();
    for change in changes {
        let path = change.path.as_str();
        let risk = |file: &str, object: &str, kind: &str, risk: &str, message: String| Risk {
            env: env.to_string(),
            stack: file.to_string(),
            logical_id: object.to_string(),
            kind: kind.to_string(),
            impact: Impact::Update,
            risk: risk.to_string(),
            kept_by: None,
            message,
        };
        let found = if path.starts_with("jupyterhub-values.yaml.hub.db") {
            Some(risk(
                "jupyterhub-values.yaml",
                "hub.db",
                "Helm values",
                "data",
                "the hub's database changes: the hub starts with an empty one (users' tokens, servers and state) unless the old one is migrated first".to_string(),
            ))
        } else if let Some((file, rest)) = path.split_once(".StorageClass ") {
            rest.split_once(".parameters").map(|(name, _)| {
                risk(
                    file,
                    &format!("StorageClass {name}"),
                    "StorageClass",
                    "fails",
                    format!("StorageClass {name}: Kubernetes refuses to change a StorageClass's parameters; delete it first (its volumes keep theirs), then deploy"),
                )
            })
        } else if let Some((file, rest)) = path.split_once(".PersistentVolume ") {
            rest.split_once(".spec.csi").map(|(name, _)| {
                risk(
                    file,
                    &format!("PersistentVolume {name}"),
                    "PersistentVolume",
                    "fails",
                    format!("PersistentVolume {name}: its source cannot change in place, and the users' homes would be mounted from elsewhere; stop the servers and delete the claim and the volume first"),
                )
            })
        } else {
            None
        };
        if let Some(found) = found {
            risks
                .entry((found.stack.clone(), found.logical_id.clone()))
                .or_insert(found);
        }
    }
    risks.into_values().collect()
}
