//! Unified limits: the limit model, registered (default) limits and project limits.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use bytes::Bytes;
use serde_json::{json, Map, Value};

use super::{bad, caller, many, no_content, one, opt_str, ApiResult, IdentityApi, Params};
use crate::db::LimitFilter;
use crate::model::{new_id, Limit, RegisteredLimit};
use crate::policy::{enforce, Action, PolicyTarget};
use crate::IdentityError;

pub(super) async fn limit_model(State(api): State<IdentityApi>, headers: HeaderMap) -> ApiResult {
    caller(&api, &headers).await?;
    Ok(one(
        "model",
        json!({"name": "flat", "description": "Limit enforcement and validation does not take project hierarchy into consideration."}),
    ))
}

fn registered_json(api: &IdentityApi, l: &RegisteredLimit) -> Value {
    json!({"id": l.id, "service_id": l.service_id, "region_id": l.region_id, "resource_name": l.resource_name,
           "default_limit": l.default_limit, "description": l.description,
           "links": {"self": format!("{}/v3/registered_limits/{}", api.base_url, l.id)}})
}

fn limit_json(api: &IdentityApi, l: &Limit) -> Value {
    json!({"id": l.id, "project_id": l.project_id, "domain_id": l.domain_id, "service_id": l.service_id,
           "region_id": l.region_id, "resource_name": l.resource_name, "resource_limit": l.resource_limit,
           "description": l.description, "links": {"self": format!("{}/v3/limits/{}", api.base_url, l.id)}})
}

/// The list under `key` in a batch-create body.
fn batch(body: &Bytes, key: &str) -> ApiResult<Vec<Map<String, Value>>> {
    let v: Value = serde_json::from_slice(body).map_err(|_| bad("The request body could not be parsed as JSON."))?;
    match v.get(key) {
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .map(|i| {
                i.as_object()
                    .cloned()
                    .ok_or_else(|| bad(format!("Invalid input for field '{key}': objects are required.")))
            })
            .collect(),
        _ => Err(bad(format!(
            "Invalid input for field '{key}': a non-empty list is required."
        ))),
    }
}

fn limit_value(m: &Map<String, Value>, key: &str) -> ApiResult<i64> {
    match m.get(key).and_then(Value::as_i64) {
        Some(n) if n >= -1 => Ok(n),
        _ => Err(bad(format!(
            "Invalid input for field '{key}': an integer of at least -1 is required."
        ))),
    }
}

async fn check_service_region(api: &IdentityApi, service_id: &str, region_id: Option<&str>) -> ApiResult<()> {
    if api.service.db().service(service_id).await?.is_none() {
        return Err(bad(format!("Could not find service: {service_id}.")));
    }
    if let Some(r) = region_id {
        if api.service.db().region(r).await?.is_none() {
            return Err(bad(format!("Could not find region: {r}.")));
        }
    }
    Ok(())
}

// ---- registered limits ---------------------------------------------------------

pub(super) async fn list_registered_limits(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    params: Params,
) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    enforce(Action::GetRegisteredLimit, &caller, &PolicyTarget::default())?;
    let limits = api
        .service
        .db()
        .list_registered_limits(
            params.get("service_id").map(String::as_str),
            params.get("region_id").map(String::as_str),
            params.get("resource_name").map(String::as_str),
        )
        .await?;
    Ok(many(
        &api,
        "registered_limits",
        "registered_limits",
        limits.iter().map(|l| registered_json(&api, l)).collect(),
    ))
}

pub(super) async fn create_registered_limits(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    enforce(Action::CreateRegisteredLimits, &caller, &PolicyTarget::default())?;
    let mut out = Vec::new();
    for m in batch(&body, "registered_limits")? {
        let limit = RegisteredLimit {
            id: new_id(),
            service_id: opt_str(&m, "service_id")?.ok_or_else(|| bad("Invalid input for field 'service_id'."))?,
            region_id: opt_str(&m, "region_id")?,
            resource_name: opt_str(&m, "resource_name")?
                .filter(|r| !r.is_empty() && r.len() <= 255)
                .ok_or_else(|| bad("Invalid input for field 'resource_name'."))?,
            default_limit: limit_value(&m, "default_limit")?,
            description: opt_str(&m, "description")?,
        };
        check_service_region(&api, &limit.service_id, limit.region_id.as_deref()).await?;
        api.service.db().insert_registered_limit(&limit).await?;
        out.push(registered_json(&api, &limit));
    }
    Ok((
        axum::http::StatusCode::CREATED,
        axum::Json(json!({"registered_limits": out})),
    )
        .into_response())
}

async fn load_registered(api: &IdentityApi, id: &str) -> ApiResult<RegisteredLimit> {
    api.service
        .db()
        .registered_limit(id)
        .await?
        .ok_or_else(|| IdentityError::not_found("registered limit", id))
}

pub(super) async fn show_registered_limit(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    enforce(Action::GetRegisteredLimit, &caller, &PolicyTarget::default())?;
    Ok(one(
        "registered_limit",
        registered_json(&api, &load_registered(&api, &id).await?),
    ))
}

pub(super) async fn update_registered_limit(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    enforce(Action::UpdateRegisteredLimit, &caller, &PolicyTarget::default())?;
    let mut limit = load_registered(&api, &id).await?;
    let m = super::entity(&body, "registered_limit")?;
    if let Some(v) = opt_str(&m, "service_id")? {
        limit.service_id = v;
    }
    if m.contains_key("region_id") {
        limit.region_id = opt_str(&m, "region_id")?;
    }
    if let Some(v) = opt_str(&m, "resource_name")? {
        limit.resource_name = v;
    }
    if m.contains_key("default_limit") {
        limit.default_limit = limit_value(&m, "default_limit")?;
    }
    if m.contains_key("description") {
        limit.description = opt_str(&m, "description")?;
    }
    check_service_region(&api, &limit.service_id, limit.region_id.as_deref()).await?;
    api.service.db().update_registered_limit(&limit).await?;
    Ok(one("registered_limit", registered_json(&api, &limit)))
}

