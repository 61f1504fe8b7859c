//! JSON against JSON: every changed path with its value before and after, and the short
//! forms a reviewer reads (`!Ref Vpc` rather than `{"Ref": "Vpc"}`).

use serde::Serialize;
use serde_json::Value;

/// One changed value: where, what it was (`None`: absent), what it becomes (`None`: removed).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Change {
    /// Path from the compared root: keys joined by `.`, array items in brackets, named by
    /// their `Name`, `PolicyName`, `Key` or `Sid` when they have a unique one
    /// (`Properties.ContainerDefinitions[hub].Environment[JUPYTERHUB_ADMIN_USERS].Value`),
    /// numbered otherwise (`Properties.Subnets[0]`).
    pub path: String,
    /// The value before.
    pub before: Option<Value>,
    /// The value after.
    pub after: Option<Value>,
    /// The path lies in a create-only property: changing it replaces the resource.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub create_only: bool,
    /// The path lies in a conditionally create-only property: changing it may replace the
    /// resource.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub may_replace: bool,
}

/// Every difference between `before` and `after`, below `prefix`. Objects are compared key by
/// key, arrays of the same length item by item; anything else that differs (an array that
/// grew or shrank, a scalar, a type change) is one change at its path, so a policy's statement
/// list that gained an item reads as one before/after pair, diffed line by line when shown.
pub fn changes(prefix: &[String], before: Option<&Value>, after: Option<&Value>) -> Vec<Change> {
    let mut out = Vec::new();
    walk(&mut prefix.to_vec(), before, after, &mut out);
    out
}

fn walk(
    path: &mut Vec<String>,
    before: Option<&Value>,
    after: Option<&Value>,
    out: &mut Vec<Change>,
) {
    match (before, after) {
        (Some(a), Some(b)) if a == b => {}
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                path.push(key.clone());
                walk(path, a.get(key), b.get(key), out);
                path.pop();
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) => match (item_labels(a), item_labels(b)) {
            // Named items (environment variables, statements with a Sid) are matched by
            // name, so one inserted or renamed item reads as itself, not as a shift.
            (Some(la), Some(lb)) => {
                let mut names: Vec<&String> = lb.iter().collect();
                names.extend(la.iter().filter(|l| !lb.contains(l)));
                for name in names {
                    let x = la.iter().position(|l| l == name).map(|i| &a[i]);
                    let y = lb.iter().position(|l| l == name).map(|i| &b[i]);
                    path.push(format!("[{name}]"));
                    walk(path, x, y, out);
                    path.pop();
                }
            }
            _ if a.len() == b.len() => {
                for (i, (x, y)) in a.iter().zip(b).enumerate() {
                    path.push(format!("[{i}]"));
                    walk(path, Some(x), Some(y), out);
                    path.pop();
                }
            }
            _ => out.push(leaf(path, before, after)),
        },
        (None, None) => {}
        _ => out.push(leaf(path, before, after)),
    }
}

/// One change at `path`, the values compared whole.
fn leaf(path: &[String], before: Option<&Value>, after: Option<&Value>) -> Change {
    Change {
        path: join(path),
        before: before.cloned(),
        after: after.cloned(),
        create_only: false,
        may_replace: false,
    }
}

/// Keys joined by `.`, array items (`[...]`) appended to their array's key.
pub fn join(path: &[String]) -> String {
    let mut out = String::new();
    for segment in path {
        if !out.is_empty() && !segment.starts_with('[') {
            out.push('.');
        }
        out.push_str(segment);
    }
    out
}

