//! Metadata definitions (Glance "metadefs"): namespaces of suggested
//! properties, objects and tags, and the resource types they apply to.
//! Reading follows namespace visibility; writing is for admins, as Glance's
//! default policy has it. The catalogue in `catalogue/` is loaded at start-up.

use std::path::Path;

use serde_json::{json, Map, Value};

use crate::auth::RequestContext;
use crate::db::ImageDb;
use crate::model::now_timestamp;
use crate::ImageError;

pub const KINDS: [&str; 3] = ["object", "property", "tag"];

/// Who writes a definition: Glance's catalogue loader leaves `updated_at`
/// unset, its API sets it at creation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Catalogue,
    Request,
}

impl Origin {
    fn updated_at(self, now: &str) -> Option<String> {
        (self == Origin::Request).then(|| now.to_owned())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Namespace {
    pub namespace: String,
    pub display_name: Option<String>,
    pub description: Option<String>,
    /// `public` or `private`.
    pub visibility: String,
    pub protected: bool,
    pub owner: Option<String>,
    pub created_at: String,
    /// `None` for what the catalogue loader wrote and nothing changed since:
    /// Glance shows `updated_at` only where its column is set.
    pub updated_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Association {
    pub resource_type: String,
    pub prefix: Option<String>,
    pub properties_target: Option<String>,
    pub created_at: String,
    /// `None` for what the catalogue loader wrote and nothing changed since:
    /// Glance shows `updated_at` only where its column is set.
    pub updated_at: Option<String>,
}

/// An object, property or tag: its name and its JSON document.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub name: String,
    pub body: Value,
    pub created_at: String,
    /// `None` for what the catalogue loader wrote and nothing changed since:
    /// Glance shows `updated_at` only where its column is set.
    pub updated_at: Option<String>,
}

fn forbidden(action: &str) -> ImageError {
    ImageError::Forbidden(format!("You are not authorized to complete {action} action."))
}

pub fn not_found(what: &str, name: &str) -> ImageError {
    ImageError::NotFound(format!("Metadata definition {what} not found for {what}={name}"))
}

pub fn can_see(ctx: &RequestContext, ns: &Namespace) -> bool {
    ctx.is_admin() || ns.visibility == "public" || (ns.owner.is_some() && ns.owner == ctx.project_id)
}

pub fn require_admin(ctx: &RequestContext, action: &str) -> Result<(), ImageError> {
    if ctx.is_admin() {
        Ok(())
    } else {
        Err(forbidden(action))
    }
}

const CATALOGUE_NAMESPACES: &str = include_str!("../catalogue/namespaces.json");
const CATALOGUE_RESOURCE_TYPES: &str = include_str!("../catalogue/resource_types.json");

/// Loads Glint's catalogue: namespaces that already exist are kept as they are,
/// the others owned by "admin" as Glance's loader has it.
pub async fn load_catalogue(db: &ImageDb) -> Result<usize, ImageError> {
    let namespaces: Vec<Value> =
        serde_json::from_str(CATALOGUE_NAMESPACES).map_err(|e| ImageError::Catalogue(e.to_string()))?;
    ensure_resource_types(db).await?;
    let mut loaded = 0;
    for doc in &namespaces {
        loaded += usize::from(load_namespace(db, doc, Some("admin")).await?);
    }
    Ok(loaded)
}

/// Loads a directory of namespace documents in Glance's `etc/metadefs/*.json`
/// format, as `glance-manage db_load_metadefs` does: every `.json` file (in
/// name order), namespaces already present kept as they are, `owner` "admin"
/// where a file names none. With Glance's own directory this gives Glint
/// Glance's standard catalogue; Glint's built-in one is then not loaded.
pub async fn load_namespace_dir(db: &ImageDb, dir: &Path) -> Result<usize, ImageError> {
    let unreadable = |e: std::io::Error| ImageError::Catalogue(format!("{}: {e}", dir.display()));
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(unreadable)? {
        let path = entry.map_err(unreadable)?.path();
        if path.extension().is_some_and(|e| e == "json") {
            files.push(path);
        }
    }
    files.sort();
    ensure_resource_types(db).await?;
    let mut loaded = 0;
    for path in files {
        let bad = |what: String| ImageError::Catalogue(format!("{}: {what}", path.display()));
        let text = std::fs::read_to_string(&path).map_err(|e| bad(e.to_string()))?;
        let doc: Value = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        // A document Glint refuses names the file; a database failure stays itself.
        let added = load_namespace(db, &doc, Some("admin")).await.map_err(|e| match e {
            ImageError::BadRequest(why) | ImageError::Conflict(why) => bad(why),
            other => other,
        })?;
        loaded += usize::from(added);
    }
    Ok(loaded)
}

/// The resource types Glance's database starts with.
async fn ensure_resource_types(db: &ImageDb) -> Result<(), ImageError> {
    let types: Vec<String> =
        serde_json::from_str(CATALOGUE_RESOURCE_TYPES).map_err(|e| ImageError::Catalogue(e.to_string()))?;
    for t in &types {
        db.ensure_resource_type(t).await?;
    }
    Ok(())
}

/// One catalogue namespace, unless one of that name exists: true if it was added.
async fn load_namespace(db: &ImageDb, doc: &Value, owner: Option<&str>) -> Result<bool, ImageError> {
    let name = doc["namespace"].as_str().unwrap_or_default();
    if name.is_empty() {
        return Err(ImageError::BadRequest("no \"namespace\" name".into()));
    }
    if db.metadef_namespace(name).await?.is_some() {
        return Ok(false);
    }
    create_namespace_doc(db, doc, owner, Origin::Catalogue).await?;
    Ok(true)
}

/// Creates a namespace with everything inside its document (as `POST
/// /v2/metadefs/namespaces` accepts: properties, objects, tags, associations).
pub async fn create_namespace_doc(
    db: &ImageDb,
    doc: &Value,
    owner: Option<&str>,
    origin: Origin,
) -> Result<Namespace, ImageError> {
    let Value::Object(m) = doc else {
        return Err(ImageError::BadRequest("A namespace must be a JSON object.".into()));
    };
    let name = match m.get("namespace") {
        Some(Value::String(s)) if !s.is_empty() && s.len() <= 80 => s.clone(),
        _ => {
            return Err(ImageError::BadRequest(
                "Namespace name is required (at most 80 characters).".into(),
            ))
        }
    };
    let visibility = match m.get("visibility").and_then(Value::as_str).unwrap_or("private") {
        v @ ("public" | "private") => v.to_owned(),
        other => return Err(ImageError::BadRequest(format!("Invalid visibility: {other}"))),
    };
    let now = now_timestamp();
    let ns = Namespace {
        namespace: name.clone(),
        display_name: m.get("display_name").and_then(Value::as_str).map(str::to_owned),
        description: m.get("description").and_then(Value::as_str).map(str::to_owned),
        visibility,
        protected: m.get("protected").and_then(Value::as_bool).unwrap_or(false),
        owner: m
            .get("owner")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or(owner.map(str::to_owned)),
        updated_at: origin.updated_at(&now),
        created_at: now,
    };
    db.insert_metadef_namespace(&ns).await?;
    // All or nothing: a namespace left half made would be kept as it is by the
    // next catalogue load, and an API client got an error for it.
    if let Err(e) = add_contents(db, &name, m, origin).await {
        if let Err(cleanup) = db.delete_metadef_namespace(&name).await {
            tracing::error!(namespace = %name, error = %cleanup, "could not remove a half-created namespace");
        }
        return Err(e);
    }
    Ok(ns)
}

/// A new namespace's properties, objects, tags and resource-type associations.
async fn add_contents(db: &ImageDb, name: &str, m: &Map<String, Value>, origin: Origin) -> Result<(), ImageError> {
    if let Some(Value::Object(props)) = m.get("properties") {
        for (pname, body) in props {
            put_item(db, name, "property", pname, &with_name(body, pname), origin).await?;
        }
    }
    for (key, kind) in [("objects", "object"), ("tags", "tag")] {
        if let Some(Value::Array(items)) = m.get(key) {
            for item in items {
                let iname = item["name"]
                    .as_str()
                    .ok_or_else(|| ImageError::BadRequest(format!("Every entry of '{key}' needs a name.")))?;
                put_item(db, name, kind, iname, item, origin).await?;
            }
        }
    }
    if let Some(Value::Array(assocs)) = m.get("resource_type_associations") {
        for a in assocs {
            associate(db, name, a, origin).await?;
        }
    }
    Ok(())
}

/// A namespace's objects, properties or tags in the order Glance lists them:
/// objects by name, tags newest first.
pub async fn listed(db: &ImageDb, namespace: &str, kind: &str) -> Result<Vec<Item>, ImageError> {
    let mut items = db.metadef_items(namespace, kind).await?;
    match kind {
        "tag" => items.reverse(),
        _ => items.sort_by(|a, b| a.name.cmp(&b.name)),
    }
    Ok(items)
}

/// Stores an object or property as Glance keeps it: Glance's property model
/// holds `default` as text, so `8` comes back as `"8"`, `true` as `"True"`,
/// and a list or object default as `null`.
pub async fn put_item(
    db: &ImageDb,
    namespace: &str,
    kind: &str,
    name: &str,
    body: &Value,
    origin: Origin,
) -> Result<(), ImageError> {
    let mut body = body.clone();
    match kind {
        "property" => default_as_text(&mut body),
        "object" => {
            if let Some(Value::Object(props)) = body.get_mut("properties") {
                props.values_mut().for_each(default_as_text);
            }
        }
        _ => {}
    }
    db.put_metadef_item(namespace, kind, name, &body, origin == Origin::Request)
        .await
}

fn default_as_text(property: &mut Value) {
    let Some(default) = property.get_mut("default") else {
        return;
    };
    *default = match default.take() {
        Value::Bool(true) => json!("True"),
        Value::Bool(false) => json!("False"),
        Value::Number(n) => json!(n.to_string()),
        text @ (Value::String(_) | Value::Null) => text,
        Value::Array(_) | Value::Object(_) => Value::Null,
    };
}

fn with_name(body: &Value, name: &str) -> Value {
    let mut b = body.clone();
    if let Value::Object(m) = &mut b {
        m.insert("name".into(), json!(name));
    }
    b
}

/// Associates a namespace with a resource type (created if new, as Glance does).
pub async fn associate(db: &ImageDb, namespace: &str, doc: &Value, origin: Origin) -> Result<Association, ImageError> {
    let rt = doc["name"]
        .as_str()
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ImageError::BadRequest("A resource type association needs a name.".into()))?;
    db.ensure_resource_type(rt).await?;
    let now = now_timestamp();
    let a = Association {
        resource_type: rt.to_owned(),
        prefix: doc["prefix"].as_str().map(str::to_owned),
        properties_target: doc["properties_target"].as_str().map(str::to_owned),
        updated_at: origin.updated_at(&now),
        created_at: now,
    };
    db.insert_association(namespace, &a).await?;
    Ok(a)
}

pub fn namespace_json(ns: &Namespace, assocs: &[Association]) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("namespace".into(), json!(ns.namespace));
    if let Some(d) = &ns.display_name {
        m.insert("display_name".into(), json!(d));
    }
    if let Some(d) = &ns.description {
        m.insert("description".into(), json!(d));
    }
    m.insert("visibility".into(), json!(ns.visibility));
    m.insert("protected".into(), json!(ns.protected));
    // Never `null`: python-glanceclient validates lists against the schema, where
    // `owner` is a string (catalogues loaded before owner "admin" have none).
    if let Some(owner) = &ns.owner {
        m.insert("owner".into(), json!(owner));
    }
    m.insert("created_at".into(), json!(ns.created_at));
    if let Some(updated) = &ns.updated_at {
        m.insert("updated_at".into(), json!(updated));
    }
    if !assocs.is_empty() {
        m.insert(
            "resource_type_associations".into(),
            Value::Array(assocs.iter().map(association_json).collect()),
        );
    }
    m.insert("schema".into(), json!("/v2/schemas/metadefs/namespace"));
    m.insert(
        "self".into(),
        json!(format!("/v2/metadefs/namespaces/{}", ns.namespace)),
    );
    m
}

