//! What an EKS environment installs inside its cluster once the stacks exist: plain manifests
//! (what CloudFormation cannot create) and the JupyterHub Helm chart's values, as data.
//!
//! Values known only after deploy (the certificate's ARN, the file system's id) are named
//! placeholders, `${<stack>.<Output>}`, each listed with the [`OutputRef`] deploy fills it
//! from. synth writes the files with the placeholders; deploy fills them in a private copy
//! it hands to `kubectl` and `helm`. Pure data and text; no I/O.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::stacks::OutputRef;

/// A Helm chart at a pinned version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Chart {
    /// The chart repository's URL.
    pub repository: &'static str,
    /// The chart's name in it.
    pub name: &'static str,
    /// The pinned version.
    pub version: &'static str,
}

/// The Zero-to-JupyterHub chart hubctl writes values for (its schema is vendored in
/// `tests/chart/`, and the tests validate every values file against it).
pub const JUPYTERHUB_CHART: Chart = Chart {
    repository: "https://hub.jupyter.org/helm-chart/",
    name: "jupyterhub",
    version: "4.4.0",
};

/// One Helm release deploy installs.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Release {
    /// The release name.
    pub name: String,
    /// Its namespace.
    pub namespace: String,
    /// The chart.
    pub chart: Chart,
    /// The file its values are written to, relative to the environment's directory.
    pub values_file: String,
    /// The values.
    #[serde(skip)]
    pub values: Value,
}

/// One manifest file: a YAML stream of objects.
#[derive(Clone, Debug, PartialEq)]
pub struct Manifest {
    /// File name inside `k8s/`, e.g. `10-storage.yaml`; applied in name order.
    pub file: String,
    /// The objects, in order.
    pub objects: Vec<Value>,
}

/// Everything an environment installs in its cluster.
#[derive(Clone, Debug, PartialEq)]
pub struct Kubernetes {
    /// The cluster's name.
    pub cluster: String,
    /// The hub's namespace.
    pub namespace: String,
    /// Manifests applied before the releases.
    pub manifests: Vec<Manifest>,
    /// Releases installed in order (the hub's last).
    pub releases: Vec<Release>,
    /// Placeholder text → the output that fills it.
    pub placeholders: BTreeMap<String, OutputRef>,
}

impl Kubernetes {
    /// The placeholder for `output`, recorded.
    pub fn placeholder(&mut self, output: OutputRef) -> String {
        let text = placeholder(output);
        self.placeholders.insert(text.clone(), output);
        text
    }

    /// Every file relative to the environment's directory, with its text.
    pub fn files(&self) -> Vec<(String, String)> {
        let mut files: Vec<(String, String)> = self
            .manifests
            .iter()
            .map(|manifest| {
                (
                    format!("k8s/{}", manifest.file),
                    to_yaml_stream(&manifest.objects),
                )
            })
            .collect();
        for release in &self.releases {
            files.push((release.values_file.clone(), to_yaml(&release.values)));
        }
        files
    }
}

/// `${<stack>.<Output>}`.
pub fn placeholder(output: OutputRef) -> String {
    format!("${{{}.{}}}", output.stack.suffix(), output.output)
}

/// `text` with every placeholder replaced by `value(output)`; `Err` names the first one
/// without a value.
pub fn fill<'a>(
    text: &str,
    placeholders: &'a BTreeMap<String, OutputRef>,
    value: impl Fn(&OutputRef) -> Option<String>,
) -> Result<String, &'a str> {
    let mut filled = text.to_string();
    for (name, output) in placeholders {
        if filled.contains(name.as_str()) {
            let Some(value) = value(output) else {
                return Err(name);
            };
            filled = filled.replace(name.as_str(), &value);
        }
    }
    Ok(filled)
}

/// Objects as one YAML stream (`---` between documents), each as [`to_yaml`].
pub fn to_yaml_stream(objects: &[Value]) -> String {
    objects
        .iter()
        .map(to_yaml)
        .collect::<Vec<_>>()
        .join("---\n")
}

