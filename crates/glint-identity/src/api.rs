//! Keystone v3 over HTTP. Every JSON shape of the identity API lives here.

use std::sync::Arc;

use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use bytes::Bytes;
use serde_json::{json, Value};

use crate::model::{CatalogService, Domain, Project};
use crate::service::{Credentials, DomainRef, ProjectRef, ScopeRequest, UserRef};
use crate::{IdentityError, IdentityService, ResolvedScope, TokenInfo};

const IDENTITY_VERSION: &str = "v3.14";
const IDENTITY_UPDATED: &str = "2020-04-07T00:00:00Z";

#[derive(Clone)]
pub struct IdentityApi {
    pub service: Arc<IdentityService>,
    /// The identity base URL clients use, e.g. `http://127.0.0.1:5050/identity`.
    pub base_url: Arc<str>,
}

type ApiResult<T = Response> = Result<T, IdentityError>;

/// The identity router, to be nested under `/identity`.
pub fn router(api: IdentityApi) -> Router {
    let www_authenticate = HeaderValue::from_str(&format!("Keystone uri=\"{}/v3\"", api.base_url))
        .unwrap_or_else(|_| HeaderValue::from_static("Keystone"));
    Router::new()
        .route("/", get(versions))
        .route("/v3", get(version_v3))
        .route("/v3/", get(version_v3))
        .route(
            "/v3/auth/tokens",
            get(validate_token)
                .head(validate_token)
                .post(issue_token)
                .delete(revoke_token),
        )
        .route("/v3/auth/catalog", get(auth_catalog))
        .route("/v3/auth/projects", get(auth_projects))
        .route("/v3/auth/domains", get(auth_domains))
        .route("/v3/auth/system", get(auth_system))
        .route("/v3/projects", get(list_projects))
        .route("/v3/projects/{id}", get(show_project))
        .route("/v3/domains", get(list_domains))
        .route("/v3/domains/{id}", get(show_domain))
        .fallback(|| async { IdentityError::not_found("resource", "the requested URL") })
        .with_state(api)
        .layer(axum::middleware::map_response(move |mut res: Response| {
            let www_authenticate = www_authenticate.clone();
            async move {
                let headers = res.headers_mut();
                headers.insert(http::header::VARY, HeaderValue::from_static("X-Auth-Token"));
                if res.status() == StatusCode::UNAUTHORIZED {
                    res.headers_mut()
                        .insert(http::header::WWW_AUTHENTICATE, www_authenticate);
                }
                res
            }
        }))
}

// ---- discovery ---------------------------------------------------------

fn version_doc(base: &str) -> Value {
    json!({
        "id": IDENTITY_VERSION,
        "status": "stable",
        "updated": IDENTITY_UPDATED,
        "links": [{"rel": "self", "href": format!("{base}/v3/")}],
        "media-types": [{"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}],
    })
}

async fn versions(State(api): State<IdentityApi>) -> Response {
    let location = format!("{}/v3/", api.base_url);
    let mut res = (
        StatusCode::MULTIPLE_CHOICES,
        Json(json!({"versions": {"values": [version_doc(&api.base_url)]}})),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        res.headers_mut().insert(http::header::LOCATION, v);
    }
    res
}

async fn version_v3(State(api): State<IdentityApi>) -> Json<Value> {
    Json(json!({"version": version_doc(&api.base_url)}))
}

// ---- tokens ------------------------------------------------------------

fn bad(msg: impl Into<String>) -> IdentityError {
    IdentityError::BadRequest(msg.into())
}

fn str_field<'a>(v: &'a Value, key: &str, path: &str) -> ApiResult<Option<&'a str>> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(bad(format!(
            "Invalid input for field '{path}.{key}': not a string."
        ))),
    }
}

fn parse_domain(v: &Value, path: &str) -> ApiResult<DomainRef> {
    if let Some(id) = str_field(v, "id", path)? {
        return Ok(DomainRef::Id(id.to_owned()));
    }
    if let Some(name) = str_field(v, "name", path)? {
        return Ok(DomainRef::Name(name.to_owned()));
    }
    Err(bad(format!(
        "Invalid input for field '{path}': a domain needs an id or a name."
    )))
}

