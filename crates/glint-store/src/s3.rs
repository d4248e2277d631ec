//! S3 (Ceph RGW, MinIO, Garage, Swift's s3api…) as an image store. Requests
//! are signed by `rusty-s3` (SigV4 presigned URLs) and sent with reqwest, so
//! no credentials are ever read from files, the environment or instance
//! metadata. Large or unknown-size images use multipart uploads (Glance's
//! defaults: above 100 MiB, 10 MiB parts) and are aborted on failure.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use futures_util::{StreamExt, TryStreamExt};
use rusty_s3::{Bucket, Credentials, S3Action, UrlStyle};

use crate::{ByteRange, ByteStream, HashedSink, StoreBackend, StoreError, StoredBlob, WriteLimits};

pub const DEFAULT_PART_SIZE: u64 = 10 << 20;
pub const DEFAULT_MULTIPART_THRESHOLD: u64 = 100 << 20;
const SIGNATURE_LIFETIME: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone)]
pub struct S3Config {
    /// e.g. `http://127.0.0.1:17480`; path-style addressing.
    pub endpoint: String,
    pub region: String,
    pub bucket: String,
    pub access_key: String,
    pub secret_key: String,
    pub part_size: u64,
    pub multipart_threshold: u64,
}

pub struct S3Store {
    id: String,
    bucket: Bucket,
    credentials: Credentials,
    part_size: u64,
    multipart_threshold: u64,
    http: reqwest::Client,
    bucket_ready: AtomicBool,
}

fn io(e: impl std::fmt::Display) -> StoreError {
    StoreError::Io(std::io::Error::other(e.to_string()))
}

/// Checks a streamed write against its limits as bytes arrive.
struct Meter {
    size: u64,
    cap: u64,
    limits: WriteLimits,
}

impl Meter {
    fn new(limits: WriteLimits) -> Self {
        Self {
            size: 0,
            cap: limits.expected_size.map_or(limits.max_size, |e| e.min(limits.max_size)),
            limits,
        }
    }

    fn add(&mut self, n: usize) -> Result<(), StoreError> {
        self.size += n as u64;
        if self.size > self.cap {
            return Err(match self.limits.expected_size {
                Some(expected) if expected < self.limits.max_size => StoreError::SizeMismatch {
                    expected,
                    actual: self.size,
                },
                _ => StoreError::TooLarge {
                    limit: self.limits.max_size,
                },
            });
        }
        Ok(())
    }

    fn finish(&self) -> Result<u64, StoreError> {
        match self.limits.expected_size {
            Some(expected) if expected != self.size => Err(StoreError::SizeMismatch {
                expected,
                actual: self.size,
            }),
            _ => Ok(self.size),
        }
    }
}

