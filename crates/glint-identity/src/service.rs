//! The identity service: authentication, token validation, revocation,
//! application credentials and bootstrap, as plain Rust. `api` maps HTTP
//! onto it and onto the CRUD in `db`, after `policy` allows the call.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use crate::db::IdentityDb;
use crate::model::{new_id, AppCredential, CatalogService, Domain, Project, Role, Target, User};
use crate::password::{hash_password, run_limited, verify_password};
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
    Password {
        user: UserRef,
        password: String,
    },
    Token {
        token: String,
    },
    /// By `id`, or by `name` + `user`.
    ApplicationCredential {
        id: Option<String>,
        name: Option<String>,
        user: Option<UserRef>,
        secret: String,
    },
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
    pub app_credential: Option<AppCredential>,
}

impl TokenInfo {
    pub fn project_id(&self) -> Option<&str> {
        match &self.scope {
            ResolvedScope::Project { project, .. } => Some(&project.id),
            _ => None,
        }
    }

    /// The domain the token is scoped to, directly or through its project.
    pub fn domain_id(&self) -> Option<&str> {
        match &self.scope {
            ResolvedScope::Project { project, .. } => Some(&project.domain_id),
            ResolvedScope::Domain(d) => Some(&d.id),
            _ => None,
        }
    }

    pub fn has_role(&self, name: &str) -> bool {
        self.roles.iter().any(|r| r.name == name)
    }

    pub fn is_system_scoped(&self) -> bool {
        matches!(self.scope, ResolvedScope::System)
    }

