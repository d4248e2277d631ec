//! Who is calling: the part of a validated token the image service needs.

use async_trait::async_trait;

/// The caller of one request, from its (project-scoped) token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestContext {
    pub user_id: String,
    /// `None` for unscoped, domain- or system-scoped tokens.
    pub project_id: Option<String>,
    pub roles: Vec<String>,
    /// An application credential's access rules: when present, only the
    /// requests they describe are allowed (as keystonemiddleware enforces).
    pub access_rules: Option<Vec<AccessRule>>,
}

/// One access rule: `service` type, HTTP `method`, and a `path` where `*`
/// matches one segment and `**` any number of segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRule {
    pub service: String,
    pub method: String,
    pub path: String,
}

impl AccessRule {
    /// Reads Keystone's `[{"service", "method", "path"}]` list.
    pub fn from_json(rules: &serde_json::Value) -> Option<Vec<AccessRule>> {
        let list = rules.as_array().filter(|a| !a.is_empty())?;
        Some(
            list.iter()
                .map(|r| AccessRule {
                    service: r["service"].as_str().unwrap_or_default().to_owned(),
                    method: r["method"].as_str().unwrap_or_default().to_ascii_uppercase(),
                    path: r["path"].as_str().unwrap_or_default().to_owned(),
                })
                .collect(),
        )
    }

    pub fn allows(&self, service: &str, method: &str, path: &str) -> bool {
        self.service == service && self.method.eq_ignore_ascii_case(method) && path_matches(&self.path, path)
    }
}

fn path_matches(pattern: &str, path: &str) -> bool {
    fn go(p: &[&str], s: &[&str]) -> bool {
        match (p.first(), s.first()) {
            (None, None) => true,
            (Some(&"**"), _) => go(&p[1..], s) || (!s.is_empty() && go(p, &s[1..])),
            (Some(&"*"), Some(_)) => go(&p[1..], &s[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &s[1..]),
            _ => false,
        }
    }
    let split = |x: &str| {
        x.trim_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let (p, s) = (split(pattern), split(path));
    go(
        &p.iter().map(String::as_str).collect::<Vec<_>>(),
        &s.iter().map(String::as_str).collect::<Vec<_>>(),
    )
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_rule_paths() {
        let rule = |path: &str| AccessRule {
            service: "image".into(),
            method: "GET".into(),
            path: path.into(),
        };
        assert!(rule("/v2/images").allows("image", "get", "/v2/images"));
        assert!(rule("/v2/images/*").allows("image", "GET", "/v2/images/abc"));
        assert!(!rule("/v2/images/*").allows("image", "GET", "/v2/images/abc/file"));
        assert!(rule("/v2/images/**").allows("image", "GET", "/v2/images/abc/file"));
        assert!(rule("/v2/**").allows("image", "GET", "/v2"));
        assert!(!rule("/v2/images").allows("image", "POST", "/v2/images"));
        assert!(!rule("/v2/images").allows("identity", "GET", "/v2/images"));
        assert!(AccessRule::from_json(&serde_json::json!([])).is_none());
    }
}
