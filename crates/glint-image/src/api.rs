//! Glance v2 over HTTP. Every JSON shape and header of the image API lives here.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{FromRequestParts, Path, RawQuery, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use bytes::Bytes;
use futures_util::TryStreamExt;
use serde_json::{json, Map, Value};

use crate::auth::{RequestContext, RequestId, TokenRejection, TokenValidator};
use crate::error::{ErrorFormat, GlanceErrorBody};
use crate::filter::ListQuery;
use crate::model::{Image, Member, MemberStatus, Task};
use crate::service::{check_writable, Download, ImportMethod, ImportRequest, NewImage, PatchOp, RangeRequest};
use crate::{schema, ImageError, ImageService};

/// Versions whose features Glint serves: up to 2.7 (import, os_hidden, multihash).
const VERSIONS: &[&str] = &["v2.7", "v2.6", "v2.5", "v2.4", "v2.3", "v2.2", "v2.1", "v2.0"];

#[derive(Clone)]
pub struct ImageApi {
    pub service: Arc<ImageService>,
    pub validator: Arc<dyn TokenValidator>,
    /// The image base URL clients use, e.g. `http://127.0.0.1:5050/image`.
    pub base_url: Arc<str>,
    /// `WWW-Authenticate` for 401s: where to get a token.
    pub www_authenticate: HeaderValue,
}

type ApiResult<T = Response> = Result<T, ImageError>;

pub fn router(api: ImageApi) -> Router {
    let www_authenticate = api.www_authenticate.clone();
    Router::new()
        .route("/", get(versions_300))
        .route("/versions", get(versions_200))
        .route("/v2/images", get(list_images).post(create_image))
        .route(
            "/v2/images/{id}",
            get(show_image).patch(update_image).delete(delete_image),
        )
        .route("/v2/images/{id}/file", get(download).put(upload))
        .route("/v2/images/{id}/tags/{tag}", put(add_tag).delete(remove_tag))
        .route("/v2/images/{id}/members", get(list_members).post(add_member))
        .route(
            "/v2/images/{id}/members/{member}",
            get(show_member).put(update_member).delete(remove_member),
        )
        .route("/v2/images/{id}/stage", put(stage))
        .route("/v2/images/{id}/import", post(import))
        .route("/v2/images/{id}/tasks", get(image_tasks))
        .route("/v2/info/import", get(info_import))
        .route("/v2/info/stores", get(info_stores))
        .route("/v2/info/stores/detail", get(info_stores_detail))
        .route("/v2/stores/{store}/{id}", axum::routing::delete(delete_from_store))
        .route("/v2/info/usage", get(info_usage))
        .route("/v2/images/{id}/actions/deactivate", post(deactivate))
        .route("/v2/images/{id}/actions/reactivate", post(reactivate))
        .route("/v2/schemas/image", get(|_: Caller| async { Json(schema::image()) }))
        .route("/v2/schemas/images", get(|_: Caller| async { Json(schema::images()) }))
        .route("/v2/schemas/member", get(|_: Caller| async { Json(schema::member()) }))
        .route(
            "/v2/schemas/members",
            get(|_: Caller| async { Json(schema::members()) }),
        )
        .route("/v2/schemas/task", get(|_: Caller| async { Json(schema::task()) }))
        .route("/v2/schemas/tasks", get(|_: Caller| async { Json(schema::tasks()) }))
        .route("/v2/tasks", get(list_tasks))
        .merge(crate::metadefs_api::routes())
        .fallback(fallback)
        .with_state(api)
        .layer(axum::middleware::from_fn(move |req: Request, next: Next| {
            let www_authenticate = www_authenticate.clone();
            negotiate_errors(req, next, www_authenticate)
        }))
}

