//! IAM as AWS evaluates it: requests replayed against the policies hubctl synthesized.
//!
//! moto enforces no IAM, so a policy whose conditions never match passes every moto test.
//! Here each request hubctl or the hub really makes (captured by the proxy in front of
//! moto, or by botocore's event hooks around the real spawner) becomes a request context
//! built as AWS documents it (`context`), the policies come from the synthesized templates
//! with their intrinsic functions resolved (`resolve`), and an existing evaluator decides:
//! `@cloud-copilot/iam-simulate` (pinned in `tests/iam/package-lock.json`, run by
//! `tests/iam/simulate.mjs`), which evaluates identity and resource policies, cross-account
//! rules, KMS key policies and trust policies, and every condition operator. Allowed and
//! denied cases both.

pub mod context;
pub mod resolve;

pub mod delegation;
mod eks;
mod hub;
mod services;

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{json, Value};

use crate::support::{npm_tool, root};

/// One request as IAM sees it.
#[derive(Clone, Debug)]
pub struct Request {
    /// The principal's ARN (a user, or `arn:aws:sts::A:assumed-role/NAME/SESSION`).
    pub principal: String,
    /// `service:Action`.
    pub action: String,
    /// The resource's ARN, or `*` for an action without resource-level permissions.
    pub resource: String,
    /// The account that owns the resource.
    pub resource_account: String,
    /// The request context: key → value(s).
    pub context: BTreeMap<String, Value>,
}

/// The policies that apply to one request.
#[derive(Clone, Debug, Default)]
pub struct Policies {
    /// The principal's identity policies: (name, document).
    pub identity: Vec<(String, Value)>,
    /// The resource's policy (a trust policy for `sts:AssumeRole`, a key policy, a file
    /// system policy), if it has one.
    pub resource: Option<Value>,
}

/// What a case expects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Allowed.
    Allowed,
    /// Denied, implicitly or explicitly.
    Denied,
    /// Denied by an explicit Deny statement.
    ExplicitlyDenied,
}

/// A request, the policies it meets, and the decision it must get.
#[derive(Clone, Debug)]
pub struct Case {
    /// What the case shows, for the report.
    pub name: String,
    /// The request.
    pub request: Request,
    /// The policies.
    pub policies: Policies,
    /// The decision it must get.
    pub expect: Expect,
}

impl Case {
    /// A case expecting `expect`.
    pub fn new(
        name: impl Into<String>,
        request: Request,
        policies: &Policies,
        expect: Expect,
    ) -> Case {
        Case {
            name: name.into(),
            request,
            policies: policies.clone(),
            expect,
        }
    }
}

/// The evaluator's decision on one case.
#[derive(Clone, Debug)]
pub struct Decision {
    /// `Allowed`, `ImplicitlyDenied`, `ExplicitlyDenied`, or `Error`.
    pub decision: String,
    /// Context keys AWS does not send for this action and resource.
    pub unknown_context_keys: Vec<String>,
    /// Context keys the evaluator dropped without evaluating them.
    pub ignored_context_keys: Vec<String>,
    /// The evaluator's errors (an invalid policy or request), as JSON text.
    pub errors: String,
    /// Which policy types allowed or denied.
    pub explain: String,
}

