//! Keystone v3: version discovery, token request bodies, catalog lookups, and
//! service (image) version discovery — the pure parts, unit-tested.

use serde_json::{json, Value};

use crate::config::{AuthConfig, AuthType};
use crate::error::{CliError, Result};

/// Parse a version document (Keystone's `{"versions":{"values":[…]}}`, Glance's
/// `{"versions":[…]}`, or a single `{"version":{…}}`) into its entries.
pub fn version_entries(doc: &Value) -> Vec<Value> {
    if let Some(v) = doc.get("version").filter(|v| v.is_object()) {
        return vec![v.clone()];
    }
    match doc.get("versions") {
        Some(Value::Array(a)) => a.clone(),
        Some(Value::Object(o)) => o.get("values").and_then(Value::as_array).cloned().unwrap_or_default(),
        _ if doc.get("id").is_some() => vec![doc.clone()],
        _ => Vec::new(),
    }
}

/// keystoneauth's status normalisation.
pub fn normalize_status(s: &str) -> &'static str {
    match s.to_ascii_lowercase().as_str() {
        "current" | "stable" => "CURRENT",
        "supported" => "SUPPORTED",
        "deprecated" => "DEPRECATED",
        "experimental" => "EXPERIMENTAL",
        _ => "UNKNOWN",
    }
}

/// `v2.17` → (2, 17).
pub fn parse_version(id: &str) -> Option<(u64, u64)> {
    let s = id.trim_start_matches(['v', 'V']);
    let mut it = s.split('.');
    let major = it.next()?.parse().ok()?;
    let minor = it.next().map(|m| m.parse().unwrap_or(0)).unwrap_or(0);
    Some((major, minor))
}

pub fn self_link(entry: &Value) -> Option<String> {
    entry
        .get("links")?
        .as_array()?
        .iter()
        .find(|l| l.get("rel").and_then(Value::as_str) == Some("self"))
        .and_then(|l| l.get("href").and_then(Value::as_str))
        .map(str::to_string)
}

/// The self href of the best version with the given major: the CURRENT one, else
/// the highest minor that is not deprecated.
pub fn pick_version(doc: &Value, major: u64) -> Option<String> {
    let mut candidates: Vec<(u8, (u64, u64), String)> = version_entries(doc)
        .iter()
        .filter_map(|e| {
            let v = parse_version(e.get("id")?.as_str()?)?;
            if v.0 != major {
                return None;
            }
            let rank = match normalize_status(e.get("status").and_then(Value::as_str).unwrap_or("")) {
                "CURRENT" => 3,
                "SUPPORTED" => 2,
                "DEPRECATED" => 0,
                _ => 1,
            };
            Some((rank, v, self_link(e)?))
        })
        .collect();
    candidates.sort();
    candidates.pop().map(|(_, _, href)| href)
}

/// Whether a URL's last path segment is a version (`/v3`, `/v2.0/`).
pub fn url_version(url: &str) -> Option<(u64, u64)> {
    let last = url.trim_end_matches('/').rsplit('/').next()?;
    if last.starts_with('v') && last[1..].chars().next().is_some_and(|c| c.is_ascii_digit()) {
        parse_version(last)
    } else {
        None
    }
}

fn domain(id: &Option<String>, name: &Option<String>) -> Option<Value> {
    match (id, name) {
        (Some(i), _) => Some(json!({"id": i})),
        (None, Some(n)) => Some(json!({"name": n})),
        _ => None,
    }
}

fn scope(cfg: &AuthConfig) -> Option<Value> {
    if let Some(pid) = &cfg.project_id {
        return Some(json!({"project": {"id": pid}}));
    }
    if let Some(pn) = &cfg.project_name {
        let mut p = json!({"name": pn});
        if let Some(d) = domain(&cfg.project_domain_id, &cfg.project_domain_name) {
            p["domain"] = d;
        }
        return Some(json!({"project": p}));
    }
    if let Some(d) = domain(&cfg.domain_id, &cfg.domain_name) {
        return Some(json!({"domain": d}));
    }
    if let Some(s) = &cfg.system_scope {
        return Some(json!({"system": {s.clone(): true}}));
    }
    None
}

