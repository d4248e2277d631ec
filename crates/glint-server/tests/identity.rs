//! Keystone v3 behaviour of a real server over HTTP.

mod common;

use common::{body_json, TestServer, ADMIN_PASSWORD};
use reqwest::Method;
use serde_json::json;

fn password_auth(user: serde_json::Value, scope: Option<serde_json::Value>) -> serde_json::Value {
    let mut auth = json!({"identity": {"methods": ["password"], "password": {"user": user}}});
    if let Some(scope) = scope {
        auth["scope"] = scope;
    }
    json!({"auth": auth})
}

#[tokio::test]
async fn discovery_documents() {
    let s = TestServer::start().await;
    let res = s
        .http
        .get(s.identity_url(""))
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 300);
    assert_eq!(res.headers()["location"], format!("{}/identity/v3/", s.url));
    assert_eq!(res.headers()["vary"], "X-Auth-Token");
    assert!(res.headers()["x-openstack-request-id"]
        .to_str()
        .unwrap()
        .starts_with("req-"));
    let body = body_json(res).await;
    assert_eq!(body["versions"]["values"][0]["id"], "v3.14");
    assert_eq!(
        body["versions"]["values"][0]["links"][0]["href"],
        format!("{}/identity/v3/", s.url)
    );

    for path in ["/v3", "/v3/"] {
        let res = s.http.get(s.identity_url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(body_json(res).await["version"]["status"], "stable");
    }
}

