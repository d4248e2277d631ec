//! `/v3/auth/*`: issuing, validating and revoking tokens, and what a token may scope to.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::Bytes;
use serde_json::{json, Value};

use super::{caller, collection_links, domain_json, project_json, self_link, ApiResult, IdentityApi};
use crate::model::{CatalogService, Domain};
use crate::service::{Credentials, DomainRef, ProjectRef, ScopeRequest, UserRef};
use crate::{IdentityError, ResolvedScope, TokenInfo};

pub(super) fn bad(msg: impl Into<String>) -> IdentityError {
    IdentityError::BadRequest(msg.into())
}

pub(super) fn str_field<'a>(v: &'a Value, key: &str, path: &str) -> ApiResult<Option<&'a str>> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(bad(format!("Invalid input for field '{path}.{key}': not a string."))),
    }
}

pub(super) fn parse_domain(v: &Value, path: &str) -> ApiResult<DomainRef> {
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
        let password = str_field(user, "password", "identity/password/user")?
            .ok_or_else(|| bad("Invalid input for field 'identity/password/user/password': required."))?;
        let user_ref = parse_user(user, "identity/password/user")?
            .ok_or_else(|| bad("Invalid input for field 'identity/password/user': an id or a name is required."))?;
        return Ok(Credentials::Password {
            user: user_ref,
            password: password.to_owned(),
        });
    }
    if methods.contains(&"application_credential") {
        let cred = identity
            .get("application_credential")
            .ok_or_else(|| bad("Invalid input for field 'identity/application_credential': required."))?;
        let path = "identity/application_credential";
        let secret = str_field(cred, "secret", path)?
            .ok_or_else(|| bad("Invalid input for field 'identity/application_credential/secret': required."))?;
        let user = match cred.get("user") {
            Some(u) => parse_user(u, "identity/application_credential/user")?,
            None => None,
        };
        return Ok(Credentials::ApplicationCredential {
            id: str_field(cred, "id", path)?.map(str::to_owned),
            name: str_field(cred, "name", path)?.map(str::to_owned),
            user,
            secret: secret.to_owned(),
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

/// `{"id": …}` or `{"name": …, "domain": {…}}`.
fn parse_user(user: &Value, path: &str) -> ApiResult<Option<UserRef>> {
    if let Some(id) = str_field(user, "id", path)? {
        return Ok(Some(UserRef::Id(id.to_owned())));
    }
    if let Some(name) = str_field(user, "name", path)? {
        let domain = user.get("domain").ok_or(IdentityError::Unauthorized)?;
        return Ok(Some(UserRef::Name {
            name: name.to_owned(),
            domain: parse_domain(domain, &format!("{path}/domain"))?,
        }));
    }
    Ok(None)
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
        let name = str_field(project, "name", "scope/project")?
            .ok_or_else(|| bad("Invalid input for field 'scope/project': an id or a name is required."))?;
        let domain = project
            .get("domain")
            .ok_or_else(|| bad("Invalid input for field 'scope/project/domain': required with a project name."))?;
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
    !query
        .as_deref()
        .is_some_and(|q| q.split('&').any(|kv| kv.split('=').next() == Some("nocatalog")))
}

pub(super) async fn issue_token(State(api): State<IdentityApi>, RawQuery(query): RawQuery, body: Bytes) -> ApiResult {
    let body: Value =
        serde_json::from_slice(&body).map_err(|_| bad("The request body could not be parsed as JSON."))?;
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

async fn subject(
    api: &IdentityApi,
    headers: &HeaderMap,
    caller: &TokenInfo,
    action: &str,
) -> ApiResult<Arc<TokenInfo>> {
    let subject_token = headers
        .get("x-subject-token")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| IdentityError::not_found("token", ""))?;
    let subject = api.service.validate(subject_token).await?;
    // identity:validate_token / revoke_token: admin, service, system reader, or the token's own user.
    let allowed = caller.has_role("admin")
        || caller.has_role("service")
        || (caller.is_system_scoped() && caller.has_role("reader"))
        || caller.user.id == subject.user.id;
    if !allowed {
        return Err(IdentityError::Forbidden(action.into()));
    }
    Ok(subject)
}

pub(super) async fn validate_token(
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

pub(super) async fn revoke_token(State(api): State<IdentityApi>, headers: HeaderMap) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    let subject = subject(&api, &headers, &caller, "identity:revoke_token").await?;
    api.service.revoke(&subject).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(super) fn timestamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

pub(super) fn domain_ref(d: &Domain) -> Value {
    json!({"id": d.id, "name": d.name})
}

pub(super) fn catalog_json(catalog: &[CatalogService]) -> Value {
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

pub(super) fn token_response(status: StatusCode, info: &TokenInfo, catalog: Option<&[CatalogService]>) -> ApiResult {
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
            token["project"] = json!({"domain": domain_ref(domain), "id": project.id, "name": project.name});
            token["is_domain"] = json!(false);
        }
        ResolvedScope::Domain(d) => token["domain"] = domain_ref(d),
        ResolvedScope::System => token["system"] = json!({"all": true}),
    }
    if let Some(cred) = &info.app_credential {
        token["application_credential"] = json!({"id": cred.id, "name": cred.name, "restricted": !cred.unrestricted});
        if cred.access_rules.as_array().is_some_and(|a| !a.is_empty()) {
            token["application_credential"]["access_rules"] = cred.access_rules.clone();
        }
    }
    if scoped {
        token["roles"] = info.roles.iter().map(|r| json!({"id": r.id, "name": r.name})).collect();
        if let Some(catalog) = catalog {
            token["catalog"] = catalog_json(catalog);
        }
    }
    let mut res = (status, Json(json!({"token": token}))).into_response();
    let subject = HeaderValue::from_str(&info.token).map_err(|e| IdentityError::Internal(e.to_string()))?;
    res.headers_mut().insert("x-subject-token", subject);
    Ok(res)
}

// ---- auth helpers ------------------------------------------------------

pub(super) async fn auth_catalog(State(api): State<IdentityApi>, headers: HeaderMap) -> ApiResult {
    caller(&api, &headers).await?;
    let catalog = api.service.catalog().await?;
    Ok(Json(json!({"catalog": catalog_json(&catalog), "links": self_link(&api, "auth/catalog")})).into_response())
}

pub(super) async fn auth_projects(State(api): State<IdentityApi>, headers: HeaderMap) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    let projects = api.service.projects_for_user(&caller.user.id).await?;
    let list: Vec<Value> = projects.iter().map(|p| project_json(&api, p)).collect();
    Ok(Json(json!({"projects": list, "links": collection_links(&api, "auth/projects")})).into_response())
}

pub(super) async fn auth_domains(State(api): State<IdentityApi>, headers: HeaderMap) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    let domains = api.service.domains_for_user(&caller.user.id).await?;
    let list: Vec<Value> = domains.iter().map(|d| domain_json(&api, d)).collect();
    Ok(Json(json!({"domains": list, "links": collection_links(&api, "auth/domains")})).into_response())
}

pub(super) async fn auth_system(State(api): State<IdentityApi>, headers: HeaderMap) -> ApiResult {
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
    Ok(Json(json!({"system": system, "links": self_link(&api, "auth/system")})).into_response())
}
