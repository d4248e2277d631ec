//! External Keystone mode: the image service trusts another cloud's
//! Keystone. A service user logs in (password, project scope); user tokens
//! are validated with `GET /v3/auth/tokens` and cached for a bounded time, as
//! keystonemiddleware does; unified limits are read from the same Keystone.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use glint_image::auth::{RequestContext, TokenRejection, TokenValidator};
use glint_image::quota::LimitSource;
use glint_image::ImageError;
use serde_json::{json, Value};

/// How long a validated token is trusted before asking Keystone again; a
/// revocation takes effect within this time.
pub const VALIDATION_CACHE_TTL: Duration = Duration::from_secs(60);
const LIMITS_CACHE_TTL: Duration = Duration::from_secs(60);
const MAX_CACHED: usize = 10_000;

/// Where the external Keystone is and who Glint is there.
#[derive(Debug, Clone)]
pub struct ExternalIdentity {
    /// The Keystone v3 URL, e.g. `http://keystone:5000/v3` (a root URL gets `/v3` appended).
    pub auth_url: String,
    pub username: String,
    pub password: String,
    pub project_name: String,
    pub user_domain_id: String,
    pub project_domain_id: String,
}

impl ExternalIdentity {
    pub fn v3_url(&self) -> String {
        let base = self.auth_url.trim_end_matches('/');
        if base.ends_with("/v3") {
            base.to_owned()
        } else {
            format!("{base}/v3")
        }
    }
}

pub struct KeystoneClient {
    config: ExternalIdentity,
    region: String,
    http: reqwest::Client,
    service_token: tokio::sync::Mutex<Option<(String, Instant)>>,
    validated: TtlCache<RequestContext>,
    limits: TtlCache<HashMap<String, i64>>,
}

/// Values remembered with the time they were fetched.
type TtlCache<T> = Mutex<HashMap<String, (Instant, T)>>;

#[derive(Debug)]
enum CallError {
    /// 401: the service token went stale.
    Unauthorized,
    NotFound,
    Other(String),
}

impl KeystoneClient {
    pub fn new(config: ExternalIdentity, region: String) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            config,
            region,
            http,
            service_token: tokio::sync::Mutex::new(None),
            validated: Mutex::new(HashMap::new()),
            limits: Mutex::new(HashMap::new()),
        })
    }

    /// The service user's token, renewed five minutes before it expires or when `renew`.
    async fn service_token(&self, renew: bool) -> Result<String, String> {
        let mut guard = self.service_token.lock().await;
        if let Some((token, valid_until)) = guard.as_ref() {
            if !renew && Instant::now() < *valid_until {
                return Ok(token.clone());
            }
        }
        let body = json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": self.config.username, "domain": {"id": self.config.user_domain_id}, "password": self.config.password}}},
            "scope": {"project": {"name": self.config.project_name, "domain": {"id": self.config.project_domain_id}}}
        }});
        let res = self
            .http
            .post(format!("{}/auth/tokens?nocatalog", self.config.v3_url()))
            .json(&body)
            .send()
            .await
            .map_err(|e| format!("Keystone unreachable: {e}"))?;
        if res.status().as_u16() != 201 {
            return Err(format!(
                "the service user could not log in to Keystone ({})",
                res.status()
            ));
        }
        let token = res
            .headers()
            .get("x-subject-token")
            .and_then(|v| v.to_str().ok())
            .ok_or("Keystone sent no X-Subject-Token")?
            .to_owned();
        let body: Value = res.json().await.map_err(|e| e.to_string())?;
        let lifetime = body["token"]["expires_at"]
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| (t.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_seconds())
            .unwrap_or(600);
        let usable = Duration::from_secs(lifetime.saturating_sub(300).max(30) as u64);
        *guard = Some((token.clone(), Instant::now() + usable));
        Ok(token)
    }

    /// A GET with the service token, renewing it once on 401.
    async fn get(&self, path: &str, subject: Option<&str>) -> Result<Value, CallError> {
        for attempt in 0..2 {
            let token = self.service_token(attempt > 0).await.map_err(CallError::Other)?;
            let mut req = self
                .http
                .get(format!("{}{path}", self.config.v3_url()))
                .header("X-Auth-Token", token);
            if let Some(s) = subject {
                req = req.header("X-Subject-Token", s);
            }
            let res = req
                .send()
                .await
                .map_err(|e| CallError::Other(format!("Keystone unreachable: {e}")))?;
            match res.status().as_u16() {
                200 => return res.json().await.map_err(|e| CallError::Other(e.to_string())),
                401 if subject.is_none() || attempt == 0 => continue,
                401 => return Err(CallError::Unauthorized),
                404 => return Err(CallError::NotFound),
                other => return Err(CallError::Other(format!("Keystone answered {other}"))),
            }
        }
        Err(CallError::Unauthorized)
    }

    async fn validate_remote(&self, token: &str) -> Result<RequestContext, TokenRejection> {
        match self.get("/auth/tokens?nocatalog", Some(token)).await {
            Ok(body) => {
                let t = &body["token"];
                let user_id = t["user"]["id"].as_str().ok_or(TokenRejection::Invalid)?.to_owned();
                let project_id = t["project"]["id"].as_str().map(str::to_owned);
                let roles = t["roles"]
                    .as_array()
                    .map(|r| r.iter().filter_map(|r| r["name"].as_str().map(str::to_owned)).collect())
                    .unwrap_or_default();
                let access_rules =
                    glint_image::auth::AccessRule::from_json(&t["application_credential"]["access_rules"]);
                Ok(RequestContext {
                    user_id,
                    project_id,
                    roles,
                    access_rules,
                })
            }
            Err(CallError::NotFound) => Err(TokenRejection::Invalid),
            // Our own token was refused even after renewal: the user's token is not the problem.
            Err(CallError::Unauthorized) => Err(TokenRejection::Unavailable("the service token is refused".into())),
            Err(CallError::Other(e)) => Err(TokenRejection::Unavailable(e)),
        }
    }

    async fn image_service_id(&self) -> Result<Option<String>, CallError> {
        let body = self.get("/services?type=image", None).await?;
        Ok(body["services"]
            .as_array()
            .and_then(|s| s.first())
            .and_then(|s| s["id"].as_str())
            .map(str::to_owned))
    }

    async fn fetch_limits(&self, project_id: &str) -> Result<HashMap<String, i64>, CallError> {
        let Some(service_id) = self.image_service_id().await? else {
            return Ok(HashMap::new());
        };
        let in_region = |l: &Value| l["region_id"].is_null() || l["region_id"].as_str() == Some(self.region.as_str());
        let mut limits = HashMap::new();
        let registered = self
            .get(&format!("/registered_limits?service_id={service_id}"), None)
            .await?;
        let mut entries: Vec<&Value> = registered["registered_limits"]
            .as_array()
            .map(|a| a.iter().filter(|l| in_region(l)).collect())
            .unwrap_or_default();
        entries.sort_by_key(|l| !l["region_id"].is_null());
        for l in entries {
            if let (Some(name), Some(v)) = (l["resource_name"].as_str(), l["default_limit"].as_i64()) {
                limits.insert(name.to_owned(), v);
            }
        }
        let own = self
            .get(
                &format!("/limits?service_id={service_id}&project_id={project_id}"),
                None,
            )
            .await?;
        let mut entries: Vec<&Value> = own["limits"]
            .as_array()
            .map(|a| a.iter().filter(|l| in_region(l)).collect())
            .unwrap_or_default();
        entries.sort_by_key(|l| !l["region_id"].is_null());
        for l in entries {
            if let (Some(name), Some(v)) = (l["resource_name"].as_str(), l["resource_limit"].as_i64()) {
                limits.insert(name.to_owned(), v);
            }
        }
        Ok(limits)
    }
}

