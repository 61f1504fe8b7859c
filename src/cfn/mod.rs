//! CloudFormation template primitives: the document, intrinsic functions, IAM policies and
//! a typed property struct for every resource type hubctl emits. Pure data; no I/O.

pub mod eks;
pub mod expr;
pub mod iam;
pub mod resources;
pub mod template;

pub use expr::Expr;
pub use iam::{PolicyDocument, Principal, Statement};
pub use template::{
    Output, Parameter, Resource, Template, MAX_INLINE_TEMPLATE, MAX_RESOURCES, MAX_STAGED_TEMPLATE,
};
