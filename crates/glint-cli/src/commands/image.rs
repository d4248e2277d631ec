//! `image list|show|create|delete|save|set|unset`, `image add|remove project`,
//! `image member list` — the HTTP that OSC + openstacksdk send, minus the
//! redundant round trips.

use std::io::{IsTerminal, Write};
use std::path::Path;

use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use reqwest::Method;
use serde_json::{json, Map, Value};
use sha2::digest::DynDigest;

use crate::cli::*;
use crate::error::{CliError, Result};
use crate::http::Body;
use crate::output::python::{py_str, repr_str};
use crate::output::{emit_list, emit_one, Cell};
use crate::resolve::{encode, find_image, find_project_id, for_each_page, with_query};
use crate::session::{Service, Session};

const BUF: usize = 1 << 20;

/// Keys OSC shows as their own rows; everything else goes into `properties`.
const FIELDS_TO_SHOW: &[&str] = &[
    "status",
    "name",
    "container_format",
    "created_at",
    "size",
    "disk_format",
    "updated_at",
    "visibility",
    "min_disk",
    "protected",
    "id",
    "file",
    "checksum",
    "owner",
    "virtual_size",
    "min_ram",
    "schema",
];

/// openstacksdk `Image` body attributes in class order (what `to_dict` walks);
/// unknown server keys live in `properties`, at its place in this order.
const SDK_ORDER: &[&str] = &[
    "checksum",
    "container_format",
    "created_at",
    "disk_format",
    "os_hidden",
    "protected",
    "os_hash_algo",
    "os_hash_value",
    "min_disk",
    "min_ram",
    "name",
    "owner",
    "properties",
    "size",
    "store",
    "status",
    "updated_at",
    "virtual_size",
    "visibility",
    "file",
    "locations",
    "direct_url",
    "url",
    "metadata",
    "architecture",
    "hypervisor_type",
    "instance_type_rxtx_factor",
    "instance_uuid",
    "img_config_drive",
    "kernel_id",
    "os_distro",
    "os_version",
    "os_secure_boot",
    "os_shutdown_timeout",
    "ramdisk_id",
    "vm_mode",
    "hw_cpu_sockets",
    "hw_cpu_cores",
    "hw_cpu_threads",
    "hw_disk_bus",
    "hw_cpu_policy",
    "hw_cpu_thread_policy",
    "hw_rng_model",
    "hw_machine_type",
    "hw_scsi_model",
    "hw_serial_port_count",
    "hw_video_model",
    "hw_video_ram",
    "hw_watchdog_action",
    "os_command_line",
    "hw_vif_model",
    "hw_vif_multiqueue_enabled",
    "hw_boot_menu",
    "vmware_adaptertype",
    "vmware_ostype",
    "auto_disk_config",
    "os_type",
    "os_admin_user",
    "hw_qemu_guest_agent",
    "os_require_quiesce",
    "schema",
    "id",
    "tags",
];

/// OSC `_format_image`: sorted (field, value) rows for `image show`/`create`.
pub fn format_image(img: &Value, human_readable: bool) -> Vec<(String, Cell)> {
    let mut fields: Vec<(String, Cell)> = Vec::new();
    let mut props = Map::new();
    if let Value::Object(m) = img {
        for (k, v) in m {
            if !v.is_null() && FIELDS_TO_SHOW.contains(&k.as_str()) {
                fields.push((k.clone(), Cell::Val(v.clone())));
            }
        }
        for key in SDK_ORDER {
            if FIELDS_TO_SHOW.contains(key) || *key == "tags" {
                continue;
            }
            if *key == "properties" {
                // the sdk's unknown attributes, in the server's order
                for (k, v) in m {
                    if v.is_null() || SDK_ORDER.contains(&k.as_str()) || k == "self" || k == "location" {
                        continue;
                    }
                    props.insert(k.clone(), v.clone());
                }
                if let Some(Value::Object(p)) = m.get("properties") {
                    props.extend(p.clone());
                }
            } else if let Some(v) = m.get(*key).filter(|v| !v.is_null()) {
                props.insert(key.to_string(), v.clone());
            }
        }
    }
    if human_readable {
        let size = img.get("size").and_then(Value::as_f64).unwrap_or(0.0);
        fields.retain(|(k, _)| k != "size");
        fields.push(("size".into(), Cell::str(format_size(size))));
    }
    let tags = img.get("tags").and_then(Value::as_array).cloned().unwrap_or_default();
    fields.push(("tags".into(), Cell::List(tags)));
    if !props.is_empty() {
        fields.push(("properties".into(), Cell::Dict(props)));
    }
    fields.sort_by(|a, b| a.0.cmp(&b.0));
    fields
}

