//! `hubctl schema` and the README's config reference, both read off the one declaration of
//! the keys (`config::schema`).
//!
//! The schema is checked with a real validator (Python's jsonschema, pinned in
//! `tests/tools/schema.txt`): it is a valid draft 2020-12 schema, every config the project
//! ships passes it, and on each of them changed one key or value at a time (a key renamed,
//! a value replaced by a mapping, an enum's value misspelt) it says what `hubctl validate`
//! says; the other shapes the reader takes (`shared: true`, `idle_timeout: 90m`, an account
//! as a number, node groups, ...) it takes too. The reference is compared with README.md; regenerate it with
//! `HUBCTL_BLESS=1 cargo test --test it schema`.

use std::path::PathBuf;
use std::process::Command;

use hubctl::config::yaml::{self, Node, Value};
use serde_json::{json, Value as Json};

use crate::support::{hubctl, python_tool, root};

/// The configs the project ships: the example, the fixtures, the starter configs and the
/// deploy tests' configs.
fn shipped_configs() -> Vec<(String, PathBuf)> {
    let mut configs: Vec<(String, PathBuf)> = crate::support::fixtures();
    for (dir, label) in [("templates/init", "init"), ("tests/deploy", "deploy")] {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
            .unwrap_or_else(|err| panic!("{dir}: {err}"))
            .map(|entry| entry.expect("readable entry").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
            .collect();
        paths.sort();
        for path in paths {
            let name = format!(
                "{label}/{}",
                path.file_name().expect("a name").to_string_lossy()
            );
            configs.push((name, path));
        }
    }
    configs
}

/// The YAML tree as JSON, as hubctl reads it (YAML 1.2).
fn to_json(node: &Node) -> Json {
    match &node.value {
        Value::Null => Json::Null,
        Value::Bool(flag) => json!(flag),
        Value::Int(number) => json!(number),
        Value::Float(number) => json!(number),
        Value::Str(text) => json!(text),
        Value::Seq(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Map(entries) => Json::Object(
            entries
                .iter()
                .map(|entry| (entry.key.clone(), to_json(&entry.node)))
                .collect(),
        ),
    }
}

/// Whether hubctl takes `document` (JSON is YAML).
fn hubctl_takes(document: &Json) -> bool {
    hubctl::config::parse("mutant.yaml", &document.to_string()).is_ok()
}

/// The keys whose values are enums (or a tag's variant) wherever they appear.
const ENUM_KEYS: &[&str] = &["region", "platform", "kind", "compute"];

/// `document` changed at one place each: every key renamed, every scalar replaced by a
/// mapping, every enum's value misspelt.
fn mutants(name: &str, document: &Json) -> Vec<(String, Json)> {
    fn walk(path: &mut Vec<Step>, value: &Json, found: &mut Vec<(Vec<Step>, Change)>) {
        match value {
            Json::Object(map) => {
                for (key, item) in map {
                    found.push((path.clone(), Change::Rename(key.clone())));
                    path.push(Step::Key(key.clone()));
                    if ENUM_KEYS.contains(&key.as_str()) && item.is_string() {
                        found.push((path.clone(), Change::Replace(json!("bogus"))));
                    }
                    walk(path, item, found);
                    path.pop();
                }
            }
            Json::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    path.push(Step::Index(index));
                    walk(path, item, found);
                    path.pop();
                }
            }
            _ => found.push((path.clone(), Change::Replace(json!({})))),
        }
    }
    let mut changes = Vec::new();
    walk(&mut Vec::new(), document, &mut changes);
    changes
        .into_iter()
        .map(|(path, change)| {
            let mut mutant = document.clone();
            let mut at = &mut mutant;
            for step in &path {
                at = match step {
                    Step::Key(key) => &mut at[key.as_str()],
                    Step::Index(index) => &mut at[*index],
                };
            }
            let shown: Vec<String> = path.iter().map(Step::to_string).collect();
            let label = match change {
                Change::Rename(key) => {
                    let map = at.as_object_mut().expect("a mapping");
                    let value = map.remove(&key).expect("the key");
                    map.insert(format!("{key}x"), value);
                    format!("{name}: {}.{key} renamed {key}x", shown.join("."))
                }
                Change::Replace(value) => {
                    *at = value.clone();
                    format!("{name}: {} = {value}", shown.join("."))
                }
            };
            (label, mutant)
        })
        .collect()
}

