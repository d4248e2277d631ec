//! On-disk token + discovery cache: `~/.cache/glint/<sha256 of auth params>.json`,
//! mode 0600, ignored once the token is within a minute of `expires_at`.

use std::io::Write;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Everything a warm command needs: token, its body (catalog, project…) and the
/// discovered endpoints.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Entry {
    /// Discovered Identity v3 base URL.
    pub identity_url: String,
    pub token: String,
    pub expires_at: Option<String>,
    /// The `token` object returned by Keystone (with catalog).
    pub token_body: Value,
    /// Discovered Image v2 base URL.
    #[serde(default)]
    pub image_url: Option<String>,
}

impl Entry {
    /// True if the token expires within `margin_secs` (or already did).
    pub fn expired(&self, margin_secs: i64) -> bool {
        match self.expires_at.as_deref().and_then(parse_time) {
            Some(t) => t - chrono::Duration::seconds(margin_secs) <= chrono::Utc::now(),
            None => false,
        }
    }
}

pub fn parse_time(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .or_else(|| chrono::DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z").ok())
        .map(|d| d.with_timezone(&chrono::Utc))
        .or_else(|| {
            chrono::NaiveDateTime::parse_from_str(s.trim_end_matches('Z'), "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|n| n.and_utc())
        })
}

pub struct Cache {
    path: PathBuf,
}

/// `$GLINT_CACHE_DIR`, else `$XDG_CACHE_HOME/glint`, else `~/.cache/glint`.
pub fn default_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("GLINT_CACHE_DIR").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(d).join("glint"));
    }
    std::env::var_os("HOME")
        .filter(|v| !v.is_empty())
        .map(|h| PathBuf::from(h).join(".cache").join("glint"))
}

impl Cache {
    pub fn new(dir: PathBuf, key: &str) -> Cache {
        Cache {
            path: dir.join(format!("{key}.json")),
        }
    }

    pub fn path(&self) -> &PathBuf {
        &self.path
    }

    /// The cached entry if present, parseable and not about to expire.
    pub fn load(&self) -> Option<Entry> {
        let data = std::fs::read(&self.path).ok()?;
        let e: Entry = serde_json::from_slice(&data).ok()?;
        if e.expired(60) {
            let _ = std::fs::remove_file(&self.path);
            return None;
        }
        Some(e)
    }

    /// Write (rename over the old entry) with mode 0600 (directory 0700).
    /// Errors are ignored: the cache is an optimisation.
    pub fn store(&self, e: &Entry) {
        let _ = self.try_store(e);
    }

    fn try_store(&self, e: &Entry) -> std::io::Result<()> {
        let dir = self
            .path
            .parent()
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."));
        std::fs::create_dir_all(&dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700));
        }
        let tmp = dir.join(format!(
            ".{}.{}.tmp",
            self.path.file_name().and_then(|f| f.to_str()).unwrap_or("c"),
            std::process::id()
        ));
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp)?;
        f.write_all(&serde_json::to_vec(e).map_err(std::io::Error::other)?)?;
        // No fsync: a cold command stores the cache twice and each fsync waits on
        // the disk (about 1 ms idle here, more when busy); the cache need not
        // survive a crash (a torn file fails to parse and is a miss).
        drop(f);
        std::fs::rename(&tmp, &self.path)
    }

    pub fn remove(&self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(expires: &str) -> Entry {
        Entry {
            identity_url: "http://h/identity/v3".into(),
            token: "tok".into(),
            expires_at: Some(expires.into()),
            token_body: serde_json::json!({"project": {"id": "p"}}),
            image_url: Some("http://h/image/v2".into()),
        }
    }

    #[test]
    fn roundtrip_mode_and_expiry() {
        let dir = tempfile::tempdir().unwrap();
        let c = Cache::new(dir.path().join("glint"), "k");
        assert!(c.load().is_none());
        let future = (chrono::Utc::now() + chrono::Duration::hours(1))
            .format("%Y-%m-%dT%H:%M:%S%.6fZ")
            .to_string();
        let e = entry(&future);
        c.store(&e);
        assert_eq!(c.load(), Some(e));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(c.path()).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        c.store(&entry("2020-01-01T00:00:00.000000Z"));
        assert!(c.load().is_none(), "expired entries are not used");
        assert!(!c.path().exists(), "expired entries are removed");
        c.store(&entry(&future));
        c.remove();
        assert!(c.load().is_none());
    }

    #[test]
    fn parses_keystone_times() {
        assert!(parse_time("2026-11-27T04:30:54.000000Z").is_some());
        assert!(parse_time("2026-11-27T04:30:54Z").is_some());
        assert!(parse_time("2026-11-27T04:30:54+0000").is_some());
    }
}