/// osc_lib `utils.format_size`.
pub fn format_size(size: f64) -> String {
    let suffix = ["", "K", "M", "G", "T", "P", "E", "Z"];
    let mut size = size;
    let mut i = 0;
    while size >= 1000.0 && i < suffix.len() - 1 {
        i += 1;
        size /= 1000.0;
    }
    let padded = format!("{size:.1}");
    let stripped = padded.trim_end_matches('0').trim_end_matches('.');
    format!("{stripped}{}", suffix[i])
}

/// SDK attribute names accepted by `--sort` → Glance keys.
fn sort_key_field(k: &str) -> &str {
    match k {
        "is_protected" => "protected",
        "owner_id" => "owner",
        "is_hidden" => "os_hidden",
        "hash_algo" => "os_hash_algo",
        "hash_value" => "os_hash_value",
        other => other,
    }
}

/// osc_lib `utils.sort_items(items, sort_str, str)`.
pub fn sort_items(items: &mut [Value], sort: &str) -> Result<()> {
    if sort.trim().is_empty() {
        return Ok(());
    }
    for spec in sort.trim().split(',').rev() {
        let (key, reverse) = match spec.split_once(':') {
            Some((k, d)) => {
                if k.is_empty() {
                    return Err(CliError::Command("'<empty>'' is not a valid sort key".into()));
                }
                if d != "asc" && d != "desc" {
                    let d = if d.is_empty() { "<empty>" } else { d };
                    return Err(CliError::Command(format!(
                        "'{d}' is not a valid sort direction for sort key {k}, use 'asc' or 'desc' instead"
                    )));
                }
                (k, d == "desc")
            }
            None => (spec, false),
        };
        let field = sort_key_field(key);
        let keyf = |v: &Value| v.get(field).map(py_str).unwrap_or_else(|| "None".into());
        items.sort_by(|a, b| {
            let o = keyf(a).cmp(&keyf(b));
            if reverse {
                o.reverse()
            } else {
                o
            }
        });
    }
    Ok(())
}

const LONG_COLUMNS: &[(&str, &str)] = &[
    ("ID", "id"),
    ("Name", "name"),
    ("Disk Format", "disk_format"),
    ("Container Format", "container_format"),
    ("Size", "size"),
    ("Checksum", "checksum"),
    ("Status", "status"),
    ("Visibility", "visibility"),
    ("Protected", "protected"),
    ("Project", "owner"),
    ("Hash Algorithm", "os_hash_algo"),
    ("Hash Value", "os_hash_value"),
    ("Tags", "tags"),
];

pub fn list_rows(images: &[Value], long: bool) -> (Vec<&'static str>, Vec<Vec<Cell>>) {
    let cols: Vec<(&str, &str)> = if long {
        LONG_COLUMNS.to_vec()
    } else {
        vec![("ID", "id"), ("Name", "name"), ("Status", "status")]
    };
    let rows = images
        .iter()
        .map(|img| {
            cols.iter()
                .map(|(_, k)| {
                    let v = img.get(*k).cloned().unwrap_or(Value::Null);
                    if *k == "tags" {
                        Cell::List(v.as_array().cloned().unwrap_or_default())
                    } else {
                        Cell::Val(v)
                    }
                })
                .collect()
        })
        .collect();
    (cols.iter().map(|(h, _)| *h).collect(), rows)
}

/// osc_lib `api.utils.simple_filter` on a property.
fn property_matches(img: &Value, key: &str, want: &str) -> bool {
    let v = img.get(key).or_else(|| img.get("properties").and_then(|p| p.get(key)));
    match v {
        Some(Value::Array(a)) => a.iter().any(|x| py_str(x) == want),
        Some(v) if !v.is_null() => py_str(v) == want,
        _ => false,
    }
}

/// JSON-pointer escaping for PATCH paths.
fn pointer(key: &str) -> String {
    format!("/{}", key.replace('~', "~0").replace('/', "~1"))
}

