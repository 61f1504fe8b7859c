//! CloudFormation values: literals and intrinsic functions as one typed enum.
//!
//! Every property that CloudFormation lets you compute is an [`Expr`], so a template is built
//! from checked shapes (`Expr::get_att("Vpc", "VpcId")`) instead of hand-written JSON.

use std::collections::BTreeMap;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

/// A literal or an intrinsic function.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// A string literal.
    Str(String),
    /// A number literal.
    Int(i64),
    /// A boolean literal.
    Bool(bool),
    /// A list of values.
    List(Vec<Expr>),
    /// `{"Ref": name}`.
    Ref(String),
    /// `{"Fn::GetAtt": [resource, attribute]}`.
    GetAtt(String, String),
    /// `{"Fn::Sub": text}`.
    Sub(String),
    /// `{"Fn::Sub": [text, variables]}`.
    SubWith(String, BTreeMap<String, Expr>),
    /// `{"Fn::Join": [separator, list]}`; the list may itself be an expression.
    Join(String, Box<Expr>),
    /// `{"Fn::Select": [index, list]}`.
    Select(u32, Box<Expr>),
    /// `{"Fn::Split": [separator, text]}`.
    Split(String, Box<Expr>),
    /// `{"Fn::GetAZs": region}` (empty: the stack's region).
    GetAZs(String),
    /// `{"Fn::If": [condition, then, else]}`.
    If(String, Box<Expr>, Box<Expr>),
    /// `{"Fn::Equals": [a, b]}`.
    Equals(Box<Expr>, Box<Expr>),
    /// `{"Fn::Not": [condition]}`.
    Not(Box<Expr>),
    /// `{"Condition": name}`, inside condition functions.
    Condition(String),
}

impl Expr {
    /// `Ref` of a parameter, resource or pseudo parameter.
    pub fn reference(name: &str) -> Expr {
        Expr::Ref(name.to_string())
    }

    /// `Fn::GetAtt`.
    pub fn get_att(resource: &str, attribute: &str) -> Expr {
        Expr::GetAtt(resource.to_string(), attribute.to_string())
    }

    /// `Fn::Sub` without variables.
    pub fn sub(text: impl Into<String>) -> Expr {
        Expr::Sub(text.into())
    }

    /// `Fn::Join` over literal items.
    pub fn join(separator: &str, items: Vec<Expr>) -> Expr {
        Expr::Join(separator.to_string(), Box::new(Expr::List(items)))
    }

    /// `Fn::Select` from `Fn::Split` of a comma-separated list (a `CommaDelimitedList` value
    /// that arrives as one string).
    pub fn select_from_csv(index: u32, list: Expr) -> Expr {
        Expr::Select(
            index,
            Box::new(Expr::Split(",".to_string(), Box::new(list))),
        )
    }

    /// `{"Ref": "AWS::NoValue"}`.
    pub fn no_value() -> Expr {
        Expr::reference("AWS::NoValue")
    }

    /// The text of a string literal; `None` for anything computed.
    pub fn as_literal(&self) -> Option<&str> {
        match self {
            Expr::Str(text) => Some(text),
            _ => None,
        }
    }

    /// A list of string literals.
    pub fn strings<S: AsRef<str>>(items: &[S]) -> Expr {
        Expr::List(
            items
                .iter()
                .map(|item| Expr::Str(item.as_ref().to_string()))
                .collect(),
        )
    }
}

/// The empty string; lets property structs derive `Default` for `..Default::default()`.
impl Default for Expr {
    fn default() -> Expr {
        Expr::Str(String::new())
    }
}

impl From<&str> for Expr {
    fn from(text: &str) -> Expr {
        Expr::Str(text.to_string())
    }
}

impl From<String> for Expr {
    fn from(text: String) -> Expr {
        Expr::Str(text)
    }
}

impl From<i64> for Expr {
    fn from(number: i64) -> Expr {
        Expr::Int(number)
    }
}

impl From<bool> for Expr {
    fn from(flag: bool) -> Expr {
        Expr::Bool(flag)
    }
}

fn function<S: Serializer, V: Serialize + ?Sized>(
    serializer: S,
    name: &str,
    value: &V,
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(Some(1))?;
    map.serialize_entry(name, value)?;
    map.end()
}

impl Serialize for Expr {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Expr::Str(text) => serializer.serialize_str(text),
            Expr::Int(number) => serializer.serialize_i64(*number),
            Expr::Bool(flag) => serializer.serialize_bool(*flag),
            Expr::List(items) => items.serialize(serializer),
            Expr::Ref(name) => function(serializer, "Ref", name),
            Expr::Condition(name) => function(serializer, "Condition", name),
            Expr::GetAtt(resource, attribute) => {
                function(serializer, "Fn::GetAtt", &[resource, attribute])
            }
            Expr::Sub(text) => function(serializer, "Fn::Sub", text),
            Expr::SubWith(text, variables) => function(serializer, "Fn::Sub", &(text, variables)),
            Expr::Join(separator, list) => function(serializer, "Fn::Join", &(separator, list)),
            Expr::Select(index, list) => {
                function(serializer, "Fn::Select", &(index.to_string(), list))
            }
            Expr::Split(separator, text) => function(serializer, "Fn::Split", &(separator, text)),
            Expr::GetAZs(region) => function(serializer, "Fn::GetAZs", region),
            Expr::If(condition, then, otherwise) => {
                function(serializer, "Fn::If", &(condition, then, otherwise))
            }
            Expr::Equals(a, b) => function(serializer, "Fn::Equals", &[a, b]),
            Expr::Not(condition) => function(serializer, "Fn::Not", &[condition]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn json_of(expr: &Expr) -> serde_json::Value {
        serde_json::to_value(expr).expect("expressions serialize")
    }

    #[test]
    fn intrinsics_render_as_cloudformation_json() {
        assert_eq!(json_of(&Expr::reference("Vpc")), json!({"Ref": "Vpc"}));
        assert_eq!(
            json_of(&Expr::get_att("Key", "Arn")),
            json!({"Fn::GetAtt": ["Key", "Arn"]})
        );
        assert_eq!(
            json_of(&Expr::Select(1, Box::new(Expr::GetAZs(String::new())))),
            json!({"Fn::Select": ["1", {"Fn::GetAZs": ""}]})
        );
        assert_eq!(
            json_of(&Expr::join(",", vec![Expr::reference("A"), "b".into()])),
            json!({"Fn::Join": [",", [{"Ref": "A"}, "b"]]})
        );
        assert_eq!(
            json_of(&Expr::If(
                "C".into(),
                Box::new(true.into()),
                Box::new(Expr::no_value())
            )),
            json!({"Fn::If": ["C", true, {"Ref": "AWS::NoValue"}]})
        );
    }
}
