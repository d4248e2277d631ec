//! The S3 store against a real S3 endpoint (Swift's s3api or Ceph RGW). Run by
//! `tests/engines/object-stores.sh`, which sets `S3_ENDPOINT`, `S3_ACCESS_KEY`,
//! `S3_SECRET_KEY` and `S3_REGION`; ignored in a plain `cargo test`.

mod common;

use common::{chunks, read_all};
use glint_store::s3::{S3Config, S3Store};
use glint_store::{StoreBackend, StoreError, WriteLimits};
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

#[tokio::test]
#[ignore = "needs a running S3: tests/engines/object-stores.sh"]
async fn single_put_round_trip() {
    common::small_object_round_trip(&store(), "small", 300_000, 64 << 10).await;
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

    // An empty body of unknown size (`openstack image create` reading an empty stdin)
    // is one empty part.
    let (data, _) = chunks(0, 1 << 20);
    let unknown = WriteLimits {
        expected_size: None,
        max_size: u64::MAX,
    };
    let blob = s.put("empty", data, unknown).await.unwrap();
    assert_eq!(blob.size, 0);
    assert!(read_all(s.get("empty", None).await.unwrap()).await.is_empty());
    s.delete("empty").await.unwrap();
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