pub(super) async fn delete_registered_limit(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    enforce(Action::DeleteRegisteredLimit, &caller, &PolicyTarget::default())?;
    let limit = load_registered(&api, &id).await?;
    let users = api
        .service
        .db()
        .list_limits(&LimitFilter {
            service_id: Some(limit.service_id.clone()),
            region_id: limit.region_id.clone(),
            resource_name: Some(limit.resource_name.clone()),
            ..Default::default()
        })
        .await?;
    if !users.is_empty() {
        return Err(IdentityError::Forbidden(
            "delete registered limit: project limits still refer to it".into(),
        ));
    }
    api.service.db().delete_registered_limit(&id).await?;
    Ok(no_content())
}

// ---- project limits ----------------------------------------------------------------

pub(super) async fn list_limits(State(api): State<IdentityApi>, headers: HeaderMap, params: Params) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    let mut filter = LimitFilter {
        service_id: params.get("service_id").cloned(),
        region_id: params.get("region_id").cloned(),
        resource_name: params.get("resource_name").cloned(),
        project_id: params.get("project_id").cloned(),
        domain_id: params.get("domain_id").cloned(),
    };
    // Project readers see their project's limits only.
    let sees_all = caller.has_role("admin") || (caller.is_system_scoped() && caller.has_role("reader"));
    if !sees_all {
        match caller.project_id() {
            Some(p) => filter.project_id = Some(p.to_owned()),
            None => filter.domain_id = caller.domain_id().map(str::to_owned),
        }
    }
    let target_project = filter.project_id.clone();
    enforce(
        Action::GetLimit,
        &caller,
        &PolicyTarget {
            project_id: target_project.as_deref(),
            domain_id: filter.domain_id.as_deref(),
            ..Default::default()
        },
    )?;
    let limits = api.service.db().list_limits(&filter).await?;
    Ok(many(
        &api,
        "limits",
        "limits",
        limits.iter().map(|l| limit_json(&api, l)).collect(),
    ))
}

pub(super) async fn create_limits(State(api): State<IdentityApi>, headers: HeaderMap, body: Bytes) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    enforce(Action::CreateLimits, &caller, &PolicyTarget::default())?;
    let mut out = Vec::new();
    for m in batch(&body, "limits")? {
        let limit = Limit {
            id: new_id(),
            project_id: opt_str(&m, "project_id")?,
            domain_id: opt_str(&m, "domain_id")?,
            service_id: opt_str(&m, "service_id")?.ok_or_else(|| bad("Invalid input for field 'service_id'."))?,
            region_id: opt_str(&m, "region_id")?,
            resource_name: opt_str(&m, "resource_name")?
                .ok_or_else(|| bad("Invalid input for field 'resource_name'."))?,
            resource_limit: limit_value(&m, "resource_limit")?,
            description: opt_str(&m, "description")?,
        };
        if limit.project_id.is_some() == limit.domain_id.is_some() {
            return Err(bad("A limit needs exactly one of project_id and domain_id."));
        }
        if let Some(p) = &limit.project_id {
            if api.service.db().project(p).await?.is_none() {
                return Err(bad(format!("Could not find project: {p}.")));
            }
        }
        check_service_region(&api, &limit.service_id, limit.region_id.as_deref()).await?;
        let registered = api
            .service
            .db()
            .list_registered_limits(
                Some(&limit.service_id),
                limit.region_id.as_deref(),
                Some(&limit.resource_name),
            )
            .await?;
        if registered.iter().all(|r| r.region_id != limit.region_id) {
            return Err(IdentityError::Forbidden(format!(
                "The registered limit for {} must be created before a project limit",
                limit.resource_name
            )));
        }
        api.service.db().insert_limit(&limit).await?;
        out.push(limit_json(&api, &limit));
    }
    Ok((axum::http::StatusCode::CREATED, axum::Json(json!({"limits": out}))).into_response())
}

async fn load_limit(api: &IdentityApi, id: &str) -> ApiResult<Limit> {
    api.service
        .db()
        .limit(id)
        .await?
        .ok_or_else(|| IdentityError::not_found("limit", id))
}

pub(super) async fn show_limit(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    let limit = load_limit(&api, &id).await?;
    enforce(
        Action::GetLimit,
        &caller,
        &PolicyTarget {
            project_id: limit.project_id.as_deref(),
            domain_id: limit.domain_id.as_deref(),
            ..Default::default()
        },
    )?;
    Ok(one("limit", limit_json(&api, &limit)))
}

pub(super) async fn update_limit(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    enforce(Action::UpdateLimit, &caller, &PolicyTarget::default())?;
    let mut limit = load_limit(&api, &id).await?;
    let m = super::entity(&body, "limit")?;
    if m.contains_key("resource_limit") {
        limit.resource_limit = limit_value(&m, "resource_limit")?;
    }
    if m.contains_key("description") {
        limit.description = opt_str(&m, "description")?;
    }
    api.service.db().update_limit(&limit).await?;
    Ok(one("limit", limit_json(&api, &limit)))
}

pub(super) async fn delete_limit(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    enforce(Action::DeleteLimit, &caller, &PolicyTarget::default())?;
    if !api.service.db().delete_limit(&id).await? {
        return Err(IdentityError::not_found("limit", id));
    }
    Ok(no_content())
}