#[tokio::test]
async fn password_auth_by_name_and_by_id_with_every_scope() {
    let s = TestServer::start().await;
    let user = json!({"name": "admin", "domain": {"name": "Default"}, "password": ADMIN_PASSWORD});
    let res = s
        .issue_token(password_auth(
            user.clone(),
            Some(json!({"project": {"name": "admin", "domain": {"name": "Default"}}})),
        ))
        .await;
    assert_eq!(res.status(), 201);
    assert!(res.headers()["x-subject-token"].to_str().unwrap().starts_with("gAAAAA"));
    let token = body_json(res).await["token"].clone();
    assert_eq!(token["methods"], json!(["password"]));
    assert_eq!(token["user"]["name"], "admin");
    assert_eq!(token["user"]["domain"], json!({"id": "default", "name": "Default"}));
    assert_eq!(token["project"]["name"], "admin");
    assert_eq!(token["project"]["id"], s.admin_project_id);
    assert_eq!(token["is_domain"], false);
    let mut roles: Vec<&str> = token["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    roles.sort();
    assert_eq!(
        roles,
        ["admin", "manager", "member", "reader"],
        "admin implies manager, member and reader"
    );
    assert_eq!(token["audit_ids"].as_array().unwrap()[0].as_str().unwrap().len(), 22);
    assert!(token["expires_at"].as_str().unwrap().ends_with(".000000Z"));
    let catalog = token["catalog"].as_array().unwrap();
    let image = catalog.iter().find(|c| c["type"] == "image").expect("image service");
    assert_eq!(image["name"], "glance");
    let interfaces: Vec<&str> = image["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["interface"].as_str().unwrap())
        .collect();
    assert_eq!(interfaces.len(), 3);
    for e in image["endpoints"].as_array().unwrap() {
        assert_eq!(e["url"], format!("{}/image", s.url));
        assert_eq!(e["region_id"], "RegionOne");
    }
    let user_id = token["user"]["id"].as_str().unwrap().to_owned();

    // By user id, project by id, no catalog.
    let res = s
        .http
        .post(s.identity_url("/v3/auth/tokens?nocatalog"))
        .json(&password_auth(
            json!({"id": user_id, "password": ADMIN_PASSWORD}),
            Some(json!({"project": {"id": s.admin_project_id}})),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let body = body_json(res).await;
    assert!(body["token"].get("catalog").is_none());
    assert_eq!(body["token"]["project"]["id"], s.admin_project_id);

    // Domain scope (admin has no domain role: 401) and system scope (bootstrap grants it).
    let res = s
        .issue_token(password_auth(user.clone(), Some(json!({"domain": {"id": "default"}}))))
        .await;
    assert_eq!(res.status(), 401);
    let res = s
        .issue_token(password_auth(user.clone(), Some(json!({"system": {"all": true}}))))
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(body_json(res).await["token"]["system"], json!({"all": true}));

    // No scope: unscoped for the bootstrap admin (no default project, as in
    // Keystone); a user's default project otherwise.
    let res = s.issue_token(password_auth(user.clone(), None)).await;
    assert!(body_json(res).await["token"].get("project").is_none());
    s.identity
        .create_user_with_role("dora", "pw", "dproj", "member")
        .await
        .unwrap();
    let res = s
        .issue_token(password_auth(
            json!({"name": "dora", "domain": {"id": "default"}, "password": "pw"}),
            None,
        ))
        .await;
    assert_eq!(body_json(res).await["token"]["project"]["name"], "dproj");
    let res = s
        .issue_token(password_auth(user.clone(), Some(json!("unscoped"))))
        .await;
    assert_eq!(res.status(), 201);
    let body = body_json(res).await;
    assert!(body["token"].get("project").is_none() && body["token"].get("roles").is_none());
}

#[tokio::test]
async fn bad_credentials_and_bad_requests() {
    let s = TestServer::start().await;
    let res = s
        .issue_token(password_auth(
            json!({"name": "admin", "domain": {"name": "Default"}, "password": "wrong"}),
            None,
        ))
        .await;
    assert_eq!(res.status(), 401);
    assert_eq!(
        res.headers()["www-authenticate"],
        format!("Keystone uri=\"{}/identity/v3\"", s.url)
    );
    assert_eq!(res.headers()["vary"], "X-Auth-Token");
    let body = body_json(res).await;
    assert_eq!(
        body,
        json!({"error": {"code": 401, "message": "The request you have made requires authentication.", "title": "Unauthorized"}})
    );

    for user in [
        json!({"name": "nobody", "domain": {"name": "Default"}, "password": "x"}),
        json!({"name": "admin", "domain": {"name": "Nowhere"}, "password": ADMIN_PASSWORD}),
        json!({"id": "0123", "password": ADMIN_PASSWORD}),
    ] {
        assert_eq!(s.issue_token(password_auth(user, None)).await.status(), 401);
    }
    // A project the user has no role on is 401, as Keystone answers.
    s.identity
        .create_user_with_role("alice", "pw", "demo", "member")
        .await
        .unwrap();
    let res = s
        .issue_token(password_auth(
            json!({"name": "alice", "domain": {"id": "default"}, "password": "pw"}),
            Some(json!({"project": {"name": "admin", "domain": {"id": "default"}}})),
        ))
        .await;
    assert_eq!(res.status(), 401);

    let malformed = s
        .http
        .post(s.identity_url("/v3/auth/tokens"))
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    assert_eq!(body_json(malformed).await["error"]["code"], 400);
    for body in [
        json!({}),
        json!({"auth": {}}),
        json!({"auth": {"identity": {"methods": ["password"]}}}),
    ] {
        assert_eq!(s.issue_token(body).await.status(), 400);
    }
    let unsupported = s
        .issue_token(json!({"auth": {"identity": {"methods": ["totp"]}}}))
        .await;
    assert_eq!(unsupported.status(), 401);
    // Still serving.
    assert_eq!(s.http.get(s.identity_url("/v3")).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn validate_check_revoke_and_rescope() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    let alice = s.user_token("alice", "demo", "member").await;
    let tokens = s.identity_url("/v3/auth/tokens");

    let res = s
        .http
        .get(&tokens)
        .header("X-Auth-Token", &admin)
        .header("X-Subject-Token", &alice)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-subject-token"], alice.as_str());
    assert_eq!(body_json(res).await["token"]["user"]["name"], "alice");

    let res = s
        .http
        .head(&tokens)
        .header("X-Auth-Token", &admin)
        .header("X-Subject-Token", &alice)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // A user validates its own token, but not somebody else's.
    let res = s
        .http
        .get(&tokens)
        .header("X-Auth-Token", &alice)
        .header("X-Subject-Token", &alice)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = s
        .http
        .get(&tokens)
        .header("X-Auth-Token", &alice)
        .header("X-Subject-Token", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    // Caller token missing or garbage: 401; subject garbage: 404.
    let res = s
        .http
        .get(&tokens)
        .header("X-Subject-Token", &alice)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let res = s
        .http
        .get(&tokens)
        .header("X-Auth-Token", "gAAAAAgarbage")
        .header("X-Subject-Token", &alice)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let res = s
        .http
        .get(&tokens)
        .header("X-Auth-Token", &admin)
        .header("X-Subject-Token", "garbage")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(body_json(res).await["error"]["title"], "Not Found");

    // Rescope alice's token with the token method: same user, two audit ids.
    let res = s
        .issue_token(
            json!({"auth": {"identity": {"methods": ["token"], "token": {"id": alice}},
                                  "scope": {"project": {"name": "demo", "domain": {"id": "default"}}}}}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let rescoped = res.headers()["x-subject-token"].to_str().unwrap().to_owned();
    let body = body_json(res).await;
    assert_eq!(body["token"]["methods"], json!(["token", "password"]));
    assert_eq!(body["token"]["audit_ids"].as_array().unwrap().len(), 2);

    // Revoking alice's original token revokes the rescoped one too.
    let res = s
        .http
        .delete(&tokens)
        .header("X-Auth-Token", &admin)
        .header("X-Subject-Token", &alice)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    for t in [&alice, &rescoped] {
        let res = s
            .http
            .get(&tokens)
            .header("X-Auth-Token", &admin)
            .header("X-Subject-Token", t)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404);
        let res = s.image_req(Method::GET, "/v2/images", t).send().await.unwrap();
        assert_eq!(res.status(), 401, "a revoked token is refused by the image service");
    }
}

#[tokio::test]
async fn revocations_survive_a_restart_and_tokens_expire() {
    let s = TestServer::start_with(|c| c.token_ttl = std::time::Duration::from_secs(2)).await;
    let admin = s.admin_token().await;
    let other = s.admin_token().await;
    let res = s
        .http
        .delete(s.identity_url("/v3/auth/tokens"))
        .header("X-Auth-Token", &admin)
        .header("X-Subject-Token", &other)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let dir = s.stop().await;
    let s = TestServer::start_in(dir, |c| c.token_ttl = std::time::Duration::from_secs(2)).await;
    assert_eq!(
        s.image_req(Method::GET, "/v2/images", &admin)
            .send()
            .await
            .unwrap()
            .status(),
        200,
        "keys persisted"
    );
    assert_eq!(
        s.image_req(Method::GET, "/v2/images", &other)
            .send()
            .await
            .unwrap()
            .status(),
        401,
        "revocation persisted"
    );
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(
        s.image_req(Method::GET, "/v2/images", &admin)
            .send()
            .await
            .unwrap()
            .status(),
        401,
        "expired"
    );
}

#[tokio::test]
async fn auth_catalog_projects_domains() {
    let s = TestServer::start().await;
    let alice = s.user_token("alice", "demo", "member").await;
    let get = |path: &str| s.http.get(s.identity_url(path)).header("X-Auth-Token", &alice).send();

    let body = body_json(get("/v3/auth/catalog").await.unwrap()).await;
    let types: Vec<&str> = body["catalog"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["identity", "image"]);

    let body = body_json(get("/v3/auth/projects").await.unwrap()).await;
    let names: Vec<&str> = body["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["demo"]);
    let body = body_json(get("/v3/auth/domains").await.unwrap()).await;
    assert_eq!(body["domains"], json!([]));

    // Non-admins may not list projects, but may read their own.
    assert_eq!(get("/v3/projects").await.unwrap().status(), 403);
    let admin = s.admin_token().await;
    let res = s
        .http
        .get(s.identity_url("/v3/projects?name=demo"))
        .header("X-Auth-Token", &admin)
        .send()
        .await
        .unwrap();
    let body = body_json(res).await;
    assert_eq!(body["projects"].as_array().unwrap().len(), 1);
    let demo_id = body["projects"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(get(&format!("/v3/projects/{demo_id}")).await.unwrap().status(), 200);
    let res = s
        .http
        .get(s.identity_url("/v3/projects/demo"))
        .header("X-Auth-Token", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(
        body_json(res).await["error"]["message"],
        "Could not find project: demo."
    );
    assert_eq!(
        s.http
            .get(s.identity_url("/v3/auth/catalog"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}

#[tokio::test]
async fn bootstrap_is_idempotent_and_writes_a_private_openrc() {
    let s = TestServer::start().await;
    let first_project = s.admin_project_id.clone();
    let rc = s.dir.path().join("admin-openrc.sh");
    let text = std::fs::read_to_string(&rc).unwrap();
    assert!(text.contains(&format!("export OS_AUTH_URL={}/identity", s.url)));
    assert!(text.contains("OS_PASSWORD='correct horse battery staple'"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&rc).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let dir = s.stop().await;
    let s = TestServer::start_in(dir, |_| {}).await;
    assert_eq!(s.admin_project_id, first_project);
    let admin = s.admin_token().await;
    let res = s
        .http
        .get(s.identity_url("/v3/auth/catalog"))
        .header("X-Auth-Token", &admin)
        .send()
        .await
        .unwrap();
    let body = body_json(res).await;
    let image = body["catalog"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "image")
        .unwrap()
        .clone();
    assert_eq!(
        image["endpoints"].as_array().unwrap().len(),
        3,
        "no duplicate endpoints after a restart"
    );
    // The password is stored hashed, never in clear.
    for file in ["glint.sqlite", "glint.sqlite-wal"] {
        let bytes = std::fs::read(s.dir.path().join(file)).unwrap_or_default();
        assert!(
            !bytes
                .windows(ADMIN_PASSWORD.len())
                .any(|w| w == ADMIN_PASSWORD.as_bytes()),
            "{file}"
        );
    }
}
