//! Image byte stores.
//!
//! A [`StoreBackend`] takes a stream of bytes and keeps it under a location
//! string; it hashes (md5 + sha512) while writing so nothing reads the data
//! twice. The image service never sees paths or URLs, only locations.

mod error;
mod file_writer;
mod fs;
mod hashing;
pub mod s3;
pub mod swift;

pub use error::StoreError;
pub use fs::FsStore;
pub use hashing::{HashedSink, Hashes};

use std::pin::Pin;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::Stream;

/// A stream of image bytes, as read from a request body or from a store.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, std::io::Error>> + Send>>;

/// What a store reports once it holds a complete image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlob {
    /// Opaque to callers; hand it back to `get`/`delete`.
    pub location: String,
    pub size: u64,
    pub hashes: Hashes,
}

/// Limits a write must respect; checked while streaming.
#[derive(Debug, Clone, Copy)]
pub struct WriteLimits {
    /// The size the client announced (`x-openstack-image-size`), if any.
    pub expected_size: Option<u64>,
    /// Never accept more than this many bytes.
    pub max_size: u64,
}

/// A byte range to read, end inclusive as in HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    pub end_inclusive: u64,
}

#[async_trait]
pub trait StoreBackend: Send + Sync + 'static {
    /// The store's id as Glance shows it (`stores` on an image).
    fn id(&self) -> &str;

    /// Glance's store type name (`file`, `swift`, `s3`), for `/v2/info/stores/detail`.
    fn kind(&self) -> &str;

    /// Operator-facing settings shown to admins in `/v2/info/stores/detail`.
    fn properties(&self) -> Vec<(String, String)> {
        Vec::new()
    }

    /// Write `data` completely or not at all: on any error nothing is left
    /// behind under `key`.
    async fn put(&self, key: &str, data: ByteStream, limits: WriteLimits) -> Result<StoredBlob, StoreError>;

    /// Read a whole blob, or a range of it.
    async fn get(&self, location: &str, range: Option<ByteRange>) -> Result<ByteStream, StoreError>;

    /// Remove a blob. Removing a missing blob is not an error.
    async fn delete(&self, location: &str) -> Result<(), StoreError>;

    /// Every location the store holds, so start-up can remove orphans.
    async fn list(&self) -> Result<Vec<String>, StoreError>;
}