pub fn association_json(a: &Association) -> Value {
    let mut v = json!({"name": a.resource_type, "created_at": a.created_at});
    if let Some(updated) = &a.updated_at {
        v["updated_at"] = json!(updated);
    }
    if let Some(p) = &a.prefix {
        v["prefix"] = json!(p);
    }
    if let Some(t) = &a.properties_target {
        v["properties_target"] = json!(t);
    }
    v
}

/// The JSON Schemas under `/v2/schemas/metadefs/*`.
pub fn schema(name: &str) -> Option<Value> {
    let stamp = json!({"type": "string", "readOnly": true, "format": "date-time"});
    let namespace_props = json!({
        "namespace": {"type": "string", "maxLength": 80, "description": "The unique namespace text."},
        "display_name": {"type": "string", "maxLength": 80},
        "description": {"type": "string", "maxLength": 500},
        "visibility": {"type": "string", "enum": ["public", "private"]},
        "protected": {"type": "boolean"},
        "owner": {"type": "string", "maxLength": 255},
        "created_at": stamp, "updated_at": stamp,
        "schema": {"type": "string", "readOnly": true}, "self": {"type": "string", "readOnly": true},
        "resource_type_associations": {"type": "array"}, "properties": {"type": "object"},
        "objects": {"type": "array"}, "tags": {"type": "array"}
    });
    let property = json!({"name": {"type": "string", "maxLength": 255}, "title": {"type": "string"},
        "description": {"type": "string"}, "type": {"type": "string", "enum": ["array", "boolean", "integer", "number", "object", "string", null]},
        "enum": {"type": "array"}, "default": {}, "minimum": {"type": "number"}, "maximum": {"type": "number"},
        "readonly": {"type": "boolean"}});
    let object = json!({"name": {"type": "string", "maxLength": 255}, "description": {"type": "string"},
        "required": {"type": "array", "items": {"type": "string"}}, "properties": {"type": "object"},
        "created_at": stamp, "updated_at": stamp, "schema": {"type": "string", "readOnly": true}, "self": {"type": "string", "readOnly": true}});
    let tag = json!({"name": {"type": "string", "maxLength": 255}, "created_at": stamp, "updated_at": stamp});
    let rta = json!({"name": {"type": "string", "maxLength": 80}, "prefix": {"type": "string", "maxLength": 80},
        "properties_target": {"type": "string", "maxLength": 80}, "created_at": stamp, "updated_at": stamp});
    let single = |n: &str, props: &Value, required: Value| json!({"name": n, "properties": props, "required": required, "additionalProperties": false});
    let list = |n: &str, key: &str, item: Value| {
        json!({"name": n, "properties": {key: {"type": "array", "items": item},
        "first": {"type": "string"}, "next": {"type": "string"}, "schema": {"type": "string"}}, "links": [{"rel": "first", "href": "{first}"}, {"rel": "next", "href": "{next}"}, {"rel": "describedby", "href": "{schema}"}]})
    };
    Some(match name {
        "namespace" => namespace_schema(stamp),
        "namespaces" => list(
            "namespaces",
            "namespaces",
            single("namespace", &namespace_props, json!(["namespace"])),
        ),
        "object" => single("object", &object, json!(["name"])),
        "objects" => list("objects", "objects", single("object", &object, json!(["name"]))),
        "property" => single("property", &property, json!(["name", "title", "type"])),
        "properties" => {
            json!({"name": "properties", "properties": {"properties": {"type": "object", "additionalProperties": single("property", &property, json!(["title", "type"]))}}})
        }
        "tag" => single("tag", &tag, json!(["name"])),
        "tags" => list("tags", "tags", single("tag", &tag, json!(["name"]))),
        // Glance serves these at `…/resource_type(s)` under the association's name.
        "resource_type" => single("resource_type_association", &rta, json!(["name"])),
        "resource_types" => list(
            "resource_type_associations",
            "resource_type_associations",
            single("resource_type_association", &rta, json!(["name"])),
        ),
        _ => return None,
    })
}

