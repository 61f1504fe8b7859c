//! Environment overlays: `environments.<env>` merged over the shared settings.
//!
//! Maps merge key by key; scalars and lists replace. Every node keeps the position and path
//! it was written at, so a value that came from an overlay is reported at the overlay's line.

use super::yaml::{Node, Value};

/// Returns `base` with `overlay` merged over it.
pub fn merge(base: &Node, overlay: &Node) -> Node {
    match (&base.value, &overlay.value) {
        (Value::Map(base_entries), Value::Map(overlay_entries)) => {
            let mut entries = base_entries.clone();
            for entry in overlay_entries {
                match entries
                    .iter_mut()
                    .find(|existing| existing.key == entry.key)
                {
                    Some(existing) => existing.node = merge(&existing.node, &entry.node),
                    None => entries.push(entry.clone()),
                }
            }
            Node {
                pos: overlay.pos,
                key_pos: overlay.key_pos,
                path: overlay.path.clone(),
                value: Value::Map(entries),
            }
        }
        _ => overlay.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::yaml::parse;

    #[test]
    fn maps_merge_scalars_and_lists_replace() {
        let base = parse("a: {x: 1, y: [1, 2]}\nb: 2\n").unwrap();
        let overlay = parse("a: {y: [3]}\nb: 4\n").unwrap();
        let merged = merge(&base, &overlay);
        let a = merged.get("a").unwrap();
        assert_eq!(a.get("x").unwrap().value, Value::Int(1));
        match &a.get("y").unwrap().value {
            Value::Seq(items) => assert_eq!(items.len(), 1),
            other => panic!("expected a list, got {other:?}"),
        }
        assert_eq!(merged.get("b").unwrap().value, Value::Int(4));
    }

    #[test]
    fn merged_values_keep_their_own_line() {
        let base = parse("dns:\n  subzone: a.example.com\n  hub_host: h.a.example.com\n").unwrap();
        let overlay = parse("\n\n\n\ndns:\n  subzone: b.example.com\n").unwrap();
        let merged = merge(&base, &overlay);
        let dns = merged.get("dns").unwrap();
        assert_eq!(dns.get("subzone").unwrap().pos.line, 6);
        assert_eq!(dns.get("hub_host").unwrap().pos.line, 3);
    }
}
