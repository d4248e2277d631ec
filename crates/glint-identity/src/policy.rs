//! Keystone's default policy (secure RBAC, 2024+) for the calls Glint serves,
//! as one table: each action lists the personas that may perform it.
//!
//! Personas: `Admin` (role admin, any scope), `SystemReader` (system scope,
//! reader), `DomainReader`/`DomainManager` (domain scope on the target's
//! domain, reader/manager), `ProjectReader` (project scope on the target
//! project, reader), `Owner` (the target user is the caller), `Anyone`
//! (any valid token).

use crate::TokenInfo;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    GetDomain,
    ListDomains,
    CreateDomain,
    UpdateDomain,
    DeleteDomain,
    GetProject,
    ListProjects,
    CreateProject,
    UpdateProject,
    DeleteProject,
    UpdateProjectTags,
    ListUserProjects,
    GetUser,
    ListUsers,
    CreateUser,
    UpdateUser,
    DeleteUser,
    GetGroup,
    ListGroups,
    CreateGroup,
    UpdateGroup,
    DeleteGroup,
    ListGroupUsers,
    ListUserGroups,
    AddUserToGroup,
    RemoveUserFromGroup,
    GetRole,
    ListRoles,
    CreateRole,
    UpdateRole,
    DeleteRole,
    ListImpliedRoles,
    CreateImpliedRole,
    DeleteImpliedRole,
    CheckGrant,
    ListGrants,
    CreateGrant,
    RevokeGrant,
    CreateSystemGrant,
    RevokeSystemGrant,
    ListRoleAssignments,
    GetRegion,
    CreateRegion,
    UpdateRegion,
    DeleteRegion,
    GetService,
    CreateService,
    UpdateService,
    DeleteService,
    GetEndpoint,
    CreateEndpoint,
    UpdateEndpoint,
    DeleteEndpoint,
    GetAppCredential,
    CreateAppCredential,
    DeleteAppCredential,
    GetLimitModel,
    GetRegisteredLimit,
    CreateRegisteredLimits,
    UpdateRegisteredLimit,
    DeleteRegisteredLimit,
    GetLimit,
    CreateLimits,
    UpdateLimit,
    DeleteLimit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Persona {
    Admin,
    SystemReader,
    DomainReader,
    DomainManager,
    ProjectReader,
    Owner,
    Anyone,
}

/// What a call acts on, as far as policy cares.
#[derive(Debug, Clone, Copy, Default)]
pub struct PolicyTarget<'a> {
    pub domain_id: Option<&'a str>,
    pub project_id: Option<&'a str>,
    pub user_id: Option<&'a str>,
}

impl<'a> PolicyTarget<'a> {
    pub fn domain(id: &'a str) -> Self {
        Self {
            domain_id: Some(id),
            ..Self::default()
        }
    }
    pub fn project(id: &'a str, domain_id: &'a str) -> Self {
        Self {
            project_id: Some(id),
            domain_id: Some(domain_id),
            ..Self::default()
        }
    }
    pub fn user(id: &'a str, domain_id: &'a str) -> Self {
        Self {
            user_id: Some(id),
            domain_id: Some(domain_id),
            ..Self::default()
        }
    }
}

/// The table. Kept in one place so that it reads like Keystone's policy file.
pub fn personas(action: Action) -> &'static [Persona] {
    use Action::*;
    use Persona::*;
    match action {
        GetDomain => &[Admin, SystemReader, DomainReader, ProjectReader],
        ListDomains => &[Admin, SystemReader],
        CreateDomain | UpdateDomain | DeleteDomain => &[Admin],
        GetProject => &[Admin, SystemReader, DomainReader, ProjectReader],
        ListProjects => &[Admin, SystemReader, DomainReader],
        CreateProject | UpdateProject | DeleteProject | UpdateProjectTags => &[Admin, DomainManager],
        ListUserProjects => &[Admin, SystemReader, DomainReader, Owner],
        GetUser => &[Admin, SystemReader, DomainReader, Owner],
        ListUsers => &[Admin, SystemReader, DomainReader],
        CreateUser | UpdateUser | DeleteUser => &[Admin, DomainManager],
        GetGroup | ListGroups | ListGroupUsers => &[Admin, SystemReader, DomainReader],
        ListUserGroups => &[Admin, SystemReader, DomainReader, Owner],
        CreateGroup | UpdateGroup | DeleteGroup | AddUserToGroup | RemoveUserFromGroup => &[Admin, DomainManager],
        GetRole | ListRoles | ListImpliedRoles => &[Admin, SystemReader, DomainReader],
        CreateRole | UpdateRole | DeleteRole | CreateImpliedRole | DeleteImpliedRole => &[Admin],
        CheckGrant | ListGrants | ListRoleAssignments => &[Admin, SystemReader, DomainReader],
        CreateGrant | RevokeGrant => &[Admin, DomainManager],
        CreateSystemGrant | RevokeSystemGrant => &[Admin],
        GetRegion | GetLimitModel | GetRegisteredLimit => &[Anyone],
        GetService | GetEndpoint => &[Admin, SystemReader],
        CreateRegion
        | UpdateRegion
        | DeleteRegion
        | CreateService
        | UpdateService
        | DeleteService
        | CreateEndpoint
        | UpdateEndpoint
        | DeleteEndpoint
        | CreateRegisteredLimits
        | UpdateRegisteredLimit
        | DeleteRegisteredLimit
        | CreateLimits
        | UpdateLimit
        | DeleteLimit => &[Admin],
        GetAppCredential => &[Admin, SystemReader, Owner],
        CreateAppCredential | DeleteAppCredential => &[Admin, Owner],
        GetLimit => &[Admin, SystemReader, DomainReader, ProjectReader],
    }
}

