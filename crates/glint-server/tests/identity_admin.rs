//! Keystone administration APIs of a real server over HTTP.

mod common;

use common::{body_json, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

struct Admin<'a> {
    s: &'a TestServer,
    token: String,
}

impl Admin<'_> {
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        call_as(self.s, &self.token, method, path, body).await
    }
}

async fn call_as(s: &TestServer, token: &str, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut req = s
        .http
        .request(method, s.identity_url(path))
        .header("X-Auth-Token", token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn password_token(s: &TestServer, user: &str, password: &str, scope: Value) -> reqwest::Response {
    s.issue_token(json!({"auth": {
        "identity": {"methods": ["password"], "password": {"user": {"name": user, "domain": {"id": "default"}, "password": password}}},
        "scope": scope}}))
    .await
}

fn project_scope(name: &str) -> Value {
    json!({"project": {"name": name, "domain": {"id": "default"}}})
}

fn subject(res: &reqwest::Response) -> String {
    res.headers()["x-subject-token"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn projects_users_and_passwords() {
    let s = TestServer::start().await;
    let admin = Admin {
        s: &s,
        token: s.admin_token().await,
    };

    let (status, body) = admin
        .call(
            Method::POST,
            "/v3/projects",
            Some(json!({"project": {"name": "demo", "description": "d", "tags": ["a"]}})),
        )
        .await;
    assert_eq!(status, 201);
    let demo = body["project"]["id"].as_str().unwrap().to_owned();
    assert_eq!(body["project"]["domain_id"], "default");
    assert_eq!(body["project"]["parent_id"], "default");
    assert_eq!(body["project"]["tags"], json!(["a"]));
    let (status, body) = admin
        .call(Method::POST, "/v3/projects", Some(json!({"project": {"name": "demo"}})))
        .await;
    assert_eq!(status, 409);
    assert_eq!(body["error"]["code"], 409);
    let (status, _) = admin
        .call(Method::POST, "/v3/projects", Some(json!({"project": {}})))
        .await;
    assert_eq!(status, 400);
    let (_, body) = admin.call(Method::GET, "/v3/projects?name=demo", None).await;
    assert_eq!(body["projects"].as_array().unwrap().len(), 1);
    let (_, body) = admin.call(Method::GET, "/v3/projects?tags=a", None).await;
    assert_eq!(body["projects"][0]["id"], demo);
    let (status, body) = admin
        .call(
            Method::PATCH,
            &format!("/v3/projects/{demo}"),
            Some(json!({"project": {"description": "new"}})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["project"]["description"], "new");

    // A user with a password and a role on the project.
    let (status, body) = admin
        .call(
            Method::POST,
            "/v3/users",
            Some(json!({"user": {"name": "alice", "password": "pw1", "default_project_id": demo, "email": "a@example.org"}})),
        )
        .await;
    assert_eq!(status, 201);
    let alice = body["user"]["id"].as_str().unwrap().to_owned();
    assert_eq!(body["user"]["email"], "a@example.org");
    assert!(body["user"].get("password").is_none(), "passwords are never echoed");
    let (_, roles) = admin.call(Method::GET, "/v3/roles?name=member", None).await;
    let member = roles["roles"][0]["id"].as_str().unwrap().to_owned();
    let (status, _) = admin
        .call(
            Method::PUT,
            &format!("/v3/projects/{demo}/users/{alice}/roles/{member}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = admin
        .call(
            Method::HEAD,
            &format!("/v3/projects/{demo}/users/{alice}/roles/{member}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (_, body) = admin
        .call(Method::GET, &format!("/v3/users/{alice}/projects"), None)
        .await;
    assert_eq!(body["projects"][0]["name"], "demo");

    let res = password_token(&s, "alice", "pw1", project_scope("demo")).await;
    assert_eq!(res.status(), 201);
    let alice_token = subject(&res);

    // Members may not administer.
    let (status, _) = call_as(
        &s,
        &alice_token,
        Method::POST,
        "/v3/projects",
        Some(json!({"project": {"name": "x"}})),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = call_as(&s, &alice_token, Method::GET, "/v3/users", None).await;
    assert_eq!(status, 403);
    let (status, body) = call_as(&s, &alice_token, Method::GET, &format!("/v3/users/{alice}"), None).await;
    assert_eq!(status, 200, "a user reads itself");
    assert_eq!(body["user"]["name"], "alice");

    // Changing the password: the old one and the old tokens stop working.
    let res = s
        .http
        .post(s.identity_url(&format!("/v3/users/{alice}/password")))
        .json(&json!({"user": {"original_password": "wrong", "password": "pw2"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let res = s
        .http
        .post(s.identity_url(&format!("/v3/users/{alice}/password")))
        .json(&json!({"user": {"original_password": "pw1", "password": "pw2"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(
        s.image_req(Method::GET, "/v2/images", &alice_token)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        password_token(&s, "alice", "pw1", project_scope("demo")).await.status(),
        401
    );
    // Tokens issued within the same second as the revocation are revoked too; wait for the next one.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let res = password_token(&s, "alice", "pw2", project_scope("demo")).await;
    assert_eq!(res.status(), 201);
    let alice_token = subject(&res);

    // Disabling the user revokes; re-enabling does not bring old tokens back.
    let (status, _) = admin
        .call(
            Method::PATCH,
            &format!("/v3/users/{alice}"),
            Some(json!({"user": {"enabled": false}})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        password_token(&s, "alice", "pw2", project_scope("demo")).await.status(),
        401
    );
    admin
        .call(
            Method::PATCH,
            &format!("/v3/users/{alice}"),
            Some(json!({"user": {"enabled": true}})),
        )
        .await;
    assert_eq!(
        s.image_req(Method::GET, "/v2/images", &alice_token)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );

    // Deleting the project.
    let (status, _) = admin.call(Method::DELETE, &format!("/v3/projects/{demo}"), None).await;
    assert_eq!(status, 204);
    let (status, _) = admin.call(Method::GET, &format!("/v3/projects/{demo}"), None).await;
    assert_eq!(status, 404);
    let (status, _) = admin.call(Method::DELETE, &format!("/v3/users/{alice}"), None).await;
    assert_eq!(status, 204);
    let (status, _) = admin.call(Method::GET, &format!("/v3/users/{alice}"), None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn groups_domains_roles_and_assignments() {
    let s = TestServer::start().await;
    let admin = Admin {
        s: &s,
        token: s.admin_token().await,
    };
    let (_, body) = admin
        .call(Method::POST, "/v3/domains", Some(json!({"domain": {"name": "acme"}})))
        .await;
    let acme = body["domain"]["id"].as_str().unwrap().to_owned();
    let (_, body) = admin
        .call(
            Method::POST,
            "/v3/projects",
            Some(json!({"project": {"name": "web", "domain_id": acme}})),
        )
        .await;
    let web = body["project"]["id"].as_str().unwrap().to_owned();
    let (_, body) = admin
        .call(
            Method::POST,
            "/v3/users",
            Some(json!({"user": {"name": "bob", "domain_id": acme, "password": "pw"}})),
        )
        .await;
    let bob = body["user"]["id"].as_str().unwrap().to_owned();
    let (status, body) = admin
        .call(
            Method::POST,
            "/v3/groups",
            Some(json!({"group": {"name": "devs", "domain_id": acme}})),
        )
        .await;
    assert_eq!(status, 201);
    let devs = body["group"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        admin
            .call(Method::PUT, &format!("/v3/groups/{devs}/users/{bob}"), None)
            .await
            .0,
        204
    );
    assert_eq!(
        admin
            .call(Method::HEAD, &format!("/v3/groups/{devs}/users/{bob}"), None)
            .await
            .0,
        204
    );

    // A new role implied by nothing, granted to the group on the project.
    let (status, body) = admin
        .call(Method::POST, "/v3/roles", Some(json!({"role": {"name": "deployer"}})))
        .await;
    assert_eq!(status, 201);
    let deployer = body["role"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        admin
            .call(Method::POST, "/v3/roles", Some(json!({"role": {"name": "deployer"}})))
            .await
            .0,
        409
    );
    let (_, roles) = admin.call(Method::GET, "/v3/roles?name=member", None).await;
    let member = roles["roles"][0]["id"].as_str().unwrap().to_owned();
    let (status, _) = admin
        .call(Method::PUT, &format!("/v3/roles/{deployer}/implies/{member}"), None)
        .await;
    assert_eq!(status, 201);
    assert_eq!(
        admin
            .call(
                Method::PUT,
                &format!("/v3/projects/{web}/groups/{devs}/roles/{deployer}"),
                None
            )
            .await
            .0,
        204
    );

    // Bob's token on the project carries the group's role and what it implies.
    let res = s
        .issue_token(json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {"name": "bob", "domain": {"name": "acme"}, "password": "pw"}}},
            "scope": {"project": {"name": "web", "domain": {"name": "acme"}}}}}))
        .await;
    assert_eq!(res.status(), 201);
    let body = body_json(res).await;
    let mut names: Vec<&str> = body["token"]["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["deployer", "member", "reader"]);

    // Assignments, direct and effective.
    let (_, body) = admin
        .call(
            Method::GET,
            &format!("/v3/role_assignments?scope.project.id={web}"),
            None,
        )
        .await;
    let list = body["role_assignments"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["group"]["id"], devs);
    let (_, body) = admin
        .call(
            Method::GET,
            &format!("/v3/role_assignments?user.id={bob}&effective&include_names"),
            None,
        )
        .await;
    let list = body["role_assignments"].as_array().unwrap();
    let mut names: Vec<&str> = list.iter().map(|a| a["role"]["name"].as_str().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["deployer", "member", "reader"]);
    assert!(list
        .iter()
        .all(|a| a["user"]["name"] == "bob" && a["scope"]["project"]["name"] == "web"));
    assert!(list
        .iter()
        .all(|a| a["links"]["membership"].as_str().unwrap().contains(&devs)));

    // A domain role gives a domain-scoped token; a domain reader lists its domain only.
    let (_, roles) = admin.call(Method::GET, "/v3/roles?name=reader", None).await;
    let reader = roles["roles"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        admin
            .call(
                Method::PUT,
                &format!("/v3/domains/{acme}/users/{bob}/roles/{reader}"),
                None
            )
            .await
            .0,
        204
    );
    let res = s
        .issue_token(json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {"id": bob, "password": "pw"}}},
            "scope": {"domain": {"id": acme}}}}))
        .await;
    assert_eq!(res.status(), 201);
    let domain_token = subject(&res);
    assert_eq!(body_json(res).await["token"]["domain"]["name"], "acme");
    let (status, body) = call_as(&s, &domain_token, Method::GET, "/v3/projects", None).await;
    assert_eq!(status, 200);
    let names: Vec<&str> = body["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["web"]);
    let (status, _) = call_as(&s, &domain_token, Method::DELETE, &format!("/v3/projects/{web}"), None).await;
    assert_eq!(status, 403, "a domain reader is not a manager");

    // System grants and system-scoped tokens.
    assert_eq!(
        admin
            .call(Method::PUT, &format!("/v3/system/users/{bob}/roles/{reader}"), None)
            .await
            .0,
        204
    );
    let res = s
        .issue_token(json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {"id": bob, "password": "pw"}}},
            "scope": {"system": {"all": true}}}}))
        .await;
    assert_eq!(res.status(), 201);
    let system_reader = subject(&res);
    assert_eq!(call_as(&s, &system_reader, Method::GET, "/v3/users", None).await.0, 200);
    assert_eq!(
        call_as(
            &s,
            &system_reader,
            Method::POST,
            "/v3/roles",
            Some(json!({"role": {"name": "x"}}))
        )
        .await
        .0,
        403
    );

    // Removing bob from the group takes the project roles away.
    assert_eq!(
        admin
            .call(Method::DELETE, &format!("/v3/groups/{devs}/users/{bob}"), None)
            .await
            .0,
        204
    );
    let res = s
        .issue_token(json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {"id": bob, "password": "pw"}}},
            "scope": {"project": {"id": web}}}}))
        .await;
    assert_eq!(res.status(), 401);

    // Domains must be disabled, and empty, before deletion.
    assert_eq!(
        admin.call(Method::DELETE, &format!("/v3/domains/{acme}"), None).await.0,
        403
    );
}

#[tokio::test]
async fn catalog_administration() {
    let s = TestServer::start().await;
    let admin = Admin {
        s: &s,
        token: s.admin_token().await,
    };
    let (status, body) = admin
        .call(
            Method::POST,
            "/v3/regions",
            Some(json!({"region": {"id": "RegionTwo"}})),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(body["region"]["id"], "RegionTwo");
    let (status, body) = admin
        .call(
            Method::POST,
            "/v3/services",
            Some(json!({"service": {"type": "object-store", "name": "swift"}})),
        )
        .await;
    assert_eq!(status, 201);
    let swift = body["service"]["id"].as_str().unwrap().to_owned();
    let (status, body) = admin
        .call(
            Method::POST,
            "/v3/endpoints",
            Some(json!({"endpoint": {"service_id": swift, "interface": "public", "url": "http://127.0.0.1:8080/v1/AUTH_$(project_id)s", "region_id": "RegionTwo"}})),
        )
        .await;
    assert_eq!(status, 201);
    let endpoint = body["endpoint"]["id"].as_str().unwrap().to_owned();
    let (status, _) = admin
        .call(
            Method::POST,
            "/v3/endpoints",
            Some(json!({"endpoint": {"service_id": swift, "interface": "sideways", "url": "http://x"}})),
        )
        .await;
    assert_eq!(status, 400);
    let (_, body) = admin
        .call(Method::GET, &format!("/v3/endpoints?service_id={swift}"), None)
        .await;
    assert_eq!(body["endpoints"].as_array().unwrap().len(), 1);
    let (_, body) = admin.call(Method::GET, "/v3/services?type=image", None).await;
    assert_eq!(body["services"][0]["name"], "glance");

    // The catalog in new tokens follows.
    let (_, body) = admin.call(Method::GET, "/v3/auth/catalog", None).await;
    assert!(body["catalog"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["type"] == "object-store"));
    assert_eq!(
        admin
            .call(Method::DELETE, &format!("/v3/endpoints/{endpoint}"), None)
            .await
            .0,
        204
    );
    assert_eq!(
        admin
            .call(Method::DELETE, &format!("/v3/services/{swift}"), None)
            .await
            .0,
        204
    );
    let (_, body) = admin.call(Method::GET, "/v3/auth/catalog", None).await;
    assert!(!body["catalog"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["type"] == "object-store"));
    assert_eq!(admin.call(Method::DELETE, "/v3/regions/RegionTwo", None).await.0, 204);

    // Anyone reads regions; only admins read services.
    let member = s.user_token("m", "p", "member").await;
    assert_eq!(call_as(&s, &member, Method::GET, "/v3/regions", None).await.0, 200);
    assert_eq!(call_as(&s, &member, Method::GET, "/v3/services", None).await.0, 403);
}

#[tokio::test]
async fn application_credentials() {
    let s = TestServer::start().await;
    let member_token = s.user_token("ci", "builds", "member").await;
    let user_id = s.identity.db().user_by_name("default", "ci").await.unwrap().unwrap().id;
    let path = format!("/v3/users/{user_id}/application_credentials");

    let (status, body) = call_as(
        &s,
        &member_token,
        Method::POST,
        &path,
        Some(json!({"application_credential": {"name": "robot", "roles": [{"name": "reader"}]}})),
    )
    .await;
    assert_eq!(status, 201);
    let cred = body["application_credential"].clone();
    let (id, secret) = (
        cred["id"].as_str().unwrap().to_owned(),
        cred["secret"].as_str().unwrap().to_owned(),
    );
    assert_eq!(cred["roles"][0]["name"], "reader");
    assert_eq!(cred["unrestricted"], Value::Null, "Keystone shows it only when granted");
    let (status, _) = call_as(
        &s,
        &member_token,
        Method::POST,
        &path,
        Some(json!({"application_credential": {"name": "robot"}})),
    )
    .await;
    assert_eq!(status, 409);
    let (status, _) = call_as(
        &s,
        &member_token,
        Method::POST,
        &path,
        Some(json!({"application_credential": {"name": "greedy", "roles": [{"name": "admin"}]}})),
    )
    .await;
    assert_eq!(status, 403, "no roles the user does not hold");

    // Listing shows no secrets.
    let (_, body) = call_as(&s, &member_token, Method::GET, &path, None).await;
    assert_eq!(body["application_credentials"].as_array().unwrap().len(), 1);
    assert!(body["application_credentials"][0].get("secret").is_none());

    // Authenticate by id, then by name + user.
    let res = s
        .issue_token(json!({"auth": {"identity": {"methods": ["application_credential"],
            "application_credential": {"id": id, "secret": secret}}}}))
        .await;
    assert_eq!(res.status(), 201);
    let cred_token = subject(&res);
    let body = body_json(res).await;
    assert_eq!(body["token"]["methods"], json!(["application_credential"]));
    assert_eq!(body["token"]["application_credential"]["restricted"], true);
    assert_eq!(body["token"]["project"]["name"], "builds");
    let roles: Vec<&str> = body["token"]["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["reader"]);
    let res = s
        .issue_token(json!({"auth": {"identity": {"methods": ["application_credential"],
            "application_credential": {"name": "robot", "secret": secret, "user": {"name": "ci", "domain": {"id": "default"}}}}}}))
        .await;
    assert_eq!(res.status(), 201);
    let res = s
        .issue_token(json!({"auth": {"identity": {"methods": ["application_credential"],
            "application_credential": {"id": id, "secret": "wrong"}}}}))
        .await;
    assert_eq!(res.status(), 401);

    // The reader-only credential lists images but cannot create them.
    assert_eq!(
        s.image_req(Method::GET, "/v2/images", &cred_token)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let res = s
        .image_req(Method::POST, "/v2/images", &cred_token)
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // A restricted credential cannot make more credentials.
    let (status, _) = call_as(
        &s,
        &cred_token,
        Method::POST,
        &path,
        Some(json!({"application_credential": {"name": "child"}})),
    )
    .await;
    assert_eq!(status, 403);

    // Access rules: a credential limited to listing images.
    let (status, body) = call_as(
        &s,
        &member_token,
        Method::POST,
        &path,
        Some(json!({"application_credential": {"name": "lister",
            "access_rules": [{"service": "image", "method": "GET", "path": "/v2/images"}]}})),
    )
    .await;
    assert_eq!(status, 201);
    let (lister_id, lister_secret) = (
        body["application_credential"]["id"].as_str().unwrap().to_owned(),
        body["application_credential"]["secret"].as_str().unwrap().to_owned(),
    );
    let res = s
        .issue_token(json!({"auth": {"identity": {"methods": ["application_credential"],
            "application_credential": {"id": lister_id, "secret": lister_secret}}}}))
        .await;
    let lister = subject(&res);
    assert_eq!(
        body_json(res).await["token"]["application_credential"]["access_rules"][0]["path"],
        "/v2/images"
    );
    assert_eq!(
        s.image_req(Method::GET, "/v2/images", &lister)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        s.image_req(Method::GET, "/v2/schemas/image", &lister)
            .send()
            .await
            .unwrap()
            .status(),
        401,
        "outside the rules"
    );
    let res = s
        .image_req(Method::POST, "/v2/images", &lister)
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let (status, _) = call_as(
        &s,
        &member_token,
        Method::POST,
        &path,
        Some(json!({"application_credential": {"name": "bad", "access_rules": [{"service": "image"}]}})),
    )
    .await;
    assert_eq!(status, 400);

    // Deleting it invalidates its tokens.
    assert_eq!(
        call_as(&s, &member_token, Method::DELETE, &format!("{path}/{id}"), None)
            .await
            .0,
        204
    );
    assert_eq!(
        s.image_req(Method::GET, "/v2/images", &cred_token)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}

#[tokio::test]
async fn unified_limits() {
    let s = TestServer::start().await;
    let admin = Admin {
        s: &s,
        token: s.admin_token().await,
    };
    let (status, body) = admin.call(Method::GET, "/v3/limits/model", None).await;
    assert_eq!(status, 200);
    assert_eq!(body["model"]["name"], "flat");

    let (_, services) = admin.call(Method::GET, "/v3/services?type=image", None).await;
    let glance = services["services"][0]["id"].as_str().unwrap().to_owned();
    let (_, body) = admin
        .call(Method::GET, &format!("/v3/registered_limits?service_id={glance}"), None)
        .await;
    let mut names: Vec<&str> = body["registered_limits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["resource_name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "image_count_total",
            "image_count_uploading",
            "image_size_total",
            "image_stage_total"
        ]
    );

    let new = json!({"registered_limits": [{"service_id": glance, "region_id": "RegionOne", "resource_name": "image_count_total", "default_limit": 5}]});
    assert_eq!(
        admin.call(Method::POST, "/v3/registered_limits", Some(new)).await.0,
        409
    );
    let new = json!({"registered_limits": [{"service_id": glance, "region_id": "RegionOne", "resource_name": "widgets", "default_limit": 5}]});
    let (status, body) = admin.call(Method::POST, "/v3/registered_limits", Some(new)).await;
    assert_eq!(status, 201);
    assert_eq!(body["registered_limits"][0]["default_limit"], 5);

    let member = s.user_token("m", "proj", "member").await;
    let project = s
        .identity
        .db()
        .project_by_name("default", "proj")
        .await
        .unwrap()
        .unwrap()
        .id;
    let limit = json!({"limits": [{"project_id": project, "service_id": glance, "region_id": "RegionOne", "resource_name": "image_count_total", "resource_limit": 3}]});
    let (status, body) = admin.call(Method::POST, "/v3/limits", Some(limit)).await;
    assert_eq!(status, 201);
    let limit_id = body["limits"][0]["id"].as_str().unwrap().to_owned();
    let orphan = json!({"limits": [{"project_id": project, "service_id": glance, "resource_name": "nothing_registered", "resource_limit": 3}]});
    assert_eq!(admin.call(Method::POST, "/v3/limits", Some(orphan)).await.0, 403);

    // A member sees its own project's limits, and cannot change them.
    let (status, body) = call_as(&s, &member, Method::GET, "/v3/limits", None).await;
    assert_eq!(status, 200);
    assert_eq!(body["limits"].as_array().unwrap().len(), 1);
    assert_eq!(body["limits"][0]["resource_limit"], 3);
    let (status, _) = call_as(
        &s,
        &member,
        Method::PATCH,
        &format!("/v3/limits/{limit_id}"),
        Some(json!({"limit": {"resource_limit": 9}})),
    )
    .await;
    assert_eq!(status, 403);
    let (status, body) = admin
        .call(
            Method::PATCH,
            &format!("/v3/limits/{limit_id}"),
            Some(json!({"limit": {"resource_limit": 9}})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["limit"]["resource_limit"], 9);
    assert_eq!(
        admin
            .call(Method::DELETE, &format!("/v3/limits/{limit_id}"), None)
            .await
            .0,
        204
    );
}

#[tokio::test]
async fn fernet_rotation_keeps_tokens_valid() {
    let s = TestServer::start().await;
    let before = s.admin_token().await;
    glint_server::fernet_rotate(&s.dir.path().join("fernet-keys"), 3).unwrap();
    s.identity.reload_keys().unwrap();
    assert_eq!(
        s.image_req(Method::GET, "/v2/images", &before)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let after = s.admin_token().await;
    assert_eq!(
        s.image_req(Method::GET, "/v2/images", &after)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    glint_server::fernet_rotate(&s.dir.path().join("fernet-keys"), 3).unwrap();
    glint_server::fernet_rotate(&s.dir.path().join("fernet-keys"), 3).unwrap();
    s.identity.reload_keys().unwrap();
    assert_eq!(
        s.image_req(Method::GET, "/v2/images", &before)
            .send()
            .await
            .unwrap()
            .status(),
        401,
        "its key was retired"
    );
}
