// Re-embed the SQL migrations (sqlx::migrate!) when they change.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