fn matches(persona: Persona, caller: &TokenInfo, target: &PolicyTarget) -> bool {
    let same_domain = || target.domain_id.is_some() && caller.domain_id() == target.domain_id;
    match persona {
        Persona::Admin => caller.has_role("admin"),
        Persona::SystemReader => caller.is_system_scoped() && caller.has_role("reader"),
        Persona::DomainReader => caller.is_domain_scoped() && caller.has_role("reader") && same_domain(),
        Persona::DomainManager => caller.is_domain_scoped() && caller.has_role("manager") && same_domain(),
        Persona::ProjectReader => {
            caller.has_role("reader") && target.project_id.is_some() && caller.project_id() == target.project_id
        }
        Persona::Owner => target.user_id.is_some() && target.user_id == Some(caller.user.id.as_str()),
        Persona::Anyone => true,
    }
}

pub fn allowed(action: Action, caller: &TokenInfo, target: &PolicyTarget) -> bool {
    personas(action).iter().any(|p| matches(*p, caller, target))
}

/// `Ok` or Keystone's 403.
pub fn enforce(action: Action, caller: &TokenInfo, target: &PolicyTarget) -> Result<(), crate::IdentityError> {
    if allowed(action, caller, target) {
        Ok(())
    } else {
        Err(crate::IdentityError::Forbidden(format!(
            "identity:{}",
            rule_name(action)
        )))
    }
}

fn rule_name(action: Action) -> String {
    // CamelCase → snake_case, e.g. CreateProject → manage_projects.
    let debug = format!("{action:?}");
    let mut out = String::new();
    for (i, c) in debug.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(scope: &str, roles: &[&str]) -> TokenInfo {
        crate::test_fixtures::token_info(scope, roles)
    }

    /// Every persona × a representative action of each family.
    #[test]
    fn policy_table() {
        let system_admin = token("system", &["admin", "manager", "member", "reader"]);
        let system_reader = token("system", &["reader"]);
        let domain_manager = token("domain", &["manager", "member", "reader"]);
        let domain_reader = token("domain", &["reader"]);
        let project_admin = token("project", &["admin", "member", "reader"]);
        let project_member = token("project", &["member", "reader"]);
        let own_domain = PolicyTarget::domain("d1");
        let other_domain = PolicyTarget::domain("d2");
        let own_project = PolicyTarget::project("p1", "d1");
        let other_project = PolicyTarget::project("p2", "d2");
        let myself = PolicyTarget::user("u1", "d1");
        let someone = PolicyTarget::user("u2", "d1");
        use Action::*;
        #[rustfmt::skip]
        let table: &[(&TokenInfo, Action, &PolicyTarget, bool)] = &[
            (&system_admin,   CreateDomain,  &other_domain,  true),
            (&project_admin,  CreateDomain,  &other_domain,  true),
            (&system_reader,  CreateDomain,  &other_domain,  false),
            (&system_reader,  ListProjects,   &other_domain,  true),
            (&domain_reader,  ListProjects,   &own_domain,    true),
            (&domain_reader,  ListProjects,   &other_domain,  false),
            (&project_member, ListProjects,   &own_domain,    false),
            (&project_member, GetProject,     &own_project,   true),
            (&project_member, GetProject,     &other_project, false),
            (&domain_manager, CreateProject, &own_project,   true),
            (&domain_manager, CreateProject, &other_project, false),
            (&domain_reader,  CreateProject, &own_project,   false),
            (&project_member, CreateProject, &own_project,   false),
            (&project_member, GetUser,        &myself,        true),
            (&project_member, GetUser,        &someone,       false),
            (&domain_manager, CreateUser,    &someone,       true),
            (&project_member, CreateUser,    &someone,       false),
            (&project_member, CreateRole,    &own_domain,    false),
            (&domain_manager, CreateGrant,   &own_project,   true),
            (&domain_manager, CreateSystemGrant, &own_domain, false),
            (&project_member, ListRoleAssignments, &own_project, false),
            (&project_member, GetRegion,      &PolicyTarget::default(), true),
            (&project_member, GetService,     &PolicyTarget::default(), false),
            (&project_member, CreateEndpoint,&PolicyTarget::default(), false),
            (&project_member, CreateAppCredential, &myself,   true),
            (&project_member, CreateAppCredential, &someone,  false),
            (&system_reader,  GetAppCredential,    &someone,  true),
            (&project_member, GetLimit,       &own_project,   true),
            (&project_member, GetLimit,       &other_project, false),
            (&project_member, UpdateLimit,   &own_project,   false),
            (&project_admin,  CreateRegisteredLimits, &PolicyTarget::default(), true),
        ];
        for (caller, action, target, expected) in table {
            assert_eq!(
                allowed(*action, caller, target),
                *expected,
                "{action:?} {:?} {target:?}",
                caller.scope
            );
        }
    }

    #[test]
    fn denials_name_the_rule() {
        let member = token("project", &["member"]);
        let err = enforce(Action::CreateProject, &member, &PolicyTarget::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "You are not authorized to perform the requested action: identity:create_project."
        );
    }
}