/// The `POST /v3/auth/tokens` body, and the same with secrets masked for `--debug`.
pub fn token_request(cfg: &AuthConfig) -> Result<(Value, Value)> {
    let missing =
        |what: &str, plugin: &str| CliError::Config(format!("Missing value {what} required for auth plugin {plugin}"));
    let (identity, masked_identity) = match cfg.auth_type.unwrap_or(AuthType::Password) {
        AuthType::Password => {
            let password = cfg.password.clone().ok_or_else(|| missing("password", "password"))?;
            let mut user = match (&cfg.user_id, &cfg.username) {
                (Some(id), _) => json!({"id": id}),
                (None, Some(name)) => {
                    let mut u = json!({"name": name});
                    if let Some(d) = domain(&cfg.user_domain_id, &cfg.user_domain_name) {
                        u["domain"] = d;
                    }
                    u
                }
                (None, None) => return Err(missing("username", "password")),
            };
            let mut masked = user.clone();
            user["password"] = json!(password);
            masked["password"] = json!("***");
            (
                json!({"methods": ["password"], "password": {"user": user}}),
                json!({"methods": ["password"], "password": {"user": masked}}),
            )
        }
        AuthType::Token => {
            let token = cfg.token.clone().ok_or_else(|| missing("token", "token"))?;
            (
                json!({"methods": ["token"], "token": {"id": token}}),
                json!({"methods": ["token"], "token": {"id": "***"}}),
            )
        }
        AuthType::ApplicationCredential => {
            let secret = cfg
                .application_credential_secret
                .clone()
                .ok_or_else(|| missing("application_credential_secret", "v3applicationcredential"))?;
            let mut ac = match (&cfg.application_credential_id, &cfg.application_credential_name) {
                (Some(id), _) => json!({"id": id}),
                (None, Some(name)) => {
                    let mut user = match (&cfg.user_id, &cfg.username) {
                        (Some(id), _) => json!({"id": id}),
                        (None, Some(n)) => json!({"name": n}),
                        _ => return Err(missing("username", "v3applicationcredential")),
                    };
                    if let Some(d) = domain(&cfg.user_domain_id, &cfg.user_domain_name) {
                        user["domain"] = d;
                    }
                    json!({"name": name, "user": user})
                }
                _ => return Err(missing("application_credential_id", "v3applicationcredential")),
            };
            let mut masked = ac.clone();
            ac["secret"] = json!(secret);
            masked["secret"] = json!("***");
            (
                json!({"methods": ["application_credential"], "application_credential": ac}),
                json!({"methods": ["application_credential"], "application_credential": masked}),
            )
        }
    };
    let mut body = json!({"auth": {"identity": identity}});
    let mut masked = json!({"auth": {"identity": masked_identity}});
    if cfg.auth_type != Some(AuthType::ApplicationCredential) {
        if let Some(s) = scope(cfg) {
            body["auth"]["scope"] = s.clone();
            masked["auth"]["scope"] = s;
        }
    }
    Ok((body, masked))
}

/// A catalog endpoint chosen for a service.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    pub url: String,
    pub service_name: String,
    pub service_type: String,
}

/// Find `service_type`'s endpoint for `interface` (and `region`, matched against
/// `region_id` or `region`).
pub fn find_endpoint(catalog: &[Value], service_type: &str, interface: &str, region: Option<&str>) -> Option<Endpoint> {
    for svc in catalog {
        if svc.get("type").and_then(Value::as_str) != Some(service_type) {
            continue;
        }
        let eps = svc.get("endpoints").and_then(Value::as_array)?;
        for ep in eps {
            if ep.get("interface").and_then(Value::as_str) != Some(interface) {
                continue;
            }
            if let Some(r) = region {
                let rid = ep.get("region_id").and_then(Value::as_str);
                let rname = ep.get("region").and_then(Value::as_str);
                if rid != Some(r) && rname != Some(r) {
                    continue;
                }
            }
            if let Some(url) = ep.get("url").and_then(Value::as_str) {
                return Some(Endpoint {
                    url: url.to_string(),
                    service_name: svc
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or(service_type)
                        .to_string(),
                    service_type: service_type.to_string(),
                });
            }
        }
    }
    None
}

/// "Public endpoint for image service in RegionOne region not found" (keystoneauth-ish).
pub fn endpoint_not_found(service_type: &str, interface: &str, region: Option<&str>) -> CliError {
    let mut interface_cap = interface.to_string();
    if let Some(f) = interface_cap.get_mut(0..1) {
        f.make_ascii_uppercase();
    }
    match region {
        Some(r) => CliError::Command(format!(
            "{interface_cap} endpoint for {service_type} service in {r} region not found"
        )),
        None => CliError::Command(format!("{interface_cap} endpoint for {service_type} service not found")),
    }
}