/// Runs the evaluator on `cases`, in order.
pub fn evaluate(cases: &[Case]) -> Vec<Decision> {
    let tool = npm_tool("iam");
    let script = tool.join("simulate.mjs");
    // Tests evaluate in parallel: each writes the script beside it and renames it into place,
    // so that no node process reads a half-copied script.
    let staged = tool.join(format!(
        "simulate.mjs.{}.{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::copy(root().join("tests/iam/simulate.mjs"), &staged).expect("copy simulate.mjs");
    std::fs::rename(&staged, &script).expect("put simulate.mjs in place");
    let input = json!({
        "cases": cases.iter().map(|case| json!({
            "name": case.name,
            "principal": case.request.principal,
            "action": case.request.action,
            "resource": case.request.resource,
            "resource_account": case.request.resource_account,
            "context": case.request.context,
            "identity_policies": case.policies.identity.iter()
                .map(|(name, policy)| json!({"name": name, "policy": policy}))
                .collect::<Vec<_>>(),
            "resource_policy": case.policies.resource,
        })).collect::<Vec<_>>()
    });
    let mut child = Command::new("node")
        .arg(&script)
        .current_dir(&tool)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node (Node.js) runs the IAM evaluator");
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(input.to_string().as_bytes())
        .expect("write the cases");
    let output = child.wait_with_output().expect("the evaluator ends");
    assert!(
        output.status.success(),
        "simulate.mjs failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let decisions: Vec<Value> =
        serde_json::from_slice(&output.stdout).expect("the evaluator answers JSON");
    assert_eq!(decisions.len(), cases.len());
    decisions
        .into_iter()
        .map(|d| Decision {
            decision: d["decision"].as_str().unwrap_or_default().to_string(),
            unknown_context_keys: strings(&d["unknown_context_keys"]),
            ignored_context_keys: strings(&d["ignored_context_keys"]),
            errors: if d["errors"].is_null() {
                String::new()
            } else {
                d["errors"].to_string()
            },
            explain: d["explain"].as_str().unwrap_or_default().to_string(),
        })
        .collect()
}

/// A role's inline policies, `(name, document)`, from its (resolved) properties.
pub fn inline_policies(role: &Value) -> Vec<(String, Value)> {
    role["Policies"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            (
                p["PolicyName"].as_str().unwrap_or_default().to_string(),
                p["PolicyDocument"].clone(),
            )
        })
        .collect()
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|k| k.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Evaluates `cases` and fails with every case whose decision differs from its expectation,
/// or whose request is not one AWS could send (an unknown context key, an invalid policy).
pub fn check(cases: &[Case]) {
    assert!(!cases.is_empty(), "no cases to evaluate");
    let decisions = evaluate(cases);
    if std::env::var_os("HUBCTL_IAM_VERBOSE").is_some() {
        for (case, decision) in cases.iter().zip(&decisions) {
            eprintln!("{:?} -> {}: {}", case.expect, decision.decision, case.name);
        }
    }
    let mut wrong = Vec::new();
    for (case, decision) in cases.iter().zip(&decisions) {
        let as_expected = match case.expect {
            Expect::Allowed => decision.decision == "Allowed",
            Expect::Denied => decision.decision.ends_with("Denied"),
            Expect::ExplicitlyDenied => decision.decision == "ExplicitlyDenied",
        };
        if !as_expected
            || !decision.unknown_context_keys.is_empty()
            || !decision.ignored_context_keys.is_empty()
            || !decision.errors.is_empty()
        {
            let mut notes = String::new();
            if !decision.unknown_context_keys.is_empty() {
                notes += &format!(
                    "; keys AWS does not send here: {:?}",
                    decision.unknown_context_keys
                );
            }
            if !decision.ignored_context_keys.is_empty() {
                notes += &format!(
                    "; keys the evaluator dropped: {:?}",
                    decision.ignored_context_keys
                );
            }
            if !decision.errors.is_empty() {
                notes += &format!("; errors: {}", decision.errors);
            }
            wrong.push(format!(
                "- {}: expected {:?}, got {} ({}){notes}\n  {} {} on {}\n  context {}",
                case.name,
                case.expect,
                decision.decision,
                decision.explain,
                case.request.principal,
                case.request.action,
                case.request.resource,
                serde_json::to_string(&case.request.context).unwrap_or_default(),
            ));
        }
    }
    const SHOWN: usize = 30;
    let more = wrong.len().saturating_sub(SHOWN);
    assert!(
        wrong.is_empty(),
        "{} of {} IAM cases went wrong:\n{}{}",
        wrong.len(),
        cases.len(),
        wrong[..wrong.len().min(SHOWN)].join("\n"),
        if more > 0 {
            format!("\n... and {more} more")
        } else {
            String::new()
        }
    );
}
