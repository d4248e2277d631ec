//! Name-or-ID resolution as openstacksdk's `find` does it: GET by id, then list
//! with `?name=` following `next` links, then hidden images — except that a
//! name that cannot be a UUID skips the by-id GET.

use reqwest::Method;
use serde_json::Value;

use crate::auth::join;
use crate::error::{CliError, Result};
use crate::session::{Service, Session};

/// Could `s` be a UUID (as Python's `uuid.UUID()` would accept it)?
pub fn looks_like_uuid(s: &str) -> bool {
    let t = s.trim();
    let t = t.strip_prefix("urn:uuid:").unwrap_or(t);
    let t = t.trim_start_matches('{').trim_end_matches('}');
    let hex: String = t.chars().filter(|&c| c != '-').collect();
    hex.len() == 32 && hex.chars().all(|c| c.is_ascii_hexdigit())
}

/// openstacksdk `_get_one_match` over one page: the match so far plus this page.
pub fn one_match(kind: &'static str, name_or_id: &str, found: Option<Value>, items: &[Value]) -> Result<Option<Value>> {
    let mut found = found;
    for item in items {
        let id = item.get("id").and_then(Value::as_str);
        let name = item.get("name").and_then(Value::as_str);
        if id == Some(name_or_id) || name == Some(name_or_id) {
            if found.is_some() {
                return Err(CliError::Duplicate {
                    kind,
                    name: name_or_id.to_string(),
                });
            }
            found = Some(item.clone());
        }
    }
    Ok(found)
}

/// Resolve a `next` link against the versioned base (Glance's links look like
/// `/v2/images?marker=…` whatever prefix the endpoint has).
pub fn next_url(base: &str, next: &str) -> String {
    if next.starts_with("http://") || next.starts_with("https://") {
        return next.to_string();
    }
    let base_t = base.trim_end_matches('/');
    // Base is e.g. http://h/image/v2; strip its version segment and re-add the link's.
    let version_seg = base_t.rsplit('/').next().unwrap_or("");
    let prefixed = format!("/{version_seg}/");
    if let Some(rest) = next.find(&prefixed).map(|i| &next[i + prefixed.len()..]) {
        return join(base_t, rest);
    }
    join(base_t, next)
}

/// Build `path?k=v&…` with proper encoding.
pub fn with_query(path: &str, query: &[(String, String)]) -> String {
    if query.is_empty() {
        return path.to_string();
    }
    let q: String = query
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    format!("{path}?{q}")
}

pub fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Page through an image-service collection, calling `on_page` for each page;
/// stops when `on_page` returns false or there is no `next` link.
pub async fn for_each_page<F>(s: &mut Session, first: &str, key: &str, mut on_page: F) -> Result<()>
where
    F: FnMut(&[Value]) -> Result<bool>,
{
    let base = s.base_url(Service::Image).await?;
    let mut url = s.url(Service::Image, first).await?;
    loop {
        let resp = s
            .call(
                Service::Image,
                Method::GET,
                &url,
                &[("Accept", "application/json")],
                None,
            )
            .await?
            .check()?;
        let doc = resp.json()?;
        let items = doc.get(key).and_then(Value::as_array).cloned().unwrap_or_default();
        if !on_page(&items)? {
            return Ok(());
        }
        match doc.get("next").and_then(Value::as_str) {
            Some(n) if !n.is_empty() && !items.is_empty() => url = next_url(&base, n),
            _ => return Ok(()),
        }
    }
}

/// All items of a paginated image-service listing.
pub async fn list_all(s: &mut Session, path: &str, key: &str) -> Result<Vec<Value>> {
    let mut all = Vec::new();
    for_each_page(s, path, key, |items| {
        all.extend_from_slice(items);
        Ok(true)
    })
    .await?;
    Ok(all)
}

async fn match_listing(s: &mut Session, path: &str, name_or_id: &str) -> Result<Option<Value>> {
    let mut found = None;
    for_each_page(s, path, "images", |items| {
        found = one_match("Image", name_or_id, found.take(), items)?;
        Ok(true)
    })
    .await?;
    Ok(found)
}