impl S3Store {
    pub fn new(id: impl Into<String>, config: S3Config) -> Result<Self, StoreError> {
        let endpoint = config.endpoint.parse().map_err(io)?;
        let bucket = Bucket::new(endpoint, UrlStyle::Path, config.bucket, config.region).map_err(io)?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(15))
            .build()
            .map_err(io)?;
        Ok(Self {
            id: id.into(),
            bucket,
            credentials: Credentials::new(config.access_key, config.secret_key),
            part_size: config.part_size.max(5 << 20),
            multipart_threshold: config.multipart_threshold,
            http,
            bucket_ready: AtomicBool::new(false),
        })
    }

    async fn ensure_bucket(&self) -> Result<(), StoreError> {
        if self.bucket_ready.load(Ordering::Relaxed) {
            return Ok(());
        }
        let url = self.bucket.create_bucket(&self.credentials).sign(SIGNATURE_LIFETIME);
        let res = self.http.put(url).send().await.map_err(io)?;
        // 409: it exists already (BucketAlreadyOwnedByYou).
        if !(res.status().is_success() || res.status().as_u16() == 409) {
            return Err(io(format!(
                "could not create bucket {}: {}",
                self.bucket.name(),
                res.status()
            )));
        }
        self.bucket_ready.store(true, Ordering::Relaxed);
        Ok(())
    }

    /// One PUT streamed with the announced length (S3 needs it up front).
    async fn put_single(
        &self,
        key: &str,
        mut data: ByteStream,
        limits: WriteLimits,
        sink: &mut HashedSink,
    ) -> Result<u64, StoreError> {
        let expected = limits
            .expected_size
            .ok_or_else(|| io("a single S3 PUT needs the size"))?;
        let url = self
            .bucket
            .put_object(Some(&self.credentials), key)
            .sign(SIGNATURE_LIFETIME);
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Bytes>(16);
        let body = reqwest::Body::wrap_stream(futures_util::stream::poll_fn(move |cx| {
            rx.poll_recv(cx).map(|c| c.map(Ok::<_, std::io::Error>))
        }));
        let upload = async {
            let res = self
                .http
                .put(url)
                .header("Content-Length", expected)
                .body(body)
                .send()
                .await
                .map_err(io)?;
            if !res.status().is_success() {
                return Err(io(format!("S3 PUT {key} failed: {}", res.status())));
            }
            Ok(())
        };
        let feed = async {
            let mut meter = Meter::new(limits);
            while let Some(chunk) = data.next().await {
                let chunk = chunk.map_err(StoreError::Client)?;
                meter.add(chunk.len())?;
                sink.push(chunk.clone()).await?;
                if tx.send(chunk).await.is_err() {
                    return Err(io("S3 upload stopped"));
                }
            }
            drop(tx);
            meter.finish()
        };
        let (fed, uploaded) = tokio::join!(feed, upload);
        match (fed, uploaded) {
            (Ok(size), Ok(())) => Ok(size),
            (Err(e), _) | (Ok(_), Err(e)) => {
                // A short body may still have been stored under a wrong length: remove it.
                let _ = self.delete(key).await;
                Err(e)
            }
        }
    }

    async fn put_multipart(
        &self,
        key: &str,
        mut data: ByteStream,
        limits: WriteLimits,
        sink: &mut HashedSink,
    ) -> Result<u64, StoreError> {
        let url = self
            .bucket
            .create_multipart_upload(Some(&self.credentials), key)
            .sign(SIGNATURE_LIFETIME);
        let res = self.http.post(url).send().await.map_err(io)?;
        if !res.status().is_success() {
            return Err(io(format!("S3 multipart start for {key} failed: {}", res.status())));
        }
        let text = res.text().await.map_err(io)?;
        let created = rusty_s3::actions::CreateMultipartUpload::parse_response(&text).map_err(io)?;
        let upload_id = created.upload_id().to_owned();
        let outcome: Result<(u64, Vec<String>), StoreError> = async {
            let mut meter = Meter::new(limits);
            let mut etags = Vec::new();
            let mut part = BytesMut::with_capacity(self.part_size as usize);
            let mut ended = false;
            while !ended {
                match data.next().await {
                    Some(chunk) => {
                        let chunk = chunk.map_err(StoreError::Client)?;
                        meter.add(chunk.len())?;
                        sink.push(chunk.clone()).await?;
                        part.extend_from_slice(&chunk);
                    }
                    None => ended = true,
                }
                let full = part.len() as u64 >= self.part_size;
                let last = ended && (!part.is_empty() || etags.is_empty());
                if full || last {
                    let number = u16::try_from(etags.len() + 1).map_err(|_| io("more than 65535 parts"))?;
                    let body: Bytes = part.split().freeze();
                    etags.push(self.upload_part(key, &upload_id, number, body).await?);
                }
            }
            Ok((meter.finish()?, etags))
        }
        .await;
        let (size, etags) = match outcome {
            Ok(v) => v,
            Err(e) => {
                let url = self
                    .bucket
                    .abort_multipart_upload(Some(&self.credentials), key, &upload_id)
                    .sign(SIGNATURE_LIFETIME);
                let _ = self.http.delete(url).send().await;
                return Err(e);
            }
        };
        let action = self.bucket.complete_multipart_upload(
            Some(&self.credentials),
            key,
            &upload_id,
            etags.iter().map(String::as_str),
        );
        let url = action.sign(SIGNATURE_LIFETIME);
        let res = self.http.post(url).body(action.body()).send().await.map_err(io)?;
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        // S3 may report a failed completion inside a 200.
        if !status.is_success() || text.contains("<Error>") {
            let url = self
                .bucket
                .abort_multipart_upload(Some(&self.credentials), key, &upload_id)
                .sign(SIGNATURE_LIFETIME);
            let _ = self.http.delete(url).send().await;
            return Err(io(format!("S3 multipart completion for {key} failed: {status} {text}")));
        }
        Ok(size)
    }

    async fn upload_part(&self, key: &str, upload_id: &str, number: u16, body: Bytes) -> Result<String, StoreError> {
        let url = self
            .bucket
            .upload_part(Some(&self.credentials), key, number, upload_id)
            .sign(SIGNATURE_LIFETIME);
        // Explicit, because an empty body would otherwise go without one and
        // Ceph RGW answers 411 (an empty image sent with an unknown size).
        let res = self
            .http
            .put(url)
            .header(reqwest::header::CONTENT_LENGTH, body.len())
            .body(body)
            .send()
            .await
            .map_err(io)?;
        if !res.status().is_success() {
            return Err(io(format!("S3 part {number} of {key} failed: {}", res.status())));
        }
        res.headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .ok_or_else(|| io("S3 sent no ETag for a part"))
    }
}

