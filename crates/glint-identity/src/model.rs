//! Plain identity records, as stored; JSON shapes live in `api`.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Domain {
    pub id: String,
    pub name: String,
    pub description: String,
    pub enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    pub id: String,
    pub name: String,
    pub domain_id: String,
    pub parent_id: Option<String>,
    pub description: String,
    pub enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub name: String,
    pub domain_id: String,
    pub enabled: bool,
    pub default_project_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub id: String,
    pub interface: String,
    pub region_id: Option<String>,
    pub url: String,
}

/// One catalog entry: a service with its enabled endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogService {
    pub id: String,
    pub service_type: String,
    pub name: String,
    pub endpoints: Vec<Endpoint>,
}

/// Where a role assignment applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Project(String),
    Domain(String),
    System,
}

impl Target {
    pub(crate) fn parts(&self) -> (&'static str, &str) {
        match self {
            Target::Project(id) => ("project", id),
            Target::Domain(id) => ("domain", id),
            Target::System => ("system", "all"),
        }
    }
}

/// A new Keystone-style id: 32 lowercase hex characters.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}
