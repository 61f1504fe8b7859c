//! The hub stack's logical ids that other resources refer to (by `Ref`, `Fn::GetAtt` or
//! inside `Fn::Sub` text), each named once: a rename is one edit, and a typo does not
//! compile.

use crate::model::{Profile, User};

/// Letters and digits of `text`, for logical ids.
pub fn alphanumeric(text: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(if upper { c.to_ascii_uppercase() } else { c });
            upper = false;
        } else {
            upper = true;
        }
    }
    out
}

/// The task role of `user`'s servers.
pub fn user_role(user: &User) -> String {
    format!("UserRole{}{}", alphanumeric(&user.name), user.uid)
}

/// The EFS access point of `user`'s home.
pub fn home_access_point(user: &User) -> String {
    format!("HomeAccessPoint{}{}", alphanumeric(&user.name), user.uid)
}

/// The secret carrying `user`'s JupyterHub API token.
pub fn user_token(user: &User) -> String {
    format!("UserToken{}{}", alphanumeric(&user.name), user.uid)
}

/// The task definition of `user`'s server of size `profile`.
pub fn user_task(profile: &Profile, user: &User) -> String {
    format!(
        "UserTask{}{}{}",
        alphanumeric(&profile.name),
        alphanumeric(&user.name),
        user.uid
    )
}
