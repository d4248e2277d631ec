//! The identity service: authentication, token validation, revocation and
//! bootstrap, as plain Rust. `api` maps HTTP onto it.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use crate::db::IdentityDb;
use crate::model::{CatalogService, Domain, Project, Role, Target, User};
use crate::password::{hash_password, verify_password};
use crate::token::{new_audit_id, AuthMethod, FernetKeys, Scope, TokenPayload};
use crate::IdentityError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DomainRef {
    Id(String),
    Name(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserRef {
    Id(String),
    Name { name: String, domain: DomainRef },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProjectRef {
    Id(String),
    Name { name: String, domain: DomainRef },
}

/// How the caller proves who they are.
#[derive(Debug, Clone)]
pub enum Credentials {
    Password { user: UserRef, password: String },
    Token { token: String },
}

/// What the caller asks the token to be scoped to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeRequest {
    /// No scope given: the user's default project if usable, else unscoped.
    Default,
    /// The literal `"unscoped"`.
    Unscoped,
    Project(ProjectRef),
    Domain(DomainRef),
    System,
}

/// A token's scope with its records resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolvedScope {
    Unscoped,
    Project { project: Project, domain: Domain },
    Domain(Domain),
    System,
}

/// A valid token and everything its body shows.
#[derive(Debug, Clone)]
pub struct TokenInfo {
    pub token: String,
    pub payload: TokenPayload,
    pub user: User,
    pub user_domain: Domain,
    pub scope: ResolvedScope,
    pub roles: Vec<Role>,
}

impl TokenInfo {
    pub fn project_id(&self) -> Option<&str> {
        match &self.scope {
            ResolvedScope::Project { project, .. } => Some(&project.id),
            _ => None,
        }
    }

    pub fn has_role(&self, name: &str) -> bool {
        self.roles.iter().any(|r| r.name == name)
    }

    pub fn is_system_scoped(&self) -> bool {
        matches!(self.scope, ResolvedScope::System)
    }
}

pub struct IdentityConfig {
    pub token_ttl: Duration,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        Self {
            token_ttl: Duration::hours(1),
        }
    }
}

pub struct IdentityService {
    db: IdentityDb,
    keys: FernetKeys,
    config: IdentityConfig,
}

/// What bootstrap needs to know; the service fills in the rest.
pub struct BootstrapSpec {
    /// `None`: keep an existing admin's password, or generate one.
    pub admin_password: Option<String>,
    pub region: String,
    /// Base URL clients reach the server at, e.g. `http://127.0.0.1:5050`.
    pub public_url: String,
}

pub struct BootstrapOutcome {
    /// The admin password, when this run set it (first start, or a new explicit password).
    pub admin_password: Option<String>,
    pub admin_user_id: String,
    pub admin_project_id: String,
}

impl IdentityService {
    pub fn new(db: IdentityDb, keys: FernetKeys, config: IdentityConfig) -> Arc<Self> {
        Arc::new(Self { db, keys, config })
    }

    /// Opens the service with Fernet keys from `key_dir`.
    pub async fn open(
        pool: sqlx::SqlitePool,
        key_dir: &Path,
        config: IdentityConfig,
    ) -> Result<Arc<Self>, IdentityError> {
        let db = IdentityDb::new(pool).await?;
        let keys = FernetKeys::load_or_create(key_dir)?;
        Ok(Self::new(db, keys, config))
    }

    pub fn db(&self) -> &IdentityDb {
        &self.db
    }

    // ---- authentication --------------------------------------------------