/// `/v2/schemas/metadefs/namespace`: a namespace with its properties, objects
/// and tags inline, the property definition shared through `definitions`
/// (the structure glanceclient reads; descriptions are Glint's).
fn namespace_schema(stamp: Value) -> Value {
    let text = |description: &str, max: u64| json!({"type": "string", "description": description, "maxLength": max});
    let kinds = json!(["array", "boolean", "integer", "number", "object", "string", null]);
    let property = json!({
        "type": "object",
        "additionalProperties": {
            "type": "object",
            "required": ["title", "type"],
            "properties": {
                "name": {"type": "string", "maxLength": 80},
                "title": {"type": "string"},
                "description": {"type": "string"},
                "operators": {"type": "array", "items": {"type": "string"}},
                "type": {"type": "string", "enum": kinds},
                "required": {"$ref": "#/definitions/stringArray"},
                "minimum": {"type": "number"},
                "maximum": {"type": "number"},
                "maxLength": {"$ref": "#/definitions/positiveInteger"},
                "minLength": {"$ref": "#/definitions/positiveIntegerDefault0"},
                "pattern": {"type": "string", "format": "regex"},
                "enum": {"type": "array"},
                "readonly": {"type": "boolean"},
                "default": {},
                "items": {"type": "object", "properties": {"type": {"type": "string", "enum": kinds}, "enum": {"type": "array"}}},
                "maxItems": {"$ref": "#/definitions/positiveInteger"},
                "minItems": {"$ref": "#/definitions/positiveIntegerDefault0"},
                "uniqueItems": {"type": "boolean", "default": false},
                "additionalItems": {"type": "boolean"}
            }
        }
    });
    let described = |description: &str| {
        let mut v = stamp.clone();
        v["description"] = json!(description);
        v
    };
    json!({
        "name": "namespace",
        "properties": {
            "namespace": text("Unique name of the namespace.", 80),
            "display_name": text("Name shown to people instead of the namespace.", 80),
            "description": text("What the namespace's definitions are for.", 500),
            "visibility": {"type": "string", "description": "Who can see the namespace.", "enum": ["public", "private"]},
            "protected": {"type": "boolean", "description": "Whether the namespace can be deleted."},
            "owner": text("Project owning the namespace.", 255),
            "created_at": described("When the namespace was created."),
            "updated_at": described("When the namespace was last changed."),
            "schema": {"readOnly": true, "type": "string"},
            "self": {"readOnly": true, "type": "string"},
            "resource_type_associations": {"type": "array", "items": {"type": "object", "properties": {
                "name": {"type": "string"}, "prefix": {"type": "string"}, "properties_target": {"type": "string"}}}},
            "properties": {"$ref": "#/definitions/property"},
            "objects": {"type": "array", "items": {"type": "object", "properties": {
                "name": {"type": "string"}, "description": {"type": "string"},
                "required": {"$ref": "#/definitions/stringArray"}, "properties": {"$ref": "#/definitions/property"}}}},
            "tags": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}}}}
        },
        "additionalProperties": false,
        "definitions": {
            "positiveInteger": {"type": "integer", "minimum": 0},
            "positiveIntegerDefault0": {"allOf": [{"$ref": "#/definitions/positiveInteger"}, {"default": 0}]},
            "stringArray": {"type": "array", "items": {"type": "string"}, "uniqueItems": true},
            "property": property
        },
        "required": ["namespace"]
    })
}

