//! Two stateless `glint serve` nodes on one PostgreSQL, one object store and one Fernet key
//! repository: whatever one node does, the other sees. Needs the real engines, so it is
//! ignored by default; tests/engines/scale-out.sh runs it with
//! `GLINT_TEST_DATABASE_URL=postgres://…` and `GLINT_TEST_STORE=ID=SPEC` (Swift or S3).

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::{body_json, TestServer};
use glint_server::{ServeConfig, StoreSpec};
use md5::Digest;
use reqwest::Method;
use serde_json::json;

struct Shared {
    store_id: String,
    store: StoreSpec,
    keys: tempfile::TempDir,
}

impl Shared {
    fn from_env() -> Self {
        let db = std::env::var("GLINT_TEST_DATABASE_URL").unwrap_or_default();
        assert!(
            db.starts_with("postgres"),
            "GLINT_TEST_DATABASE_URL must name a PostgreSQL server (run tests/engines/scale-out.sh)"
        );
        let store = std::env::var("GLINT_TEST_STORE").expect("GLINT_TEST_STORE=ID=SPEC (Swift or S3)");
        let (id, spec) = store.split_once('=').expect("GLINT_TEST_STORE is ID=SPEC");
        Self {
            store_id: id.to_owned(),
            store: StoreSpec::parse(spec).expect("store spec"),
            keys: tempfile::tempdir().expect("tempdir"),
        }
    }

    /// Node settings: the shared store and keys, and `database` once the first node made it.
    fn tune(&self, database: Option<String>) -> impl FnOnce(&mut ServeConfig) + '_ {
        move |c: &mut ServeConfig| {
            c.stores = vec![(self.store_id.clone(), self.store.clone())];
            c.fernet_keys_dir = Some(self.keys.path().to_owned());
            c.node_url = Some(c.public_url.clone());
            if database.is_some() {
                c.database_url = database;
            }
        }
    }

    async fn objects_of(&self, image_id: &str) -> Vec<String> {
        glint_server::store_list(&self.store_id, &self.store)
            .await
            .expect("list the store")
            .into_iter()
            .filter(|l| l.contains(image_id))
            .collect()
    }
}

