//! Identity records in SQL (sqlx). Only this module writes SQL.

use glint_metadata::{with_pool, Engine, MetaRow, MetadataPool, RowRef};

use crate::model::{
    new_id, Actor, AppCredential, Assignment, CatalogService, Domain, Endpoint, EndpointRecord, Group, Limit, Project,
    Region, RegisteredLimit, Role, Service, Target, User,
};
use crate::IdentityError;

/// `GET /v3/projects` filters.
#[derive(Debug, Clone, Default)]
pub struct ProjectFilter {
    pub name: Option<String>,
    pub domain_id: Option<String>,
    pub enabled: Option<bool>,
    pub parent_id: Option<String>,
    pub tag: Option<String>,
}

/// `GET /v3/role_assignments` filters (direct assignments).
#[derive(Debug, Clone, Default)]
pub struct AssignmentFilter {
    pub actor_ids: Option<Vec<String>>,
    pub role_id: Option<String>,
    pub target: Option<Target>,
}

#[derive(Clone)]
pub struct IdentityDb {
    pool: MetadataPool,
}

fn domain(row: &impl MetaRow) -> Domain {
    Domain {
        id: row.get("id"),
        name: row.get("name"),
        description: row.get("description"),
        enabled: row.get::<i64>("enabled") != 0,
    }
}

fn project(row: &impl MetaRow) -> Project {
    let tags: Option<String> = row.try_get("tags").unwrap_or(None);
    Project {
        id: row.get("id"),
        name: row.get("name"),
        domain_id: row.get("domain_id"),
        parent_id: row.get("parent_id"),
        description: row.get("description"),
        enabled: row.get::<i64>("enabled") != 0,
        tags: tags
            .map(|t| t.split('\u{1f}').filter(|s| !s.is_empty()).map(str::to_owned).collect())
            .unwrap_or_default(),
    }
}

fn user(row: &impl MetaRow) -> User {
    let extra: String = row.get("extra");
    User {
        id: row.get("id"),
        name: row.get("name"),
        domain_id: row.get("domain_id"),
        enabled: row.get::<i64>("enabled") != 0,
        default_project_id: row.get("default_project_id"),
        extra: serde_json::from_str(&extra).unwrap_or_default(),
    }
}

fn role(row: &impl MetaRow) -> Role {
    Role {
        id: row.get("id"),
        name: row.get("name"),
        description: row.try_get("description").unwrap_or_default(),
    }
}

fn group(row: &impl MetaRow) -> Group {
    Group {
        id: row.get("id"),
        name: row.get("name"),
        domain_id: row.get("domain_id"),
        description: row.get("description"),
    }
}

fn region(row: &impl MetaRow) -> Region {
    Region {
        id: row.get("id"),
        description: row.get("description"),
        parent_region_id: row.get("parent_region_id"),
    }
}

fn service(row: &impl MetaRow) -> Service {
    Service {
        id: row.get("id"),
        service_type: row.get("type"),
        name: row.get("name"),
        description: row.get("description"),
        enabled: row.get::<i64>("enabled") != 0,
    }
}

fn endpoint(row: &impl MetaRow) -> EndpointRecord {
    EndpointRecord {
        id: row.get("id"),
        service_id: row.get("service_id"),
        interface: row.get("interface"),
        region_id: row.get("region_id"),
        url: row.get("url"),
        enabled: row.get::<i64>("enabled") != 0,
    }
}

fn app_credential(row: &impl MetaRow) -> AppCredential {
    let roles: String = row.get("roles");
    let rules: String = row.get("access_rules");
    AppCredential {
        id: row.get("id"),
        name: row.get("name"),
        user_id: row.get("user_id"),
        project_id: row.get("project_id"),
        description: row.get("description"),
        expires_at: row.get("expires_at"),
        unrestricted: row.get::<i64>("unrestricted") != 0,
        unrestricted_given: row.get::<i64>("unrestricted_given") != 0,
        role_ids: serde_json::from_str(&roles).unwrap_or_default(),
        access_rules: serde_json::from_str(&rules).unwrap_or(serde_json::Value::Array(vec![])),
    }
}

fn registered_limit(row: &impl MetaRow) -> RegisteredLimit {
    RegisteredLimit {
        id: row.get("id"),
        service_id: row.get("service_id"),
        region_id: row.get("region_id"),
        resource_name: row.get("resource_name"),
        default_limit: row.get("default_limit"),
        description: row.get("description"),
    }
}

fn limit(row: &impl MetaRow) -> Limit {
    Limit {
        id: row.get("id"),
        project_id: row.get("project_id"),
        domain_id: row.get("domain_id"),
        service_id: row.get("service_id"),
        region_id: row.get("region_id"),
        resource_name: row.get("resource_name"),
        resource_limit: row.get("resource_limit"),
        description: row.get("description"),
    }
}

/// Project columns plus its tags joined by U+001F (one query, no N+1).
fn project_columns(engine: Engine) -> &'static str {
    match engine {
        Engine::Sqlite => {
            "p.*, (SELECT group_concat(name, char(31)) FROM project_tags t WHERE t.project_id = p.id) AS tags"
        }
        Engine::Postgres => {
            "p.*, (SELECT string_agg(name, chr(31)) FROM project_tags t WHERE t.project_id = p.id) AS tags"
        }
    }
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

/// Maps a unique-constraint failure to Keystone's 409.
fn conflict(what: String) -> impl FnOnce(sqlx::Error) -> IdentityError {
    move |e| {
        if is_unique_violation(&e) {
            IdentityError::Conflict(what)
        } else {
            e.into()
        }
    }
}

impl IdentityDb {
    /// Runs the identity migrations on `pool` (shared with other services;
    /// their migrations are numbered apart, so missing ones are ignored).
    pub async fn new(pool: MetadataPool) -> Result<Self, IdentityError> {
        pool.migrate(
            sqlx::migrate!("./migrations/sqlite"),
            sqlx::migrate!("./migrations/postgres"),
        )
        .await
        .map_err(|e| IdentityError::Internal(e.to_string()))?;
        Ok(Self { pool })
    }

    // ---- shared helpers --------------------------------------------------

