//! The Swift store against a real Swift (tempauth). Run by
//! `tests/engines/object-stores.sh`, which starts Swift and sets `ST_AUTH`,
//! `ST_USER`, `ST_KEY`; ignored in a plain `cargo test` because no Swift runs there.

use bytes::Bytes;
use futures_util::StreamExt;
use glint_store::swift::{SwiftAuth, SwiftConfig, SwiftStore};
use glint_store::{ByteRange, ByteStream, StoreBackend, StoreError, WriteLimits};
use md5::Digest;

fn store(segment_size: u64) -> SwiftStore {
    store_in(&format!("glint-test-{}", uuid::Uuid::new_v4().simple()), segment_size)
}

fn store_in(container: &str, segment_size: u64) -> SwiftStore {
    let env = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{k} is set by tests/engines/object-stores.sh"));
    let container = container.to_owned();
    SwiftStore::new(
        "swift",
        SwiftConfig {
            auth: SwiftAuth::TempAuth {
                url: env("ST_AUTH"),
                user: env("ST_USER"),
                key: env("ST_KEY"),
            },
            container,
            segment_size,
        },
    )
    .unwrap()
}

fn chunks(total: usize, chunk: usize) -> (ByteStream, Vec<u8>) {
    let data: Vec<u8> = (0..total).map(|i| (i * 7 % 251) as u8).collect();
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
#[ignore = "needs a running Swift: tests/engines/object-stores.sh"]
async fn small_object_round_trip() {
    let s = store(1 << 20);
    let (data, bytes) = chunks(100_000, 7_000);
    let blob = s
        .put(
            "img-small",
            data,
            WriteLimits {
                expected_size: Some(100_000),
                max_size: u64::MAX,
            },
        )
        .await
        .unwrap();
    assert_eq!(blob.size, 100_000);
    assert_eq!(blob.hashes.md5_hex, hex::encode(md5::Md5::digest(&bytes)));
    assert_eq!(read_all(s.get("img-small", None).await.unwrap()).await, bytes);
    let part = read_all(
        s.get(
            "img-small",
            Some(ByteRange {
                start: 10,
                end_inclusive: 19,
            }),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(part, &bytes[10..20]);
    assert_eq!(s.list().await.unwrap(), vec!["img-small".to_string()]);
    s.delete("img-small").await.unwrap();
    s.delete("img-small").await.unwrap();
    assert!(matches!(s.get("img-small", None).await, Err(StoreError::NotFound(_))));
}

#[tokio::test]
#[ignore = "needs a running Swift: tests/engines/object-stores.sh"]
async fn large_objects_are_segmented_and_fully_deleted() {
    // 64 KiB segments, unknown size: a static large object of 5 segments.
    let container = format!("glint-test-{}", uuid::Uuid::new_v4().simple());
    let s = store_in(&container, 64 << 10);
    let segments = store_in(&format!("{container}_segments"), 64 << 10);
    let (data, bytes) = chunks(300_000, 10_000);
    let blob = s
        .put(
            "img-large",
            data,
            WriteLimits {
                expected_size: None,
                max_size: u64::MAX,
            },
        )
        .await
        .unwrap();
    assert_eq!(blob.size, 300_000);
    assert_eq!(
        segments.list().await.unwrap().len(),
        5,
        "300 000 bytes in 64 KiB segments"
    );
    assert_eq!(read_all(s.get("img-large", None).await.unwrap()).await, bytes);
    let part = read_all(
        s.get(
            "img-large",
            Some(ByteRange {
                start: 65_530,
                end_inclusive: 65_545,
            }),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(part, &bytes[65_530..65_546], "a range across a segment boundary");
    s.delete("img-large").await.unwrap();
    assert!(matches!(s.get("img-large", None).await, Err(StoreError::NotFound(_))));
    assert!(s.list().await.unwrap().is_empty());
    assert!(segments.list().await.unwrap().is_empty(), "no segment left behind");
}

#[tokio::test]
#[ignore = "needs a running Swift: tests/engines/object-stores.sh"]
async fn failed_writes_leave_nothing() {
    let container = format!("glint-test-{}", uuid::Uuid::new_v4().simple());
    let s = store_in(&container, 64 << 10);
    let segments = store_in(&format!("{container}_segments"), 64 << 10);
    let (data, _) = chunks(200_000, 10_000);
    let err = s
        .put(
            "too-big",
            data,
            WriteLimits {
                expected_size: None,
                max_size: 100_000,
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
    assert!(segments.list().await.unwrap().is_empty(), "partial segments removed");
    assert!(matches!(s.get("too-big", None).await, Err(StoreError::NotFound(_))));
}
