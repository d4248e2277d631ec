//! OpenStack Swift as an image store: a thin client over reqwest (OpenDAL's
//! Swift service needs a fixed token and leaks SLO segments on delete).
//!
//! Objects live in one container; images larger than a segment are written as
//! segments in `<container>_segments` tied by a static large object manifest,
//! and deleted with `?multipart-manifest=delete` so no segment is left behind.
//! The token comes from tempauth or Keystone and is renewed before it expires
//! and on any 401.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt};
use serde_json::{json, Value};
use tokio::sync::{mpsc, Mutex};

use crate::{ByteRange, ByteStream, HashedSink, StoreBackend, StoreError, StoredBlob, WriteLimits};

/// Glance's default segment size for Swift.
pub const DEFAULT_SEGMENT_SIZE: u64 = 200 << 20;

#[derive(Debug, Clone)]
pub enum SwiftAuth {
    /// `GET <url>` with `X-Auth-User`/`X-Auth-Key` (Swift's tempauth, v1.0).
    TempAuth { url: String, user: String, key: String },
    /// Keystone v3 password auth; the `object-store` endpoint comes from the catalog.
    Keystone {
        auth_url: String,
        user: String,
        password: String,
        project: String,
        domain_id: String,
        region: Option<String>,
        interface: String,
    },
}

#[derive(Debug, Clone)]
pub struct SwiftConfig {
    pub auth: SwiftAuth,
    pub container: String,
    pub segment_size: u64,
}

struct Session {
    token: String,
    storage_url: String,
    renew_after: Instant,
}

pub struct SwiftStore {
    id: String,
    config: SwiftConfig,
    http: reqwest::Client,
    session: Mutex<Option<Session>>,
    containers_ready: AtomicBool,
}

fn io(e: impl std::fmt::Display) -> StoreError {
    StoreError::Io(std::io::Error::other(e.to_string()))
}

