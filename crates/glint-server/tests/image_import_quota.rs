//! Interoperable import, tasks, quotas from unified limits, and format
//! inspection of real `qemu-img` images, over HTTP.

mod common;

use common::{body_json, TestServer};
use reqwest::Method;
use serde_json::{json, Value};

const HELLO: &[u8] = b"hello glance\n";

async fn tasks(s: &TestServer, token: &str, id: &str) -> Vec<Value> {
    let body = body_json(
        s.image_req(Method::GET, &format!("/v2/images/{id}/tasks"), token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    body["tasks"].as_array().unwrap().clone()
}

/// The image's only task once it has finished: a task is marked done just after the image
/// it worked on (as in Glance), so a client that saw the image change may still find it
/// `processing` for a moment.
async fn settled_task(s: &TestServer, token: &str, id: &str) -> Value {
    for _ in 0..400 {
        let mut all = tasks(s, token, id).await;
        assert_eq!(all.len(), 1, "one task for image {id}: {all:?}");
        let task = all.remove(0);
        if task["status"] != "processing" && task["status"] != "pending" {
            return task;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the task of image {id} never finished");
}

#[tokio::test]
async fn glance_direct_import() {
    // The embedded default (one unnamed store): no multi-store API, so no copy-image.
    let s = TestServer::start_with(|c| c.stores.clear()).await;
    let admin = s.admin_token().await;
    let res = s
        .image_req(Method::POST, "/v2/images", &admin)
        .json(&json!({"name": "staged", "disk_format": "raw", "container_format": "bare"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["openstack-image-import-methods"], "glance-direct");
    let id = body_json(res).await["id"].as_str().unwrap().to_owned();

    // Importing before staging is a conflict.
    let import = json!({"method": {"name": "glance-direct"}});
    let res = s
        .image_req(Method::POST, &format!("/v2/images/{id}/import"), &admin)
        .json(&import)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);

    let res = s
        .image_req(Method::PUT, &format!("/v2/images/{id}/stage"), &admin)
        .body(HELLO.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let staged = body_json(
        s.image_req(Method::GET, &format!("/v2/images/{id}"), &admin)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(staged["status"], "uploading");
    let res = s
        .image_req(Method::PUT, &format!("/v2/images/{id}/stage"), &admin)
        .body(HELLO.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409, "staging twice");

    let res = s
        .image_req(Method::POST, &format!("/v2/images/{id}/import"), &admin)
        .json(&import)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    let request_id = res.headers()["x-openstack-request-id"].to_str().unwrap().to_owned();
    let image = s.wait_for_status(&admin, &id, &["active"]).await;
    assert_eq!(image["checksum"], "d30599abffe15116ca7c6e7f81fc3872");
    assert_eq!(image["size"], 13);
    assert_eq!(image["os_glance_failed_import"], "");
    assert!(image.get("os_glance_importing_to_stores").is_some());
    let file = s
        .image_req(Method::GET, &format!("/v2/images/{id}/file"), &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(file.bytes().await.unwrap().as_ref(), HELLO);
    let task = settled_task(&s, &admin, &id).await;
    assert_eq!(task["request_id"], request_id);
    assert_eq!(task["type"], "api_image_import");
    assert_eq!(task["status"], "success");
    assert!(
        std::fs::read_dir(s.dir.path().join("staging"))
            .unwrap()
            .filter(|e| { e.as_ref().map(|e| e.file_type().unwrap().is_file()).unwrap_or(false) })
            .count()
            == 0,
        "staged data consumed"
    );

    let body = body_json(
        s.image_req(Method::GET, "/v2/info/import", &admin)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(body["import-methods"]["value"], json!(["glance-direct"]));
    let res = s
        .image_req(Method::POST, &format!("/v2/images/{id}/import"), &admin)
        .json(&json!({"method": {"name": "web-download", "uri": "http://example.org/x"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400, "web-download is off without an allow-list");
}

#[tokio::test]
async fn failed_import_returns_to_queued_and_records_the_failure() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    let id = s
        .create_image(
            &admin,
            json!({"name": "bad", "disk_format": "qcow2", "container_format": "bare"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = s
        .image_req(Method::PUT, &format!("/v2/images/{id}/stage"), &admin)
        .body(HELLO.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let res = s
        .image_req(Method::POST, &format!("/v2/images/{id}/import"), &admin)
        .json(&json!({"method": {"name": "glance-direct"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    s.wait_for_status(&admin, &id, &["queued"]).await;
    let task = settled_task(&s, &admin, &id).await;
    assert_eq!(task["status"], "failure");
    assert!(task["message"]
        .as_str()
        .unwrap()
        .contains("Image disk_format qcow2 does not match stream data raw"));
    assert!(s.store_files().await.is_empty());
}

/// A one-shot HTTP server on loopback serving `body`.
async fn serve_bytes(body: &'static [u8]) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().route("/image.raw", axum::routing::get(move || async move { body }));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

#[tokio::test]
async fn web_download_from_an_allowed_host_only() {
    let origin = serve_bytes(HELLO).await;
    let s = TestServer::start_with(|c| {
        c.web_download_hosts = vec![origin.to_string()];
        c.web_download_allow_private = true;
        c.stores.clear(); // the embedded default store: no copy-image in the list
    })
    .await;
    let admin = s.admin_token().await;
    let body = body_json(
        s.image_req(Method::GET, "/v2/info/import", &admin)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        body["import-methods"]["value"],
        json!(["glance-direct", "web-download"])
    );
    let id = s
        .create_image(
            &admin,
            json!({"name": "web", "disk_format": "raw", "container_format": "bare"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for bad in [
        "http://169.254.169.254/latest/meta-data",
        "file:///etc/passwd",
        "http://127.0.0.1:1/image.raw",
    ] {
        let res = s
            .image_req(Method::POST, &format!("/v2/images/{id}/import"), &admin)
            .json(&json!({"method": {"name": "web-download", "uri": bad}}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{bad}");
    }
    let uri = format!("http://{origin}/image.raw");
    let res = s
        .image_req(Method::POST, &format!("/v2/images/{id}/import"), &admin)
        .json(&json!({"method": {"name": "web-download", "uri": uri}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    let image = s.wait_for_status(&admin, &id, &["active"]).await;
    assert_eq!(image["checksum"], "d30599abffe15116ca7c6e7f81fc3872");

    // Loopback is refused when the operator did not allow private targets.
    let strict = TestServer::start_with(|c| c.web_download_hosts = vec![origin.to_string()]).await;
    let admin = strict.admin_token().await;
    let id = strict
        .create_image(
            &admin,
            json!({"name": "web", "disk_format": "raw", "container_format": "bare"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = strict
        .image_req(Method::POST, &format!("/v2/images/{id}/import"), &admin)
        .json(&json!({"method": {"name": "web-download", "uri": uri}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("internal address"));
}

#[tokio::test]
async fn quotas_from_unified_limits() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    let member = s.user_token("limited", "limtest", "member").await;
    let project = s
        .identity
        .db()
        .project_by_name("default", "limtest")
        .await
        .unwrap()
        .unwrap()
        .id;
    let service = s.identity.db().service_by_type("image").await.unwrap().unwrap();
    let set_limit = |resource: &'static str, value: i64| {
        let body = json!({"limits": [{"project_id": project, "service_id": service, "region_id": "RegionOne",
                                       "resource_name": resource, "resource_limit": value}]});
        s.http
            .post(s.identity_url("/v3/limits"))
            .header("X-Auth-Token", &admin)
            .json(&body)
            .send()
    };
    assert_eq!(set_limit("image_count_total", 1).await.unwrap().status(), 201);
    assert_eq!(set_limit("image_size_total", 1).await.unwrap().status(), 201);

    let first = s
        .create_image(
            &member,
            json!({"name": "lim-1", "disk_format": "raw", "container_format": "bare"}),
        )
        .await;
    let res = s
        .image_req(Method::POST, "/v2/images", &member)
        .header("Accept", "application/json")
        .json(&json!({"name": "lim-2"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    let body = body_json(res).await;
    assert_eq!(body["code"], "413 Request Entity Too Large");
    assert!(body["message"].as_str().unwrap().contains(&format!(
        "Project {project} is over a limit for [Resource image_count_total is over limit of 1 due to current usage 1 and delta 1]"
    )));

    // 2 MiB uploaded against a 1 MiB limit: this upload is allowed (usage is
    // checked before), and the next one is refused.
    let id = first["id"].as_str().unwrap();
    assert_eq!(s.upload(&member, id, &vec![7u8; 2 << 20]).await.status(), 204);
    let usage = body_json(
        s.image_req(Method::GET, "/v2/info/usage", &member)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(usage["usage"]["image_size_total"], json!({"limit": 1, "usage": 2}));
    assert_eq!(usage["usage"]["image_count_total"], json!({"limit": 1, "usage": 1}));
    assert_eq!(usage["usage"]["image_count_uploading"]["usage"], 0);
    assert_eq!(
        set_limit("image_count_total", 5).await.unwrap().status(),
        409,
        "one limit per resource"
    );
    let limits = body_json(
        s.http
            .get(s.identity_url(&format!(
                "/v3/limits?project_id={project}&resource_name=image_count_total"
            )))
            .header("X-Auth-Token", &admin)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let limit_id = limits["limits"][0]["id"].as_str().unwrap().to_owned();
    let res = s
        .http
        .patch(s.identity_url(&format!("/v3/limits/{limit_id}")))
        .header("X-Auth-Token", &admin)
        .json(&json!({"limit": {"resource_limit": 5}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let second = s
        .create_image(
            &member,
            json!({"name": "lim-2", "disk_format": "raw", "container_format": "bare"}),
        )
        .await;
    let res = s.upload(&member, second["id"].as_str().unwrap(), HELLO).await;
    assert_eq!(res.status(), 413, "image_size_total is already over");
    // The admin project keeps the generous registered defaults.
    let mine = s
        .create_image(
            &admin,
            json!({"name": "a", "disk_format": "raw", "container_format": "bare"}),
        )
        .await;
    assert_eq!(
        s.upload(&admin, mine["id"].as_str().unwrap(), HELLO).await.status(),
        204
    );
}

fn qemu_img(args: &[&str]) {
    let status = std::process::Command::new("qemu-img")
        .args(args)
        .status()
        .expect("qemu-img is installed (qemu-utils)");
    assert!(status.success(), "qemu-img {args:?}");
}

#[tokio::test]
async fn format_inspection_of_qemu_img_fixtures() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    qemu_img(&["create", "-q", "-f", "qcow2", &path("plain.qcow2"), "64M"]);
    qemu_img(&["create", "-q", "-f", "vmdk", &path("disk.vmdk"), "32M"]);
    qemu_img(&["create", "-q", "-f", "vpc", &path("disk.vhd"), "32M"]);
    qemu_img(&["create", "-q", "-f", "vhdx", &path("disk.vhdx"), "32M"]);
    qemu_img(&["create", "-q", "-f", "raw", &path("disk.raw"), "1M"]);
    qemu_img(&[
        "create",
        "-q",
        "-f",
        "qcow2",
        "-b",
        &path("plain.qcow2"),
        "-F",
        "qcow2",
        &path("backed.qcow2"),
    ]);
    qemu_img(&[
        "create",
        "-q",
        "-f",
        "qcow2",
        "-o",
        &format!("data_file={}", path("data.bin")),
        &path("external.qcow2"),
        "16M",
    ]);

    let cases: &[(&str, &str, u16, Option<u64>)] = &[
        ("plain.qcow2", "qcow2", 204, Some(64 << 20)),
        ("disk.vmdk", "vmdk", 204, Some(32 << 20)),
        ("disk.vhd", "vhd", 204, None),
        ("disk.vhdx", "vhdx", 204, None),
        ("disk.raw", "raw", 204, Some(1 << 20)),
        // Glance takes anything as raw; other mismatches are 415.
        ("plain.qcow2", "raw", 204, Some(0)),
        ("disk.raw", "qcow2", 415, None),
        ("disk.vmdk", "qcow2", 415, None),
        ("disk.vhdx", "vmdk", 415, None),
        ("backed.qcow2", "qcow2", 400, None),
        ("external.qcow2", "qcow2", 400, None),
    ];
    for (file, disk_format, status, virtual_size) in cases {
        let image = s
            .create_image(
                &admin,
                json!({"name": file, "disk_format": disk_format, "container_format": "bare"}),
            )
            .await;
        let id = image["id"].as_str().unwrap();
        let bytes = std::fs::read(dir.path().join(file)).unwrap();
        let res = s.upload(&admin, id, &bytes).await;
        assert_eq!(res.status().as_u16(), *status, "{file} as {disk_format}");
        let shown = body_json(
            s.image_req(Method::GET, &format!("/v2/images/{id}"), &admin)
                .send()
                .await
                .unwrap(),
        )
        .await;
        if *status == 204 {
            assert_eq!(shown["status"], "active");
            match virtual_size {
                // Stored as raw: the virtual size is the file's size.
                Some(0) => assert_eq!(shown["virtual_size"], shown["size"], "{file}"),
                Some(v) => assert_eq!(shown["virtual_size"], *v, "{file}"),
                None => {}
            }
        } else {
            assert_eq!(shown["status"], "queued", "{file} as {disk_format} stays queued");
        }
    }
}
