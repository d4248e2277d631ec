#![recursion_limit = "256"]
//! Image v2 (Glance) for Glint.
//!
//! `model` (records and the status machine), `policy`, `filter` and
//! `format` are plain Rust that tests call directly; `service` runs every
//! operation over `db` (SQL) and a `glint_store::StoreBackend`; `api` is the
//! only place that knows Glance's JSON and HTTP shapes.

pub mod api;
pub mod auth;
pub mod db;
mod error;
pub mod filter;
pub mod format;
pub mod metadefs;
mod metadefs_api;
pub mod model;
pub mod policy;
pub mod quota;
pub mod schema;
pub mod service;
mod statement;
pub mod trace;
pub mod traced_store;
pub mod web_download;

pub use error::{ErrorFormat, GlanceErrorBody, ImageError};
pub use service::{ImageLimits, ImageService};