/// Re-renders error bodies for the request's `Accept`, as webob does, and
/// adds `WWW-Authenticate` to 401s.
async fn negotiate_errors(req: Request, next: Next, www_authenticate: HeaderValue) -> Response {
    let format = ErrorFormat::from_accept(req.headers().get(http::header::ACCEPT).and_then(|v| v.to_str().ok()));
    let path = req.uri().path();
    let streams_body = req.method() == http::Method::PUT && (path.ends_with("/file") || path.ends_with("/stage"));
    let mut res = next.run(req).await;
    if streams_body && (res.status().is_client_error() || res.status().is_server_error()) {
        // The upload may have been refused before its body was read; the server then
        // cannot reuse the connection, and says so rather than let a client's pool
        // send its next request into a closing socket.
        res.headers_mut()
            .insert(http::header::CONNECTION, HeaderValue::from_static("close"));
    }
    if res.status() == StatusCode::UNAUTHORIZED {
        res.headers_mut()
            .insert(http::header::WWW_AUTHENTICATE, www_authenticate);
    }
    if format == ErrorFormat::Html {
        return res;
    }
    let Some(body) = res.extensions_mut().remove::<GlanceErrorBody>() else {
        return res;
    };
    let (content_type, text) = body.render(format);
    let (mut parts, _) = res.into_parts();
    parts.headers.insert(http::header::CONTENT_TYPE, content_type);
    parts.headers.remove(http::header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(text))
}

async fn fallback(State(api): State<ImageApi>, uri: http::Uri) -> Response {
    // Unknown version prefixes get the version document, as Glance's negotiation does.
    let path = uri.path();
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    if first.starts_with('v') && first != "v2" {
        return versions_300(State(api)).await;
    }
    ImageError::NotFound("The resource could not be found.".into()).into_response()
}

/// With several stores Glint also serves the multi-store API (2.8–2.11) and image tasks (2.12).
const MULTI_STORE_VERSIONS: &[&str] = &["v2.12", "v2.11", "v2.10", "v2.9", "v2.8"];

fn versions_doc(api: &ImageApi) -> Value {
    let href = format!("{}/v2/", api.base_url);
    let extra: &[&str] = if api.service.multi_store() {
        MULTI_STORE_VERSIONS
    } else {
        &[]
    };
    let list: Vec<Value> = extra
        .iter()
        .chain(VERSIONS)
        .enumerate()
        .map(|(n, id)| {
            json!({"id": id, "status": if n == 0 { "CURRENT" } else { "SUPPORTED" }, "links": [{"rel": "self", "href": href}]})
        })
        .collect();
    json!({"versions": list})
}

async fn versions_300(State(api): State<ImageApi>) -> Response {
    (StatusCode::MULTIPLE_CHOICES, Json(versions_doc(&api))).into_response()
}

async fn versions_200(State(api): State<ImageApi>) -> Response {
    Json(versions_doc(&api)).into_response()
}

/// The authenticated, project-scoped caller.
pub struct Caller(pub RequestContext);

impl FromRequestParts<ImageApi> for Caller {
    type Rejection = ImageError;

    async fn from_request_parts(parts: &mut Parts, api: &ImageApi) -> Result<Self, ImageError> {
        let token = parts
            .headers
            .get("x-auth-token")
            .and_then(|v| v.to_str().ok())
            .filter(|t| !t.is_empty())
            .ok_or(ImageError::Unauthorized)?;
        let ctx = api.validator.validate(token).await.map_err(|e| match e {
            TokenRejection::Invalid => ImageError::Unauthorized,
            TokenRejection::Unavailable(why) => {
                ImageError::Unavailable(format!("The identity service is unavailable: {why}"))
            }
        })?;
        if ctx.project_id.is_none() {
            return Err(ImageError::Forbidden(
                "The image service needs a project-scoped token.".into(),
            ));
        }
        if let Some(rules) = &ctx.access_rules {
            let (method, path) = (parts.method.as_str(), parts.uri.path());
            if !rules.iter().any(|r| r.allows("image", method, path)) {
                // keystonemiddleware answers requests outside the rules with 401.
                return Err(ImageError::Unauthorized);
            }
        }
        Ok(Caller(ctx))
    }
}

// ---- JSON shapes ---------------------------------------------------------

/// An image as Glance renders it: extra properties first, then the fixed fields, each in
/// Glance's order. Serialised straight to the response (no `serde_json::Value` tree: a
/// 1000-image page would otherwise allocate a map per image).
pub struct ImageBody<'a>(pub &'a Image);

