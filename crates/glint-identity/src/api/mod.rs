//! Keystone v3 over HTTP. Every JSON shape of the identity API lives in this
//! module; handlers check `crate::policy` before they act.

mod app_creds;
mod auth;
mod catalog;
mod limits;
mod resources;
mod roles;

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use bytes::Bytes;
use serde_json::{json, Map, Value};

use crate::model::{Domain, Group, Project, Role, User};
use crate::{IdentityError, IdentityService, TokenInfo};

const IDENTITY_VERSION: &str = "v3.14";
const IDENTITY_UPDATED: &str = "2020-04-07T00:00:00Z";

#[derive(Clone)]
pub struct IdentityApi {
    pub service: Arc<IdentityService>,
    /// The identity base URL clients use, e.g. `http://127.0.0.1:5050/identity`.
    pub base_url: Arc<str>,
}

type ApiResult<T = Response> = Result<T, IdentityError>;
type Params = Query<HashMap<String, String>>;

/// The identity router, to be nested under `/identity`.
pub fn router(api: IdentityApi) -> Router {
    let www_authenticate = HeaderValue::from_str(&format!("Keystone uri=\"{}/v3\"", api.base_url))
        .unwrap_or_else(|_| HeaderValue::from_static("Keystone"));
    use app_creds::*;
    use catalog::*;
    use limits::*;
    use resources::*;
    use roles::*;
    Router::new()
        .route("/", get(versions))
        .route("/v3", get(version_v3))
        .route("/v3/", get(version_v3))
        .route(
            "/v3/auth/tokens",
            get(auth::validate_token)
                .head(auth::validate_token)
                .post(auth::issue_token)
                .delete(auth::revoke_token),
        )
        .route("/v3/auth/catalog", get(auth::auth_catalog))
        .route("/v3/auth/projects", get(auth::auth_projects))
        .route("/v3/auth/domains", get(auth::auth_domains))
        .route("/v3/auth/system", get(auth::auth_system))
        .route("/v3/domains", get(list_domains).post(create_domain))
        .route(
            "/v3/domains/{id}",
            get(show_domain).patch(update_domain).delete(delete_domain),
        )
        .route("/v3/projects", get(list_projects).post(create_project))
        .route(
            "/v3/projects/{id}",
            get(show_project).patch(update_project).delete(delete_project),
        )
        .route("/v3/projects/{id}/tags", get(list_project_tags))
        .route(
            "/v3/projects/{id}/tags/{tag}",
            put(add_project_tag).delete(remove_project_tag).get(check_project_tag),
        )
        .route("/v3/users", get(list_users).post(create_user))
        .route("/v3/users/{id}", get(show_user).patch(update_user).delete(delete_user))
        .route("/v3/users/{id}/password", axum::routing::post(change_password))
        .route("/v3/users/{id}/projects", get(list_user_projects))
        .route("/v3/users/{id}/groups", get(list_user_groups))
        .route(
            "/v3/users/{id}/application_credentials",
            get(list_app_creds).post(create_app_cred),
        )
        .route(
            "/v3/users/{id}/application_credentials/{cred}",
            get(show_app_cred).delete(delete_app_cred),
        )
        .route("/v3/groups", get(list_groups).post(create_group))
        .route(
            "/v3/groups/{id}",
            get(show_group).patch(update_group).delete(delete_group),
        )
        .route("/v3/groups/{id}/users", get(list_group_users))
        .route(
            "/v3/groups/{id}/users/{user}",
            put(add_group_user).head(check_group_user).delete(remove_group_user),
        )
        .route("/v3/roles", get(list_roles).post(create_role))
        .route("/v3/roles/{id}", get(show_role).patch(update_role).delete(delete_role))
        .route("/v3/roles/{id}/implies", get(list_implied))
        .route(
            "/v3/roles/{id}/implies/{implied}",
            put(add_implied)
                .get(check_implied)
                .head(check_implied)
                .delete(remove_implied),
        )
        .route("/v3/role_inferences", get(list_role_inferences))
        .route("/v3/role_assignments", get(list_role_assignments))
        .route("/v3/{kind}/{target}/{actor_kind}/{actor}/roles", get(list_grants))
        .route(
            "/v3/{kind}/{target}/{actor_kind}/{actor}/roles/{role}",
            put(create_grant)
                .get(check_grant)
                .head(check_grant)
                .delete(revoke_grant),
        )
        .route("/v3/system/{actor_kind}/{actor}/roles", get(list_system_grants))
        .route(
            "/v3/system/{actor_kind}/{actor}/roles/{role}",
            put(create_system_grant)
                .get(check_system_grant)
                .head(check_system_grant)
                .delete(revoke_system_grant),
        )
        .route("/v3/regions", get(list_regions).post(create_region))
        .route(
            "/v3/regions/{id}",
            get(show_region).patch(update_region).delete(delete_region),
        )
        .route("/v3/services", get(list_services).post(create_service))
        .route(
            "/v3/services/{id}",
            get(show_service).patch(update_service).delete(delete_service),
        )
        .route("/v3/endpoints", get(list_endpoints).post(create_endpoint))
        .route(
            "/v3/endpoints/{id}",
            get(show_endpoint).patch(update_endpoint).delete(delete_endpoint),
        )
        .route("/v3/limits/model", get(limit_model))
        .route(
            "/v3/registered_limits",
            get(list_registered_limits).post(create_registered_limits),
        )
        .route(
            "/v3/registered_limits/{id}",
            get(show_registered_limit)
                .patch(update_registered_limit)
                .delete(delete_registered_limit),
        )
        .route("/v3/limits", get(list_limits).post(create_limits))
        .route(
            "/v3/limits/{id}",
            get(show_limit).patch(update_limit).delete(delete_limit),
        )
        .fallback(|| async { IdentityError::not_found("resource", "the requested URL") })
        .layer(axum::middleware::from_fn_with_state(api.clone(), invalidate_on_write))
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

/// Any successful write (other than issuing a token) may change what tokens
/// carry: drop cached validations.
async fn invalidate_on_write(
    State(api): State<IdentityApi>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let reads = matches!(*req.method(), http::Method::GET | http::Method::HEAD);
    let issues_token = req.method() == http::Method::POST && req.uri().path().ends_with("/auth/tokens");
    let writes = !(reads || issues_token);
    let res = next.run(req).await;
    if writes && res.status().is_success() {
        api.service.identity_changed();
    }
    res
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

// ---- shared helpers ------------------------------------------------------

/// The caller's token (`X-Auth-Token`), validated; 401 when missing or bad.
async fn caller(api: &IdentityApi, headers: &HeaderMap) -> ApiResult<Arc<TokenInfo>> {
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

fn bad(msg: impl Into<String>) -> IdentityError {
    IdentityError::BadRequest(msg.into())
}

/// The object under `key` in a JSON request body (`{"project": {…}}`).
fn entity(body: &Bytes, key: &str) -> ApiResult<Map<String, Value>> {
    let v: Value = serde_json::from_slice(body).map_err(|_| bad("The request body could not be parsed as JSON."))?;
    match v.get(key) {
        Some(Value::Object(m)) => Ok(m.clone()),
        _ => Err(bad(format!("Invalid input for field '{key}': an object is required."))),
    }
}

fn opt_str(m: &Map<String, Value>, key: &str) -> ApiResult<Option<String>> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(bad(format!("Invalid input for field '{key}': not a string."))),
    }
}

fn req_str(m: &Map<String, Value>, key: &str) -> ApiResult<String> {
    match opt_str(m, key)? {
        Some(s) if !s.is_empty() && s.len() <= 255 => Ok(s),
        _ => Err(bad(format!(
            "Invalid input for field '{key}': a non-empty string of at most 255 characters is required."
        ))),
    }
}

fn opt_bool(m: &Map<String, Value>, key: &str) -> ApiResult<Option<bool>> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(bad(format!("Invalid input for field '{key}': not a boolean."))),
    }
}