/// A JSON value as block-style YAML: keys in the map's order (sorted: serde_json without
/// `preserve_order`), every string double-quoted with JSON's escapes (a subset of YAML's),
/// multi-line strings as literal blocks. Same value, same bytes.
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => write_map(&mut out, map, 0),
        Value::Array(items) if !items.is_empty() => write_list(&mut out, items, 0),
        other => {
            out.push_str(&scalar(other, 0));
            out.push('\n');
        }
    }
    out
}

fn indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("  ");
    }
}

fn write_map(out: &mut String, map: &serde_json::Map<String, Value>, level: usize) {
    for (key, value) in map {
        indent(out, level);
        out.push_str(&key_text(key));
        out.push(':');
        write_nested(out, value, level);
    }
}

fn write_list(out: &mut String, items: &[Value], level: usize) {
    for item in items {
        indent(out, level);
        out.push('-');
        match item {
            Value::Object(map) if !map.is_empty() => {
                // The first key on the dash's line, the rest under it.
                let mut first = true;
                for (key, value) in map {
                    if first {
                        out.push(' ');
                        first = false;
                    } else {
                        indent(out, level + 1);
                    }
                    out.push_str(&key_text(key));
                    out.push(':');
                    write_nested(out, value, level + 1);
                }
            }
            Value::Array(inner) if !inner.is_empty() => {
                out.push('\n');
                write_list(out, inner, level + 1);
            }
            other => {
                out.push(' ');
                out.push_str(&scalar(other, level + 1));
                out.push('\n');
            }
        }
    }
}

fn write_nested(out: &mut String, value: &Value, level: usize) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            write_map(out, map, level + 1);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            write_list(out, items, level + 1);
        }
        other => {
            out.push(' ');
            out.push_str(&scalar(other, level + 1));
            out.push('\n');
        }
    }
}

fn scalar(value: &Value, level: usize) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => number.to_string(),
        Value::String(text) => {
            let literal_ok = text.contains('\n')
                && text.ends_with('\n')
                && !text.starts_with([' ', '\n'])
                && text
                    .chars()
                    .all(|c| c == '\n' || (!c.is_control() && c != '\u{feff}'))
                && !text.lines().any(|line| line.ends_with([' ', '\t']));
            if literal_ok {
                // `|` keeps exactly one final newline; the text has exactly one when it does
                // not end in a blank line.
                let keep = if text.ends_with("\n\n") { "|+" } else { "|" };
                let mut block = keep.to_string();
                for line in text.lines() {
                    block.push('\n');
                    if !line.is_empty() {
                        for _ in 0..level {
                            block.push_str("  ");
                        }
                        block.push_str(line);
                    }
                }
                block
            } else {
                quote(text)
            }
        }
        Value::Array(_) => "[]".to_string(),
        Value::Object(_) => "{}".to_string(),
    }
}

/// A mapping key: plain when it can only read as that string (letters, digits, `_-./`,
/// starting with a letter, and none of YAML 1.1's booleans or null), quoted otherwise.
fn key_text(key: &str) -> String {
    const WORDS: &[&str] = &["y", "n", "yes", "no", "on", "off", "true", "false", "null"];
    let plain = key.starts_with(|c: char| c.is_ascii_alphabetic())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-./".contains(&b))
        && !WORDS.contains(&key.to_ascii_lowercase().as_str());
    if plain {
        key.to_string()
    } else {
        quote(key)
    }
}

/// A double-quoted YAML scalar: JSON's string escapes are valid YAML escapes.
fn quote(text: &str) -> String {
    // serde_json's string serialization of a &str cannot fail.
    serde_json::to_string(text).unwrap_or_default()
}