/// The names of `items` (`Name`, `PolicyName`, `Key` or `Sid`), when every item has one,
/// made of plain characters, and no two are the same; `None` to number them.
fn item_labels(items: &[Value]) -> Option<Vec<String>> {
    let labels: Vec<String> = items
        .iter()
        .map(|item| {
            ["Name", "PolicyName", "Key", "Sid"]
                .iter()
                .find_map(|key| item.get(key).and_then(Value::as_str))
                .filter(|label| {
                    !label.is_empty()
                        && label
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || "_-:/".contains(c))
                })
                .map(str::to_string)
        })
        .collect::<Option<_>>()?;
    let mut unique = labels.clone();
    unique.sort();
    unique.dedup();
    (unique.len() == labels.len()).then_some(labels)
}

/// The path's segments with every array item as `*`: `A[x].B[0]` is `A`, `*`, `B`, `*`.
pub fn pattern_segments(path: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let mut pieces = part.split('[');
        if let Some(name) = pieces.next().filter(|n| !n.is_empty()) {
            out.push(name);
        }
        out.extend(pieces.map(|_| "*"));
    }
    out
}

/// A value as a reviewer reads it: intrinsic functions in their short YAML form, strings
/// quoted, structures as compact JSON.
pub fn short(value: &Value) -> String {
    if let Some(intrinsic) = intrinsic(value) {
        return intrinsic;
    }
    match value {
        Value::String(s) => format!("{s:?}"),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(short).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Object(map) => {
            let inner: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{k}: {}", short(v)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
        other => other.to_string(),
    }
}

/// A string as itself, anything else in short form.
pub fn plain(value: &Value) -> String {
    value.as_str().map_or_else(|| short(value), str::to_string)
}

/// `{"Ref": ...}` or `{"Fn::...": ...}`: a value CloudFormation computes.
pub fn is_intrinsic(value: &Value) -> bool {
    value.as_object().is_some_and(|map| {
        map.len() == 1 && map.keys().all(|k| k == "Ref" || k.starts_with("Fn::"))
    })
}

/// `!Ref X`, `!GetAtt X.Y`, `!Sub '...'`, or `None` for a value that is not one of them.
fn intrinsic(value: &Value) -> Option<String> {
    let map = value.as_object()?;
    if map.len() != 1 {
        return None;
    }
    let (key, arg) = map.iter().next()?;
    Some(match (key.as_str(), arg) {
        ("Ref", Value::String(name)) => format!("!Ref {name}"),
        ("Fn::GetAtt", Value::Array(parts)) => {
            let parts: Vec<&str> = parts.iter().filter_map(Value::as_str).collect();
            format!("!GetAtt {}", parts.join("."))
        }
        ("Fn::GetAtt", Value::String(dotted)) => format!("!GetAtt {dotted}"),
        ("Fn::Sub", Value::String(text)) => format!("!Sub {text:?}"),
        (name, arg) if name.starts_with("Fn::") => {
            format!("!{} {}", &name[4..], short(arg))
        }
        _ => return None,
    })
}

/// A value shown over several lines (a long or multi-line string, a structure), so two
/// versions of it are compared line by line; `None` for a value short enough for one line.
pub fn lines(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if s.contains('\n') || s.len() > 100 => Some(s.clone()),
        Value::Array(_) | Value::Object(_) => {
            let text = short(value);
            (text.len() > 100).then(|| pretty(value))
        }
        _ => None,
    }
}