fn parse_credentials(identity: &Value) -> ApiResult<Credentials> {
    let methods: Vec<&str> = identity
        .get("methods")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("Invalid input for field 'identity/methods': required."))?
        .iter()
        .map(|m| {
            m.as_str()
                .ok_or_else(|| bad("Invalid input for field 'identity/methods': not a string."))
        })
        .collect::<ApiResult<_>>()?;
    if methods.contains(&"password") {
        let user = identity
            .pointer("/password/user")
            .ok_or_else(|| bad("Invalid input for field 'identity/password/user': required."))?;
        let password = str_field(user, "password", "identity/password/user")?.ok_or_else(|| {
            bad("Invalid input for field 'identity/password/user/password': required.")
        })?;
        let user_ref = if let Some(id) = str_field(user, "id", "identity/password/user")? {
            UserRef::Id(id.to_owned())
        } else if let Some(name) = str_field(user, "name", "identity/password/user")? {
            let domain = user.get("domain").ok_or(IdentityError::Unauthorized)?;
            UserRef::Name {
                name: name.to_owned(),
                domain: parse_domain(domain, "identity/password/user/domain")?,
            }
        } else {
            return Err(bad(
                "Invalid input for field 'identity/password/user': an id or a name is required.",
            ));
        };
        return Ok(Credentials::Password {
            user: user_ref,
            password: password.to_owned(),
        });
    }
    if methods.contains(&"token") {
        let token = identity
            .pointer("/token/id")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("Invalid input for field 'identity/token/id': required."))?;
        return Ok(Credentials::Token {
            token: token.to_owned(),
        });
    }
    // Keystone answers unknown or unsupported methods with 401.
    Err(IdentityError::Unauthorized)
}

fn parse_scope(scope: Option<&Value>) -> ApiResult<ScopeRequest> {
    let Some(scope) = scope else {
        return Ok(ScopeRequest::Default);
    };
    if scope.as_str() == Some("unscoped") {
        return Ok(ScopeRequest::Unscoped);
    }
    if let Some(project) = scope.get("project") {
        if let Some(id) = str_field(project, "id", "scope/project")? {
            return Ok(ScopeRequest::Project(ProjectRef::Id(id.to_owned())));
        }
        let name = str_field(project, "name", "scope/project")?.ok_or_else(|| {
            bad("Invalid input for field 'scope/project': an id or a name is required.")
        })?;
        let domain = project.get("domain").ok_or_else(|| {
            bad("Invalid input for field 'scope/project/domain': required with a project name.")
        })?;
        return Ok(ScopeRequest::Project(ProjectRef::Name {
            name: name.to_owned(),
            domain: parse_domain(domain, "scope/project/domain")?,
        }));
    }
    if let Some(domain) = scope.get("domain") {
        return Ok(ScopeRequest::Domain(parse_domain(domain, "scope/domain")?));
    }
    if scope.pointer("/system/all") == Some(&Value::Bool(true)) {
        return Ok(ScopeRequest::System);
    }
    Err(bad("Invalid input for field 'scope': unknown scope."))
}

fn wants_catalog(query: &Option<String>) -> bool {
    !query.as_deref().is_some_and(|q| {
        q.split('&')
            .any(|kv| kv.split('=').next() == Some("nocatalog"))
    })
}

async fn issue_token(
    State(api): State<IdentityApi>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> ApiResult {
    let body: Value = serde_json::from_slice(&body)
        .map_err(|_| bad("The request body could not be parsed as JSON."))?;
    let auth = body
        .get("auth")
        .ok_or_else(|| bad("Invalid input for field 'auth': required."))?;
    let identity = auth
        .get("identity")
        .ok_or_else(|| bad("Invalid input for field 'auth/identity': required."))?;
    let credentials = parse_credentials(identity)?;
    let scope = parse_scope(auth.get("scope"))?;
    let info = api.service.authenticate(credentials, scope).await?;
    let catalog = if wants_catalog(&query) {
        Some(api.service.catalog().await?)
    } else {
        None
    };
    token_response(StatusCode::CREATED, &info, catalog.as_deref())
}

/// The caller's token (`X-Auth-Token`), validated; 401 when missing or bad.
async fn caller(api: &IdentityApi, headers: &HeaderMap) -> ApiResult<TokenInfo> {
    let token = headers
        .get("x-auth-token")
        .and_then(|v| v.to_str().ok())
        .ok_or(IdentityError::Unauthorized)?;
    match api.service.validate(token).await {
        Ok(info) => Ok(info),
        Err(IdentityError::NotFound { .. }) => Err(IdentityError::Unauthorized),
        Err(e) => Err(e),
    }
}

fn is_admin(info: &TokenInfo) -> bool {
    info.has_role("admin")
}

/// Keystone's `admin_required or system reader`: may read any identity record.
fn reads_everything(info: &TokenInfo) -> bool {
    is_admin(info) || (info.is_system_scoped() && info.has_role("reader"))
}

async fn subject(
    api: &IdentityApi,
    headers: &HeaderMap,
    caller: &TokenInfo,
    action: &str,
) -> ApiResult<TokenInfo> {
    let subject_token = headers
        .get("x-subject-token")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| IdentityError::not_found("token", ""))?;
    let subject = api.service.validate(subject_token).await?;
    // identity:validate_token / revoke_token: admin, service, system reader, or the token's own user.
    let allowed = is_admin(caller)
        || caller.has_role("service")
        || (caller.is_system_scoped() && caller.has_role("reader"))
        || caller.user.id == subject.user.id;
    if !allowed {
        return Err(IdentityError::Forbidden(action.into()));
    }
    Ok(subject)
}

