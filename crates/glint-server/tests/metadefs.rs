//! `/v2/metadefs` over HTTP: the catalogue loaded at start-up, CRUD by admins,
//! reading by everyone, visibility of private namespaces.

mod common;

use common::{body_json, TestServer};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn catalogue_and_crud() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    let member = s.user_token("m", "p", "member").await;
    let get = |token: &str, path: &str| s.image_req(Method::GET, path, token).send();

    let types = body_json(get(&member, "/v2/metadefs/resource_types").await.unwrap()).await;
    let names: Vec<&str> = types["resource_types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"OS::Glance::Image") && names.contains(&"OS::Nova::Flavor"));

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

    for name in [
        "namespace",
        "namespaces",
        "object",
        "objects",
        "property",
        "properties",
        "tag",
        "tags",
        "resource_type_association",
        "resource_type_associations",
    ] {
        let res = get(&member, &format!("/v2/schemas/metadefs/{name}")).await.unwrap();
        assert_eq!(res.status(), 200, "{name}");
        assert_eq!(body_json(res).await["name"], name);
    }
}
