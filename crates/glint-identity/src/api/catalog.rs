//! Regions, services and endpoints: the catalog tokens carry.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use bytes::Bytes;
use serde_json::{json, Value};

use super::{
    bad, caller, created, entity, many, no_content, one, opt_bool, opt_str, self_link, ApiResult, IdentityApi, Params,
};
use crate::model::{new_id, EndpointRecord, Region, Service};
use crate::policy::{enforce, Action, PolicyTarget};
use crate::IdentityError;

const INTERFACES: &[&str] = &["public", "internal", "admin"];

fn region_json(api: &IdentityApi, r: &Region) -> Value {
    json!({"id": r.id, "description": r.description, "parent_region_id": r.parent_region_id,
           "links": self_link(api, &format!("regions/{}", r.id))})
}

fn service_json(api: &IdentityApi, s: &Service) -> Value {
    json!({"id": s.id, "type": s.service_type, "name": s.name, "description": s.description, "enabled": s.enabled,
           "links": self_link(api, &format!("services/{}", s.id))})
}

fn endpoint_json(api: &IdentityApi, e: &EndpointRecord) -> Value {
    json!({"id": e.id, "interface": e.interface, "region_id": e.region_id, "region": e.region_id,
           "service_id": e.service_id, "url": e.url, "enabled": e.enabled,
           "links": self_link(api, &format!("endpoints/{}", e.id))})
}

async fn authorize(api: &IdentityApi, headers: &HeaderMap, action: Action) -> ApiResult<()> {
    let caller = caller(api, headers).await?;
    enforce(action, &caller, &PolicyTarget::default())
}

// ---- regions -----------------------------------------------------------------

pub(super) async fn list_regions(State(api): State<IdentityApi>, headers: HeaderMap, params: Params) -> ApiResult {
    authorize(&api, &headers, Action::GetRegion).await?;
    let regions = api
        .service
        .db()
        .list_regions(params.get("parent_region_id").map(String::as_str))
        .await?;
    Ok(many(
        &api,
        "regions",
        "regions",
        regions.iter().map(|r| region_json(&api, r)).collect(),
    ))
}

pub(super) async fn create_region(State(api): State<IdentityApi>, headers: HeaderMap, body: Bytes) -> ApiResult {
    authorize(&api, &headers, Action::CreateRegion).await?;
    let m = entity(&body, "region")?;
    let region = Region {
        id: opt_str(&m, "id")?.unwrap_or_else(new_id),
        description: opt_str(&m, "description")?.unwrap_or_default(),
        parent_region_id: opt_str(&m, "parent_region_id")?,
    };
    if let Some(parent) = &region.parent_region_id {
        if api.service.db().region(parent).await?.is_none() {
            return Err(bad(format!("Could not find parent region: {parent}.")));
        }
    }
    api.service.db().insert_region(&region).await?;
    Ok(created("region", region_json(&api, &region)))
}

async fn load_region(api: &IdentityApi, id: &str) -> ApiResult<Region> {
    api.service
        .db()
        .region(id)
        .await?
        .ok_or_else(|| IdentityError::not_found("region", id))
}

pub(super) async fn show_region(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    authorize(&api, &headers, Action::GetRegion).await?;
    Ok(one("region", region_json(&api, &load_region(&api, &id).await?)))
}

pub(super) async fn update_region(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    authorize(&api, &headers, Action::UpdateRegion).await?;
    let mut region = load_region(&api, &id).await?;
    let m = entity(&body, "region")?;
    if let Some(d) = opt_str(&m, "description")? {
        region.description = d;
    }
    if m.contains_key("parent_region_id") {
        region.parent_region_id = opt_str(&m, "parent_region_id")?;
    }
    api.service.db().update_region(&region).await?;
    Ok(one("region", region_json(&api, &region)))
}

pub(super) async fn delete_region(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    authorize(&api, &headers, Action::DeleteRegion).await?;
    if !api.service.db().list_endpoints(None, None, Some(&id)).await?.is_empty() {
        return Err(IdentityError::Forbidden(format!(
            "delete region {id}: endpoints still use it"
        )));
    }
    if !api.service.db().delete_region(&id).await? {
        return Err(IdentityError::not_found("region", id));
    }
    Ok(no_content())
}

// ---- services ----------------------------------------------------------------

pub(super) async fn list_services(State(api): State<IdentityApi>, headers: HeaderMap, params: Params) -> ApiResult {
    authorize(&api, &headers, Action::GetService).await?;
    let services = api
        .service
        .db()
        .list_services(
            params.get("type").map(String::as_str),
            params.get("name").map(String::as_str),
        )
        .await?;
    Ok(many(
        &api,
        "services",
        "services",
        services.iter().map(|s| service_json(&api, s)).collect(),
    ))
}

pub(super) async fn create_service(State(api): State<IdentityApi>, headers: HeaderMap, body: Bytes) -> ApiResult {
    authorize(&api, &headers, Action::CreateService).await?;
    let m = entity(&body, "service")?;
    let service = Service {
        id: new_id(),
        service_type: opt_str(&m, "type")?
            .filter(|t| !t.is_empty())
            .ok_or_else(|| bad("Invalid input for field 'type'."))?,
        name: opt_str(&m, "name")?.unwrap_or_default(),
        description: opt_str(&m, "description")?.unwrap_or_default(),
        enabled: opt_bool(&m, "enabled")?.unwrap_or(true),
    };
    api.service.db().insert_service(&service).await?;
    Ok(created("service", service_json(&api, &service)))
}

