//! `POST /v1/login_check`: the body of a token request.

use crate::core::json::Object;

use super::fields::Fields;
use super::finish;
use crate::providers::softline::error::Problem;

/// `POST /v1/login_check`: `username` and `password`, nothing else.
pub fn credentials(body: &Object<'_>) -> Result<(String, String), Vec<Problem>> {
    let mut problems = Vec::new();
    let mut f = Fields::new(body, "", &mut problems);
    let username = f.required_text("username");
    let password = f.required_text("password");
    f.refuse_unknown(&["username", "password"]);
    match (username, password) {
        (Some(u), Some(p)) if problems.is_empty() => Ok((u.to_owned(), p.to_owned())),
        _ => Err(finish(problems)),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::examples::object;
    use super::*;

    #[test]
    fn a_login_takes_a_username_and_a_password_and_nothing_else() {
        let ok = json!({"username": "merchant", "password": "secret"});
        let bad = json!({"username": "", "password": 1, "otp": "123"});

        assert_eq!(
            credentials(&object(&ok)),
            Ok(("merchant".to_owned(), "secret".to_owned()))
        );
        assert_eq!(
            credentials(&object(&bad)),
            Err(vec![
                Problem::field("username"),
                Problem::field("password"),
                Problem::field("otp"),
            ])
        );
    }
}