/// Join a base URL and a path with exactly one slash.
pub fn join(base: &str, path: &str) -> String {
    format!("{}/{}", base.trim_end_matches('/'), path.trim_start_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_docs() {
        let ks = json!({"versions": {"values": [{"id": "v3.14", "status": "stable", "links": [{"rel": "self", "href": "http://h:5000/v3/"}]}]}});
        assert_eq!(pick_version(&ks, 3).as_deref(), Some("http://h:5000/v3/"));
        let one = json!({"version": {"id": "v3.14", "status": "stable", "links": [{"rel": "self", "href": "http://h/identity/v3/"}]}});
        assert_eq!(pick_version(&one, 3).as_deref(), Some("http://h/identity/v3/"));
        let gl = json!({"versions": [
            {"id": "v2.15", "status": "SUPPORTED", "links": [{"rel": "self", "href": "http://h/old/v2/"}]},
            {"id": "v2.17", "status": "CURRENT", "links": [{"rel": "self", "href": "http://h/image/v2/"}]},
            {"id": "v2.16", "status": "SUPPORTED", "links": [{"rel": "self", "href": "http://h/x/v2/"}]}]});
        assert_eq!(pick_version(&gl, 2).as_deref(), Some("http://h/image/v2/"));
        assert_eq!(pick_version(&gl, 3), None);
        assert_eq!(url_version("http://h/identity/v3/"), Some((3, 0)));
        assert_eq!(url_version("http://h/identity"), None);
    }

    #[test]
    fn token_bodies() {
        let cfg = AuthConfig {
            auth_type: Some(AuthType::Password),
            username: Some("admin".into()),
            password: Some("pw".into()),
            user_domain_name: Some("Default".into()),
            project_name: Some("admin".into()),
            project_domain_id: Some("default".into()),
            ..Default::default()
        };
        let (body, masked) = token_request(&cfg).unwrap();
        assert_eq!(
            body,
            json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "admin", "domain": {"name": "Default"}, "password": "pw"}}},
                   "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}})
        );
        assert_eq!(masked["auth"]["identity"]["password"]["user"]["password"], "***");
        let ac = AuthConfig {
            auth_type: Some(AuthType::ApplicationCredential),
            application_credential_id: Some("acid".into()),
            application_credential_secret: Some("s".into()),
            project_name: Some("ignored".into()),
            ..Default::default()
        };
        let (body, _) = token_request(&ac).unwrap();
        assert_eq!(
            body,
            json!({"auth": {"identity": {"methods": ["application_credential"], "application_credential": {"id": "acid", "secret": "s"}}}})
        );
        let tok = AuthConfig {
            auth_type: Some(AuthType::Token),
            token: Some("t".into()),
            project_id: Some("p".into()),
            ..Default::default()
        };
        let (body, _) = token_request(&tok).unwrap();
        assert_eq!(
            body,
            json!({"auth": {"identity": {"methods": ["token"], "token": {"id": "t"}}, "scope": {"project": {"id": "p"}}}})
        );
        let nopw = AuthConfig {
            auth_type: Some(AuthType::Password),
            username: Some("u".into()),
            ..Default::default()
        };
        assert!(token_request(&nopw).is_err());
    }

    #[test]
    fn endpoint_selection() {
        let cat = vec![json!({"type": "image", "name": "glance", "endpoints": [
            {"interface": "public", "region_id": "R1", "region": "R1", "url": "http://r1/image"},
            {"interface": "internal", "region_id": "R1", "url": "http://int/image"},
            {"interface": "public", "region_id": "R2", "url": "http://r2/image"}]})];
        assert_eq!(
            find_endpoint(&cat, "image", "public", None).unwrap().url,
            "http://r1/image"
        );
        assert_eq!(
            find_endpoint(&cat, "image", "public", Some("R2")).unwrap().url,
            "http://r2/image"
        );
        assert_eq!(
            find_endpoint(&cat, "image", "internal", None).unwrap().url,
            "http://int/image"
        );
        assert!(find_endpoint(&cat, "image", "admin", None).is_none());
        assert_eq!(
            find_endpoint(&cat, "image", "public", None).unwrap().service_name,
            "glance"
        );
        assert_eq!(join("http://h/v2/", "/images"), "http://h/v2/images");
    }
}
