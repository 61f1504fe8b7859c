//! The config's keys, declared once (`keys`): name, type, what the reader does when the key
//! is absent, and one line of doc. Everything that needs the keys reads them from here: the
//! reader's unknown-key and did-you-mean checks (`key_names!`, [`Fields::names`]), the JSON
//! Schema `hubctl schema` prints ([`json_schema`]) and the README's config reference
//! ([`markdown_reference`]).
//!
//! The schema checks each mapping as it is written. What only the merged environment shows
//! (a required key given nowhere, a key of another `kind` merged from the top level) is left
//! to `hubctl validate`, so the schema never refuses what the reader takes.

mod keys;

pub use keys::{
    ADDONS, AUTH, DATABASE, DNS, EKS, ENVIRONMENT, FILE, GPU_NODE_GROUP, HUB, NETWORK, NODE_GROUP,
    PROFILE, SHARED, STORAGE,
};

use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// One key of a mapping.
#[derive(Debug)]
pub struct Key {
    /// The key as written.
    pub name: &'static str,
    /// Its value's type.
    pub kind: Kind,
    /// What the reader does when the key is not written.
    pub absent: Absent,
    /// What it does, with its unit: one line, lowercase, no trailing period.
    pub doc: &'static str,
}

/// What the reader does when a key is absent.
#[derive(Debug)]
pub enum Absent {
    /// Reports it missing (in the environment merged over the top level).
    Required,
    /// Takes this value, written as in the config (`true`, `2`, `[openid, email]`).
    Default(&'static str),
    /// Does this, said in words (no single value stands for it).
    Means(&'static str),
}

/// The type of a value.
#[derive(Debug)]
pub enum Kind {
    /// A string; `what` names it in the reference, `pattern` (when given) is a regular
    /// expression every valid value matches (the reader checks more).
    Text {
        /// What the string is, e.g. `DNS name`.
        what: &'static str,
        /// A regular expression the value matches.
        pattern: Option<&'static str>,
    },
    /// A whole number from `min` to `max`.
    Integer {
        /// The least value.
        min: i64,
        /// The greatest value.
        max: i64,
    },
    /// `true` or `false`.
    Boolean,
    /// One of these strings.
    Enum(&'static [&'static str]),
    /// A list.
    List(&'static List),
    /// A mapping of these keys; any other key is refused.
    Map(&'static Fields),
    /// A mapping of names the user chooses, each to a mapping of `values`' keys.
    Named {
        /// What the names are.
        what: &'static str,
        /// A regular expression every name matches.
        pattern: &'static str,
        /// Names that are refused.
        reserved: &'static [&'static str],
        /// The keys under each name.
        values: &'static Fields,
    },
    /// Tags: names the user chooses to strings (numbers and booleans read as strings).
    Tags {
        /// At most this many.
        max: usize,
    },
    /// Any of these.
    Either(&'static [Kind]),
    /// The key that picks one of its mapping's [`Fields::variants`], whose names are its
    /// values.
    Tag,
    /// Any value is refused (the key is known, so the reader says why).
    Refused,
}

/// A list's items and length.
#[derive(Debug)]
pub struct List {
    /// The items' type.
    pub items: Kind,
    /// At least this many items.
    pub min: usize,
    /// At most this many.
    pub max: Option<usize>,
    /// Each item at most once.
    pub unique: bool,
}

/// The keys of one mapping.
#[derive(Debug)]
pub struct Fields {
    /// Its key path as the reference names it (`hub.database`, `hub.profiles[]`); empty for
    /// the file's top level.
    pub name: &'static str,
    /// The keys every variant has, the [`Kind::Tag`] key among them.
    pub keys: &'static [Key],
    /// The variants the tag key picks from, each with its own keys (empty: no tag).
    pub variants: &'static [Variant],
}

/// One value of a tag key and the keys that apply with it.
#[derive(Debug)]
pub struct Variant {
    /// The tag's value.
    pub name: &'static str,
    /// What it means.
    pub doc: &'static str,
    /// The keys that apply only with it.
    pub keys: &'static [Key],
}

/// The largest number of keys one mapping declares ([`names_of`] works in an array this long).
pub const MAX_KEYS: usize = 64;

const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The names of `fields`' keys in their order, each variant's keys (in variant order, each
/// once) right after the tag key, and how many there are. A `const fn`, so a reader's
/// constant can be read off the declaration at compile time (`key_names!`).
pub const fn names_of<const N: usize>(fields: &Fields) -> ([&'static str; N], usize) {
    let mut names = [""; N];
    let mut n = 0;
    let mut i = 0;
    while i < fields.keys.len() {
        names[n] = fields.keys[i].name;
        n += 1;
        if matches!(fields.keys[i].kind, Kind::Tag) {
            let mut v = 0;
            while v < fields.variants.len() {
                let keys = fields.variants[v].keys;
                let mut k = 0;
                while k < keys.len() {
                    let mut seen = false;
                    let mut j = 0;
                    while j < n {
                        seen = seen || same(names[j], keys[k].name);
                        j += 1;
                    }
                    if !seen {
                        names[n] = keys[k].name;
                        n += 1;
                    }
                    k += 1;
                }
                v += 1;
            }
        }
        i += 1;
    }
    (names, n)
}

/// `&'static [&'static str]`: the key names of a [`Fields`] static ([`names_of`]), computed
/// at compile time, for the reader's constants.
macro_rules! key_names {
    ($fields:path) => {{
        const ALL: ([&str; $crate::config::schema::MAX_KEYS], usize) =
            $crate::config::schema::names_of::<{ $crate::config::schema::MAX_KEYS }>(&$fields);
        const NAMES: [&str; ALL.1] = {
            let mut names = [""; ALL.1];
            let mut i = 0;
            while i < ALL.1 {
                names[i] = ALL.0[i];
                i += 1;
            }
            names
        };
        &NAMES
    }};
}
pub(crate) use key_names;

impl Fields {
    /// Every key a mapping of these fields may hold ([`names_of`]'s order).
    pub fn names(&self) -> Vec<&'static str> {
        let (names, n) = names_of::<MAX_KEYS>(self);
        names[..n].to_vec()
    }

    /// The keys that apply with the tag's value `variant`, or `None` when it is none of the
    /// variants.
    pub fn variant_names(&self, variant: &str) -> Option<Vec<&'static str>> {
        self.variants
            .iter()
            .find(|v| v.name == variant)
            .map(|v| v.keys.iter().map(|key| key.name).collect())
    }

    /// The key `name`, a variant's included.
    pub fn key(&self, name: &str) -> Option<&'static Key> {
        let keys: &'static [Key] = self.keys;
        keys.iter()
            .chain(self.variants.iter().flat_map(|v| v.keys.iter()))
            .find(|key| key.name == name)
    }

    /// The tag key, when the fields have variants.
    fn tag(&self) -> Option<&'static Key> {
        let keys: &'static [Key] = self.keys;
        keys.iter().find(|key| matches!(key.kind, Kind::Tag))
    }

    /// Each key with the variant it belongs to (`None`: every variant), in [`names_of`]'s
    /// order.
    fn keys_in_order(&'static self) -> Vec<(&'static Key, Option<&'static Variant>)> {
        let mut found: Vec<(&'static Key, Option<&'static Variant>)> = Vec::new();
        for key in self.keys {
            found.push((key, None));
            if matches!(key.kind, Kind::Tag) {
                for variant in self.variants {
                    for key in variant.keys {
                        if !found.iter().any(|(k, _)| k.name == key.name) {
                            found.push((key, Some(variant)));
                        }
                    }
                }
            }
        }
        found
    }
}

/// Every mapping of the config, depth first from the top level, each once.
pub fn sections() -> Vec<&'static Fields> {
    fn visit(fields: &'static Fields, found: &mut Vec<&'static Fields>) {
        if found.iter().any(|f| f.name == fields.name) {
            return;
        }
        found.push(fields);
        for (key, _) in fields.keys_in_order() {
            visit_kind(&key.kind, found);
        }
    }
    fn visit_kind(kind: &'static Kind, found: &mut Vec<&'static Fields>) {
        match kind {
            Kind::Map(fields) => visit(fields, found),
            Kind::Named { values, .. } => visit(values, found),
            Kind::List(list) => visit_kind(&list.items, found),
            Kind::Either(kinds) => kinds.iter().for_each(|kind| visit_kind(kind, found)),
            _ => {}
        }
    }
    // The top level and an environment first, then what is below them.
    let mut found: Vec<&'static Fields> = vec![&FILE, &ENVIRONMENT];
    for fields in [&FILE, &ENVIRONMENT] {
        for (key, _) in fields.keys_in_order() {
            visit_kind(&key.kind, &mut found);
        }
    }
    found
}

