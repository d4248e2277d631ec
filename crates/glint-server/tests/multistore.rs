//! Several filesystem stores: upload to a named store, copy-image between
//! stores, delete one copy, and the multi-store discovery documents.

mod common;

use common::{body_json, TestServer};
use reqwest::Method;
use serde_json::json;

const HELLO: &[u8] = b"hello glance\n";

#[tokio::test]
async fn upload_copy_and_delete_across_stores() {
    let base = tempfile::tempdir().unwrap();
    let (one, two) = (base.path().join("one"), base.path().join("two"));
    let (one_c, two_c) = (one.clone(), two.clone());
    let s = TestServer::start_with(move |c| {
        c.stores = vec![
            ("fast".into(), glint_server::StoreSpec::Fs(one_c)),
            ("cheap".into(), glint_server::StoreSpec::Fs(two_c)),
        ];
        c.default_store = Some("fast".into());
    })
    .await;
    let admin = s.admin_token().await;
    let files = |dir: &std::path::Path| {
        std::fs::read_dir(dir)
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_type().unwrap().is_file())
            .count()
    };

    let versions = body_json(s.http.get(s.image_url("")).send().await.unwrap()).await;
    assert_eq!(versions["versions"][0]["id"], "v2.12");
    let stores = body_json(
        s.image_req(Method::GET, "/v2/info/stores", &admin)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        stores,
        json!({"stores": [{"id": "fast", "default": "true"}, {"id": "cheap"}]})
    );
    let detail = body_json(
        s.image_req(Method::GET, "/v2/info/stores/detail", &admin)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(detail["stores"][1]["type"], "file");
    let member = s.user_token("m", "p", "member").await;
    assert_eq!(
        s.image_req(Method::GET, "/v2/info/stores/detail", &member)
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let info = body_json(
        s.image_req(Method::GET, "/v2/info/import", &admin)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(info["import-methods"]["value"], json!(["glance-direct", "copy-image"]));

    let res = s
        .image_req(Method::POST, "/v2/images", &admin)
        .json(&json!({"name": "x", "disk_format": "raw", "container_format": "bare"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["openstack-image-store-ids"], "fast,cheap");
    let id = body_json(res).await["id"].as_str().unwrap().to_owned();
    let upload = |store: &'static str| {
        s.image_req(Method::PUT, &format!("/v2/images/{id}/file"), &admin)
            .header("Content-Type", "application/octet-stream")
            .header("X-Image-Meta-Store", store)
            .body(HELLO.to_vec())
            .send()
    };
    assert_eq!(upload("nowhere").await.unwrap().status(), 400);
    assert_eq!(upload("cheap").await.unwrap().status(), 204);
    let image = body_json(
        s.image_req(Method::GET, &format!("/v2/images/{id}"), &admin)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(image["stores"], "cheap");
    assert_eq!((files(&one), files(&two)), (0, 1));

    // copy-image to every store.
    let res = s
        .image_req(Method::POST, &format!("/v2/images/{id}/import"), &admin)
        .json(&json!({"method": {"name": "copy-image"}, "all_stores": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    let mut stores_now = String::new();
    for _ in 0..200 {
        let image = body_json(
            s.image_req(Method::GET, &format!("/v2/images/{id}"), &admin)
                .send()
                .await
                .unwrap(),
        )
        .await;
        stores_now = image["stores"].as_str().unwrap_or_default().to_owned();
        if stores_now.contains(',') {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(stores_now, "cheap,fast");
    assert_eq!((files(&one), files(&two)), (1, 1));
    let res = s
        .image_req(Method::POST, &format!("/v2/images/{id}/import"), &admin)
        .json(&json!({"method": {"name": "copy-image"}, "stores": ["fast"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409, "already there");

    // Downloads come from the default store's copy; remove it and they come from the other.
    let download = || {
        s.image_req(Method::GET, &format!("/v2/images/{id}/file"), &admin)
            .send()
    };
    assert_eq!(download().await.unwrap().bytes().await.unwrap().as_ref(), HELLO);
    let res = s
        .image_req(Method::DELETE, &format!("/v2/stores/fast/{id}"), &member)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404, "a member does not even see the admin's shared image");
    assert_eq!(
        s.image_req(Method::DELETE, &format!("/v2/stores/fast/{id}"), &admin)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!((files(&one), files(&two)), (0, 1));
    assert_eq!(download().await.unwrap().bytes().await.unwrap().as_ref(), HELLO);
    assert_eq!(
        s.image_req(Method::DELETE, &format!("/v2/stores/cheap/{id}"), &admin)
            .send()
            .await
            .unwrap()
            .status(),
        409
    );

    assert_eq!(
        s.image_req(Method::DELETE, &format!("/v2/images/{id}"), &admin)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!((files(&one), files(&two)), (0, 0));
}

#[tokio::test]
async fn discovery_with_a_trailing_slash_and_upload_content_types() {
    // The embedded default (one unnamed store), whatever GLINT_TEST_STORE says.
    let s = TestServer::start_with(|c| c.stores.clear()).await;
    for path in ["/identity/", "/image/"] {
        let res = s.http.get(format!("{}{path}", s.url)).send().await.unwrap();
        assert_eq!(res.status(), 300, "{path}");
    }
    let admin = s.admin_token().await;
    let versions = body_json(s.http.get(s.image_url("")).send().await.unwrap()).await;
    assert_eq!(
        versions["versions"][0]["id"], "v2.7",
        "single store: no multi-store versions"
    );
    let id = s
        .create_image(
            &admin,
            json!({"name": "ct", "disk_format": "raw", "container_format": "bare"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = s
        .image_req(Method::PUT, &format!("/v2/images/{id}/file"), &admin)
        .header("Content-Type", "text/plain")
        .body(HELLO.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);
    assert!(res.text().await.unwrap().contains("Invalid content type text/plain"));
    assert_eq!(s.upload(&admin, &id, HELLO).await.status(), 204);
    let res = s
        .image_req(Method::GET, &format!("/v2/images/{id}/file"), &admin)
        .header("Range", "bytes=0-1,3-4")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = s
        .image_req(Method::GET, &format!("/v2/images/{id}/file"), &admin)
        .header("Range", "bytes=100-200")
        .header("Accept", "application/octet-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 416);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
}
