//! The metadata database and image store behind these tests' `glint serve`, as in the
//! server suite (crates/glint-server/tests/common) and the Python suites
//! (tests/glint_backends.py): embedded SQLite + filesystem unless the scale-out run
//! (tests/engines/scale-out.sh) sets
//!   GLINT_TEST_DATABASE_URL  postgres://… of a role with CREATEDB: a fresh database per server
//!   GLINT_TEST_STORE         ID=SPEC for `glint serve --store` (Swift, S3)

/// Extra `glint serve` arguments for the configured database and store.
pub fn serve_backend_args() -> Vec<String> {
    let mut args = Vec::new();
    if let Some(admin_url) = env("GLINT_TEST_DATABASE_URL") {
        args.push("--database".to_owned());
        args.push(fresh_database(&admin_url));
    }
    if let Some(store) = env("GLINT_TEST_STORE") {
        args.push("--store".to_owned());
        args.push(store);
    }
    args
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// A new, empty database next to the one `admin_url` names.
fn fresh_database(admin_url: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let name = format!("glint_bin_{}_{nanos}", std::process::id());
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime for one statement")
        .block_on(glint_metadata::create_postgres_database(admin_url, &name))
        .expect("create a test database through GLINT_TEST_DATABASE_URL")
}