#[async_trait]
impl StoreBackend for S3Store {
    fn id(&self) -> &str {
        &self.id
    }

    fn kind(&self) -> &str {
        "s3"
    }

    fn properties(&self) -> Vec<(String, String)> {
        vec![
            (
                "s3_store_host".into(),
                self.bucket.base_url().origin().ascii_serialization(),
            ),
            ("s3_store_bucket".into(), self.bucket.name().to_owned()),
            (
                "s3_store_large_object_size".into(),
                self.multipart_threshold.to_string(),
            ),
            ("s3_store_large_object_chunk_size".into(), self.part_size.to_string()),
        ]
    }

    async fn put(&self, key: &str, data: ByteStream, limits: WriteLimits) -> Result<StoredBlob, StoreError> {
        self.ensure_bucket().await?;
        let mut sink = HashedSink::hash_only();
        let single = limits.expected_size.is_some_and(|s| s <= self.multipart_threshold);
        let written = if single {
            self.put_single(key, data, limits, &mut sink).await
        } else {
            self.put_multipart(key, data, limits, &mut sink).await
        };
        let hashes = sink.finish().await;
        match (written, hashes) {
            (Ok(size), Ok(hashes)) => Ok(StoredBlob {
                location: key.to_owned(),
                size,
                hashes,
            }),
            (Err(e), _) => Err(e),
            (Ok(_), Err(e)) => {
                let _ = self.delete(key).await;
                Err(StoreError::Io(e))
            }
        }
    }

    async fn get(&self, location: &str, range: Option<ByteRange>) -> Result<ByteStream, StoreError> {
        let url = self
            .bucket
            .get_object(Some(&self.credentials), location)
            .sign(SIGNATURE_LIFETIME);
        let mut req = self.http.get(url);
        if let Some(r) = range {
            req = req.header("Range", format!("bytes={}-{}", r.start, r.end_inclusive));
        }
        let res = req.send().await.map_err(io)?;
        match res.status().as_u16() {
            200 | 206 => Ok(Box::pin(res.bytes_stream().map_err(std::io::Error::other))),
            404 => Err(StoreError::NotFound(location.to_owned())),
            416 => Err(StoreError::RangeNotSatisfiable),
            other => Err(io(format!("S3 GET {location} failed: {other}"))),
        }
    }

    async fn delete(&self, location: &str) -> Result<(), StoreError> {
        let url = self
            .bucket
            .delete_object(Some(&self.credentials), location)
            .sign(SIGNATURE_LIFETIME);
        let res = self.http.delete(url).send().await.map_err(io)?;
        match res.status().as_u16() {
            200..=299 | 404 => Ok(()),
            other => Err(io(format!("S3 DELETE {location} failed: {other}"))),
        }
    }

    async fn list(&self) -> Result<Vec<String>, StoreError> {
        let mut keys = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut action = self.bucket.list_objects_v2(Some(&self.credentials));
            if let Some(t) = &token {
                action.with_continuation_token(t.clone());
            }
            let res = self
                .http
                .get(action.sign(SIGNATURE_LIFETIME))
                .send()
                .await
                .map_err(io)?;
            match res.status().as_u16() {
                404 => return Ok(keys),
                200 => {}
                other => return Err(io(format!("S3 listing failed: {other}"))),
            }
            let text = res.text().await.map_err(io)?;
            let page = rusty_s3::actions::ListObjectsV2::parse_response(&text).map_err(io)?;
            keys.extend(page.contents.into_iter().map(|c| c.key));
            match page.next_continuation_token {
                Some(t) => token = Some(t),
                None => return Ok(keys),
            }
        }
    }
}