/// Values the reader takes in the example at these paths, each written another way than
/// the shipped configs write it.
fn valid_variants() -> Vec<(Vec<&'static str>, Json)> {
    vec![
        (vec!["storage", "shared"], json!(true)),
        (vec!["storage", "shared"], json!({})),
        (vec!["storage", "shared"], json!({"mount": "/srv/data"})),
        (vec!["hub", "idle_timeout"], json!("90m")),
        (vec!["hub", "idle_timeout"], json!(7200)),
        (vec!["hub", "allowed_users"], json!([])),
        (vec!["tags", "cost-center"], json!(4711)),
        (vec!["tags", "billable"], json!(true)),
        (
            vec!["network", "availability_zones"],
            json!(["eu-west-1a", "eu-west-1c"]),
        ),
        (
            vec!["environments", "dev", "account"],
            json!(123456789012_i64),
        ),
        (
            vec!["environments", "dev", "hub", "database"],
            json!({"kind": "postgres", "engine_version": "16", "multi_az": true}),
        ),
        (
            vec!["environments", "dev", "hub", "database"],
            json!({"kind": "postgres", "engine_version": 16}),
        ),
        (
            vec!["environments", "prod", "hub", "database"],
            json!({"kind": "external", "url_secret_arn": "arn:aws:secretsmanager:eu-west-1:210987654321:secret:hub/db-url-AbCdEf"}),
        ),
        (
            vec!["environments", "eks-dev", "hub", "database"],
            json!({"kind": "sqlite"}),
        ),
        (
            vec!["environments", "eks-dev", "hub", "eks"],
            json!({
                "compute": "nodegroups",
                "nodes": {"instance_types": ["m7i.xlarge"], "min": 1, "max": 4, "desired": 2},
                "gpu_nodes": {"instance_types": ["g6.xlarge"], "min": 0, "max": 2},
                "addons": {"vpc-cni": "v1.20.4-eksbuild.1", "coredns": "v1.12.1-eksbuild.2"},
            }),
        ),
    ]
}

#[derive(Clone)]
enum Step {
    Key(String),
    Index(usize),
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Step::Key(key) => write!(f, "{key}"),
            Step::Index(index) => write!(f, "[{index}]"),
        }
    }
}

enum Change {
    Rename(String),
    Replace(Json),
}

#[test]
fn the_schema_and_hubctl_agree_on_every_shipped_config_and_its_mutants() {
    let output = hubctl().arg("schema").output().expect("run hubctl schema");
    assert!(output.status.success(), "hubctl schema failed");
    let again = hubctl().arg("schema").output().expect("run hubctl schema");
    assert_eq!(output.stdout, again.stdout, "the same bytes every run");
    let schema: Json = serde_json::from_slice(&output.stdout).expect("the schema is JSON");
    assert_eq!(
        schema["$schema"],
        json!("https://json-schema.org/draft/2020-12/schema")
    );

    let mut documents: Vec<(String, Json)> = Vec::new();
    let mut n_originals = 0;
    for (name, path) in shipped_configs() {
        let text = std::fs::read_to_string(&path).expect("read the config");
        let document = to_json(&yaml::parse(&text).unwrap_or_else(|err| panic!("{name}: {err:?}")));
        assert!(
            hubctl::config::parse(&name, &text).is_ok(),
            "{name} is a valid config"
        );
        if name.starts_with("init/") {
            assert!(
                text.starts_with("# yaml-language-server: $schema=./hubctl.schema.json\n"),
                "{name} opens with the editor's schema line"
            );
        }
        documents.push((format!("{name}: as shipped"), document.clone()));
        documents.extend(mutants(&name, &document));
        n_originals += 1;
    }
    assert!(n_originals >= 9, "{n_originals} configs");
    // The shapes the reader takes besides those the configs show: the schema takes them too.
    let example = documents[0].1.clone();
    for (path, value) in valid_variants() {
        let mut document = example.clone();
        let mut at = &mut document;
        for step in &path {
            at = &mut at[*step];
        }
        *at = value.clone();
        assert!(
            hubctl_takes(&document),
            "{path:?} = {value}: hubctl refuses it"
        );
        documents.push((
            format!("example: {} = {value} (valid)", path.join(".")),
            document,
        ));
    }

    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temp dir");
    let schema_path = dir.path().join("hubctl.schema.json");
    std::fs::write(&schema_path, &output.stdout).expect("write the schema");
    let documents_path = dir.path().join("documents.json");
    let listed: Vec<Json> = documents
        .iter()
        .map(|(name, document)| json!({"name": name, "document": document}))
        .collect();
    std::fs::write(&documents_path, Json::Array(listed).to_string()).expect("write the documents");
    let checked = Command::new(python_tool("schema", "python"))
        .arg(root().join("tests/tools/schema_check.py"))
        .arg(&schema_path)
        .arg(&documents_path)
        .output()
        .expect("run schema_check.py");
    let stdout = String::from_utf8_lossy(&checked.stdout);
    assert!(
        checked.status.success(),
        "schema_check.py: {stdout}{}",
        String::from_utf8_lossy(&checked.stderr)
    );
    let verdicts: Vec<Json> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect();
    assert_eq!(verdicts.len(), documents.len());

    let mut disagreements = Vec::new();
    let (mut n_valid, mut n_refused) = (0, 0);
    for ((name, document), verdict) in documents.iter().zip(&verdicts) {
        assert_eq!(verdict["name"], json!(name));
        let schema_takes = verdict["valid"] == json!(true);
        assert_eq!(
            verdict["valid_draft7"], verdict["valid"],
            "{name}: read as draft-07 (as yaml-language-server does), the schema says otherwise"
        );
        if schema_takes != hubctl_takes(document) {
            disagreements.push(format!(
                "{name}: the schema says {}, hubctl {} ({})",
                if schema_takes { "valid" } else { "invalid" },
                if schema_takes {
                    "refuses it"
                } else {
                    "takes it"
                },
                verdict["error"]
            ));
        }
        if schema_takes {
            n_valid += 1;
        } else {
            n_refused += 1;
        }
        if name.ends_with(": as shipped") || name.ends_with(" (valid)") {
            assert!(schema_takes, "{name}: {}", verdict["error"]);
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} of {} documents:\n{}",
        disagreements.len(),
        documents.len(),
        disagreements.join("\n")
    );
    eprintln!(
        "schema: {} documents ({n_originals} configs and their mutants), {n_valid} valid and {n_refused} refused, each as hubctl says",
        documents.len()
    );
    // Both outcomes occur often: the mutants are not all refused (tags, names) nor all taken.
    assert!(
        n_valid >= 20 && n_refused >= 300,
        "{n_valid} valid, {n_refused} refused"
    );
    for refused in [
        "hub.platform = \"bogus\"",
        "dns.subzone renamed subzonex",
        "region = \"bogus\"",
    ] {
        assert!(
            documents
                .iter()
                .zip(&verdicts)
                .any(|((name, _), verdict)| name.contains(refused)
                    && verdict["valid"] == json!(false)),
            "no refused mutant `{refused}`"
        );
    }
}