    pub fn is_domain_scoped(&self) -> bool {
        matches!(self.scope, ResolvedScope::Domain(_))
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
    cache: crate::cache::TokenCache,
    catalog_cache: std::sync::Mutex<Option<(u64, Arc<[CatalogService]>)>>,
    keys: std::sync::RwLock<Arc<FernetKeys>>,
    key_dir: Option<std::path::PathBuf>,
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

/// What a new application credential asks for (`POST …/application_credentials`).
#[derive(Debug, Clone, Default)]
pub struct NewAppCredential {
    pub name: String,
    pub description: String,
    pub secret: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    /// Role ids or names; empty means "all the caller's roles".
    pub roles: Vec<String>,
    /// `None` when the client did not say.
    pub unrestricted: Option<bool>,
    pub access_rules: serde_json::Value,
}

/// The image service's resources, registered at bootstrap so that
/// `GET /v3/registered_limits?service_id=<glance>` answers (oslo.limit treats
/// a missing registered limit as 0). -1 is unlimited: operators set real
/// defaults here or per project, and until they do no usage is counted.
pub const IMAGE_REGISTERED_LIMITS: &[(&str, i64)] = &[
    ("image_size_total", -1),
    ("image_stage_total", -1),
    ("image_count_total", -1),
    ("image_count_uploading", -1),
];

impl IdentityService {
    pub fn new(db: IdentityDb, keys: FernetKeys, config: IdentityConfig) -> Arc<Self> {
        Arc::new(Self {
            db,
            cache: Default::default(),
            catalog_cache: Default::default(),
            keys: std::sync::RwLock::new(Arc::new(keys)),
            key_dir: None,
            config,
        })
    }

    /// Opens the service with Fernet keys from `key_dir`.
    pub async fn open(
        pool: glint_metadata::MetadataPool,
        key_dir: &Path,
        config: IdentityConfig,
    ) -> Result<Arc<Self>, IdentityError> {
        let db = IdentityDb::new(pool).await?;
        let keys = FernetKeys::load_or_create(key_dir)?;
        Ok(Arc::new(Self {
            db,
            cache: Default::default(),
            catalog_cache: Default::default(),
            keys: std::sync::RwLock::new(Arc::new(keys)),
            key_dir: Some(key_dir.to_owned()),
            config,
        }))
    }

    pub fn db(&self) -> &IdentityDb {
        &self.db
    }

    fn keys(&self) -> Arc<FernetKeys> {
        match self.keys.read() {
            Ok(k) => k.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Re-reads the key directory (after `glint admin fernet-rotate`).
    pub fn reload_keys(&self) -> Result<(), IdentityError> {
        if let Some(dir) = &self.key_dir {
            let fresh = Arc::new(FernetKeys::load_or_create(dir)?);
            match self.keys.write() {
                Ok(mut k) => *k = fresh,
                Err(poisoned) => *poisoned.into_inner() = fresh,
            }
            self.identity_changed();
        }
        Ok(())
    }

    // ---- authentication --------------------------------------------------

    /// Issues a token (Keystone `POST /v3/auth/tokens`).
    pub async fn authenticate(
        &self,
        credentials: Credentials,
        scope: ScopeRequest,
    ) -> Result<TokenInfo, IdentityError> {
        let now = Utc::now();
        let mut app_cred = None;
        let (user, methods, expires_at, parent_audit) = match credentials {
            Credentials::Password { user, password } => {
                let user = self.check_password(&user, password).await?;
                (user, vec![AuthMethod::Password], now + self.config.token_ttl, None)
            }
            Credentials::Token { token } => {
                let parent = self.validate(&token).await.map_err(|_| IdentityError::Unauthorized)?;
                if parent.app_credential.is_some() {
                    // Keystone refuses to rescope application-credential tokens.
                    return Err(IdentityError::Forbidden(
                        "identity:rescope application credential token".into(),
                    ));
                }
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
                (parent.user.clone(), methods, parent.payload.expires_at, parent_audit)
            }
            Credentials::ApplicationCredential { id, name, user, secret } => {
                if scope != ScopeRequest::Default {
                    return Err(IdentityError::Unauthorized);
                }
                let (cred, user) = self.check_app_credential(id, name, user, secret).await?;
                let mut expires = now + self.config.token_ttl;
                if let Some(limit) = cred.expires_at.and_then(|t| DateTime::from_timestamp(t, 0)) {
                    expires = expires.min(limit);
                }
                app_cred = Some(cred);
                (user, vec![AuthMethod::ApplicationCredential], expires, None)
            }
        };
        let scope = match &app_cred {
            Some(cred) => {
                self.project_scope(&user, &ProjectRef::Id(cred.project_id.clone()))
                    .await?
            }
            None => self.resolve_scope_request(&user, scope).await?,
        };
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
            app_cred_id: app_cred.as_ref().map(|c| c.id.clone()),
        };
        let token = self.keys().seal(&payload)?;
        let info = self.describe(token, payload, user, Some(scope), app_cred).await?;
        if info.roles.is_empty() && !matches!(info.scope, ResolvedScope::Unscoped) {
            return Err(IdentityError::Unauthorized);
        }
        Ok(info)
    }

    async fn find_user(&self, user_ref: &UserRef) -> Result<Option<User>, IdentityError> {
        match user_ref {
            UserRef::Id(id) => self.db.user(id).await,
            UserRef::Name { name, domain } => match self.find_domain(domain).await? {
                Some(d) => self.db.user_by_name(&d.id, name).await,
                None => Ok(None),
            },
        }
    }

    async fn check_password(&self, user_ref: &UserRef, password: String) -> Result<User, IdentityError> {
        let user = self.find_user(user_ref).await?;
        let stored = match &user {
            Some(u) => self.db.password_hash(&u.id).await?,
            None => None,
        };
        if !verify_off_thread(password, stored).await? {
            return Err(IdentityError::Unauthorized);
        }
        match user {
            Some(u) if u.enabled && self.domain_enabled(&u.domain_id).await? => Ok(u),
            _ => Err(IdentityError::Unauthorized),
        }
    }

    async fn check_app_credential(
        &self,
        id: Option<String>,
        name: Option<String>,
        user: Option<UserRef>,
        secret: String,
    ) -> Result<(AppCredential, User), IdentityError> {
        let found = match (id, name, user) {
            (Some(id), _, _) => self.db.app_credential(&id).await?,
            (None, Some(name), Some(user_ref)) => match self.find_user(&user_ref).await? {
                Some(u) => self.db.app_credential_by_name(&u.id, &name).await?,
                None => None,
            },
            _ => {
                return Err(IdentityError::BadRequest(
                    "An application credential needs an id, or a name and a user.".into(),
                ))
            }
        };
        let (cred, hash) = match found {
            Some((cred, hash)) => (Some(cred), Some(hash)),
            None => (None, None),
        };
        if !verify_off_thread(secret, hash).await? {
            return Err(IdentityError::Unauthorized);
        }
        let cred = cred.ok_or(IdentityError::Unauthorized)?;
        if cred.expires_at.is_some_and(|t| t <= Utc::now().timestamp()) {
            return Err(IdentityError::Unauthorized);
        }
        let user = self
            .db
            .user(&cred.user_id)
            .await?
            .filter(|u| u.enabled)
            .ok_or(IdentityError::Unauthorized)?;
        Ok((cred, user))
    }

    async fn domain_enabled(&self, domain_id: &str) -> Result<bool, IdentityError> {
        Ok(self.db.domain(domain_id).await?.is_some_and(|d| d.enabled))
    }

    pub async fn find_domain(&self, domain: &DomainRef) -> Result<Option<Domain>, IdentityError> {
        match domain {
            DomainRef::Id(id) => self.db.domain(id).await,
            DomainRef::Name(name) => self.db.domain_by_name(name).await,
        }
    }

    async fn resolve_scope_request(&self, user: &User, scope: ScopeRequest) -> Result<ResolvedScope, IdentityError> {
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
                if self.db.effective_roles(&user.id, &Target::System).await?.is_empty() {
                    return Err(IdentityError::Unauthorized);
                }
                Ok(ResolvedScope::System)
            }
        }
    }

    async fn project_scope(&self, user: &User, project: &ProjectRef) -> Result<ResolvedScope, IdentityError> {
        let project = match project {
            ProjectRef::Id(id) => self.db.project(id).await?,
            ProjectRef::Name { name, domain } => match self.find_domain(domain).await? {
                Some(d) => self.db.project_by_name(&d.id, name).await?,
                None => None,
            },
        };
        let project = project.filter(|p| p.enabled).ok_or(IdentityError::Unauthorized)?;
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
        app_credential: Option<AppCredential>,
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
                Scope::Project(id) => self.project_scope(&user, &ProjectRef::Id(id.clone())).await?,
                Scope::Domain(id) => {
                    self.resolve_scope_request(&user, ScopeRequest::Domain(DomainRef::Id(id.clone())))
                        .await?
                }
                Scope::System => self.resolve_scope_request(&user, ScopeRequest::System).await?,
            },
        };
        let mut roles = match &scope {
            ResolvedScope::Unscoped => Vec::new(),
            ResolvedScope::Project { project, .. } => {
                self.db
                    .effective_roles(&user.id, &Target::Project(project.id.clone()))
                    .await?
            }
            ResolvedScope::Domain(d) => self.db.effective_roles(&user.id, &Target::Domain(d.id.clone())).await?,
            ResolvedScope::System => self.db.effective_roles(&user.id, &Target::System).await?,
        };
        if let Some(cred) = &app_credential {
            // The credential's roles, as far as the user still holds them, plus what those imply.
            let granted = self.expand_implied(&cred.role_ids).await?;
            roles.retain(|r| granted.contains(&r.id));
        }
        Ok(TokenInfo {
            token,
            payload,
            user,
            user_domain,
            scope,
            roles,
            app_credential,
        })
    }

    /// `role_ids` plus every role they imply, transitively.
    async fn expand_implied(&self, role_ids: &[String]) -> Result<Vec<String>, IdentityError> {
        let rules = self.db.implied_roles(None).await?;
        let mut out: Vec<String> = role_ids.to_vec();
        let mut i = 0;
        while i < out.len() {
            for (prior, implied) in &rules {
                if *prior == out[i] && !out.contains(implied) {
                    out.push(implied.clone());
                }
            }
            i += 1;
        }
        Ok(out)
    }

    /// Validates a token: signature, expiry, revocation, and that its user and
    /// scope still exist, are enabled, and still carry a role. Any failure is
    /// `NotFound` for the token, as Keystone answers.
    pub async fn validate(&self, token: &str) -> Result<Arc<TokenInfo>, IdentityError> {
        if let Some(hit) = self.cache.get(token) {
            return Ok(hit);
        }
        let generation = self.cache.generation();
        let info = Arc::new(self.validate_uncached(token).await?);
        self.cache.put(generation, &info);
        Ok(info)
    }

    /// Call after any change to identity records: cached validations are dropped.
    pub fn identity_changed(&self) {
        self.cache.invalidate();
    }

    async fn validate_uncached(&self, token: &str) -> Result<TokenInfo, IdentityError> {
        let invalid = || IdentityError::not_found("token", token_for_message(token));
        let payload = self.keys().open(token).ok_or_else(invalid)?;
        if payload.expires_at <= Utc::now() {
            return Err(invalid());
        }
        if self.db.any_revoked(&payload.audit_ids).await? {
            return Err(invalid());
        }
        let project_id = match &payload.scope {
            Scope::Project(id) => Some(id.as_str()),
            _ => None,
        };
        if self
            .db
            .revoked_by_event(&payload.user_id, project_id, payload.issued_at.timestamp())
            .await?
        {
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
        let app_credential = match &payload.app_cred_id {
            Some(id) => {
                let (cred, _) = self.db.app_credential(id).await?.ok_or_else(invalid)?;
                if cred.expires_at.is_some_and(|t| t <= Utc::now().timestamp()) {
                    return Err(invalid());
                }
                Some(cred)
            }
            None => None,
        };
        match self
            .describe(token.to_owned(), payload, user, None, app_credential)
            .await
        {
            Ok(info) if info.roles.is_empty() && !matches!(info.scope, ResolvedScope::Unscoped) => Err(invalid()),
            Ok(info) => Ok(info),
            Err(IdentityError::Unauthorized) | Err(IdentityError::NotFound { .. }) => Err(invalid()),
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
        self.identity_changed();
        Ok(())
    }

    /// Invalidates every token issued so far to `user_id`.
    pub async fn revoke_user_tokens(&self, user_id: &str) -> Result<(), IdentityError> {
        self.db.revoke_subject("user", user_id, Utc::now().timestamp()).await?;
        self.identity_changed();
        Ok(())
    }

    /// Invalidates every token issued so far scoped to `project_id`.
    pub async fn revoke_project_tokens(&self, project_id: &str) -> Result<(), IdentityError> {
        self.db
            .revoke_subject("project", project_id, Utc::now().timestamp())
            .await?;
        self.identity_changed();
        Ok(())
    }

    /// `POST /v3/users/{id}/password`: checks the original, stores the new
    /// hash and revokes the user's tokens.
    pub async fn change_password(&self, user_id: &str, original: String, new: &str) -> Result<(), IdentityError> {
        let stored = self.db.password_hash(user_id).await?;
        if !verify_off_thread(original, stored).await? {
            return Err(IdentityError::Unauthorized);
        }
        self.set_password(user_id, new).await
    }

    /// Sets a password (admin path) and revokes the user's tokens.
    pub async fn set_password(&self, user_id: &str, new: &str) -> Result<(), IdentityError> {
        let hash = hash_off_thread(new).await?;
        self.db.set_password_hash(user_id, &hash).await?;
        self.revoke_user_tokens(user_id).await
    }

    /// Creates a user, hashing its password off the async workers.
    pub async fn create_user(&self, user: &User, password: Option<&str>) -> Result<User, IdentityError> {
        let hash = match password {
            Some(p) => Some(hash_off_thread(p).await?),
            None => None,
        };
        self.db.insert_user(user, hash.as_deref()).await
    }

    /// The catalog, cached until the next identity change on this node.
    /// Shared, not copied: every token response carries it.
    pub async fn catalog(&self) -> Result<Arc<[CatalogService]>, IdentityError> {
        let generation = self.cache.generation();
        if let Ok(cached) = self.catalog_cache.lock() {
            if let Some((g, catalog)) = cached.as_ref() {
                if *g == generation {
                    return Ok(Arc::clone(catalog));
                }
            }
        }
        let catalog: Arc<[CatalogService]> = self.db.catalog().await?.into();
        if let Ok(mut cached) = self.catalog_cache.lock() {
            *cached = Some((generation, Arc::clone(&catalog)));
        }
        Ok(catalog)
    }

    pub async fn projects_for_user(&self, user_id: &str) -> Result<Vec<Project>, IdentityError> {
        self.db.projects_for_user(user_id).await
    }

    pub async fn domains_for_user(&self, user_id: &str) -> Result<Vec<Domain>, IdentityError> {
        self.db.domains_for_user(user_id).await
    }

    // ---- application credentials -----------------------------------------

    /// Creates an application credential for the caller's user on the
    /// caller's project. Returns it with its secret (shown once).
    pub async fn create_app_credential(
        &self,
        caller: &TokenInfo,
        new: NewAppCredential,
    ) -> Result<(AppCredential, String), IdentityError> {
        let project_id = caller
            .project_id()
            .ok_or_else(|| IdentityError::BadRequest("Application credentials need a project-scoped token.".into()))?
            .to_owned();
        if caller.app_credential.as_ref().is_some_and(|c| !c.unrestricted) {
            return Err(IdentityError::Forbidden(
                "identity:create_application_credential".into(),
            ));
        }
        if new.name.is_empty() || new.name.len() > 255 {
            return Err(IdentityError::BadRequest("Invalid input for field 'name'.".into()));
        }
        let mut role_ids = Vec::new();
        if new.roles.is_empty() {
            role_ids = caller.roles.iter().map(|r| r.id.clone()).collect();
        } else {
            for wanted in &new.roles {
                let role = caller
                    .roles
                    .iter()
                    .find(|r| &r.id == wanted || &r.name == wanted)
                    .ok_or_else(|| IdentityError::Forbidden(format!("role {wanted} is not held on the project")))?;
                role_ids.push(role.id.clone());
            }
        }
        let secret = new.secret.clone().unwrap_or_else(generate_secret);
        let cred = AppCredential {
            id: new_id(),
            name: new.name,
            user_id: caller.user.id.clone(),
            project_id,
            description: new.description,
            expires_at: new.expires_at.map(|t| t.timestamp()),
            unrestricted: new.unrestricted.unwrap_or(false),
            unrestricted_given: new.unrestricted.is_some(),
            role_ids,
            access_rules: new.access_rules,
        };
        let hash = hash_off_thread(&secret).await?;
        self.db.insert_app_credential(&cred, &hash).await?;
        Ok((cred, secret))
    }

    // ---- bootstrap -------------------------------------------------------

    /// Creates what a fresh cloud needs, as `keystone-manage bootstrap` does.
    /// Safe to run on every start: it only adds what is missing and repoints
    /// the catalog at `public_url`.
    pub async fn bootstrap(&self, spec: &BootstrapSpec) -> Result<BootstrapOutcome, IdentityError> {
        let db = &self.db;
        let domain = match db.domain("default").await? {
            Some(d) => d,
            None => db.create_domain("default", "Default", "The default domain").await?,
        };
        let admin_project = self
            .ensure_project("admin", &domain.id, "Bootstrap project for initializing the cloud.")
            .await?;
        self.ensure_project("service", &domain.id, "Project for the services")
            .await?;

        let admin_role = self.ensure_role("admin").await?;
        let manager_role = self.ensure_role("manager").await?;
        let member_role = self.ensure_role("member").await?;
        let reader_role = self.ensure_role("reader").await?;
        self.ensure_role("service").await?;
        db.add_implied_role(&admin_role.id, &manager_role.id).await?;
        db.add_implied_role(&manager_role.id, &member_role.id).await?;
        db.add_implied_role(&member_role.id, &reader_role.id).await?;

        let (admin, password) = match db.user_by_name(&domain.id, "admin").await? {
            Some(user) => {
                let mut changed = None;
                if let Some(wanted) = &spec.admin_password {
                    let current = db.password_hash(&user.id).await?;
                    if !current.is_some_and(|h| verify_password(wanted, &h)) {
                        db.set_password_hash(&user.id, &hash_password(wanted)?).await?;
                        changed = Some(wanted.clone());
                    }
                }
                (user, changed)
            }
            None => {
                let password = spec.admin_password.clone().unwrap_or_else(generate_password);
                let user = db
                    .create_user("admin", &domain.id, Some(&hash_password(&password)?), None)
                    .await?;
                (user, Some(password))
            }
        };
        db.assign_role(&admin.id, &Target::Project(admin_project.id.clone()), &admin_role.id)
            .await?;
        db.assign_role(&admin.id, &Target::System, &admin_role.id).await?;

        db.ensure_region(&spec.region).await?;
        let base = spec.public_url.trim_end_matches('/');
        for (service_type, name, path) in [("identity", "keystone", "/identity"), ("image", "glance", "/image")] {
            let service_id = match db.service_by_type(service_type).await? {
                Some(id) => id,
                None => db.create_service(service_type, name).await?,
            };
            for interface in ["public", "internal", "admin"] {
                db.upsert_endpoint(&service_id, interface, &spec.region, &format!("{base}{path}"))
                    .await?;
            }
            if service_type == "image" {
                self.ensure_registered_limits(&service_id, &spec.region).await?;
            }
        }
        db.prune_revocations(Utc::now().timestamp()).await?;
        Ok(BootstrapOutcome {
            admin_password: password,
            admin_user_id: admin.id,
            admin_project_id: admin_project.id,
        })
    }

    async fn ensure_registered_limits(&self, service_id: &str, region: &str) -> Result<(), IdentityError> {
        for (resource, default_limit) in IMAGE_REGISTERED_LIMITS {
            let existing = self
                .db
                .list_registered_limits(Some(service_id), Some(region), Some(resource))
                .await?;
            if existing.is_empty() {
                self.db
                    .insert_registered_limit(&crate::model::RegisteredLimit {
                        id: new_id(),
                        service_id: service_id.to_owned(),
                        region_id: Some(region.to_owned()),
                        resource_name: (*resource).to_owned(),
                        default_limit: *default_limit,
                        description: Some(format!("Glint image service: {resource}")),
                    })
                    .await?;
            }
        }
        Ok(())
    }

    async fn ensure_project(&self, name: &str, domain_id: &str, description: &str) -> Result<Project, IdentityError> {
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
    /// and operator tooling.
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
                    .create_user(user_name, "default", Some(&hash_password(password)?), Some(&project.id))
                    .await?
            }
        };
        self.db
            .assign_role(&user.id, &Target::Project(project.id.clone()), &role.id)
            .await?;
        self.identity_changed();
        Ok((user, project))
    }
}

/// Argon2 takes tens of milliseconds of CPU: verify on a blocking thread.
/// With no stored hash, a dummy hash is verified so that unknown users cost
/// the same as wrong passwords.
async fn verify_off_thread(secret: String, stored: Option<String>) -> Result<bool, IdentityError> {
    run_limited(move || match &stored {
        Some(hash) => verify_password(&secret, hash),
        None => {
            let _ = verify_password(&secret, dummy_hash());
            false
        }
    })
    .await
}

async fn hash_off_thread(secret: &str) -> Result<String, IdentityError> {
    let secret = secret.to_owned();
    run_limited(move || hash_password(&secret)).await?
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

/// Keystone's generated application-credential secrets are 64 URL-safe characters.
fn generate_secret() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 48];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn truncate_to_seconds(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

/// Keystone echoes the token in 404 messages; never echo something huge.
fn token_for_message(token: &str) -> String {
    token.chars().take(256).collect()
}
