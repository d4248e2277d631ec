//! A `StoreBackend` wrapper that records store calls for `--trace`.

use std::sync::Arc;

use async_trait::async_trait;
use glint_store::{ByteRange, ByteStream, StoreBackend, StoreError, StoredBlob, WriteLimits};

use crate::trace::record;

pub struct TracedStore(pub Arc<dyn StoreBackend>);

fn participant(kind: &str) -> &'static str {
    match kind {
        "file" => "store_fs",
        "swift" => "store_swift",
        "s3" => "store_s3",
        _ => "store",
    }
}

#[async_trait]
impl StoreBackend for TracedStore {
    fn id(&self) -> &str {
        self.0.id()
    }

    fn kind(&self) -> &str {
        self.0.kind()
    }

    fn properties(&self) -> Vec<(String, String)> {
        self.0.properties()
    }

    async fn put(&self, key: &str, data: ByteStream, limits: WriteLimits) -> Result<StoredBlob, StoreError> {
        let p = participant(self.0.kind());
        record("image", p, false, || format!("put {key} into {}", self.0.id()));
        let out = self.0.put(key, data, limits).await;
        record(p, "image", true, || match &out {
            Ok(b) => format!("stored {} bytes, md5 {}", b.size, b.hashes.md5_hex),
            Err(e) => format!("failed: {e}"),
        });
        out
    }

    async fn get(&self, location: &str, range: Option<ByteRange>) -> Result<ByteStream, StoreError> {
        let p = participant(self.0.kind());
        record("image", p, false, || match range {
            Some(r) => format!("get {location} bytes {}-{}", r.start, r.end_inclusive),
            None => format!("get {location}"),
        });
        let out = self.0.get(location, range).await;
        record(p, "image", true, || {
            if out.is_ok() {
                "streaming".into()
            } else {
                "failed".into()
            }
        });
        out
    }

    async fn delete(&self, location: &str) -> Result<(), StoreError> {
        let p = participant(self.0.kind());
        record("image", p, false, || format!("delete {location}"));
        let out = self.0.delete(location).await;
        record(p, "image", true, || {
            if out.is_ok() {
                "deleted".into()
            } else {
                "failed".into()
            }
        });
        out
    }

    async fn list(&self) -> Result<Vec<String>, StoreError> {
        self.0.list().await
    }
}
