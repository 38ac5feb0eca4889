//! Cross-site request forgery protection for the provider's forms.
//!
//! Every state-changing form (login, consent, account revoke, logout) carries a hidden
//! `csrf_token`: a random value kept in this browser's server-side session. A page on
//! another site can make the browser POST here with its cookies, but cannot read the page
//! to learn the token (RFC 6749 §10.12; SameSite=Lax cookies are the second layer).

use subtle::ConstantTimeEq;

use crate::domain::token::random_id;

/// A fresh CSRF token.
pub fn new_token() -> String {
    random_id()
}

/// Whether the form's token is this session's, compared in constant time.
pub fn matches(expected: Option<&str>, presented: Option<&str>) -> bool {
    match (expected, presented) {
        (Some(expected), Some(presented)) => expected.as_bytes().ct_eq(presented.as_bytes()).into(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_matches_only_itself_and_never_an_absent_one() {
        let token = new_token();
        assert!(matches(Some(&token), Some(&token)));
        assert!(!matches(Some(&token), Some("forged")));
        assert!(!matches(Some(&token), None));
        assert!(!matches(None, Some(&token)));
        assert!(!matches(None, None));
    }
}
