//! Authentication configuration: `OS_*` variables and `--os-*` flags (clap reads
//! both), `clouds.yaml` + `secure.yaml` selected by `OS_CLOUD` / `--os-cloud`,
//! searched where openstacksdk searches.

use std::path::{Path, PathBuf};

use clap::Args;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::{CliError, Result};

/// The `--os-*` options (each also read from its `OS_*` variable).
#[derive(Args, Clone, Debug, Default)]
pub struct OsArgs {
    /// Cloud name in clouds.yaml
    #[arg(long = "os-cloud", env = "OS_CLOUD", global = true, value_name = "cloud-config-name")]
    pub cloud: Option<String>,
    /// Authentication type to use (password, token, v3applicationcredential)
    #[arg(long = "os-auth-type", env = "OS_AUTH_TYPE", global = true, value_name = "auth-type")]
    pub auth_type: Option<String>,
    #[arg(
        long = "os-auth-url",
        env = "OS_AUTH_URL",
        global = true,
        value_name = "auth-auth-url"
    )]
    pub auth_url: Option<String>,
    #[arg(
        long = "os-username",
        env = "OS_USERNAME",
        global = true,
        value_name = "auth-username"
    )]
    pub username: Option<String>,
    #[arg(long = "os-user-id", env = "OS_USER_ID", global = true, value_name = "auth-user-id")]
    pub user_id: Option<String>,
    #[arg(
        long = "os-password",
        env = "OS_PASSWORD",
        global = true,
        value_name = "auth-password",
        hide_env_values = true
    )]
    pub password: Option<String>,
    #[arg(
        long = "os-project-name",
        env = "OS_PROJECT_NAME",
        global = true,
        value_name = "auth-project-name"
    )]
    pub project_name: Option<String>,
    #[arg(
        long = "os-project-id",
        env = "OS_PROJECT_ID",
        global = true,
        value_name = "auth-project-id"
    )]
    pub project_id: Option<String>,
    #[arg(
        long = "os-user-domain-name",
        env = "OS_USER_DOMAIN_NAME",
        global = true,
        value_name = "auth-user-domain-name"
    )]
    pub user_domain_name: Option<String>,
    #[arg(
        long = "os-user-domain-id",
        env = "OS_USER_DOMAIN_ID",
        global = true,
        value_name = "auth-user-domain-id"
    )]
    pub user_domain_id: Option<String>,
    #[arg(
        long = "os-project-domain-name",
        env = "OS_PROJECT_DOMAIN_NAME",
        global = true,
        value_name = "auth-project-domain-name"
    )]
    pub project_domain_name: Option<String>,
    #[arg(
        long = "os-project-domain-id",
        env = "OS_PROJECT_DOMAIN_ID",
        global = true,
        value_name = "auth-project-domain-id"
    )]
    pub project_domain_id: Option<String>,
    #[arg(
        long = "os-domain-name",
        env = "OS_DOMAIN_NAME",
        global = true,
        value_name = "auth-domain-name"
    )]
    pub domain_name: Option<String>,
    #[arg(
        long = "os-domain-id",
        env = "OS_DOMAIN_ID",
        global = true,
        value_name = "auth-domain-id"
    )]
    pub domain_id: Option<String>,
    #[arg(
        long = "os-default-domain",
        env = "OS_DEFAULT_DOMAIN",
        global = true,
        value_name = "auth-domain"
    )]
    pub default_domain: Option<String>,
    #[arg(
        long = "os-system-scope",
        env = "OS_SYSTEM_SCOPE",
        global = true,
        value_name = "auth-system-scope"
    )]
    pub system_scope: Option<String>,
    #[arg(
        long = "os-token",
        env = "OS_TOKEN",
        global = true,
        value_name = "auth-token",
        hide_env_values = true
    )]
    pub token: Option<String>,
    #[arg(
        long = "os-application-credential-id",
        env = "OS_APPLICATION_CREDENTIAL_ID",
        global = true,
        value_name = "auth-application-credential-id"
    )]
    pub application_credential_id: Option<String>,
    #[arg(
        long = "os-application-credential-name",
        env = "OS_APPLICATION_CREDENTIAL_NAME",
        global = true,
        value_name = "auth-application-credential-name"
    )]
    pub application_credential_name: Option<String>,
    #[arg(
        long = "os-application-credential-secret",
        env = "OS_APPLICATION_CREDENTIAL_SECRET",
        global = true,
        value_name = "auth-application-credential-secret",
        hide_env_values = true
    )]
    pub application_credential_secret: Option<String>,
    #[arg(
        long = "os-region-name",
        env = "OS_REGION_NAME",
        global = true,
        value_name = "auth-region-name"
    )]
    pub region_name: Option<String>,
    #[arg(long = "os-interface", env = "OS_INTERFACE", global = true, value_name = "interface")]
    pub interface: Option<String>,
    #[arg(long = "os-cacert", env = "OS_CACERT", global = true, value_name = "ca-bundle-file")]
    pub cacert: Option<String>,
    /// Disable server certificate verification
    #[arg(long = "insecure", global = true)]
    pub insecure: bool,
    /// Accepted for compatibility; only Identity v3 is spoken
    #[arg(
        long = "os-identity-api-version",
        env = "OS_IDENTITY_API_VERSION",
        global = true,
        hide = true
    )]
    pub identity_api_version: Option<String>,
    /// Accepted for compatibility; Image v2 is always used
    #[arg(
        long = "os-image-api-version",
        env = "OS_IMAGE_API_VERSION",
        global = true,
        hide = true
    )]
    pub image_api_version: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum AuthType {
    Password,
    Token,
    ApplicationCredential,
}

