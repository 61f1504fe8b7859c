//! `ConfigError`: one problem in the config, with its place and its fix.

use std::fmt;

use super::yaml::Pos;

/// One problem in the config file.
///
/// Rendered as `file:line:col: key.path: problem; fix`, the shape compilers use, so editors
/// and CI annotate the line.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ConfigError {
    /// The config file as the user named it.
    pub file: String,
    /// Where the offending value (or its enclosing mapping) is written.
    pub pos: Pos,
    /// The key path, e.g. `environments.prod.dns.subzone`.
    pub key: String,
    /// What is wrong.
    pub problem: String,
    /// How to fix it.
    pub hint: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file, self.pos.line, self.pos.col)?;
        if !self.key.is_empty() {
            write!(f, "{}: ", self.key)?;
        }
        write!(f, "{}", self.problem)?;
        if !self.hint.is_empty() {
            write!(f, "; {}", self.hint)?;
        }
        Ok(())
    }
}

/// Every problem found in one config, sorted by position, each reported once.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for error in &self.0 {
            writeln!(f, "{error}")?;
        }
        let count = self.0.len();
        write!(
            f,
            "{count} problem{} in the config",
            if count == 1 { "" } else { "s" }
        )
    }
}