impl serde::Serialize for ImageBody<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let image = self.0;
        let mut m = serializer.serialize_map(None)?;
        for (k, v) in &image.properties {
            m.serialize_entry(k, v)?;
        }
        m.serialize_entry("name", &image.name)?;
        m.serialize_entry("disk_format", &image.disk_format)?;
        m.serialize_entry("container_format", &image.container_format)?;
        m.serialize_entry("visibility", image.visibility.as_str())?;
        m.serialize_entry("size", &image.size)?;
        m.serialize_entry("virtual_size", &image.virtual_size)?;
        m.serialize_entry("status", image.status.as_str())?;
        m.serialize_entry("checksum", &image.checksum)?;
        m.serialize_entry("protected", &image.protected)?;
        m.serialize_entry("min_ram", &image.min_ram)?;
        m.serialize_entry("min_disk", &image.min_disk)?;
        m.serialize_entry("owner", &image.owner)?;
        m.serialize_entry("os_hidden", &image.os_hidden)?;
        m.serialize_entry("os_hash_algo", &image.os_hash_algo)?;
        m.serialize_entry("os_hash_value", &image.os_hash_value)?;
        m.serialize_entry("id", &image.id)?;
        m.serialize_entry("created_at", &image.created_at)?;
        m.serialize_entry("updated_at", &image.updated_at)?;
        m.serialize_entry("tags", &image.tags)?;
        m.serialize_entry("self", &format_args!("/v2/images/{}", image.id))?;
        m.serialize_entry("file", &format_args!("/v2/images/{}/file", image.id))?;
        m.serialize_entry("schema", "/v2/schemas/image")?;
        if !image.locations.is_empty() {
            m.serialize_entry("stores", &StoreIds(&image.locations))?;
        }
        m.end()
    }
}

/// `stores`: the ids of the stores holding a copy, comma-separated.
struct StoreIds<'a>(&'a [crate::model::Location]);

impl std::fmt::Display for StoreIds<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (n, l) in self.0.iter().enumerate() {
            if n > 0 {
                f.write_str(",")?;
            }
            f.write_str(&l.store_id)?;
        }
        Ok(())
    }
}

impl serde::Serialize for StoreIds<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// `GET /v2/images`: one page and its links.
#[derive(serde::Serialize)]
struct ImagePage<'a> {
    images: Vec<ImageBody<'a>>,
    first: String,
    schema: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<String>,
}

fn member_json(m: &Member) -> Value {
    json!({
        "member_id": m.member_id,
        "image_id": m.image_id,
        "status": m.status.as_str(),
        "created_at": m.created_at,
        "updated_at": m.updated_at,
        "schema": "/v2/schemas/member",
    })
}

fn parse_json(body: &Bytes) -> ApiResult<Value> {
    serde_json::from_slice(body).map_err(|_| ImageError::BadRequest("Malformed JSON in request body.".into()))
}

