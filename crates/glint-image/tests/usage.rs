//! Quota usage straight from `ImageDb` on a real SQLite file (or, with
//! `GLINT_TEST_DATABASE_URL=postgres://…`, a fresh PostgreSQL database): copies in several
//! stores count once per store (as Glance counts locations), staged bytes and uploading
//! images are counted apart.

use glint_image::db::{ImageDb, UploadedData};
use glint_image::model::{Image, ImageStatus, Location, Visibility};
use glint_metadata::MetadataPool;

const MIB: u64 = 1 << 20;

fn queued(id: &str, owner: &str) -> Image {
    Image {
        name: Some(id.into()),
        disk_format: Some("raw".into()),
        container_format: Some("bare".into()),
        ..Image::queued(id.into(), Some(owner.into()), Visibility::Private)
    }
}

fn location(store: &str, id: &str) -> Location {
    Location {
        store_id: store.into(),
        location: format!("{store}/{id}"),
    }
}

async fn test_pool(dir: &std::path::Path) -> MetadataPool {
    match std::env::var("GLINT_TEST_DATABASE_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            let name = format!("glint_usage_{}", uuid::Uuid::new_v4().simple());
            let url = glint_metadata::create_postgres_database(&admin_url, &name)
                .await
                .unwrap();
            MetadataPool::connect(&url).await.unwrap()
        }
        _ => MetadataPool::open_sqlite(&dir.join("glint.sqlite")).await.unwrap(),
    }
}

#[tokio::test]
async fn usage_counts_every_copy_and_only_live_images() {
    let dir = tempfile::tempdir().unwrap();
    let pool = test_pool(dir.path()).await;
    let db = ImageDb::new(pool, "node-a".into()).await.unwrap();

    for id in ["a", "b", "c"] {
        db.insert(&queued(id, "p1")).await.unwrap();
    }
    db.insert(&queued("other", "p2")).await.unwrap();
    let data = |id: &str, size: u64| UploadedData {
        size,
        virtual_size: None,
        checksum: "x".into(),
        os_hash_algo: "sha512".into(),
        os_hash_value: "y".into(),
        location: location("fast", id),
    };
    assert!(db
        .transition("a", ImageStatus::Queued, ImageStatus::Saving)
        .await
        .unwrap());
    assert!(db.activate("a", &data("a", 3 * MIB)).await.unwrap());
    assert!(db
        .transition("b", ImageStatus::Queued, ImageStatus::Saving)
        .await
        .unwrap());

    let u = db.usage("p1").await.unwrap();
    assert_eq!(
        (u.image_size_total, u.image_count_total, u.image_count_uploading),
        (3, 3, 1)
    );

    // A second copy counts again; removing it gives it back.
    db.add_location("a", &location("cheap", "a")).await.unwrap();
    assert_eq!(db.usage("p1").await.unwrap().image_size_total, 6);
    assert!(db.remove_location("a", "cheap").await.unwrap());
    assert_eq!(db.usage("p1").await.unwrap().image_size_total, 3);
    assert!(!db.remove_location("a", "fast").await.unwrap(), "the last copy stays");

    // Deleted images count for nothing; other owners are apart.
    assert!(db.mark_deleted("a").await.unwrap());
    let u = db.usage("p1").await.unwrap();
    assert_eq!((u.image_size_total, u.image_count_total), (0, 2));
    assert_eq!(db.usage("p2").await.unwrap().image_count_total, 1);
}