fn pretty(value: &Value) -> String {
    // A `Fn::Sub` body or an embedded script reads better as its own lines.
    if let Some(Value::String(text)) = value.get("Fn::Sub") {
        if text.contains('\n') {
            return text.clone();
        }
    }
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

/// Every resource, parameter or pseudo name `value` refers to: `Ref`, `Fn::GetAtt` and the
/// `${Name}` / `${Name.Attr}` of `Fn::Sub` (its own variables excluded).
pub fn references(value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    collect_references(value, &mut out);
    out.sort();
    out.dedup();
    out
}

fn collect_references(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if map.len() == 1 {
                if let Some(Value::String(name)) = map.get("Ref") {
                    out.push(name.clone());
                    return;
                }
                match map.get("Fn::GetAtt") {
                    Some(Value::Array(parts)) => {
                        if let Some(Value::String(name)) = parts.first() {
                            out.push(name.clone());
                        }
                        return;
                    }
                    Some(Value::String(dotted)) => {
                        out.push(dotted.split('.').next().unwrap_or(dotted).to_string());
                        return;
                    }
                    _ => {}
                }
                match map.get("Fn::Sub") {
                    Some(Value::String(text)) => {
                        out.extend(sub_names(text, &[]));
                        return;
                    }
                    Some(Value::Array(parts)) => {
                        let locals: Vec<String> = parts
                            .get(1)
                            .and_then(Value::as_object)
                            .map(|vars| vars.keys().cloned().collect())
                            .unwrap_or_default();
                        if let Some(Value::String(text)) = parts.first() {
                            out.extend(sub_names(text, &locals));
                        }
                        for part in parts.iter().skip(1) {
                            collect_references(part, out);
                        }
                        return;
                    }
                    _ => {}
                }
            }
            for item in map.values() {
                collect_references(item, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_references(item, out)),
        _ => {}
    }
}

/// The resources whose attributes `value` reads, with the attribute: `Fn::GetAtt`, and
/// `${Name.Attr}` in a `Fn::Sub` text. An attribute may change when its resource is updated
/// in place.
pub fn attribute_references(value: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    collect_attributes(value, &mut out);
    out.sort();
    out.dedup();
    out
}

fn collect_attributes(value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => match (map.len(), map.get("Fn::GetAtt"), map.get("Fn::Sub")) {
            (1, Some(getatt), _) => {
                let pair = match getatt {
                    Value::Array(parts) => parts
                        .first()
                        .and_then(Value::as_str)
                        .zip(parts.get(1).and_then(Value::as_str)),
                    Value::String(dotted) => dotted.split_once('.'),
                    _ => None,
                };
                out.extend(pair.map(|(n, a)| (n.to_string(), a.to_string())));
            }
            (1, _, Some(sub)) => {
                let text = match sub {
                    Value::String(text) => Some(text.as_str()),
                    Value::Array(parts) => {
                        parts
                            .iter()
                            .skip(1)
                            .for_each(|p| collect_attributes(p, out));
                        parts.first().and_then(Value::as_str)
                    }
                    _ => None,
                };
                for inner in placeholders(text.unwrap_or_default()) {
                    if let Some((name, attribute)) = inner.split_once('.') {
                        if !name.starts_with("AWS::") {
                            out.push((name.to_string(), attribute.to_string()));
                        }
                    }
                }
            }
            _ => map.values().for_each(|item| collect_attributes(item, out)),
        },
        Value::Array(items) => items.iter().for_each(|item| collect_attributes(item, out)),
        _ => {}
    }
}

/// The names of `${Name}` and `${Name.Attr}` in a `Fn::Sub` text (`${!Literal}` excluded).
fn sub_names(text: &str, locals: &[String]) -> Vec<String> {
    placeholders(text)
        .map(|inner| inner.split('.').next().unwrap_or(inner))
        .filter(|name| !locals.iter().any(|local| local == name))
        .map(str::to_string)
        .collect()
}

