//! The image service: every Glance operation as plain Rust over the
//! metadata database and the store. `api` maps HTTP onto it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use futures_util::StreamExt;
use glint_store::{ByteRange, ByteStream, StoreBackend, WriteLimits};
use serde_json::Value;

use crate::auth::RequestContext;
use crate::db::{ImageDb, UploadedData};
use crate::filter::ListQuery;
use crate::format::{inspect, matches_disk_format, INSPECT_BYTES};
use crate::model::Task;
use crate::model::{
    now_timestamp, Image, ImageStatus, Location, Member, MemberStatus, Visibility, CONTAINER_FORMATS, DISK_FORMATS,
};
use crate::policy;
use crate::quota::{self, LimitSource};
use crate::web_download::WebDownloadPolicy;
use crate::ImageError;

/// Glance's per-image caps (`glance/common/config.py` defaults).
#[derive(Debug, Clone)]
pub struct ImageLimits {
    pub max_image_size: u64,
    pub max_properties: usize,
    pub max_tags: usize,
    pub max_members: u64,
}

impl Default for ImageLimits {
    fn default() -> Self {
        Self {
            max_image_size: 1 << 40,
            max_properties: 128,
            max_tags: 128,
            max_members: 128,
        }
    }
}

/// Reserved properties an import keeps up to date, as Glance does.
const IMPORTING_TO_STORES: &str = "os_glance_importing_to_stores";
const FAILED_IMPORT: &str = "os_glance_failed_import";

/// Attributes clients may never set.
pub const READ_ONLY: &[&str] = &[
    "checksum",
    "created_at",
    "direct_url",
    "file",
    "os_hash_algo",
    "os_hash_value",
    "schema",
    "self",
    "size",
    "status",
    "updated_at",
    "virtual_size",
    "locations",
    "stores",
];
/// Attributes Glance keeps for itself.
pub const RESERVED: &[&str] = &["location", "deleted", "deleted_at"];

/// Refuses names of read-only and reserved attributes (403), as Glance.
pub fn check_writable(name: &str) -> Result<(), ImageError> {
    if READ_ONLY.contains(&name) {
        return Err(ImageError::Forbidden(format!("Attribute '{name}' is read-only.")));
    }
    if RESERVED.contains(&name) || name.starts_with("os_glance") {
        return Err(ImageError::Forbidden(format!("Attribute '{name}' is reserved.")));
    }
    Ok(())
}

/// A new image, as the client described it.
#[derive(Debug, Clone, Default)]
pub struct NewImage {
    pub id: Option<String>,
    pub name: Option<String>,
    pub visibility: Option<Visibility>,
    pub disk_format: Option<String>,
    pub container_format: Option<String>,
    pub protected: bool,
    pub os_hidden: bool,
    pub min_disk: u64,
    pub min_ram: u64,
    pub owner: Option<String>,
    pub tags: Vec<String>,
    pub properties: BTreeMap<String, String>,
}

/// One JSON-patch operation (RFC 6902 subset Glance accepts).
#[derive(Debug, Clone)]
pub enum PatchOp {
    Add {
        path: String,
        value: Value,
    },
    /// The 2.0 dialect's add: a conflict if the property exists.
    AddNew {
        path: String,
        value: Value,
    },
    Replace {
        path: String,
        value: Value,
    },
    Remove {
        path: String,
    },
}

/// What a download returns.
pub enum Download {
    /// The image has no data yet (Glance: 204).
    NoData,
    Data {
        stream: ByteStream,
        /// Total image size.
        size: u64,
        /// The range served, if one was asked for.
        range: Option<ByteRange>,
        checksum: Option<String>,
    },
}

pub struct ImageService {
    db: ImageDb,
    /// Every configured store, in configuration order.
    stores: Vec<Arc<dyn StoreBackend>>,
    multi_store: bool,
    /// Where data goes when the client names no store.
    default_store: Arc<dyn StoreBackend>,
    /// Where `PUT …/stage` keeps data until it is imported.
    staging: Arc<dyn StoreBackend>,
    limits: ImageLimits,
    /// `None`: quotas are off.
    quotas: Option<Arc<dyn LimitSource>>,
    import: ImportConfig,
}

/// The parts an image service runs on.
pub struct ImageBackends {
    pub stores: Vec<Arc<dyn StoreBackend>>,
    /// The id of one of `stores`.
    pub default_store: String,
    pub staging: Arc<dyn StoreBackend>,
    pub quotas: Option<Arc<dyn LimitSource>>,
    /// This node's stable id (see `ImageDb`): several nodes may share the database.
    pub node_id: String,
    /// The operator named the stores (Glance's `enabled_backends`): the
    /// multi-store API (2.8+) is on, even with one store.
    pub multi_store: bool,
}

/// Operator settings for interoperable import.
#[derive(Debug, Clone, Default)]
pub struct ImportConfig {
    pub web_download: WebDownloadPolicy,
    /// This node's own image URL as other nodes reach it (Glance's
    /// `worker_self_reference_url`), e.g. `http://10.0.0.5:5050/image`.
    /// Staged data stays on the node that received it; with this set, the
    /// image records it (`os_glance_stage_host`) and a `glance-direct`
    /// import arriving at another node is forwarded here.
    pub self_url: Option<String>,
}

/// The image property naming the node that holds an image's staged data.
pub const STAGE_HOST_PROPERTY: &str = "os_glance_stage_host";

/// How `POST …/import` was asked to get the data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportMethod {
    GlanceDirect,
    WebDownload { uri: String },
    CopyImage,
}

impl ImportMethod {
    fn task_input(&self) -> serde_json::Value {
        match self {
            Self::GlanceDirect => serde_json::json!({"import_req": {"method": {"name": "glance-direct"}}}),
            Self::WebDownload { uri } => {
                serde_json::json!({"import_req": {"method": {"name": "web-download", "uri": uri}}})
            }
            Self::CopyImage => serde_json::json!({"import_req": {"method": {"name": "copy-image"}}}),
        }
    }
}

enum ImportSource {
    Staged,
    Web(crate::web_download::CheckedTarget),
    /// copy-image: these stores lack a copy.
    Copy(Vec<String>),
}

/// A whole `POST …/import` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRequest {
    pub method: ImportMethod,
    pub stores: Vec<String>,
    pub all_stores: bool,
    pub all_stores_must_succeed: bool,
}

