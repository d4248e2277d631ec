//! `/v2/metadefs/*` over HTTP.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use bytes::Bytes;
use serde_json::{json, Map, Value};

use crate::api::{Caller, ImageApi};
use crate::auth::RequestContext;
use crate::metadefs::{self, associate, can_see, item_json, namespace_json, require_admin, Namespace, Origin};
use crate::ImageError;

type ApiResult<T = Response> = Result<T, ImageError>;

pub fn routes() -> Router<ImageApi> {
    Router::new()
        .route("/v2/metadefs/resource_types", get(list_resource_types))
        .route("/v2/metadefs/namespaces", get(list_namespaces).post(create_namespace))
        .route(
            "/v2/metadefs/namespaces/{ns}",
            get(show_namespace).put(update_namespace).delete(delete_namespace),
        )
        .route(
            "/v2/metadefs/namespaces/{ns}/resource_types",
            get(list_associations).post(create_association),
        )
        .route(
            "/v2/metadefs/namespaces/{ns}/resource_types/{rt}",
            axum::routing::delete(delete_association),
        )
        .route(
            "/v2/metadefs/namespaces/{ns}/{kind}",
            get(list_items).post(create_item).delete(delete_items),
        )
        .route(
            "/v2/metadefs/namespaces/{ns}/{kind}/{name}",
            get(show_item)
                .put(update_item)
                .post(create_named_tag)
                .delete(delete_item),
        )
        .route("/v2/schemas/metadefs/{name}", get(schema))
}

fn parse(body: &Bytes) -> ApiResult<Value> {
    serde_json::from_slice(body).map_err(|_| ImageError::BadRequest("Malformed JSON in request body.".into()))
}

/// `objects` → `object` and so on; anything else is not a route.
fn kind_of(segment: &str) -> ApiResult<&'static str> {
    match segment {
        "objects" => Ok("object"),
        "properties" => Ok("property"),
        "tags" => Ok("tag"),
        _ => Err(ImageError::NotFound("The resource could not be found.".into())),
    }
}

async fn visible_namespace(api: &ImageApi, ctx: &RequestContext, name: &str) -> ApiResult<Namespace> {
    match api.service.db().metadef_namespace(name).await? {
        Some(ns) if can_see(ctx, &ns) => Ok(ns),
        _ => Err(metadefs::not_found("namespace", name)),
    }
}

async fn schema(Caller(_ctx): Caller, Path(name): Path<String>) -> ApiResult {
    metadefs::schema(&name)
        .map(|s| Json(s).into_response())
        .ok_or_else(|| ImageError::NotFound("The resource could not be found.".into()))
}

async fn list_resource_types(State(api): State<ImageApi>, Caller(_ctx): Caller) -> ApiResult {
    let types: Vec<Value> = api
        .service
        .db()
        .resource_types()
        .await?
        .into_iter()
        .map(|(name, created, updated)| {
            let mut v = json!({"name": name, "created_at": created});
            if updated != created {
                v["updated_at"] = json!(updated);
            }
            v
        })
        .collect();
    Ok(Json(json!({"resource_types": types})).into_response())
}