/// What stands between `${` and `}` in a `Fn::Sub` text, `${!Literal}` left out.
fn placeholders(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || loop {
        let start = rest.find("${")?;
        rest = &rest[start + 2..];
        let end = rest.find('}')?;
        let inner = &rest[..end];
        rest = &rest[end + 1..];
        if !inner.starts_with('!') {
            return Some(inner);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn objects_recurse_and_arrays_of_another_length_are_one_change() {
        let before = json!({"A": 1, "B": {"C": [1, 2], "D": [1]}, "E": "x"});
        let after = json!({"A": 1, "B": {"C": [1, 3], "D": [1, 2]}, "F": true});
        let found: Vec<String> = changes(&["P".to_string()], Some(&before), Some(&after))
            .into_iter()
            .map(|c| c.path)
            .collect();
        assert_eq!(found, ["P.B.C[1]", "P.B.D", "P.E", "P.F"]);
    }

    #[test]
    fn array_items_are_named_when_they_have_unique_names() {
        let before = json!({"Env": [{"Name": "A", "Value": "1"}, {"Name": "B", "Value": "2"}], "L": [{"Name": "x"}, {"Name": "x", "V": 1}]});
        let after = json!({"Env": [{"Name": "A", "Value": "1"}, {"Name": "B", "Value": "3"}], "L": [{"Name": "x"}, {"Name": "x", "V": 2}]});
        let found: Vec<String> = changes(&[], Some(&before), Some(&after))
            .into_iter()
            .map(|c| c.path)
            .collect();
        assert_eq!(found, ["Env[B].Value", "L[1].V"]);
        let renamed = changes(
            &[],
            Some(&json!([{"Name": "OLD", "Value": "1"}, {"Name": "KEEP", "Value": "2"}])),
            Some(
                &json!([{"Name": "KEEP", "Value": "2"}, {"Name": "NEW", "Value": "1"}, {"Name": "MORE", "Value": "3"}]),
            ),
        );
        let paths: Vec<(&str, bool, bool)> = renamed
            .iter()
            .map(|c| (c.path.as_str(), c.before.is_some(), c.after.is_some()))
            .collect();
        assert_eq!(
            paths,
            [
                ("[NEW]", false, true),
                ("[MORE]", false, true),
                ("[OLD]", true, false)
            ]
        );
        assert_eq!(
            pattern_segments("Properties.Env[B].Value"),
            ["Properties", "Env", "*", "Value"]
        );
    }

    #[test]
    fn short_forms_of_intrinsics() {
        assert_eq!(short(&json!({"Ref": "Vpc"})), "!Ref Vpc");
        assert_eq!(
            short(&json!({"Fn::GetAtt": ["Key", "Arn"]})),
            "!GetAtt Key.Arn"
        );
        assert_eq!(short(&json!({"Fn::Sub": "a-${X}"})), "!Sub \"a-${X}\"");
        assert_eq!(
            short(&json!({"Fn::Select": [0, {"Ref": "L"}]})),
            "!Select [0, !Ref L]"
        );
        assert_eq!(short(&json!(["a", 1])), "[\"a\", 1]");
    }

    #[test]
    fn references_cover_ref_getatt_and_sub_but_not_sub_variables() {
        let value = json!({
            "A": {"Ref": "Vpc"},
            "B": [{"Fn::GetAtt": "Key.Arn"}],
            "C": {"Fn::Sub": "arn:${AWS::Partition}:x:::${Bucket}/${!Literal}"},
            "D": {"Fn::Sub": ["${Local}-${Other.Arn}", {"Local": {"Ref": "Zone"}}]}
        });
        assert_eq!(
            references(&value),
            ["AWS::Partition", "Bucket", "Key", "Other", "Vpc", "Zone"]
        );
    }

    #[test]
    fn attribute_references_are_getatt_and_dotted_sub_names() {
        let value = json!({
            "A": {"Ref": "Vpc"},
            "B": {"Fn::GetAtt": ["Db", "Endpoint.Port"]},
            "C": {"Fn::Sub": "${Lb.DNSName}/${Plain}/${AWS::Region}"}
        });
        let found = attribute_references(&value);
        let pair = |n: &str, a: &str| (n.to_string(), a.to_string());
        assert_eq!(found, [pair("Db", "Endpoint.Port"), pair("Lb", "DNSName")]);
    }

    #[test]
    fn long_values_are_shown_over_lines() {
        assert!(lines(&json!("short")).is_none());
        assert!(lines(&json!("one\ntwo")).is_some());
        let long: Vec<String> = (0..30).map(|i| format!("s3:Action{i}")).collect();
        assert!(lines(&json!(long)).is_some_and(|text| text.lines().count() == 32));
    }
}
