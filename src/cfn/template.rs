//! The template document: parameters, conditions, resources, outputs, all in `BTreeMap`s.
//!
//! Top-level sections serialize in the declared order of [`Template`]'s fields; every map is
//! sorted by key. [`Template::to_json`] is the one place JSON text is made: two-space
//! indentation and a trailing newline, identical bytes for identical input.

use std::collections::BTreeMap;

use serde::Serialize;

use super::expr::Expr;

/// CloudFormation accepts a template body of at most this many bytes inline.
pub const MAX_INLINE_TEMPLATE: usize = 51_200;

/// CloudFormation accepts a template of at most this many bytes from S3 (1 MB, counted
/// conservatively).
pub const MAX_STAGED_TEMPLATE: usize = 1_000_000;

/// CloudFormation allows at most this many resources in one stack.
pub const MAX_RESOURCES: usize = 500;

/// A CloudFormation template.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Template {
    /// Always `2010-09-09`.
    #[serde(rename = "AWSTemplateFormatVersion")]
    pub format_version: &'static str,
    /// What the stack is.
    pub description: String,
    /// Template metadata (e.g. `hubctl` provenance).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, serde_json::Value>,
    /// Inputs that deploy fills, from the config or from upstream stacks' outputs.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub parameters: BTreeMap<String, Parameter>,
    /// Named conditions.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub conditions: BTreeMap<String, Expr>,
    /// The resources by logical id.
    pub resources: BTreeMap<String, Resource>,
    /// Values read back after deploy.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub outputs: BTreeMap<String, Output>,
}

impl Template {
    /// An empty template with a description.
    pub fn new(description: impl Into<String>) -> Template {
        Template {
            format_version: "2010-09-09",
            description: description.into(),
            ..Template::default()
        }
    }

    /// Adds a resource under `logical_id` and returns it for chained settings.
    ///
    /// Logical ids are chosen by the stack code (user names enter them only with their
    /// unique uid), so a repeat is a bug in hubctl, not bad input: it panics rather than
    /// silently keeping one of the two.
    pub fn add(&mut self, logical_id: &str, resource: Resource) -> &mut Resource {
        match self.resources.entry(logical_id.to_string()) {
            std::collections::btree_map::Entry::Vacant(slot) => slot.insert(resource),
            std::collections::btree_map::Entry::Occupied(_) => {
                panic!("logical id {logical_id} added twice")
            }
        }
    }

    /// Adds an output.
    pub fn output(&mut self, name: &str, description: &str, value: Expr) {
        self.outputs.insert(
            name.to_string(),
            Output {
                description: description.to_string(),
                value,
            },
        );
    }

    /// Adds a parameter.
    pub fn parameter(&mut self, name: &str, parameter: Parameter) {
        self.parameters.insert(name.to_string(), parameter);
    }

    /// Canonical JSON text: two-space indentation and a trailing newline.
    pub fn to_json(&self) -> String {
        to_canonical_json(self)
    }
}

/// Two-space JSON with a trailing newline; the one output format of synth.
pub fn to_canonical_json<T: Serialize>(value: &T) -> String {
    // Serializing these plain-data types cannot fail: every map key is a string.
    let mut text = serde_json::to_string_pretty(value).expect("plain data serializes to JSON");
    text.push('\n');
    text
}

/// A template parameter.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Parameter {
    /// CloudFormation parameter type (`String`, `AWS::EC2::VPC::Id`, ...).
    #[serde(rename = "Type")]
    pub kind: String,
    /// What it is and where deploy takes it from.
    pub description: String,
    /// Pattern the value must match.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_pattern: Option<String>,
    /// The value when deploy gives none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
}

impl Parameter {
    /// A parameter of `kind`.
    pub fn new(kind: &str, description: &str) -> Parameter {
        Parameter {
            kind: kind.to_string(),
            description: description.to_string(),
            allowed_pattern: None,
            default: None,
        }
    }
}

/// A template output.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Output {
    /// What the value is.
    pub description: String,
    /// The value.
    pub value: Expr,
}

