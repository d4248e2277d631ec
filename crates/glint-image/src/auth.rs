//! Who is calling: the part of a validated token the image service needs.

use async_trait::async_trait;

/// The caller of one request, from its (project-scoped) token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestContext {
    pub user_id: String,
    /// `None` for unscoped, domain- or system-scoped tokens.
    pub project_id: Option<String>,
    pub roles: Vec<String>,
}

impl RequestContext {
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    /// Glance's `role:admin` (project-scoped admin is the cloud admin).
    pub fn is_admin(&self) -> bool {
        self.has_role("admin")
    }
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenRejection {
    /// Missing, malformed, expired or revoked: 401.
    Invalid,
    /// The identity backend failed: 503.
    Unavailable(String),
}

/// Turns an `X-Auth-Token` into a caller. Glint's own identity service
/// implements it in-process; an external Keystone can implement it over HTTP.
#[async_trait]
pub trait TokenValidator: Send + Sync + 'static {
    async fn validate(&self, token: &str) -> Result<RequestContext, TokenRejection>;
}

/// The request's `x-openstack-request-id`, put in the request extensions by
/// the server so that tasks can record it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);