/// One json-patch op turning `img[key]` into `value` (none if unchanged).
pub fn patch_op(img: &Value, key: &str, value: Value) -> Option<Value> {
    match img.get(key) {
        Some(old) if *old == value => None,
        Some(Value::Array(a)) if a.is_empty() => Some(json!({"op": "add", "path": pointer(key), "value": value})),
        Some(_) => Some(json!({"op": "replace", "path": pointer(key), "value": value})),
        None => Some(json!({"op": "add", "path": pointer(key), "value": value})),
    }
}

fn progress_bar(total: Option<u64>, forced: bool) -> ProgressBar {
    if !(forced || std::io::stderr().is_terminal()) {
        return ProgressBar::hidden();
    }
    let pb = match total {
        Some(t) => ProgressBar::with_draw_target(Some(t), ProgressDrawTarget::stderr()),
        None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
    };
    let style =
        ProgressStyle::with_template("[{bar:40}] {percent:>3}% {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
    pb.set_style(style);
    pb
}

pub async fn run(cmd: ImageCmd, s: &mut Session) -> Result<String> {
    match cmd {
        ImageCmd::List(a) => list(a, s).await,
        ImageCmd::Show(a) => {
            let img = find_image(s, &a.image).await?;
            emit_one(&a.out, format_image(&img, a.human_readable))
        }
        ImageCmd::Create(a) => create(a, s).await,
        ImageCmd::Delete(a) => delete(a, s).await,
        ImageCmd::Save(a) => save(a, s).await,
        ImageCmd::Set(a) => set(*a, s).await,
        ImageCmd::Unset(a) => unset(a, s).await,
        ImageCmd::Add(AddCmd::Project(a)) => {
            let project = find_project_id(s, &a.project, a.project_domain.as_deref()).await?;
            let img = find_image(s, &a.image).await?;
            let id = image_id(&img)?;
            let resp = s
                .call(
                    Service::Image,
                    Method::POST,
                    &format!("images/{}/members", encode(&id)),
                    &[],
                    Some(json!({"member": project})),
                )
                .await?
                .check()?;
            let member = resp.json()?;
            let mut fields: Vec<(String, Cell)> = match member {
                Value::Object(m) => m
                    .into_iter()
                    .filter(|(k, _)| !["id", "location", "name"].contains(&k.as_str()))
                    .map(|(k, v)| (k, Cell::Val(v)))
                    .collect(),
                _ => Vec::new(),
            };
            fields.sort_by(|a, b| a.0.cmp(&b.0));
            emit_one(&a.out, fields)
        }
        ImageCmd::Remove(RemoveCmd::Project(a)) => {
            let project = find_project_id(s, &a.project, a.project_domain.as_deref()).await?;
            let img = find_image(s, &a.image).await?;
            let id = image_id(&img)?;
            let path = format!("images/{}/members/{}", encode(&id), encode(&project));
            let r = s.call(Service::Image, Method::DELETE, &path, &[], None).await?.check();
            ignore_missing(r)?;
            Ok(String::new())
        }
        ImageCmd::Member(MemberCmd::List(a)) => {
            let img = find_image(s, &a.image).await?;
            let id = image_id(&img)?;
            let resp = s
                .call(
                    Service::Image,
                    Method::GET,
                    &format!("images/{}/members", encode(&id)),
                    &[("Accept", "application/json")],
                    None,
                )
                .await?
                .check()?;
            let doc = resp.json()?;
            let rows = doc
                .get("members")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
                .iter()
                .map(|m| {
                    ["image_id", "member_id", "status"]
                        .iter()
                        .map(|k| Cell::Val(m.get(*k).cloned().unwrap_or(Value::Null)))
                        .collect()
                })
                .collect();
            emit_list(&a.out, &["Image ID", "Member ID", "Status"], rows)
        }
    }
}

/// openstacksdk's `ignore_missing=True`: a 404 is success.
fn ignore_missing<T>(r: Result<T>) -> Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.status() == Some(404) && matches!(e, CliError::Http { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// sdk's warning when an image download has nothing to check against.
fn no_hash_warning(id: &str) -> String {
    format!("Unable to verify the integrity of image {id} - no hash available")
}

fn image_id(img: &Value) -> Result<String> {
    img.get("id")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| CliError::Command("image without id in response".into()))
}

async fn list(a: ImageList, s: &mut Session) -> Result<String> {
    let mut q: Vec<(String, String)> = Vec::new();
    let vis = [
        ("public", a.public),
        ("private", a.private),
        ("community", a.community),
        ("shared", a.shared),
        ("all", a.all),
    ];
    if let Some((v, _)) = vis.iter().find(|(_, on)| *on) {
        q.push(("visibility".into(), v.to_string()));
    }
    if let Some(l) = a.limit.filter(|l| *l > 0) {
        q.push(("limit".into(), l.to_string()));
    }
    if let Some(m) = &a.marker {
        let img = find_image(s, m).await?;
        q.push(("marker".into(), image_id(&img)?));
    }
    if let Some(n) = &a.name {
        q.push(("name".into(), n.clone()));
    }
    if let Some(st) = &a.status {
        q.push(("status".into(), st.clone()));
    }
    if let Some(ms) = &a.member_status {
        q.push(("member_status".into(), ms.to_lowercase()));
    }
    for t in &a.tag {
        q.push(("tag".into(), t.clone()));
    }
    if let Some(p) = &a.project {
        let id = find_project_id(s, p, a.project_domain.as_deref()).await?;
        q.push(("owner".into(), id));
    }
    if a.hidden {
        q.push(("os_hidden".into(), "true".into()));
    }
    let path = with_query("images", &q);
    let mut images: Vec<Value> = Vec::new();
    let paginate = a.limit.filter(|l| *l > 0).is_none();
    for_each_page(s, &path, "images", |items| {
        images.extend_from_slice(items);
        Ok(paginate)
    })
    .await?;
    for (k, v) in &a.property {
        images.retain(|img| property_matches(img, k, v));
    }
    sort_items(&mut images, &a.sort)?;
    let (headers, rows) = list_rows(&images, a.long);
    emit_list(&a.out, &headers, rows)
}

async fn delete(a: ImageDelete, s: &mut Session) -> Result<String> {
    // OSC authenticates before its per-image loop: an auth failure is the only message.
    s.ensure_auth().await?;
    let mut failed = 0;
    for name in &a.images {
        let r: Result<()> = async {
            let img = find_image(s, name).await?;
            let id = image_id(&img)?;
            let path = match &a.store {
                Some(store) => format!("stores/{}/{}", encode(store), encode(&id)),
                None => format!("images/{}", encode(&id)),
            };
            s.call(Service::Image, Method::DELETE, &path, &[], None)
                .await?
                .check()?;
            Ok(())
        }
        .await;
        if let Err(e) = r {
            if matches!(e, CliError::Auth { .. }) {
                return Err(e);
            }
            failed += 1;
            eprintln!("Failed to delete image with name or ID '{name}': {e}");
        }
    }
    if failed > 0 {
        return Err(CliError::Command(format!(
            "Failed to delete {failed} of {} images.",
            a.images.len()
        )));
    }
    Ok(String::new())
}

async fn create(a: ImageCreate, s: &mut Session) -> Result<String> {
    if a.volume.is_some() {
        return Err(CliError::Command(
            "--volume is not supported by glint (no volume service)".into(),
        ));
    }
    if a.use_import {
        return Err(CliError::Command("--import is not supported by glint yet".into()));
    }
    // Open the data source before creating anything (OSC order).
    let (file, size) = match &a.file {
        Some(p) => match tokio::fs::File::open(p).await {
            Ok(f) => {
                let len = f.metadata().await.map(|m| m.len()).ok();
                (Some(f), len)
            }
            Err(_) => {
                return Err(CliError::Command(format!(
                    "{} is not a valid file",
                    repr_str(&p.to_string_lossy())
                )));
            }
        },
        None => (stdin_data().await, None),
    };
    if a.size.is_some() && file.is_none() {
        return Err(CliError::Command(
            "--size requires image data via --file or stdin".into(),
        ));
    }
    let size = a.size.or(size);
    let mut body = Map::new();
    body.insert("name".into(), json!(a.name));
    body.insert("container_format".into(), json!(a.container_format));
    body.insert("disk_format".into(), json!(a.disk_format));
    if let Some(id) = &a.id {
        body.insert("id".into(), json!(id));
    }
    if let Some(v) = a.min_disk.filter(|v| *v != 0) {
        body.insert("min_disk".into(), json!(v));
    }
    if let Some(v) = a.min_ram.filter(|v| *v != 0) {
        body.insert("min_ram".into(), json!(v));
    }
    if !a.tag.is_empty() {
        body.insert("tags".into(), json!(a.tag));
    }
    if let Some(v) = a.visibility.value() {
        body.insert("visibility".into(), json!(v));
    }
    if let Some(p) = a.protection.value() {
        body.insert("protected".into(), json!(p));
    }
    if let Some(p) = &a.project {
        let id = find_project_id(s, p, a.project_domain.as_deref()).await?;
        body.insert("owner".into(), json!(id));
    }
    for (k, v) in &a.property {
        body.insert(k.clone(), json!(v));
    }
    body.insert("owner_specified.openstack.md5".into(), json!(""));
    body.insert("owner_specified.openstack.sha256".into(), json!(""));
    body.insert(
        "owner_specified.openstack.object".into(),
        json!(format!("images/{}", a.name)),
    );
    let resp = s
        .call(Service::Image, Method::POST, "images", &[], Some(Value::Object(body)))
        .await?
        .check()?;
    let created = resp.json()?;
    let id = image_id(&created)?;
    if let Some(f) = file {
        if let Err(e) = upload(s, &id, f, size, a.progress && a.file.is_some()).await {
            // openstacksdk deletes the half-made image.
            let _ = s
                .call(
                    Service::Image,
                    Method::DELETE,
                    &format!("images/{}", encode(&id)),
                    &[],
                    None,
                )
                .await;
            return Err(e);
        }
    }
    let img = s
        .call(
            Service::Image,
            Method::GET,
            &format!("images/{}", encode(&id)),
            &[],
            None,
        )
        .await?
        .check()?
        .json()?;
    emit_one(&a.out, format_image(&img, false))
}

/// OSC reads image data from stdin when it is not a terminal.
async fn stdin_data() -> Option<tokio::fs::File> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        let fd = stdin.as_fd().try_clone_to_owned().ok()?;
        Some(tokio::fs::File::from_std(std::fs::File::from(fd)))
    }
    #[cfg(not(unix))]
    {
        None
    }
}