impl SwiftStore {
    pub fn new(id: impl Into<String>, config: SwiftConfig) -> Result<Self, StoreError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(15))
            .build()
            .map_err(io)?;
        Ok(Self {
            id: id.into(),
            config,
            http,
            session: Mutex::new(None),
            containers_ready: AtomicBool::new(false),
        })
    }

    fn segments_container(&self) -> String {
        format!("{}_segments", self.config.container)
    }

    /// (token, storage URL), logging in when there is none, it is old, or `renew`.
    async fn session(&self, renew: bool) -> Result<(String, String), StoreError> {
        let mut guard = self.session.lock().await;
        if let Some(s) = guard.as_ref() {
            if !renew && Instant::now() < s.renew_after {
                return Ok((s.token.clone(), s.storage_url.clone()));
            }
        }
        let session = self.login().await?;
        let out = (session.token.clone(), session.storage_url.clone());
        *guard = Some(session);
        Ok(out)
    }

    async fn login(&self) -> Result<Session, StoreError> {
        match &self.config.auth {
            SwiftAuth::TempAuth { url, user, key } => {
                let res = self
                    .http
                    .get(url)
                    .header("X-Auth-User", user)
                    .header("X-Auth-Key", key)
                    .send()
                    .await
                    .map_err(io)?;
                if !res.status().is_success() {
                    return Err(io(format!("Swift tempauth login failed: {}", res.status())));
                }
                let header = |name: &str| res.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
                let token = header("x-auth-token").ok_or_else(|| io("tempauth sent no X-Auth-Token"))?;
                let storage_url = header("x-storage-url").ok_or_else(|| io("tempauth sent no X-Storage-Url"))?;
                // tempauth tokens last a day by default; renew hourly.
                Ok(Session {
                    token,
                    storage_url,
                    renew_after: Instant::now() + Duration::from_secs(3600),
                })
            }
            SwiftAuth::Keystone {
                auth_url,
                user,
                password,
                project,
                domain_id,
                region,
                interface,
            } => {
                let body = json!({"auth": {
                    "identity": {"methods": ["password"], "password": {"user": {"name": user, "domain": {"id": domain_id}, "password": password}}},
                    "scope": {"project": {"name": project, "domain": {"id": domain_id}}}}});
                let url = format!("{}/auth/tokens", auth_url.trim_end_matches('/'));
                let res = self.http.post(url).json(&body).send().await.map_err(io)?;
                if res.status().as_u16() != 201 {
                    return Err(io(format!("Keystone login for Swift failed: {}", res.status())));
                }
                let token = res
                    .headers()
                    .get("x-subject-token")
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| io("Keystone sent no X-Subject-Token"))?
                    .to_owned();
                let body: Value = res.json().await.map_err(io)?;
                let storage_url = object_store_endpoint(&body, region.as_deref(), interface)
                    .ok_or_else(|| io("the token's catalog has no object-store endpoint"))?;
                let lifetime = body["token"]["expires_at"]
                    .as_str()
                    .and_then(seconds_until)
                    .unwrap_or(3600);
                let renew = Duration::from_secs(lifetime.saturating_sub(300).max(30));
                Ok(Session {
                    token,
                    storage_url,
                    renew_after: Instant::now() + renew,
                })
            }
        }
    }

    /// Sends a request built by `build` with the current token, renewing it once on 401.
    async fn send(
        &self,
        build: impl Fn(&reqwest::Client, &str, &str) -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, StoreError> {
        for attempt in 0..2 {
            let (token, url) = self.session(attempt > 0).await?;
            let res = build(&self.http, &url, &token).send().await.map_err(io)?;
            if res.status().as_u16() == 401 && attempt == 0 {
                continue;
            }
            return Ok(res);
        }
        Err(io("Swift refused the renewed token"))
    }

    async fn ensure_containers(&self) -> Result<(), StoreError> {
        if self.containers_ready.load(Ordering::Relaxed) {
            return Ok(());
        }
        for container in [self.config.container.clone(), self.segments_container()] {
            let res = self
                .send(|c, url, token| c.put(format!("{url}/{container}")).header("X-Auth-Token", token))
                .await?;
            if !res.status().is_success() {
                return Err(io(format!("could not create container {container}: {}", res.status())));
            }
        }
        self.containers_ready.store(true, Ordering::Relaxed);
        Ok(())
    }

    /// PUTs one object from a channel of chunks.
    async fn put_object(&self, path: String, chunks: mpsc::Receiver<Bytes>) -> Result<(), StoreError> {
        // A streamed body cannot be replayed, so no 401 retry here: sessions are renewed early.
        let (token, url) = self.session(false).await?;
        let body = reqwest::Body::wrap_stream(channel_stream(chunks));
        let res = self
            .http
            .put(format!("{url}/{path}"))
            .header("X-Auth-Token", token)
            .body(body)
            .send()
            .await
            .map_err(io)?;
        if res.status().as_u16() != 201 {
            return Err(io(format!("Swift PUT {path} failed: {}", res.status())));
        }
        Ok(())
    }

    async fn delete_path(&self, path: &str, manifest: bool) -> Result<(), StoreError> {
        let query = if manifest { "?multipart-manifest=delete" } else { "" };
        let res = self
            .send(|c, url, token| {
                c.delete(format!("{url}/{path}{query}"))
                    .header("X-Auth-Token", token)
                    .header("Accept", "application/json")
            })
            .await?;
        match res.status().as_u16() {
            // A manifest delete reports per-segment results in a 200 body.
            200 if manifest => {
                let report: Value = res.json().await.map_err(io)?;
                match report["Response Status"].as_str() {
                    Some(s) if s.starts_with("200") || s.starts_with("404") => Ok(()),
                    _ => Err(io(format!("Swift could not delete {path}: {report}"))),
                }
            }
            200..=299 | 404 => Ok(()),
            other => Err(io(format!("Swift DELETE {path} failed: {other}"))),
        }
    }
}

fn channel_stream(rx: mpsc::Receiver<Bytes>) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|b| (Ok(b), rx)) })
}