/// The resolved configuration used to authenticate.
#[derive(Clone, Debug, Default, Serialize)]
pub struct AuthConfig {
    pub auth_type: Option<AuthType>,
    pub auth_url: Option<String>,
    pub username: Option<String>,
    pub user_id: Option<String>,
    pub password: Option<String>,
    pub project_name: Option<String>,
    pub project_id: Option<String>,
    pub user_domain_name: Option<String>,
    pub user_domain_id: Option<String>,
    pub project_domain_name: Option<String>,
    pub project_domain_id: Option<String>,
    pub domain_name: Option<String>,
    pub domain_id: Option<String>,
    pub system_scope: Option<String>,
    pub token: Option<String>,
    pub application_credential_id: Option<String>,
    pub application_credential_name: Option<String>,
    pub application_credential_secret: Option<String>,
    pub region_name: Option<String>,
    pub interface: String,
    pub cacert: Option<String>,
    pub insecure: bool,
}

impl AuthConfig {
    /// Key for the on-disk cache: every parameter that changes which token we get.
    pub fn cache_key(&self) -> String {
        let json = serde_json::to_string(self).unwrap_or_default();
        hex::encode(Sha256::digest(json.as_bytes()))
    }

    pub fn auth_url(&self) -> Result<&str> {
        self.auth_url.as_deref().filter(|s| !s.is_empty()).ok_or_else(|| {
            let plugin = match self.auth_type {
                Some(AuthType::Token) => "token",
                Some(AuthType::ApplicationCredential) => "v3applicationcredential",
                _ => "password",
            };
            CliError::Config(format!("Missing value auth-url required for auth plugin {plugin}"))
        })
    }
}

fn parse_auth_type(s: &str) -> Result<AuthType> {
    match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
        "password" | "v3password" => Ok(AuthType::Password),
        "token" | "v3token" => Ok(AuthType::Token),
        "v3applicationcredential"
        | "applicationcredential"
        | "v3_application_credential"
        | "application_credential" => Ok(AuthType::ApplicationCredential),
        other => Err(CliError::Config(format!("Unsupported auth type: {other}"))),
    }
}

fn home() -> Option<PathBuf> {
    std::env::var_os("HOME").filter(|h| !h.is_empty()).map(PathBuf::from)
}

fn config_dirs() -> Vec<PathBuf> {
    let mut dirs = vec![std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."))];
    let xdg = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| home().map(|h| h.join(".config")));
    if let Some(x) = xdg {
        dirs.push(x.join("openstack"));
    }
    dirs.push(PathBuf::from("/etc/openstack"));
    dirs
}

