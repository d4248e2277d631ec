//! The S3 store against a real S3 endpoint (Swift's s3api or Ceph RGW). Run by
//! `tests/engines/object-stores.sh`, which sets `S3_ENDPOINT`, `S3_ACCESS_KEY`,
//! `S3_SECRET_KEY` and `S3_REGION`; ignored in a plain `cargo test`.

use bytes::Bytes;
use futures_util::StreamExt;
use glint_store::s3::{S3Config, S3Store};
use glint_store::{ByteRange, ByteStream, StoreBackend, StoreError, WriteLimits};
use md5::Digest;

fn store() -> S3Store {
    let env = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{k} is set by tests/engines/object-stores.sh"));
    S3Store::new(
        "s3",
        S3Config {
            endpoint: env("S3_ENDPOINT"),
            region: env("S3_REGION"),
            bucket: format!("glint-test-{}", uuid::Uuid::new_v4().simple()),
            access_key: env("S3_ACCESS_KEY"),
            secret_key: env("S3_SECRET_KEY"),
            part_size: 5 << 20,
            multipart_threshold: 8 << 20,
        },
    )
    .unwrap()
}

fn chunks(total: usize, chunk: usize) -> (ByteStream, Vec<u8>) {
    let data: Vec<u8> = (0..total).map(|i| (i * 13 % 251) as u8).collect();
    let parts: Vec<Result<Bytes, std::io::Error>> = data.chunks(chunk).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
    (Box::pin(futures_util::stream::iter(parts)), data)
}

async fn read_all(mut s: ByteStream) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(c) = s.next().await {
        out.extend_from_slice(&c.unwrap());
    }
    out
}

#[tokio::test]
#[ignore = "needs a running S3: tests/engines/object-stores.sh"]
async fn single_put_round_trip() {
    let s = store();
    let (data, bytes) = chunks(300_000, 64 << 10);
    let blob = s
        .put(
            "small",
            data,
            WriteLimits {
                expected_size: Some(300_000),
                max_size: u64::MAX,
            },
        )
        .await
        .unwrap();
    assert_eq!(blob.hashes.md5_hex, hex::encode(md5::Md5::digest(&bytes)));
    assert_eq!(read_all(s.get("small", None).await.unwrap()).await, bytes);
    let part = read_all(
        s.get(
            "small",
            Some(ByteRange {
                start: 5,
                end_inclusive: 9,
            }),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(part, &bytes[5..10]);
    assert_eq!(s.list().await.unwrap(), vec!["small".to_string()]);
    s.delete("small").await.unwrap();
    s.delete("small").await.unwrap();
    assert!(matches!(s.get("small", None).await, Err(StoreError::NotFound(_))));
}

#[tokio::test]
#[ignore = "needs a running S3: tests/engines/object-stores.sh"]
async fn multipart_for_unknown_sizes() {
    let s = store();
    let (data, bytes) = chunks(12 << 20, 1 << 20);
    let blob = s
        .put(
            "big",
            data,
            WriteLimits {
                expected_size: None,
                max_size: u64::MAX,
            },
        )
        .await
        .unwrap();
    assert_eq!(blob.size, 12 << 20);
    assert_eq!(blob.hashes.sha512_hex, hex::encode(sha2::Sha512::digest(&bytes)));
    let got = read_all(s.get("big", None).await.unwrap()).await;
    assert!(got == bytes, "multipart object reads back whole");
    s.delete("big").await.unwrap();
    assert!(s.list().await.unwrap().is_empty());
}

#[tokio::test]
#[ignore = "needs a running S3: tests/engines/object-stores.sh"]
async fn failed_writes_leave_nothing() {
    let s = store();
    let (data, _) = chunks(12 << 20, 1 << 20);
    let err = s
        .put(
            "too-big",
            data,
            WriteLimits {
                expected_size: None,
                max_size: 7 << 20,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::TooLarge { .. }), "{err}");
    let (data, _) = chunks(1_000, 100);
    let err = s
        .put(
            "short",
            data,
            WriteLimits {
                expected_size: Some(2_000),
                max_size: u64::MAX,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::SizeMismatch { .. }), "{err}");
    assert!(s.list().await.unwrap().is_empty());
}
