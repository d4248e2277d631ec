//! `/v3/auth/*`: issuing, validating and revoking tokens, and what a token may scope to.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::Bytes;
use serde::Serialize;
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
    // Keystone's `2026-01-01T00:00:00.000000Z`; chrono's RFC 3339 writer is much
    // cheaper than parsing a strftime pattern on every token body.
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// `{"id", "name"}` of a domain, project or role, serialised in place.
#[derive(Serialize)]
struct IdName<'a> {
    id: &'a str,
    name: &'a str,
}

impl<'a> IdName<'a> {
    fn domain(d: &'a Domain) -> Self {
        Self {
            id: &d.id,
            name: &d.name,
        }
    }
}

/// The service catalogue as Keystone shows it, serialised straight from the records.
pub(super) struct CatalogView<'a>(pub &'a [CatalogService]);

impl Serialize for CatalogView<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct EndpointView<'a> {
            id: &'a str,
            interface: &'a str,
            region_id: Option<&'a str>,
            url: &'a str,
            region: Option<&'a str>,
        }
        #[derive(Serialize)]
        struct ServiceView<'a> {
            endpoints: Vec<EndpointView<'a>>,
            id: &'a str,
            #[serde(rename = "type")]
            service_type: &'a str,
            name: &'a str,
        }
        serializer.collect_seq(self.0.iter().map(|s| {
            ServiceView {
                endpoints: s
                    .endpoints
                    .iter()
                    .map(|e| EndpointView {
                        id: &e.id,
                        interface: &e.interface,
                        region_id: e.region_id.as_deref(),
                        url: &e.url,
                        region: e.region_id.as_deref(),
                    })
                    .collect(),
                id: &s.id,
                service_type: &s.service_type,
                name: &s.name,
            }
        }))
    }
}

/// `{"token": …}` as Keystone renders it, fields in Keystone's order; serialised
/// directly (no `serde_json::Value` tree) since every validation renders one.
#[derive(Serialize)]
struct TokenBody<'a> {
    token: TokenView<'a>,
}

#[derive(Serialize)]
struct TokenView<'a> {
    methods: Vec<&'static str>,
    user: UserView<'a>,
    audit_ids: &'a [String],
    expires_at: String,
    issued_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    project: Option<ProjectView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    is_domain: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    domain: Option<IdName<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    system: Option<SystemAll>,
    #[serde(skip_serializing_if = "Option::is_none")]
    application_credential: Option<AppCredentialView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    roles: Option<Vec<IdName<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    catalog: Option<CatalogView<'a>>,
}

#[derive(Serialize)]
struct UserView<'a> {
    domain: IdName<'a>,
    id: &'a str,
    name: &'a str,
    password_expires_at: Option<&'a str>,
}

#[derive(Serialize)]
struct ProjectView<'a> {
    domain: IdName<'a>,
    id: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
struct SystemAll {
    all: bool,
}

#[derive(Serialize)]
struct AppCredentialView<'a> {
    id: &'a str,
    name: &'a str,
    restricted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    access_rules: Option<&'a Value>,
}

fn token_view<'a>(info: &'a TokenInfo, catalog: Option<&'a [CatalogService]>) -> TokenView<'a> {
    let mut view = TokenView {
        methods: info.payload.methods.iter().map(|m| m.name()).collect(),
        user: UserView {
            domain: IdName::domain(&info.user_domain),
            id: &info.user.id,
            name: &info.user.name,
            password_expires_at: None,
        },
        audit_ids: &info.payload.audit_ids,
        expires_at: timestamp(info.payload.expires_at),
        issued_at: timestamp(info.payload.issued_at),
        project: None,
        is_domain: None,
        domain: None,
        system: None,
        application_credential: info.app_credential.as_ref().map(|cred| AppCredentialView {
            id: &cred.id,
            name: &cred.name,
            restricted: !cred.unrestricted,
            access_rules: Some(&cred.access_rules).filter(|r| r.as_array().is_some_and(|a| !a.is_empty())),
        }),
        roles: None,
        catalog: None,
    };
    match &info.scope {
        ResolvedScope::Unscoped => return view,
        ResolvedScope::Project { project, domain } => {
            view.project = Some(ProjectView {
                domain: IdName::domain(domain),
                id: &project.id,
                name: &project.name,
            });
            view.is_domain = Some(false);
        }
        ResolvedScope::Domain(d) => view.domain = Some(IdName::domain(d)),
        ResolvedScope::System => view.system = Some(SystemAll { all: true }),
    }
    view.roles = Some(
        info.roles
            .iter()
            .map(|r| IdName {
                id: &r.id,
                name: &r.name,
            })
            .collect(),
    );
    view.catalog = catalog.map(CatalogView);
    view
}