/// A YAML stream (one or more documents) as JSON values, for reading back what
/// [`to_yaml_stream`] wrote (diff compares the files as data, not text). `Err` says where
/// the text is not YAML.
pub fn parse_yaml_stream(text: &str) -> Result<Vec<Value>, String> {
    use saphyr::{LoadableYamlNode, MarkedYaml};
    let documents = MarkedYaml::load_from_str(text).map_err(|err| {
        format!(
            "line {}: YAML syntax error: {}",
            err.marker().line(),
            err.info()
        )
    })?;
    documents.iter().map(yaml_value).collect()
}

fn yaml_value(marked: &saphyr::MarkedYaml<'_>) -> Result<Value, String> {
    use saphyr::{Scalar, YamlData};
    Ok(match &marked.data {
        YamlData::Value(Scalar::Null) => Value::Null,
        YamlData::Value(Scalar::Boolean(flag)) => Value::Bool(*flag),
        YamlData::Value(Scalar::Integer(number)) => Value::from(*number),
        YamlData::Value(Scalar::FloatingPoint(number)) => Value::from(number.into_inner()),
        YamlData::Value(Scalar::String(text)) | YamlData::Representation(text, _, _) => {
            Value::from(text.to_string())
        }
        YamlData::Sequence(items) => {
            Value::Array(items.iter().map(yaml_value).collect::<Result<_, _>>()?)
        }
        YamlData::Mapping(mapping) => {
            let mut map = serde_json::Map::new();
            for (key, value) in mapping {
                let key = match yaml_value(key)? {
                    Value::String(text) => text,
                    other => other.to_string(),
                };
                map.insert(key, yaml_value(value)?);
            }
            Value::Object(map)
        }
        YamlData::Tagged(_, inner) => yaml_value(inner)?,
        YamlData::Alias(_) | YamlData::BadValue => {
            return Err(format!(
                "line {}: an alias or unreadable value",
                marked.span.start.line()
            ))
        }
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::stacks::StackId;

    #[test]
    fn yaml_is_block_style_with_quoted_strings() {
        let value = json!({
            "b": [1, "two", {"x": true, "y": null}, [], {}],
            "a": {"nested": {"deep": "v: \"q\""}},
            "code": "line one\n  indented\n",
            "empty": {},
        });
        assert_eq!(
            to_yaml(&value),
            "a:\n  nested:\n    deep: \"v: \\\"q\\\"\"\nb:\n  - 1\n  - \"two\"\n  - x: true\n    \"y\": null\n  - []\n  - {}\ncode: |\n  line one\n    indented\nempty: {}\n"
        );
    }

    #[test]
    fn yaml_reads_back_as_the_same_values() {
        let objects = vec![
            json!({"b": [1, "two", {"x": true, "y": null}], "a": {"code": "one\n  two\n", "n": 1.5}}),
            json!({"kind": "Namespace", "on": "yes", "empty": {}, "none": []}),
        ];
        let text = to_yaml_stream(&objects);
        assert_eq!(parse_yaml_stream(&text), Ok(objects));
    }

    #[test]
    fn placeholders_are_filled_or_named() {
        let mut kubernetes = Kubernetes {
            cluster: "c".to_string(),
            namespace: "n".to_string(),
            manifests: Vec::new(),
            releases: Vec::new(),
            placeholders: BTreeMap::new(),
        };
        let arn = kubernetes.placeholder(OutputRef::new(StackId::Hub, "CertificateArn"));
        assert_eq!(arn, "${hub.CertificateArn}");
        let text = format!("cert: {arn}\nagain: {arn}\n");
        let filled = fill(&text, &kubernetes.placeholders, |_| {
            Some("arn:x".to_string())
        });
        assert_eq!(filled.as_deref(), Ok("cert: arn:x\nagain: arn:x\n"));
        let missing = fill(&text, &kubernetes.placeholders, |_| None);
        assert_eq!(missing, Err("${hub.CertificateArn}"));
    }
}