/// A default as written in the config, as JSON: booleans, integers, `[a, b]` and `{}`;
/// anything else is a string.
fn default_json(text: &str) -> Value {
    if let Ok(flag) = text.parse::<bool>() {
        return Value::Bool(flag);
    }
    if let Ok(number) = text.parse::<i64>() {
        return Value::from(number);
    }
    if text == "{}" {
        return json!({});
    }
    if let Some(items) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        return Value::Array(
            items
                .split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(|item| Value::String(item.to_string()))
                .collect(),
        );
    }
    Value::String(text.to_string())
}

/// The config's JSON Schema (draft 2020-12): every mapping refuses unknown keys, with the
/// types, enums, defaults and descriptions of the declaration; a tag's variants as
/// `if`/`then` (another variant's keys refused). `required` only where one mapping must
/// hold the key itself (the top level, each environment, list items): elsewhere an
/// environment may take it from the top level. Same bytes every run, newline-terminated.
pub fn json_schema() -> String {
    let mut defs = BTreeMap::new();
    let mut root = object(&FILE, Whole::Top, &mut defs);
    let root_map = root.as_object_mut().expect("an object schema");
    root_map.insert(
        "$schema".into(),
        json!("https://json-schema.org/draft/2020-12/schema"),
    );
    root_map.insert(
        "$id".into(),
        json!(format!("urn:hubctl:config:{}", env!("CARGO_PKG_VERSION"))),
    );
    root_map.insert("title".into(), json!("hubctl config"));
    root_map.insert(
        "description".into(),
        json!("One file for every environment of one JupyterHub platform; `environments.<name>` is merged over the top level (maps merge, scalars and lists replace). Written by `hubctl schema`; `hubctl validate` checks what only the merged environment shows."),
    );
    root_map.insert(
        "$defs".into(),
        Value::Object(defs.into_iter().collect::<Map<String, Value>>()),
    );
    let mut text = serde_json::to_string_pretty(&root).expect("a JSON value serializes");
    text.push('\n');
    text
}