async fn validate_token(
    State(api): State<IdentityApi>,
    method: Method,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    let subject = subject(&api, &headers, &caller, "identity:validate_token").await?;
    let catalog = if wants_catalog(&query) {
        Some(api.service.catalog().await?)
    } else {
        None
    };
    let res = token_response(StatusCode::OK, &subject, catalog.as_deref())?;
    if method == Method::HEAD {
        let (parts, _) = res.into_parts();
        return Ok(Response::from_parts(parts, axum::body::Body::empty()));
    }
    Ok(res)
}

async fn revoke_token(State(api): State<IdentityApi>, headers: HeaderMap) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    let subject = subject(&api, &headers, &caller, "identity:revoke_token").await?;
    api.service.revoke(&subject).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn timestamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

fn domain_ref(d: &Domain) -> Value {
    json!({"id": d.id, "name": d.name})
}

fn catalog_json(catalog: &[CatalogService]) -> Value {
    Value::Array(
        catalog
            .iter()
            .map(|s| {
                json!({
                    "endpoints": s.endpoints.iter().map(|e| json!({
                        "id": e.id,
                        "interface": e.interface,
                        "region_id": e.region_id,
                        "url": e.url,
                        "region": e.region_id,
                    })).collect::<Vec<_>>(),
                    "id": s.id,
                    "type": s.service_type,
                    "name": s.name,
                })
            })
            .collect(),
    )
}

fn token_response(
    status: StatusCode,
    info: &TokenInfo,
    catalog: Option<&[CatalogService]>,
) -> ApiResult {
    let mut token = json!({
        "methods": info.payload.methods.iter().map(|m| m.name()).collect::<Vec<_>>(),
        "user": {
            "domain": domain_ref(&info.user_domain),
            "id": info.user.id,
            "name": info.user.name,
            "password_expires_at": null,
        },
        "audit_ids": info.payload.audit_ids,
        "expires_at": timestamp(info.payload.expires_at),
        "issued_at": timestamp(info.payload.issued_at),
    });
    let scoped = !matches!(info.scope, ResolvedScope::Unscoped);
    match &info.scope {
        ResolvedScope::Unscoped => {}
        ResolvedScope::Project { project, domain } => {
            token["project"] =
                json!({"domain": domain_ref(domain), "id": project.id, "name": project.name});
            token["is_domain"] = json!(false);
        }
        ResolvedScope::Domain(d) => token["domain"] = domain_ref(d),
        ResolvedScope::System => token["system"] = json!({"all": true}),
    }
    if scoped {
        token["roles"] = info
            .roles
            .iter()
            .map(|r| json!({"id": r.id, "name": r.name}))
            .collect();
        if let Some(catalog) = catalog {
            token["catalog"] = catalog_json(catalog);
        }
    }
    let mut res = (status, Json(json!({"token": token}))).into_response();
    let subject =
        HeaderValue::from_str(&info.token).map_err(|e| IdentityError::Internal(e.to_string()))?;
    res.headers_mut().insert("x-subject-token", subject);
    Ok(res)
}

// ---- auth helpers ------------------------------------------------------

fn collection_links(api: &IdentityApi, path: &str) -> Value {
    json!({"self": format!("{}/v3/{path}", api.base_url), "previous": null, "next": null})
}

