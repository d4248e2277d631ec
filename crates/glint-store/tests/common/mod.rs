//! What every object-store test needs: a patterned byte stream, reading one back, and the
//! small-object contract each backend must keep.

use bytes::Bytes;
use futures_util::StreamExt;
use glint_store::{ByteRange, ByteStream, StoreBackend, StoreError, WriteLimits};
use md5::Digest;

/// `total` patterned bytes as a stream of `chunk`-sized pieces, and the same bytes whole.
pub fn chunks(total: usize, chunk: usize) -> (ByteStream, Vec<u8>) {
    let data: Vec<u8> = (0..total).map(|i| (i * 13 % 251) as u8).collect();
    let parts: Vec<Result<Bytes, std::io::Error>> = data.chunks(chunk).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
    (Box::pin(futures_util::stream::iter(parts)), data)
}

pub async fn read_all(mut s: ByteStream) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(c) = s.next().await {
        out.extend_from_slice(&c.unwrap());
    }
    out
}

/// Put a known-size object, read it back whole and by range, list it, delete it twice
/// (idempotent), and find it gone.
pub async fn small_object_round_trip<S: StoreBackend>(s: &S, key: &str, total: usize, chunk: usize) {
    let (data, bytes) = chunks(total, chunk);
    let limits = WriteLimits {
        expected_size: Some(total as u64),
        max_size: u64::MAX,
    };
    let blob = s.put(key, data, limits).await.unwrap();
    assert_eq!(blob.size, total as u64);
    assert_eq!(blob.hashes.md5_hex, hex::encode(md5::Md5::digest(&bytes)));
    assert_eq!(read_all(s.get(key, None).await.unwrap()).await, bytes);
    let range = ByteRange {
        start: 10,
        end_inclusive: 19,
    };
    assert_eq!(read_all(s.get(key, Some(range)).await.unwrap()).await, &bytes[10..20]);
    assert_eq!(s.list().await.unwrap(), vec![key.to_string()]);
    s.delete(key).await.unwrap();
    s.delete(key).await.unwrap();
    assert!(matches!(s.get(key, None).await, Err(StoreError::NotFound(_))));
}