/// Which keys a mapping's schema may require.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Whole {
    /// The top level: the keys an environment cannot set (`project`, `environments`).
    Top,
    /// An environment: the keys the top level cannot set (`account`).
    Environment,
    /// Every required key (the mapping is replaced whole: a list item).
    All,
    /// None (an environment may give the rest).
    Partial,
}

/// Where `$ref`s point to `fields`.
fn def_name(fields: &Fields) -> String {
    fields
        .name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        .collect()
}

fn reference(fields: &'static Fields, whole: Whole, defs: &mut BTreeMap<String, Value>) -> Value {
    let name = def_name(fields);
    if !defs.contains_key(&name) {
        defs.insert(name.clone(), Value::Null);
        let schema = object(fields, whole, defs);
        defs.insert(name.clone(), schema);
    }
    json!({ "$ref": format!("#/$defs/{name}") })
}

/// Whether the mapping under `key` of a mapping read as `whole` is whole too.
fn whole_below(key: &Key, whole: Whole) -> Whole {
    let other = match whole {
        Whole::Top => &ENVIRONMENT,
        Whole::Environment => &FILE,
        other => return other,
    };
    if other.key(key.name).is_some() {
        Whole::Partial
    } else {
        Whole::All
    }
}

/// Whether `key` of a mapping read as `whole` is required in it.
fn required_here(key: &Key, whole: Whole) -> bool {
    matches!(key.absent, Absent::Required)
        && match whole {
            Whole::Top => ENVIRONMENT.key(key.name).is_none(),
            Whole::Environment => FILE.key(key.name).is_none(),
            Whole::All => true,
            Whole::Partial => false,
        }
}

