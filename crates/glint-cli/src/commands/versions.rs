//! `versions show`: version discovery of every catalog endpoint.

use reqwest::Method;
use serde_json::Value;

use crate::auth::{normalize_status, parse_version, self_link, version_entries};
use crate::cli::{VersionsCmd, VersionsShow};
use crate::error::Result;
use crate::http::Request;
use crate::output::{emit_list, Cell};
use crate::session::Session;

/// Strip a trailing version segment (`/v3`, `/v2.0/`) to get the unversioned root.
pub fn unversioned(url: &str) -> String {
    let t = url.trim_end_matches('/');
    match crate::auth::url_version(t) {
        Some(_) => t
            .rsplit_once('/')
            .map(|(a, _)| a.to_string())
            .unwrap_or_else(|| t.to_string()),
        None => t.to_string(),
    }
}

pub async fn run(cmd: VersionsCmd, s: &mut Session) -> Result<String> {
    let VersionsCmd::Show(a) = cmd;
    show(a, s).await
}

async fn show(a: VersionsShow, s: &mut Session) -> Result<String> {
    s.ensure_auth().await?;
    let interface = if a.all_interfaces {
        None
    } else {
        Some(a.interface.clone().unwrap_or_else(|| s.cfg.interface.clone()))
    };
    let status = a.status.as_ref().map(|x| x.to_uppercase());
    let mut rows = Vec::new();
    for svc in s.catalog() {
        let ty = svc.get("type").and_then(Value::as_str).unwrap_or("").to_string();
        if a.service
            .as_ref()
            .is_some_and(|want| *want != ty && svc.get("name").and_then(Value::as_str) != Some(want))
        {
            continue;
        }
        for ep in svc
            .get("endpoints")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
        {
            let ep_if = ep.get("interface").and_then(Value::as_str).unwrap_or("");
            if interface.as_deref().is_some_and(|i| i != ep_if) {
                continue;
            }
            let region = ep
                .get("region_id")
                .or_else(|| ep.get("region"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            if a.region_name.as_ref().is_some_and(|r| *r != region) {
                continue;
            }
            let Some(url) = ep.get("url").and_then(Value::as_str) else {
                continue;
            };
            let resp = s
                .http
                .send(Request::new(Method::GET, unversioned(url)).header("Accept", "application/json"))
                .await?;
            let doc = resp.json().unwrap_or(Value::Null);
            for v in oldest_first(version_entries(&doc)) {
                let st = normalize_status(v.get("status").and_then(Value::as_str).unwrap_or(""));
                if status.as_deref().is_some_and(|want| want != st) {
                    continue;
                }
                let version = v
                    .get("id")
                    .and_then(Value::as_str)
                    .and_then(parse_version)
                    .map(|(m, n)| format!("{m}.{n}"))
                    .map(Value::String)
                    .unwrap_or(Value::Null);
                let micro = |k: &str| match v.get(k).and_then(Value::as_str).filter(|x| !x.is_empty()) {
                    Some(x) => Value::String(x.to_string()),
                    None => Value::Null,
                };
                rows.push((
                    region.clone(),
                    ep_if.to_string(),
                    ty.clone(),
                    vec![
                        Cell::str(region.clone()),
                        Cell::str(ty.clone()),
                        Cell::Val(version),
                        Cell::str(st),
                        Cell::Val(self_link(&v).map(Value::String).unwrap_or(Value::Null)),
                        Cell::Val(micro("min_version")),
                        Cell::Val(micro("version")),
                    ],
                ));
            }
        }
    }
    let rows = grouped_as_keystoneauth(rows);
    emit_list(
        &a.out,
        &[
            "Region Name",
            "Service Type",
            "Version",
            "Status",
            "Endpoint",
            "Min Microversion",
            "Max Microversion",
        ],
        rows,
    )
}

/// keystoneauth's `get_all_version_data` nests versions as region → interface → service type
/// (each in order of first appearance) and OSC prints them in that order; a stable sort on
/// first-appearance ranks reproduces it.
fn grouped_as_keystoneauth<T>(rows: Vec<(String, String, String, T)>) -> Vec<T> {
    fn rank(seen: &mut Vec<String>, key: String) -> usize {
        match seen.iter().position(|k| *k == key) {
            Some(i) => i,
            None => {
                seen.push(key);
                seen.len() - 1
            }
        }
    }
    let (mut regions, mut interfaces, mut types) = (Vec::new(), Vec::new(), Vec::new());
    let mut ranked: Vec<((usize, usize, usize), T)> = rows
        .into_iter()
        .map(|(region, interface, service_type, row)| {
            let r = rank(&mut regions, region.clone());
            let i = rank(&mut interfaces, format!("{region}\n{interface}"));
            let t = rank(&mut types, format!("{region}\n{interface}\n{service_type}"));
            ((r, i, t), row)
        })
        .collect();
    ranked.sort_by_key(|(key, _)| *key);
    ranked.into_iter().map(|(_, row)| row).collect()
}

/// keystoneauth's `version_data()` lists versions oldest first.
pub fn oldest_first(mut entries: Vec<Value>) -> Vec<Value> {
    entries.sort_by_key(|v| {
        v.get("id")
            .and_then(Value::as_str)
            .and_then(parse_version)
            .unwrap_or((0, 0))
    });
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_interfaces_grouped_by_region_then_interface() {
        let row = |r: &str, i: &str, t: &str| (r.to_string(), i.to_string(), t.to_string(), format!("{r}/{i}/{t}"));
        let rows = vec![
            row("R1", "public", "identity"),
            row("R1", "internal", "identity"),
            row("R1", "public", "image"),
            row("R1", "internal", "image"),
        ];
        assert_eq!(
            grouped_as_keystoneauth(rows),
            [
                "R1/public/identity",
                "R1/public/image",
                "R1/internal/identity",
                "R1/internal/image"
            ]
        );
    }

    #[test]
    fn versions_sorted_oldest_first() {
        let e = vec![
            serde_json::json!({"id": "v2.7"}),
            serde_json::json!({"id": "v2.10"}),
            serde_json::json!({"id": "v2.0"}),
        ];
        let ids: Vec<String> = oldest_first(e)
            .iter()
            .map(|v| v["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(ids, ["v2.0", "v2.7", "v2.10"]);
    }

    #[test]
    fn strips_versions() {
        assert_eq!(unversioned("http://h/identity/v3"), "http://h/identity");
        assert_eq!(unversioned("http://h:9292/v2/"), "http://h:9292");
        assert_eq!(unversioned("http://h/image"), "http://h/image");
    }
}
