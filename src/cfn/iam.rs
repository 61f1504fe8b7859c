//! Typed IAM policy documents, used for role trust, inline policies and key policies.

use std::collections::BTreeMap;

use serde::Serialize;

use super::expr::Expr;

/// A policy document (`Version` 2012-10-17).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyDocument {
    /// Always `2012-10-17`.
    pub version: &'static str,
    /// The statements.
    pub statement: Vec<Statement>,
}

impl PolicyDocument {
    /// A document of these statements.
    pub fn new(statement: Vec<Statement>) -> PolicyDocument {
        PolicyDocument {
            version: "2012-10-17",
            statement,
        }
    }
}

/// Allow or Deny.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Effect {
    /// Grants.
    Allow,
    /// Denies, overriding any allow.
    Deny,
}

/// One statement.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Statement {
    /// Statement id: says what the statement is for.
    pub sid: String,
    /// Allow or Deny.
    pub effect: Effect,
    /// Who (resource policies and trust policies only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<Principal>,
    /// The actions.
    pub action: Vec<String>,
    /// The resources (`*` only where the action has no resource-level permissions); empty in
    /// trust policies, where the role itself is the resource.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resource: Vec<Expr>,
    /// Conditions: operator → key → value(s).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub condition: BTreeMap<String, BTreeMap<String, Expr>>,
}

impl Statement {
    /// An Allow statement.
    pub fn allow(sid: &str, actions: &[&str], resources: Vec<Expr>) -> Statement {
        Statement {
            sid: sid.to_string(),
            effect: Effect::Allow,
            principal: None,
            action: actions.iter().map(|action| action.to_string()).collect(),
            resource: resources,
            condition: BTreeMap::new(),
        }
    }

    /// A Deny statement.
    pub fn deny(sid: &str, actions: &[&str], resources: Vec<Expr>) -> Statement {
        Statement {
            effect: Effect::Deny,
            ..Statement::allow(sid, actions, resources)
        }
    }

    /// Sets the principal.
    pub fn principal(mut self, principal: Principal) -> Statement {
        self.principal = Some(principal);
        self
    }

    /// Adds a condition `operator: {key: value}`.
    pub fn when(mut self, operator: &str, key: &str, value: Expr) -> Statement {
        self.condition
            .entry(operator.to_string())
            .or_default()
            .insert(key.to_string(), value);
        self
    }
}

/// A principal.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Principal {
    /// AWS accounts or roles.
    #[serde(rename = "AWS", skip_serializing_if = "Vec::is_empty")]
    pub aws: Vec<Expr>,
    /// AWS services, e.g. `vpc-flow-logs.amazonaws.com`.
    #[serde(rename = "Service", skip_serializing_if = "Vec::is_empty")]
    pub service: Vec<Expr>,
}

impl Principal {
    /// A service principal.
    pub fn service(name: &str) -> Principal {
        Principal {
            service: vec![Expr::from(name)],
            ..Principal::default()
        }
    }

    /// AWS principals (account roots or role ARNs).
    pub fn aws(arns: Vec<Expr>) -> Principal {
        Principal {
            aws: arns,
            ..Principal::default()
        }
    }
}