/// An item's JSON as Glance shows it (objects carry schema/self links).
pub fn item_json(namespace: &str, kind: &str, item: &Item) -> Value {
    let mut v = item.body.clone();
    if let Value::Object(m) = &mut v {
        m.insert("name".into(), json!(item.name));
        if kind != "property" {
            m.insert("created_at".into(), json!(item.created_at));
            if let Some(updated) = &item.updated_at {
                m.insert("updated_at".into(), json!(updated));
            }
        }
        if kind == "object" {
            // Glance reads an object back with these two even when it was made without.
            m.entry("required").or_insert_with(|| json!([]));
            m.entry("properties").or_insert_with(|| json!({}));
            m.insert("schema".into(), json!("/v2/schemas/metadefs/object"));
            m.insert(
                "self".into(),
                json!(format!("/v2/metadefs/namespaces/{namespace}/objects/{}", item.name)),
            );
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_kept_as_glance_text() {
        let cases = [
            (json!(8), json!("8")),
            (json!(1.5), json!("1.5")),
            (json!(true), json!("True")),
            (json!(false), json!("False")),
            (json!("x"), json!("x")),
            (json!(["a"]), Value::Null),
            (json!({"a": 1}), Value::Null),
        ];
        for (given, kept) in cases {
            let mut property = json!({"title": "t", "type": "string", "default": given.clone()});
            default_as_text(&mut property);
            assert_eq!(property["default"], kept, "default {given}");
        }
        let mut no_default = json!({"title": "t"});
        default_as_text(&mut no_default);
        assert_eq!(no_default, json!({"title": "t"}));
    }
}
