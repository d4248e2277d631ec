//! `token issue`, `token revoke`.

use reqwest::Method;
use serde_json::Value;

use crate::cli::TokenCmd;
use crate::error::{CliError, Result};
use crate::http::error_details;
use crate::output::{emit_one, Cell};
use crate::session::{Service, Session};

/// OSC's `expires` column: `%Y-%m-%dT%H:%M:%S%z` (`2026-11-27T04:33:36+0000`).
pub fn format_expires(s: &str) -> String {
    match crate::cache::parse_time(s) {
        Some(t) => t.format("%Y-%m-%dT%H:%M:%S+0000").to_string(),
        None => s.to_string(),
    }
}

pub fn token_fields(token: &str, body: &Value) -> Vec<(String, Cell)> {
    let mut f: Vec<(String, Cell)> = Vec::new();
    let s = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    if let Some(e) = s(body.get("expires_at")) {
        f.push(("expires".into(), Cell::str(format_expires(&e))));
    }
    f.push(("id".into(), Cell::str(token)));
    if let Some(p) = s(body.get("project").and_then(|p| p.get("id"))) {
        f.push(("project_id".into(), Cell::str(p)));
    }
    if let Some(u) = s(body.get("user").and_then(|p| p.get("id"))) {
        f.push(("user_id".into(), Cell::str(u)));
    }
    if let Some(d) = s(body.get("domain").and_then(|p| p.get("id"))) {
        f.push(("domain_id".into(), Cell::str(d)));
    }
    if body.get("system").is_some() {
        f.push(("system".into(), Cell::str("all")));
    }
    f.sort_by(|a, b| a.0.cmp(&b.0));
    f
}

pub async fn run(cmd: TokenCmd, s: &mut Session) -> Result<String> {
    match cmd {
        TokenCmd::Issue { out } => {
            let e = s.entry().await?;
            emit_one(&out, token_fields(&e.token, &e.token_body))
        }
        TokenCmd::Revoke { token } => {
            let resp = s
                .call(
                    Service::Identity,
                    Method::DELETE,
                    "auth/tokens",
                    &[("X-Subject-Token", token.as_str())],
                    None,
                )
                .await?;
            if !resp.ok() {
                let ct = resp.header("content-type").unwrap_or("").to_string();
                return Err(CliError::Auth {
                    message: error_details(resp.status, &ct, &resp.body),
                    status: resp.status,
                    request_id: resp.header("x-openstack-request-id").map(str::to_string),
                });
            }
            if s.entry().await.map(|e| e.token == token).unwrap_or(false) {
                s.invalidate();
            }
            Ok(String::new())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn issue_fields() {
        let body = json!({"expires_at": "2026-11-27T04:33:36.000000Z", "project": {"id": "p"}, "user": {"id": "u"}});
        let f = token_fields("tok", &body);
        let names: Vec<&str> = f.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["expires", "id", "project_id", "user_id"]);
        assert_eq!(f[0].1.human(), "2026-11-27T04:33:36+0000");
    }
}