fn object(fields: &'static Fields, whole: Whole, defs: &mut BTreeMap<String, Value>) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for (key, variant) in fields.keys_in_order() {
        let mut schema = match &key.kind {
            Kind::Tag => json!({
                "type": "string",
                "enum": fields.variants.iter().map(|v| v.name).collect::<Vec<_>>(),
            }),
            kind => kind_schema(kind, whole_below(key, whole), defs),
        };
        // Draft-07 readers (yaml-language-server) ignore what stands beside a `$ref`: the
        // mapping's own schema says it too.
        if let Kind::Map(below) = &key.kind {
            if let Some(Value::Object(def)) = defs.get_mut(&def_name(below)) {
                def.entry("description")
                    .or_insert_with(|| Value::String(key.doc.to_string()));
            }
        }
        let schema_map = schema.as_object_mut().expect("an object schema");
        let mut doc = key.doc.to_string();
        if let (Some(variant), Some(tag)) = (variant, fields.tag()) {
            doc = format!("with `{}: {}`: {doc}", tag.name, variant.name);
        }
        if matches!(key.kind, Kind::Tag) {
            for variant in fields.variants {
                doc.push_str(&format!("; `{}`: {}", variant.name, variant.doc));
            }
        }
        match key.absent {
            Absent::Default(value) => {
                schema_map.insert("default".into(), default_json(value));
            }
            Absent::Means(what) => doc.push_str(&format!(" (unset: {what})")),
            Absent::Required => {}
        }
        schema_map.insert("description".into(), Value::String(doc));
        properties.insert(key.name.to_string(), schema);
        if variant.is_none() && required_here(key, whole) {
            required.push(key.name);
        }
    }
    let mut schema = json!({
        "type": "object",
        "properties": properties,
        "additionalProperties": false,
    });
    let schema_map = schema.as_object_mut().expect("an object schema");
    if !required.is_empty() {
        schema_map.insert("required".into(), json!(required));
    }
    if let Some(tag) = fields.tag() {
        let mut conditions = Vec::new();
        for variant in fields.variants {
            let refused: Map<String, Value> = fields
                .variants
                .iter()
                .filter(|other| other.name != variant.name)
                .flat_map(|other| other.keys.iter())
                .filter(|key| !variant.keys.iter().any(|own| own.name == key.name))
                .map(|key| (key.name.to_string(), Value::Bool(false)))
                .collect();
            let needed: Vec<&str> = variant
                .keys
                .iter()
                .filter(|key| required_here(key, whole))
                .map(|key| key.name)
                .collect();
            if refused.is_empty() && needed.is_empty() {
                continue;
            }
            let mut then = json!({ "properties": refused });
            if !needed.is_empty() {
                then["required"] = json!(needed);
            }
            conditions.push(json!({
                "if": {
                    "properties": { tag.name: { "const": variant.name } },
                    "required": [tag.name],
                },
                "then": then,
            }));
        }
        if !conditions.is_empty() {
            schema_map.insert("allOf".into(), Value::Array(conditions));
        }
    }
    schema
}

fn kind_schema(kind: &'static Kind, whole: Whole, defs: &mut BTreeMap<String, Value>) -> Value {
    match kind {
        Kind::Text { pattern, .. } => match pattern {
            Some(pattern) => json!({ "type": "string", "pattern": pattern }),
            None => json!({ "type": "string" }),
        },
        Kind::Integer { min, max } => json!({ "type": "integer", "minimum": min, "maximum": max }),
        Kind::Boolean => json!({ "type": "boolean" }),
        Kind::Enum(values) => json!({ "type": "string", "enum": values }),
        Kind::List(list) => {
            let mut schema = json!({
                "type": "array",
                "items": kind_schema(&list.items, Whole::All, defs),
            });
            if list.min > 0 {
                schema["minItems"] = json!(list.min);
            }
            if let Some(max) = list.max {
                schema["maxItems"] = json!(max);
            }
            if list.unique {
                schema["uniqueItems"] = json!(true);
            }
            schema
        }
        Kind::Map(fields) => reference(fields, whole, defs),
        Kind::Named {
            pattern,
            reserved,
            values,
            ..
        } => json!({
            "type": "object",
            "minProperties": 1,
            "propertyNames": { "pattern": pattern, "not": { "enum": reserved } },
            "additionalProperties": reference(values, Whole::Environment, defs),
        }),
        Kind::Tags { max } => json!({
            "type": "object",
            "maxProperties": max,
            "propertyNames": { "minLength": 1, "maxLength": 128 },
            "additionalProperties": { "type": ["string", "integer", "boolean"] },
        }),
        Kind::Either(kinds) => json!({
            "anyOf": kinds.iter().map(|kind| kind_schema(kind, whole, defs)).collect::<Vec<_>>(),
        }),
        Kind::Tag => json!({ "type": "string" }),
        Kind::Refused => json!({ "not": {} }),
    }
}