impl ImportRequest {
    fn task_input(&self, image_id: &str, targets: &[String]) -> serde_json::Value {
        let mut input = self.method.task_input();
        input["image_id"] = serde_json::json!(image_id);
        input["backend"] = serde_json::json!(targets);
        input
    }
}

fn require_formats(image: &Image) -> Result<String, ImageError> {
    match (&image.disk_format, &image.container_format) {
        (Some(disk), Some(_)) => Ok(disk.clone()),
        _ => Err(ImageError::BadRequest(
            "Properties disk_format, container_format must be set prior to saving data.".into(),
        )),
    }
}

fn forbidden(action: &str) -> ImageError {
    ImageError::Forbidden(format!("You are not authorized to complete {action} action."))
}

fn not_found(id: &str) -> ImageError {
    ImageError::NotFound(format!("No image found with ID {id}"))
}

pub fn is_uuid(s: &str) -> bool {
    uuid::Uuid::try_parse(s).is_ok() && s.len() == 36
}

fn check_format(kind: &str, value: &Option<String>, allowed: &[&str]) -> Result<(), ImageError> {
    match value {
        Some(v) if !allowed.contains(&v.as_str()) => Err(ImageError::BadRequest(format!(
            "Invalid value '{v}' for '{kind}': it must be one of {}.",
            allowed.join(", ")
        ))),
        _ => Ok(()),
    }
}

fn check_tag(tag: &str) -> Result<(), ImageError> {
    if tag.is_empty() || tag.chars().count() > 255 {
        return Err(ImageError::BadRequest(format!(
            "Invalid tag '{tag}': tags are 1 to 255 characters."
        )));
    }
    Ok(())
}

impl ImageService {
    pub async fn open(
        pool: glint_metadata::MetadataPool,
        backends: ImageBackends,
        limits: ImageLimits,
        import: ImportConfig,
    ) -> Result<Arc<Self>, ImageError> {
        let db = ImageDb::new(pool, backends.node_id.clone()).await?;
        let default_store = backends
            .stores
            .iter()
            .find(|s| s.id() == backends.default_store)
            .cloned()
            .ok_or_else(|| {
                ImageError::Internal(format!("default store {} is not configured", backends.default_store))
            })?;
        Ok(Arc::new(Self {
            db,
            multi_store: backends.multi_store || backends.stores.len() > 1,
            stores: backends.stores,
            default_store,
            staging: backends.staging,
            limits,
            quotas: backends.quotas,
            import,
        }))
    }

    /// The metadata database, for the metadefs catalogue (plain CRUD, no image state).
    pub fn db(&self) -> &ImageDb {
        &self.db
    }

    pub fn default_store_id(&self) -> &str {
        self.default_store.id()
    }

    pub fn stores(&self) -> &[Arc<dyn StoreBackend>] {
        &self.stores
    }

    /// Stores configured by name (or several): the multi-store API (2.8+) is on.
    pub fn multi_store(&self) -> bool {
        self.multi_store
    }

    fn store(&self, id: &str) -> Result<&Arc<dyn StoreBackend>, ImageError> {
        self.stores
            .iter()
            .find(|s| s.id() == id)
            .ok_or_else(|| ImageError::BadRequest(format!("Store for identifier {id} not found")))
    }

    async fn delete_locations(&self, locations: &[Location]) -> Result<(), ImageError> {
        for loc in locations {
            self.store(&loc.store_id)?.delete(&loc.location).await?;
        }
        Ok(())
    }

