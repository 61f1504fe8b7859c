//! The pure core stays pure: config → model → stacks → templates never touches the file
//! system, the network, processes, tokio or the AWS SDK. Only `cli` and `output` may.

use crate::support::root;

const CORE: &[&str] = &[
    "src/config",
    "src/model.rs",
    "src/cfn",
    "src/stacks",
    "src/plan.rs",
    "src/synth.rs",
    "src/diff",
    "src/k8s.rs",
];
const FORBIDDEN: &[&str] = &[
    "std::fs",
    "fs::",
    "File::",
    "std::net",
    "std::process",
    "std::env",
    "tokio",
    "aws_",
    "reqwest",
];

fn rust_files(path: &std::path::Path, found: &mut Vec<std::path::PathBuf>) {
    if path.is_dir() {
        for entry in std::fs::read_dir(path).expect("readable") {
            rust_files(&entry.expect("entry").path(), found);
        }
    } else if path.extension().is_some_and(|ext| ext == "rs") {
        found.push(path.to_path_buf());
    }
}

fn violations(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (number, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("//") {
            continue;
        }
        for word in FORBIDDEN.iter().filter(|word| line.contains(*word)) {
            found.push(format!("line {}: `{word}`: {}", number + 1, line.trim()));
        }
        // `use std::{env, fs}` names the modules without a `std::fs` path.
        if line.contains("std::{") {
            let words: Vec<&str> = line
                .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                .collect();
            for module in ["fs", "env", "net", "process"]
                .iter()
                .filter(|module| words.contains(module))
            {
                found.push(format!(
                    "line {}: `std::{{{module}}}`: {}",
                    number + 1,
                    line.trim()
                ));
            }
        }
    }
    found
}

#[test]
fn the_synth_core_does_no_io_and_never_calls_aws() {
    let mut files = Vec::new();
    for part in CORE {
        rust_files(&root().join(part), &mut files);
    }
    assert!(
        files.len() >= 10,
        "the core should hold the config, cfn and stacks modules: {files:?}"
    );
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read source");
        for violation in violations(&text) {
            found.push(format!("{}: {violation}", file.display()));
        }
    }
    assert!(
        found.is_empty(),
        "I/O or AWS in the pure core:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_tidy_check_catches_io() {
    assert_eq!(violations("let x = std::fs::read(\"a\");").len(), 2);
    assert_eq!(violations("use aws_sdk_sts::Client;").len(), 1);
    assert!(violations("// std::fs in a comment").is_empty());
    assert_eq!(
        violations("use std::{collections::BTreeMap, env};").len(),
        1
    );
}

#[test]
fn every_source_file_opens_with_a_doc_comment() {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    let undocumented: Vec<_> = files
        .iter()
        .filter(|file| {
            !std::fs::read_to_string(file)
                .expect("read")
                .starts_with("//!")
        })
        .collect();
    assert!(
        undocumented.is_empty(),
        "files without a //! paragraph: {undocumented:?}"
    );
}
