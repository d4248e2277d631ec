//! `/v2/metadefs` over HTTP: the catalogue loaded at start-up, CRUD by admins,
//! reading by everyone, visibility of private namespaces.

mod common;

use common::{body_json, TestServer};
use reqwest::Method;
use serde_json::json;

/// The `field` of every entry of the list `list` in `body`.
fn names<'a>(body: &'a serde_json::Value, list: &str, field: &str) -> Vec<&'a str> {
    body[list]
        .as_array()
        .map(|items| items.iter().filter_map(|i| i[field].as_str()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn catalogue_and_crud() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    let member = s.user_token("m", "p", "member").await;
    let get = |token: &str, path: &str| s.image_req(Method::GET, path, token).send();

    let types = body_json(get(&member, "/v2/metadefs/resource_types").await.unwrap()).await;
    let type_names = names(&types, "resource_types", "name");
    assert!(type_names.contains(&"OS::Glance::Image") && type_names.contains(&"OS::Nova::Flavor"));

    let list = body_json(
        get(&member, "/v2/metadefs/namespaces?resource_types=OS::Glance::Image")
            .await
            .unwrap(),
    )
    .await;
    let namespaces = list["namespaces"].as_array().unwrap();
    assert!(namespaces.len() >= 5);
    assert_eq!(list["schema"], "/v2/schemas/metadefs/namespaces");
    let page = body_json(get(&member, "/v2/metadefs/namespaces?limit=3").await.unwrap()).await;
    assert_eq!(page["namespaces"].as_array().unwrap().len(), 3);
    let next = page["next"].as_str().unwrap().to_owned();
    let rest = body_json(get(&member, &next).await.unwrap()).await;
    assert!(!rest["namespaces"].as_array().unwrap().is_empty());
    assert_ne!(rest["namespaces"][0]["namespace"], page["namespaces"][0]["namespace"]);
    let libvirt = body_json(
        get(&member, "/v2/metadefs/namespaces/OS::Compute::LibvirtImage")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(libvirt["properties"]["hw_disk_bus"]["type"], "string");
    assert_eq!(libvirt["objects"][0]["name"], "Virtual TPM");
    assert_eq!(libvirt["protected"], true);

    // Admins write; members may not.
    let ns = json!({"namespace": "Glint::Test", "display_name": "Test", "visibility": "private",
                    "resource_type_associations": [{"name": "OS::Glance::Image", "prefix": "t_"}]});
    let res = s
        .image_req(Method::POST, "/v2/metadefs/namespaces", &member)
        .json(&ns)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = s
        .image_req(Method::POST, "/v2/metadefs/namespaces", &admin)
        .json(&ns)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let res = s
        .image_req(Method::POST, "/v2/metadefs/namespaces", &admin)
        .json(&ns)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    // Private: the member from another project does not see it.
    assert_eq!(
        get(&member, "/v2/metadefs/namespaces/Glint::Test")
            .await
            .unwrap()
            .status(),
        404
    );

    let prop = json!({"name": "size_hint", "title": "Size hint", "type": "integer"});
    let res = s
        .image_req(Method::POST, "/v2/metadefs/namespaces/Glint::Test/properties", &admin)
        .json(&prop)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let obj = json!({"name": "Thing", "properties": {"colour": {"type": "string", "title": "Colour"}}, "required": []});
    let res = s
        .image_req(Method::POST, "/v2/metadefs/namespaces/Glint::Test/objects", &admin)
        .json(&obj)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(
        body_json(res).await["self"],
        "/v2/metadefs/namespaces/Glint::Test/objects/Thing"
    );
    let res = s
        .image_req(Method::POST, "/v2/metadefs/namespaces/Glint::Test/tags/fast", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let res = s
        .image_req(Method::POST, "/v2/metadefs/namespaces/Glint::Test/tags", &admin)
        .json(&json!({"tags": [{"name": "a"}, {"name": "b"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let tags = body_json(get(&admin, "/v2/metadefs/namespaces/Glint::Test/tags").await.unwrap()).await;
    assert_eq!(tags["tags"].as_array().unwrap().len(), 2, "a batch replaces the tags");
    let props = body_json(
        get(&admin, "/v2/metadefs/namespaces/Glint::Test/properties")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(props["properties"]["size_hint"]["title"], "Size hint");
    let res = s
        .image_req(
            Method::PUT,
            "/v2/metadefs/namespaces/Glint::Test/properties/size_hint",
            &admin,
        )
        .json(&json!({"name": "size_hint", "title": "Size", "type": "integer"}))
        .send()
        .await
        .unwrap();
    assert_eq!(body_json(res).await["title"], "Size");
    let rts = body_json(
        get(&admin, "/v2/metadefs/namespaces/Glint::Test/resource_types")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(rts["resource_type_associations"][0]["prefix"], "t_");

    // Protected namespaces are not deleted; others are, with everything in them.
    let res = s
        .image_req(
            Method::DELETE,
            "/v2/metadefs/namespaces/OS::Compute::LibvirtImage",
            &admin,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = s
        .image_req(Method::DELETE, "/v2/metadefs/namespaces/Glint::Test", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(
        get(&admin, "/v2/metadefs/namespaces/Glint::Test/objects/Thing")
            .await
            .unwrap()
            .status(),
        404
    );

    // Paths as Glance's router has them (python-glanceclient fetches `resource_type`).
    for (path, name) in [
        ("namespace", "namespace"),
        ("namespaces", "namespaces"),
        ("object", "object"),
        ("objects", "objects"),
        ("property", "property"),
        ("properties", "properties"),
        ("tag", "tag"),
        ("tags", "tags"),
        ("resource_type", "resource_type_association"),
        ("resource_types", "resource_type_associations"),
    ] {
        let res = get(&member, &format!("/v2/schemas/metadefs/{path}")).await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(body_json(res).await["name"], name);
    }
}

/// `--metadefs-dir`: Glance-format namespace files (as in Glance's `etc/metadefs`)
/// replace the built-in catalogue and read back as Glance shows what
/// `glance-manage db_load_metadefs` loaded.
#[tokio::test]
async fn catalogue_from_a_glance_format_directory() {
    let files = tempfile::tempdir().unwrap();
    let write = |name: &str, doc: serde_json::Value| std::fs::write(files.path().join(name), doc.to_string()).unwrap();
    write(
        "b-compute.json",
        json!({"namespace": "Test::Compute", "display_name": "Compute", "visibility": "public", "protected": true,
               "resource_type_associations": [{"name": "OS::Nova::Flavor", "prefix": "hw:"},
                                              {"name": "OS::Glance::Image", "prefix": "hw_"}],
               "properties": {"cpus": {"title": "CPUs", "type": "integer", "default": 2},
                              "secure": {"title": "Secure", "type": "boolean", "default": false}},
               "objects": [{"name": "Zeta", "properties": {"z": {"title": "z", "type": "integer", "default": 80}}},
                           {"name": "Alpha"}]}),
    );
    // No visibility or owner: Glance's loader makes it private to "admin".
    write(
        "a-common.json",
        json!({"namespace": "Test::Common", "properties": {"p": {"title": "P", "type": "string"}}}),
    );
    std::fs::write(files.path().join("README"), "not a namespace").unwrap();
    let dir = files.path().to_owned();
    let s = TestServer::start_with(|c| c.metadefs_dir = Some(dir)).await;
    let admin = s.admin_token().await;
    let member = s.user_token("m", "p", "member").await;
    let get = |token: &str, path: &str| s.image_req(Method::GET, path, token).send();

    let all = body_json(get(&admin, "/v2/metadefs/namespaces?limit=100").await.unwrap()).await;
    let mut loaded = names(&all, "namespaces", "namespace");
    loaded.sort();
    assert_eq!(
        loaded,
        ["Test::Common", "Test::Compute"],
        "only the directory's namespaces"
    );

    let compute = body_json(get(&member, "/v2/metadefs/namespaces/Test::Compute").await.unwrap()).await;
    assert_eq!(compute["owner"], "admin");
    assert!(compute.get("updated_at").is_none(), "loaded, never updated: {compute}");
    assert_eq!(compute["properties"]["cpus"]["default"], "2");
    assert_eq!(compute["properties"]["secure"]["default"], "False");
    assert!(compute["properties"]["cpus"].get("name").is_none());
    let prefixes = names(&compute, "resource_type_associations", "prefix");
    assert_eq!(prefixes, ["hw:", "hw_"], "associations in file order");
    let objects = compute["objects"].as_array().unwrap();
    assert_eq!(objects[0]["name"], "Alpha", "objects by name");
    assert_eq!(objects[0]["required"], json!([]));
    assert_eq!(objects[1]["properties"]["z"]["default"], "80");

    // Private to "admin": members do not see it, admins do.
    assert_eq!(
        s.status(Method::GET, "/v2/metadefs/namespaces/Test::Common", &member)
            .await,
        404
    );
    let common = body_json(get(&admin, "/v2/metadefs/namespaces/Test::Common").await.unwrap()).await;
    assert_eq!(common["visibility"], "private");

    // Made through the API, the same things carry `updated_at`; tags list newest first.
    let sent = json!({"tags": [{"name": "b"}, {"name": "a"}, {"name": "c"}]});
    let tags_path = "/v2/metadefs/namespaces/Test::Compute/tags";
    assert_eq!(
        s.image_json(Method::POST, tags_path, &admin, Some(sent.clone())).await,
        (201, sent)
    );
    let (_, tags) = s.image_json(Method::GET, tags_path, &admin, None).await;
    assert_eq!(tags, json!({"tags": [{"name": "c"}, {"name": "a"}, {"name": "b"}]}));
    let objects_path = "/v2/metadefs/namespaces/Test::Compute/objects";
    let (status, beta) = s
        .image_json(Method::POST, objects_path, &admin, Some(json!({"name": "Beta"})))
        .await;
    assert_eq!(status, 201);
    assert!(
        beta.get("updated_at").is_some() && beta.get("required").is_none(),
        "{beta}"
    );

    // Started again, the directory loads nothing twice and keeps what changed.
    let dir = s.stop().await;
    let files_dir = files.path().to_owned();
    let s = TestServer::start_in(dir, |c| c.metadefs_dir = Some(files_dir)).await;
    let admin = s.admin_token().await;
    let (_, objects) = s.image_json(Method::GET, objects_path, &admin, None).await;
    assert_eq!(names(&objects, "objects", "name"), ["Alpha", "Beta", "Zeta"]);
}

/// A directory with a file that is not a namespace document stops start-up
/// with the file named, rather than serving half a catalogue.
#[tokio::test]
async fn a_broken_metadefs_file_is_refused() {
    let files = tempfile::tempdir().unwrap();
    std::fs::write(files.path().join("broken.json"), "{\"namespace\": ").unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut config = glint_server::ServeConfig::new(data.path(), "http://127.0.0.1:1");
    config.metadefs_dir = Some(files.path().to_owned());
    let err = match glint_server::App::open(config).await {
        Ok(_) => panic!("a broken metadefs file was accepted"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("broken.json"), "{err}");
}

/// A namespace whose contents are refused is not left half made: the API
/// answers 400 and the namespace does not exist; a catalogue file the same way
/// stops start-up without leaving a namespace the next start would keep.
#[tokio::test]
async fn a_refused_namespace_is_not_left_half_made() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    let doc = json!({"namespace": "Test::Half", "properties": {"p": {"title": "P", "type": "string"}},
                     "objects": [{"description": "no name"}]});
    let res = s
        .image_req(Method::POST, "/v2/metadefs/namespaces", &admin)
        .json(&doc)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(
        s.status(Method::GET, "/v2/metadefs/namespaces/Test::Half", &admin)
            .await,
        404
    );
    let data = s.stop().await;

    let files = tempfile::tempdir().unwrap();
    std::fs::write(files.path().join("half.json"), doc.to_string()).unwrap();
    let mut config = glint_server::ServeConfig::new(data.path(), "http://127.0.0.1:1");
    config.database_url = common::test_database(data.path()).await;
    config.metadefs_dir = Some(files.path().to_owned());
    let err = match glint_server::App::open(config).await {
        Ok(_) => panic!("a namespace with a nameless object was loaded"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("half.json"), "{err}");
    let s = TestServer::start_in(data, |_| {}).await;
    let admin = s.admin_token().await;
    assert_eq!(
        s.status(Method::GET, "/v2/metadefs/namespaces/Test::Half", &admin)
            .await,
        404
    );
}
