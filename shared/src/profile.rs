//! The user profile served at `/api/auth/me` (scope `profile:read`).

use serde::{Deserialize, Serialize};

/// Who the access token's resource owner is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub id: String,
    pub username: String,
    pub email: String,
    pub display_name: String,
}
