//! `glint serve`: opens the metadata database and the store, bootstraps the
//! identity records, and serves Identity under `/identity` and Image under
//! `/image` on one listener.

pub mod keystone;

use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use glint_identity::api::IdentityApi;
use glint_identity::{BootstrapSpec, IdentityConfig, IdentityError, IdentityService, ResolvedScope};
use glint_image::api::ImageApi;
use glint_image::auth::{AccessRule, RequestContext, TokenRejection, TokenValidator};
use glint_image::quota::LimitSource;
use glint_image::service::{ImageBackends, ImportConfig};
use glint_image::web_download::WebDownloadPolicy;
use glint_image::{ImageLimits, ImageService};
use glint_metadata::MetadataPool;
use glint_store::FsStore;
use thiserror::Error;
use tokio::net::TcpListener;

#[derive(Debug, Error)]
pub enum ServerError {
    #[error("data directory {path}: {source}")]
    DataDir { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Database(#[from] glint_metadata::MetadataError),
    #[error("identity: {0}")]
    Identity(#[from] IdentityError),
    #[error("image: {0}")]
    Image(#[from] glint_image::ImageError),
    #[error("store: {0}")]
    Store(#[from] glint_store::StoreError),
    #[error("serving: {0}")]
    Serve(std::io::Error),
    #[error("external identity: {0}")]
    External(String),
}

#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; `None`: SQLite in the data dir.
    pub database_url: Option<String>,
    /// The Fernet key repository; `None`: `<data-dir>/fernet-keys`. Nodes
    /// sharing a database share this directory too.
    pub fernet_keys_dir: Option<PathBuf>,
    /// Base URL clients reach this server at, without a trailing slash.
    pub public_url: String,
    /// `None`: keep the existing admin password, or generate one on first start.
    pub admin_password: Option<String>,
    pub region: String,
    pub image_limits: ImageLimits,
    pub token_ttl: std::time::Duration,
    /// Enforce unified limits from the identity service (Glance's `use_keystone_limits`).
    pub enforce_quotas: bool,
    /// Hosts (`host` or `host:port`) web-download may fetch from; empty disables it.
    pub web_download_hosts: Vec<String>,
    /// Let web-download reach loopback and private addresses (labs and tests only).
    pub web_download_allow_private: bool,
    /// Stores as (id, where); empty means one filesystem store `fs` in `<data-dir>/images`.
    pub stores: Vec<(String, StoreSpec)>,
    /// The store used when a client names none (default: the first).
    pub default_store: Option<String>,
    /// Print every request's internal calls as a Mermaid sequence diagram on stderr.
    pub trace: bool,
    /// This node's own base URL as the other nodes reach it (Glance's
    /// `worker_self_reference_url`): `glance-direct` imports are forwarded to
    /// the node holding the staged data. `None`: a single node.
    pub node_url: Option<String>,
    /// Trust this Keystone instead of serving Glint's own identity.
    pub external_identity: Option<keystone::ExternalIdentity>,
    /// Load the metadefs catalogue from this directory of Glance-format
    /// namespace files (e.g. Glance's `etc/metadefs`) instead of Glint's own.
    pub metadefs_dir: Option<PathBuf>,
}

impl ServeConfig {
    pub fn new(data_dir: impl Into<PathBuf>, public_url: impl Into<String>) -> Self {
        Self {
            data_dir: data_dir.into(),
            database_url: None,
            fernet_keys_dir: None,
            public_url: public_url.into().trim_end_matches('/').to_owned(),
            admin_password: None,
            region: "RegionOne".into(),
            image_limits: ImageLimits::default(),
            token_ttl: std::time::Duration::from_secs(3600),
            enforce_quotas: true,
            web_download_hosts: Vec::new(),
            web_download_allow_private: false,
            stores: Vec::new(),
            default_store: None,
            trace: false,
            external_identity: None,
            node_url: None,
            metadefs_dir: None,
        }
    }
}

/// Everything a running server holds; built once by [`App::open`].
pub struct App {
    /// Glint's own identity service; `None` when an external Keystone is trusted.
    pub identity: Option<Arc<IdentityService>>,
    /// Who validates tokens for the image service.
    validator: Arc<dyn TokenValidator>,
    pub images: Arc<ImageService>,
    pub config: ServeConfig,
    /// Set when this start bootstrapped (or reset) the admin password.
    pub admin_password: Option<String>,
    pub admin_project_id: String,
}

#[cfg(test)]
mod store_spec_tests {
    use super::*;
    use glint_store::swift::SwiftAuth;

    #[test]
    fn parses_store_specs() {
        assert!(matches!(StoreSpec::parse("/srv/images").unwrap(), StoreSpec::Fs(p) if p == Path::new("/srv/images")));
        let StoreSpec::Swift(c) =
            StoreSpec::parse("swift+tempauth://test%3Atester:testing@127.0.0.1:18080/auth/v1.0?container=imgs")
                .unwrap()
        else {
            panic!("swift")
        };
        assert_eq!(c.container, "imgs");
        assert!(matches!(c.auth, SwiftAuth::TempAuth { ref url, ref user, ref key }
            if url == "http://127.0.0.1:18080/auth/v1.0" && user == "test:tester" && key == "testing"));
        let StoreSpec::Swift(c) =
            StoreSpec::parse("swift+keystone://glance:pw@k:5000/identity/v3?project=service&segment_size=1024")
                .unwrap()
        else {
            panic!("swift")
        };
        assert_eq!((c.container.as_str(), c.segment_size), ("glance", 1024));
        assert!(matches!(c.auth, SwiftAuth::Keystone { ref auth_url, ref project, .. }
            if auth_url == "http://k:5000/identity/v3" && project == "service"));
        assert!(
            StoreSpec::parse("swift+keystone://glance:pw@k:5000/v3").is_err(),
            "project required"
        );
        assert!(
            StoreSpec::parse("swift+tempauth://user@h/auth").is_err(),
            "secret required"
        );
    }
}

/// Where one configured store keeps its bytes.
#[derive(Debug, Clone)]
pub enum StoreSpec {
    Fs(PathBuf),
    Swift(glint_store::swift::SwiftConfig),
    S3(glint_store::s3::S3Config),
}

impl StoreSpec {
    /// `DIRECTORY`, `swift+tempauth://USER:KEY@HOST:PORT/auth/v1.0?container=C`, or
    /// `swift+keystone://USER:PASSWORD@HOST:PORT/PATH/v3?project=P&container=C[&domain=D][&region=R][&interface=I]`
    /// (user names may be percent-encoded, e.g. `test%3Atester`).
    pub fn parse(spec: &str) -> Result<Self, String> {
        if spec.starts_with("s3://") || spec.starts_with("s3+https://") {
            return Self::parse_s3(spec);
        }
        if spec.contains("://") && !spec.starts_with("swift+") {
            return Err(format!(
                "unknown store URL {spec}: use a directory, swift+tempauth://, swift+keystone:// or s3://"
            ));
        }
        let Some(rest) = spec.strip_prefix("swift+") else {
            return Ok(Self::Fs(PathBuf::from(spec)));
        };
        let (flavour, _) = rest
            .split_once("://")
            .ok_or("expected swift+tempauth:// or swift+keystone://")?;
        let url =
            reqwest::Url::parse(&rest.replacen(&format!("{flavour}://"), "http://", 1)).map_err(|e| e.to_string())?;
        let query: HashMap<String, String> = url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let container = query.get("container").cloned().unwrap_or_else(|| "glance".into());
        let segment_size = match query.get("segment_size") {
            Some(s) => s.parse().map_err(|_| format!("segment_size {s} is not a number"))?,
            None => glint_store::swift::DEFAULT_SEGMENT_SIZE,
        };
        let mut endpoint = url.clone();
        endpoint.set_query(None);
        let _ = endpoint.set_username("");
        let _ = endpoint.set_password(None);
        let endpoint = endpoint.to_string().trim_end_matches('/').to_owned();
        let user = percent_decode(url.username());
        let secret = percent_decode(url.password().ok_or("the store URL needs USER:SECRET@")?);
        let auth = match flavour {
            "tempauth" => glint_store::swift::SwiftAuth::TempAuth {
                url: endpoint,
                user,
                key: secret,
            },
            "keystone" => glint_store::swift::SwiftAuth::Keystone {
                auth_url: endpoint,
                user,
                password: secret,
                project: query.get("project").cloned().ok_or("swift+keystone needs ?project=")?,
                domain_id: query.get("domain").cloned().unwrap_or_else(|| "default".into()),
                region: query.get("region").cloned(),
                interface: query.get("interface").cloned().unwrap_or_else(|| "public".into()),
            },
            other => return Err(format!("unknown Swift authentication {other}")),
        };
        Ok(Self::Swift(glint_store::swift::SwiftConfig {
            auth,
            container,
            segment_size,
        }))
    }
}

impl StoreSpec {
    /// `s3://ACCESS:SECRET@HOST:PORT/BUCKET[?region=R]` (plain HTTP) or `s3+https://…`.
    fn parse_s3(spec: &str) -> Result<Self, String> {
        let (scheme, rest) = spec.split_once("://").ok_or("expected s3://")?;
        let http = if scheme == "s3+https" { "https" } else { "http" };
        let url = reqwest::Url::parse(&format!("{http}://{rest}")).map_err(|e| e.to_string())?;
        let bucket = url.path().trim_matches('/').to_owned();
        if bucket.is_empty() || bucket.contains('/') {
            return Err("the S3 store URL needs one bucket name as its path".into());
        }
        let query: HashMap<String, String> = url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let host = url.host_str().ok_or("the S3 store URL needs a host")?;
        let endpoint = match url.port() {
            Some(p) => format!("{http}://{host}:{p}"),
            None => format!("{http}://{host}"),
        };
        Ok(Self::S3(glint_store::s3::S3Config {
            endpoint,
            region: query.get("region").cloned().unwrap_or_else(|| "us-east-1".into()),
            bucket,
            access_key: percent_decode(url.username()),
            secret_key: percent_decode(url.password().ok_or("the S3 store URL needs ACCESS:SECRET@")?),
            part_size: glint_store::s3::DEFAULT_PART_SIZE,
            multipart_threshold: glint_store::s3::DEFAULT_MULTIPART_THRESHOLD,
        }))
    }
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// Unified limits for the image service from Glint's own identity records:
/// the registered default per resource, overridden by a project limit.
struct LocalLimits {
    identity: Arc<IdentityService>,
    region: String,
}

#[async_trait]
impl LimitSource for LocalLimits {
    async fn project_limits(&self, project_id: &str) -> Result<HashMap<String, i64>, glint_image::ImageError> {
        let unavailable = |e: IdentityError| glint_image::ImageError::Unavailable(format!("limits: {e}"));
        let db = self.identity.db();
        let Some(service_id) = db.service_by_type("image").await.map_err(unavailable)? else {
            return Ok(HashMap::new());
        };
        let in_region = |r: &Option<String>| r.is_none() || r.as_deref() == Some(self.region.as_str());
        let mut limits = HashMap::new();
        let mut registered = db
            .list_registered_limits(Some(&service_id), None, None)
            .await
            .map_err(unavailable)?;
        // Region-specific entries win over region-less ones.
        registered.sort_by_key(|l| l.region_id.is_some());
        for l in registered.into_iter().filter(|l| in_region(&l.region_id)) {
            limits.insert(l.resource_name, l.default_limit);
        }
        let filter = glint_identity::db::LimitFilter {
            service_id: Some(service_id),
            project_id: Some(project_id.to_owned()),
            ..Default::default()
        };
        let mut own = db.list_limits(&filter).await.map_err(unavailable)?;
        own.sort_by_key(|l| l.region_id.is_some());
        for l in own.into_iter().filter(|l| in_region(&l.region_id)) {
            limits.insert(l.resource_name, l.resource_limit);
        }
        Ok(limits)
    }
}

fn traced(store: Arc<dyn glint_store::StoreBackend>) -> Arc<dyn glint_store::StoreBackend> {
    Arc::new(glint_image::traced_store::TracedStore(store))
}

/// The in-process bridge from the image service to the identity service.
struct LocalTokens(Arc<IdentityService>);

#[async_trait]
impl TokenValidator for LocalTokens {
    async fn validate(&self, token: &str) -> Result<RequestContext, TokenRejection> {
        glint_image::trace::record("image", "identity", false, || "validate X-Auth-Token".into());
        let outcome = self.validate_locally(token).await;
        glint_image::trace::record("identity", "image", true, || match &outcome {
            Ok(ctx) => format!(
                "valid: user {} project {}",
                ctx.user_id,
                ctx.project_id.as_deref().unwrap_or("-")
            ),
            Err(e) => format!("refused: {e:?}"),
        });
        outcome
    }
}

impl LocalTokens {
    async fn validate_locally(&self, token: &str) -> Result<RequestContext, TokenRejection> {
        match self.0.validate(token).await {
            Ok(info) => Ok(RequestContext {
                user_id: info.user.id.clone(),
                project_id: match &info.scope {
                    ResolvedScope::Project { project, .. } => Some(project.id.clone()),
                    _ => None,
                },
                roles: info.roles.iter().map(|r| r.name.clone()).collect(),
                access_rules: info
                    .app_credential
                    .as_ref()
                    .and_then(|c| AccessRule::from_json(&c.access_rules)),
            }),
            Err(IdentityError::NotFound { .. }) | Err(IdentityError::Unauthorized) => Err(TokenRejection::Invalid),
            Err(e) => Err(TokenRejection::Unavailable(e.to_string())),
        }
    }
}

/// The metadata database: `config.database_url`, or SQLite in the data dir.
async fn open_database(config: &ServeConfig) -> Result<MetadataPool, ServerError> {
    let dir = &config.data_dir;
    std::fs::create_dir_all(dir).map_err(data_dir_error(dir))?;
    Ok(match &config.database_url {
        Some(url) => MetadataPool::connect(url).await?,
        None => MetadataPool::open_sqlite(&dir.join("glint.sqlite")).await?,
    })
}

/// The store `spec` names, as store `id`.
pub fn open_store(id: &str, spec: &StoreSpec) -> Result<Arc<dyn glint_store::StoreBackend>, ServerError> {
    Ok(match spec {
        StoreSpec::Fs(path) => Arc::new(FsStore::open(id, path.clone())?),
        StoreSpec::Swift(swift) => Arc::new(glint_store::swift::SwiftStore::new(id.to_owned(), swift.clone())?),
        StoreSpec::S3(s3) => Arc::new(glint_store::s3::S3Store::new(id.to_owned(), s3.clone())?),
    })
}

/// `glint admin store-list`: every object in a store, as image locations.
pub async fn store_list(id: &str, spec: &StoreSpec) -> Result<Vec<String>, ServerError> {
    Ok(open_store(id, spec)?.list().await?)
}

/// `glint admin store-get`: one object's bytes, streamed to `out`.
pub async fn store_get(
    id: &str,
    spec: &StoreSpec,
    location: &str,
    out: &mut (impl tokio::io::AsyncWrite + Unpin),
) -> Result<u64, ServerError> {
    use futures_util::StreamExt;
    use tokio::io::AsyncWriteExt;
    let mut stream = open_store(id, spec)?.get(location, None).await?;
    let mut written = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(glint_store::StoreError::Io)?;
        out.write_all(&chunk).await.map_err(glint_store::StoreError::Io)?;
        written += chunk.len() as u64;
    }
    out.flush().await.map_err(glint_store::StoreError::Io)?;
    Ok(written)
}

/// This node's id, made once and kept in the data dir (node-local state):
/// after a crash a node recovers only the in-flight work it recorded.
fn node_id(data_dir: &Path) -> Result<String, ServerError> {
    let path = data_dir.join("node-id");
    match std::fs::read_to_string(&path) {
        Ok(id) if !id.trim().is_empty() => Ok(id.trim().to_owned()),
        _ => {
            let id = uuid::Uuid::new_v4().simple().to_string();
            std::fs::write(&path, &id).map_err(data_dir_error(&path))?;
            Ok(id)
        }
    }
}

/// Where the Fernet keys live: `config.fernet_keys_dir` (shared by all
/// nodes, like Keystone's key repository), or `<data-dir>/fernet-keys`.
fn fernet_dir(config: &ServeConfig) -> PathBuf {
    config
        .fernet_keys_dir
        .clone()
        .unwrap_or_else(|| config.data_dir.join("fernet-keys"))
}

/// `glint admin bootstrap`: what `keystone-manage bootstrap` does, on the
/// data dir, without serving. Returns the admin password when it was set.
pub async fn admin_bootstrap(config: &ServeConfig) -> Result<Option<String>, ServerError> {
    let pool = open_database(config).await?;
    let lock = pool.startup_lock().await?;
    let identity = IdentityService::open(pool, &fernet_dir(config), IdentityConfig::default()).await?;
    let outcome = identity
        .bootstrap(&BootstrapSpec {
            admin_password: config.admin_password.clone(),
            region: config.region.clone(),
            public_url: config.public_url.clone(),
        })
        .await?;
    lock.release().await?;
    if let Some(password) = &outcome.admin_password {
        write_openrc(config, password)?;
    }
    Ok(outcome.admin_password)
}

/// `glint admin fernet-rotate`; running servers pick the keys up within
/// [`KEY_RELOAD_INTERVAL`].
pub fn fernet_rotate(keys_dir: &Path, max_active_keys: usize) -> Result<u32, ServerError> {
    Ok(glint_identity::token::rotate_keys(keys_dir, max_active_keys)?)
}

/// How often a running server re-reads its Fernet key directory.
pub const KEY_RELOAD_INTERVAL: std::time::Duration = std::time::Duration::from_secs(30);

fn data_dir_error(path: &Path) -> impl FnOnce(std::io::Error) -> ServerError + '_ {
    move |source| ServerError::DataDir {
        path: path.to_owned(),
        source,
    }
}

impl App {
    pub async fn open(config: ServeConfig) -> Result<Self, ServerError> {
        let dir = &config.data_dir;
        let pool = open_database(&config).await?;
        // Nodes sharing a database take turns at migrations, bootstrap and catalogue loading.
        let lock = pool.startup_lock().await?;
        let (identity, outcome, validator, limits): (_, _, Arc<dyn TokenValidator>, Arc<dyn LimitSource>) =
            match &config.external_identity {
                Some(external) => {
                    let client = Arc::new(
                        keystone::KeystoneClient::new(external.clone(), config.region.clone())
                            .map_err(ServerError::External)?,
                    );
                    (None, None, client.clone(), client)
                }
                None => {
                    let identity = IdentityService::open(
                        pool.clone(),
                        &fernet_dir(&config),
                        IdentityConfig {
                            token_ttl: chrono::Duration::from_std(config.token_ttl)
                                .unwrap_or(chrono::Duration::hours(1)),
                        },
                    )
                    .await?;
                    let outcome = identity
                        .bootstrap(&BootstrapSpec {
                            admin_password: config.admin_password.clone(),
                            region: config.region.clone(),
                            public_url: config.public_url.clone(),
                        })
                        .await?;
                    let limits = Arc::new(LocalLimits {
                        identity: identity.clone(),
                        region: config.region.clone(),
                    });
                    (
                        Some(identity.clone()),
                        Some(outcome),
                        Arc::new(LocalTokens(identity)),
                        limits,
                    )
                }
            };
        let mut stores: Vec<Arc<dyn glint_store::StoreBackend>> = Vec::new();
        if config.stores.is_empty() {
            stores.push(Arc::new(FsStore::open("fs", dir.join("images"))?));
        }
        for (id, spec) in &config.stores {
            stores.push(open_store(id, spec)?);
        }
        if config.trace {
            stores = stores.into_iter().map(traced).collect();
        }
        let default_store = config
            .default_store
            .clone()
            .unwrap_or_else(|| stores[0].id().to_owned());
        let backends = ImageBackends {
            stores,
            default_store,
            staging: Arc::new(FsStore::open("os_glance_staging_store", dir.join("staging"))?),
            quotas: config.enforce_quotas.then_some(limits),
            node_id: node_id(dir)?,
            multi_store: !config.stores.is_empty(),
        };
        let import = ImportConfig {
            web_download: WebDownloadPolicy {
                allowed_hosts: config.web_download_hosts.clone(),
                allow_private: config.web_download_allow_private,
            },
            self_url: config
                .node_url
                .as_ref()
                .map(|u| format!("{}/image", u.trim_end_matches('/'))),
        };
        let images = ImageService::open(pool, backends, config.image_limits.clone(), import).await?;
        match &config.metadefs_dir {
            Some(dir) => glint_image::metadefs::load_namespace_dir(images.db(), dir).await?,
            None => glint_image::metadefs::load_catalogue(images.db()).await?,
        };
        lock.release().await?;
        let orphans = images.recover().await?;
        if orphans > 0 {
            tracing::warn!(orphans, "removed image data no image pointed at");
        }
        let admin_password = outcome.as_ref().and_then(|o| o.admin_password.clone());
        if let Some(password) = &admin_password {
            write_openrc(&config, password)?;
        }
        Ok(Self {
            identity,
            validator,
            images,
            admin_password,
            admin_project_id: outcome.map(|o| o.admin_project_id).unwrap_or_default(),
            config,
        })
    }

    /// The whole HTTP surface: `/identity` (unless an external Keystone is
    /// used) and `/image`.
    pub fn router(&self) -> Router {
        let base = &self.config.public_url;
        let identity_v3 = match &self.config.external_identity {
            Some(external) => external.v3_url(),
            None => format!("{base}/identity/v3"),
        };
        let www_authenticate = HeaderValue::from_str(&format!("Keystone uri=\"{identity_v3}\""))
            .unwrap_or_else(|_| HeaderValue::from_static("Keystone"));
        let image = glint_image::api::router(ImageApi {
            service: self.images.clone(),
            validator: self.validator.clone(),
            base_url: format!("{base}/image").into(),
            www_authenticate,
        });
        let mut routes = Router::new().nest("/image", image);
        if let Some(identity) = &self.identity {
            routes = routes.nest(
                "/identity",
                glint_identity::api::router(IdentityApi {
                    service: identity.clone(),
                    base_url: format!("{base}/identity").into(),
                }),
            );
        }
        // `/identity/` and `/image/` are the version documents too: rewrite
        // before routing (a layer on this outer router runs first).
        Router::new()
            .fallback_service(routes)
            .layer(axum::middleware::map_request(strip_root_slash))
            .layer(axum::middleware::from_fn_with_state(self.config.trace, request_id))
    }
}

async fn strip_root_slash(mut req: Request) -> Request {
    let path = req.uri().path();
    if path == "/identity/" || path == "/image/" {
        let trimmed = path.trim_end_matches('/').to_owned();
        let pq = match req.uri().query() {
            Some(q) => format!("{trimmed}?{q}"),
            None => trimmed,
        };
        if let Ok(uri) = pq.parse() {
            *req.uri_mut() = uri;
        }
    }
    req
}

/// Every response carries `x-openstack-request-id`, as OpenStack services do.
async fn request_id(State(trace): State<bool>, mut req: Request, next: Next) -> Response {
    let id = format!("req-{}", uuid::Uuid::new_v4());
    req.extensions_mut().insert(glint_image::auth::RequestId(id.clone()));
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let started = std::time::Instant::now();
    let mut res = if trace {
        let service = if path.starts_with("/identity") {
            "identity"
        } else {
            "image"
        };
        let label = format!("{method} {path}");
        let (res, events) = glint_image::trace::traced(async {
            glint_image::trace::record("client", service, false, || label);
            let res = next.run(req).await;
            glint_image::trace::record(service, "client", true, || res.status().as_u16().to_string());
            res
        })
        .await;
        eprintln!("{}", glint_image::trace::mermaid(&id, &events));
        res
    } else {
        next.run(req).await
    };
    // Paths and statuses only: tokens and passwords travel in headers and bodies, never logged.
    tracing::info!(request_id = %id, %method, %path, status = res.status().as_u16(), micros = started.elapsed().as_micros() as u64, "request");
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert("x-openstack-request-id", v);
    }
    res
}

fn write_openrc(config: &ServeConfig, password: &str) -> Result<(), ServerError> {
    let path = config.data_dir.join("admin-openrc.sh");
    let body = openrc(config, password);
    write_private(&path, &body).map_err(data_dir_error(&path))
}

/// The `export OS_*` block for the admin user.
pub fn openrc(config: &ServeConfig, password: &str) -> String {
    let quoted = password.replace('\'', "'\\''");
    format!(
        "export OS_AUTH_URL={}/identity\nexport OS_USERNAME=admin\nexport OS_PASSWORD='{quoted}'\nexport OS_PROJECT_NAME=admin\nexport OS_USER_DOMAIN_NAME=Default\nexport OS_PROJECT_DOMAIN_NAME=Default\nexport OS_IDENTITY_API_VERSION=3\nexport OS_IMAGE_API_VERSION=2\nexport OS_REGION_NAME={}\nexport OS_INTERFACE=public\n",
        config.public_url, config.region
    )
}

#[cfg(unix)]
fn write_private(path: &Path, body: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    f.write_all(body.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, body: &str) -> std::io::Result<()> {
    std::fs::write(path, body)
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets in-flight
/// requests finish.
pub async fn run(
    listener: TcpListener,
    app: &App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let identity = app.identity.clone();
    // Pick up `glint admin fernet-rotate` (or keys synced from another node).
    let reloader = tokio::spawn(async move {
        let Some(identity) = identity else { return };
        let mut tick = tokio::time::interval(KEY_RELOAD_INTERVAL);
        tick.tick().await;
        loop {
            tick.tick().await;
            if let Err(e) = identity.reload_keys() {
                tracing::error!(error = %e, "could not reload fernet keys");
            }
        }
    });
    let served = axum::serve(listener, app.router())
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(ServerError::Serve);
    reloader.abort();
    served
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