    /// One row of `table` by primary key `id`. `table` is always a constant.
    async fn by_id<T>(&self, table: &str, id: &str, map: fn(&RowRef<'_>) -> T) -> Result<Option<T>, IdentityError> {
        with_pool!(&self.pool, |pool| {
            Ok(sqlx::query(&format!("SELECT * FROM {table} WHERE id = $1"))
                .bind(id)
                .fetch_optional(pool)
                .await?
                .map(|r| map(&RowRef::from(&r))))
        })
    }

    /// Deletes one row of `table` by `id`; false when there was none.
    async fn delete_by_id(&self, table: &str, id: &str) -> Result<bool, IdentityError> {
        with_pool!(&self.pool, |pool| {
            Ok(sqlx::query(&format!("DELETE FROM {table} WHERE id = $1"))
                .bind(id)
                .execute(pool)
                .await?
                .rows_affected()
                == 1)
        })
    }

    // ---- domains -------------------------------------------------------

    pub async fn domain(&self, id: &str) -> Result<Option<Domain>, IdentityError> {
        self.by_id("domains", id, |r| domain(r)).await
    }

    pub async fn domain_by_name(&self, name: &str) -> Result<Option<Domain>, IdentityError> {
        with_pool!(&self.pool, |pool| {
            Ok(sqlx::query("SELECT * FROM domains WHERE name = $1")
                .bind(name)
                .fetch_optional(pool)
                .await?
                .map(|r| domain(&r)))
        })
    }

    pub async fn create_domain(&self, id: &str, name: &str, description: &str) -> Result<Domain, IdentityError> {
        with_pool!(&self.pool, |pool| {
            sqlx::query("INSERT INTO domains (id, name, description) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(name)
                .bind(description)
                .execute(pool)
                .await
                .map_err(|e| {
                    if is_unique_violation(&e) {
                        IdentityError::Conflict(format!("domain - Duplicate entry found with name {name}"))
                    } else {
                        e.into()
                    }
                })?;
            Ok(Domain {
                id: id.into(),
                name: name.into(),
                description: description.into(),
                enabled: true,
            })
        })
    }

    // ---- projects ------------------------------------------------------

    pub async fn project(&self, id: &str) -> Result<Option<Project>, IdentityError> {
        let project_columns = project_columns(self.pool.engine());
        with_pool!(&self.pool, |pool| {
            Ok(
                sqlx::query(&format!("SELECT {project_columns} FROM projects p WHERE id = $1"))
                    .bind(id)
                    .fetch_optional(pool)
                    .await?
                    .map(|r| project(&r)),
            )
        })
    }

    pub async fn project_by_name(&self, domain_id: &str, name: &str) -> Result<Option<Project>, IdentityError> {
        let project_columns = project_columns(self.pool.engine());
        with_pool!(&self.pool, |pool| {
            Ok(sqlx::query(&format!(
                "SELECT {project_columns} FROM projects p WHERE domain_id = $1 AND name = $2"
            ))
            .bind(domain_id)
            .bind(name)
            .fetch_optional(pool)
            .await?
            .map(|r| project(&r)))
        })
    }

    pub async fn list_projects(&self, filter: &ProjectFilter) -> Result<Vec<Project>, IdentityError> {
        let project_columns = project_columns(self.pool.engine());
        with_pool!(&self.pool, |pool| {
            Ok(sqlx::query(&format!(
                "SELECT {project_columns} FROM projects p WHERE ($1 IS NULL OR name = $1) AND ($2 IS NULL OR domain_id = $2)
                   AND ($3 IS NULL OR enabled = $3) AND ($4 IS NULL OR parent_id = $4)
                   AND ($5 IS NULL OR EXISTS (SELECT 1 FROM project_tags t WHERE t.project_id = p.id AND t.name = $5))
                 ORDER BY name"
            ))
            .bind(&filter.name)
            .bind(&filter.domain_id)
            .bind(filter.enabled.map(|e| e as i64))
            .bind(&filter.parent_id)
            .bind(&filter.tag)
            .fetch_all(pool)
            .await?
            .iter()
            .map(project)
            .collect())
        })
    }

    pub async fn create_project(
        &self,
        name: &str,
        domain_id: &str,
        description: &str,
    ) -> Result<Project, IdentityError> {
        self.insert_project(&Project {
            id: new_id(),
            name: name.into(),
            domain_id: domain_id.into(),
            parent_id: Some(domain_id.into()),
            description: description.into(),
            enabled: true,
            tags: vec![],
        })
        .await
    }

    pub async fn insert_project(&self, p: &Project) -> Result<Project, IdentityError> {
        with_pool!(&self.pool, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO projects (id, name, domain_id, parent_id, description, enabled) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&p.id)
            .bind(&p.name)
            .bind(&p.domain_id)
            .bind(&p.parent_id)
            .bind(&p.description)
            .bind(p.enabled as i64)
            .execute(&mut *tx)
            .await
            .map_err(conflict(format!(
                "project - it is not permitted to have two projects with the same name in the same domain : {}",
                p.name
            )))?;
            for tag in &p.tags {
                sqlx::query("INSERT INTO project_tags (project_id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    .bind(&p.id)
                    .bind(tag)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            self.project(&p.id)
                .await?
                .ok_or_else(|| IdentityError::not_found("project", p.id.clone()))
        })
    }

    pub async fn update_project(&self, p: &Project) -> Result<(), IdentityError> {
        with_pool!(&self.pool, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE projects SET name = $1, description = $2, enabled = $3 WHERE id = $4")
                .bind(&p.name)
                .bind(&p.description)
                .bind(p.enabled as i64)
                .bind(&p.id)
                .execute(&mut *tx)
                .await
                .map_err(conflict(format!(
                    "project - it is not permitted to have two projects with the same name in the same domain : {}",
                    p.name
                )))?;
            sqlx::query("DELETE FROM project_tags WHERE project_id = $1")
                .bind(&p.id)
                .execute(&mut *tx)
                .await?;
            for tag in &p.tags {
                sqlx::query("INSERT INTO project_tags (project_id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    .bind(&p.id)
                    .bind(tag)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    pub async fn has_child_projects(&self, id: &str) -> Result<bool, IdentityError> {
        with_pool!(&self.pool, |pool| {
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM projects WHERE parent_id = $1")
                .bind(id)
                .fetch_one(pool)
                .await?;
            Ok(n > 0)
        })
    }

    pub async fn delete_project(&self, id: &str) -> Result<bool, IdentityError> {
        with_pool!(&self.pool, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM role_assignments WHERE target_type = 'project' AND target_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM limits WHERE project_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let n = sqlx::query("DELETE FROM projects WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await?;
            Ok(n == 1)
        })
    }

    // ---- users ---------------------------------------------------------

    pub async fn user(&self, id: &str) -> Result<Option<User>, IdentityError> {
        self.by_id("users", id, |r| user(r)).await
    }

    pub async fn user_by_name(&self, domain_id: &str, name: &str) -> Result<Option<User>, IdentityError> {
        with_pool!(&self.pool, |pool| {
            Ok(sqlx::query("SELECT * FROM users WHERE domain_id = $1 AND name = $2")
                .bind(domain_id)
                .bind(name)
                .fetch_optional(pool)
                .await?
                .map(|r| user(&r)))
        })
    }

    pub async fn password_hash(&self, user_id: &str) -> Result<Option<String>, IdentityError> {
        with_pool!(&self.pool, |pool| {
            Ok(sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(pool)
                .await?
                .flatten())
        })
    }

    pub async fn create_user(
        &self,
        name: &str,
        domain_id: &str,
        password_hash: Option<&str>,
        default_project_id: Option<&str>,
    ) -> Result<User, IdentityError> {
        let user = User {
            id: new_id(),
            name: name.into(),
            domain_id: domain_id.into(),
            enabled: true,
            default_project_id: default_project_id.map(str::to_owned),
            extra: Default::default(),
        };
        self.insert_user(&user, password_hash).await
    }

    pub async fn insert_user(&self, u: &User, password_hash: Option<&str>) -> Result<User, IdentityError> {
        with_pool!(&self.pool, |pool| {
            sqlx::query(
                "INSERT INTO users (id, name, domain_id, password_hash, enabled, default_project_id, extra, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&u.id)
            .bind(&u.name)
            .bind(&u.domain_id)
            .bind(password_hash)
            .bind(u.enabled as i64)
            .bind(&u.default_project_id)
            .bind(serde_json::Value::Object(u.extra.clone()).to_string())
            .bind(chrono::Utc::now().to_rfc3339())
            .execute(pool)
            .await
            .map_err(conflict(format!(
                "user - Duplicate entry found with name {} at domain ID {}",
                u.name, u.domain_id
            )))?;
            self.user(&u.id)
                .await?
                .ok_or_else(|| IdentityError::not_found("user", u.id.clone()))
        })
    }

    pub async fn update_user(&self, u: &User) -> Result<(), IdentityError> {
        with_pool!(&self.pool, |pool| {
            sqlx::query("UPDATE users SET name = $1, enabled = $2, default_project_id = $3, extra = $4 WHERE id = $5")
                .bind(&u.name)
                .bind(u.enabled as i64)
                .bind(&u.default_project_id)
                .bind(serde_json::Value::Object(u.extra.clone()).to_string())
                .bind(&u.id)
                .execute(pool)
                .await
                .map_err(conflict(format!(
                    "user - Duplicate entry found with name {} at domain ID {}",
                    u.name, u.domain_id
                )))?;
            Ok(())
        })
    }

    pub async fn list_users(
        &self,
        name: Option<&str>,
        domain_id: Option<&str>,
        enabled: Option<bool>,
    ) -> Result<Vec<User>, IdentityError> {
        with_pool!(&self.pool, |pool| {
            Ok(sqlx::query(
                "SELECT * FROM users WHERE ($1 IS NULL OR name = $1) AND ($2 IS NULL OR domain_id = $2)
                   AND ($3 IS NULL OR enabled = $3) ORDER BY name",
            )
            .bind(name)
            .bind(domain_id)
            .bind(enabled.map(|e| e as i64))
            .fetch_all(pool)
            .await?
            .iter()
            .map(user)
            .collect())
        })
    }

    pub async fn delete_user(&self, id: &str) -> Result<bool, IdentityError> {
        with_pool!(&self.pool, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM role_assignments WHERE actor_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let n = sqlx::query("DELETE FROM users WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await?;
            Ok(n == 1)
        })
    }

    pub async fn set_password_hash(&self, user_id: &str, hash: &str) -> Result<(), IdentityError> {
        with_pool!(&self.pool, |pool| {
            sqlx::query("UPDATE users SET password_hash = $1, password_changed_at = $2 WHERE id = $3")
                .bind(hash)
                .bind(chrono::Utc::now().to_rfc3339())
                .bind(user_id)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    // ---- roles ---------------------------------------------------------

    pub async fn role_by_name(&self, name: &str) -> Result<Option<Role>, IdentityError> {
        with_pool!(&self.pool, |pool| {
            Ok(sqlx::query("SELECT * FROM roles WHERE name = $1")
                .bind(name)
                .fetch_optional(pool)
                .await?
                .map(|r| role(&r)))
        })
    }

    pub async fn create_role(&self, name: &str) -> Result<Role, IdentityError> {
        let role = Role {
            id: new_id(),
            name: name.into(),
            description: String::new(),
        };
        self.insert_role(&role).await?;
        Ok(role)
    }

    pub async fn insert_role(&self, r: &Role) -> Result<(), IdentityError> {
        with_pool!(&self.pool, |pool| {
            sqlx::query("INSERT INTO roles (id, name, description) VALUES ($1, $2, $3)")
                .bind(&r.id)
                .bind(&r.name)
                .bind(&r.description)
                .execute(pool)
                .await
                .map_err(conflict(format!("role - Duplicate entry found with name {}", r.name)))?;
            Ok(())
        })
    }

    pub async fn add_implied_role(&self, prior: &str, implied: &str) -> Result<(), IdentityError> {
        with_pool!(&self.pool, |pool| {
            sqlx::query(
                "INSERT INTO implied_roles (prior_role_id, implied_role_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(prior)
            .bind(implied)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    pub async fn assign_role(&self, actor_id: &str, target: &Target, role_id: &str) -> Result<(), IdentityError> {
        with_pool!(&self.pool, |pool| {
            let (kind, target_id) = target.parts();
            sqlx::query(
                "INSERT INTO role_assignments (actor_id, target_type, target_id, role_id) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            )
            .bind(actor_id)
            .bind(kind)
            .bind(target_id)
            .bind(role_id)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// The roles `actor_id` holds on `target`, implied roles included.
    pub async fn effective_roles(&self, actor_id: &str, target: &Target) -> Result<Vec<Role>, IdentityError> {
        with_pool!(&self.pool, |pool| {
            let (kind, target_id) = target.parts();
            Ok(sqlx::query(
                "WITH RECURSIVE granted(role_id) AS (
                     SELECT role_id FROM role_assignments
                     WHERE actor_id IN (SELECT $1 UNION SELECT group_id FROM group_members WHERE user_id = $1)
                       AND target_type = $2 AND target_id = $3
                     UNION
                     SELECT ir.implied_role_id FROM implied_roles ir JOIN granted g ON ir.prior_role_id = g.role_id
                 )
                 SELECT r.* FROM roles r JOIN granted g ON r.id = g.role_id ORDER BY r.name",
            )
            .bind(actor_id)
            .bind(kind)
            .bind(target_id)
            .fetch_all(pool)
            .await?
            .iter()
            .map(role)
            .collect())
        })
    }

    /// Enabled projects on which the user holds any role.
    pub async fn projects_for_user(&self, user_id: &str) -> Result<Vec<Project>, IdentityError> {
        let project_columns = project_columns(self.pool.engine());
        with_pool!(&self.pool, |pool| {
            Ok(sqlx::query(&format!(
                "SELECT DISTINCT {project_columns} FROM projects p JOIN role_assignments a
                   ON a.target_type = 'project' AND a.target_id = p.id
                 WHERE a.actor_id IN (SELECT $1 UNION SELECT group_id FROM group_members WHERE user_id = $1)
                   AND p.enabled = 1 ORDER BY p.name"
            ))
            .bind(user_id)
            .fetch_all(pool)
            .await?
            .iter()
            .map(project)
            .collect())
        })
    }

    /// Enabled domains on which the user holds any role.
    pub async fn domains_for_user(&self, user_id: &str) -> Result<Vec<Domain>, IdentityError> {
        with_pool!(&self.pool, |pool| {
            Ok(sqlx::query(
                "SELECT DISTINCT d.* FROM domains d JOIN role_assignments a
                   ON a.target_type = 'domain' AND a.target_id = d.id
                 WHERE a.actor_id IN (SELECT $1 UNION SELECT group_id FROM group_members WHERE user_id = $1)
                   AND d.enabled = 1 ORDER BY d.name",
            )
            .bind(user_id)
            .fetch_all(pool)
            .await?
            .iter()
            .map(domain)
            .collect())
        })
    }

    // ---- catalog -------------------------------------------------------

    pub async fn ensure_region(&self, id: &str) -> Result<(), IdentityError> {
        with_pool!(&self.pool, |pool| {
            sqlx::query("INSERT INTO regions (id) VALUES ($1) ON CONFLICT DO NOTHING")
                .bind(id)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    pub async fn service_by_type(&self, service_type: &str) -> Result<Option<String>, IdentityError> {
        with_pool!(&self.pool, |pool| {
            Ok(
                sqlx::query_scalar("SELECT id FROM services WHERE type = $1 ORDER BY id LIMIT 1")
                    .bind(service_type)
                    .fetch_optional(pool)
                    .await?,
            )
        })
    }

    pub async fn create_service(&self, service_type: &str, name: &str) -> Result<String, IdentityError> {
        with_pool!(&self.pool, |pool| {
            let id = new_id();
            sqlx::query("INSERT INTO services (id, type, name) VALUES ($1, $2, $3)")
                .bind(&id)
                .bind(service_type)
                .bind(name)
                .execute(pool)
                .await?;
            Ok(id)
        })
    }

    /// Creates or repoints the service's endpoint for (interface, region).
    pub async fn upsert_endpoint(
        &self,
        service_id: &str,
        interface: &str,
        region_id: &str,
        url: &str,
    ) -> Result<(), IdentityError> {
        with_pool!(&self.pool, |pool| {
            let updated = sqlx::query(
                "UPDATE endpoints SET url = $1 WHERE service_id = $2 AND interface = $3 AND region_id = $4",
            )
            .bind(url)
            .bind(service_id)
            .bind(interface)
            .bind(region_id)
            .execute(pool)
            .await?;
            if updated.rows_affected() == 0 {
                sqlx::query(
                    "INSERT INTO endpoints (id, service_id, interface, region_id, url) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(new_id())
                .bind(service_id)
                .bind(interface)
                .bind(region_id)
                .bind(url)
                .execute(pool)
                .await?;
            }
            Ok(())
        })
    }

    pub async fn catalog(&self) -> Result<Vec<CatalogService>, IdentityError> {
        with_pool!(&self.pool, |pool| {
            let rows = sqlx::query(
                "SELECT s.id AS sid, s.type AS stype, s.name AS sname, e.id AS eid, e.interface, e.region_id, e.url
                 FROM services s LEFT JOIN endpoints e ON e.service_id = s.id AND e.enabled = 1
                 WHERE s.enabled = 1 ORDER BY s.type, s.id, e.interface",
            )
            .fetch_all(pool)
            .await?;
            let mut out: Vec<CatalogService> = Vec::new();
            for row in rows {
                let sid: String = row.get("sid");
                if out.last().map(|s| s.id != sid).unwrap_or(true) {
                    out.push(CatalogService {
                        id: sid.clone(),
                        service_type: row.get("stype"),
                        name: row.get("sname"),
                        endpoints: Vec::new(),
                    });
                }
                if let (Some(eid), Some(last)) = (row.get::<Option<String>>("eid"), out.last_mut()) {
                    last.endpoints.push(Endpoint {
                        id: eid,
                        interface: row.get("interface"),
                        region_id: row.get("region_id"),
                        url: row.get("url"),
                    });
                }
            }
            Ok(out)
        })
    }

    // ---- revocation ----------------------------------------------------

    pub async fn revoke_audit_id(&self, audit_id: &str, expires_at: i64) -> Result<(), IdentityError> {
        with_pool!(&self.pool, |pool| {
            sqlx::query("INSERT INTO revoked_audit_ids (audit_id, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(audit_id)
                .bind(expires_at)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    pub async fn any_revoked(&self, audit_ids: &[String]) -> Result<bool, IdentityError> {
        with_pool!(&self.pool, |pool| {
            for audit_id in audit_ids {
                let hit: Option<i64> =
                    sqlx::query_scalar("SELECT CAST(1 AS BIGINT) FROM revoked_audit_ids WHERE audit_id = $1")
                        .bind(audit_id)
                        .fetch_optional(pool)
                        .await?;
                if hit.is_some() {
                    return Ok(true);
                }
            }
            Ok(false)
        })
    }

    /// Drops revocations of tokens that have expired anyway.
    pub async fn prune_revocations(&self, now: i64) -> Result<u64, IdentityError> {
        with_pool!(&self.pool, |pool| {
            Ok(sqlx::query("DELETE FROM revoked_audit_ids WHERE expires_at < $1")
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected())
        })
    }
}

/// Administration queries (Keystone's CRUD APIs).
impl IdentityDb {
    // ---- domains ---------------------------------------------------------

    pub async fn list_domains(&self, name: Option<&str>, enabled: Option<bool>) -> Result<Vec<Domain>, IdentityError> {
        with_pool!(&self.pool, |pool| {
            Ok(sqlx::query(
                "SELECT * FROM domains WHERE ($1 IS NULL OR name = $1) AND ($2 IS NULL OR enabled = $2) ORDER BY name",
            )
            .bind(name)
            .bind(enabled.map(|e| e as i64))
            .fetch_all(pool)
            .await?
            .iter()
            .map(domain)
            .collect())
        })
    }

    pub async fn update_domain(&self, d: &Domain) -> Result<(), IdentityError> {
        with_pool!(&self.pool, |pool| {
            sqlx::query("UPDATE domains SET name = $1, description = $2, enabled = $3 WHERE id = $4")
                .bind(&d.name)
                .bind(&d.description)
                .bind(d.enabled as i64)
                .bind(&d.id)
                .execute(pool)
                .await
                .map_err(conflict(format!("domain - Duplicate entry found with name {}", d.name)))?;
            Ok(())
        })
    }

    pub async fn domain_in_use(&self, id: &str) -> Result<bool, IdentityError> {
        with_pool!(&self.pool, |pool| {
            let n: i64 = sqlx::query_scalar(
                "SELECT (SELECT COUNT(*) FROM projects WHERE domain_id = $1) + (SELECT COUNT(*) FROM users WHERE domain_id = $1)
                      + (SELECT COUNT(*) FROM groups WHERE domain_id = $1)",
            )
            .bind(id)
            .fetch_one(pool)
            .await?;
            Ok(n > 0)
        })
    }

    pub async fn delete_domain(&self, id: &str) -> Result<bool, IdentityError> {
        with_pool!(&self.pool, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM role_assignments WHERE target_type = 'domain' AND target_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let n = sqlx::query("DELETE FROM domains WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await?;
            Ok(n == 1)
        })
    }

    // ---- groups ----------------------------------------------------------

    pub async fn group(&self, id: &str) -> Result<Option<Group>, IdentityError> {
        self.by_id("groups", id, |r| group(r)).await
    }

    pub async fn list_groups(&self, name: Option<&str>, domain_id: Option<&str>) -> Result<Vec<Group>, IdentityError> {
        with_pool!(&self.pool, |pool| {
            Ok(sqlx::query(
                "SELECT * FROM groups WHERE ($1 IS NULL OR name = $1) AND ($2 IS NULL OR domain_id = $2) ORDER BY name",
            )
            .bind(name)
            .bind(domain_id)
            .fetch_all(pool)
            .await?
            .iter()
            .map(group)
            .collect())
        })
    }

    pub async fn insert_group(&self, g: &Group) -> Result<(), IdentityError> {
        with_pool!(&self.pool, |pool| {
            sqlx::query("INSERT INTO groups (id, name, domain_id, description) VALUES ($1, $2, $3, $4)")
                .bind(&g.id)
                .bind(&g.name)
                .bind(&g.domain_id)
                .bind(&g.description)
                .execute(pool)
                .await
                .map_err(conflict(format!(
                    "group - Duplicate entry found with name {} at domain ID {}",
                    g.name, g.domain_id
                )))?;
            Ok(())
        })
    }

    pub async fn update_group(&self, g: &Group) -> Result<(), IdentityError> {
        with_pool!(&self.pool, |pool| {
            sqlx::query("UPDATE groups SET name = $1, description = $2 WHERE id = $3")
                .bind(&g.name)
                .bind(&g.description)
                .bind(&g.id)
                .execute(pool)
                .await
                .map_err(conflict(format!(
                    "group - Duplicate entry found with name {} at domain ID {}",
                    g.name, g.domain_id
                )))?;
            Ok(())
        })
    }

    pub async fn delete_group(&self, id: &str) -> Result<bool, IdentityError> {
        with_pool!(&self.pool, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM role_assignments WHERE actor_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let n = sqlx::query("DELETE FROM groups WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await?;
            Ok(n == 1)
        })
    }

    pub async fn add_group_member(&self, group_id: &str, user_id: &str) -> Result<(), IdentityError> {
        with_pool!(&self.pool, |pool| {
            sqlx::query("INSERT INTO group_members (group_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(group_id)
                .bind(user_id)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    pub async fn remove_group_member(&self, group_id: &str, user_id: &str) -> Result<bool, IdentityError> {
        with_pool!(&self.pool, |pool| {
            Ok(
                sqlx::query("DELETE FROM group_members WHERE group_id = $1 AND user_id = $2")
                    .bind(group_id)
                    .bind(user_id)
                    .execute(pool)
                    .await?
                    .rows_affected()
                    == 1,
            )
        })
    }

    pub async fn is_group_member(&self, group_id: &str, user_id: &str) -> Result<bool, IdentityError> {
        with_pool!(&self.pool, |pool| {
            let hit: Option<i64> =
                sqlx::query_scalar("SELECT CAST(1 AS BIGINT) FROM group_members WHERE group_id = $1 AND user_id = $2")
                    .bind(group_id)
                    .bind(user_id)
                    .fetch_optional(pool)
                    .await?;
            Ok(hit.is_some())
        })
    }

    pub async fn group_users(&self, group_id: &str) -> Result<Vec<User>, IdentityError> {
        with_pool!(&self.pool, |pool| {
            Ok(sqlx::query(
                "SELECT u.* FROM users u JOIN group_members m ON m.user_id = u.id WHERE m.group_id = $1 ORDER BY u.name",
            )
            .bind(group_id)
            .fetch_all(pool)
            .await?
            .iter()
            .map(user)
            .collect())
        })
    }

    pub async fn user_groups(&self, user_id: &str) -> Result<Vec<Group>, IdentityError> {
        with_pool!(&self.pool, |pool| {
            Ok(sqlx::query(
                "SELECT g.* FROM groups g JOIN group_members m ON m.group_id = g.id WHERE m.user_id = $1 ORDER BY g.name",
            )
            .bind(user_id)
            .fetch_all(pool)
            .await?
            .iter()
            .map(group)
            .collect())
        })
    }

    // ---- roles -----------------------------------------------------------

    pub async fn role(&self, id: &str) -> Result<Option<Role>, IdentityError> {
        self.by_id("roles", id, |r| role(r)).await
    }

    pub async fn list_roles(&self, name: Option<&str>) -> Result<Vec<Role>, IdentityError> {
        with_pool!(&self.pool, |pool| {
            Ok(
                sqlx::query("SELECT * FROM roles WHERE ($1 IS NULL OR name = $1) ORDER BY name")
                    .bind(name)
                    .fetch_all(pool)
                    .await?
                    .iter()
                    .map(role)
                    .collect(),
            )
        })
    }

    pub async fn update_role(&self, r: &Role) -> Result<(), IdentityError> {
        with_pool!(&self.pool, |pool| {
            sqlx::query("UPDATE roles SET name = $1, description = $2 WHERE id = $3")
                .bind(&r.name)
                .bind(&r.description)
                .bind(&r.id)
                .execute(pool)
                .await
                .map_err(conflict(format!("role - Duplicate entry found with name {}", r.name)))?;
            Ok(())
        })
    }

    pub async fn delete_role(&self, id: &str) -> Result<bool, IdentityError> {
        self.delete_by_id("roles", id).await
    }

    /// (prior, implied) pairs; all of them when `prior` is `None`.
    pub async fn implied_roles(&self, prior: Option<&str>) -> Result<Vec<(String, String)>, IdentityError> {
        with_pool!(&self.pool, |pool| {
            Ok(sqlx::query(
                "SELECT prior_role_id, implied_role_id FROM implied_roles WHERE ($1 IS NULL OR prior_role_id = $1)",
            )
            .bind(prior)
            .fetch_all(pool)
            .await?
            .iter()
            .map(|r| (r.get("prior_role_id"), r.get("implied_role_id")))
            .collect())
        })
    }

    pub async fn remove_implied_role(&self, prior: &str, implied: &str) -> Result<bool, IdentityError> {
        with_pool!(&self.pool, |pool| {
            Ok(
                sqlx::query("DELETE FROM implied_roles WHERE prior_role_id = $1 AND implied_role_id = $2")
                    .bind(prior)
                    .bind(implied)
                    .execute(pool)
                    .await?
                    .rows_affected()
                    == 1,
            )
        })
    }

    // ---- assignments -----------------------------------------------------

    pub async fn unassign_role(&self, actor_id: &str, target: &Target, role_id: &str) -> Result<bool, IdentityError> {
        with_pool!(&self.pool, |pool| {
            let (kind, target_id) = target.parts();
            Ok(sqlx::query(
                "DELETE FROM role_assignments WHERE actor_id = $1 AND target_type = $2 AND target_id = $3 AND role_id = $4",
            )
            .bind(actor_id)
            .bind(kind)
            .bind(target_id)
            .bind(role_id)
            .execute(pool)
            .await?
            .rows_affected()
                == 1)
        })
    }

    pub async fn has_assignment(&self, actor_id: &str, target: &Target, role_id: &str) -> Result<bool, IdentityError> {
        with_pool!(&self.pool, |pool| {
            let (kind, target_id) = target.parts();
            let hit: Option<i64> = sqlx::query_scalar(
                "SELECT CAST(1 AS BIGINT) FROM role_assignments WHERE actor_id = $1 AND target_type = $2 AND target_id = $3 AND role_id = $4",
            )
            .bind(actor_id)
            .bind(kind)
            .bind(target_id)
            .bind(role_id)
            .fetch_optional(pool)
            .await?;
            Ok(hit.is_some())
        })
    }

    /// Direct assignments matching `filter`. Whether an actor is a user or a
    /// group is read from the tables.
    pub async fn assignments(&self, filter: &AssignmentFilter) -> Result<Vec<Assignment>, IdentityError> {
        with_pool!(&self.pool, |pool| {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT a.actor_id, a.target_type, a.target_id, a.role_id,
                        (SELECT COUNT(*) FROM groups g WHERE g.id = a.actor_id) AS is_group
                 FROM role_assignments a WHERE 1 = 1",
            );
            if let Some(actors) = &filter.actor_ids {
                qb.push(" AND a.actor_id IN (");
                let mut sep = qb.separated(", ");
                for a in actors {
                    sep.push_bind(a.clone());
                }
                if actors.is_empty() {
                    sep.push("NULL");
                }
                qb.push(")");
            }
            if let Some(role_id) = &filter.role_id {
                qb.push(" AND a.role_id = ").push_bind(role_id.clone());
            }
            if let Some(target) = &filter.target {
                let (kind, id) = target.parts();
                qb.push(" AND a.target_type = ")
                    .push_bind(kind)
                    .push(" AND a.target_id = ")
                    .push_bind(id.to_owned());
            }
            qb.push(" ORDER BY a.target_type, a.target_id, a.actor_id, a.role_id");
            let rows = qb.build().persistent(false).fetch_all(pool).await?;
            Ok(rows
                .iter()
                .filter_map(|r| {
                    let actor_id: String = r.get("actor_id");
                    let actor = if r.get::<i64>("is_group") != 0 {
                        Actor::Group(actor_id)
                    } else {
                        Actor::User(actor_id)
                    };
                    Some(Assignment {
                        actor,
                        target: Target::from_parts(&r.get::<String>("target_type"), &r.get::<String>("target_id"))?,
                        role_id: r.get("role_id"),
                        via_group: None,
                        implied_from: None,
                    })
                })
                .collect())
        })
    }

    // ---- regions, services, endpoints ------------------------------------

    pub async fn region(&self, id: &str) -> Result<Option<Region>, IdentityError> {
        self.by_id("regions", id, |r| region(r)).await
    }

    pub async fn list_regions(&self, parent: Option<&str>) -> Result<Vec<Region>, IdentityError> {
        with_pool!(&self.pool, |pool| {
            Ok(
                sqlx::query("SELECT * FROM regions WHERE ($1 IS NULL OR parent_region_id = $1) ORDER BY id")
                    .bind(parent)
                    .fetch_all(pool)
                    .await?
                    .iter()
                    .map(region)
                    .collect(),
            )
        })
    }

    pub async fn insert_region(&self, r: &Region) -> Result<(), IdentityError> {
        with_pool!(&self.pool, |pool| {
            sqlx::query("INSERT INTO regions (id, description, parent_region_id) VALUES ($1, $2, $3)")
                .bind(&r.id)
                .bind(&r.description)
                .bind(&r.parent_region_id)
                .execute(pool)
                .await
                .map_err(conflict(format!("region - Duplicate ID, {}.", r.id)))?;
            Ok(())
        })
    }

    pub async fn update_region(&self, r: &Region) -> Result<(), IdentityError> {
        with_pool!(&self.pool, |pool| {
            sqlx::query("UPDATE regions SET description = $1, parent_region_id = $2 WHERE id = $3")
                .bind(&r.description)
                .bind(&r.parent_region_id)
                .bind(&r.id)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    pub async fn delete_region(&self, id: &str) -> Result<bool, IdentityError> {
        self.delete_by_id("regions", id).await
    }

    pub async fn service(&self, id: &str) -> Result<Option<Service>, IdentityError> {
        self.by_id("services", id, |r| service(r)).await
    }

    pub async fn list_services(
        &self,
        service_type: Option<&str>,
        name: Option<&str>,
    ) -> Result<Vec<Service>, IdentityError> {
        with_pool!(&self.pool, |pool| {
            Ok(sqlx::query(
                "SELECT * FROM services WHERE ($1 IS NULL OR type = $1) AND ($2 IS NULL OR name = $2) ORDER BY type, name",
            )
            .bind(service_type)
            .bind(name)
            .fetch_all(pool)
            .await?
            .iter()
            .map(service)
            .collect())
        })
    }

    pub async fn insert_service(&self, s: &Service) -> Result<(), IdentityError> {
        with_pool!(&self.pool, |pool| {
            sqlx::query("INSERT INTO services (id, type, name, description, enabled) VALUES ($1, $2, $3, $4, $5)")
                .bind(&s.id)
                .bind(&s.service_type)
                .bind(&s.name)
                .bind(&s.description)
                .bind(s.enabled as i64)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    pub async fn update_service(&self, s: &Service) -> Result<(), IdentityError> {
        with_pool!(&self.pool, |pool| {
            sqlx::query("UPDATE services SET type = $1, name = $2, description = $3, enabled = $4 WHERE id = $5")
                .bind(&s.service_type)
                .bind(&s.name)
                .bind(&s.description)
                .bind(s.enabled as i64)
                .bind(&s.id)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    pub async fn delete_service(&self, id: &str) -> Result<bool, IdentityError> {
        self.delete_by_id("services", id).await
    }

    pub async fn endpoint(&self, id: &str) -> Result<Option<EndpointRecord>, IdentityError> {
        self.by_id("endpoints", id, |r| endpoint(r)).await
    }

    pub async fn list_endpoints(
        &self,
        service_id: Option<&str>,
        interface: Option<&str>,
        region_id: Option<&str>,
    ) -> Result<Vec<EndpointRecord>, IdentityError> {
        with_pool!(&self.pool, |pool| {
            Ok(sqlx::query(
                "SELECT * FROM endpoints WHERE ($1 IS NULL OR service_id = $1) AND ($2 IS NULL OR interface = $2)
                   AND ($3 IS NULL OR region_id = $3) ORDER BY service_id, interface",
            )
            .bind(service_id)
            .bind(interface)
            .bind(region_id)
            .fetch_all(pool)
            .await?
            .iter()
            .map(endpoint)
            .collect())
        })
    }

    pub async fn insert_endpoint(&self, e: &EndpointRecord) -> Result<(), IdentityError> {
        with_pool!(&self.pool, |pool| {
            sqlx::query(
                "INSERT INTO endpoints (id, service_id, interface, region_id, url, enabled) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&e.id)
            .bind(&e.service_id)
            .bind(&e.interface)
            .bind(&e.region_id)
            .bind(&e.url)
            .bind(e.enabled as i64)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    pub async fn update_endpoint(&self, e: &EndpointRecord) -> Result<(), IdentityError> {
        with_pool!(&self.pool, |pool| {
            sqlx::query(
                "UPDATE endpoints SET service_id = $1, interface = $2, region_id = $3, url = $4, enabled = $5 WHERE id = $6",
            )
            .bind(&e.service_id)
            .bind(&e.interface)
            .bind(&e.region_id)
            .bind(&e.url)
            .bind(e.enabled as i64)
            .bind(&e.id)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    pub async fn delete_endpoint(&self, id: &str) -> Result<bool, IdentityError> {
        self.delete_by_id("endpoints", id).await
    }

    // ---- application credentials -----------------------------------------

    pub async fn insert_app_credential(&self, c: &AppCredential, secret_hash: &str) -> Result<(), IdentityError> {
        with_pool!(&self.pool, |pool| {
            sqlx::query(
                "INSERT INTO application_credentials (id, name, user_id, project_id, secret_hash, description, expires_at,
                     unrestricted, roles, access_rules, unrestricted_given) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(&c.id)
            .bind(&c.name)
            .bind(&c.user_id)
            .bind(&c.project_id)
            .bind(secret_hash)
            .bind(&c.description)
            .bind(c.expires_at)
            .bind(c.unrestricted as i64)
            .bind(serde_json::to_string(&c.role_ids).unwrap_or_else(|_| "[]".into()))
            .bind(c.access_rules.to_string())
            .bind(c.unrestricted_given as i64)
            .execute(pool)
            .await
            .map_err(conflict(format!(
                "application_credential - Duplicate entry found with name {}",
                c.name
            )))?;
            Ok(())
        })
    }

    pub async fn app_credential(&self, id: &str) -> Result<Option<(AppCredential, String)>, IdentityError> {
        with_pool!(&self.pool, |pool| {
            Ok(sqlx::query("SELECT * FROM application_credentials WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?
                .map(|r| (app_credential(&r), r.get("secret_hash"))))
        })
    }

    pub async fn app_credential_by_name(
        &self,
        user_id: &str,
        name: &str,
    ) -> Result<Option<(AppCredential, String)>, IdentityError> {
        with_pool!(&self.pool, |pool| {
            Ok(
                sqlx::query("SELECT * FROM application_credentials WHERE user_id = $1 AND name = $2")
                    .bind(user_id)
                    .bind(name)
                    .fetch_optional(pool)
                    .await?
                    .map(|r| (app_credential(&r), r.get("secret_hash"))),
            )
        })
    }

    pub async fn list_app_credentials(
        &self,
        user_id: &str,
        name: Option<&str>,
    ) -> Result<Vec<AppCredential>, IdentityError> {
        with_pool!(&self.pool, |pool| {
            Ok(sqlx::query(
                "SELECT * FROM application_credentials WHERE user_id = $1 AND ($2 IS NULL OR name = $2) ORDER BY name",
            )
            .bind(user_id)
            .bind(name)
            .fetch_all(pool)
            .await?
            .iter()
            .map(app_credential)
            .collect())
        })
    }

    pub async fn delete_app_credential(&self, id: &str) -> Result<bool, IdentityError> {
        self.delete_by_id("application_credentials", id).await
    }

    // ---- unified limits --------------------------------------------------

    pub async fn insert_registered_limit(&self, l: &RegisteredLimit) -> Result<(), IdentityError> {
        with_pool!(&self.pool, |pool| {
            sqlx::query(
                "INSERT INTO registered_limits (id, service_id, region_id, resource_name, default_limit, description) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&l.id)
            .bind(&l.service_id)
            .bind(&l.region_id)
            .bind(&l.resource_name)
            .bind(l.default_limit)
            .bind(&l.description)
            .execute(pool)
            .await
            .map_err(conflict("registered_limit - Duplicate entry".to_owned()))?;
            Ok(())
        })
    }

    pub async fn registered_limit(&self, id: &str) -> Result<Option<RegisteredLimit>, IdentityError> {
        self.by_id("registered_limits", id, |r| registered_limit(r)).await
    }

    pub async fn list_registered_limits(
        &self,
        service_id: Option<&str>,
        region_id: Option<&str>,
        resource_name: Option<&str>,
    ) -> Result<Vec<RegisteredLimit>, IdentityError> {
        with_pool!(&self.pool, |pool| {
            Ok(sqlx::query(
                "SELECT * FROM registered_limits WHERE ($1 IS NULL OR service_id = $1) AND ($2 IS NULL OR region_id = $2)
                   AND ($3 IS NULL OR resource_name = $3) ORDER BY resource_name",
            )
            .bind(service_id)
            .bind(region_id)
            .bind(resource_name)
            .fetch_all(pool)
            .await?
            .iter()
            .map(registered_limit)
            .collect())
        })
    }

    pub async fn update_registered_limit(&self, l: &RegisteredLimit) -> Result<(), IdentityError> {
        with_pool!(&self.pool, |pool| {
            sqlx::query(
                "UPDATE registered_limits SET service_id = $1, region_id = $2, resource_name = $3, default_limit = $4, description = $5 WHERE id = $6",
            )
            .bind(&l.service_id)
            .bind(&l.region_id)
            .bind(&l.resource_name)
            .bind(l.default_limit)
            .bind(&l.description)
            .bind(&l.id)
            .execute(pool)
            .await
            .map_err(conflict("registered_limit - Duplicate entry".to_owned()))?;
            Ok(())
        })
    }

    pub async fn delete_registered_limit(&self, id: &str) -> Result<bool, IdentityError> {
        self.delete_by_id("registered_limits", id).await
    }

    pub async fn insert_limit(&self, l: &Limit) -> Result<(), IdentityError> {
        with_pool!(&self.pool, |pool| {
            sqlx::query(
                "INSERT INTO limits (id, project_id, domain_id, service_id, region_id, resource_name, resource_limit, description)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&l.id)
            .bind(&l.project_id)
            .bind(&l.domain_id)
            .bind(&l.service_id)
            .bind(&l.region_id)
            .bind(&l.resource_name)
            .bind(l.resource_limit)
            .bind(&l.description)
            .execute(pool)
            .await
            .map_err(conflict("limit - Duplicate entry".to_owned()))?;
            Ok(())
        })
    }

    pub async fn limit(&self, id: &str) -> Result<Option<Limit>, IdentityError> {
        self.by_id("limits", id, |r| limit(r)).await
    }

    pub async fn list_limits(&self, f: &LimitFilter) -> Result<Vec<Limit>, IdentityError> {
        with_pool!(&self.pool, |pool| {
            Ok(sqlx::query(
                "SELECT * FROM limits WHERE ($1 IS NULL OR service_id = $1) AND ($2 IS NULL OR region_id = $2)
                   AND ($3 IS NULL OR resource_name = $3) AND ($4 IS NULL OR project_id = $4) AND ($5 IS NULL OR domain_id = $5)
                 ORDER BY resource_name",
            )
            .bind(&f.service_id)
            .bind(&f.region_id)
            .bind(&f.resource_name)
            .bind(&f.project_id)
            .bind(&f.domain_id)
            .fetch_all(pool)
            .await?
            .iter()
            .map(limit)
            .collect())
        })
    }

    pub async fn update_limit(&self, l: &Limit) -> Result<(), IdentityError> {
        with_pool!(&self.pool, |pool| {
            sqlx::query("UPDATE limits SET resource_limit = $1, description = $2 WHERE id = $3")
                .bind(l.resource_limit)
                .bind(&l.description)
                .bind(&l.id)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    pub async fn delete_limit(&self, id: &str) -> Result<bool, IdentityError> {
        self.delete_by_id("limits", id).await
    }

    // ---- revocation events -----------------------------------------------

    /// Invalidates every token of `subject` issued up to now.
    pub async fn revoke_subject(&self, kind: &str, id: &str, issued_before: i64) -> Result<(), IdentityError> {
        with_pool!(&self.pool, |pool| {
            sqlx::query(
                "INSERT INTO revocation_events (subject_kind, subject_id, issued_before) VALUES ($1, $2, $3)
                 ON CONFLICT (subject_kind, subject_id) DO UPDATE SET issued_before = excluded.issued_before",
            )
            .bind(kind)
            .bind(id)
            .bind(issued_before)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Was a token of this user (scoped to this project) issued at `issued_at` revoked by an event?
    pub async fn revoked_by_event(
        &self,
        user_id: &str,
        project_id: Option<&str>,
        issued_at: i64,
    ) -> Result<bool, IdentityError> {
        with_pool!(&self.pool, |pool| {
            let hit: Option<i64> = sqlx::query_scalar(
                "SELECT CAST(1 AS BIGINT) FROM revocation_events WHERE issued_before >= $3 AND
                   ((subject_kind = 'user' AND subject_id = $1) OR (subject_kind = 'project' AND subject_id = $2))",
            )
            .bind(user_id)
            .bind(project_id)
            .bind(issued_at)
            .fetch_optional(pool)
            .await?;
            Ok(hit.is_some())
        })
    }
}

/// `GET /v3/limits` filters.
#[derive(Debug, Clone, Default)]
pub struct LimitFilter {
    pub service_id: Option<String>,
    pub region_id: Option<String>,
    pub resource_name: Option<String>,
    pub project_id: Option<String>,
    pub domain_id: Option<String>,
}