/// First existing file among `$ENV_VAR` and `<dir>/<stem>.{yaml,yml,json}` in the search path.
fn find_file(env_var: &str, stem: &str) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(env_var).filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(p)).filter(|p| p.is_file());
    }
    for d in config_dirs() {
        for ext in ["yaml", "yml", "json"] {
            let p = d.join(format!("{stem}.{ext}"));
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

fn load_yaml(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path).map_err(|e| CliError::Config(format!("{}: {e}", path.display())))?;
    serde_norway::from_str::<Value>(&text).map_err(|e| CliError::Config(format!("{}: {e}", path.display())))
}

fn merge(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(k) {
                    Some(slot) if slot.is_object() && v.is_object() => merge(slot, v),
                    _ => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, o) => *b = o.clone(),
    }
}

/// The named cloud's entry from clouds.yaml, with secure.yaml merged in.
pub fn load_cloud(name: &str) -> Result<Value> {
    let mut clouds = match find_file("OS_CLIENT_CONFIG_FILE", "clouds") {
        Some(p) => load_yaml(&p)?,
        None => Value::Null,
    };
    if let Some(p) = find_file("OS_CLIENT_SECURE_FILE", "secure") {
        let secure = load_yaml(&p)?;
        if clouds.is_null() {
            clouds = serde_json::json!({});
        }
        merge(&mut clouds, &secure);
    }
    clouds
        .get("clouds")
        .and_then(|c| c.get(name))
        .cloned()
        .ok_or_else(|| CliError::Config(format!("Cloud {name} was not found.")))
}