async fn upload(s: &mut Session, id: &str, file: tokio::fs::File, size: Option<u64>, progress: bool) -> Result<()> {
    let pb = progress_bar(size, progress);
    let pb2 = pb.clone();
    let stream = tokio_util::io::ReaderStream::with_capacity(file, BUF).map(move |chunk| {
        if let Ok(c) = &chunk {
            pb2.inc(c.len() as u64);
        }
        chunk
    });
    let size_s = size.map(|n| n.to_string());
    let mut headers: Vec<(&str, &str)> = vec![("Content-Type", "application/octet-stream"), ("Accept", "")];
    if let Some(n) = &size_s {
        headers.push(("X-OpenStack-Image-Size", n.as_str()));
    }
    let mut req = s
        .build(
            Service::Image,
            Method::PUT,
            &format!("images/{}/file", encode(id)),
            &headers,
        )
        .await?;
    req.body = Body::Stream(reqwest::Body::wrap_stream(stream), "<image data>".into());
    let resp = s.http.send(req).await;
    pb.finish_and_clear();
    resp?.check()?;
    Ok(())
}

fn hasher_for(algo: &str) -> Option<Box<dyn DynDigest + Send>> {
    match algo.to_ascii_lowercase().as_str() {
        "sha512" => Some(Box::new(sha2::Sha512::default())),
        "sha384" => Some(Box::new(sha2::Sha384::default())),
        "sha256" => Some(Box::new(sha2::Sha256::default())),
        "md5" => Some(Box::new(md5::Md5::default())),
        _ => None,
    }
}

