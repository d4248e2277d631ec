//! The HTTP session: one reqwest client, keystoneauth-style `--debug` logging
//! (`REQ: curl …` / `RESP: […]` / `RESP BODY: …`, secrets as `{SHA256}<hex>`),
//! `--trace` hooks and a request counter.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::Method;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::{CliError, Result};
use crate::trace::Trace;

pub const USER_AGENT: &str = concat!("glint/", env!("CARGO_PKG_VERSION"));
const SECRET_HEADERS: &[&str] = &["x-auth-token", "x-subject-token", "x-service-token", "authorization"];

pub enum Body {
    Empty,
    Json(Value),
    /// A streamed upload; the string describes it in `--debug` output.
    Stream(reqwest::Body, String),
}

pub struct Request {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Body,
    /// What `--debug` shows instead of the JSON body (secrets masked).
    pub debug_body: Option<String>,
}

impl Request {
    pub fn new(method: Method, url: impl Into<String>) -> Request {
        Request {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: Body::Empty,
            debug_body: None,
        }
    }

    pub fn header(mut self, k: &str, v: impl Into<String>) -> Request {
        self.headers.push((k.to_string(), v.into()));
        self
    }

    pub fn json(mut self, v: Value) -> Request {
        self.headers.push(("Content-Type".into(), "application/json".into()));
        self.body = Body::Json(v);
        self
    }
}

/// A fully read response.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub url: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Response {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn json(&self) -> Result<Value> {
        if self.body.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&self.body).map_err(|e| CliError::Json(format!("Invalid JSON from {}: {e}", self.url)))
    }

    /// The error openstacksdk would raise for this response.
    pub fn error(&self) -> CliError {
        let ct = self.header("content-type").unwrap_or("");
        CliError::Http {
            status: self.status,
            url: self.url.clone(),
            details: error_details(self.status, ct, &self.body),
        }
    }

    /// `Err(self.error())` unless 2xx.
    pub fn check(self) -> Result<Response> {
        if self.ok() {
            Ok(self)
        } else {
            Err(self.error())
        }
    }
}

/// openstacksdk `exceptions.raise_from_response` details.
pub fn error_details(status: u16, content_type: &str, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut details = String::new();
    if !body.is_empty() && content_type.contains("application/json") {
        details = match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(m)) => {
                let extract = |v: &Value| -> Option<String> {
                    let msg = v.get("message").or_else(|| v.get("faultstring"))?;
                    msg.as_str().map(str::to_string).filter(|s| !s.is_empty())
                };
                let mut msgs: Vec<String> = m.values().filter_map(&extract).collect();
                if msgs.is_empty() {
                    msgs = extract(&Value::Object(m.clone())).into_iter().collect();
                }
                msgs.join("\n")
            }
            _ => text.to_string(),
        };
    } else if !body.is_empty() && content_type.contains("text/html") {
        let mut msgs: Vec<String> = Vec::new();
        for line in text.lines() {
            let stripped = strip_tags(line.trim());
            if !stripped.is_empty() && !msgs.contains(&stripped) {
                msgs.push(stripped);
            }
        }
        details = msgs.join(": ");
    }
    if details.is_empty() {
        details = reqwest::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .map(str::to_string)
            .unwrap_or_else(|| text.to_string());
    }
    details
}

fn strip_tags(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        match rest[i..].find('>') {
            Some(j) if j > 1 => rest = &rest[i + j + 1..],
            _ => {
                out.push('<');
                rest = &rest[i + 1..];
            }
        }
    }
    out.push_str(rest);
    out.trim().to_string()
}

pub fn sha256_secret(v: &str) -> String {
    format!("{{SHA256}}{}", hex::encode(Sha256::digest(v.as_bytes())))
}

fn display_header_name(name: &str) -> String {
    if name.starts_with("x-openstack") {
        return name.to_string();
    }
    name.split('-')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

fn shown_value(name: &str, value: &str) -> String {
    if SECRET_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
        sha256_secret(value)
    } else {
        value.to_string()
    }
}

pub struct Http {
    client: reqwest::Client,
    pub debug: bool,
    pub trace: Option<Mutex<Trace>>,
    count: AtomicUsize,
}