/// The create body → [`NewImage`], with Glance's schema rules.
fn new_image_from_json(body: Value) -> ApiResult<NewImage> {
    let Value::Object(fields) = body else {
        return Err(ImageError::BadRequest(
            "Malformed JSON in request body: expected an object.".into(),
        ));
    };
    let mut new = NewImage::default();
    for (key, value) in fields {
        check_writable(&key)?;
        let mismatch = |want: &str| {
            ImageError::BadRequest(format!(
                "Provided object does not match schema 'image': {value} is not of type '{want}' for '{key}'"
            ))
        };
        let opt_string = |v: &Value| match v {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(s.clone())),
            _ => Err(mismatch("string")),
        };
        match key.as_str() {
            "id" => new.id = Some(value.as_str().ok_or_else(|| mismatch("string"))?.to_owned()),
            "name" => {
                let name = opt_string(&value)?;
                if name.as_ref().is_some_and(|n| n.chars().count() > 255) {
                    return Err(ImageError::BadRequest(
                        "Image name is longer than 255 characters.".into(),
                    ));
                }
                new.name = name;
            }
            "visibility" => {
                new.visibility = Some(
                    value
                        .as_str()
                        .and_then(|v| v.parse().ok())
                        .ok_or_else(|| ImageError::BadRequest(format!("Invalid visibility value: {value}")))?,
                )
            }
            "disk_format" => new.disk_format = opt_string(&value)?,
            "container_format" => new.container_format = opt_string(&value)?,
            "protected" => new.protected = value.as_bool().ok_or_else(|| mismatch("boolean"))?,
            "os_hidden" => new.os_hidden = value.as_bool().ok_or_else(|| mismatch("boolean"))?,
            "min_disk" => new.min_disk = value.as_u64().ok_or_else(|| mismatch("integer"))?,
            "min_ram" => new.min_ram = value.as_u64().ok_or_else(|| mismatch("integer"))?,
            "owner" => new.owner = opt_string(&value)?,
            "tags" => {
                new.tags = value
                    .as_array()
                    .ok_or_else(|| mismatch("array"))?
                    .iter()
                    .map(|t| {
                        t.as_str()
                            .map(str::to_owned)
                            .ok_or_else(|| mismatch("array of strings"))
                    })
                    .collect::<Result<_, _>>()?
            }
            _ => {
                if key.chars().count() > 255 {
                    return Err(ImageError::BadRequest(
                        "Property names are at most 255 characters.".into(),
                    ));
                }
                let Value::String(s) = &value else {
                    return Err(mismatch("string"));
                };
                new.properties.insert(key.clone(), s.clone());
            }
        }
    }
    Ok(new)
}

// ---- images ----------------------------------------------------------------

async fn create_image(State(api): State<ImageApi>, Caller(ctx): Caller, body: Bytes) -> ApiResult {
    let new = new_image_from_json(parse_json(&body)?)?;
    let image = api.service.create(&ctx, new).await?;
    let mut res = (StatusCode::CREATED, Json(ImageBody(&image))).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("{}/v2/images/{}", api.base_url, image.id)) {
        res.headers_mut().insert(http::header::LOCATION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&api.service.import_methods().join(",")) {
        res.headers_mut().insert("openstack-image-import-methods", v);
    }
    if api.service.multi_store() {
        let ids: Vec<&str> = api.service.stores().iter().map(|s| s.id()).collect();
        if let Ok(v) = HeaderValue::from_str(&ids.join(",")) {
            res.headers_mut().insert("openstack-image-store-ids", v);
        }
    }
    Ok(res)
}

async fn show_image(State(api): State<ImageApi>, Caller(ctx): Caller, Path(id): Path<String>) -> ApiResult {
    Ok(Json(ImageBody(&api.service.get(&ctx, &id).await?)).into_response())
}

async fn list_images(State(api): State<ImageApi>, Caller(ctx): Caller, RawQuery(query): RawQuery) -> ApiResult {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .into_owned()
        .collect();
    let list_query = ListQuery::parse(&pairs)?;
    let images = api.service.list(&ctx, &list_query).await?;
    let without_marker: Vec<&(String, String)> = pairs.iter().filter(|(k, _)| k != "marker").collect();
    let encode = |extra: Option<(&str, &str)>| {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &without_marker {
            s.append_pair(k, v);
        }
        if let Some((k, v)) = extra {
            s.append_pair(k, v);
        }
        let q = s.finish();
        if q.is_empty() {
            "/v2/images".to_owned()
        } else {
            format!("/v2/images?{q}")
        }
    };
    let next = match images.last() {
        Some(last) if list_query.limit > 0 && images.len() == list_query.limit as usize => {
            Some(encode(Some(("marker", &last.id))))
        }
        _ => None,
    };
    let page = ImagePage {
        images: images.iter().map(ImageBody).collect(),
        first: encode(None),
        schema: "/v2/schemas/images",
        next,
    };
    Ok(Json(page).into_response())
}

/// Which JSON-patch dialect the request's media type names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PatchDialect {
    /// `application/openstack-images-v2.0-json-patch`: `{"add": "/path", "value": …}`.
    V20,
    /// `application/openstack-images-v2.1-json-patch`: RFC 6902 `{"op", "path", "value"}`.
    V21,
}