async fn save(a: ImageSave, s: &mut Session) -> Result<String> {
    let img = find_image(s, &a.image).await?;
    let id = image_id(&img)?;
    let req = s
        .build(
            Service::Image,
            Method::GET,
            &format!("images/{}/file", encode(&id)),
            &[],
        )
        .await?;
    let mut resp = s.http.send_streaming(req).await?;
    let status = resp.status().as_u16();
    if !(200..300).contains(&status) {
        let url = resp.url().to_string();
        let ct = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let body = resp.bytes().await.unwrap_or_default();
        return Err(CliError::Http {
            status,
            url,
            details: crate::http::error_details(status, &ct, &body),
        });
    }
    // What to verify: os_hash_value with os_hash_algo, else md5 from checksum / Content-MD5.
    let (algo, expected) = match (
        img.get("os_hash_algo").and_then(Value::as_str),
        img.get("os_hash_value").and_then(Value::as_str),
    ) {
        (Some(al), Some(h)) if hasher_for(al).is_some() => (al.to_string(), Some(h.to_string())),
        _ => {
            let md5 = img
                .get("checksum")
                .and_then(Value::as_str)
                .map(str::to_string)
                .or_else(|| {
                    resp.headers()
                        .get("content-md5")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string)
                });
            ("md5".to_string(), md5)
        }
    };
    let mut hasher = hasher_for(&algo).filter(|_| expected.is_some());
    let total = resp.content_length();
    let pb = progress_bar(total, a.progress);
    let mut out: Box<dyn Write> = match &a.file {
        Some(p) => Box::new(std::io::BufWriter::with_capacity(BUF, create_file(p)?)),
        None => Box::new(std::io::BufWriter::with_capacity(BUF, std::io::stdout().lock())),
    };
    let url = resp.url().to_string();
    while let Some(chunk) = resp.chunk().await.map_err(|e| CliError::Connection {
        url: url.clone(),
        reason: crate::http::error_chain(&e),
    })? {
        if let Some(h) = hasher.as_mut() {
            h.update(&chunk);
        }
        pb.inc(chunk.len() as u64);
        out.write_all(&chunk)?;
    }
    out.flush()?;
    pb.finish_and_clear();
    if expected.is_none() {
        eprintln!("{}", no_hash_warning(&id));
    }
    if let (Some(h), Some(exp)) = (hasher, expected) {
        let got = hex::encode(h.finalize());
        if !got.eq_ignore_ascii_case(&exp) {
            return Err(CliError::Command(format!("checksum mismatch: {exp} != {got}")));
        }
    }
    Ok(String::new())
}