async fn load_service(api: &IdentityApi, id: &str) -> ApiResult<Service> {
    api.service
        .db()
        .service(id)
        .await?
        .ok_or_else(|| IdentityError::not_found("service", id))
}

pub(super) async fn show_service(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    authorize(&api, &headers, Action::GetService).await?;
    Ok(one("service", service_json(&api, &load_service(&api, &id).await?)))
}

pub(super) async fn update_service(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    authorize(&api, &headers, Action::UpdateService).await?;
    let mut service = load_service(&api, &id).await?;
    let m = entity(&body, "service")?;
    if let Some(t) = opt_str(&m, "type")? {
        service.service_type = t;
    }
    if let Some(n) = opt_str(&m, "name")? {
        service.name = n;
    }
    if let Some(d) = opt_str(&m, "description")? {
        service.description = d;
    }
    if let Some(e) = opt_bool(&m, "enabled")? {
        service.enabled = e;
    }
    api.service.db().update_service(&service).await?;
    Ok(one("service", service_json(&api, &service)))
}

pub(super) async fn delete_service(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    authorize(&api, &headers, Action::DeleteService).await?;
    if !api.service.db().delete_service(&id).await? {
        return Err(IdentityError::not_found("service", id));
    }
    Ok(no_content())
}

// ---- endpoints ---------------------------------------------------------------

pub(super) async fn list_endpoints(State(api): State<IdentityApi>, headers: HeaderMap, params: Params) -> ApiResult {
    authorize(&api, &headers, Action::GetEndpoint).await?;
    let endpoints = api
        .service
        .db()
        .list_endpoints(
            params.get("service_id").map(String::as_str),
            params.get("interface").map(String::as_str),
            params
                .get("region_id")
                .or_else(|| params.get("region"))
                .map(String::as_str),
        )
        .await?;
    Ok(many(
        &api,
        "endpoints",
        "endpoints",
        endpoints.iter().map(|e| endpoint_json(&api, e)).collect(),
    ))
}

async fn validated_endpoint(api: &IdentityApi, mut e: EndpointRecord) -> ApiResult<EndpointRecord> {
    if !INTERFACES.contains(&e.interface.as_str()) {
        return Err(bad(format!(
            "Invalid input for field 'interface': {} is not one of public, internal, admin.",
            e.interface
        )));
    }
    if !(e.url.starts_with("http://") || e.url.starts_with("https://")) {
        return Err(bad("Invalid input for field 'url': an http(s) URL is required."));
    }
    if api.service.db().service(&e.service_id).await?.is_none() {
        return Err(bad(format!("Could not find service: {}.", e.service_id)));
    }
    if let Some(region) = &e.region_id {
        // Keystone creates unknown regions implicitly for endpoints.
        api.service.db().ensure_region(region).await?;
    }
    e.url = e.url.trim().to_owned();
    Ok(e)
}

pub(super) async fn create_endpoint(State(api): State<IdentityApi>, headers: HeaderMap, body: Bytes) -> ApiResult {
    authorize(&api, &headers, Action::CreateEndpoint).await?;
    let m = entity(&body, "endpoint")?;
    let endpoint = EndpointRecord {
        id: new_id(),
        service_id: opt_str(&m, "service_id")?.ok_or_else(|| bad("Invalid input for field 'service_id'."))?,
        interface: opt_str(&m, "interface")?.ok_or_else(|| bad("Invalid input for field 'interface'."))?,
        region_id: opt_str(&m, "region_id")?.or(opt_str(&m, "region")?),
        url: opt_str(&m, "url")?.ok_or_else(|| bad("Invalid input for field 'url'."))?,
        enabled: opt_bool(&m, "enabled")?.unwrap_or(true),
    };
    let endpoint = validated_endpoint(&api, endpoint).await?;
    api.service.db().insert_endpoint(&endpoint).await?;
    Ok(created("endpoint", endpoint_json(&api, &endpoint)))
}

async fn load_endpoint(api: &IdentityApi, id: &str) -> ApiResult<EndpointRecord> {
    api.service
        .db()
        .endpoint(id)
        .await?
        .ok_or_else(|| IdentityError::not_found("endpoint", id))
}

pub(super) async fn show_endpoint(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    authorize(&api, &headers, Action::GetEndpoint).await?;
    Ok(one("endpoint", endpoint_json(&api, &load_endpoint(&api, &id).await?)))
}

pub(super) async fn update_endpoint(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    authorize(&api, &headers, Action::UpdateEndpoint).await?;
    let mut e = load_endpoint(&api, &id).await?;
    let m = entity(&body, "endpoint")?;
    if let Some(v) = opt_str(&m, "service_id")? {
        e.service_id = v;
    }
    if let Some(v) = opt_str(&m, "interface")? {
        e.interface = v;
    }
    if let Some(v) = opt_str(&m, "region_id")?.or(opt_str(&m, "region")?) {
        e.region_id = Some(v);
    }
    if let Some(v) = opt_str(&m, "url")? {
        e.url = v;
    }
    if let Some(v) = opt_bool(&m, "enabled")? {
        e.enabled = v;
    }
    let e = validated_endpoint(&api, e).await?;
    api.service.db().update_endpoint(&e).await?;
    Ok(one("endpoint", endpoint_json(&api, &e)))
}

pub(super) async fn delete_endpoint(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    authorize(&api, &headers, Action::DeleteEndpoint).await?;
    if !api.service.db().delete_endpoint(&id).await? {
        return Err(IdentityError::not_found("endpoint", id));
    }
    Ok(no_content())
}