    /// Finishes what a crash interrupted: purges images deleted but not
    /// purged, returns `saving` images to `queued`, and removes store blobs no
    /// image points at. Returns how many blobs were removed.
    pub async fn recover(&self) -> Result<usize, ImageError> {
        for image in self.db.unfinished().await? {
            match image.status {
                ImageStatus::Deleted => {
                    self.delete_locations(&image.locations).await?;
                    self.staging.delete(&image.id).await?;
                    self.db.purge(&image.id).await?;
                }
                ImageStatus::Importing => {
                    // Staged data survives: the user may import again.
                    let back_to = if self.db.staged_size(&image.id).await?.is_some() {
                        ImageStatus::Uploading
                    } else {
                        ImageStatus::Queued
                    };
                    self.db.transition(&image.id, ImageStatus::Importing, back_to).await?;
                }
                _ => {
                    self.db
                        .transition(&image.id, ImageStatus::Saving, ImageStatus::Queued)
                        .await?;
                }
            }
        }
        self.db.fail_unfinished_tasks().await?;
        let referenced: std::collections::HashSet<(String, String)> = self
            .db
            .referenced_locations()
            .await?
            .into_iter()
            .map(|l| (l.store_id, l.location))
            .collect();
        let mut removed = 0;
        // Only local directories are swept: a Swift container or S3 bucket may be
        // shared with other nodes (or other deployments) whose objects are not in
        // this database, and their own writes clean up after failures.
        for store in self.stores.iter().filter(|s| s.kind() == "file") {
            for location in store.list().await? {
                if !referenced.contains(&(store.id().to_owned(), location.clone())) {
                    tracing::warn!(store = store.id(), %location, "removing orphaned image data");
                    store.delete(&location).await?;
                    removed += 1;
                }
            }
        }
        let staged: std::collections::HashSet<String> = self.db.staged_image_ids().await?.into_iter().collect();
        for location in self.staging.list().await? {
            if !staged.contains(&location) {
                tracing::warn!(%location, "removing orphaned staged data");
                self.staging.delete(&location).await?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// The image if the caller may see it; 404 otherwise.
    pub async fn get(&self, ctx: &RequestContext, id: &str) -> Result<Image, ImageError> {
        self.visible_image(ctx, id, not_found).await
    }

    async fn visible_image(
        &self,
        ctx: &RequestContext,
        id: &str,
        missing: impl Fn(&str) -> ImageError,
    ) -> Result<Image, ImageError> {
        if !is_uuid(id) {
            return Err(missing(id));
        }
        let image = self.db.get(id).await?.ok_or_else(|| missing(id))?;
        let membership = match (&ctx.project_id, image.visibility) {
            (Some(p), Visibility::Shared) if !ctx.is_admin() => self.db.membership(id, p).await?,
            _ => None,
        };
        if !policy::visible(ctx, &image, membership) {
            return Err(missing(id));
        }
        Ok(image)
    }

    pub async fn list(&self, ctx: &RequestContext, query: &ListQuery) -> Result<Vec<Image>, ImageError> {
        let marker = match &query.marker {
            Some(m) => Some(
                self.visible_image(ctx, m, |id| {
                    ImageError::BadRequest(format!("No image found with ID {id}"))
                })
                .await?,
            ),
            None => None,
        };
        self.db.list(ctx, query, marker.as_ref()).await
    }

    pub async fn create(&self, ctx: &RequestContext, new: NewImage) -> Result<Image, ImageError> {
        if !policy::may_create(ctx) {
            return Err(forbidden("add_image"));
        }
        let visibility = new.visibility.unwrap_or(Visibility::Shared);
        if !policy::may_set_visibility(ctx, visibility) {
            return Err(forbidden("publicize_image"));
        }
        let owner = match new.owner {
            Some(owner) if !policy::may_set_owner(ctx, &owner) => {
                return Err(ImageError::Forbidden(
                    "You are not permitted to create images owned by another project.".into(),
                ))
            }
            Some(owner) => Some(owner),
            None => ctx.project_id.clone(),
        };
        check_format("disk_format", &new.disk_format, DISK_FORMATS)?;
        check_format("container_format", &new.container_format, CONTAINER_FORMATS)?;
        for tag in &new.tags {
            check_tag(tag)?;
        }
        if new.tags.len() > self.limits.max_tags {
            return Err(ImageError::TooLarge(format!(
                "Maximum number of tags exceeded: {}.",
                self.limits.max_tags
            )));
        }
        if new.properties.len() > self.limits.max_properties {
            return Err(ImageError::TooLarge(format!(
                "Maximum number of properties exceeded: {}.",
                self.limits.max_properties
            )));
        }
        let id = match new.id {
            Some(id) if is_uuid(&id) => id.to_lowercase(),
            Some(id) => {
                return Err(ImageError::BadRequest(format!(
                    "Invalid image id '{id}': it must be a UUID."
                )))
            }
            None => uuid::Uuid::new_v4().to_string(),
        };
        let mut tags = new.tags;
        tags.sort();
        tags.dedup();
        let image = Image {
            name: new.name,
            disk_format: new.disk_format,
            container_format: new.container_format,
            protected: new.protected,
            os_hidden: new.os_hidden,
            min_disk: new.min_disk,
            min_ram: new.min_ram,
            tags,
            properties: new.properties,
            ..Image::queued(id, owner, visibility)
        };
        self.enforce(&image, &[(quota::IMAGE_COUNT_TOTAL, 1)]).await?;
        self.db.insert(&image).await?;
        Ok(image)
    }

    pub async fn update(&self, ctx: &RequestContext, id: &str, ops: Vec<PatchOp>) -> Result<Image, ImageError> {
        let mut image = self.get(ctx, id).await?;
        if !policy::may_modify(ctx, &image) {
            return Err(forbidden("modify_image"));
        }
        let status = image.status;
        for op in ops {
            self.apply(ctx, &mut image, op)?;
        }
        if image.properties.len() > self.limits.max_properties {
            return Err(ImageError::TooLarge(format!(
                "Maximum number of properties exceeded: {}.",
                self.limits.max_properties
            )));
        }
        if image.tags.len() > self.limits.max_tags {
            return Err(ImageError::TooLarge(format!(
                "Maximum number of tags exceeded: {}.",
                self.limits.max_tags
            )));
        }
        image.updated_at = now_timestamp();
        if !self.db.update_metadata(&image, status).await? {
            return Err(ImageError::Conflict(format!(
                "Image {id} changed status while being updated; retry."
            )));
        }
        Ok(image)
    }

    fn apply(&self, ctx: &RequestContext, image: &mut Image, op: PatchOp) -> Result<(), ImageError> {
        let (path, value, kind) = match op {
            PatchOp::Add { path, value } => (path, Some(value), "add"),
            PatchOp::AddNew { path, value } => (path, Some(value), "add-new"),
            PatchOp::Replace { path, value } => (path, Some(value), "replace"),
            PatchOp::Remove { path } => (path, None, "remove"),
        };
        let name = path
            .strip_prefix('/')
            .filter(|n| !n.is_empty() && !n.contains('/'))
            .map(|n| n.replace("~1", "/").replace("~0", "~"))
            .ok_or_else(|| ImageError::BadRequest(format!("Invalid JSON pointer for this resource: '{path}'")))?;
        check_writable(&name)?;
        let bad_type = |want: &str| ImageError::BadRequest(format!("Invalid value for '{name}': expected {want}."));
        let base = matches!(
            name.as_str(),
            "name"
                | "visibility"
                | "protected"
                | "os_hidden"
                | "min_disk"
                | "min_ram"
                | "owner"
                | "disk_format"
                | "container_format"
                | "tags"
                | "id"
        );
        if base {
            let Some(value) = value else {
                return Err(ImageError::Forbidden(format!("Property {name} may not be removed.")));
            };
            match name.as_str() {
                "id" => return Err(ImageError::Forbidden("Attribute 'id' is read-only.".into())),
                "name" => {
                    image.name = match value {
                        Value::Null => None,
                        Value::String(s) if s.chars().count() <= 255 => Some(s),
                        _ => return Err(bad_type("a string of at most 255 characters")),
                    }
                }
                "visibility" => {
                    let v: Visibility = value
                        .as_str()
                        .and_then(|s| s.parse().ok())
                        .ok_or_else(|| bad_type("public, private, shared or community"))?;
                    if !policy::may_set_visibility(ctx, v) {
                        return Err(forbidden("publicize_image"));
                    }
                    image.visibility = v;
                }
                "protected" => image.protected = value.as_bool().ok_or_else(|| bad_type("a boolean"))?,
                "os_hidden" => image.os_hidden = value.as_bool().ok_or_else(|| bad_type("a boolean"))?,
                "min_disk" => image.min_disk = value.as_u64().ok_or_else(|| bad_type("a non-negative integer"))?,
                "min_ram" => image.min_ram = value.as_u64().ok_or_else(|| bad_type("a non-negative integer"))?,
                "owner" => {
                    let owner = value.as_str().ok_or_else(|| bad_type("a string"))?.to_owned();
                    if !ctx.is_admin() {
                        return Err(ImageError::Forbidden(
                            "Attribute 'owner' can only be changed by an administrator.".into(),
                        ));
                    }
                    image.owner = Some(owner);
                }
                "disk_format" | "container_format" => {
                    if image.status != ImageStatus::Queued {
                        return Err(ImageError::Forbidden(format!(
                            "Attribute {name} can be only replaced for a queued image."
                        )));
                    }
                    let v = match value {
                        Value::Null => None,
                        Value::String(s) => Some(s),
                        _ => return Err(bad_type("a string")),
                    };
                    if name == "disk_format" {
                        check_format("disk_format", &v, DISK_FORMATS)?;
                        image.disk_format = v;
                    } else {
                        check_format("container_format", &v, CONTAINER_FORMATS)?;
                        image.container_format = v;
                    }
                }
                _ => {
                    let tags: Vec<String> = value
                        .as_array()
                        .ok_or_else(|| bad_type("a list of strings"))?
                        .iter()
                        .map(|t| {
                            t.as_str()
                                .map(str::to_owned)
                                .ok_or_else(|| bad_type("a list of strings"))
                        })
                        .collect::<Result<_, _>>()?;
                    for t in &tags {
                        check_tag(t)?;
                    }
                    let mut tags = tags;
                    tags.sort();
                    tags.dedup();
                    image.tags = tags;
                }
            }
            return Ok(());
        }
        match (kind, value) {
            ("remove", _) => {
                if image.properties.remove(&name).is_none() {
                    return Err(ImageError::Conflict(format!("Property {name} does not exist.")));
                }
            }
            (kind, Some(Value::String(s))) => {
                if name.chars().count() > 255 {
                    return Err(ImageError::BadRequest(
                        "Property names are at most 255 characters.".into(),
                    ));
                }
                if kind == "replace" && !image.properties.contains_key(&name) {
                    return Err(ImageError::Conflict(format!("Property {name} does not exist.")));
                }
                if kind == "add-new" && image.properties.contains_key(&name) {
                    return Err(ImageError::Conflict(format!("Property {name} already present.")));
                }
                image.properties.insert(name, s);
            }
            _ => return Err(bad_type("a string")),
        }
        Ok(())
    }

    pub async fn delete(&self, ctx: &RequestContext, id: &str) -> Result<(), ImageError> {
        let missing = |id: &str| ImageError::NotFound(format!("Failed to find image {id} to delete"));
        let image = self.visible_image(ctx, id, missing).await?;
        if !policy::may_modify(ctx, &image) {
            return Err(forbidden("delete_image"));
        }
        if image.protected {
            return Err(ImageError::Forbidden(format!(
                "Image {id} is protected and cannot be deleted."
            )));
        }
        if !self.db.mark_deleted(id).await? {
            // Someone else deleted or protected it in between.
            return match self.db.get(id).await? {
                Some(i) if i.protected => Err(ImageError::Forbidden(format!(
                    "Image {id} is protected and cannot be deleted."
                ))),
                _ => Err(missing(id)),
            };
        }
        self.staging.delete(id).await?;
        // Read the locations after the mark: an upload may have finished in between.
        let locations = self.db.locations(id).await?;
        if let Err(e) = self.delete_locations(&locations).await {
            // The record stays `deleted`; recovery removes the data later.
            tracing::error!(image = %id, error = %e, "could not remove image data; will retry at start-up");
            return Ok(());
        }
        self.db.purge(id).await
    }

    /// Streams `data` into a store (the default, or `store_id`) and activates
    /// the image. On any failure the image goes back to `queued` and no bytes remain.
    pub async fn upload(
        &self,
        ctx: &RequestContext,
        id: &str,
        data: ByteStream,
        expected_size: Option<u64>,
        store_id: Option<&str>,
    ) -> Result<(), ImageError> {
        let image = self.get(ctx, id).await?;
        if !policy::may_modify(ctx, &image) {
            return Err(forbidden("upload_image"));
        }
        let store = match store_id {
            Some(s) => self.store(s)?.clone(),
            None => self.default_store.clone(),
        };
        let disk_format = require_formats(&image)?;
        self.check_size_cap(expected_size)?;
        self.enforce(
            &image,
            &[(quota::IMAGE_SIZE_TOTAL, 0), (quota::IMAGE_COUNT_UPLOADING, 1)],
        )
        .await?;
        if !self.db.transition(id, ImageStatus::Queued, ImageStatus::Saving).await? {
            return Err(self.transition_conflict(id, ImageStatus::Saving).await?);
        }
        self.store_and_activate(id, &disk_format, data, expected_size, ImageStatus::Saving, &store)
            .await
    }

    fn check_size_cap(&self, expected_size: Option<u64>) -> Result<(), ImageError> {
        match expected_size {
            Some(size) if size > self.limits.max_image_size => Err(ImageError::TooLarge(format!(
                "Image exceeds the storage quota: the image size cap is {} bytes.",
                self.limits.max_image_size
            ))),
            _ => Ok(()),
        }
    }

    async fn transition_conflict(&self, id: &str, to: ImageStatus) -> Result<ImageError, ImageError> {
        let now = self.db.get(id).await?.map(|i| i.status).unwrap_or(ImageStatus::Deleted);
        Ok(ImageError::Conflict(format!(
            "Image status transition from {now} to {to} is not allowed"
        )))
    }

    /// Writes `data` to the image store with format inspection and activates
    /// the image, which must be in `from`. On failure it returns to `queued`
    /// and nothing stays in the store.
    async fn store_and_activate(
        &self,
        id: &str,
        disk_format: &str,
        data: ByteStream,
        expected_size: Option<u64>,
        from: ImageStatus,
        store: &Arc<dyn StoreBackend>,
    ) -> Result<(), ImageError> {
        // Keep the first bytes for format inspection while the rest streams.
        let head = Arc::new(Mutex::new(Vec::with_capacity(INSPECT_BYTES)));
        let head_in = head.clone();
        let tapped: ByteStream = Box::pin(data.map(move |chunk| {
            if let Ok(bytes) = &chunk {
                if let Ok(mut h) = head_in.lock() {
                    let room = INSPECT_BYTES.saturating_sub(h.len());
                    if room > 0 {
                        h.extend_from_slice(&bytes[..room.min(bytes.len())]);
                    }
                }
            }
            chunk
        }));
        let limits = WriteLimits {
            expected_size,
            max_size: self.limits.max_image_size,
        };
        let blob = match store.put(id, tapped, limits).await {
            Ok(blob) => blob,
            Err(e) => {
                self.db.transition(id, from, ImageStatus::Queued).await?;
                return Err(e.into());
            }
        };
        let inspection = {
            let h = head
                .lock()
                .map_err(|_| ImageError::Internal("inspection buffer poisoned".into()))?;
            inspect(&h, blob.size)
        };
        let refusal = if let Some(reason) = inspection.unsafe_reason.clone() {
            Some(ImageError::BadRequest(format!(
                "Image disallowed by format safety check: {reason}."
            )))
        } else if !matches_disk_format(disk_format, inspection.format) {
            Some(ImageError::FormatMismatch(format!(
                "Image disk_format {disk_format} does not match stream data {}",
                inspection.format.as_str()
            )))
        } else {
            None
        };
        if let Some(error) = refusal {
            store.delete(&blob.location).await?;
            self.db.transition(id, from, ImageStatus::Queued).await?;
            return Err(error);
        }
        let data = UploadedData {
            size: blob.size,
            // Declared raw, the data is taken as raw whatever it looks like.
            virtual_size: if disk_format == "raw" {
                Some(blob.size)
            } else {
                inspection.virtual_size
            },
            checksum: blob.hashes.md5_hex.clone(),
            os_hash_algo: "sha512".into(),
            os_hash_value: blob.hashes.sha512_hex.clone(),
            location: Location {
                store_id: store.id().to_owned(),
                location: blob.location.clone(),
            },
        };
        if !self.db.activate_from(id, from, &data).await? {
            store.delete(&blob.location).await?;
            return Err(ImageError::Gone(format!(
                "Image {id} could not be found after upload. The image may have been deleted during the upload."
            )));
        }
        Ok(())
    }

    // ---- quotas --------------------------------------------------------------

    /// Checks `(resource, delta)` pairs against the owner's limits, if quotas are on.
    async fn enforce(&self, image: &Image, checks: &[(&str, i64)]) -> Result<(), ImageError> {
        let Some(owner) = image.owner.as_deref() else {
            return Ok(());
        };
        self.enforce_project(owner, checks).await
    }

    async fn enforce_project(&self, project_id: &str, checks: &[(&str, i64)]) -> Result<(), ImageError> {
        let Some(source) = &self.quotas else { return Ok(()) };
        let limits = source.project_limits(project_id).await?;
        // Counting usage scans the project's images: skip it when nothing checked is limited.
        if checks
            .iter()
            .all(|(resource, _)| limits.get(*resource).is_some_and(|l| *l < 0))
        {
            return Ok(());
        }
        let usage = self.db.usage(project_id).await?;
        for (resource, delta) in checks {
            quota::check(project_id, &limits, &usage, resource, *delta)?;
        }
        Ok(())
    }

    /// `GET /v2/info/usage`: (resource, limit, usage) for the caller's project.
    pub async fn usage(&self, ctx: &RequestContext) -> Result<Vec<(&'static str, i64, i64)>, ImageError> {
        let project = ctx.project_id.as_deref().unwrap_or_default();
        let usage = self.db.usage(project).await?;
        let limits = match &self.quotas {
            Some(source) => source.project_limits(project).await?,
            None => Default::default(),
        };
        Ok(quota::RESOURCES
            .iter()
            .map(|r| {
                (
                    *r,
                    if self.quotas.is_some() {
                        limits.get(*r).copied().unwrap_or(0)
                    } else {
                        -1
                    },
                    usage.get(r),
                )
            })
            .collect())
    }

    // ---- interoperable import ----------------------------------------------------

    /// Import methods this deployment offers, in Glance's order.
    pub fn import_methods(&self) -> Vec<&'static str> {
        let mut methods = vec!["glance-direct"];
        if !self.import.web_download.allowed_hosts.is_empty() {
            methods.push("web-download");
        }
        if self.multi_store() {
            methods.push("copy-image");
        }
        methods
    }

    /// `PUT /v2/images/{id}/stage`: queued → uploading, data in the staging store.
    pub async fn stage(
        &self,
        ctx: &RequestContext,
        id: &str,
        data: ByteStream,
        expected_size: Option<u64>,
    ) -> Result<(), ImageError> {
        let image = self.get(ctx, id).await?;
        if !policy::may_modify(ctx, &image) {
            return Err(forbidden("modify_image"));
        }
        self.check_size_cap(expected_size)?;
        self.enforce(
            &image,
            &[(quota::IMAGE_STAGE_TOTAL, 0), (quota::IMAGE_COUNT_UPLOADING, 1)],
        )
        .await?;
        if !self
            .db
            .transition(id, ImageStatus::Queued, ImageStatus::Uploading)
            .await?
        {
            return Err(self.transition_conflict(id, ImageStatus::Uploading).await?);
        }
        let limits = WriteLimits {
            expected_size,
            max_size: self.limits.max_image_size,
        };
        match self.staging.put(id, data, limits).await {
            Ok(blob) => {
                self.db.set_staged_size(id, Some(blob.size)).await?;
                if let Some(url) = &self.import.self_url {
                    self.db.set_property(id, STAGE_HOST_PROPERTY, url).await?;
                }
                Ok(())
            }
            Err(e) => {
                self.db
                    .transition(id, ImageStatus::Uploading, ImageStatus::Queued)
                    .await?;
                Err(e.into())
            }
        }
    }

    /// Another node's image URL when `glance-direct` for image `id` must run
    /// there (its staged data is on that node); `None`: here.
    pub async fn stage_host_elsewhere(&self, ctx: &RequestContext, id: &str) -> Result<Option<String>, ImageError> {
        let Some(me) = &self.import.self_url else {
            return Ok(None);
        };
        let image = self.get(ctx, id).await?;
        Ok(image
            .properties
            .get(STAGE_HOST_PROPERTY)
            .filter(|host| *host != me && image.status == ImageStatus::Uploading)
            .cloned())
    }

    /// `POST /v2/images/{id}/import`: validates, records a task and starts the
    /// import in the background. Returns the task.
    pub async fn import(
        self: &Arc<Self>,
        ctx: &RequestContext,
        id: &str,
        request: ImportRequest,
        request_id: Option<String>,
    ) -> Result<Task, ImageError> {
        let image = self.get(ctx, id).await?;
        let copying = request.method == ImportMethod::CopyImage;
        // copy-image is an admin operation in Glance's default policy.
        let allowed = if copying {
            ctx.is_admin()
        } else {
            policy::may_modify(ctx, &image)
        };
        if !allowed {
            return Err(forbidden(if copying { "copy_image" } else { "import_image" }));
        }
        let targets = self.import_targets(&request)?;
        let (from, source) = match &request.method {
            ImportMethod::GlanceDirect => {
                if image.status != ImageStatus::Uploading {
                    return Err(ImageError::Conflict(
                        "Image needs to be staged before 'glance-direct' method can be used".into(),
                    ));
                }
                (ImageStatus::Uploading, ImportSource::Staged)
            }
            ImportMethod::WebDownload { uri } => {
                if image.status != ImageStatus::Queued {
                    return Err(ImageError::Conflict(format!(
                        "Image {id} must be in status 'queued' to import with 'web-download'."
                    )));
                }
                let target = self.import.web_download.check(uri).await?;
                (ImageStatus::Queued, ImportSource::Web(target))
            }
            ImportMethod::CopyImage => {
                if image.status != ImageStatus::Active {
                    return Err(ImageError::Conflict(format!("Image {id} must be active to be copied.")));
                }
                let missing: Vec<String> = targets
                    .iter()
                    .filter(|t| !image.locations.iter().any(|l| &l.store_id == *t))
                    .cloned()
                    .collect();
                if missing.is_empty() {
                    return Err(ImageError::Conflict(format!(
                        "Image {id} is already present in every requested store."
                    )));
                }
                (ImageStatus::Active, ImportSource::Copy(missing))
            }
        };
        let disk_format = require_formats(&image)?;
        self.enforce(&image, &[(quota::IMAGE_SIZE_TOTAL, 0)]).await?;
        if from != ImageStatus::Active && !self.db.transition(id, from, ImageStatus::Importing).await? {
            return Err(self.transition_conflict(id, ImageStatus::Importing).await?);
        }
        let now = now_timestamp();
        let task = Task {
            id: uuid::Uuid::new_v4().to_string(),
            task_type: "api_image_import".into(),
            status: "processing".into(),
            owner: image.owner.clone(),
            image_id: Some(id.to_owned()),
            request_id,
            user_id: Some(ctx.user_id.clone()),
            input: request.task_input(id, &targets),
            result: None,
            message: String::new(),
            created_at: now.clone(),
            updated_at: now,
        };
        self.db.insert_task(&task).await?;
        // Glance reports progress in two reserved properties.
        self.db
            .set_property(id, IMPORTING_TO_STORES, &targets.join(","))
            .await?;
        self.db.set_property(id, FAILED_IMPORT, "").await?;
        let service = self.clone();
        let (task_id, image_id) = (task.id.clone(), id.to_owned());
        let must_succeed = request.all_stores_must_succeed;
        tokio::spawn(async move {
            let outcome = service
                .run_import(&image_id, &disk_format, source, &targets, must_succeed)
                .await;
            let failed = if outcome.is_err() {
                targets.join(",")
            } else {
                String::new()
            };
            let progress = async {
                service.db.set_property(&image_id, IMPORTING_TO_STORES, "").await?;
                service.db.set_property(&image_id, FAILED_IMPORT, &failed).await
            };
            if let Err(e) = progress.await {
                tracing::error!(image = %image_id, error = %e, "could not record import progress");
            }
            let (status, message) = match &outcome {
                Ok(()) => ("success", String::new()),
                Err(e) => ("failure", e.to_string()),
            };
            if let Err(e) = outcome {
                tracing::warn!(image = %image_id, error = %e, "import failed");
            }
            let result = serde_json::json!({"image_id": image_id});
            if let Err(e) = service.db.finish_task(&task_id, status, &message, Some(result)).await {
                tracing::error!(task = %task_id, error = %e, "could not record the import's outcome");
            }
        });
        Ok(task)
    }

    /// The stores an import writes to, default store when none are named.
    fn import_targets(&self, request: &ImportRequest) -> Result<Vec<String>, ImageError> {
        if request.all_stores {
            return Ok(self.stores.iter().map(|s| s.id().to_owned()).collect());
        }
        if request.stores.is_empty() {
            return Ok(vec![self.default_store.id().to_owned()]);
        }
        for s in &request.stores {
            self.store(s)?;
        }
        Ok(request.stores.clone())
    }

    /// Copies an active image's data into more stores, checking the md5 of
    /// every copy. With `must_succeed` the first failure ends the task.
    async fn copy_to_stores(&self, id: &str, targets: &[String], must_succeed: bool) -> Result<(), ImageError> {
        let mut failures = Vec::new();
        for target in targets {
            if let Err(e) = self.copy_to_store(id, target).await {
                tracing::warn!(image = %id, store = %target, error = %e, "copy failed");
                if must_succeed {
                    return Err(e);
                }
                failures.push(format!("{target}: {e}"));
            }
        }
        if failures.is_empty() {
            Ok(())
        } else {
            Err(ImageError::Internal(format!("copies failed: {}", failures.join("; "))))
        }
    }

    async fn copy_to_store(&self, id: &str, target: &str) -> Result<(), ImageError> {
        let store = self.store(target)?.clone();
        let image = self.db.get(id).await?.ok_or_else(|| not_found(id))?;
        if image.locations.iter().any(|l| l.store_id == target) {
            return Ok(());
        }
        let source = image
            .locations
            .first()
            .ok_or_else(|| ImageError::Conflict(format!("Image {id} has no data.")))?;
        let data = self.store(&source.store_id)?.get(&source.location, None).await?;
        let limits = WriteLimits {
            expected_size: image.size,
            max_size: self.limits.max_image_size,
        };
        let blob = store.put(id, data, limits).await?;
        if image.checksum.as_deref() != Some(blob.hashes.md5_hex.as_str()) {
            store.delete(&blob.location).await?;
            return Err(ImageError::Internal(format!(
                "the copy of image {id} in store {target} does not match its checksum"
            )));
        }
        self.db
            .add_location(
                id,
                &Location {
                    store_id: target.to_owned(),
                    location: blob.location,
                },
            )
            .await
    }

    /// `DELETE /v2/stores/{store_id}/{image_id}` (2.10): drops one store's copy, never the last.
    pub async fn delete_from_store(&self, ctx: &RequestContext, store_id: &str, id: &str) -> Result<(), ImageError> {
        let image = self.get(ctx, id).await?;
        if !ctx.is_admin() {
            return Err(forbidden("delete_image_location"));
        }
        let store = self.store(store_id)?.clone();
        let location = image
            .locations
            .iter()
            .find(|l| l.store_id == store_id)
            .ok_or_else(|| ImageError::NotFound(format!("Image {id} has no data in store {store_id}.")))?;
        if !self.db.remove_location(id, store_id).await? {
            return Err(ImageError::Conflict(format!(
                "Cannot delete the last location of image {id}."
            )));
        }
        store.delete(&location.location).await?;
        Ok(())
    }

    async fn run_import(
        &self,
        id: &str,
        disk_format: &str,
        source: ImportSource,
        targets: &[String],
        must_succeed: bool,
    ) -> Result<(), ImageError> {
        let first = self
            .store(targets.first().map(String::as_str).unwrap_or(self.default_store.id()))?
            .clone();
        match source {
            ImportSource::Staged => {
                let expected = self.db.staged_size(id).await?;
                let staged = match self.staging.get(id, None).await {
                    Ok(s) => s,
                    Err(e) => {
                        self.db
                            .transition(id, ImageStatus::Importing, ImageStatus::Queued)
                            .await?;
                        return Err(e.into());
                    }
                };
                let outcome = self
                    .store_and_activate(id, disk_format, staged, expected, ImageStatus::Importing, &first)
                    .await;
                // Staged data is consumed either way, as Glance does.
                self.staging.delete(id).await?;
                self.db.set_staged_size(id, None).await?;
                self.db.remove_property(id, STAGE_HOST_PROPERTY).await?;
                outcome?;
                self.copy_to_stores(id, &targets[1..], must_succeed).await
            }
            ImportSource::Web(target) => {
                let stream = match target.fetch().await {
                    Ok(s) => s,
                    Err(e) => {
                        self.db
                            .transition(id, ImageStatus::Importing, ImageStatus::Queued)
                            .await?;
                        return Err(e);
                    }
                };
                self.store_and_activate(
                    id,
                    disk_format,
                    stream.data,
                    stream.size,
                    ImageStatus::Importing,
                    &first,
                )
                .await?;
                self.copy_to_stores(id, &targets[1..], must_succeed).await
            }
            ImportSource::Copy(missing) => self.copy_to_stores(id, &missing, must_succeed).await,
        }
    }

    pub async fn all_tasks(&self, ctx: &RequestContext) -> Result<Vec<Task>, ImageError> {
        if !ctx.is_admin() {
            return Err(forbidden("get_tasks"));
        }
        self.db.all_tasks().await
    }

    pub async fn tasks(&self, ctx: &RequestContext, id: &str) -> Result<Vec<Task>, ImageError> {
        self.get(ctx, id).await?;
        self.db.tasks_for_image(id).await
    }

    pub async fn download(
        &self,
        ctx: &RequestContext,
        id: &str,
        range: Option<RangeRequest>,
    ) -> Result<Download, ImageError> {
        let image = self.get(ctx, id).await?;
        if !policy::may_download(ctx) {
            return Err(forbidden("download_image"));
        }
        if image.status == ImageStatus::Deactivated && !ctx.is_admin() {
            return Err(ImageError::Forbidden(
                "The requested image has been deactivated. Image data download is forbidden.".into(),
            ));
        }
        let Some(size) = image.size.filter(|_| !image.locations.is_empty()) else {
            return Ok(Download::NoData);
        };
        let range = match range {
            None => None,
            Some(RangeRequest::Multiple) => {
                return Err(ImageError::BadRequest("Multiple ranges are not supported.".into()))
            }
            Some(r) => Some(r.resolve(size).ok_or(ImageError::RangeNotSatisfiable { size })?),
        };
        // The default store's copy first, then any other.
        let mut locations = image.locations.clone();
        locations.sort_by_key(|l| l.store_id != self.default_store.id());
        let mut last_error = None;
        for location in &locations {
            let Ok(store) = self.store(&location.store_id) else {
                continue;
            };
            match store.get(&location.location, range).await {
                Ok(stream) => {
                    return Ok(Download::Data {
                        stream,
                        size,
                        range,
                        checksum: image.checksum,
                    })
                }
                Err(glint_store::StoreError::RangeNotSatisfiable) => {
                    return Err(ImageError::RangeNotSatisfiable { size })
                }
                Err(e) => {
                    tracing::warn!(image = %id, store = %location.store_id, error = %e, "copy unreadable; trying another");
                    last_error = Some(e);
                }
            }
        }
        Err(last_error
            .map(Into::into)
            .unwrap_or_else(|| ImageError::Internal(format!("no readable copy of image {id}"))))
    }

    pub async fn add_tag(&self, ctx: &RequestContext, id: &str, tag: &str) -> Result<(), ImageError> {
        check_tag(tag)?;
        let image = self.get(ctx, id).await?;
        if image.tags.iter().any(|t| t == tag) {
            if !policy::may_modify(ctx, &image) {
                return Err(forbidden("modify_image"));
            }
            return Ok(());
        }
        let mut tags = image.tags.clone();
        tags.push(tag.to_owned());
        self.update(
            ctx,
            id,
            vec![PatchOp::Replace {
                path: "/tags".into(),
                value: Value::from(tags),
            }],
        )
        .await?;
        Ok(())
    }

    pub async fn remove_tag(&self, ctx: &RequestContext, id: &str, tag: &str) -> Result<(), ImageError> {
        let image = self.get(ctx, id).await?;
        if !policy::may_modify(ctx, &image) {
            return Err(forbidden("modify_image"));
        }
        if !image.tags.iter().any(|t| t == tag) {
            return Err(ImageError::NotFound("The resource could not be found.".into()));
        }
        let tags: Vec<String> = image.tags.into_iter().filter(|t| t != tag).collect();
        self.update(
            ctx,
            id,
            vec![PatchOp::Replace {
                path: "/tags".into(),
                value: Value::from(tags),
            }],
        )
        .await?;
        Ok(())
    }

    pub async fn deactivate(&self, ctx: &RequestContext, id: &str) -> Result<(), ImageError> {
        let image = self.get(ctx, id).await?;
        if !policy::may_deactivate(ctx) {
            return Err(forbidden("deactivate"));
        }
        match image.status {
            ImageStatus::Deactivated => Ok(()),
            ImageStatus::Active
                if self
                    .db
                    .transition(id, ImageStatus::Active, ImageStatus::Deactivated)
                    .await? =>
            {
                Ok(())
            }
            other => Err(ImageError::Forbidden(format!(
                "Not allowed to deactivate image in status '{other}'"
            ))),
        }
    }

    pub async fn reactivate(&self, ctx: &RequestContext, id: &str) -> Result<(), ImageError> {
        let image = self.get(ctx, id).await?;
        if !policy::may_deactivate(ctx) {
            return Err(forbidden("reactivate"));
        }
        match image.status {
            ImageStatus::Active => Ok(()),
            ImageStatus::Deactivated
                if self
                    .db
                    .transition(id, ImageStatus::Deactivated, ImageStatus::Active)
                    .await? =>
            {
                Ok(())
            }
            other => Err(ImageError::Forbidden(format!(
                "Not allowed to reactivate image in status '{other}'"
            ))),
        }
    }

    // ---- members -----------------------------------------------------------

    /// Owners (and admins) see every member; a member sees only itself.
    pub async fn members(&self, ctx: &RequestContext, id: &str) -> Result<Vec<Member>, ImageError> {
        let image = self.get(ctx, id).await?;
        let all = self.db.members(id).await?;
        if policy::may_manage_members(ctx, &image) || ctx.is_admin() {
            return Ok(all);
        }
        Ok(all
            .into_iter()
            .filter(|m| Some(m.member_id.as_str()) == ctx.project_id.as_deref())
            .collect())
    }

    pub async fn member(&self, ctx: &RequestContext, id: &str, member_id: &str) -> Result<Member, ImageError> {
        self.members(ctx, id)
            .await?
            .into_iter()
            .find(|m| m.member_id == member_id)
            .ok_or_else(|| ImageError::NotFound(format!("{member_id} is not a member of image {id}")))
    }

    pub async fn add_member(&self, ctx: &RequestContext, id: &str, member_id: &str) -> Result<Member, ImageError> {
        let image = self.get(ctx, id).await?;
        if !policy::may_manage_members(ctx, &image) {
            return Err(forbidden("add_member"));
        }
        if image.visibility != Visibility::Shared {
            return Err(ImageError::Forbidden(format!(
                "Image members can only be added to images with 'shared' visibility; image {id} is {}.",
                image.visibility.as_str()
            )));
        }
        if self.db.count_members(id).await? >= self.limits.max_members {
            return Err(ImageError::TooLarge(format!(
                "Maximum number of members exceeded: {}.",
                self.limits.max_members
            )));
        }
        if self.db.member(id, member_id).await?.is_some() {
            return Err(ImageError::Conflict(format!(
                "Member {member_id} is duplicated for image {id}"
            )));
        }
        let now = now_timestamp();
        let member = Member {
            image_id: id.to_owned(),
            member_id: member_id.to_owned(),
            status: MemberStatus::Pending,
            created_at: now.clone(),
            updated_at: now,
        };
        self.db.add_member(&member).await?;
        Ok(member)
    }

    pub async fn set_member_status(
        &self,
        ctx: &RequestContext,
        id: &str,
        member_id: &str,
        status: MemberStatus,
    ) -> Result<Member, ImageError> {
        self.member(ctx, id, member_id).await?;
        if !policy::may_set_member_status(ctx, member_id) {
            return Err(forbidden("modify_member"));
        }
        self.db.set_member_status(id, member_id, status).await?;
        self.db
            .member(id, member_id)
            .await?
            .ok_or_else(|| ImageError::NotFound(format!("{member_id} is not a member of image {id}")))
    }

    pub async fn remove_member(&self, ctx: &RequestContext, id: &str, member_id: &str) -> Result<(), ImageError> {
        let image = self.get(ctx, id).await?;
        if !policy::may_manage_members(ctx, &image) {
            return Err(forbidden("delete_member"));
        }
        if !self.db.remove_member(id, member_id).await? {
            return Err(ImageError::NotFound(format!(
                "{member_id} is not a member of image {id}"
            )));
        }
        Ok(())
    }
}

/// A `Range: bytes=…` request before the image size is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeRequest {
    /// `bytes=a-b` or `bytes=a-`.
    From { start: u64, end: Option<u64> },
    /// `bytes=-n`: the last n bytes.
    Suffix(u64),
    /// Several ranges: Glance refuses them (400).
    Multiple,
}

impl RangeRequest {
    /// Parses a single-range `Range` header; `None` if it is not one
    /// (then the whole image is served, as HTTP allows).
    pub fn parse(header: &str) -> Option<Self> {
        let spec = header.trim().strip_prefix("bytes=")?;
        if spec.contains(',') {
            return Some(Self::Multiple);
        }
        let (a, b) = spec.split_once('-')?;
        let (a, b) = (a.trim(), b.trim());
        if a.is_empty() {
            return b.parse().ok().map(Self::Suffix);
        }
        let start = a.parse().ok()?;
        let end = if b.is_empty() { None } else { Some(b.parse().ok()?) };
        Some(Self::From { start, end })
    }

