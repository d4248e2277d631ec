//! Application credentials under `/v3/users/{id}/application_credentials`.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use bytes::Bytes;
use serde_json::{json, Value};

use super::{
    bad, caller, created, entity, many, no_content, one, opt_bool, opt_str, req_str, ApiResult, IdentityApi, Params,
};
use crate::model::AppCredential;
use crate::policy::{enforce, Action, PolicyTarget};
use crate::service::NewAppCredential;
use crate::IdentityError;

async fn cred_json(api: &IdentityApi, c: &AppCredential, secret: Option<&str>) -> ApiResult<Value> {
    let mut roles = Vec::new();
    for id in &c.role_ids {
        if let Some(r) = api.service.db().role(id).await? {
            let options = if super::is_immutable_role(&r) {
                json!({"immutable": true})
            } else {
                json!({})
            };
            roles.push(json!({"id": r.id, "name": r.name, "domain_id": null, "description": r.description, "options": options}));
        }
    }
    let expires = c
        .expires_at
        .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string());
    let mut v = json!({
        "id": c.id,
        "name": c.name,
        "description": c.description,
        "user_id": c.user_id,
        "project_id": c.project_id,
        "roles": roles,
        "expires_at": expires,
        // Keystone echoes what the client sent, null when it sent nothing.
        "unrestricted": if c.unrestricted_given { json!(c.unrestricted) } else { Value::Null },
        "system": null,
        "links": {"self": format!("{}/v3/users/{}/application_credentials/{}", api.base_url, c.user_id, c.id)},
    });
    if c.access_rules.as_array().is_some_and(|a| !a.is_empty()) {
        v["access_rules"] = c.access_rules.clone();
    }
    if let Some(secret) = secret {
        v["secret"] = json!(secret);
    }
    Ok(v)
}

/// Access rules: a list of `{"service", "method", "path"}` objects (ids of
/// existing rules are not supported).
fn access_rules(value: Option<&Value>) -> ApiResult<Value> {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return Ok(json!([]));
    };
    let rules = value
        .as_array()
        .ok_or_else(|| bad("Invalid input for field 'access_rules': a list is required."))?;
    for rule in rules {
        let ok = ["service", "method", "path"]
            .iter()
            .all(|k| rule[k].as_str().is_some_and(|v| !v.is_empty()));
        if !ok {
            return Err(bad(
                "Invalid input for field 'access_rules': each rule needs service, method and path.",
            ));
        }
    }
    Ok(value.clone())
}

async fn authorize(
    api: &IdentityApi,
    headers: &HeaderMap,
    user_id: &str,
    action: Action,
) -> ApiResult<std::sync::Arc<crate::TokenInfo>> {
    let caller = caller(api, headers).await?;
    let user = api
        .service
        .db()
        .user(user_id)
        .await?
        .ok_or_else(|| IdentityError::not_found("user", user_id))?;
    enforce(action, &caller, &PolicyTarget::user(&user.id, &user.domain_id))?;
    Ok(caller)
}

pub(super) async fn create_app_cred(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path(user_id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let caller = authorize(&api, &headers, &user_id, Action::CreateAppCredential).await?;
    if caller.user.id != user_id {
        // Only the user itself: the credential acts with the caller's roles.
        return Err(IdentityError::Forbidden(
            "identity:create_application_credential".into(),
        ));
    }
    let m = entity(&body, "application_credential")?;
    let expires_at = match opt_str(&m, "expires_at")? {
        None => None,
        Some(s) => Some(
            chrono::DateTime::parse_from_rfc3339(&s)
                .map(|d| d.with_timezone(&chrono::Utc))
                .or_else(|_| chrono::NaiveDateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M:%S%.f").map(|n| n.and_utc()))
                .map_err(|_| bad(format!("Invalid input for field 'expires_at': {s}")))?,
        ),
    };
    if expires_at.is_some_and(|t| t <= chrono::Utc::now()) {
        return Err(bad("Invalid input for field 'expires_at': the time is in the past."));
    }
    let roles = match m.get("roles") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|r| {
                r.get("id")
                    .or_else(|| r.get("name"))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .ok_or_else(|| bad("Invalid input for field 'roles': each role needs an id or a name."))
            })
            .collect::<ApiResult<_>>()?,
        Some(_) => return Err(bad("Invalid input for field 'roles': a list is required.")),
    };
    let new = NewAppCredential {
        name: req_str(&m, "name")?,
        description: opt_str(&m, "description")?.unwrap_or_default(),
        secret: opt_str(&m, "secret")?,
        expires_at,
        roles,
        unrestricted: opt_bool(&m, "unrestricted")?,
        access_rules: access_rules(m.get("access_rules"))?,
    };
    let (cred, secret) = api.service.create_app_credential(&caller, new).await?;
    Ok(created(
        "application_credential",
        cred_json(&api, &cred, Some(&secret)).await?,
    ))
}

pub(super) async fn list_app_creds(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path(user_id): Path<String>,
    params: Params,
) -> ApiResult {
    authorize(&api, &headers, &user_id, Action::GetAppCredential).await?;
    let creds = api
        .service
        .db()
        .list_app_credentials(&user_id, params.get("name").map(String::as_str))
        .await?;
    let mut out = Vec::new();
    for c in &creds {
        out.push(cred_json(&api, c, None).await?);
    }
    Ok(many(
        &api,
        "application_credentials",
        &format!("users/{user_id}/application_credentials"),
        out,
    ))
}

async fn load(api: &IdentityApi, user_id: &str, id: &str) -> ApiResult<AppCredential> {
    match api.service.db().app_credential(id).await? {
        Some((c, _)) if c.user_id == user_id => Ok(c),
        _ => Err(IdentityError::not_found("application credential", id)),
    }
}

pub(super) async fn show_app_cred(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path((user_id, id)): Path<(String, String)>,
) -> ApiResult {
    authorize(&api, &headers, &user_id, Action::GetAppCredential).await?;
    let cred = load(&api, &user_id, &id).await?;
    Ok(one("application_credential", cred_json(&api, &cred, None).await?))
}

pub(super) async fn delete_app_cred(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path((user_id, id)): Path<(String, String)>,
) -> ApiResult {
    authorize(&api, &headers, &user_id, Action::DeleteAppCredential).await?;
    load(&api, &user_id, &id).await?;
    api.service.db().delete_app_credential(&id).await?;
    Ok(no_content())
}