/// What CloudFormation does with a resource's physical thing on delete or replacement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Policy {
    /// Keep it.
    Retain,
    /// Delete it.
    Delete,
    /// Snapshot it, then delete it.
    Snapshot,
}

/// A resource: its type, its typed properties (held as JSON), and its attributes.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Resource {
    /// `AWS::Service::Type`.
    #[serde(rename = "Type")]
    pub kind: &'static str,
    /// Condition that decides whether the resource exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// Explicit ordering beyond references.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    /// What happens on stack delete.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletion_policy: Option<Policy>,
    /// What happens when an update replaces the resource.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_replace_policy: Option<Policy>,
    /// Scanner annotations (checkov skips, cfn-lint ignores), each with its reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<ResourceMetadata>,
    /// The typed properties, serialized.
    pub properties: serde_json::Value,
}

/// A resource type hubctl emits: a property struct that knows its CloudFormation type name.
pub trait Properties: Serialize {
    /// `AWS::Service::Type`.
    const TYPE: &'static str;
}

impl Resource {
    /// A resource from its typed properties.
    pub fn new<P: Properties>(properties: P) -> Resource {
        Resource {
            kind: P::TYPE,
            condition: None,
            depends_on: Vec::new(),
            deletion_policy: None,
            update_replace_policy: None,
            metadata: None,
            // Property structs are plain data with string keys: serialization cannot fail.
            properties: serde_json::to_value(properties).expect("resource properties serialize"),
        }
    }

    /// Sets DeletionPolicy and UpdateReplacePolicy together.
    pub fn keep_on_delete(&mut self, retain: bool) -> &mut Resource {
        let policy = if retain {
            Policy::Retain
        } else {
            Policy::Delete
        };
        self.deletion_policy = Some(policy);
        self.update_replace_policy = Some(policy);
        self
    }

    /// Adds an explicit dependency.
    pub fn depends_on(&mut self, logical_id: &str) -> &mut Resource {
        self.depends_on.push(logical_id.to_string());
        self
    }

    /// Records that checkov check `id` does not apply here, and why.
    pub fn skip_checkov(&mut self, id: &str, reason: &str) -> &mut Resource {
        let metadata = self.metadata.get_or_insert_with(ResourceMetadata::default);
        metadata
            .checkov
            .get_or_insert_with(Default::default)
            .skip
            .push(CheckovSkip {
                id: id.to_string(),
                comment: reason.to_string(),
            });
        self
    }

    /// Records that cfn-lint rule `id` does not apply here, and why.
    pub fn ignore_cfn_lint(&mut self, id: &str, reason: &str) -> &mut Resource {
        let metadata = self.metadata.get_or_insert_with(ResourceMetadata::default);
        let lint = metadata.cfn_lint.get_or_insert_with(Default::default);
        lint.config.ignore_checks.push(id.to_string());
        lint.reasons.insert(id.to_string(), reason.to_string());
        self
    }
}

/// Resource metadata the scanners read.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ResourceMetadata {
    /// checkov's skip list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkov: Option<CheckovMetadata>,
    /// cfn-lint's per-resource configuration.
    #[serde(rename = "cfn-lint", skip_serializing_if = "Option::is_none")]
    pub cfn_lint: Option<CfnLintMetadata>,
}

/// `Metadata.checkov`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CheckovMetadata {
    /// Checks that do not apply, each with a reason.
    pub skip: Vec<CheckovSkip>,
}

/// One skipped checkov check.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CheckovSkip {
    /// The check id, e.g. `CKV_AWS_158`.
    pub id: String,
    /// Why it does not apply.
    pub comment: String,
}

/// `Metadata.cfn-lint`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CfnLintMetadata {
    /// cfn-lint's own configuration block.
    pub config: CfnLintConfig,
    /// Why each ignored rule does not apply (read by people; cfn-lint ignores it).
    pub reasons: std::collections::BTreeMap<String, String>,
}

/// `Metadata.cfn-lint.config`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CfnLintConfig {
    /// Rule ids to ignore on this resource.
    pub ignore_checks: Vec<String>,
}
