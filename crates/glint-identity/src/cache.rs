//! A short-lived cache of validated tokens, so that the image service does
//! not repeat a dozen lookups on every request. Any identity change on this
//! node (a write request, a revocation) bumps a generation number that
//! invalidates every entry at once; changes made on another node are seen
//! within [`TOKEN_CACHE_TTL`], as keystonemiddleware's cache behaves.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::TokenInfo;

pub const TOKEN_CACHE_TTL: Duration = Duration::from_secs(30);
const MAX_ENTRIES: usize = 10_000;

/// Cache generation when stored, when stored, the validation.
type CachedToken = (u64, Instant, Arc<TokenInfo>);

pub struct TokenCache {
    generation: AtomicU64,
    entries: Mutex<HashMap<String, CachedToken>>,
}

impl Default for TokenCache {
    fn default() -> Self {
        Self {
            generation: AtomicU64::new(0),
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl TokenCache {
    /// Forget everything: something that tokens depend on changed.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut e) = self.entries.lock() {
            e.clear();
        }
    }

    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    pub fn get(&self, token: &str) -> Option<Arc<TokenInfo>> {
        let entries = self.entries.lock().ok()?;
        let (generation, at, info) = entries.get(token)?;
        let fresh = *generation == self.generation() && at.elapsed() < TOKEN_CACHE_TTL;
        (fresh && info.payload.expires_at > chrono::Utc::now()).then(|| info.clone())
    }

    /// Stores `info` if nothing changed since `generation` was read.
    pub fn put(&self, generation: u64, info: &Arc<TokenInfo>) {
        if generation != self.generation() {
            return;
        }
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(info.token.clone(), (generation, Instant::now(), Arc::clone(info)));
        }
    }
}
