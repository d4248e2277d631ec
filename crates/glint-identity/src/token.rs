//! Fernet tokens. The payload is Glint's own compact binary layout (the
//! Fernet envelope is the standard one), so any node holding the same keys
//! validates any node's tokens without a database lookup.
//!
//! Keys live in a directory laid out as `keystone-manage fernet_setup` does:
//! files named `0`, `1`, …; the highest number is the primary (encrypts),
//! `0` is the staged key, every key decrypts.

use std::path::Path;

use base64::Engine;
use chrono::{DateTime, TimeZone, Utc};

use crate::IdentityError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    Password,
    Token,
    ApplicationCredential,
}

impl AuthMethod {
    const ALL: [AuthMethod; 3] = [Self::Password, Self::Token, Self::ApplicationCredential];

    fn bit(self) -> u8 {
        match self {
            Self::Password => 1,
            Self::Token => 2,
            Self::ApplicationCredential => 4,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::Token => "token",
            Self::ApplicationCredential => "application_credential",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Unscoped,
    Project(String),
    Domain(String),
    System,
}

/// Everything a token carries. The rest of the token body (names, roles,
/// catalog) is looked up at validation time, so changes show immediately.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenPayload {
    pub user_id: String,
    pub methods: Vec<AuthMethod>,
    pub scope: Scope,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The token's own audit id first, then its parent's (rescoped tokens).
    pub audit_ids: Vec<String>,
    /// Set when the token came from an application credential.
    pub app_cred_id: Option<String>,
}

const PAYLOAD_VERSION: u8 = 1;

fn put_str(out: &mut Vec<u8>, s: &str) -> Result<(), IdentityError> {
    let len = u8::try_from(s.len()).map_err(|_| IdentityError::Internal("token field longer than 255 bytes".into()))?;
    out.push(len);
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn i64(&mut self) -> Option<i64> {
        self.take(8).map(|b| i64::from_be_bytes(b.try_into().unwrap_or([0; 8])))
    }
    fn string(&mut self) -> Option<String> {
        let len = self.u8()? as usize;
        String::from_utf8(self.take(len)?.to_vec()).ok()
    }
}

impl TokenPayload {
    pub fn encode(&self) -> Result<Vec<u8>, IdentityError> {
        let mut out = Vec::with_capacity(96);
        out.push(PAYLOAD_VERSION);
        out.push(self.methods.iter().fold(0, |acc, m| acc | m.bit()));
        put_str(&mut out, &self.user_id)?;
        match &self.scope {
            Scope::Unscoped => out.push(0),
            Scope::Project(id) => {
                out.push(1);
                put_str(&mut out, id)?;
            }
            Scope::Domain(id) => {
                out.push(2);
                put_str(&mut out, id)?;
            }
            Scope::System => out.push(3),
        }
        out.extend_from_slice(&self.issued_at.timestamp().to_be_bytes());
        out.extend_from_slice(&self.expires_at.timestamp().to_be_bytes());
        out.push(self.audit_ids.len() as u8);
        for audit in &self.audit_ids {
            let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(audit)
                .map_err(|_| IdentityError::Internal("malformed audit id".into()))?;
            out.extend_from_slice(&raw);
        }
        match &self.app_cred_id {
            None => out.push(0),
            Some(id) => {
                out.push(1);
                put_str(&mut out, id)?;
            }
        }
        Ok(out)
    }

    /// `None` for anything that is not a payload this code wrote.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let mut r = Reader(bytes);
        if r.u8()? != PAYLOAD_VERSION {
            return None;
        }
        let bits = r.u8()?;
        let methods = AuthMethod::ALL.into_iter().filter(|m| bits & m.bit() != 0).collect();
        let user_id = r.string()?;
        let scope = match r.u8()? {
            0 => Scope::Unscoped,
            1 => Scope::Project(r.string()?),
            2 => Scope::Domain(r.string()?),
            3 => Scope::System,
            _ => return None,
        };
        let issued_at = Utc.timestamp_opt(r.i64()?, 0).single()?;
        let expires_at = Utc.timestamp_opt(r.i64()?, 0).single()?;
        let count = r.u8()? as usize;
        let mut audit_ids = Vec::with_capacity(count);
        for _ in 0..count {
            audit_ids.push(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r.take(16)?));
        }
        let app_cred_id = match r.u8()? {
            0 => None,
            1 => Some(r.string()?),
            _ => return None,
        };
        if !r.0.is_empty() {
            return None;
        }
        Some(Self {
            user_id,
            methods,
            scope,
            issued_at,
            expires_at,
            audit_ids,
            app_cred_id,
        })
    }
}