    pub fn resolve(self, size: u64) -> Option<ByteRange> {
        if size == 0 {
            return None;
        }
        match self {
            Self::From { start, end } => {
                let end = end.unwrap_or(size - 1).min(size - 1);
                (start <= end).then_some(ByteRange {
                    start,
                    end_inclusive: end,
                })
            }
            Self::Suffix(0) | Self::Multiple => None,
            Self::Suffix(n) => Some(ByteRange {
                start: size.saturating_sub(n),
                end_inclusive: size - 1,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let r = |h: &str, size| RangeRequest::parse(h).and_then(|r| r.resolve(size));
        assert_eq!(
            r("bytes=0-4", 13),
            Some(ByteRange {
                start: 0,
                end_inclusive: 4
            })
        );
        assert_eq!(
            r("bytes=5-", 13),
            Some(ByteRange {
                start: 5,
                end_inclusive: 12
            })
        );
        assert_eq!(
            r("bytes=-3", 13),
            Some(ByteRange {
                start: 10,
                end_inclusive: 12
            })
        );
        assert_eq!(
            r("bytes=0-100", 13),
            Some(ByteRange {
                start: 0,
                end_inclusive: 12
            })
        );
        assert_eq!(r("bytes=20-30", 13), None);
        assert_eq!(RangeRequest::parse("bytes=0-1,3-4"), Some(RangeRequest::Multiple));
        assert!(RangeRequest::parse("items=0-1").is_none());
    }

    #[test]
    fn writable_names() {
        assert!(check_writable("custom").is_ok());
        assert!(
            matches!(check_writable("status"), Err(ImageError::Forbidden(m)) if m == "Attribute 'status' is read-only.")
        );
        assert!(matches!(check_writable("os_glance_x"), Err(ImageError::Forbidden(m)) if m.contains("reserved")));
        assert!(check_writable("deleted").is_err());
    }

    #[test]
    fn uuids() {
        assert!(is_uuid("1a3c1b76-7590-4a00-9355-e82771e3503d"));
        assert!(!is_uuid("1a3c1b7675904a009355e82771e3503d"));
        assert!(!is_uuid("cirros"));
    }
}
