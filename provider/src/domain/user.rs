//! The resource owner: one demo user, from the settings.
//!
//! A real provider stores a slow, salted password hash (argon2id, scrypt or bcrypt) per
//! user and compares the hash of what was typed; it never keeps the password itself.
//! Here the password is a setting, so this compares digests in constant time instead.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use shared::profile::Profile;

/// The demo user who can log in.
#[derive(Debug)]
pub struct DemoUser {
    pub id: String,
    pub username: String,
    pub email: String,
    pub display_name: String,
    password_digest: [u8; 32],
}

impl DemoUser {
    pub fn new(id: &str, username: &str, password: &str) -> Self {
        Self {
            id: id.to_owned(),
            username: username.to_owned(),
            email: format!("{username}@example.com"),
            display_name: "Demo User".to_owned(),
            password_digest: Sha256::digest(password.as_bytes()).into(),
        }
    }

    /// Whether these credentials are the demo user's. Both digests are always compared,
    /// so a wrong username takes as long as a wrong password.
    pub fn check_credentials(&self, username: &str, password: &str) -> bool {
        let typed: [u8; 32] = Sha256::digest(password.as_bytes()).into();
        let password_ok: bool = self.password_digest.ct_eq(&typed).into();
        let username_ok: bool = self.username.as_bytes().ct_eq(username.as_bytes()).into();
        password_ok & username_ok
    }

    pub fn profile(&self) -> Profile {
        Profile {
            id: self.id.clone(),
            username: self.username.clone(),
            email: self.email.clone(),
            display_name: self.display_name.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_right_username_and_password_log_in() {
        let user = DemoUser::new("user1", "demo", "demo");
        assert!(user.check_credentials("demo", "demo"));
        assert!(!user.check_credentials("demo", "Demo"));
        assert!(!user.check_credentials("other", "demo"));
        assert!(!user.check_credentials("", ""));
    }
}