fn param_bool(params: &HashMap<String, String>, key: &str) -> Option<bool> {
    params
        .get(key)
        .map(|v| !matches!(v.to_ascii_lowercase().as_str(), "false" | "0" | "no"))
}

fn collection_links(api: &IdentityApi, path: &str) -> Value {
    json!({"self": format!("{}/v3/{path}", api.base_url), "previous": null, "next": null})
}

fn self_link(api: &IdentityApi, path: &str) -> Value {
    json!({"self": format!("{}/v3/{path}", api.base_url)})
}

fn created(key: &str, body: Value) -> Response {
    (StatusCode::CREATED, Json(json!({ key: body }))).into_response()
}

fn one(key: &str, body: Value) -> Response {
    Json(json!({ key: body })).into_response()
}

fn many(api: &IdentityApi, key: &str, path: &str, items: Vec<Value>) -> Response {
    Json(json!({ key: items, "links": collection_links(api, path) })).into_response()
}

fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
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
        "tags": p.tags,
        "options": {},
        "links": self_link(api, &format!("projects/{}", p.id)),
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
        "links": self_link(api, &format!("domains/{}", d.id)),
    })
}

fn user_json(api: &IdentityApi, u: &User) -> Value {
    let mut m = Map::new();
    for (k, v) in &u.extra {
        m.insert(k.clone(), v.clone());
    }
    m.insert("id".into(), json!(u.id));
    m.insert("name".into(), json!(u.name));
    m.insert("domain_id".into(), json!(u.domain_id));
    m.insert("enabled".into(), json!(u.enabled));
    if let Some(p) = &u.default_project_id {
        m.insert("default_project_id".into(), json!(p));
    }
    m.insert("password_expires_at".into(), Value::Null);
    m.insert("options".into(), json!({}));
    m.insert("links".into(), self_link(api, &format!("users/{}", u.id)));
    Value::Object(m)
}

fn group_json(api: &IdentityApi, g: &Group) -> Value {
    json!({
        "id": g.id,
        "name": g.name,
        "domain_id": g.domain_id,
        "description": g.description,
        "links": self_link(api, &format!("groups/{}", g.id)),
    })
}

/// The roles `keystone-manage bootstrap` creates, which Keystone marks immutable.
const IMMUTABLE_ROLES: &[&str] = &["admin", "manager", "member", "reader", "service"];

fn is_immutable_role(r: &Role) -> bool {
    IMMUTABLE_ROLES.contains(&r.name.as_str())
}

fn role_json(api: &IdentityApi, r: &Role) -> Value {
    let options = if is_immutable_role(r) {
        json!({"immutable": true})
    } else {
        json!({})
    };
    json!({
        "id": r.id,
        "name": r.name,
        "domain_id": null,
        "description": r.description,
        "options": options,
        "links": self_link(api, &format!("roles/{}", r.id)),
    })
}