/// A new random audit id: 16 bytes, URL-safe base64 without padding (22 chars), as Keystone.
pub fn new_audit_id() -> String {
    let bytes: [u8; 16] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The Fernet keys, primary first.
pub struct FernetKeys {
    multi: fernet::MultiFernet,
}

impl FernetKeys {
    /// Loads the key directory, creating keys `0` (staged) and `1` (primary)
    /// if it is empty.
    pub fn load_or_create(dir: &Path) -> Result<Self, IdentityError> {
        let io = |e: std::io::Error| IdentityError::Internal(format!("fernet keys in {}: {e}", dir.display()));
        std::fs::create_dir_all(dir).map_err(io)?;
        set_private(dir, 0o700).map_err(io)?;
        let mut keys = read_keys(dir).map_err(io)?;
        if keys.is_empty() {
            for index in 0..2 {
                write_key(dir, index, &fernet::Fernet::generate_key()).map_err(io)?;
            }
            keys = read_keys(dir).map_err(io)?;
        }
        Self::from_keys(keys.into_iter().rev().map(|(_, k)| k).collect())
    }

    /// `keys` primary first.
    pub fn from_keys(keys: Vec<String>) -> Result<Self, IdentityError> {
        let fernets: Vec<fernet::Fernet> = keys
            .iter()
            .map(|k| fernet::Fernet::new(k.trim()))
            .collect::<Option<_>>()
            .ok_or_else(|| IdentityError::Internal("a fernet key is malformed".into()))?;
        if fernets.is_empty() {
            return Err(IdentityError::Internal("no fernet keys".into()));
        }
        Ok(Self {
            multi: fernet::MultiFernet::new(fernets),
        })
    }

    /// Keystone strips the base64 padding from Fernet tokens; so does Glint.
    pub fn seal(&self, payload: &TokenPayload) -> Result<String, IdentityError> {
        Ok(self.multi.encrypt(&payload.encode()?).trim_end_matches('=').to_owned())
    }

    /// Decrypts and parses; says nothing about expiry or revocation.
    pub fn open(&self, token: &str) -> Option<TokenPayload> {
        if token.len() > 1024 {
            return None;
        }
        let padded = format!("{token}{}", "=".repeat((4 - token.len() % 4) % 4));
        TokenPayload::decode(&self.multi.decrypt(&padded).ok()?)
    }
}

/// Rotates the keys in `dir` as `keystone-manage fernet_rotate` does: the
/// staged key `0` becomes the new primary (highest number), a fresh staged
/// key is written, and the oldest secondary keys are removed so that at most
/// `max_active` remain. Tokens made with any remaining key still validate.
/// Returns the new primary's number.
pub fn rotate_keys(dir: &Path, max_active: usize) -> Result<u32, IdentityError> {
    let io = |e: std::io::Error| IdentityError::Internal(format!("fernet keys in {}: {e}", dir.display()));
    // Creates 0 and 1 on an empty directory.
    FernetKeys::load_or_create(dir)?;
    let keys = read_keys(dir).map_err(io)?;
    let staged = keys
        .iter()
        .find(|(i, _)| *i == 0)
        .map(|(_, k)| k.clone())
        .ok_or_else(|| IdentityError::Internal("no staged key 0".into()))?;
    let primary = keys.iter().map(|(i, _)| *i).max().unwrap_or(0) + 1;
    write_key(dir, primary, &staged).map_err(io)?;
    write_key(dir, 0, &fernet::Fernet::generate_key()).map_err(io)?;
    let mut secondaries: Vec<u32> = read_keys(dir)
        .map_err(io)?
        .into_iter()
        .map(|(i, _)| i)
        .filter(|i| *i != 0 && *i != primary)
        .collect();
    secondaries.sort_unstable();
    let keep = max_active.max(2) - 2;
    while secondaries.len() > keep {
        let oldest = secondaries.remove(0);
        std::fs::remove_file(dir.join(oldest.to_string())).map_err(io)?;
    }
    Ok(primary)
}

fn read_keys(dir: &Path) -> std::io::Result<Vec<(u32, String)>> {
    let mut keys = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if let Some(index) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) {
            keys.push((index, std::fs::read_to_string(entry.path())?));
        }
    }
    keys.sort_by_key(|(i, _)| *i);
    Ok(keys)
}

