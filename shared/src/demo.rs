//! The oauth2-server article's demo resources: `/protected`, `/resource` and `/public`.

use serde::{Deserialize, Serialize};

/// `/protected` and `/resource`: any valid access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtectedResource {
    pub message: String,
    /// The resource owner's username, or the client id for a `client_credentials` token.
    pub accessed_by: String,
}

/// `/public`: no token needed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicResource {
    pub message: String,
}