fn parse_patch(body: Value, dialect: PatchDialect) -> ApiResult<Vec<PatchOp>> {
    let Value::Array(items) = body else {
        return Err(ImageError::BadRequest(
            "Request body must be a JSON array of operation objects.".into(),
        ));
    };
    let mut ops = Vec::with_capacity(items.len());
    for item in items {
        let Value::Object(mut obj) = item else {
            return Err(ImageError::BadRequest("Operations must be JSON objects.".into()));
        };
        let (op, path) = match dialect {
            PatchDialect::V21 => match (obj.remove("op"), obj.remove("path")) {
                (Some(Value::String(op)), Some(Value::String(path))) => (op, path),
                (None, _) => {
                    return Err(ImageError::BadRequest(
                        "Unable to find 'op' in JSON Schema change".into(),
                    ))
                }
                _ => {
                    return Err(ImageError::BadRequest(
                        "Unable to find 'path' in JSON Schema change".into(),
                    ))
                }
            },
            PatchDialect::V20 => {
                let named: Vec<&str> = ["add", "replace", "remove"]
                    .into_iter()
                    .filter(|k| obj.contains_key(*k))
                    .collect();
                let [op] = named[..] else {
                    return Err(ImageError::BadRequest(
                        "Operation objects must contain exactly one member named \"add\", \"remove\", or \"replace\"."
                            .into(),
                    ));
                };
                let path = obj
                    .remove(op)
                    .and_then(|p| p.as_str().map(str::to_owned))
                    .ok_or_else(|| {
                        ImageError::BadRequest(format!("The member \"{op}\" must be a JSON pointer string."))
                    })?;
                (op.to_owned(), path)
            }
        };
        let value = obj.remove("value");
        ops.push(match (op.as_str(), value) {
            // Under 2.0, adding a property that exists is a conflict; 2.1 overwrites.
            ("add", Some(value)) if dialect == PatchDialect::V20 => PatchOp::AddNew { path, value },
            ("add", Some(value)) => PatchOp::Add { path, value },
            ("replace", Some(value)) => PatchOp::Replace { path, value },
            ("remove", _) => PatchOp::Remove { path },
            ("add" | "replace", None) => {
                return Err(ImageError::BadRequest(format!(
                    "Operation \"{op}\" requires a member named \"value\"."
                )))
            }
            _ => {
                return Err(ImageError::BadRequest(format!(
                    "Invalid operation: `{op}`: it must be one of: add, remove, replace."
                )))
            }
        });
    }
    Ok(ops)
}

async fn update_image(
    State(api): State<ImageApi>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let content_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let dialect = match content_type.split(';').next().unwrap_or("").trim() {
        "application/openstack-images-v2.1-json-patch" => PatchDialect::V21,
        "application/openstack-images-v2.0-json-patch" => PatchDialect::V20,
        "" => return Err(ImageError::UnsupportedMediaType("None".into())),
        other => return Err(ImageError::UnsupportedMediaType(other.to_owned())),
    };
    let ops = parse_patch(parse_json(&body)?, dialect)?;
    let image = api.service.update(&ctx, &id, ops).await?;
    Ok(Json(ImageBody(&image)).into_response())
}