    /// Issues a token (Keystone `POST /v3/auth/tokens`).
    pub async fn authenticate(
        &self,
        credentials: Credentials,
        scope: ScopeRequest,
    ) -> Result<TokenInfo, IdentityError> {
        let now = Utc::now();
        let (user, methods, expires_at, parent_audit) = match credentials {
            Credentials::Password { user, password } => {
                let user = self.check_password(&user, password).await?;
                (
                    user,
                    vec![AuthMethod::Password],
                    now + self.config.token_ttl,
                    None,
                )
            }
            Credentials::Token { token } => {
                let parent = self
                    .validate(&token)
                    .await
                    .map_err(|_| IdentityError::Unauthorized)?;
                let mut methods = vec![AuthMethod::Token];
                methods.extend(
                    parent
                        .payload
                        .methods
                        .iter()
                        .copied()
                        .filter(|m| *m != AuthMethod::Token),
                );
                // A rescoped token never outlives the one it came from.
                let parent_audit = parent.payload.audit_ids.first().cloned();
                (
                    parent.user,
                    methods,
                    parent.payload.expires_at,
                    parent_audit,
                )
            }
        };
        let scope = self.resolve_scope_request(&user, scope).await?;
        let mut audit_ids = vec![new_audit_id()];
        audit_ids.extend(parent_audit);
        let payload = TokenPayload {
            user_id: user.id.clone(),
            methods,
            scope: match &scope {
                ResolvedScope::Unscoped => Scope::Unscoped,
                ResolvedScope::Project { project, .. } => Scope::Project(project.id.clone()),
                ResolvedScope::Domain(d) => Scope::Domain(d.id.clone()),
                ResolvedScope::System => Scope::System,
            },
            issued_at: truncate_to_seconds(now),
            expires_at: truncate_to_seconds(expires_at),
            audit_ids,
        };
        let token = self.keys.seal(&payload)?;
        self.describe(token, payload, user, Some(scope)).await
    }

    async fn check_password(
        &self,
        user_ref: &UserRef,
        password: String,
    ) -> Result<User, IdentityError> {
        let user = match user_ref {
            UserRef::Id(id) => self.db.user(id).await?,
            UserRef::Name { name, domain } => match self.find_domain(domain).await? {
                Some(d) => self.db.user_by_name(&d.id, name).await?,
                None => None,
            },
        };
        // Hash even when the user is unknown so timing does not reveal which names exist.
        let stored = match &user {
            Some(u) => self.db.password_hash(&u.id).await?,
            None => None,
        };
        // Argon2 takes tens of milliseconds of CPU: keep it off the async workers.
        let ok = tokio::task::spawn_blocking(move || match &stored {
            Some(hash) => verify_password(&password, hash),
            None => {
                let _ = verify_password(&password, dummy_hash());
                false
            }
        })
        .await
        .map_err(|e| IdentityError::Internal(e.to_string()))?;
        match user {
            Some(u) if ok && u.enabled && self.domain_enabled(&u.domain_id).await? => Ok(u),
            _ => Err(IdentityError::Unauthorized),
        }
    }

    async fn domain_enabled(&self, domain_id: &str) -> Result<bool, IdentityError> {
        Ok(self.db.domain(domain_id).await?.is_some_and(|d| d.enabled))
    }

    async fn find_domain(&self, domain: &DomainRef) -> Result<Option<Domain>, IdentityError> {
        match domain {
            DomainRef::Id(id) => self.db.domain(id).await,
            DomainRef::Name(name) => self.db.domain_by_name(name).await,
        }
    }

    async fn resolve_scope_request(
        &self,
        user: &User,
        scope: ScopeRequest,
    ) -> Result<ResolvedScope, IdentityError> {
        match scope {
            ScopeRequest::Unscoped => Ok(ResolvedScope::Unscoped),
            ScopeRequest::Default => {
                if let Some(pid) = &user.default_project_id {
                    if let Ok(s) = self.project_scope(user, &ProjectRef::Id(pid.clone())).await {
                        return Ok(s);
                    }
                }
                Ok(ResolvedScope::Unscoped)
            }
            ScopeRequest::Project(project) => self.project_scope(user, &project).await,
            ScopeRequest::Domain(domain) => {
                let domain = self
                    .find_domain(&domain)
                    .await?
                    .filter(|d| d.enabled)
                    .ok_or(IdentityError::Unauthorized)?;
                if self
                    .db
                    .effective_roles(&user.id, &Target::Domain(domain.id.clone()))
                    .await?
                    .is_empty()
                {
                    return Err(IdentityError::Unauthorized);
                }
                Ok(ResolvedScope::Domain(domain))
            }
            ScopeRequest::System => {
                if self
                    .db
                    .effective_roles(&user.id, &Target::System)
                    .await?
                    .is_empty()
                {
                    return Err(IdentityError::Unauthorized);
                }
                Ok(ResolvedScope::System)
            }
        }
    }

