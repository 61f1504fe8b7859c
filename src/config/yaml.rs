//! A YAML tree that remembers where every value was written.
//!
//! saphyr parses the text into `MarkedYaml`; this module turns that into [`Node`], an owned
//! tree whose every value carries its line, column and key path. The path is the one the user
//! wrote (`environments.prod.dns.subzone`), so a value merged from an overlay still points at
//! its own line when a rule rejects it long after parsing.

use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};

/// A position in the config file: 1-based line and column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
}

/// One value of the document with its origin.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// Where the value starts.
    pub pos: Pos,
    /// Where the key holding the value is written (the value's own position for list items
    /// and the document root): "is missing" problems point here.
    pub key_pos: Pos,
    /// Key path as written, e.g. `environments.dev.dns.subzone` or `hub.admins[1]`.
    pub path: String,
    /// The value.
    pub value: Value,
}

/// The shapes a YAML value can take after parsing.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `~`, `null` or nothing.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A floating point number.
    Float(f64),
    /// Any string.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping with string keys, in document order.
    Map(Vec<Entry>),
}

/// A key of a mapping with the key's own position and its value.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// The key text.
    pub key: String,
    /// Where the key is written.
    pub key_pos: Pos,
    /// The value under the key.
    pub node: Node,
}

/// A syntax error with its position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// Where the parser stopped.
    pub pos: Pos,
    /// The key path, when the error is about a key (empty otherwise).
    pub key: String,
    /// The parser's description.
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

impl SyntaxError {
    fn at(pos: Pos, message: impl Into<String>) -> SyntaxError {
        SyntaxError {
            pos,
            key: String::new(),
            message: message.into(),
            hint: "fix the YAML at this place".to_string(),
        }
    }
}

impl Value {
    /// The name used in "expected X, found Y" messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "nothing (null)",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

impl Node {
    /// The entries when this is a mapping.
    pub fn entries(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The value under `key` when this is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entries()?
            .iter()
            .find(|e| e.key == key)
            .map(|e| &e.node)
    }