/// A type as the reference says it.
fn kind_text(kind: &Kind, fields: &Fields) -> String {
    match kind {
        Kind::Text { what, .. } => what.to_string(),
        Kind::Integer { min, max } if *max >= i64::from(u32::MAX) => format!("integer ≥ {min}"),
        Kind::Integer { min, max } if min == max => format!("`{min}`"),
        Kind::Integer { min, max }
            if *min >= 100_000 && min.to_string().len() == max.to_string().len() =>
        {
            format!("{}-digit number", min.to_string().len())
        }
        Kind::Integer { min, max } => format!("integer {min}–{max}"),
        Kind::Boolean => "true or false".to_string(),
        Kind::Enum(values) if values.len() > 6 => format!(
            "one of {} names (`{}` … `{}`)",
            values.len(),
            values.first().copied().unwrap_or_default(),
            values.last().copied().unwrap_or_default()
        ),
        Kind::Enum(values) => one_of(values.iter().copied()),
        Kind::List(list) => {
            let items = match &list.items {
                Kind::Map(fields) => format!("mappings (`{}`)", fields.name),
                Kind::Text { what, .. } => format!("{what}s"),
                other => kind_text(other, fields),
            };
            let length = match (list.min, list.max) {
                (0, None) => String::new(),
                (min, None) => format!(", at least {min}"),
                (0, Some(max)) => format!(", at most {max}"),
                (min, Some(max)) => format!(", {min}–{max}"),
            };
            let unique = if list.unique { ", each once" } else { "" };
            format!("list of {items}{length}{unique}")
        }
        Kind::Map(fields) => format!("mapping (`{}`)", fields.name),
        Kind::Named { what, values, .. } => format!("{what} → mapping (`{}`)", values.name),
        Kind::Tags { .. } => "tag → string".to_string(),
        Kind::Either(kinds) => kinds
            .iter()
            .map(|kind| kind_text(kind, fields))
            .collect::<Vec<_>>()
            .join(", or "),
        Kind::Tag => one_of(fields.variants.iter().map(|v| v.name)),
        Kind::Refused => "—".to_string(),
    }
}