fn project_json(api: &IdentityApi, p: &Project) -> Value {
    json!({
        "id": p.id,
        "name": p.name,
        "domain_id": p.domain_id,
        "description": p.description,
        "enabled": p.enabled,
        "parent_id": p.parent_id,
        "is_domain": false,
        "tags": [],
        "options": {},
        "links": {"self": format!("{}/v3/projects/{}", api.base_url, p.id)},
    })
}

fn domain_json(api: &IdentityApi, d: &Domain) -> Value {
    json!({
        "id": d.id,
        "name": d.name,
        "description": d.description,
        "enabled": d.enabled,
        "tags": [],
        "options": {},
        "links": {"self": format!("{}/v3/domains/{}", api.base_url, d.id)},
    })
}

async fn auth_catalog(State(api): State<IdentityApi>, headers: HeaderMap) -> ApiResult {
    caller(&api, &headers).await?;
    let catalog = api.service.catalog().await?;
    Ok(Json(
        json!({"catalog": catalog_json(&catalog), "links": collection_links(&api, "auth/catalog")}),
    )
    .into_response())
}

async fn auth_projects(State(api): State<IdentityApi>, headers: HeaderMap) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    let projects = api.service.projects_for_user(&caller.user.id).await?;
    let list: Vec<Value> = projects.iter().map(|p| project_json(&api, p)).collect();
    Ok(
        Json(json!({"projects": list, "links": collection_links(&api, "auth/projects")}))
            .into_response(),
    )
}

async fn auth_domains(State(api): State<IdentityApi>, headers: HeaderMap) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    let domains = api.service.domains_for_user(&caller.user.id).await?;
    let list: Vec<Value> = domains.iter().map(|d| domain_json(&api, d)).collect();
    Ok(
        Json(json!({"domains": list, "links": collection_links(&api, "auth/domains")}))
            .into_response(),
    )
}

async fn auth_system(State(api): State<IdentityApi>, headers: HeaderMap) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    let roles = api
        .service
        .db()
        .effective_roles(&caller.user.id, &crate::model::Target::System)
        .await?;
    let system: Vec<Value> = if roles.is_empty() {
        vec![]
    } else {
        vec![json!({"all": true})]
    };
    Ok(
        Json(json!({"system": system, "links": collection_links(&api, "auth/system")}))
            .into_response(),
    )
}

// ---- projects and domains (read) ---------------------------------------

#[derive(serde::Deserialize)]
struct NameFilter {
    name: Option<String>,
    domain_id: Option<String>,
}

async fn list_projects(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Query(filter): Query<NameFilter>,
) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    if !reads_everything(&caller) {
        return Err(IdentityError::Forbidden("identity:list_projects".into()));
    }
    let projects = api
        .service
        .db()
        .list_projects(filter.name.as_deref(), filter.domain_id.as_deref())
        .await?;
    let list: Vec<Value> = projects.iter().map(|p| project_json(&api, p)).collect();
    Ok(
        Json(json!({"projects": list, "links": collection_links(&api, "projects")}))
            .into_response(),
    )
}

async fn show_project(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    let own = caller.project_id() == Some(id.as_str());
    if !(own || reads_everything(&caller)) {
        return Err(IdentityError::Forbidden("identity:get_project".into()));
    }
    let project = api
        .service
        .db()
        .project(&id)
        .await?
        .ok_or_else(|| IdentityError::not_found("project", id))?;
    Ok(Json(json!({"project": project_json(&api, &project)})).into_response())
}

async fn list_domains(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Query(filter): Query<NameFilter>,
) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    if !reads_everything(&caller) {
        return Err(IdentityError::Forbidden("identity:list_domains".into()));
    }
    let domains = match filter.name {
        Some(name) => api
            .service
            .db()
            .domain_by_name(&name)
            .await?
            .into_iter()
            .collect(),
        None => api
            .service
            .db()
            .domain("default")
            .await?
            .into_iter()
            .collect::<Vec<_>>(),
    };
    let list: Vec<Value> = domains.iter().map(|d| domain_json(&api, d)).collect();
    Ok(Json(json!({"domains": list, "links": collection_links(&api, "domains")})).into_response())
}

async fn show_domain(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    let own = caller.user.domain_id == id;
    if !is_admin(&caller) && !own {
        return Err(IdentityError::Forbidden("identity:get_domain".into()));
    }
    let domain = api
        .service
        .db()
        .domain(&id)
        .await?
        .ok_or_else(|| IdentityError::not_found("domain", id))?;
    Ok(Json(json!({"domain": domain_json(&api, &domain)})).into_response())
}
