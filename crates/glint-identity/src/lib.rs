//! Identity v3 (Keystone) for Glint.
//!
//! `service` is the identity logic as plain Rust; `api` is the only place
//! that knows Keystone's JSON shapes; `db` is the only place that writes SQL.

pub mod api;
mod cache;
pub mod db;
mod error;
pub mod model;
pub mod password;
pub mod policy;
pub mod service;
#[cfg(test)]
mod test_fixtures;
pub mod token;

pub use error::IdentityError;
pub use service::{BootstrapOutcome, BootstrapSpec, IdentityConfig, IdentityService, ResolvedScope, TokenInfo};