fn write_key(dir: &Path, index: u32, key: &str) -> std::io::Result<()> {
    let path = dir.join(index.to_string());
    std::fs::write(&path, key)?;
    set_private(&path, 0o600)
}

#[cfg(unix)]
pub(crate) fn set_private(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
pub(crate) fn set_private(_path: &Path, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(scope: Scope) -> TokenPayload {
        let now = Utc.timestamp_opt(1_800_000_000, 0).unwrap();
        TokenPayload {
            user_id: "ce02e938cb624d9a8032248aecfe2be0".into(),
            methods: vec![AuthMethod::Password, AuthMethod::Token],
            scope,
            issued_at: now,
            expires_at: now + chrono::Duration::hours(1),
            audit_ids: vec![new_audit_id(), new_audit_id()],
            app_cred_id: Some("0123456789abcdef0123456789abcdef".into()),
        }
    }

    #[test]
    fn payload_round_trips_for_every_scope() {
        for scope in [
            Scope::Unscoped,
            Scope::Project("7d8fb04dfa2940e0a230c6a342bdc237".into()),
            Scope::Domain("default".into()),
            Scope::System,
        ] {
            let p = sample(scope);
            assert_eq!(TokenPayload::decode(&p.encode().unwrap()), Some(p));
        }
    }

    #[test]
    fn garbage_payloads_are_rejected() {
        let good = sample(Scope::System).encode().unwrap();
        assert!(TokenPayload::decode(&good[..good.len() - 1]).is_none());
        let mut longer = good.clone();
        longer.push(0);
        assert!(TokenPayload::decode(&longer).is_none());
        assert!(TokenPayload::decode(&[]).is_none());
        assert!(TokenPayload::decode(&[9, 0, 0]).is_none());
    }

    #[test]
    fn rotation_like_keystone_manage() {
        let dir = tempfile::tempdir().unwrap();
        let t1 = FernetKeys::load_or_create(dir.path())
            .unwrap()
            .seal(&sample(Scope::System))
            .unwrap();
        // Staged 0 becomes primary 2; 1 stays as a secondary.
        assert_eq!(rotate_keys(dir.path(), 3).unwrap(), 2);
        let keys = FernetKeys::load_or_create(dir.path()).unwrap();
        assert!(
            keys.open(&t1).is_some(),
            "tokens of the previous primary still validate"
        );
        let t2 = keys.seal(&sample(Scope::System)).unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 3);
        // Next rotation: primary 3; with 3 active keys the oldest (1) goes.
        assert_eq!(rotate_keys(dir.path(), 3).unwrap(), 3);
        let keys = FernetKeys::load_or_create(dir.path()).unwrap();
        assert!(keys.open(&t1).is_none(), "the oldest key left");
        assert!(keys.open(&t2).is_some());
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["0", "2", "3"]);
    }

    #[test]
    fn keys_rotate_without_breaking_old_tokens() {
        let dir = tempfile::tempdir().unwrap();
        let keys = FernetKeys::load_or_create(dir.path()).unwrap();
        let token = keys.seal(&sample(Scope::System)).unwrap();
        assert!(token.starts_with("gAAAAA"));
        assert!(!token.ends_with('='), "padding stripped as Keystone does");
        let opened = keys.open(&token).unwrap();
        assert_eq!(opened.user_id, "ce02e938cb624d9a8032248aecfe2be0");
        assert_eq!(opened.scope, Scope::System);
        // A new primary key: the old token still opens.
        write_key(dir.path(), 2, &fernet::Fernet::generate_key()).unwrap();
        let rotated = FernetKeys::load_or_create(dir.path()).unwrap();
        assert!(rotated.open(&token).is_some());
        // Keys from elsewhere do not.
        let other = FernetKeys::from_keys(vec![fernet::Fernet::generate_key()]).unwrap();
        assert!(other.open(&token).is_none());
        assert!(rotated.open("gAAAAAgarbage").is_none());
    }
}