const BEGIN: &str = "<!-- config-reference:begin (generated from src/config/schema/keys.rs: HUBCTL_BLESS=1 cargo test --test it schema) -->\n";
const END: &str = "<!-- config-reference:end -->";

#[test]
fn the_readme_config_reference_is_the_declaration() {
    let path = root().join("README.md");
    let readme = std::fs::read_to_string(&path).expect("read README.md");
    let start = readme.find(BEGIN).expect("README.md has the begin marker") + BEGIN.len();
    let end = start
        + readme[start..]
            .find(END)
            .expect("README.md has the end marker");
    let wanted = format!("\n{}", hubctl::config::schema::markdown_reference());
    if readme[start..end] == wanted {
        return;
    }
    if std::env::var_os("HUBCTL_BLESS").is_some() {
        let blessed = format!("{}{wanted}{}", &readme[..start], &readme[end..]);
        std::fs::write(&path, blessed).expect("write README.md");
        return;
    }
    panic!(
        "README.md's config reference differs from config::schema's declaration;\nif intended: HUBCTL_BLESS=1 cargo test --test it schema, then review git diff README.md"
    );
}

#[test]
fn the_schema_names_every_key_with_a_description() {
    let output = hubctl().arg("schema").output().expect("run hubctl schema");
    let schema: Json = serde_json::from_slice(&output.stdout).expect("JSON");
    fn check(path: &str, value: &Json, n_keys: &mut usize) {
        if let Some(properties) = value.get("properties").and_then(Json::as_object) {
            for (key, property) in properties {
                if property == &json!(false) {
                    continue;
                }
                *n_keys += 1;
                assert!(
                    property["description"]
                        .as_str()
                        .is_some_and(|d| !d.is_empty()),
                    "{path}.{key} has no description"
                );
            }
        }
        if let Json::Object(map) = value {
            // A condition's `if` only matches a tag's value.
            for (key, inner) in map.iter().filter(|(key, _)| *key != "if") {
                check(&format!("{path}.{key}"), inner, n_keys);
            }
        }
    }
    let mut n_keys = 0;
    check("", &schema, &mut n_keys);
    assert!(n_keys > 60, "{n_keys} keys described");
}