fn seconds_until(rfc3339: &str) -> Option<u64> {
    // "2026-11-27T06:16:05.000000Z": seconds since the epoch, by hand to keep the store crate lean.
    let (date, time) = rfc3339.split_once('T')?;
    let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let t: Vec<i64> = time
        .trim_end_matches('Z')
        .split(':')
        .map(|p| p.split('.').next()?.parse().ok())
        .collect::<Option<_>>()?;
    let days = days_from_civil(y, m, day);
    let expires = days * 86_400 + t.first()? * 3600 + t.get(1)? * 60 + t.get(2)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs() as i64;
    u64::try_from(expires - now).ok()
}

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn object_store_endpoint(token_body: &Value, region: Option<&str>, interface: &str) -> Option<String> {
    token_body["token"]["catalog"]
        .as_array()?
        .iter()
        .find(|s| s["type"] == "object-store")
        .and_then(|s| {
            s["endpoints"].as_array()?.iter().find_map(|e| {
                let region_ok = region.is_none_or(|r| e["region_id"] == r || e["region"] == r);
                (e["interface"] == interface && region_ok)
                    .then(|| e["url"].as_str().map(str::to_owned))
                    .flatten()
            })
        })
}

#[async_trait]
impl StoreBackend for SwiftStore {
    fn id(&self) -> &str {
        &self.id
    }

    fn kind(&self) -> &str {
        "swift"
    }

    fn properties(&self) -> Vec<(String, String)> {
        vec![
            ("container".into(), self.config.container.clone()),
            ("large_object_chunk_size".into(), self.config.segment_size.to_string()),
        ]
    }

    async fn put(&self, key: &str, mut data: ByteStream, limits: WriteLimits) -> Result<StoredBlob, StoreError> {
        self.ensure_containers().await?;
        let segment_size = self.config.segment_size.max(1);
        let cap = limits.expected_size.map_or(limits.max_size, |e| e.min(limits.max_size));
        let single = limits.expected_size.is_some_and(|s| s <= segment_size);
        let mut sink = HashedSink::hash_only();
        let mut written: Vec<(String, u64)> = Vec::new();
        let mut size: u64 = 0;

        let outcome: Result<(), StoreError> = async {
            let mut pending: Option<Bytes> = None;
            loop {
                let path = if single {
                    format!("{}/{key}", self.config.container)
                } else {
                    format!("{}/{key}/{:08}", self.segments_container(), written.len() + 1)
                };
                let (tx, rx) = mpsc::channel::<Bytes>(16);
                let feed = async {
                    let mut in_segment: u64 = 0;
                    let mut ended = false;
                    loop {
                        let chunk = match pending.take() {
                            Some(c) => c,
                            None => match data.next().await {
                                Some(c) => c.map_err(StoreError::Client)?,
                                None => {
                                    ended = true;
                                    break;
                                }
                            },
                        };
                        let mut chunk = chunk;
                        if !single && in_segment + chunk.len() as u64 > segment_size {
                            let keep = (segment_size - in_segment) as usize;
                            pending = Some(chunk.split_off(keep));
                        }
                        size += chunk.len() as u64;
                        if size > cap {
                            return Err(match limits.expected_size {
                                Some(expected) if expected < limits.max_size => {
                                    StoreError::SizeMismatch { expected, actual: size }
                                }
                                _ => StoreError::TooLarge { limit: limits.max_size },
                            });
                        }
                        in_segment += chunk.len() as u64;
                        sink.push(chunk.clone()).await?;
                        if tx.send(chunk).await.is_err() {
                            return Err(io("Swift upload stopped"));
                        }
                        if !single && in_segment >= segment_size {
                            break;
                        }
                    }
                    drop(tx);
                    Ok::<(bool, u64), StoreError>((ended, in_segment))
                };
                // Recorded before the outcome is known: a failed feed still ends the
                // PUT cleanly, leaving a partial segment that cleanup must remove.
                written.push((path.clone(), 0));
                let upload = self.put_object(path, rx);
                let (fed, uploaded) = tokio::join!(feed, upload);
                let (ended, in_segment) = fed?;
                uploaded?;
                if let Some(last) = written.last_mut() {
                    last.1 = in_segment;
                }
                if single || (ended && pending.is_none()) {
                    break;
                }
            }
            if let Some(expected) = limits.expected_size {
                if expected != size {
                    return Err(StoreError::SizeMismatch { expected, actual: size });
                }
            }
            if !single {
                let manifest: Vec<Value> = written
                    .iter()
                    .filter(|(_, n)| *n > 0 || written.len() == 1)
                    .map(|(p, n)| json!({"path": format!("/{p}"), "etag": null, "size_bytes": n}))
                    .collect();
                let object = format!("{}/{key}", self.config.container);
                let body = Value::Array(manifest).to_string();
                let res = self
                    .send(|c, url, token| {
                        c.put(format!("{url}/{object}?multipart-manifest=put"))
                            .header("X-Auth-Token", token)
                            .body(body.clone())
                    })
                    .await?;
                if res.status().as_u16() != 201 {
                    return Err(io(format!(
                        "Swift manifest PUT failed: {} {}",
                        res.status(),
                        res.text().await.unwrap_or_default()
                    )));
                }
            }
            Ok(())
        }
        .await;

        let hashes = sink.finish().await;
        let error = match (outcome, hashes) {
            (Ok(()), Ok(hashes)) => {
                return Ok(StoredBlob {
                    location: key.to_owned(),
                    size,
                    hashes,
                })
            }
            (Err(e), _) => e,
            (Ok(()), Err(e)) => StoreError::Io(e),
        };
        // Leave nothing behind: the segments and any object already written.
        for (path, _) in &written {
            let _ = self.delete_path(path, false).await;
        }
        let _ = self.delete(key).await;
        Err(error)
    }

