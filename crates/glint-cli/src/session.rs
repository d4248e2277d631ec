//! An authenticated session: token + catalog (from the cache or Keystone),
//! endpoint discovery, and service requests that re-authenticate once on 401.

use reqwest::Method;
use serde_json::Value;

use crate::auth::{self, join};
use crate::cache::{Cache, Entry};
use crate::config::AuthConfig;
use crate::error::{CliError, Result};
use crate::http::{error_details, Http, Request, Response};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    Identity,
    Image,
}

pub struct Session {
    pub http: Http,
    pub cfg: AuthConfig,
    cache: Option<Cache>,
    entry: Option<Entry>,
    from_cache: bool,
}

impl Session {
    pub fn new(http: Http, cfg: AuthConfig, cache: Option<Cache>) -> Session {
        Session {
            http,
            cfg,
            cache,
            entry: None,
            from_cache: false,
        }
    }

    fn register_catalog(&self) {
        let Some(e) = &self.entry else { return };
        if let Some(cat) = e.token_body.get("catalog").and_then(Value::as_array) {
            for svc in cat {
                let name = svc.get("name").and_then(Value::as_str).unwrap_or("");
                let ty = svc.get("type").and_then(Value::as_str).unwrap_or("");
                let name = if name.is_empty() { ty } else { name };
                for ep in svc.get("endpoints").and_then(Value::as_array).into_iter().flatten() {
                    if let Some(url) = ep.get("url").and_then(Value::as_str) {
                        self.http.register_service(url, name, ty);
                    }
                }
            }
        }
    }

    /// Make sure we hold a token (cached if allowed and valid, else fresh).
    pub async fn ensure_auth(&mut self) -> Result<()> {
        if self.entry.is_some() {
            return Ok(());
        }
        if let Some(e) = self.cache.as_ref().and_then(Cache::load) {
            self.entry = Some(e);
            self.from_cache = true;
            self.register_catalog();
            return Ok(());
        }
        self.authenticate().await
    }

    /// Discover Identity v3 and issue a new token.
    pub async fn authenticate(&mut self) -> Result<()> {
        let auth_url = self.cfg.auth_url()?.to_string();
        let (body, masked) = auth::token_request(&self.cfg)?;
        self.http.register_service(&auth_url, "identity", "identity");
        let identity_url = self.discover_identity(&auth_url).await?;
        let mut req = Request::new(Method::POST, join(&identity_url, "auth/tokens"))
            .header("Accept", "application/json")
            .json(body);
        req.debug_body = Some(crate::output::python::json_dumps(&masked, None));
        // keystoneauth reports a refused POST as plain "Unable to establish connection to …".
        let resp = self.http.send(req).await?;
        if !resp.ok() {
            let ct = resp.header("content-type").unwrap_or("").to_string();
            return Err(CliError::Auth {
                message: error_details(resp.status, &ct, &resp.body),
                status: resp.status,
                request_id: resp.header("x-openstack-request-id").map(str::to_string),
            });
        }
        let token = resp
            .header("x-subject-token")
            .ok_or_else(|| CliError::Command("Keystone returned no X-Subject-Token".into()))?
            .to_string();
        let doc = resp.json()?;
        let token_body = doc.get("token").cloned().unwrap_or(Value::Null);
        let expires_at = token_body.get("expires_at").and_then(Value::as_str).map(str::to_string);
        self.entry = Some(Entry {
            identity_url,
            token,
            expires_at,
            token_body,
            image_url: None,
        });
        self.from_cache = false;
        self.register_catalog();
        self.save();
        Ok(())
    }

    fn save(&self) {
        if let (Some(c), Some(e)) = (&self.cache, &self.entry) {
            c.store(e);
        }
    }

    /// Forget the cached token (e.g. after `token revoke` of our own token).
    pub fn invalidate(&mut self) {
        if let Some(c) = &self.cache {
            c.remove();
        }
    }

    async fn discover_identity(&self, auth_url: &str) -> Result<String> {
        let req = Request::new(Method::GET, auth_url).header("Accept", "application/json");
        let resp = match self.http.send(req).await {
            Ok(r) => r,
            // With a versioned auth URL keystoneauth warns and goes on to POST auth/tokens.
            Err(CliError::Connection { .. }) if auth::url_version(auth_url).is_some_and(|v| v.0 == 3) => {
                eprintln!("Failed to discover available identity versions when contacting {auth_url}. Attempting to parse version from URL.");
                return Ok(auth_url.trim_end_matches('/').to_string());
            }
            Err(CliError::Connection { reason, .. }) => {
                return Err(CliError::Unreachable {
                    url: auth_url.to_string(),
                    reason,
                })
            }
            Err(e) => return Err(e),
        };
        if let Ok(doc) = resp.json() {
            if let Some(href) = auth::pick_version(&doc, 3) {
                return Ok(href.trim_end_matches('/').to_string());
            }
        }
        match auth::url_version(auth_url) {
            Some((3, _)) => Ok(auth_url.trim_end_matches('/').to_string()),
            _ => Err(CliError::Command(
                "Could not find versioned identity endpoints when attempting to authenticate. Please check that your auth_url is correct."
                    .into(),
            )),
        }
    }