fn data(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL and an object store: tests/engines/scale-out.sh"]
async fn two_nodes_share_database_store_and_keys() {
    let shared = Shared::from_env();
    let a = TestServer::start_with(shared.tune(None)).await;
    let database = std::fs::read_to_string(a.dir.path().join("test-database-url")).expect("node A's database");
    let b = TestServer::start_with(shared.tune(Some(database.clone()))).await;

    // A token issued by A is valid on B, for identity and for images.
    let token = a.admin_token().await;
    let res = b
        .http
        .get(b.identity_url("/v3/auth/tokens"))
        .header("X-Auth-Token", &token)
        .header("X-Subject-Token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "A's token validates on B");
    assert_eq!(b.status(Method::GET, "/v2/images", &token).await, 200);

    // Uploaded through A, downloaded through B.
    let image = a
        .create_image(
            &token,
            json!({"name": "shared", "disk_format": "raw", "container_format": "bare"}),
        )
        .await;
    let id = image["id"].as_str().unwrap().to_owned();
    let bytes = data(3 * 1024 * 1024 + 17, 1);
    assert_eq!(a.upload(&token, &id, &bytes).await.status(), 204);
    let got = b
        .image_req(Method::GET, &format!("/v2/images/{id}/file"), &token)
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.headers()["content-md5"], hex::encode(md5::Md5::digest(&bytes)));
    assert!(got.bytes().await.unwrap() == bytes, "B serves the bytes A stored");
    assert_eq!(shared.objects_of(&id).await.len(), 1, "one object in the shared store");

    // Staged on A, imported through B: B forwards the import to A, which holds the data.
    let staged = a
        .create_image(
            &token,
            json!({"name": "staged", "disk_format": "raw", "container_format": "bare"}),
        )
        .await;
    let staged_id = staged["id"].as_str().unwrap().to_owned();
    let staged_bytes = data(1024 * 1024 + 5, 3);
    let res = a
        .image_req(Method::PUT, &format!("/v2/images/{staged_id}/stage"), &token)
        .header("Content-Type", "application/octet-stream")
        .body(staged_bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let res = b
        .image_req(Method::POST, &format!("/v2/images/{staged_id}/import"), &token)
        .json(&json!({"method": {"name": "glance-direct"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202, "B accepts the import on A's behalf");
    let shown = b.wait_for_status(&token, &staged_id, &["active", "queued"]).await;
    assert_eq!(shown["status"], "active", "imported from A's staging area");
    let mut stage_host = shown.get("os_glance_stage_host").cloned();
    for _ in 0..100 {
        if stage_host.is_none() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        stage_host = b
            .show_image(&token, &staged_id)
            .await
            .get("os_glance_stage_host")
            .cloned();
    }
    assert_eq!(stage_host, None, "the stage host goes with the staged data");
    let got = b.download(&token, &staged_id).await;
    assert!(got == staged_bytes, "the imported bytes are the staged ones");

    // Revoked on A: refused by B (which never cached it).
    let doomed = a.admin_token().await;
    let res = a
        .http
        .delete(a.identity_url("/v3/auth/tokens"))
        .header("X-Auth-Token", &token)
        .header("X-Subject-Token", &doomed)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(b.status(Method::GET, "/v2/images", &doomed).await, 401);

    // B restarts while A streams an upload: B's crash recovery leaves A's work alone.
    let slow = a
        .create_image(
            &token,
            json!({"name": "slow", "disk_format": "raw", "container_format": "bare"}),
        )
        .await;
    let slow_id = slow["id"].as_str().unwrap().to_owned();
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(4);
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (Ok::<_, std::io::Error>(chunk), rx))
    });
    let upload = a
        .image_req(Method::PUT, &format!("/v2/images/{slow_id}/file"), &token)
        .header("Content-Type", "application/octet-stream")
        .body(reqwest::Body::wrap_stream(body))
        .send();
    let upload = tokio::spawn(upload);
    let slow_bytes = data(2 * 1024 * 1024, 7);
    let (first, rest) = slow_bytes.split_at(1024 * 1024);
    tx.send(Bytes::copy_from_slice(first)).await.unwrap();
    let shown = b.wait_for_status(&token, &slow_id, &["saving"]).await;
    assert_eq!(shown["status"], "saving", "B sees A's upload in progress");
    let b_dir = b.stop().await;
    let b = TestServer::start_in(b_dir, shared.tune(Some(database.clone()))).await;
    tx.send(Bytes::copy_from_slice(rest)).await.unwrap();
    drop(tx);
    let res = upload.await.unwrap().unwrap();
    assert_eq!(res.status(), 204, "A's upload survived B's restart");
    let shown = b.show_image(&token, &slow_id).await;
    assert_eq!(shown["status"], "active");
    assert_eq!(shown["checksum"], hex::encode(md5::Md5::digest(&slow_bytes)));

    // Key rotation without downtime: A re-reads the rotated repository first. B, not yet
    // reloaded, accepts A's new tokens (sealed with the key B holds as staged), and A still
    // accepts B's (sealed with the previous primary, now a secondary).
    glint_server::fernet_rotate(shared.keys.path(), 3).unwrap();
    a.identity.reload_keys().unwrap();
    let from_a = a.admin_token().await;
    let from_b = b.admin_token().await;
    assert_eq!(b.status(Method::GET, "/v2/images", &from_a).await, 200);
    assert_eq!(a.status(Method::GET, "/v2/images", &from_b).await, 200);
    b.identity.reload_keys().unwrap();
    assert_eq!(b.status(Method::GET, "/v2/images", &from_b).await, 200);

    // Deleted on B: gone for A, and from the store.
    assert_eq!(b.status(Method::DELETE, &format!("/v2/images/{id}"), &token).await, 204);
    assert_eq!(a.status(Method::GET, &format!("/v2/images/{id}"), &token).await, 404);
    assert!(
        shared.objects_of(&id).await.is_empty(),
        "the object left the shared store"
    );

    // The same image deleted on both nodes at once: exactly one 204.
    let (on_a, on_b) = tokio::join!(
        a.image_req(Method::DELETE, &format!("/v2/images/{slow_id}"), &token)
            .send(),
        b.image_req(Method::DELETE, &format!("/v2/images/{slow_id}"), &token)
            .send(),
    );
    let mut statuses = [on_a.unwrap().status().as_u16(), on_b.unwrap().status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [204, 404]);
    assert!(shared.objects_of(&slow_id).await.is_empty());
}

/// Nodes started at the same moment on an empty database take turns at migrations,
/// bootstrap and catalogue loading (an advisory lock): all of them come up.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL: tests/engines/scale-out.sh"]
async fn nodes_starting_together_on_an_empty_database() {
    let first = tempfile::tempdir().unwrap();
    let database = common::test_database(first.path())
        .await
        .expect("GLINT_TEST_DATABASE_URL must name a PostgreSQL server");
    let keys = tempfile::tempdir().unwrap();
    let tune = |c: &mut ServeConfig| {
        c.database_url = Some(database.clone());
        c.fernet_keys_dir = Some(keys.path().to_owned());
    };
    let (a, b, c) = tokio::join!(
        TestServer::start_in(first, tune),
        TestServer::start_with(tune),
        TestServer::start_with(tune),
    );
    let token = a.admin_token().await;
    for node in [&a, &b, &c] {
        let res = node
            .image_req(Method::GET, "/v2/metadefs/namespaces", &token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let namespaces = body_json(res).await["namespaces"].as_array().unwrap().len();
        assert!(
            namespaces >= 8,
            "the catalogue was loaded once, completely: {namespaces}"
        );
    }
}
