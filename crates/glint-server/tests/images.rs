//! Glance v2 behaviour of a real server over HTTP.

mod common;

use common::{body_json, TestServer};
use md5::Digest;
use reqwest::Method;
use serde_json::{json, Value};

const HELLO: &[u8] = b"hello glance\n";
const HELLO_MD5: &str = "d30599abffe15116ca7c6e7f81fc3872";

fn raw_image(name: &str) -> Value {
    json!({"name": name, "disk_format": "raw", "container_format": "bare"})
}

#[tokio::test]
async fn version_documents() {
    let s = TestServer::start().await;
    for (path, status) in [("", 300), ("/versions", 200), ("/v1/images", 300)] {
        let res = s.http.get(s.image_url(path)).send().await.unwrap();
        assert_eq!(res.status(), status, "{path}");
        let body = body_json(res).await;
        let versions = body["versions"].as_array().unwrap();
        assert_eq!(versions[0]["status"], "CURRENT");
        assert!(versions
            .iter()
            .all(|v| v["links"][0]["href"] == format!("{}/image/v2/", s.url)));
        assert!(versions.iter().any(|v| v["id"] == "v2.0"));
    }
}

#[tokio::test]
async fn create_show_and_the_create_rules() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    let res = s
        .image_req(Method::POST, "/v2/images", &admin)
        .json(
            &json!({"name": "golden-img", "disk_format": "raw", "container_format": "bare",
                       "visibility": "private", "tags": ["g"], "custom": "x"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let id = {
        let location = res.headers()["location"].to_str().unwrap().to_owned();
        let body = body_json(res).await;
        assert_eq!(
            location,
            format!("{}/image/v2/images/{}", s.url, body["id"].as_str().unwrap())
        );
        let keys: Vec<&str> = body.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys[0], "custom", "extra properties come first, as Glance prints them");
        assert_eq!(body["status"], "queued");
        assert_eq!(body["visibility"], "private");
        assert_eq!(body["tags"], json!(["g"]));
        assert_eq!(body["owner"], s.admin_project_id);
        assert_eq!(body["size"], Value::Null);
        assert_eq!(body["schema"], "/v2/schemas/image");
        assert!(body.get("stores").is_none());
        body["id"].as_str().unwrap().to_owned()
    };
    let shown = body_json(
        s.image_req(Method::GET, &format!("/v2/images/{id}"), &admin)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(shown["name"], "golden-img");
    assert_eq!(shown["custom"], "x");

    // Default visibility is shared; a body with the wrong Content-Type is still JSON to Glance.
    let res = s
        .image_req(Method::POST, "/v2/images", &admin)
        .header("Content-Type", "text/plain")
        .body(r#"{"name":"x"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(body_json(res).await["visibility"], "shared");

    // Client-chosen ids must be UUIDs and unique.
    let chosen = "1a3c1b76-7590-4a00-9355-e82771e3503d";
    let res = s
        .image_req(Method::POST, "/v2/images", &admin)
        .json(&json!({"id": chosen}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let res = s
        .image_req(Method::POST, "/v2/images", &admin)
        .json(&json!({"id": chosen}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);

    let cases: &[(Value, u16, &str)] = &[
        (json!({"id": "not-a-uuid"}), 400, "UUID"),
        (json!({"status": "active"}), 403, "Attribute 'status' is read-only."),
        (json!({"checksum": "x"}), 403, "read-only"),
        (json!({"os_glance_import_task": "x"}), 403, "reserved"),
        (json!({"disk_format": "floppy"}), 400, "disk_format"),
        (json!({"container_format": "crate"}), 400, "container_format"),
        (json!({"visibility": "everyone"}), 400, "visibility"),
        (json!({"protected": "yes"}), 400, "boolean"),
        (json!({"min_ram": -1}), 400, "integer"),
        (json!({"custom": 5}), 400, "string"),
        (json!({"tags": "notalist"}), 400, "array"),
        (json!(["a", "list"]), 400, "object"),
    ];
    for (body, status, message) in cases {
        let res = s
            .image_req(Method::POST, "/v2/images", &admin)
            .header("Accept", "application/json")
            .json(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), *status, "{body}");
        let err = body_json(res).await;
        assert_eq!(
            err["code"],
            format!(
                "{status} {}",
                reqwest::StatusCode::from_u16(*status)
                    .unwrap()
                    .canonical_reason()
                    .unwrap()
            )
        );
        assert!(err["message"].as_str().unwrap().contains(message), "{body}: {err}");
    }
    let res = s
        .image_req(Method::POST, "/v2/images", &admin)
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
}

#[tokio::test]
async fn not_found_bodies_follow_accept() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    let res = s
        .image_req(Method::GET, "/v2/images/no-such-image", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["content-type"], "text/html; charset=UTF-8");
    assert!(res.headers().contains_key("x-openstack-request-id"));
    assert_eq!(
        res.text().await.unwrap(),
        "<html>\n <head>\n  <title>404 Not Found</title>\n </head>\n <body>\n  <h1>404 Not Found</h1>\n  No image found with ID no-such-image<br /><br />\n\n\n\n </body>\n</html>\n"
    );
    let res = s
        .image_req(Method::GET, "/v2/images/no-such-image", &admin)
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "application/json");
    assert_eq!(
        body_json(res).await,
        json!({"message": "No image found with ID no-such-image<br /><br />\n\n\n", "code": "404 Not Found", "title": "Not Found"})
    );
    let res = s
        .image_req(Method::GET, "/v2/images/00000000-0000-0000-0000-000000000000", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = s
        .image_req(Method::GET, "/v2/no-such-thing", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn tokens_are_required_and_checked() {
    let s = TestServer::start().await;
    let res = s.http.get(s.image_url("/v2/images")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(
        res.headers()["www-authenticate"],
        format!("Keystone uri=\"{}/identity/v3\"", s.url)
    );
    for bad in [
        "garbage",
        "gAAAAABrCPpADLOhDVp7R_qYNS6vqHAUlqTUisgMczTGiuBeRPPEOwiiB9V",
        "",
    ] {
        let res = s.image_req(Method::GET, "/v2/images", bad).send().await.unwrap();
        assert_eq!(res.status(), 401, "{bad:?}");
    }
    // An unscoped token is valid but cannot use images.
    let res = s
        .issue_token(json!({"auth": {"identity": {"methods": ["password"], "password": {"user":
            {"name": "admin", "domain": {"id": "default"}, "password": common::ADMIN_PASSWORD}}}, "scope": "unscoped"}}))
        .await;
    let unscoped = res.headers()["x-subject-token"].to_str().unwrap().to_owned();
    assert_eq!(
        s.image_req(Method::GET, "/v2/images", &unscoped)
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
}

#[tokio::test]
async fn upload_download_delete_lifecycle() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    let image = s.create_image(&admin, raw_image("golden")).await;
    let id = image["id"].as_str().unwrap();

    // No data yet: 204.
    let res = s
        .image_req(Method::GET, &format!("/v2/images/{id}/file"), &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);

    let res = s.upload(&admin, id, HELLO).await;
    assert_eq!(res.status(), 204);
    let shown = body_json(
        s.image_req(Method::GET, &format!("/v2/images/{id}"), &admin)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(shown["status"], "active");
    assert_eq!(shown["size"], 13);
    assert_eq!(shown["virtual_size"], 13);
    assert_eq!(shown["checksum"], HELLO_MD5);
    assert_eq!(shown["os_hash_algo"], "sha512");
    assert_eq!(shown["os_hash_value"], hex::encode(sha2::Sha512::digest(HELLO)));
    assert_eq!(shown["stores"], s.default_store_id());
    assert_eq!(s.store_files().await, vec![id.to_string()]);

    // Uploading twice: 409 with Glance's message.
    let res = s.upload(&admin, id, HELLO).await;
    assert_eq!(res.status(), 409);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Image status transition from active to saving is not allowed"));

    let res = s
        .image_req(Method::GET, &format!("/v2/images/{id}/file"), &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-md5"], HELLO_MD5);
    assert_eq!(res.headers()["content-type"], "application/octet-stream");
    assert_eq!(res.headers()["content-length"], "13");
    assert_eq!(res.bytes().await.unwrap().as_ref(), HELLO);

    for (range, expect, content_range) in [
        ("bytes=0-4", &b"hello"[..], "bytes 0-4/13"),
        ("bytes=-7", &b"glance\n"[..], "bytes 6-12/13"),
    ] {
        let res = s
            .image_req(Method::GET, &format!("/v2/images/{id}/file"), &admin)
            .header("Range", range)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 206);
        assert_eq!(res.headers()["content-range"], content_range);
        assert_eq!(res.bytes().await.unwrap().as_ref(), expect);
    }
    let res = s
        .image_req(Method::GET, &format!("/v2/images/{id}/file"), &admin)
        .header("Range", "bytes=50-60")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 416);

    let res = s
        .image_req(Method::DELETE, &format!("/v2/images/{id}"), &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert!(s.store_files().await.is_empty(), "the bytes leave the store");
    let res = s
        .image_req(Method::GET, &format!("/v2/images/{id}"), &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = s
        .image_req(Method::DELETE, &format!("/v2/images/{id}"), &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains(&format!("Failed to find image {id} to delete")));
}

#[tokio::test]
async fn failed_uploads_leave_the_image_queued_and_no_bytes() {
    let s = TestServer::start_with(|c| c.image_limits.max_image_size = 1024).await;
    let admin = s.admin_token().await;
    let id = s.create_image(&admin, raw_image("x")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let status_of = |id: String| {
        let req = s.image_req(Method::GET, &format!("/v2/images/{id}"), &admin);
        async move { body_json(req.send().await.unwrap()).await["status"].clone() }
    };

    // Announced size does not match.
    let res = s
        .image_req(Method::PUT, &format!("/v2/images/{id}/file"), &admin)
        .header("x-openstack-image-size", "20")
        .body(HELLO.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(status_of(id.clone()).await, "queued");
    let res = s
        .image_req(Method::PUT, &format!("/v2/images/{id}/file"), &admin)
        .header("x-openstack-image-size", "twelve")
        .body(HELLO.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);

    // Over the size cap: 413.
    let res = s.upload(&admin, &id, &vec![0u8; 4096]).await;
    assert_eq!(res.status(), 413);
    assert_eq!(status_of(id.clone()).await, "queued");

    // Content that is not what disk_format says: 415, as Glance.
    let q = s
        .create_image(
            &admin,
            json!({"name": "q", "disk_format": "qcow2", "container_format": "bare"}),
        )
        .await;
    let qid = q["id"].as_str().unwrap().to_owned();
    let res = s.upload(&admin, &qid, HELLO).await;
    assert_eq!(res.status(), 415);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Image disk_format qcow2 does not match stream data raw"));
    assert_eq!(status_of(qid.clone()).await, "queued");

    // Formats missing: 400.
    let bare = s.create_image(&admin, json!({"name": "nofmt"})).await;
    let res = s.upload(&admin, bare["id"].as_str().unwrap(), HELLO).await;
    assert_eq!(res.status(), 400);

    assert!(s.store_files().await.is_empty(), "no partial bytes remain");
    let partial = s.dir.path().join("images/.partial");
    if partial.exists() {
        assert_eq!(std::fs::read_dir(partial).unwrap().count(), 0);
    }

    // And a good upload still works afterwards.
    assert_eq!(s.upload(&admin, &id, HELLO).await.status(), 204);
    assert_eq!(status_of(id.clone()).await, "active");
}

#[tokio::test]
async fn qcow2_virtual_size_and_unsafe_qcow2() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    let mut header = vec![0u8; 1024];
    header[..4].copy_from_slice(b"QFI\xfb");
    header[4..8].copy_from_slice(&3u32.to_be_bytes());
    header[24..32].copy_from_slice(&(64u64 << 20).to_be_bytes());
    let img = s
        .create_image(
            &admin,
            json!({"name": "q", "disk_format": "qcow2", "container_format": "bare"}),
        )
        .await;
    let id = img["id"].as_str().unwrap();
    assert_eq!(s.upload(&admin, id, &header).await.status(), 204);
    let shown = body_json(
        s.image_req(Method::GET, &format!("/v2/images/{id}"), &admin)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(shown["virtual_size"], 64u64 << 20);
    assert_eq!(shown["size"], 1024);

    header[8..16].copy_from_slice(&512u64.to_be_bytes()); // a backing file
    let img = s
        .create_image(
            &admin,
            json!({"name": "b", "disk_format": "qcow2", "container_format": "bare"}),
        )
        .await;
    let res = s.upload(&admin, img["id"].as_str().unwrap(), &header).await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("backing file"));
}

#[tokio::test]
async fn list_filters_pagination_and_sorting() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    let mut ids = Vec::new();
    for (n, name) in ["page-1", "page-2", "page-3", "other"].iter().enumerate() {
        let mut body = raw_image(name);
        body["tags"] = json!(if n % 2 == 0 { vec!["even", "all"] } else { vec!["all"] });
        ids.push(s.create_image(&admin, body).await["id"].as_str().unwrap().to_owned());
    }
    let list = |q: &str| {
        let req = s.image_req(Method::GET, &format!("/v2/images{q}"), &admin);
        let q = q.to_owned();
        async move {
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), 200, "{q}");
            body_json(res).await
        }
    };
    let names = |body: &Value| -> Vec<String> {
        body["images"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap().to_owned())
            .collect()
    };

    let page = list("?limit=2").await;
    assert_eq!(page["images"].as_array().unwrap().len(), 2);
    assert_eq!(page["first"], "/v2/images?limit=2");
    assert_eq!(page["schema"], "/v2/schemas/images");
    let next = page["next"].as_str().unwrap().to_owned();
    assert!(next.starts_with("/v2/images?limit=2&marker="));
    let page2 = list(next.trim_start_matches("/v2/images")).await;
    let mut seen = names(&page);
    seen.extend(names(&page2));
    seen.sort();
    assert_eq!(
        seen,
        ["other", "page-1", "page-2", "page-3"],
        "two pages cover everything once"
    );
    assert!(page2.get("next").is_some(), "a full page links to the next");
    let page3 = list(page2["next"].as_str().unwrap().trim_start_matches("/v2/images")).await;
    assert!(page3["images"].as_array().unwrap().is_empty());
    assert!(page3.get("next").is_none());

    assert_eq!(names(&list("?name=page-2").await), ["page-2"]);
    assert_eq!(list("?name=page-2").await["first"], "/v2/images?name=page-2");
    let mut both = names(&list("?name=in:page-1,other").await);
    both.sort();
    assert_eq!(both, ["other", "page-1"]);
    assert_eq!(
        list(&format!("?id=in:{},{}", ids[0], ids[1])).await["images"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        names(&list("?sort_key=name&sort_dir=asc").await),
        ["other", "page-1", "page-2", "page-3"]
    );
    assert_eq!(
        names(&list("?sort=name:desc").await),
        ["page-3", "page-2", "page-1", "other"]
    );
    let sorted_paged = list("?sort=name:asc&limit=3").await;
    let rest = list(sorted_paged["next"].as_str().unwrap().trim_start_matches("/v2/images")).await;
    assert_eq!(names(&rest), ["page-3"], "markers follow the requested sort");
    assert_eq!(list("?tag=even&tag=all").await["images"].as_array().unwrap().len(), 2);
    assert_eq!(list("?status=active").await["images"].as_array().unwrap().len(), 0);
    assert_eq!(list("?status=queued").await["images"].as_array().unwrap().len(), 4);
    assert_eq!(
        list(&format!("?owner={}", s.admin_project_id)).await["images"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    assert_eq!(list("?visibility=public").await["images"].as_array().unwrap().len(), 0);

    // os_hidden images leave the default list and show with os_hidden=true.
    let hidden = s
        .create_image(&admin, json!({"name": "hidden", "os_hidden": true}))
        .await;
    assert!(!names(&list("").await).contains(&"hidden".to_string()));
    assert_eq!(names(&list("?os_hidden=true").await), ["hidden"]);
    assert_eq!(hidden["os_hidden"], true);

    for (q, message) in [
        ("?limit=abc", "limit param must be an integer"),
        ("?limit=-1", "limit param must be positive"),
        (
            "?marker=00000000-0000-0000-0000-000000000000",
            "No image found with ID 00000000-0000-0000-0000-000000000000",
        ),
        ("?sort_key=bogus", "Invalid sort key"),
        ("?sort_dir=sideways", "Invalid sort direction"),
        ("?changes-since=2020-01-01T00:00:00Z", "changes-since"),
    ] {
        let res = s
            .image_req(Method::GET, &format!("/v2/images{q}"), &admin)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{q}");
        assert!(res.text().await.unwrap().contains(message), "{q}");
    }
}

#[tokio::test]
async fn visibility_and_projects() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    let alice = s.user_token("alice", "alpha", "member").await;
    let bob = s.user_token("bob", "beta", "member").await;
    let reader = s.user_token("rita", "alpha", "reader").await;

    let private = s
        .create_image(&alice, json!({"name": "a-private", "visibility": "private"}))
        .await;
    let shared = s.create_image(&alice, json!({"name": "a-shared"})).await;
    let community = s
        .create_image(&alice, json!({"name": "a-community", "visibility": "community"}))
        .await;
    let public = s
        .create_image(&admin, json!({"name": "public", "visibility": "public"}))
        .await;
    let id = |v: &Value| v["id"].as_str().unwrap().to_owned();

    // Members may not publicize.
    let res = s
        .image_req(Method::POST, "/v2/images", &alice)
        .json(&json!({"visibility": "public"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // Readers may not create.
    let res = s
        .image_req(Method::POST, "/v2/images", &reader)
        .json(&json!({"name": "r"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // Nobody creates images for another project but an admin.
    let res = s
        .image_req(Method::POST, "/v2/images", &alice)
        .json(&json!({"owner": "someone-else"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    let names = |token: String, q: &'static str| {
        let req = s.image_req(Method::GET, &format!("/v2/images{q}"), &token);
        async move {
            let mut n: Vec<String> = body_json(req.send().await.unwrap()).await["images"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["name"].as_str().unwrap().to_owned())
                .collect();
            n.sort();
            n
        }
    };
    assert_eq!(
        names(alice.clone(), "").await,
        ["a-community", "a-private", "a-shared", "public"]
    );
    assert_eq!(names(bob.clone(), "").await, ["public"]);
    assert_eq!(names(bob.clone(), "?visibility=community").await, ["a-community"]);
    assert_eq!(
        names(admin.clone(), "").await,
        ["a-community", "a-private", "a-shared", "public"],
        "admin sees every image"
    );

    // By id: bob sees public and community, not private/shared (404, not 403).
    for (image, status) in [(&public, 200), (&community, 200), (&private, 404), (&shared, 404)] {
        let res = s
            .image_req(Method::GET, &format!("/v2/images/{}", id(image)), &bob)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "{}", image["name"]);
    }
    // Visible but not his: 403 to change or delete.
    let res = s
        .image_req(Method::DELETE, &format!("/v2/images/{}", id(&community)), &bob)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = s
        .image_req(Method::DELETE, &format!("/v2/images/{}", id(&private)), &bob)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = s.upload(&bob, &id(&community), HELLO).await;
    assert_eq!(res.status(), 403);
    // A reader of the owning project sees but may not delete.
    let res = s
        .image_req(Method::DELETE, &format!("/v2/images/{}", id(&private)), &reader)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    // Sharing: pending members see the image by id but not in lists until they accept.
    let beta_id = s
        .identity
        .db()
        .project_by_name("default", "beta")
        .await
        .unwrap()
        .unwrap()
        .id;
    let res = s
        .image_req(Method::POST, &format!("/v2/images/{}/members", id(&shared)), &alice)
        .json(&json!({"member": beta_id}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let member = body_json(res).await;
    assert_eq!(member["status"], "pending");
    assert_eq!(member["schema"], "/v2/schemas/member");
    let res = s
        .image_req(Method::POST, &format!("/v2/images/{}/members", id(&shared)), &alice)
        .json(&json!({"member": beta_id}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    let res = s
        .image_req(Method::POST, &format!("/v2/images/{}/members", id(&private)), &alice)
        .json(&json!({"member": beta_id}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403, "only shared images have members");
    assert_eq!(
        s.image_req(Method::GET, &format!("/v2/images/{}", id(&shared)), &bob)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(names(bob.clone(), "").await, ["public"]);
    assert_eq!(
        names(bob.clone(), "?member_status=pending").await,
        ["a-shared", "public"]
    );
    // Only the member accepts.
    let path = format!("/v2/images/{}/members/{beta_id}", id(&shared));
    let res = s
        .image_req(Method::PUT, &path, &alice)
        .json(&json!({"status": "accepted"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = s
        .image_req(Method::PUT, &path, &bob)
        .json(&json!({"status": "accepted"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(body_json(res).await["status"], "accepted");
    assert_eq!(names(bob.clone(), "").await, ["a-shared", "public"]);
    let members = body_json(
        s.image_req(Method::GET, &format!("/v2/images/{}/members", id(&shared)), &alice)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(members["members"].as_array().unwrap().len(), 1);
    assert_eq!(members["schema"], "/v2/schemas/members");
    assert_eq!(
        s.image_req(Method::DELETE, &path, &bob).send().await.unwrap().status(),
        403
    );
    assert_eq!(
        s.image_req(Method::DELETE, &path, &alice)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        s.image_req(Method::GET, &format!("/v2/images/{}", id(&shared)), &bob)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test]
async fn patch_tags_protection_and_deactivation() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    let img = s
        .create_image(
            &admin,
            json!({"name": "golden", "disk_format": "raw", "container_format": "bare", "custom": "x"}),
        )
        .await;
    let id = img["id"].as_str().unwrap().to_owned();
    let patch = |body: Value, ct: &'static str| {
        s.image_req(Method::PATCH, &format!("/v2/images/{id}"), &admin)
            .header("Content-Type", ct)
            .body(body.to_string())
            .send()
    };
    const V21: &str = "application/openstack-images-v2.1-json-patch";

    let res = patch(
        json!([{"op": "replace", "path": "/name", "value": "golden2"}, {"op": "add", "path": "/k", "value": "v"},
               {"op": "remove", "path": "/custom"}, {"op": "add", "path": "/tags", "value": ["t1"]}]),
        V21,
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    let body = body_json(res).await;
    assert_eq!(body["name"], "golden2");
    assert_eq!(body["k"], "v");
    assert!(body.get("custom").is_none());
    assert_eq!(body["tags"], json!(["t1"]));

    let res = patch(json!([]), "application/json").await.unwrap();
    assert_eq!(res.status(), 415);
    assert!(res.headers()["accept-patch"]
        .to_str()
        .unwrap()
        .contains("v2.1-json-patch"));
    for (ops, status) in [
        (json!([{"op": "replace", "path": "/missing", "value": "v"}]), 409),
        (json!([{"op": "remove", "path": "/missing"}]), 409),
        (json!([{"op": "remove", "path": "/name"}]), 403),
        (json!([{"op": "replace", "path": "/status", "value": "active"}]), 403),
        (json!([{"op": "add", "path": "/os_glance_x", "value": "v"}]), 403),
        (json!([{"op": "move", "path": "/name"}]), 400),
        (json!([{"op": "replace", "path": "/min_ram", "value": "lots"}]), 400),
        (json!({"op": "replace"}), 400),
    ] {
        assert_eq!(patch(ops.clone(), V21).await.unwrap().status(), status, "{ops}");
    }

    // The 2.0 dialect: its own operation form, and add of an existing property is a conflict.
    const V20: &str = "application/openstack-images-v2.0-json-patch";
    assert_eq!(
        patch(json!([{"op": "replace", "path": "/name", "value": "x"}]), V20)
            .await
            .unwrap()
            .status(),
        400
    );
    assert_eq!(
        patch(json!([{"add": "/k", "value": "again"}]), V20)
            .await
            .unwrap()
            .status(),
        409
    );
    let res = patch(json!([{"replace": "/name", "value": "golden3"}]), V20)
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(body_json(res).await["name"], "golden3");
    let res = patch(json!([{"op": "add", "path": "/k", "value": "v2"}]), V21)
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "2.1 add overwrites");
    assert_eq!(body_json(res).await["k"], "v2");

    // Tags by path.
    let tag = |m: Method, t: &str| s.image_req(m, &format!("/v2/images/{id}/tags/{t}"), &admin).send();
    assert_eq!(tag(Method::PUT, "t2").await.unwrap().status(), 204);
    assert_eq!(tag(Method::DELETE, "t1").await.unwrap().status(), 204);
    assert_eq!(tag(Method::DELETE, "nope").await.unwrap().status(), 404);
    let shown = body_json(
        s.image_req(Method::GET, &format!("/v2/images/{id}"), &admin)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(shown["tags"], json!(["t2"]));

    // Protected images cannot be deleted, with Glance's 403 message, in HTML and JSON.
    assert_eq!(
        patch(json!([{"op": "replace", "path": "/protected", "value": true}]), V21)
            .await
            .unwrap()
            .status(),
        200
    );
    let res = s
        .image_req(Method::DELETE, &format!("/v2/images/{id}"), &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains(&format!("Image {id} is protected and cannot be deleted.")));
    let res = s
        .image_req(Method::DELETE, &format!("/v2/images/{id}"), &admin)
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(body_json(res).await["code"], "403 Forbidden");
    assert_eq!(
        patch(json!([{"op": "replace", "path": "/protected", "value": false}]), V21)
            .await
            .unwrap()
            .status(),
        200
    );

    // Deactivation: admin only; non-admins cannot download a deactivated image.
    assert_eq!(s.upload(&admin, &id, HELLO).await.status(), 204);
    assert_eq!(
        patch(
            json!([{"op": "replace", "path": "/visibility", "value": "public"}]),
            V21
        )
        .await
        .unwrap()
        .status(),
        200
    );
    let bob = s.user_token("bob", "beta", "member").await;
    let action = |token: &str, what: &str| {
        s.image_req(Method::POST, &format!("/v2/images/{id}/actions/{what}"), token)
            .send()
    };
    assert_eq!(action(&bob, "deactivate").await.unwrap().status(), 403);
    assert_eq!(action(&admin, "deactivate").await.unwrap().status(), 204);
    let file = |token: &str| s.image_req(Method::GET, &format!("/v2/images/{id}/file"), token).send();
    assert_eq!(file(&bob).await.unwrap().status(), 403);
    assert_eq!(file(&admin).await.unwrap().status(), 200);
    assert_eq!(action(&admin, "reactivate").await.unwrap().status(), 204);
    assert_eq!(file(&bob).await.unwrap().bytes().await.unwrap().as_ref(), HELLO);
}

#[tokio::test]
async fn schemas() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    for (name, key) in [
        ("image", "properties"),
        ("images", "properties"),
        ("member", "properties"),
        ("members", "properties"),
    ] {
        let res = s
            .image_req(Method::GET, &format!("/v2/schemas/{name}"), &admin)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let body = body_json(res).await;
        assert_eq!(body["name"], name);
        assert!(body[key].is_object());
    }
    let image = body_json(
        s.image_req(Method::GET, "/v2/schemas/image", &admin)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(image["properties"]["disk_format"]["enum"]
        .as_array()
        .unwrap()
        .contains(&json!("qcow2")));
    assert_eq!(image["properties"]["status"]["readOnly"], true);
}

#[tokio::test]
async fn restart_recovers_interrupted_work() {
    let s = TestServer::start_with(|c| c.stores.clear()).await;
    let admin = s.admin_token().await;
    let keep = s.create_image(&admin, raw_image("keep")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(s.upload(&admin, &keep, HELLO).await.status(), 204);
    let dir = s.stop().await;
    // A crash mid-write leaves a partial file; a crash after the write but
    // before the database leaves an orphan blob.
    std::fs::write(dir.path().join("images/.partial/leftover.123"), b"partial").unwrap();
    std::fs::write(
        dir.path().join("images/5f0d1c36-3b9f-4bd1-9a8a-0d6c8d7cbd9b"),
        b"orphan",
    )
    .unwrap();
    // Only local directories are swept (object stores may be shared), so this test keeps
    // the data dir store whatever GLINT_TEST_STORE says.
    let s = TestServer::start_in(dir, |c| c.stores.clear()).await;
    assert_eq!(
        s.store_files().await,
        vec![keep.clone()],
        "orphans removed, live data kept"
    );
    assert_eq!(
        std::fs::read_dir(s.dir.path().join("images/.partial")).unwrap().count(),
        0
    );
    let admin = s.admin_token().await;
    let res = s
        .image_req(Method::GET, &format!("/v2/images/{keep}/file"), &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.bytes().await.unwrap().as_ref(), HELLO);
}

#[tokio::test]
async fn large_upload_streams_and_hashes() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    let id = s.create_image(&admin, raw_image("big")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // 64 MiB in 1 MiB chunks, never held whole by the client either.
    let chunk: Vec<u8> = (0..1 << 20).map(|i| (i % 251) as u8).collect();
    let mut md5 = md5::Md5::new();
    let mut sha = sha2::Sha512::new();
    for _ in 0..64 {
        md5.update(&chunk);
        sha.update(&chunk);
    }
    let chunks = futures_util::stream::iter((0..64).map(move |_| Ok::<_, std::io::Error>(chunk.clone())));
    let res = s
        .image_req(Method::PUT, &format!("/v2/images/{id}/file"), &admin)
        .header("x-openstack-image-size", (64u64 << 20).to_string())
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let shown = body_json(
        s.image_req(Method::GET, &format!("/v2/images/{id}"), &admin)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(shown["size"], 64u64 << 20);
    assert_eq!(shown["checksum"], hex::encode(md5.finalize()));
    assert_eq!(shown["os_hash_value"], hex::encode(sha.finalize()));
}

/// State changes are decided by the database (conditional updates), not by
/// in-process locks, so they also hold across nodes sharing PostgreSQL: of
/// concurrent uploads exactly one is kept, of concurrent deletes exactly one
/// answers 204.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_uploads_and_deletes_have_exactly_one_winner() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    let image = s.create_image(&admin, raw_image("race")).await;
    let id = image["id"].as_str().unwrap().to_owned();
    let bodies: Vec<Vec<u8>> = (0..8u8).map(|n| vec![n; 256 * 1024]).collect();
    let uploads = bodies.iter().map(|body| s.upload(&admin, &id, body));
    let statuses: Vec<u16> = futures_util::future::join_all(uploads)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(statuses.iter().filter(|&&c| c == 204).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|&c| c == 204 || c == 409), "{statuses:?}");

    let shown = s.show_image(&admin, &id).await;
    assert_eq!(shown["status"], "active");
    let data = s.download(&admin, &id).await;
    assert!(
        bodies.iter().any(|b| b[..] == data[..]),
        "the download is one whole upload"
    );
    assert_eq!(shown["checksum"], hex::encode(md5::Md5::digest(&data)));
    assert_eq!(s.store_files().await.len(), 1, "the losers' bytes left the store");

    let deletes = (0..8).map(|_| s.image_req(Method::DELETE, &format!("/v2/images/{id}"), &admin).send());
    let statuses: Vec<u16> = futures_util::future::join_all(deletes)
        .await
        .into_iter()
        .map(|r| r.unwrap().status().as_u16())
        .collect();
    assert_eq!(statuses.iter().filter(|&&c| c == 204).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|&c| c == 204 || c == 404), "{statuses:?}");
    assert!(s.store_files().await.is_empty(), "the image's bytes left the store");
}