    async fn project_scope(
        &self,
        user: &User,
        project: &ProjectRef,
    ) -> Result<ResolvedScope, IdentityError> {
        let project = match project {
            ProjectRef::Id(id) => self.db.project(id).await?,
            ProjectRef::Name { name, domain } => match self.find_domain(domain).await? {
                Some(d) => self.db.project_by_name(&d.id, name).await?,
                None => None,
            },
        };
        let project = project
            .filter(|p| p.enabled)
            .ok_or(IdentityError::Unauthorized)?;
        if self
            .db
            .effective_roles(&user.id, &Target::Project(project.id.clone()))
            .await?
            .is_empty()
        {
            return Err(IdentityError::Unauthorized);
        }
        let domain = self
            .db
            .domain(&project.domain_id)
            .await?
            .filter(|d| d.enabled)
            .ok_or(IdentityError::Unauthorized)?;
        Ok(ResolvedScope::Project { project, domain })
    }

    /// Looks up what a payload names and builds the token description. With
    /// `scope` given (just authenticated) the scope is not resolved again.
    async fn describe(
        &self,
        token: String,
        payload: TokenPayload,
        user: User,
        scope: Option<ResolvedScope>,
    ) -> Result<TokenInfo, IdentityError> {
        let user_domain = self
            .db
            .domain(&user.domain_id)
            .await?
            .ok_or_else(|| IdentityError::not_found("domain", user.domain_id.clone()))?;
        let scope = match scope {
            Some(s) => s,
            None => match &payload.scope {
                Scope::Unscoped => ResolvedScope::Unscoped,
                Scope::Project(id) => {
                    self.project_scope(&user, &ProjectRef::Id(id.clone()))
                        .await?
                }
                Scope::Domain(id) => {
                    self.resolve_scope_request(
                        &user,
                        ScopeRequest::Domain(DomainRef::Id(id.clone())),
                    )
                    .await?
                }
                Scope::System => {
                    self.resolve_scope_request(&user, ScopeRequest::System)
                        .await?
                }
            },
        };
        let roles = match &scope {
            ResolvedScope::Unscoped => Vec::new(),
            ResolvedScope::Project { project, .. } => {
                self.db
                    .effective_roles(&user.id, &Target::Project(project.id.clone()))
                    .await?
            }
            ResolvedScope::Domain(d) => {
                self.db
                    .effective_roles(&user.id, &Target::Domain(d.id.clone()))
                    .await?
            }
            ResolvedScope::System => self.db.effective_roles(&user.id, &Target::System).await?,
        };
        Ok(TokenInfo {
            token,
            payload,
            user,
            user_domain,
            scope,
            roles,
        })
    }

    /// Validates a token: signature, expiry, revocation, and that its user and
    /// scope still exist, are enabled, and still carry a role. Any failure is
    /// `NotFound` for the token, as Keystone answers.
    pub async fn validate(&self, token: &str) -> Result<TokenInfo, IdentityError> {
        let invalid = || IdentityError::not_found("token", token_for_message(token));
        let payload = self.keys.open(token).ok_or_else(invalid)?;
        if payload.expires_at <= Utc::now() {
            return Err(invalid());
        }
        if self.db.any_revoked(&payload.audit_ids).await? {
            return Err(invalid());
        }
        let user = self
            .db
            .user(&payload.user_id)
            .await?
            .filter(|u| u.enabled)
            .ok_or_else(invalid)?;
        if !self.domain_enabled(&user.domain_id).await? {
            return Err(invalid());
        }
        match self.describe(token.to_owned(), payload, user, None).await {
            Ok(info) => Ok(info),
            Err(IdentityError::Unauthorized) | Err(IdentityError::NotFound { .. }) => {
                Err(invalid())
            }
            Err(e) => Err(e),
        }
    }

    /// Revokes a token (and every token rescoped from it).
    pub async fn revoke(&self, token: &TokenInfo) -> Result<(), IdentityError> {
        if let Some(audit_id) = token.payload.audit_ids.first() {
            self.db
                .revoke_audit_id(audit_id, token.payload.expires_at.timestamp())
                .await?;
        }
        Ok(())
    }

    pub async fn catalog(&self) -> Result<Vec<CatalogService>, IdentityError> {
        self.db.catalog().await
    }

    pub async fn projects_for_user(&self, user_id: &str) -> Result<Vec<Project>, IdentityError> {
        self.db.projects_for_user(user_id).await
    }

    pub async fn domains_for_user(&self, user_id: &str) -> Result<Vec<Domain>, IdentityError> {
        self.db.domains_for_user(user_id).await
    }

    // ---- bootstrap -------------------------------------------------------

