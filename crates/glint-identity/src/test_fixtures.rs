//! Values unit tests across the crate build from.

use crate::model::{Domain, Project, Role, User};
use crate::token::{AuthMethod, Scope, TokenPayload};
use crate::{ResolvedScope, TokenInfo};

/// A validated token of user `u1` in domain `d1`: scope "system", "domain" (d1)
/// or anything else for project `p1`, with the given role names as ids and names.
pub(crate) fn token_info(scope: &str, roles: &[&str]) -> TokenInfo {
    let domain = Domain {
        id: "d1".into(),
        name: "D1".into(),
        description: String::new(),
        enabled: true,
    };
    let project = Project {
        id: "p1".into(),
        name: "P1".into(),
        domain_id: "d1".into(),
        parent_id: None,
        description: String::new(),
        enabled: true,
        tags: vec![],
    };
    let resolved = match scope {
        "system" => ResolvedScope::System,
        "domain" => ResolvedScope::Domain(domain.clone()),
        _ => ResolvedScope::Project {
            project,
            domain: domain.clone(),
        },
    };
    TokenInfo {
        token: String::new(),
        payload: TokenPayload {
            user_id: "u1".into(),
            methods: vec![AuthMethod::Password],
            scope: Scope::Unscoped,
            issued_at: chrono::Utc::now(),
            expires_at: chrono::Utc::now(),
            audit_ids: vec![],
            app_cred_id: None,
        },
        user: User {
            id: "u1".into(),
            name: "u".into(),
            domain_id: "d1".into(),
            enabled: true,
            default_project_id: None,
            extra: Default::default(),
        },
        user_domain: domain,
        scope: resolved,
        roles: roles
            .iter()
            .map(|r| Role {
                id: r.to_string(),
                name: r.to_string(),
                description: String::new(),
            })
            .collect(),
        app_credential: None,
    }
}