async fn delete_image(State(api): State<ImageApi>, Caller(ctx): Caller, Path(id): Path<String>) -> ApiResult {
    api.service.delete(&ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn upload(
    State(api): State<ImageApi>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult {
    check_octet_stream(&headers)?;
    let expected = announced_size(&headers)?;
    let store = headers
        .get("x-image-meta-store")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let stream = Box::pin(body.into_data_stream().map_err(std::io::Error::other));
    api.service
        .upload(&ctx, &id, stream, expected, store.as_deref())
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Image data must be `application/octet-stream` (an absent type is tolerated).
fn check_octet_stream(headers: &HeaderMap) -> ApiResult<()> {
    match headers.get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) {
        None => Ok(()),
        Some(ct) if ct.split(';').next().unwrap_or("").trim() == "application/octet-stream" => Ok(()),
        Some(ct) => Err(ImageError::InvalidContentType(ct.to_owned())),
    }
}

fn announced_size(headers: &HeaderMap) -> ApiResult<Option<u64>> {
    match headers.get("x-openstack-image-size") {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .map(Some)
            .ok_or_else(|| ImageError::BadRequest("x-openstack-image-size must be a non-negative integer.".into())),
    }
}

async fn stage(
    State(api): State<ImageApi>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult {
    check_octet_stream(&headers)?;
    let expected = announced_size(&headers)?;
    let stream = Box::pin(body.into_data_stream().map_err(std::io::Error::other));
    api.service.stage(&ctx, &id, stream, expected).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn import(
    State(api): State<ImageApi>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    request_id: Option<axum::Extension<RequestId>>,
    raw: Bytes,
) -> ApiResult {
    let body = parse_json(&raw)?;
    let name = body
        .pointer("/method/name")
        .and_then(Value::as_str)
        .ok_or_else(|| ImageError::BadRequest("Import request requires a 'method' with a 'name'.".into()))?;
    let method = match name {
        "glance-direct" => ImportMethod::GlanceDirect,
        "web-download" => ImportMethod::WebDownload {
            uri: body
                .pointer("/method/uri")
                .and_then(Value::as_str)
                .ok_or_else(|| ImageError::BadRequest("URI is required for web-download import method.".into()))?
                .to_owned(),
        },
        "copy-image" => ImportMethod::CopyImage,
        other => {
            return Err(ImageError::BadRequest(format!(
                "Import method {other} is not valid for this cloud."
            )))
        }
    };
    if !api.service.import_methods().contains(&name) {
        return Err(ImageError::BadRequest(format!(
            "Import method {name} is not valid for this cloud."
        )));
    }
    let mut stores: Vec<String> = match body.get("stores") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|s| {
                s.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| ImageError::BadRequest("'stores' must be a list of store ids.".into()))
            })
            .collect::<ApiResult<_>>()?,
        Some(_) => return Err(ImageError::BadRequest("'stores' must be a list of store ids.".into())),
    };
    if let Some(store) = headers.get("x-image-meta-store").and_then(|v| v.to_str().ok()) {
        stores.push(store.to_owned());
    }
    if matches!(method, ImportMethod::GlanceDirect) {
        if let Some(host) = api.service.stage_host_elsewhere(&ctx, &id).await? {
            return forward_import(&host, &id, &headers, raw).await;
        }
    }
    let flag = |key: &str, default: bool| body.get(key).and_then(Value::as_bool).unwrap_or(default);
    let request = ImportRequest {
        method,
        stores,
        all_stores: flag("all_stores", false),
        all_stores_must_succeed: flag("all_stores_must_succeed", true),
    };
    api.service
        .import(&ctx, &id, request, request_id.map(|r| r.0 .0))
        .await?;
    Ok(StatusCode::ACCEPTED.into_response())
}

/// Sends a `glance-direct` import to the node holding the staged data, with
/// the caller's token, and answers what that node answered.
async fn forward_import(host: &str, id: &str, headers: &HeaderMap, body: Bytes) -> ApiResult {
    // One client (and connection pool) for every forwarded import.
    static PEERS: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    let mut req = PEERS
        .get_or_init(reqwest::Client::new)
        .post(format!("{}/v2/images/{id}/import", host.trim_end_matches('/')))
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(body);
    for name in ["x-auth-token", "x-image-meta-store", "x-openstack-request-id"] {
        if let Some(v) = headers.get(name) {
            req = req.header(name, v);
        }
    }
    let res = req.send().await.map_err(|e| {
        ImageError::Unavailable(format!("The node holding the staged data ({host}) is unreachable: {e}"))
    })?;
    let status = StatusCode::from_u16(res.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let content_type = res.headers().get(http::header::CONTENT_TYPE).cloned();
    let bytes = res
        .bytes()
        .await
        .map_err(|e| ImageError::Unavailable(format!("The node holding the staged data ({host}) failed: {e}")))?;
    let mut out = (status, bytes).into_response();
    if let Some(ct) = content_type {
        out.headers_mut().insert(http::header::CONTENT_TYPE, ct);
    }
    Ok(out)
}

fn task_json(t: &Task) -> Value {
    json!({
        "id": t.id,
        "type": t.task_type,
        "status": t.status,
        "owner": t.owner,
        "input": t.input,
        "result": t.result,
        "message": t.message,
        "image_id": t.image_id,
        "request_id": t.request_id,
        "user_id": t.user_id,
        "created_at": t.created_at,
        "updated_at": t.updated_at,
        "expires_at": null,
        "deleted": false,
        "deleted_at": null,
    })
}

async fn image_tasks(State(api): State<ImageApi>, Caller(ctx): Caller, Path(id): Path<String>) -> ApiResult {
    let tasks = api.service.tasks(&ctx, &id).await?;
    Ok(Json(json!({"tasks": tasks.iter().map(task_json).collect::<Vec<_>>()})).into_response())
}

/// `GET /v2/tasks`: admins only, as Glance's default policy; the list view
/// leaves out input, result and message.
async fn list_tasks(State(api): State<ImageApi>, Caller(ctx): Caller, RawQuery(query): RawQuery) -> ApiResult {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .into_owned()
        .collect();
    let limit = match pairs.iter().find(|(k, _)| k == "limit") {
        Some((_, v)) => v
            .parse::<usize>()
            .map_err(|_| ImageError::BadRequest("limit param must be an integer".into()))?,
        None => 25,
    };
    let tasks = api.service.all_tasks(&ctx).await?;
    let page: Vec<Value> = tasks
        .iter()
        .take(limit)
        .map(|t| {
            let mut v = task_json(t);
            if let Some(m) = v.as_object_mut() {
                for field in [
                    "input",
                    "result",
                    "message",
                    "deleted",
                    "deleted_at",
                    "image_id",
                    "request_id",
                    "user_id",
                ] {
                    m.remove(field);
                }
                m.insert("self".into(), json!(format!("/v2/tasks/{}", t.id)));
                m.insert("schema".into(), json!("/v2/schemas/task"));
            }
            v
        })
        .collect();
    let mut body = json!({"tasks": page, "first": "/v2/tasks", "schema": "/v2/schemas/tasks"});
    // Like Glance, a full page links to the next one.
    if limit > 0 && page.len() == limit {
        if let Some(last) = tasks.get(limit - 1) {
            body["next"] = json!(format!("/v2/tasks?limit={limit}&marker={}", last.id));
        }
    }
    Ok(Json(body).into_response())
}

async fn info_import(State(api): State<ImageApi>, Caller(_ctx): Caller) -> ApiResult {
    Ok(Json(json!({"import-methods": {
        "description": "Import methods available.",
        "type": "array",
        "value": api.service.import_methods(),
    }}))
    .into_response())
}

async fn info_stores(State(api): State<ImageApi>, Caller(_ctx): Caller) -> ApiResult {
    let stores: Vec<Value> = api
        .service
        .stores()
        .iter()
        .map(|s| {
            let mut v = json!({"id": s.id()});
            if s.id() == api.service.default_store_id() {
                v["default"] = json!("true");
            }
            v
        })
        .collect();
    Ok(Json(json!({"stores": stores})).into_response())
}

async fn info_stores_detail(State(api): State<ImageApi>, Caller(ctx): Caller) -> ApiResult {
    if !ctx.is_admin() {
        return Err(ImageError::Forbidden(
            "You are not authorized to complete stores_info_detail action.".into(),
        ));
    }
    let stores: Vec<Value> = api
        .service
        .stores()
        .iter()
        .map(|s| {
            let properties: Map<String, Value> = s.properties().into_iter().map(|(k, v)| (k, json!(v))).collect();
            let mut v = json!({"id": s.id(), "type": s.kind(), "weight": 0, "properties": properties});
            if s.id() == api.service.default_store_id() {
                v["default"] = json!("true");
            }
            v
        })
        .collect();
    Ok(Json(json!({"stores": stores})).into_response())
}

async fn delete_from_store(
    State(api): State<ImageApi>,
    Caller(ctx): Caller,
    Path((store, id)): Path<(String, String)>,
) -> ApiResult {
    api.service.delete_from_store(&ctx, &store, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn info_usage(State(api): State<ImageApi>, Caller(ctx): Caller) -> ApiResult {
    let mut usage = Map::new();
    for (resource, limit, used) in api.service.usage(&ctx).await? {
        usage.insert(resource.to_owned(), json!({"limit": limit, "usage": used}));
    }
    Ok(Json(json!({"usage": usage})).into_response())
}

async fn download(
    State(api): State<ImageApi>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    let range = headers
        .get(http::header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(RangeRequest::parse);
    match api.service.download(&ctx, &id, range).await? {
        Download::NoData => Ok(StatusCode::NO_CONTENT.into_response()),
        Download::Data {
            stream,
            size,
            range,
            checksum,
        } => {
            let mut res = Response::new(Body::from_stream(stream));
            let h = res.headers_mut();
            h.insert(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            );
            if let Some(md5) = checksum.and_then(|c| HeaderValue::from_str(&c).ok()) {
                h.insert("content-md5", md5);
            }
            let length = match range {
                Some(r) => {
                    *res.status_mut() = StatusCode::PARTIAL_CONTENT;
                    let cr = format!("bytes {}-{}/{}", r.start, r.end_inclusive, size);
                    if let Ok(v) = HeaderValue::from_str(&cr) {
                        res.headers_mut().insert(http::header::CONTENT_RANGE, v);
                    }
                    r.end_inclusive - r.start + 1
                }
                None => size,
            };
            res.headers_mut()
                .insert(http::header::CONTENT_LENGTH, HeaderValue::from(length));
            Ok(res)
        }
    }
}

async fn add_tag(
    State(api): State<ImageApi>,
    Caller(ctx): Caller,
    Path((id, tag)): Path<(String, String)>,
) -> ApiResult {
    api.service.add_tag(&ctx, &id, &tag).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn remove_tag(
    State(api): State<ImageApi>,
    Caller(ctx): Caller,
    Path((id, tag)): Path<(String, String)>,
) -> ApiResult {
    api.service.remove_tag(&ctx, &id, &tag).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn deactivate(State(api): State<ImageApi>, Caller(ctx): Caller, Path(id): Path<String>) -> ApiResult {
    api.service.deactivate(&ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn reactivate(State(api): State<ImageApi>, Caller(ctx): Caller, Path(id): Path<String>) -> ApiResult {
    api.service.reactivate(&ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ---- members ---------------------------------------------------------------

async fn list_members(State(api): State<ImageApi>, Caller(ctx): Caller, Path(id): Path<String>) -> ApiResult {
    let members = api.service.members(&ctx, &id).await?;
    let list: Vec<Value> = members.iter().map(member_json).collect();
    Ok(Json(json!({"members": list, "schema": "/v2/schemas/members"})).into_response())
}

async fn show_member(
    State(api): State<ImageApi>,
    Caller(ctx): Caller,
    Path((id, member)): Path<(String, String)>,
) -> ApiResult {
    Ok(Json(member_json(&api.service.member(&ctx, &id, &member).await?)).into_response())
}

async fn add_member(
    State(api): State<ImageApi>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let body = parse_json(&body)?;
    let member = body
        .get("member")
        .and_then(Value::as_str)
        .filter(|m| !m.is_empty() && m.len() <= 255)
        .ok_or_else(|| ImageError::BadRequest("Member to be added not specified".into()))?;
    let member = api.service.add_member(&ctx, &id, member).await?;
    Ok(Json(member_json(&member)).into_response())
}

async fn update_member(
    State(api): State<ImageApi>,
    Caller(ctx): Caller,
    Path((id, member)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let body = parse_json(&body)?;
    let status: MemberStatus = body
        .get("status")
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| ImageError::BadRequest("Status must be one of: pending, accepted, rejected".into()))?;
    let member = api.service.set_member_status(&ctx, &id, &member, status).await?;
    Ok(Json(member_json(&member)).into_response())
}

async fn remove_member(
    State(api): State<ImageApi>,
    Caller(ctx): Caller,
    Path((id, member)): Path<(String, String)>,
) -> ApiResult {
    api.service.remove_member(&ctx, &id, &member).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