fn one_of<'a>(values: impl Iterator<Item = &'a str>) -> String {
    values
        .map(|value| format!("`{value}`"))
        .collect::<Vec<_>>()
        .join(" \\| ")
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// The README's config reference: per mapping, a table of key, type, default and
/// description, in the declaration's order.
pub fn markdown_reference() -> String {
    let mut out = String::new();
    for fields in sections() {
        let title = if fields.name.is_empty() {
            "The top level".to_string()
        } else {
            format!("`{}`", fields.name)
        };
        out.push_str(&format!("#### {title}\n\n"));
        out.push_str("| key | type | default | description |\n|---|---|---|---|\n");
        for (key, variant) in fields.keys_in_order() {
            let default = match key.absent {
                Absent::Required => "required".to_string(),
                Absent::Default(value) => format!("`{value}`"),
                Absent::Means(what) => what.to_string(),
            };
            let mut doc = key.doc.to_string();
            if let (Some(variant), Some(tag)) = (variant, fields.tag()) {
                doc = format!("with `{}: {}`: {doc}", tag.name, variant.name);
            }
            if matches!(key.kind, Kind::Tag) {
                for variant in fields.variants {
                    doc.push_str(&format!("; `{}`: {}", variant.name, variant.doc));
                }
            }
            out.push_str(&format!(
                "| `{}` | {} | {} | {} |\n",
                key.name,
                kind_text(&key.kind, fields),
                cell(&default),
                cell(&doc)
            ));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key path a mapping is reached by, as [`Fields::name`] says it.
    #[test]
    fn each_mapping_is_named_by_its_path() {
        fn check(fields: &'static Fields, path: &str, seen: &mut Vec<String>) {
            assert_eq!(fields.name, path, "the fields reached at `{path}`");
            if seen.iter().any(|s| s == path) {
                return;
            }
            seen.push(path.to_string());
            for (key, _) in fields.keys_in_order() {
                let below = if path.is_empty() {
                    key.name.to_string()
                } else {
                    format!("{path}.{}", key.name)
                };
                check_kind(&key.kind, &below, seen);
            }
        }
        fn check_kind(kind: &'static Kind, path: &str, seen: &mut Vec<String>) {
            match kind {
                Kind::Map(fields) => check(fields, path, seen),
                // An environment's keys are the top level's settings, named at the top.
                Kind::Named { values, .. } => {
                    assert_eq!(values.name, format!("{path}.<name>"));
                    for key in values
                        .keys
                        .iter()
                        .filter(|key| FILE.key(key.name).is_none())
                    {
                        check_kind(&key.kind, &format!("{path}.<name>.{}", key.name), seen);
                    }
                }
                Kind::List(list) => check_kind(&list.items, &format!("{path}[]"), seen),
                Kind::Either(kinds) => kinds.iter().for_each(|k| check_kind(k, path, seen)),
                _ => {}
            }
        }
        check(&FILE, "", &mut Vec::new());
    }

    #[test]
    fn names_put_the_variants_keys_after_the_tag() {
        assert_eq!(
            DATABASE.names(),
            [
                "kind",
                "instance_class",
                "multi_az",
                "engine_version",
                "url_secret_arn",
                "volume_gib"
            ]
        );
        assert_eq!(
            EKS.names(),
            [
                "version",
                "compute",
                "nodes",
                "gpu_nodes",
                "admin_roles",
                "endpoint_cidrs",
                "addons"
            ]
        );
        const COMPILED: &[&str] = key_names!(DNS);
        assert_eq!(COMPILED, DNS.names());
        assert_eq!(
            AUTH.variant_names("cognito"),
            Some(vec!["user_pool_id", "domain"])
        );
        assert_eq!(AUTH.variant_names("ldap"), None);
    }

    #[test]
    fn no_mapping_declares_a_key_twice_or_too_many() {
        for fields in sections() {
            let names = fields.names();
            assert!(names.len() < MAX_KEYS, "{}", fields.name);
            let all =
                fields.keys.len() + fields.variants.iter().map(|v| v.keys.len()).sum::<usize>();
            assert_eq!(names.len(), all, "`{}` declares a key twice", fields.name);
            assert_eq!(
                fields.variants.is_empty(),
                fields.tag().is_none(),
                "`{}`: variants need exactly one tag key",
                fields.name
            );
        }
    }

    /// Every key the reader looks up by name (`.get("…")`, `required(…, "…"`) is declared.
    #[test]
    fn every_key_the_reader_reads_is_declared() {
        let sources = [
            ("read.rs", include_str!("read.rs")),
            ("hub.rs", include_str!("hub.rs")),
            ("eks.rs", include_str!("eks.rs")),
            ("mod.rs", include_str!("mod.rs")),
            ("images.rs", include_str!("images.rs")),
        ];
        let declared: Vec<&str> = sections().iter().flat_map(|f| f.names()).collect();
        let mut found: Vec<&str> = Vec::new();
        for (file, text) in sources {
            for call in ["get(\"", "required("] {
                for (at, _) in text.match_indices(call) {
                    let rest = &text[at + call.len()..];
                    let name = if call == "required(" {
                        // The key is the second argument: `required(node, "key", ...)`.
                        let Some(quote) = rest.find('"') else {
                            continue;
                        };
                        let before = &rest[..quote];
                        if before.matches(',').count() != 1 || !before.trim_end().ends_with(',') {
                            continue;
                        }
                        &rest[quote + 1..]
                    } else {
                        rest
                    };
                    let Some(end) = name.find('"') else { continue };
                    let name = &name[..end];
                    found.push(name);
                    assert!(
                        declared.contains(&name),
                        "{file} reads `{name}`, which config::schema does not declare"
                    );
                }
            }
        }
        assert!(found.len() > 50, "the scan found only {} keys", found.len());
        // Calls over several lines are seen too.
        for key in [
            "url_secret_arn",
            "nodes",
            "ecr_endpoints",
            "client_secret_arn",
        ] {
            assert!(found.contains(&key), "the scan misses `{key}`");
        }
    }

    #[test]
    fn the_schema_is_json_with_every_mapping_closed() {
        let schema: Value = serde_json::from_str(&json_schema()).expect("JSON");
        assert_eq!(schema["additionalProperties"], json!(false));
        assert_eq!(schema["required"], json!(["project", "environments"]));
        let defs = schema["$defs"].as_object().expect("$defs");
        assert_eq!(defs.len(), sections().len() - 1);
        for (name, def) in defs {
            assert_eq!(def["additionalProperties"], json!(false), "{name}");
        }
        assert_eq!(defs["environments.name"]["required"], json!(["account"]));
        // An environment may take the rest from the top level; a profile is replaced whole.
        assert_eq!(defs["dns"].get("required"), None);
        assert_eq!(
            defs["hub.profiles"]["required"],
            json!(["name", "cpu", "memory"])
        );
        assert_eq!(
            defs["hub"]["properties"]["deletion_protection"]["default"],
            json!(true)
        );
        assert_eq!(
            defs["hub.auth"]["properties"]["scopes"]["default"],
            json!(["openid", "email", "profile"])
        );
    }
}
