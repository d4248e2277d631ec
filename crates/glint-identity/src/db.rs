//! Identity records in SQL (sqlx). Only this module writes SQL.

use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqlitePool};

use crate::model::{new_id, CatalogService, Domain, Endpoint, Project, Role, Target, User};
use crate::IdentityError;

#[derive(Clone)]
pub struct IdentityDb {
    pool: SqlitePool,
}

fn domain(row: &SqliteRow) -> Domain {
    Domain {
        id: row.get("id"),
        name: row.get("name"),
        description: row.get("description"),
        enabled: row.get::<i64, _>("enabled") != 0,
    }
}

fn project(row: &SqliteRow) -> Project {
    Project {
        id: row.get("id"),
        name: row.get("name"),
        domain_id: row.get("domain_id"),
        parent_id: row.get("parent_id"),
        description: row.get("description"),
        enabled: row.get::<i64, _>("enabled") != 0,
    }
}

fn user(row: &SqliteRow) -> User {
    User {
        id: row.get("id"),
        name: row.get("name"),
        domain_id: row.get("domain_id"),
        enabled: row.get::<i64, _>("enabled") != 0,
        default_project_id: row.get("default_project_id"),
    }
}

fn role(row: &SqliteRow) -> Role {
    Role {
        id: row.get("id"),
        name: row.get("name"),
    }
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

impl IdentityDb {
    /// Runs the identity migrations on `pool` (shared with other services;
    /// their migrations are numbered apart, so missing ones are ignored).
    pub async fn new(pool: SqlitePool) -> Result<Self, IdentityError> {
        let mut migrator = sqlx::migrate!("./migrations");
        migrator.set_ignore_missing(true);
        migrator
            .run(&pool)
            .await
            .map_err(|e| IdentityError::Internal(e.to_string()))?;
        Ok(Self { pool })
    }

    // ---- domains -------------------------------------------------------

    pub async fn domain(&self, id: &str) -> Result<Option<Domain>, IdentityError> {
        Ok(sqlx::query("SELECT * FROM domains WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| domain(&r)))
    }

    pub async fn domain_by_name(&self, name: &str) -> Result<Option<Domain>, IdentityError> {
        Ok(sqlx::query("SELECT * FROM domains WHERE name = ?")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| domain(&r)))
    }

    pub async fn create_domain(
        &self,
        id: &str,
        name: &str,
        description: &str,
    ) -> Result<Domain, IdentityError> {
        sqlx::query("INSERT INTO domains (id, name, description) VALUES (?, ?, ?)")
            .bind(id)
            .bind(name)
            .bind(description)
            .execute(&self.pool)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    IdentityError::Conflict(format!("Domain {name}"))
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
    }

    // ---- projects ------------------------------------------------------

    pub async fn project(&self, id: &str) -> Result<Option<Project>, IdentityError> {
        Ok(sqlx::query("SELECT * FROM projects WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| project(&r)))
    }

    pub async fn project_by_name(
        &self,
        domain_id: &str,
        name: &str,
    ) -> Result<Option<Project>, IdentityError> {
        Ok(
            sqlx::query("SELECT * FROM projects WHERE domain_id = ? AND name = ?")
                .bind(domain_id)
                .bind(name)
                .fetch_optional(&self.pool)
                .await?
                .map(|r| project(&r)),
        )
    }

    pub async fn list_projects(
        &self,
        name: Option<&str>,
        domain_id: Option<&str>,
    ) -> Result<Vec<Project>, IdentityError> {
        Ok(sqlx::query(
            "SELECT * FROM projects WHERE (?1 IS NULL OR name = ?1) AND (?2 IS NULL OR domain_id = ?2) ORDER BY name",
        )
        .bind(name)
        .bind(domain_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(project)
        .collect())
    }

    pub async fn create_project(
        &self,
        name: &str,
        domain_id: &str,
        description: &str,
    ) -> Result<Project, IdentityError> {
        let id = new_id();
        sqlx::query("INSERT INTO projects (id, name, domain_id, parent_id, description) VALUES (?, ?, ?, ?, ?)")
            .bind(&id)
            .bind(name)
            .bind(domain_id)
            .bind(domain_id)
            .bind(description)
            .execute(&self.pool)
            .await
            .map_err(|e| if is_unique_violation(&e) { IdentityError::Conflict(format!("Project {name}")) } else { e.into() })?;
        self.project(&id)
            .await?
            .ok_or_else(|| IdentityError::not_found("project", id))
    }

    // ---- users ---------------------------------------------------------

    pub async fn user(&self, id: &str) -> Result<Option<User>, IdentityError> {
        Ok(sqlx::query("SELECT * FROM users WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| user(&r)))
    }

    pub async fn user_by_name(
        &self,
        domain_id: &str,
        name: &str,
    ) -> Result<Option<User>, IdentityError> {
        Ok(
            sqlx::query("SELECT * FROM users WHERE domain_id = ? AND name = ?")
                .bind(domain_id)
                .bind(name)
                .fetch_optional(&self.pool)
                .await?
                .map(|r| user(&r)),
        )
    }

    pub async fn password_hash(&self, user_id: &str) -> Result<Option<String>, IdentityError> {
        Ok(
            sqlx::query_scalar("SELECT password_hash FROM users WHERE id = ?")
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await?
                .flatten(),
        )
    }

    pub async fn create_user(
        &self,
        name: &str,
        domain_id: &str,
        password_hash: Option<&str>,
        default_project_id: Option<&str>,
    ) -> Result<User, IdentityError> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO users (id, name, domain_id, password_hash, default_project_id, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&id)
        .bind(name)
        .bind(domain_id)
        .bind(password_hash)
        .bind(default_project_id)
        .bind(chrono::Utc::now().to_rfc3339())
        .execute(&self.pool)
        .await
        .map_err(|e| if is_unique_violation(&e) { IdentityError::Conflict(format!("User {name}")) } else { e.into() })?;
        self.user(&id)
            .await?
            .ok_or_else(|| IdentityError::not_found("user", id))
    }

    pub async fn set_password_hash(&self, user_id: &str, hash: &str) -> Result<(), IdentityError> {
        sqlx::query("UPDATE users SET password_hash = ? WHERE id = ?")
            .bind(hash)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    // ---- roles ---------------------------------------------------------

    pub async fn role_by_name(&self, name: &str) -> Result<Option<Role>, IdentityError> {
        Ok(sqlx::query("SELECT id, name FROM roles WHERE name = ?")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| role(&r)))
    }

    pub async fn create_role(&self, name: &str) -> Result<Role, IdentityError> {
        let id = new_id();
        sqlx::query("INSERT INTO roles (id, name) VALUES (?, ?)")
            .bind(&id)
            .bind(name)
            .execute(&self.pool)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    IdentityError::Conflict(format!("Role {name}"))
                } else {
                    e.into()
                }
            })?;
        Ok(Role {
            id,
            name: name.into(),
        })
    }

    pub async fn add_implied_role(&self, prior: &str, implied: &str) -> Result<(), IdentityError> {
        sqlx::query(
            "INSERT OR IGNORE INTO implied_roles (prior_role_id, implied_role_id) VALUES (?, ?)",
        )
        .bind(prior)
        .bind(implied)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn assign_role(
        &self,
        actor_id: &str,
        target: &Target,
        role_id: &str,
    ) -> Result<(), IdentityError> {
        let (kind, target_id) = target.parts();
        sqlx::query("INSERT OR IGNORE INTO role_assignments (actor_id, target_type, target_id, role_id) VALUES (?, ?, ?, ?)")
            .bind(actor_id)
            .bind(kind)
            .bind(target_id)
            .bind(role_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The roles `actor_id` holds on `target`, implied roles included.
    pub async fn effective_roles(
        &self,
        actor_id: &str,
        target: &Target,
    ) -> Result<Vec<Role>, IdentityError> {
        let (kind, target_id) = target.parts();
        Ok(sqlx::query(
            "WITH RECURSIVE granted(role_id) AS (
                 SELECT role_id FROM role_assignments WHERE actor_id = ? AND target_type = ? AND target_id = ?
                 UNION
                 SELECT ir.implied_role_id FROM implied_roles ir JOIN granted g ON ir.prior_role_id = g.role_id
             )
             SELECT r.id, r.name FROM roles r JOIN granted g ON r.id = g.role_id ORDER BY r.name",
        )
        .bind(actor_id)
        .bind(kind)
        .bind(target_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(role)
        .collect())
    }

    /// Enabled projects on which the user holds any role.
    pub async fn projects_for_user(&self, user_id: &str) -> Result<Vec<Project>, IdentityError> {
        Ok(sqlx::query(
            "SELECT DISTINCT p.* FROM projects p JOIN role_assignments a
               ON a.target_type = 'project' AND a.target_id = p.id
             WHERE a.actor_id = ? AND p.enabled = 1 ORDER BY p.name",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(project)
        .collect())
    }

    /// Enabled domains on which the user holds any role.
    pub async fn domains_for_user(&self, user_id: &str) -> Result<Vec<Domain>, IdentityError> {
        Ok(sqlx::query(
            "SELECT DISTINCT d.* FROM domains d JOIN role_assignments a
               ON a.target_type = 'domain' AND a.target_id = d.id
             WHERE a.actor_id = ? AND d.enabled = 1 ORDER BY d.name",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(domain)
        .collect())
    }

    // ---- catalog -------------------------------------------------------

    pub async fn ensure_region(&self, id: &str) -> Result<(), IdentityError> {
        sqlx::query("INSERT OR IGNORE INTO regions (id) VALUES (?)")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn service_by_type(
        &self,
        service_type: &str,
    ) -> Result<Option<String>, IdentityError> {
        Ok(
            sqlx::query_scalar("SELECT id FROM services WHERE type = ? ORDER BY id LIMIT 1")
                .bind(service_type)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn create_service(
        &self,
        service_type: &str,
        name: &str,
    ) -> Result<String, IdentityError> {
        let id = new_id();
        sqlx::query("INSERT INTO services (id, type, name) VALUES (?, ?, ?)")
            .bind(&id)
            .bind(service_type)
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(id)
    }

    /// Creates or repoints the service's endpoint for (interface, region).
    pub async fn upsert_endpoint(
        &self,
        service_id: &str,
        interface: &str,
        region_id: &str,
        url: &str,
    ) -> Result<(), IdentityError> {
        let updated = sqlx::query(
            "UPDATE endpoints SET url = ? WHERE service_id = ? AND interface = ? AND region_id = ?",
        )
        .bind(url)
        .bind(service_id)
        .bind(interface)
        .bind(region_id)
        .execute(&self.pool)
        .await?;
        if updated.rows_affected() == 0 {
            sqlx::query("INSERT INTO endpoints (id, service_id, interface, region_id, url) VALUES (?, ?, ?, ?, ?)")
                .bind(new_id())
                .bind(service_id)
                .bind(interface)
                .bind(region_id)
                .bind(url)
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    pub async fn catalog(&self) -> Result<Vec<CatalogService>, IdentityError> {
        let rows = sqlx::query(
            "SELECT s.id AS sid, s.type AS stype, s.name AS sname, e.id AS eid, e.interface, e.region_id, e.url
             FROM services s LEFT JOIN endpoints e ON e.service_id = s.id AND e.enabled = 1
             WHERE s.enabled = 1 ORDER BY s.type, s.id, e.interface",
        )
        .fetch_all(&self.pool)
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
            if let (Some(eid), Some(last)) = (row.get::<Option<String>, _>("eid"), out.last_mut()) {
                last.endpoints.push(Endpoint {
                    id: eid,
                    interface: row.get("interface"),
                    region_id: row.get("region_id"),
                    url: row.get("url"),
                });
            }
        }
        Ok(out)
    }

    // ---- revocation ----------------------------------------------------

    pub async fn revoke_audit_id(
        &self,
        audit_id: &str,
        expires_at: i64,
    ) -> Result<(), IdentityError> {
        sqlx::query("INSERT OR IGNORE INTO revoked_audit_ids (audit_id, expires_at) VALUES (?, ?)")
            .bind(audit_id)
            .bind(expires_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn any_revoked(&self, audit_ids: &[String]) -> Result<bool, IdentityError> {
        for audit_id in audit_ids {
            let hit: Option<i64> =
                sqlx::query_scalar("SELECT 1 FROM revoked_audit_ids WHERE audit_id = ?")
                    .bind(audit_id)
                    .fetch_optional(&self.pool)
                    .await?;
            if hit.is_some() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Drops revocations of tokens that have expired anyway.
    pub async fn prune_revocations(&self, now: i64) -> Result<u64, IdentityError> {
        Ok(
            sqlx::query("DELETE FROM revoked_audit_ids WHERE expires_at < ?")
                .bind(now)
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
    }
}