fn create_file(p: &Path) -> Result<std::fs::File> {
    std::fs::File::create(p).map_err(|e| {
        CliError::Io(format!(
            "[Errno {}] {}: {}",
            e.raw_os_error().unwrap_or(0),
            e,
            repr_str(&p.to_string_lossy())
        ))
    })
}

async fn set(a: ImageSet, s: &mut Session) -> Result<String> {
    let img = find_image(s, &a.image).await?;
    let id = image_id(&img)?;
    let mut project_id = None;
    if let Some(p) = &a.project {
        project_id = Some(find_project_id(s, p, a.project_domain.as_deref()).await?);
    }
    if a.deactivate || a.activate {
        let action = if a.deactivate { "deactivate" } else { "reactivate" };
        s.call(
            Service::Image,
            Method::POST,
            &format!("images/{}/actions/{action}", encode(&id)),
            &[],
            None,
        )
        .await?
        .check()?;
    }
    let membership = if a.accept {
        Some("accepted")
    } else if a.reject {
        Some("rejected")
    } else if a.pending {
        Some("pending")
    } else {
        None
    };
    if let Some(status) = membership {
        let member = match &project_id {
            Some(p) => p.clone(),
            None => s
                .project_id()
                .await?
                .ok_or_else(|| CliError::Command("token is not project-scoped".into()))?,
        };
        let path = format!("images/{}/members/{}", encode(&id), encode(&member));
        s.call(Service::Image, Method::PUT, &path, &[], Some(json!({"status": status})))
            .await?
            .check()?;
    }
    let mut ops: Vec<Value> = Vec::new();
    let mut push = |k: &str, v: Value| {
        if let Some(op) = patch_op(&img, k, v) {
            ops.push(op);
        }
    };
    let strs = [
        ("architecture", &a.architecture),
        ("container_format", &a.container_format),
        ("disk_format", &a.disk_format),
        ("instance_id", &a.instance_id),
        ("kernel_id", &a.kernel_id),
        ("name", &a.name),
        ("os_distro", &a.os_distro),
        ("os_version", &a.os_version),
        ("ramdisk_id", &a.ramdisk_id),
    ];
    for (k, v) in strs {
        if let Some(v) = v {
            push(k, json!(v));
        }
    }
    if let Some(v) = a.min_disk {
        push("min_disk", json!(v));
    }
    if let Some(v) = a.min_ram {
        push("min_ram", json!(v));
    }
    if let Some(v) = a.visibility.value() {
        push("visibility", json!(v));
    }
    for (k, v) in &a.property {
        push(k, json!(v));
    }
    if let Some(p) = a.protection.value() {
        push("protected", json!(p));
    }
    if let (Some(p), None) = (&project_id, membership) {
        push("owner", json!(p));
    }
    if !a.tag.is_empty() {
        let mut tags: Vec<String> = img
            .get("tags")
            .and_then(Value::as_array)
            .map(|t| t.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default();
        for t in &a.tag {
            if !tags.contains(t) {
                tags.push(t.clone());
            }
        }
        push("tags", json!(tags));
    }
    if a.hidden || a.unhidden {
        push("os_hidden", json!(a.hidden));
    }
    if !ops.is_empty() {
        patch(s, &id, ops).await?;
    }
    Ok(String::new())
}

async fn patch(s: &mut Session, id: &str, ops: Vec<Value>) -> Result<Value> {
    let headers = [
        ("Content-Type", "application/openstack-images-v2.1-json-patch"),
        ("Accept", ""),
    ];
    s.call(
        Service::Image,
        Method::PATCH,
        &format!("images/{}", encode(id)),
        &headers,
        Some(Value::Array(ops)),
    )
    .await?
    .check()?
    .json()
}

/// OSC's names for attributes whose Glance keys differ.
fn custom_name(k: &str) -> Option<&'static str> {
    match k {
        "is_hidden" => Some("os_hidden"),
        "is_protected" => Some("protected"),
        "hash_algo" => Some("os_hash_algo"),
        "hash_value" => Some("os_hash_value"),
        _ => None,
    }
}