    /// Creates what a fresh cloud needs, as `keystone-manage bootstrap` does.
    /// Safe to run on every start: it only adds what is missing and repoints
    /// the catalog at `public_url`.
    pub async fn bootstrap(&self, spec: &BootstrapSpec) -> Result<BootstrapOutcome, IdentityError> {
        let db = &self.db;
        let domain = match db.domain("default").await? {
            Some(d) => d,
            None => {
                db.create_domain("default", "Default", "The default domain")
                    .await?
            }
        };
        let admin_project = self
            .ensure_project(
                "admin",
                &domain.id,
                "Bootstrap project for initializing the cloud.",
            )
            .await?;
        self.ensure_project("service", &domain.id, "Project for the services")
            .await?;

        let admin_role = self.ensure_role("admin").await?;
        let member_role = self.ensure_role("member").await?;
        let reader_role = self.ensure_role("reader").await?;
        self.ensure_role("service").await?;
        db.add_implied_role(&admin_role.id, &member_role.id).await?;
        db.add_implied_role(&member_role.id, &reader_role.id)
            .await?;

        let (admin, password) = match db.user_by_name(&domain.id, "admin").await? {
            Some(user) => {
                let mut changed = None;
                if let Some(wanted) = &spec.admin_password {
                    let current = db.password_hash(&user.id).await?;
                    if !current.is_some_and(|h| verify_password(wanted, &h)) {
                        db.set_password_hash(&user.id, &hash_password(wanted)?)
                            .await?;
                        changed = Some(wanted.clone());
                    }
                }
                (user, changed)
            }
            None => {
                let password = spec
                    .admin_password
                    .clone()
                    .unwrap_or_else(generate_password);
                let user = db
                    .create_user(
                        "admin",
                        &domain.id,
                        Some(&hash_password(&password)?),
                        Some(&admin_project.id),
                    )
                    .await?;
                (user, Some(password))
            }
        };
        db.assign_role(
            &admin.id,
            &Target::Project(admin_project.id.clone()),
            &admin_role.id,
        )
        .await?;
        db.assign_role(&admin.id, &Target::System, &admin_role.id)
            .await?;

        db.ensure_region(&spec.region).await?;
        let base = spec.public_url.trim_end_matches('/');
        for (service_type, name, path) in [
            ("identity", "keystone", "/identity"),
            ("image", "glance", "/image"),
        ] {
            let service_id = match db.service_by_type(service_type).await? {
                Some(id) => id,
                None => db.create_service(service_type, name).await?,
            };
            for interface in ["public", "internal", "admin"] {
                db.upsert_endpoint(
                    &service_id,
                    interface,
                    &spec.region,
                    &format!("{base}{path}"),
                )
                .await?;
            }
        }
        db.prune_revocations(Utc::now().timestamp()).await?;
        Ok(BootstrapOutcome {
            admin_password: password,
            admin_user_id: admin.id,
            admin_project_id: admin_project.id,
        })
    }

    async fn ensure_project(
        &self,
        name: &str,
        domain_id: &str,
        description: &str,
    ) -> Result<Project, IdentityError> {
        match self.db.project_by_name(domain_id, name).await? {
            Some(p) => Ok(p),
            None => self.db.create_project(name, domain_id, description).await,
        }
    }

    async fn ensure_role(&self, name: &str) -> Result<Role, IdentityError> {
        match self.db.role_by_name(name).await? {
            Some(r) => Ok(r),
            None => self.db.create_role(name).await,
        }
    }

    /// Creates a user with `role` on a new or existing project. Used by tests
    /// and operator tooling until the full admin API lands.
    pub async fn create_user_with_role(
        &self,
        user_name: &str,
        password: &str,
        project_name: &str,
        role_name: &str,
    ) -> Result<(User, Project), IdentityError> {
        let project = self.ensure_project(project_name, "default", "").await?;
        let role = self.ensure_role(role_name).await?;
        let user = match self.db.user_by_name("default", user_name).await? {
            Some(u) => u,
            None => {
                self.db
                    .create_user(
                        user_name,
                        "default",
                        Some(&hash_password(password)?),
                        Some(&project.id),
                    )
                    .await?
            }
        };
        self.db
            .assign_role(&user.id, &Target::Project(project.id.clone()), &role.id)
            .await?;
        Ok((user, project))
    }
}

/// A hash of a random password, verified against when the user does not
/// exist so that both paths cost the same.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password(&generate_password()).unwrap_or_default())
}

fn generate_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..24)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

fn truncate_to_seconds(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

/// Keystone echoes the token in 404 messages; never echo something huge.
fn token_for_message(token: &str) -> String {
    token.chars().take(256).collect()
}