impl Http {
    pub fn new(debug: bool, trace: bool, cacert: Option<&str>, insecure: bool) -> Result<Http> {
        let mut b = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(std::time::Duration::from_secs(30))
            .tcp_nodelay(true);
        if let Some(path) = cacert {
            let pem = std::fs::read(path).map_err(|e| CliError::Config(format!("{path}: {e}")))?;
            let cert = reqwest::Certificate::from_pem(&pem).map_err(|e| CliError::Config(format!("{path}: {e}")))?;
            b = b.add_root_certificate(cert);
        }
        if insecure {
            b = b.danger_accept_invalid_certs(true);
        }
        let client = b.build().map_err(|e| CliError::Config(e.to_string()))?;
        Ok(Http {
            client,
            debug,
            trace: trace.then(|| Mutex::new(Trace::default())),
            count: AtomicUsize::new(0),
        })
    }

    pub fn request_count(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }

    pub fn register_service(&self, url: &str, name: &str, service_type: &str) {
        if let Some(t) = &self.trace {
            if let Ok(mut t) = t.lock() {
                t.register(url, name, service_type);
            }
        }
    }

    pub fn trace_diagram(&self) -> Option<String> {
        self.trace.as_ref().and_then(|t| t.lock().ok().map(|t| t.render()))
    }

    fn log_request(&self, req: &Request) {
        if !self.debug {
            return;
        }
        let url = if req.url.contains('?') {
            format!("\"{}\"", req.url)
        } else {
            req.url.clone()
        };
        let mut line = format!("REQ: curl -g -i -X {} {}", req.method, url);
        let mut headers: Vec<(String, String)> = req.headers.clone();
        headers.push(("User-Agent".into(), USER_AGENT.into()));
        headers.sort_by_key(|a| a.0.to_ascii_lowercase());
        for (k, v) in &headers {
            line.push_str(&format!(" -H \"{}: {}\"", k, shown_value(k, v)));
        }
        match (&req.debug_body, &req.body) {
            (Some(d), _) => line.push_str(&format!(" -d '{d}'")),
            (None, Body::Json(v)) => line.push_str(&format!(" -d '{}'", crate::output::python::json_dumps(v, None))),
            (None, Body::Stream(_, desc)) => line.push_str(&format!(" -d '{desc}'")),
            (None, Body::Empty) => {}
        }
        eprintln!("{line}");
    }

    fn log_response(&self, status: u16, headers: &HeaderMap, body: Option<&[u8]>) {
        if !self.debug {
            return;
        }
        let mut hs: Vec<(String, String)> = headers
            .iter()
            .map(|(k, v)| {
                (
                    display_header_name(k.as_str()),
                    shown_value(k.as_str(), v.to_str().unwrap_or("")),
                )
            })
            .collect();
        hs.sort_by_key(|a| a.0.to_ascii_lowercase());
        let mut line = format!("RESP: [{status}]");
        for (k, v) in hs {
            line.push_str(&format!(" {k}: {v}"));
        }
        eprintln!("{line}");
        let ct = headers.get("content-type").and_then(|v| v.to_str().ok());
        match (ct, body) {
            (Some(ct), Some(b)) if ct.starts_with("application/json") || ct.starts_with("text/plain") => {
                eprintln!("RESP BODY: {}", String::from_utf8_lossy(b));
            }
            _ => eprintln!(
                "RESP BODY: Omitted, Content-Type is set to {}. Only application/json, text/plain responses have their bodies logged.",
                ct.unwrap_or("None")
            ),
        }
        eprintln!();
    }