async fn unset(a: ImageUnset, s: &mut Session) -> Result<String> {
    let img = find_image(s, &a.image).await?;
    let id = image_id(&img)?;
    let mut tag_failed = 0;
    for t in &a.tag {
        let path = format!("images/{}/tags/{}", encode(&id), encode(t));
        let ok = matches!(s.call(Service::Image, Method::DELETE, &path, &[], None).await, Ok(r) if r.ok());
        if !ok {
            eprintln!("tag unset failed, '{t}' is a nonexistent tag ");
            tag_failed += 1;
        }
    }
    let mut prop_failed = 0;
    let mut ops = Vec::new();
    for k in &a.property {
        let key = if img.get(k.as_str()).is_some_and(|v| !v.is_null()) {
            Some(k.as_str())
        } else {
            custom_name(k).filter(|c| img.get(*c).is_some_and(|v| !v.is_null()))
        };
        match key {
            Some(key) => ops.push(json!({"op": "remove", "path": pointer(key)})),
            None => {
                eprintln!("property unset failed, '{k}' is a nonexistent property ");
                prop_failed += 1;
            }
        }
    }
    if !ops.is_empty() {
        patch(s, &id, ops).await?;
    }
    let (nt, np) = (a.tag.len(), a.property.len());
    match (tag_failed > 0, prop_failed > 0) {
        (true, true) => Err(CliError::Command(format!(
            "Failed to unset {tag_failed} of {nt} tags,Failed to unset {prop_failed} of {np} properties."
        ))),
        (true, false) => Err(CliError::Command(format!("Failed to unset {tag_failed} of {nt} tags."))),
        (false, true) => Err(CliError::Command(format!(
            "Failed to unset {prop_failed} of {np} properties."
        ))),
        _ => Ok(String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Value {
        json!({"owner_specified.openstack.md5": "", "owner_specified.openstack.sha256": "", "owner_specified.openstack.object": "images/ref-img",
               "name": "ref-img", "disk_format": "qcow2", "container_format": "bare", "visibility": "public", "size": 196616,
               "virtual_size": 67108864, "status": "active", "checksum": "41ce4d32ce22529a293044bc1eb4e734", "protected": false,
               "min_ram": 0, "min_disk": 0, "owner": "7d8fb04dfa2940e0a230c6a342bdc237", "os_hidden": false, "os_hash_algo": "sha512",
               "os_hash_value": "2e45", "id": "b4236880-6774-45f4-b29a-0f595d2dc596", "created_at": "2026-11-27T03:30:39Z",
               "updated_at": "2026-11-27T03:30:43Z", "tags": [], "self": "/v2/images/b4236880-6774-45f4-b29a-0f595d2dc596",
               "file": "/v2/images/b4236880-6774-45f4-b29a-0f595d2dc596/file", "schema": "/v2/schemas/image", "stores": "fs"})
    }

    #[test]
    fn properties_in_sdk_order() {
        let img = json!({"id": "i", "aa": "first", "zz": "last", "os_hidden": false,
            "os_hash_algo": "sha512", "os_hash_value": "h", "owner_specified.openstack.md5": "",
            "stores": "fs", "hw_cpu_cores": 2, "self": "/v2/images/i", "tags": []});
        let rows = format_image(&img, false);
        let Some((_, Cell::Dict(p))) = rows.iter().find(|(k, _)| k == "properties") else {
            panic!("no properties")
        };
        let keys: Vec<&str> = p.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "os_hidden",
                "os_hash_algo",
                "os_hash_value",
                "aa",
                "zz",
                "owner_specified.openstack.md5",
                "stores",
                "hw_cpu_cores"
            ]
        );
    }

    #[test]
    fn missing_member_is_ignored() {
        let nf = CliError::Http {
            status: 404,
            url: "u".into(),
            details: String::new(),
        };
        assert!(matches!(ignore_missing::<()>(Err(nf)), Ok(None)));
        let other = CliError::Http {
            status: 403,
            url: "u".into(),
            details: String::new(),
        };
        assert!(ignore_missing::<()>(Err(other)).is_err());
        assert_eq!(
            no_hash_warning("x"),
            "Unable to verify the integrity of image x - no hash available"
        );
    }

    #[test]
    fn show_rows_like_osc() {
        let f = format_image(&sample(), false);
        let names: Vec<&str> = f.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "checksum",
                "container_format",
                "created_at",
                "disk_format",
                "file",
                "id",
                "min_disk",
                "min_ram",
                "name",
                "owner",
                "properties",
                "protected",
                "schema",
                "size",
                "status",
                "tags",
                "updated_at",
                "virtual_size",
                "visibility"
            ]
        );
        let props = &f.iter().find(|(k, _)| k == "properties").unwrap().1;
        assert_eq!(
            props.human(),
            "os_hash_algo='sha512', os_hash_value='2e45', os_hidden='False', owner_specified.openstack.md5='', owner_specified.openstack.object='images/ref-img', owner_specified.openstack.sha256='', stores='fs'"
        );
        let mut queued = sample();
        queued["size"] = Value::Null;
        queued["checksum"] = Value::Null;
        let f = format_image(&queued, false);
        assert!(!f.iter().any(|(k, _)| k == "size" || k == "checksum"));
        assert_eq!(format_size(196616.0), "196.6K");
        assert_eq!(format_size(0.0), "0");
    }

    #[test]
    fn list_sorting_and_columns() {
        let mut imgs = vec![
            json!({"id": "2", "name": "b", "status": "active"}),
            json!({"id": "1", "name": "a", "status": "queued"}),
            json!({"id": "3", "status": "queued"}),
        ];
        sort_items(&mut imgs, "name:asc").unwrap();
        let names: Vec<String> = imgs
            .iter()
            .map(|i| py_str(i.get("name").unwrap_or(&Value::Null)))
            .collect();
        assert_eq!(names, ["None", "a", "b"]);
        sort_items(&mut imgs, "status:desc,name").unwrap();
        assert_eq!(imgs[0]["status"], "queued");
        assert_eq!(imgs[1]["name"], "a");
        assert!(sort_items(&mut imgs, "name:up").is_err());
        let (h, rows) = list_rows(&imgs, true);
        assert_eq!(h.len(), 13);
        assert_eq!(rows[0].len(), 13);
    }

    #[test]
    fn patch_ops() {
        let img = sample();
        assert_eq!(
            patch_op(&img, "k", json!("v")),
            Some(json!({"op": "add", "path": "/k", "value": "v"}))
        );
        assert_eq!(
            patch_op(&img, "tags", json!(["t"])),
            Some(json!({"op": "add", "path": "/tags", "value": ["t"]}))
        );
        assert_eq!(
            patch_op(&img, "name", json!("n")),
            Some(json!({"op": "replace", "path": "/name", "value": "n"}))
        );
        assert_eq!(patch_op(&img, "name", json!("ref-img")), None);
        assert_eq!(pointer("a/b~c"), "/a~1b~0c");
        assert!(property_matches(&img, "stores", "fs"));
        assert!(property_matches(&img, "min_ram", "0"));
        assert!(!property_matches(&img, "nope", "x"));
    }
}
