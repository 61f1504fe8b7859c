//! Tags, summarized: one line per changed tag, with the resources and stacks it touches.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::tree;
use super::TagChange;

/// One tag that differs: (key, value before, value after).
pub type TagDelta = (String, Option<String>, Option<String>);

pub fn is_tag_path(path: &str) -> bool {
    path == "Properties.Tags"
        || path.starts_with("Properties.Tags.")
        || path.starts_with("Properties.Tags[")
}

/// The tags that differ between two property sets: (key, before, after).
pub fn tag_delta(old: Option<&Value>, new: Option<&Value>) -> Vec<TagDelta> {
    fn tags(properties: Option<&Value>) -> BTreeMap<String, String> {
        match properties.and_then(|p| p.get("Tags")) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|t| {
                    let key = t.get("Key")?.as_str()?.to_string();
                    let value = t.get("Value").map(tree::plain).unwrap_or_default();
                    Some((key, value))
                })
                .collect(),
            Some(Value::Object(map)) => map
                .iter()
                .map(|(k, v)| (k.clone(), tree::plain(v)))
                .collect(),
            _ => BTreeMap::new(),
        }
    }
    delta(&tags(old), &tags(new))
}

fn delta(old: &BTreeMap<String, String>, new: &BTreeMap<String, String>) -> Vec<TagDelta> {
    let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    keys.into_iter()
        .filter(|k| old.get(*k) != new.get(*k))
        .map(|k| ((*k).clone(), old.get(k).cloned(), new.get(k).cloned()))
        .collect()
}

#[derive(Default)]
pub struct TagTally {
    counts: BTreeMap<TagDelta, (usize, usize)>,
}

impl TagTally {
    pub fn add_resources(&mut self, deltas: &[Vec<TagDelta>]) {
        for delta in deltas {
            for change in delta {
                self.counts.entry(change.clone()).or_default().0 += 1;
            }
        }
    }

    pub fn add_stack(&mut self, old: &BTreeMap<String, String>, new: &BTreeMap<String, String>) {
        for change in delta(old, new) {
            self.counts.entry(change).or_default().1 += 1;
        }
    }

    pub fn into_changes(self) -> Vec<TagChange> {
        self.counts
            .into_iter()
            .map(|((key, before, after), (resources, stacks))| TagChange {
                key,
                before,
                after,
                resources,
                stacks,
            })
            .collect()
    }
}
