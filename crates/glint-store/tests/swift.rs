//! The Swift store against a real Swift (tempauth). Run by
//! `tests/engines/object-stores.sh`, which starts Swift and sets `ST_AUTH`,
//! `ST_USER`, `ST_KEY`; ignored in a plain `cargo test` because no Swift runs there.

mod common;

use common::{chunks, read_all};
use glint_store::swift::{SwiftAuth, SwiftConfig, SwiftStore};
use glint_store::{ByteRange, StoreBackend, StoreError, WriteLimits};

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

#[tokio::test]
#[ignore = "needs a running Swift: tests/engines/object-stores.sh"]
async fn small_object_round_trip() {
    common::small_object_round_trip(&store(1 << 20), "img-small", 100_000, 7_000).await;
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