async fn list_namespaces(
    State(api): State<ImageApi>,
    Caller(ctx): Caller,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult {
    let db = api.service.db();
    let limit: usize = match params.get("limit") {
        None => 25,
        Some(l) => l
            .parse()
            .map_err(|_| ImageError::BadRequest("limit param must be an integer".into()))?,
    };
    let mut visible: Vec<Namespace> = db
        .metadef_namespaces(params.get("resource_types").map(String::as_str))
        .await?
        .into_iter()
        .filter(|ns| can_see(&ctx, ns) && params.get("visibility").is_none_or(|v| *v == ns.visibility))
        .collect();
    if let Some(marker) = params.get("marker") {
        let at = visible
            .iter()
            .position(|ns| &ns.namespace == marker)
            .ok_or_else(|| ImageError::BadRequest(format!("Namespace {marker} could not be found.")))?;
        visible.drain(..=at);
    }
    let more = visible.len() > limit;
    visible.truncate(limit);
    let mut out = Vec::with_capacity(visible.len());
    for ns in &visible {
        let assocs = db.associations(&ns.namespace).await?;
        out.push(Value::Object(namespace_json(ns, &assocs)));
    }
    let mut body =
        json!({"namespaces": out, "first": "/v2/metadefs/namespaces", "schema": "/v2/schemas/metadefs/namespaces"});
    if more {
        if let Some(last) = visible.last() {
            body["next"] = json!(format!(
                "/v2/metadefs/namespaces?marker={}&limit={limit}",
                last.namespace
            ));
        }
    }
    Ok(Json(body).into_response())
}

async fn full_namespace(api: &ImageApi, ns: &Namespace) -> ApiResult<Map<String, Value>> {
    let db = api.service.db();
    let mut m = namespace_json(ns, &db.associations(&ns.namespace).await?);
    let props = db.metadef_items(&ns.namespace, "property").await?;
    if !props.is_empty() {
        m.insert("properties".into(), property_map(&ns.namespace, &props));
    }
    let objects = metadefs::listed(db, &ns.namespace, "object").await?;
    if !objects.is_empty() {
        m.insert(
            "objects".into(),
            objects.iter().map(|o| item_json(&ns.namespace, "object", o)).collect(),
        );
    }
    let tags = metadefs::listed(db, &ns.namespace, "tag").await?;
    if !tags.is_empty() {
        m.insert("tags".into(), tag_list(&tags));
    }
    Ok(m)
}

/// Properties keyed by name, each without its `name`, as Glance shows them.
fn property_map(namespace: &str, props: &[metadefs::Item]) -> Value {
    let mut map = Map::new();
    for p in props {
        let mut body = item_json(namespace, "property", p);
        if let Value::Object(b) = &mut body {
            b.remove("name");
        }
        map.insert(p.name.clone(), body);
    }
    Value::Object(map)
}

/// Tags as Glance lists them: names only.
fn tag_list(tags: &[metadefs::Item]) -> Value {
    tags.iter().map(|t| json!({"name": t.name})).collect()
}

async fn create_namespace(State(api): State<ImageApi>, Caller(ctx): Caller, body: Bytes) -> ApiResult {
    require_admin(&ctx, "add_metadef_namespace")?;
    let doc = parse(&body)?;
    let ns = metadefs::create_namespace_doc(api.service.db(), &doc, ctx.project_id.as_deref(), Origin::Request).await?;
    // Glance answers with what it was sent: objects, tags and associations as in
    // the request (no times), properties as stored (`default` as text).
    let mut answer = namespace_json(&ns, &[]);
    for key in ["resource_type_associations", "objects", "tags"] {
        if let Some(v) = doc.get(key) {
            answer.insert(key.into(), v.clone());
        }
    }
    let props = api.service.db().metadef_items(&ns.namespace, "property").await?;
    if !props.is_empty() {
        answer.insert("properties".into(), property_map(&ns.namespace, &props));
    }
    let mut res = (StatusCode::CREATED, Json(Value::Object(answer))).into_response();
    let location = format!("{}/v2/metadefs/namespaces/{}", api.base_url, ns.namespace);
    if let Ok(v) = axum::http::HeaderValue::from_str(&location) {
        res.headers_mut().insert(axum::http::header::LOCATION, v);
    }
    Ok(res)
}

async fn show_namespace(State(api): State<ImageApi>, Caller(ctx): Caller, Path(name): Path<String>) -> ApiResult {
    let ns = visible_namespace(&api, &ctx, &name).await?;
    Ok(Json(Value::Object(full_namespace(&api, &ns).await?)).into_response())
}

async fn update_namespace(
    State(api): State<ImageApi>,
    Caller(ctx): Caller,
    Path(name): Path<String>,
    body: Bytes,
) -> ApiResult {
    let mut ns = visible_namespace(&api, &ctx, &name).await?;
    require_admin(&ctx, "modify_metadef_namespace")?;
    let doc = parse(&body)?;
    if let Some(n) = doc["namespace"].as_str() {
        ns.namespace = n.to_owned();
    }
    for (key, field) in [
        ("display_name", &mut ns.display_name),
        ("description", &mut ns.description),
    ] {
        if let Some(v) = doc[key].as_str() {
            *field = Some(v.to_owned());
        }
    }
    if let Some(v) = doc["visibility"].as_str() {
        if v != "public" && v != "private" {
            return Err(ImageError::BadRequest(format!("Invalid visibility: {v}")));
        }
        ns.visibility = v.to_owned();
    }
    if let Some(p) = doc["protected"].as_bool() {
        ns.protected = p;
    }
    if let Some(o) = doc["owner"].as_str() {
        ns.owner = Some(o.to_owned());
    }
    ns.updated_at = Some(crate::model::now_timestamp());
    api.service.db().update_metadef_namespace(&name, &ns).await?;
    Ok(Json(Value::Object(full_namespace(&api, &ns).await?)).into_response())
}

async fn delete_namespace(State(api): State<ImageApi>, Caller(ctx): Caller, Path(name): Path<String>) -> ApiResult {
    let ns = visible_namespace(&api, &ctx, &name).await?;
    require_admin(&ctx, "delete_metadef_namespace")?;
    if ns.protected {
        return Err(ImageError::Forbidden(format!(
            "Namespace {name} is protected and cannot be deleted."
        )));
    }
    api.service.db().delete_metadef_namespace(&name).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_associations(State(api): State<ImageApi>, Caller(ctx): Caller, Path(name): Path<String>) -> ApiResult {
    visible_namespace(&api, &ctx, &name).await?;
    let list: Vec<Value> = api
        .service
        .db()
        .associations(&name)
        .await?
        .iter()
        .map(metadefs::association_json)
        .collect();
    Ok(Json(json!({"resource_type_associations": list})).into_response())
}

async fn create_association(
    State(api): State<ImageApi>,
    Caller(ctx): Caller,
    Path(name): Path<String>,
    body: Bytes,
) -> ApiResult {
    visible_namespace(&api, &ctx, &name).await?;
    require_admin(&ctx, "add_metadef_resource_type_association")?;
    let a = associate(api.service.db(), &name, &parse(&body)?, Origin::Request).await?;
    Ok((StatusCode::CREATED, Json(metadefs::association_json(&a))).into_response())
}

async fn delete_association(
    State(api): State<ImageApi>,
    Caller(ctx): Caller,
    Path((name, rt)): Path<(String, String)>,
) -> ApiResult {
    let ns = visible_namespace(&api, &ctx, &name).await?;
    require_admin(&ctx, "remove_metadef_resource_type_association")?;
    if ns.protected {
        return Err(ImageError::Forbidden(format!(
            "Namespace {name} is protected and cannot be changed."
        )));
    }
    if !api.service.db().delete_association(&name, &rt).await? {
        return Err(metadefs::not_found("resource-type association", &rt));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_items(
    State(api): State<ImageApi>,
    Caller(ctx): Caller,
    Path((name, segment)): Path<(String, String)>,
) -> ApiResult {
    let kind = kind_of(&segment)?;
    visible_namespace(&api, &ctx, &name).await?;
    let items = metadefs::listed(api.service.db(), &name, kind).await?;
    let body = match kind {
        "property" => json!({"properties": property_map(&name, &items)}),
        "object" => json!({"objects": items.iter().map(|i| item_json(&name, kind, i)).collect::<Vec<_>>(),
                           "schema": "v2/schemas/metadefs/objects"}),
        _ => json!({"tags": tag_list(&items)}),
    };
    Ok(Json(body).into_response())
}

/// `POST …/objects`, `…/properties` (one item) or `…/tags` (a `{"tags": […]}` batch).
async fn create_item(
    State(api): State<ImageApi>,
    Caller(ctx): Caller,
    Path((name, segment)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let kind = kind_of(&segment)?;
    visible_namespace(&api, &ctx, &name).await?;
    require_admin(&ctx, &format!("add_metadef_{kind}"))?;
    let doc = parse(&body)?;
    let db = api.service.db();
    if kind == "tag" {
        let tags = doc["tags"]
            .as_array()
            .ok_or_else(|| ImageError::BadRequest("Expected a list of tags.".into()))?;
        db.delete_metadef_items(&name, "tag", None).await?;
        for t in tags {
            let tname = t["name"]
                .as_str()
                .ok_or_else(|| ImageError::BadRequest("Every tag needs a name.".into()))?;
            metadefs::put_item(db, &name, "tag", tname, &json!({}), Origin::Request).await?;
        }
        // Glance answers with the tags it was sent, in that order.
        let sent: Vec<Value> = tags.iter().map(|t| json!({"name": t["name"]})).collect();
        return Ok((StatusCode::CREATED, Json(json!({"tags": sent}))).into_response());
    }
    let iname = doc["name"]
        .as_str()
        .filter(|n| !n.is_empty() && n.len() <= 255)
        .ok_or_else(|| ImageError::BadRequest(format!("A metadata definition {kind} needs a name.")))?
        .to_owned();
    if db.metadef_item(&name, kind, &iname).await?.is_some() {
        return Err(ImageError::Conflict(format!(
            "A metadata definition {kind} with name={iname} already exists in namespace={name}."
        )));
    }
    metadefs::put_item(db, &name, kind, &iname, &doc, Origin::Request).await?;
    let item = db
        .metadef_item(&name, kind, &iname)
        .await?
        .ok_or_else(|| metadefs::not_found(kind, &iname))?;
    let mut created = item_json(&name, kind, &item);
    if let Value::Object(m) = &mut created {
        // Glance's create answer echoes the request: no defaulted `required`/`properties`.
        for key in ["required", "properties"] {
            if doc.get(key).is_none() {
                m.remove(key);
            }
        }
    }
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

async fn create_named_tag(
    State(api): State<ImageApi>,
    Caller(ctx): Caller,
    Path((name, segment, tag)): Path<(String, String, String)>,
) -> ApiResult {
    if kind_of(&segment)? != "tag" {
        return Err(ImageError::NotFound("The resource could not be found.".into()));
    }
    visible_namespace(&api, &ctx, &name).await?;
    require_admin(&ctx, "add_metadef_tag")?;
    let db = api.service.db();
    if db.metadef_item(&name, "tag", &tag).await?.is_some() {
        return Err(ImageError::Conflict(format!(
            "A metadata tag with name={tag} already exists in namespace={name}."
        )));
    }
    metadefs::put_item(db, &name, "tag", &tag, &json!({}), Origin::Request).await?;
    let item = db
        .metadef_item(&name, "tag", &tag)
        .await?
        .ok_or_else(|| metadefs::not_found("tag", &tag))?;
    Ok((StatusCode::CREATED, Json(item_json(&name, "tag", &item))).into_response())
}

async fn show_item(
    State(api): State<ImageApi>,
    Caller(ctx): Caller,
    Path((name, segment, iname)): Path<(String, String, String)>,
) -> ApiResult {
    let kind = kind_of(&segment)?;
    visible_namespace(&api, &ctx, &name).await?;
    let item = api
        .service
        .db()
        .metadef_item(&name, kind, &iname)
        .await?
        .ok_or_else(|| metadefs::not_found(kind, &iname))?;
    Ok(Json(item_json(&name, kind, &item)).into_response())
}

async fn update_item(
    State(api): State<ImageApi>,
    Caller(ctx): Caller,
    Path((name, segment, iname)): Path<(String, String, String)>,
    body: Bytes,
) -> ApiResult {
    let kind = kind_of(&segment)?;
    visible_namespace(&api, &ctx, &name).await?;
    require_admin(&ctx, &format!("modify_metadef_{kind}"))?;
    let db = api.service.db();
    db.metadef_item(&name, kind, &iname)
        .await?
        .ok_or_else(|| metadefs::not_found(kind, &iname))?;
    let doc = parse(&body)?;
    let new_name = doc["name"].as_str().unwrap_or(&iname).to_owned();
    if new_name != iname {
        db.rename_metadef_item(&name, kind, &iname, &new_name).await?;
    }
    let body = if kind == "tag" { json!({}) } else { doc };
    metadefs::put_item(db, &name, kind, &new_name, &body, Origin::Request).await?;
    let item = db
        .metadef_item(&name, kind, &new_name)
        .await?
        .ok_or_else(|| metadefs::not_found(kind, &new_name))?;
    Ok(Json(item_json(&name, kind, &item)).into_response())
}

async fn delete_item(
    State(api): State<ImageApi>,
    Caller(ctx): Caller,
    Path((name, segment, iname)): Path<(String, String, String)>,
) -> ApiResult {
    let kind = kind_of(&segment)?;
    let ns = visible_namespace(&api, &ctx, &name).await?;
    require_admin(&ctx, &format!("remove_metadef_{kind}"))?;
    if ns.protected {
        return Err(ImageError::Forbidden(format!(
            "Namespace {name} is protected and cannot be changed."
        )));
    }
    if api.service.db().delete_metadef_items(&name, kind, Some(&iname)).await? == 0 {
        return Err(metadefs::not_found(kind, &iname));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn delete_items(
    State(api): State<ImageApi>,
    Caller(ctx): Caller,
    Path((name, segment)): Path<(String, String)>,
) -> ApiResult {
    let kind = kind_of(&segment)?;
    let ns = visible_namespace(&api, &ctx, &name).await?;
    require_admin(&ctx, &format!("remove_metadef_{kind}"))?;
    if ns.protected {
        return Err(ImageError::Forbidden(format!(
            "Namespace {name} is protected and cannot be changed."
        )));
    }
    api.service.db().delete_metadef_items(&name, kind, None).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