fn cached<T: Clone>(map: &TtlCache<T>, key: &str, ttl: Duration) -> Option<T> {
    let map = map.lock().ok()?;
    map.get(key)
        .filter(|(at, _)| at.elapsed() < ttl)
        .map(|(_, v)| v.clone())
}

fn remember<T>(map: &TtlCache<T>, key: &str, value: T) {
    if let Ok(mut map) = map.lock() {
        if map.len() >= MAX_CACHED {
            map.clear();
        }
        map.insert(key.to_owned(), (Instant::now(), value));
    }
}

#[async_trait]
impl TokenValidator for KeystoneClient {
    async fn validate(&self, token: &str) -> Result<RequestContext, TokenRejection> {
        if let Some(ctx) = cached(&self.validated, token, VALIDATION_CACHE_TTL) {
            glint_image::trace::record("image", "keystone", false, || "validate X-Auth-Token (cached)".into());
            return Ok(ctx);
        }
        glint_image::trace::record("image", "keystone", false, || "GET /v3/auth/tokens".into());
        let outcome = self.validate_remote(token).await;
        glint_image::trace::record("keystone", "image", true, || {
            if outcome.is_ok() {
                "200".into()
            } else {
                "refused".into()
            }
        });
        if let Ok(ctx) = &outcome {
            remember(&self.validated, token, ctx.clone());
        }
        outcome
    }
}

#[async_trait]
impl LimitSource for KeystoneClient {
    async fn project_limits(&self, project_id: &str) -> Result<HashMap<String, i64>, ImageError> {
        if let Some(l) = cached(&self.limits, project_id, LIMITS_CACHE_TTL) {
            return Ok(l);
        }
        let limits = self
            .fetch_limits(project_id)
            .await
            .map_err(|e| ImageError::Unavailable(format!("limits from Keystone: {e:?}")))?;
        remember(&self.limits, project_id, limits.clone());
        Ok(limits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v3_url_normalisation() {
        let mut c = ExternalIdentity {
            auth_url: "http://k:5000".into(),
            username: String::new(),
            password: String::new(),
            project_name: String::new(),
            user_domain_id: String::new(),
            project_domain_id: String::new(),
        };
        assert_eq!(c.v3_url(), "http://k:5000/v3");
        c.auth_url = "http://k:5000/v3/".into();
        assert_eq!(c.v3_url(), "http://k:5000/v3");
    }
}