    pub async fn entry(&mut self) -> Result<&Entry> {
        self.ensure_auth().await?;
        self.entry
            .as_ref()
            .ok_or_else(|| CliError::Command("not authenticated".into()))
    }

    pub fn catalog(&self) -> Vec<Value> {
        self.entry
            .as_ref()
            .and_then(|e| e.token_body.get("catalog"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    }

    /// The token's project id (for `image set --accept`).
    pub async fn project_id(&mut self) -> Result<Option<String>> {
        let e = self.entry().await?;
        Ok(e.token_body
            .get("project")
            .and_then(|p| p.get("id"))
            .and_then(Value::as_str)
            .map(str::to_string))
    }

    /// The versioned base URL of a service.
    pub async fn base_url(&mut self, svc: Service) -> Result<String> {
        self.ensure_auth().await?;
        match svc {
            Service::Identity => Ok(self.entry.as_ref().map(|e| e.identity_url.clone()).unwrap_or_default()),
            Service::Image => {
                if let Some(u) = self.entry.as_ref().and_then(|e| e.image_url.clone()) {
                    return Ok(u);
                }
                let url = self.discover_image().await?;
                if let Some(e) = self.entry.as_mut() {
                    e.image_url = Some(url.clone());
                }
                self.save();
                Ok(url)
            }
        }
    }

    /// The catalog URL of the image service for our interface and region.
    pub fn image_catalog_endpoint(&self) -> Result<auth::Endpoint> {
        let region = self.cfg.region_name.as_deref();
        auth::find_endpoint(&self.catalog(), "image", &self.cfg.interface, region)
            .ok_or_else(|| auth::endpoint_not_found("image", &self.cfg.interface, region))
    }

    async fn discover_image(&mut self) -> Result<String> {
        let ep = self.image_catalog_endpoint()?;
        let mut resp = self
            .http
            .send(Request::new(Method::GET, &ep.url).header("Accept", "application/json"))
            .await?;
        if resp.status == 401 {
            let token = self.entry.as_ref().map(|e| e.token.clone()).unwrap_or_default();
            resp = self
                .http
                .send(
                    Request::new(Method::GET, &ep.url)
                        .header("Accept", "application/json")
                        .header("X-Auth-Token", token),
                )
                .await?;
        }
        if let Ok(doc) = resp.json() {
            if let Some(href) = auth::pick_version(&doc, 2) {
                return Ok(href.trim_end_matches('/').to_string());
            }
        }
        Ok(match auth::url_version(&ep.url) {
            Some((2, _)) => ep.url.trim_end_matches('/').to_string(),
            _ => join(&ep.url, "v2"),
        })
    }

    /// Build the absolute URL for `path` on a service (absolute URLs pass through).
    pub async fn url(&mut self, svc: Service, path: &str) -> Result<String> {
        if path.starts_with("http://") || path.starts_with("https://") {
            return Ok(path.to_string());
        }
        Ok(join(&self.base_url(svc).await?, path))
    }

    /// An authenticated request; if a cached token is refused (401) the cache is
    /// dropped, a new token issued and the request sent once more.
    pub async fn call(
        &mut self,
        svc: Service,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Result<Response> {
        let resp = self.call_once(svc, method.clone(), path, headers, body.clone()).await?;
        if resp.status == 401 && self.from_cache {
            self.invalidate();
            self.entry = None;
            self.authenticate().await?;
            return self.call_once(svc, method, path, headers, body).await;
        }
        Ok(resp)
    }

    async fn call_once(
        &mut self,
        svc: Service,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Result<Response> {
        let req = self.build(svc, method, path, headers).await?;
        let req = match body {
            Some(b) => {
                let mut r = req;
                r.body = crate::http::Body::Json(b);
                if !r.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("content-type")) {
                    r.headers.push(("Content-Type".into(), "application/json".into()));
                }
                r
            }
            None => req,
        };
        self.http.send(req).await
    }

    /// A request with the token set, for streaming use.
    pub async fn build(
        &mut self,
        svc: Service,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
    ) -> Result<Request> {
        let url = self.url(svc, path).await?;
        let token = self.entry().await?.token.clone();
        let mut req = Request::new(method, url);
        for (k, v) in headers {
            req = req.header(k, *v);
        }
        Ok(req.header("X-Auth-Token", token))
    }
}