pub(super) fn token_response(status: StatusCode, info: &TokenInfo, catalog: Option<&[CatalogService]>) -> ApiResult {
    let body = TokenBody {
        token: token_view(info, catalog),
    };
    let mut res = (status, Json(body)).into_response();
    let subject = HeaderValue::from_str(&info.token).map_err(|e| IdentityError::Internal(e.to_string()))?;
    res.headers_mut().insert("x-subject-token", subject);
    Ok(res)
}

// ---- auth helpers ------------------------------------------------------

pub(super) async fn auth_catalog(State(api): State<IdentityApi>, headers: HeaderMap) -> ApiResult {
    caller(&api, &headers).await?;
    let catalog = api.service.catalog().await?;
    Ok(Json(json!({"catalog": CatalogView(&catalog), "links": self_link(&api, "auth/catalog")})).into_response())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AppCredential, Endpoint};

    fn render(info: &TokenInfo, catalog: Option<&[CatalogService]>) -> String {
        serde_json::to_string(&TokenBody {
            token: token_view(info, catalog),
        })
        .unwrap()
    }

    #[test]
    fn project_token_body_in_keystone_order() {
        let mut info = crate::test_fixtures::token_info("project", &["admin"]);
        info.payload.audit_ids = vec!["a1".into()];
        info.payload.issued_at = chrono::DateTime::from_timestamp(1_800_000_000, 123_456_000).unwrap();
        info.payload.expires_at = chrono::DateTime::from_timestamp(1_800_003_600, 0).unwrap();
        let catalog = [CatalogService {
            id: "s1".into(),
            service_type: "image".into(),
            name: "glance".into(),
            endpoints: vec![Endpoint {
                id: "e1".into(),
                interface: "public".into(),
                region_id: Some("RegionOne".into()),
                url: "http://x/image".into(),
            }],
        }];
        assert_eq!(
            render(&info, Some(&catalog)),
            concat!(
                r#"{"token":{"methods":["password"],"#,
                r#""user":{"domain":{"id":"d1","name":"D1"},"id":"u1","name":"u","password_expires_at":null},"#,
                r#""audit_ids":["a1"],"expires_at":"2027-01-15T09:00:00.000000Z","#,
                r#""issued_at":"2027-01-15T08:00:00.123456Z","#,
                r#""project":{"domain":{"id":"d1","name":"D1"},"id":"p1","name":"P1"},"is_domain":false,"#,
                r#""roles":[{"id":"admin","name":"admin"}],"#,
                r#""catalog":[{"endpoints":[{"id":"e1","interface":"public","region_id":"RegionOne","#,
                r#""url":"http://x/image","region":"RegionOne"}],"id":"s1","type":"image","name":"glance"}]}}"#
            )
        );
        // Without a catalogue (`?nocatalog`) the key is absent, not empty.
        assert!(!render(&info, None).contains("catalog"));
    }

    #[test]
    fn system_and_unscoped_token_bodies() {
        let system: Value =
            serde_json::from_str(&render(&crate::test_fixtures::token_info("system", &["reader"]), None)).unwrap();
        assert_eq!(system["token"]["system"], json!({"all": true}));
        assert_eq!(system["token"]["roles"], json!([{"id": "reader", "name": "reader"}]));
        assert!(system["token"].get("project").is_none() && system["token"].get("is_domain").is_none());

        let mut unscoped = crate::test_fixtures::token_info("project", &["member"]);
        unscoped.scope = ResolvedScope::Unscoped;
        unscoped.app_credential = Some(AppCredential {
            id: "ac1".into(),
            name: "ci".into(),
            user_id: "u1".into(),
            project_id: "p1".into(),
            description: String::new(),
            expires_at: None,
            unrestricted: false,
            unrestricted_given: false,
            role_ids: vec![],
            access_rules: json!([{"service": "image", "method": "GET", "path": "/v2/images"}]),
        });
        let body: Value = serde_json::from_str(&render(&unscoped, Some(&[]))).unwrap();
        let token = body["token"].as_object().unwrap();
        let keys: Vec<&str> = token.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "methods",
                "user",
                "audit_ids",
                "expires_at",
                "issued_at",
                "application_credential"
            ]
        );
        assert_eq!(token["application_credential"]["restricted"], json!(true));
        assert_eq!(token["application_credential"]["access_rules"][0]["path"], "/v2/images");
    }
}