    async fn dispatch(&self, req: Request) -> Result<(reqwest::Response, Option<String>)> {
        self.log_request(&req);
        self.count.fetch_add(1, Ordering::Relaxed);
        let participant = self
            .trace
            .as_ref()
            .and_then(|t| t.lock().ok().map(|mut t| t.request(req.method.as_str(), &req.url)));
        let mut headers = HeaderMap::new();
        for (k, v) in &req.headers {
            let name = HeaderName::from_bytes(k.to_ascii_lowercase().as_bytes())
                .map_err(|e| CliError::Command(format!("bad header {k}: {e}")))?;
            let value =
                HeaderValue::from_str(v).map_err(|e| CliError::Command(format!("bad header value for {k}: {e}")))?;
            headers.append(name, value);
        }
        let url = req.url.clone();
        let mut rb = self.client.request(req.method, &req.url).headers(headers);
        rb = match req.body {
            Body::Empty => rb,
            Body::Json(v) => rb.body(serde_json::to_vec(&v)?),
            Body::Stream(b, _) => rb.body(b),
        };
        match rb.send().await {
            Ok(r) => Ok((r, participant)),
            Err(e) => {
                if let (Some(t), Some(p)) = (&self.trace, &participant) {
                    if let Ok(mut t) = t.lock() {
                        t.failure(p, "connection failed");
                    }
                }
                Err(CliError::Connection {
                    url,
                    reason: error_chain(&e),
                })
            }
        }
    }

    fn trace_response(&self, participant: Option<String>, status: u16, headers: &HeaderMap) {
        if let (Some(t), Some(p)) = (&self.trace, participant) {
            if let Ok(mut t) = t.lock() {
                let reason = reqwest::StatusCode::from_u16(status)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                    .unwrap_or("");
                let rid = headers.get("x-openstack-request-id").and_then(|v| v.to_str().ok());
                t.response(&p, status, reason, rid);
            }
        }
    }

    /// Send and read the whole body.
    pub async fn send(&self, req: Request) -> Result<Response> {
        let (resp, participant) = self.dispatch(req).await?;
        let status = resp.status().as_u16();
        let url = resp.url().to_string();
        let headers = resp.headers().clone();
        let body = resp.bytes().await.map_err(|e| CliError::Connection {
            url: url.clone(),
            reason: error_chain(&e),
        })?;
        self.log_response(status, &headers, Some(&body));
        self.trace_response(participant, status, &headers);
        Ok(Response {
            status,
            url,
            headers,
            body,
        })
    }

    /// Send and hand back the streaming response (the body is not logged).
    pub async fn send_streaming(&self, req: Request) -> Result<reqwest::Response> {
        let (resp, participant) = self.dispatch(req).await?;
        let status = resp.status().as_u16();
        self.log_response(status, resp.headers(), None);
        self.trace_response(participant, status, resp.headers());
        Ok(resp)
    }
}

/// An error and its sources, joined like Python's nested exception text.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_from_html_and_json() {
        let html = b"<html>\n <head>\n  <title>403 Forbidden</title>\n </head>\n <body>\n  <h1>403 Forbidden</h1>\n  Image x is protected and cannot be deleted.<br /><br />\n\n\n\n </body>\n</html>";
        assert_eq!(
            error_details(403, "text/html; charset=UTF-8", html),
            "403 Forbidden: Image x is protected and cannot be deleted."
        );
        let json = br#"{"error":{"code":401,"message":"The request you have made requires authentication.","title":"Unauthorized"}}"#;
        assert_eq!(
            error_details(401, "application/json", json),
            "The request you have made requires authentication."
        );
        let glance = br#"{"message": "No image found<br /><br />\n", "code": "404 Not Found", "title": "Not Found"}"#;
        assert_eq!(
            error_details(404, "application/json", glance),
            "No image found<br /><br />\n"
        );
        assert_eq!(error_details(404, "", b""), "Not Found");
        let e = CliError::Http {
            status: 403,
            url: "http://x/v2/images/1".into(),
            details: "403 Forbidden: nope".into(),
        };
        assert_eq!(
            e.to_string(),
            "ForbiddenException: 403: Client Error for url: http://x/v2/images/1, 403 Forbidden: nope"
        );
    }

    #[test]
    fn secrets_hashed() {
        assert_eq!(shown_value("X-Auth-Token", "abc"), sha256_secret("abc"));
        assert!(sha256_secret("abc").starts_with("{SHA256}ba7816bf"));
        assert_eq!(shown_value("Accept", "application/json"), "application/json");
        assert_eq!(display_header_name("content-length"), "Content-Length");
        assert_eq!(display_header_name("x-openstack-request-id"), "x-openstack-request-id");
    }
}