fn yaml_str(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Resolve the configuration: flags/env override the cloud entry.
pub fn resolve(args: &OsArgs) -> Result<AuthConfig> {
    let cloud = match args.cloud.as_deref().filter(|c| !c.is_empty()) {
        Some(name) => load_cloud(name)?,
        None => Value::Null,
    };
    resolve_with_cloud(args, &cloud)
}

pub fn resolve_with_cloud(args: &OsArgs, cloud: &Value) -> Result<AuthConfig> {
    let auth = cloud.get("auth").cloned().unwrap_or(Value::Null);
    let a = |k: &str| yaml_str(auth.get(k)).or_else(|| yaml_str(auth.get(k.replace('_', "-").as_str())));
    let c = |k: &str| yaml_str(cloud.get(k)).or_else(|| yaml_str(cloud.get(k.replace('_', "-").as_str())));
    let pick =
        |flag: &Option<String>, from_cloud: Option<String>| flag.clone().filter(|s| !s.is_empty()).or(from_cloud);

    let default_domain = pick(
        &args.default_domain,
        a("default_domain").or_else(|| c("default_domain")),
    );
    let mut cfg = AuthConfig {
        auth_type: None,
        auth_url: pick(&args.auth_url, a("auth_url")),
        username: pick(&args.username, a("username")),
        user_id: pick(&args.user_id, a("user_id")),
        password: pick(&args.password, a("password")),
        project_name: pick(&args.project_name, a("project_name").or_else(|| a("tenant_name"))),
        project_id: pick(&args.project_id, a("project_id").or_else(|| a("tenant_id"))),
        user_domain_name: pick(&args.user_domain_name, a("user_domain_name")),
        user_domain_id: pick(&args.user_domain_id, a("user_domain_id")),
        project_domain_name: pick(&args.project_domain_name, a("project_domain_name")),
        project_domain_id: pick(&args.project_domain_id, a("project_domain_id")),
        domain_name: pick(&args.domain_name, a("domain_name")),
        domain_id: pick(&args.domain_id, a("domain_id")),
        system_scope: pick(&args.system_scope, a("system_scope")),
        token: pick(&args.token, a("token")),
        application_credential_id: pick(&args.application_credential_id, a("application_credential_id")),
        application_credential_name: pick(&args.application_credential_name, a("application_credential_name")),
        application_credential_secret: pick(&args.application_credential_secret, a("application_credential_secret")),
        region_name: pick(
            &args.region_name,
            c("region_name").or_else(|| {
                cloud
                    .get("regions")
                    .and_then(|r| r.get(0))
                    .and_then(|r| yaml_str(Some(r)).or_else(|| yaml_str(r.get("name"))))
            }),
        ),
        interface: pick(&args.interface, c("interface")).unwrap_or_else(|| "public".into()),
        cacert: pick(&args.cacert, c("cacert")),
        insecure: args.insecure || cloud.get("verify") == Some(&Value::Bool(false)),
    };
    // openstacksdk's default_domain fills in missing *_domain_id.
    if let Some(dd) = default_domain {
        if cfg.user_domain_id.is_none() && cfg.user_domain_name.is_none() {
            cfg.user_domain_id = Some(dd.clone());
        }
        if cfg.project_domain_id.is_none() && cfg.project_domain_name.is_none() {
            cfg.project_domain_id = Some(dd);
        }
    }
    // publicURL -> public, as keystoneauth accepts both.
    cfg.interface = cfg.interface.trim_end_matches("URL").to_string();
    let explicit = pick(&args.auth_type, c("auth_type"));
    cfg.auth_type = Some(match explicit {
        Some(t) => parse_auth_type(&t)?,
        None if cfg.application_credential_secret.is_some() => AuthType::ApplicationCredential,
        None if cfg.token.is_some() && cfg.password.is_none() => AuthType::Token,
        None => AuthType::Password,
    });
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn flags_override_cloud() {
        let cloud = json!({"auth": {"auth_url": "http://a/identity", "username": "u", "password": "p",
                           "project_name": "demo", "user_domain_name": "Default"},
                           "region_name": "R1", "interface": "internal"});
        let args = OsArgs {
            username: Some("admin".into()),
            ..Default::default()
        };
        let cfg = resolve_with_cloud(&args, &cloud).unwrap();
        assert_eq!(cfg.username.as_deref(), Some("admin"));
        assert_eq!(cfg.password.as_deref(), Some("p"));
        assert_eq!(cfg.region_name.as_deref(), Some("R1"));
        assert_eq!(cfg.interface, "internal");
        assert_eq!(cfg.auth_type, Some(AuthType::Password));
    }

    #[test]
    fn auth_type_detection_and_defaults() {
        let args = OsArgs {
            application_credential_id: Some("id".into()),
            application_credential_secret: Some("s".into()),
            default_domain: Some("default".into()),
            interface: Some("publicURL".into()),
            ..Default::default()
        };
        let cfg = resolve_with_cloud(&args, &Value::Null).unwrap();
        assert_eq!(cfg.auth_type, Some(AuthType::ApplicationCredential));
        assert_eq!(cfg.user_domain_id.as_deref(), Some("default"));
        assert_eq!(cfg.interface, "public");
        let tok = OsArgs {
            token: Some("t".into()),
            ..Default::default()
        };
        assert_eq!(
            resolve_with_cloud(&tok, &Value::Null).unwrap().auth_type,
            Some(AuthType::Token)
        );
        let bad = OsArgs {
            auth_type: Some("oidc".into()),
            ..Default::default()
        };
        assert!(resolve_with_cloud(&bad, &Value::Null).is_err());
        let none = resolve_with_cloud(&OsArgs::default(), &Value::Null).unwrap();
        assert_eq!(
            none.auth_url().unwrap_err().to_string(),
            "Missing value auth-url required for auth plugin password"
        );
    }

    #[test]
    fn cache_key_depends_on_secrets() {
        let a = OsArgs {
            password: Some("a".into()),
            ..Default::default()
        };
        let b = OsArgs {
            password: Some("b".into()),
            ..Default::default()
        };
        let ka = resolve_with_cloud(&a, &Value::Null).unwrap().cache_key();
        let kb = resolve_with_cloud(&b, &Value::Null).unwrap().cache_key();
        assert_ne!(ka, kb);
        assert_eq!(ka.len(), 64);
    }

    #[test]
    fn clouds_and_secure_yaml() {
        let dir = tempfile::tempdir().unwrap();
        let clouds = dir.path().join("clouds.yaml");
        let secure = dir.path().join("secure.yaml");
        std::fs::write(&clouds, "clouds:\n  mine:\n    auth:\n      auth_url: http://h/identity\n      username: admin\n    regions:\n    - RegionTwo\n").unwrap();
        std::fs::write(&secure, "clouds:\n  mine:\n    auth:\n      password: s3cret\n").unwrap();
        let mut c = load_yaml(&clouds).unwrap();
        merge(&mut c, &load_yaml(&secure).unwrap());
        let cloud = c["clouds"]["mine"].clone();
        let cfg = resolve_with_cloud(&OsArgs::default(), &cloud).unwrap();
        assert_eq!(cfg.password.as_deref(), Some("s3cret"));
        assert_eq!(cfg.username.as_deref(), Some("admin"));
        assert_eq!(cfg.region_name.as_deref(), Some("RegionTwo"));
    }
}