    /// The value under `keys`, one mapping inside the other, e.g. `["hub", "auth", "domain"]`.
    pub fn get_path(&self, keys: &[&str]) -> Option<&Node> {
        keys.iter().try_fold(self, |node, key| node.get(key))
    }
}

fn pos_of(marked: &MarkedYaml<'_>) -> Pos {
    let start = marked.span.start;
    Pos {
        line: start.line(),
        col: start.col() + 1,
    }
}

fn child_path(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

/// Parses one YAML document into a [`Node`]. An empty file is an empty mapping.
pub fn parse(text: &str) -> Result<Node, SyntaxError> {
    let documents = MarkedYaml::load_from_str(text).map_err(|err| {
        let pos = Pos {
            line: err.marker().line(),
            col: err.marker().col() + 1,
        };
        match duplicated_key(text, pos) {
            Some(key) if err.info().contains("duplicated key") => SyntaxError {
                pos,
                key,
                message: "is written twice in the same mapping".to_string(),
                hint: "keep one of the two".to_string(),
            },
            _ => SyntaxError::at(pos, format!("YAML syntax error: {}", err.info())),
        }
    })?;
    match documents.len() {
        0 => {
            let start = Pos { line: 1, col: 1 };
            Ok(Node {
                pos: start,
                key_pos: start,
                path: String::new(),
                value: Value::Map(vec![]),
            })
        }
        1 => convert(&documents[0], String::new(), None),
        _ => Err(SyntaxError::at(
            pos_of(&documents[1]),
            "the config holds more than one YAML document; keep one (remove the `---` separator)",
        )),
    }
}

/// The path of a repeated key, e.g. `environments.dev.dns.subzone`: saphyr reports it at the
/// second one without naming it, so the name is read at that place and its parents from the
/// lines above with less indentation (block style; list items show as `[]`). `None` when the
/// place holds no key.
fn duplicated_key(text: &str, pos: Pos) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let line = lines.get(pos.line.checked_sub(1)?)?;
    let rest: String = line.chars().skip(pos.col.checked_sub(1)?).collect();
    let key = rest.split(':').next()?.trim().trim_matches(['"', '\'']);
    if key.is_empty() {
        return None;
    }
    let indent = |l: &str| l.len() - l.trim_start_matches([' ', '-']).len();
    let key_of = |l: &str| {
        let content = l.trim_start_matches([' ', '-']);
        let name = content.split(':').next()?.trim().trim_matches(['"', '\'']);
        (content.contains(':') && !name.is_empty() && !name.starts_with('#'))
            .then(|| (name.to_string(), l.trim_start().starts_with('-')))
    };
    let mut parents: Vec<String> = Vec::new();
    let first_content = line.len() - line.trim_start_matches([' ', '-']).len();
    let mut level = if first_content + 1 < pos.col {
        // A flow mapping: its key is the block key this line starts with.
        if let Some((name, item)) = key_of(line) {
            parents.push(if item { format!("{name}[]") } else { name });
        }
        indent(line)
    } else {
        pos.col - 1
    };
    for (index, above) in lines[..pos.line - 1].iter().enumerate().rev() {
        if above.trim().is_empty() || above.trim_start().starts_with('#') {
            continue;
        }
        if indent(above) < level {
            if let Some((name, _)) = key_of(above) {
                // `key:` whose block is a list: the repeated key is inside one of its items.
                let opens_list = lines[index + 1..]
                    .iter()
                    .find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
                    .is_some_and(|next| next.trim_start().starts_with('-'));
                parents.push(if opens_list {
                    format!("{name}[]")
                } else {
                    name
                });
            }
            level = indent(above);
            if level == 0 {
                break;
            }
        }
    }
    parents.reverse();
    parents.push(key.to_string());
    Some(parents.join("."))
}

fn convert(
    marked: &MarkedYaml<'_>,
    path: String,
    key_pos: Option<Pos>,
) -> Result<Node, SyntaxError> {
    let pos = pos_of(marked);
    let key_pos = key_pos.unwrap_or(pos);
    let value = match &marked.data {
        YamlData::Value(scalar) => scalar_value(scalar),
        YamlData::Representation(text, _, _) => Value::Str(text.to_string()),
        YamlData::Sequence(items) => Value::Seq(
            items
                .iter()
                .enumerate()
                .map(|(index, item)| convert(item, format!("{path}[{index}]"), None))
                .collect::<Result<_, _>>()?,
        ),
        YamlData::Mapping(mapping) => {
            let mut entries = Vec::with_capacity(mapping.len());
            for (key, value) in mapping {
                let key_text = match &key.data {
                    YamlData::Value(Scalar::String(text)) => text.to_string(),
                    YamlData::Value(Scalar::Integer(number)) => number.to_string(),
                    YamlData::Value(Scalar::Boolean(flag)) => flag.to_string(),
                    _ => {
                        return Err(SyntaxError::at(
                            pos_of(key),
                            "mapping keys must be plain words",
                        ))
                    }
                };
                let node = convert(value, child_path(&path, &key_text), Some(pos_of(key)))?;
                entries.push(Entry {
                    key: key_text,
                    key_pos: pos_of(key),
                    node,
                });
            }
            Value::Map(entries)
        }
        YamlData::Tagged(_, inner) => return convert(inner, path, Some(key_pos)),
        YamlData::Alias(_) => {
            return Err(SyntaxError::at(
                pos,
                "YAML aliases (*name) are not supported; write the value out",
            ))
        }
        YamlData::BadValue => return Err(SyntaxError::at(pos, "this value cannot be read")),
    };
    Ok(Node {
        pos,
        key_pos,
        path,
        value,
    })
}

fn scalar_value(scalar: &Scalar<'_>) -> Value {
    match scalar {
        Scalar::Null => Value::Null,
        Scalar::Boolean(flag) => Value::Bool(*flag),
        Scalar::Integer(number) => Value::Int(*number),
        Scalar::FloatingPoint(number) => Value::Float(number.into_inner()),
        Scalar::String(text) => Value::Str(text.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_keep_line_column_and_path() {
        let node = parse("project: demo\ndns:\n  subzone: dev.example.com\n").unwrap();
        let subzone = node.get_path(&["dns", "subzone"]).unwrap();
        assert_eq!(subzone.pos, Pos { line: 3, col: 12 });
        assert!(node.get_path(&["dns", "hub_host"]).is_none());
        assert!(node.get_path(&["project", "x"]).is_none());
        assert_eq!(subzone.path, "dns.subzone");
        assert_eq!(subzone.value, Value::Str("dev.example.com".into()));
    }

    #[test]
    fn duplicate_keys_are_syntax_errors_that_name_the_key() {
        let key = |text: &str| parse(text).unwrap_err().key;
        let err = parse("project: a\nproject: b\n").unwrap_err();
        assert_eq!((err.pos.line, err.key.as_str()), (2, "project"));
        assert_eq!(err.message, "is written twice in the same mapping");
        assert_eq!(
            key("environments:\n  dev:\n    dns:\n      subzone: a\n      # note\n      subzone: b\n"),
            "environments.dev.dns.subzone"
        );
        assert_eq!(
            key("hub:\n  auth: {kind: cognito, kind: oauth}\n"),
            "hub.auth.kind"
        );
        assert_eq!(
            key("hub:\n  profiles:\n    - name: a\n      name: b\n"),
            "hub.profiles[].name"
        );
    }

    #[test]
    fn empty_file_is_empty_mapping() {
        assert_eq!(parse("").unwrap().entries().map(<[Entry]>::len), Some(0));
    }
}
