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
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub name: String,
    pub domain_id: String,
    pub enabled: bool,
    pub default_project_id: Option<String>,
    /// Keystone's free-form attributes (`description`, `email`, …), a JSON object.
    pub extra: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub id: String,
    pub name: String,
    pub description: String,
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
    pub fn parts(&self) -> (&'static str, &str) {
        match self {
            Target::Project(id) => ("project", id),
            Target::Domain(id) => ("domain", id),
            Target::System => ("system", "all"),
        }
    }
}

impl Target {
    pub fn from_parts(kind: &str, id: &str) -> Option<Self> {
        match kind {
            "project" => Some(Target::Project(id.to_owned())),
            "domain" => Some(Target::Domain(id.to_owned())),
            "system" => Some(Target::System),
            _ => None,
        }
    }
}

/// A new Keystone-style id: 32 lowercase hex characters.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub id: String,
    pub name: String,
    pub domain_id: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    pub id: String,
    pub description: String,
    pub parent_region_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub id: String,
    pub service_type: String,
    pub name: String,
    pub description: String,
    pub enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointRecord {
    pub id: String,
    pub service_id: String,
    pub interface: String,
    pub region_id: Option<String>,
    pub url: String,
    pub enabled: bool,
}

/// One grant: `actor` (a user or a group) holds `role_id` on `target`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub actor: Actor,
    pub target: Target,
    pub role_id: String,
    /// For effective assignments obtained through a group.
    pub via_group: Option<String>,
    /// For effective assignments obtained through an implied role.
    pub implied_from: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    User(String),
    Group(String),
}

impl Actor {
    pub fn id(&self) -> &str {
        match self {
            Actor::User(id) | Actor::Group(id) => id,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppCredential {
    pub id: String,
    pub name: String,
    pub user_id: String,
    pub project_id: String,
    pub description: String,
    pub expires_at: Option<i64>,
    pub unrestricted: bool,
    /// Whether the client said `unrestricted` at all (Keystone shows null otherwise).
    pub unrestricted_given: bool,
    pub role_ids: Vec<String>,
    pub access_rules: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredLimit {
    pub id: String,
    pub service_id: String,
    pub region_id: Option<String>,
    pub resource_name: String,
    pub default_limit: i64,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit {
    pub id: String,
    pub project_id: Option<String>,
    pub domain_id: Option<String>,
    pub service_id: String,
    pub region_id: Option<String>,
    pub resource_name: String,
    pub resource_limit: i64,
    pub description: Option<String>,
}