    async fn get(&self, location: &str, range: Option<ByteRange>) -> Result<ByteStream, StoreError> {
        let path = format!("{}/{location}", self.config.container);
        let res = self
            .send(|c, url, token| {
                let req = c.get(format!("{url}/{path}")).header("X-Auth-Token", token);
                match range {
                    Some(r) => req.header("Range", format!("bytes={}-{}", r.start, r.end_inclusive)),
                    None => req,
                }
            })
            .await?;
        match res.status().as_u16() {
            200 | 206 => Ok(Box::pin(res.bytes_stream().map_err(std::io::Error::other))),
            404 => Err(StoreError::NotFound(location.to_owned())),
            416 => Err(StoreError::RangeNotSatisfiable),
            other => Err(io(format!("Swift GET {path} failed: {other}"))),
        }
    }

    async fn delete(&self, location: &str) -> Result<(), StoreError> {
        // `?multipart-manifest=delete` only works on manifests (Swift answers
        // "Not an SLO manifest" otherwise), so look first.
        let path = format!("{}/{location}", self.config.container);
        let res = self
            .send(|c, url, token| c.head(format!("{url}/{path}")).header("X-Auth-Token", token))
            .await?;
        match res.status().as_u16() {
            404 => Ok(()),
            200..=299 => {
                let slo = res
                    .headers()
                    .get("x-static-large-object")
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.eq_ignore_ascii_case("true"));
                self.delete_path(&path, slo).await
            }
            other => Err(io(format!("Swift HEAD {path} failed: {other}"))),
        }
    }

    async fn list(&self) -> Result<Vec<String>, StoreError> {
        let mut names = Vec::new();
        let mut marker = String::new();
        loop {
            let container = self.config.container.clone();
            let m = marker.clone();
            let res = self
                .send(|c, url, token| {
                    c.get(format!("{url}/{container}"))
                        .query(&[("format", "json"), ("marker", m.as_str())])
                        .header("X-Auth-Token", token)
                })
                .await?;
            match res.status().as_u16() {
                404 => return Ok(names),
                204 => return Ok(names),
                200 => {}
                other => return Err(io(format!("Swift listing failed: {other}"))),
            }
            let page: Vec<Value> = res.json().await.map_err(io)?;
            if page.is_empty() {
                return Ok(names);
            }
            for o in &page {
                if let Some(n) = o["name"].as_str() {
                    marker = n.to_owned();
                    names.push(n.to_owned());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert!(seconds_until("2000-01-01T00:00:00.000000Z").is_none(), "in the past");
        assert!(seconds_until("2999-01-01T00:00:00Z").unwrap() > 1_000_000);
    }

    #[test]
    fn finds_the_object_store_endpoint() {
        let body = json!({"token": {"catalog": [
            {"type": "image", "endpoints": [{"interface": "public", "region_id": "R", "url": "http://img"}]},
            {"type": "object-store", "endpoints": [
                {"interface": "internal", "region_id": "R", "url": "http://internal"},
                {"interface": "public", "region_id": "R", "url": "http://public/v1/AUTH_p"}]}]}});
        assert_eq!(
            object_store_endpoint(&body, Some("R"), "public").as_deref(),
            Some("http://public/v1/AUTH_p")
        );
        assert_eq!(object_store_endpoint(&body, Some("Other"), "public"), None);
    }
}
