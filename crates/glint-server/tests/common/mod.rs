//! A real `glint serve` in-process on port 0, driven over HTTP.
#![allow(dead_code)]

use std::sync::Arc;

use glint_identity::IdentityService;
use glint_server::{App, ServeConfig, StoreSpec};
use reqwest::{Client, Method, RequestBuilder, Response};
use serde_json::{json, Value};

pub const ADMIN_PASSWORD: &str = "correct horse battery staple";

pub struct TestServer {
    pub url: String,
    pub dir: tempfile::TempDir,
    pub http: Client,
    pub identity: Arc<IdentityService>,
    pub admin_project_id: String,
    /// The default store when it is Swift or S3 (`GLINT_TEST_STORE`).
    remote_store: Option<(String, StoreSpec)>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

/// With `GLINT_TEST_DATABASE_URL=postgres://…` set, every test server gets a
/// fresh PostgreSQL database (kept across a restart on the same data dir);
/// otherwise SQLite in the data dir.
pub async fn test_database(data_dir: &std::path::Path) -> Option<String> {
    let admin_url = std::env::var("GLINT_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())?;
    let remembered = data_dir.join("test-database-url");
    if let Ok(url) = std::fs::read_to_string(&remembered) {
        return Some(url);
    }
    let name = format!("glint_test_{}", uuid::Uuid::new_v4().simple());
    let url = glint_metadata::create_postgres_database(&admin_url, &name)
        .await
        .expect("create a test database through GLINT_TEST_DATABASE_URL");
    std::fs::write(&remembered, &url).expect("remember test database");
    Some(url)
}

/// With `GLINT_TEST_STORE=ID=SPEC` (Swift or S3) set, test servers keep image bytes there,
/// each data dir in a container (or bucket) of its own; otherwise in the data dir.
pub fn test_store(data_dir: &std::path::Path) -> Option<(String, StoreSpec)> {
    let raw = std::env::var("GLINT_TEST_STORE").ok().filter(|s| !s.is_empty())?;
    let (id, spec) = raw.split_once('=').expect("GLINT_TEST_STORE is ID=SPEC");
    let mut spec = StoreSpec::parse(spec).expect("GLINT_TEST_STORE spec");
    let remembered = data_dir.join("test-store-suffix");
    let suffix = std::fs::read_to_string(&remembered).unwrap_or_else(|_| {
        let suffix = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
        std::fs::write(&remembered, &suffix).expect("remember test store");
        suffix
    });
    match &mut spec {
        StoreSpec::Swift(c) => c.container = format!("{}-{suffix}", c.container),
        StoreSpec::S3(c) => c.bucket = format!("{}-{suffix}", c.bucket),
        StoreSpec::Fs(_) => {}
    }
    Some((id.to_owned(), spec))
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(tune: impl FnOnce(&mut ServeConfig)) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        Self::start_in(dir, tune).await
    }

    pub async fn start_in(dir: tempfile::TempDir, tune: impl FnOnce(&mut ServeConfig)) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let mut config = ServeConfig::new(dir.path(), &url);
        config.database_url = test_database(dir.path()).await;
        config.stores.extend(test_store(dir.path()));
        config.admin_password = Some(ADMIN_PASSWORD.into());
        tune(&mut config);
        let remote_store = config
            .stores
            .first()
            .filter(|(_, spec)| !matches!(spec, StoreSpec::Fs(_)))
            .cloned();
        let app = App::open(config).await.expect("open app");
        let identity = app.identity.clone().expect("the test server runs its own identity");
        let admin_project_id = app.admin_project_id.clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            glint_server::run(listener, &app, async {
                let _ = rx.await;
            })
            .await
            .expect("serve");
        });
        Self {
            url,
            dir,
            http: Client::new(),
            identity,
            admin_project_id,
            remote_store,
            shutdown: Some(tx),
            task: Some(task),
        }
    }

    /// Stops serving and waits for in-flight requests; returns the data dir.
    pub async fn stop(mut self) -> tempfile::TempDir {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        std::mem::replace(&mut self.dir, dir)
    }

    pub fn identity_url(&self, path: &str) -> String {
        format!("{}/identity{path}", self.url)
    }

    pub fn image_url(&self, path: &str) -> String {
        format!("{}/image{path}", self.url)
    }

    pub fn image_req(&self, method: Method, path: &str, token: &str) -> RequestBuilder {
        self.http
            .request(method, self.image_url(path))
            .header("X-Auth-Token", token)
    }

    pub async fn issue_token(&self, body: Value) -> Response {
        self.http
            .post(self.identity_url("/v3/auth/tokens"))
            .json(&body)
            .send()
            .await
            .expect("send")
    }

    /// A project-scoped token for `user` on `project` (Default domain).
    pub async fn token_for(&self, user: &str, password: &str, project: &str) -> String {
        let res = self
            .issue_token(json!({"auth": {
                "identity": {"methods": ["password"], "password": {"user": {"name": user, "domain": {"id": "default"}, "password": password}}},
                "scope": {"project": {"name": project, "domain": {"id": "default"}}}
            }}))
            .await;
        assert_eq!(res.status(), 201, "token for {user}");
        res.headers()["x-subject-token"].to_str().expect("token").to_owned()
    }

    pub async fn admin_token(&self) -> String {
        self.token_for("admin", ADMIN_PASSWORD, "admin").await
    }

    /// A user with `role` on project `project` (created if needed); returns a token.
    pub async fn user_token(&self, user: &str, project: &str, role: &str) -> String {
        self.identity
            .create_user_with_role(user, "pw", project, role)
            .await
            .expect("user");
        self.token_for(user, "pw", project).await
    }

    pub async fn create_image(&self, token: &str, body: Value) -> Value {
        let res = self
            .image_req(Method::POST, "/v2/images", token)
            .json(&body)
            .send()
            .await
            .expect("send");
        assert_eq!(res.status(), 201, "create image");
        res.json().await.expect("json")
    }

    /// The status of an image API request without a body.
    pub async fn status(&self, method: Method, path: &str, token: &str) -> u16 {
        self.image_req(method, path, token)
            .send()
            .await
            .expect("send")
            .status()
            .as_u16()
    }

    /// An image API request with a JSON body (or none), answered with JSON: (status, body).
    pub async fn image_json(&self, method: Method, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self.image_req(method, path, token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.expect("send");
        let status = res.status().as_u16();
        (status, body_json(res).await)
    }

    /// `GET /v2/images/{id}` as JSON, whatever the status.
    pub async fn show_image(&self, token: &str, id: &str) -> Value {
        body_json(
            self.image_req(Method::GET, &format!("/v2/images/{id}"), token)
                .send()
                .await
                .expect("send"),
        )
        .await
    }

    /// `GET /v2/images/{id}/file`: the whole body (tests use small images).
    pub async fn download(&self, token: &str, id: &str) -> bytes::Bytes {
        self.image_req(Method::GET, &format!("/v2/images/{id}/file"), token)
            .send()
            .await
            .expect("send")
            .bytes()
            .await
            .expect("body")
    }

    /// Polls the image until its status is one of `want`; panics after 10 s.
    pub async fn wait_for_status(&self, token: &str, id: &str, want: &[&str]) -> Value {
        for _ in 0..400 {
            let image = self.show_image(token, id).await;
            if want.contains(&image["status"].as_str().unwrap_or("")) {
                return image;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("image {id} never reached {want:?}");
    }

    pub async fn upload(&self, token: &str, id: &str, data: &[u8]) -> Response {
        self.image_req(Method::PUT, &format!("/v2/images/{id}/file"), token)
            .header("Content-Type", "application/octet-stream")
            .body(data.to_vec())
            .send()
            .await
            .expect("send")
    }

    /// The id of the server's default store (`fs` unless `GLINT_TEST_STORE` names another).
    pub fn default_store_id(&self) -> &str {
        self.remote_store.as_ref().map_or("fs", |(id, _)| id.as_str())
    }

    /// The objects in the server's default store: files of `<data-dir>/images`, or the
    /// objects of its Swift container / S3 bucket.
    pub async fn store_files(&self) -> Vec<String> {
        if let Some((id, spec)) = &self.remote_store {
            let mut names = glint_server::store_list(id, spec).await.expect("list the store");
            names.sort();
            return names;
        }
        let mut names: Vec<String> = std::fs::read_dir(self.dir.path().join("images"))
            .expect("images dir")
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

pub async fn body_json(res: Response) -> Value {
    res.json().await.expect("json body")
}