/// openstacksdk `image_client.find_image(name_or_id, ignore_missing=False)`.
pub async fn find_image(s: &mut Session, name_or_id: &str) -> Result<Value> {
    if looks_like_uuid(name_or_id) {
        let path = format!("images/{}", encode(name_or_id));
        let resp = s.call(Service::Image, Method::GET, &path, &[], None).await?;
        match resp.status {
            200..=299 => return resp.json(),
            400 | 403 | 404 => {}
            _ => return Err(resp.error()),
        }
    }
    let q = [("name".to_string(), name_or_id.to_string())];
    if let Some(img) = match_listing(s, &with_query("images", &q), name_or_id).await? {
        return Ok(img);
    }
    let q = [("os_hidden".to_string(), "true".to_string())];
    if let Some(img) = match_listing(s, &with_query("images", &q), name_or_id).await? {
        return Ok(img);
    }
    Err(CliError::NotFound {
        kind: "Image",
        name: name_or_id.to_string(),
    })
}

/// OSC `identity_common.find_project_id_sdk`: GET by id, then `?name=`; a 403
/// means "use the string as the id".
pub async fn find_project_id(s: &mut Session, name_or_id: &str, domain: Option<&str>) -> Result<String> {
    if looks_like_uuid(name_or_id) {
        let resp = s
            .call(
                Service::Identity,
                Method::GET,
                &format!("projects/{}", encode(name_or_id)),
                &[],
                None,
            )
            .await?;
        match resp.status {
            200..=299 => {
                let doc = resp.json()?;
                if let Some(id) = doc.get("project").and_then(|p| p.get("id")).and_then(Value::as_str) {
                    return Ok(id.to_string());
                }
            }
            403 => return Ok(name_or_id.to_string()),
            400 | 404 => {}
            _ => return Err(resp.error()),
        }
    }
    let mut q = vec![("name".to_string(), name_or_id.to_string())];
    if let Some(d) = domain {
        q.push(("domain_id".to_string(), d.to_string()));
    }
    let resp = s
        .call(
            Service::Identity,
            Method::GET,
            &with_query("projects", &q),
            &[("Accept", "application/json")],
            None,
        )
        .await?;
    if resp.status == 403 {
        return Ok(name_or_id.to_string());
    }
    let doc = resp.check()?.json()?;
    let items = doc
        .get("projects")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    match one_match("Project", name_or_id, None, &items)? {
        Some(p) => Ok(p.get("id").and_then(Value::as_str).unwrap_or(name_or_id).to_string()),
        None => Err(CliError::NotFound {
            kind: "Project",
            name: name_or_id.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn uuid_detection() {
        assert!(looks_like_uuid("b4236880-6774-45f4-b29a-0f595d2dc596"));
        assert!(looks_like_uuid("1145bbfdede64e41952d87fb89a57a08"));
        assert!(looks_like_uuid("{B4236880-6774-45F4-B29A-0F595D2DC596}"));
        assert!(!looks_like_uuid("ref-img"));
        assert!(!looks_like_uuid("b4236880-6774-45f4-b29a-0f595d2dc59"));
        assert!(!looks_like_uuid("g4236880-6774-45f4-b29a-0f595d2dc596"));
    }

    #[test]
    fn matching() {
        let page1 = vec![json!({"id": "1", "name": "a"}), json!({"id": "2", "name": "b"})];
        let page2 = vec![json!({"id": "3", "name": "a"})];
        let m = one_match("Image", "b", None, &page1).unwrap();
        assert_eq!(m.unwrap()["id"], "2");
        let m = one_match("Image", "a", None, &page1).unwrap();
        let e = one_match("Image", "a", m, &page2).unwrap_err();
        assert_eq!(e.to_string(), "More than one Image exists with the name 'a'.");
        assert_eq!(one_match("Image", "3", None, &page2).unwrap().unwrap()["name"], "a");
        assert!(one_match("Image", "zzz", None, &page1).unwrap().is_none());
        assert_eq!(
            CliError::NotFound {
                kind: "Image",
                name: "x".into()
            }
            .to_string(),
            "No Image found for x"
        );
    }

    #[test]
    fn next_links_and_queries() {
        assert_eq!(
            next_url("http://h/image/v2", "/v2/images?marker=abc"),
            "http://h/image/v2/images?marker=abc"
        );
        assert_eq!(
            next_url("http://h:9292/v2", "/v2/images?marker=abc"),
            "http://h:9292/v2/images?marker=abc"
        );
        assert_eq!(
            next_url("http://h/image/v2", "/image/v2/images?marker=x"),
            "http://h/image/v2/images?marker=x"
        );
        assert_eq!(
            next_url("http://h/image/v2", "http://o/v2/images?m=1"),
            "http://o/v2/images?m=1"
        );
        let q = vec![("name".to_string(), "a b&c".to_string())];
        assert_eq!(with_query("images", &q), "images?name=a%20b%26c");
    }
}
