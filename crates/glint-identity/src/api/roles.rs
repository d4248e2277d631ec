//! Roles, implied roles, grants and `GET /v3/role_assignments`.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use bytes::Bytes;
use serde_json::{json, Value};

use super::{
    caller, created, entity, many, no_content, one, opt_str, req_str, role_json, ApiResult, IdentityApi, Params,
};
use crate::db::AssignmentFilter;
use crate::model::{new_id, Actor, Assignment, Role, Target};
use crate::policy::{enforce, Action, PolicyTarget};
use crate::{IdentityError, TokenInfo};

async fn load_role(api: &IdentityApi, id: &str) -> ApiResult<Role> {
    api.service
        .db()
        .role(id)
        .await?
        .ok_or_else(|| IdentityError::not_found("role", id))
}

pub(super) async fn list_roles(State(api): State<IdentityApi>, headers: HeaderMap, params: Params) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    enforce(
        Action::ListRoles,
        &caller,
        &PolicyTarget {
            domain_id: caller.domain_id(),
            ..Default::default()
        },
    )?;
    let roles = api
        .service
        .db()
        .list_roles(params.get("name").map(String::as_str))
        .await?;
    Ok(many(
        &api,
        "roles",
        "roles",
        roles.iter().map(|r| role_json(&api, r)).collect(),
    ))
}

pub(super) async fn create_role(State(api): State<IdentityApi>, headers: HeaderMap, body: Bytes) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    enforce(Action::CreateRole, &caller, &PolicyTarget::default())?;
    let m = entity(&body, "role")?;
    if opt_str(&m, "domain_id")?.is_some() {
        return Err(IdentityError::BadRequest(
            "Domain-specific roles are not supported.".into(),
        ));
    }
    let role = Role {
        id: new_id(),
        name: req_str(&m, "name")?,
        description: opt_str(&m, "description")?.unwrap_or_default(),
    };
    api.service.db().insert_role(&role).await?;
    Ok(created("role", role_json(&api, &role)))
}

pub(super) async fn show_role(State(api): State<IdentityApi>, headers: HeaderMap, Path(id): Path<String>) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    enforce(
        Action::GetRole,
        &caller,
        &PolicyTarget {
            domain_id: caller.domain_id(),
            ..Default::default()
        },
    )?;
    Ok(one("role", role_json(&api, &load_role(&api, &id).await?)))
}

pub(super) async fn update_role(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    enforce(Action::UpdateRole, &caller, &PolicyTarget::default())?;
    let mut role = load_role(&api, &id).await?;
    refuse_immutable(&role)?;
    let m = entity(&body, "role")?;
    if m.contains_key("name") {
        role.name = req_str(&m, "name")?;
    }
    if let Some(d) = opt_str(&m, "description")? {
        role.description = d;
    }
    api.service.db().update_role(&role).await?;
    Ok(one("role", role_json(&api, &role)))
}

pub(super) async fn delete_role(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    enforce(Action::DeleteRole, &caller, &PolicyTarget::default())?;
    refuse_immutable(&load_role(&api, &id).await?)?;
    if !api.service.db().delete_role(&id).await? {
        return Err(IdentityError::not_found("role", id));
    }
    Ok(no_content())
}

// ---- implied roles ---------------------------------------------------------

fn role_ref(api: &IdentityApi, r: &Role) -> Value {
    json!({"id": r.id, "name": r.name, "links": {"self": format!("{}/v3/roles/{}", api.base_url, r.id)}})
}

pub(super) async fn list_implied(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    enforce(Action::ListImpliedRoles, &caller, &PolicyTarget::default())?;
    let prior = load_role(&api, &id).await?;
    let mut implies = Vec::new();
    for (_, implied) in api.service.db().implied_roles(Some(&id)).await? {
        if let Some(r) = api.service.db().role(&implied).await? {
            implies.push(role_ref(&api, &r));
        }
    }
    Ok(axum::Json(
        json!({"role_inference": {"prior_role": role_ref(&api, &prior), "implies": implies},
                          "links": {"self": format!("{}/v3/roles/{id}/implies", api.base_url)}}),
    )
    .into_response())
}

pub(super) async fn list_role_inferences(State(api): State<IdentityApi>, headers: HeaderMap) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    enforce(Action::ListImpliedRoles, &caller, &PolicyTarget::default())?;
    let mut grouped: Vec<(String, Vec<String>)> = Vec::new();
    for (prior, implied) in api.service.db().implied_roles(None).await? {
        match grouped.iter_mut().find(|(p, _)| *p == prior) {
            Some((_, list)) => list.push(implied),
            None => grouped.push((prior, vec![implied])),
        }
    }
    let mut out = Vec::new();
    for (prior, implied) in grouped {
        let Some(prior) = api.service.db().role(&prior).await? else {
            continue;
        };
        let mut implies = Vec::new();
        for id in implied {
            if let Some(r) = api.service.db().role(&id).await? {
                implies.push(role_ref(&api, &r));
            }
        }
        out.push(json!({"prior_role": role_ref(&api, &prior), "implies": implies}));
    }
    Ok(axum::Json(json!({"role_inferences": out})).into_response())
}

async fn inference(
    api: &IdentityApi,
    headers: &HeaderMap,
    prior: &str,
    implied: &str,
    action: Action,
) -> ApiResult<Value> {
    let caller = caller(api, headers).await?;
    enforce(action, &caller, &PolicyTarget::default())?;
    let p = load_role(api, prior).await?;
    let i = load_role(api, implied).await?;
    Ok(
        json!({"role_inference": {"prior_role": role_ref(api, &p), "implies": role_ref(api, &i)},
              "links": {"self": format!("{}/v3/roles/{prior}/implies/{implied}", api.base_url)}}),
    )
}

pub(super) async fn add_implied(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path((prior, implied)): Path<(String, String)>,
) -> ApiResult {
    let body = inference(&api, &headers, &prior, &implied, Action::CreateImpliedRole).await?;
    if prior == implied {
        return Err(IdentityError::BadRequest("A role cannot imply itself.".into()));
    }
    api.service.db().add_implied_role(&prior, &implied).await?;
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

pub(super) async fn check_implied(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path((prior, implied)): Path<(String, String)>,
) -> ApiResult {
    let body = inference(&api, &headers, &prior, &implied, Action::ListImpliedRoles).await?;
    if !api
        .service
        .db()
        .implied_roles(Some(&prior))
        .await?
        .iter()
        .any(|(_, i)| *i == implied)
    {
        return Err(IdentityError::not_found(
            "implied role",
            format!("{prior} implies {implied}"),
        ));
    }
    Ok(axum::Json(body).into_response())
}

pub(super) async fn remove_implied(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path((prior, implied)): Path<(String, String)>,
) -> ApiResult {
    inference(&api, &headers, &prior, &implied, Action::DeleteImpliedRole).await?;
    if !api.service.db().remove_implied_role(&prior, &implied).await? {
        return Err(IdentityError::not_found(
            "implied role",
            format!("{prior} implies {implied}"),
        ));
    }
    Ok(no_content())
}

// ---- grants ----------------------------------------------------------------

/// Resolves `/{projects|domains}/{id}/{users|groups}/{id}` and checks both exist.
async fn grant_parts(
    api: &IdentityApi,
    kind: &str,
    target_id: &str,
    actor_kind: &str,
    actor_id: &str,
) -> ApiResult<(Target, Option<String>)> {
    let db = api.service.db();
    let (target, domain_id) = match kind {
        "projects" => {
            let p = db
                .project(target_id)
                .await?
                .ok_or_else(|| IdentityError::not_found("project", target_id))?;
            (Target::Project(p.id), Some(p.domain_id))
        }
        "domains" => {
            let d = db
                .domain(target_id)
                .await?
                .ok_or_else(|| IdentityError::not_found("domain", target_id))?;
            (Target::Domain(d.id.clone()), Some(d.id))
        }
        "system" => (Target::System, None),
        _ => return Err(IdentityError::not_found("resource", "the requested URL")),
    };
    check_actor(api, actor_kind, actor_id).await?;
    Ok((target, domain_id))
}

async fn check_actor(api: &IdentityApi, actor_kind: &str, actor_id: &str) -> ApiResult<()> {
    let db = api.service.db();
    match actor_kind {
        "users" => db
            .user(actor_id)
            .await?
            .map(|_| ())
            .ok_or_else(|| IdentityError::not_found("user", actor_id)),
        "groups" => db
            .group(actor_id)
            .await?
            .map(|_| ())
            .ok_or_else(|| IdentityError::not_found("group", actor_id)),
        _ => Err(IdentityError::not_found("resource", "the requested URL")),
    }
}

fn grant_target<'a>(target: &'a Target, domain_id: Option<&'a str>) -> PolicyTarget<'a> {
    match target {
        Target::Project(id) => PolicyTarget {
            project_id: Some(id),
            domain_id,
            ..Default::default()
        },
        Target::Domain(id) => PolicyTarget::domain(id),
        Target::System => PolicyTarget::default(),
    }
}

async fn authorize_grant(
    api: &IdentityApi,
    caller: &TokenInfo,
    target: &Target,
    domain_id: Option<&str>,
    action: Action,
) -> ApiResult<()> {
    let action = match (target, action) {
        (Target::System, Action::CreateGrant) => Action::CreateSystemGrant,
        (Target::System, Action::RevokeGrant) => Action::RevokeSystemGrant,
        (_, a) => a,
    };
    let _ = api;
    enforce(action, caller, &grant_target(target, domain_id))
}

async fn do_list_grants(
    api: &IdentityApi,
    headers: &HeaderMap,
    kind: &str,
    target_id: &str,
    actor_kind: &str,
    actor_id: &str,
) -> ApiResult {
    let caller = caller(api, headers).await?;
    let (target, domain_id) = grant_parts(api, kind, target_id, actor_kind, actor_id).await?;
    authorize_grant(api, &caller, &target, domain_id.as_deref(), Action::ListGrants).await?;
    let filter = AssignmentFilter {
        actor_ids: Some(vec![actor_id.to_owned()]),
        role_id: None,
        target: Some(target),
    };
    let mut roles = Vec::new();
    for a in api.service.db().assignments(&filter).await? {
        if let Some(r) = api.service.db().role(&a.role_id).await? {
            roles.push(role_json(api, &r));
        }
    }
    let path = format!("{kind}/{target_id}/{actor_kind}/{actor_id}/roles").replace("system/all", "system");
    Ok(many(api, "roles", &path, roles))
}

async fn do_grant(
    api: &IdentityApi,
    headers: &HeaderMap,
    (kind, target_id, actor_kind, actor_id, role_id): (&str, &str, &str, &str, &str),
    op: GrantOp,
) -> ApiResult {
    let caller = caller(api, headers).await?;
    let (target, domain_id) = grant_parts(api, kind, target_id, actor_kind, actor_id).await?;
    let action = match op {
        GrantOp::Check => Action::CheckGrant,
        GrantOp::Create => Action::CreateGrant,
        GrantOp::Revoke => Action::RevokeGrant,
    };
    authorize_grant(api, &caller, &target, domain_id.as_deref(), action).await?;
    load_role(api, role_id).await?;
    let db = api.service.db();
    match op {
        GrantOp::Create => db.assign_role(actor_id, &target, role_id).await?,
        GrantOp::Check => {
            if !db.has_assignment(actor_id, &target, role_id).await? {
                return Err(IdentityError::not_found("role assignment", role_id));
            }
        }
        GrantOp::Revoke => {
            if !db.unassign_role(actor_id, &target, role_id).await? {
                return Err(IdentityError::not_found("role assignment", role_id));
            }
        }
    }
    Ok(no_content())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GrantOp {
    Create,
    Check,
    Revoke,
}

type GrantPath = Path<(String, String, String, String, String)>;

pub(super) async fn list_grants(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path((kind, target, actor_kind, actor)): Path<(String, String, String, String)>,
) -> ApiResult {
    do_list_grants(&api, &headers, &kind, &target, &actor_kind, &actor).await
}

pub(super) async fn create_grant(State(api): State<IdentityApi>, headers: HeaderMap, Path(p): GrantPath) -> ApiResult {
    do_grant(&api, &headers, (&p.0, &p.1, &p.2, &p.3, &p.4), GrantOp::Create).await
}

pub(super) async fn check_grant(State(api): State<IdentityApi>, headers: HeaderMap, Path(p): GrantPath) -> ApiResult {
    do_grant(&api, &headers, (&p.0, &p.1, &p.2, &p.3, &p.4), GrantOp::Check).await
}

pub(super) async fn revoke_grant(State(api): State<IdentityApi>, headers: HeaderMap, Path(p): GrantPath) -> ApiResult {
    do_grant(&api, &headers, (&p.0, &p.1, &p.2, &p.3, &p.4), GrantOp::Revoke).await
}

pub(super) async fn list_system_grants(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path((actor_kind, actor)): Path<(String, String)>,
) -> ApiResult {
    do_list_grants(&api, &headers, "system", "all", &actor_kind, &actor).await
}

type SystemGrantPath = Path<(String, String, String)>;

pub(super) async fn create_system_grant(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path(p): SystemGrantPath,
) -> ApiResult {
    do_grant(&api, &headers, ("system", "all", &p.0, &p.1, &p.2), GrantOp::Create).await
}

pub(super) async fn check_system_grant(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path(p): SystemGrantPath,
) -> ApiResult {
    do_grant(&api, &headers, ("system", "all", &p.0, &p.1, &p.2), GrantOp::Check).await
}

pub(super) async fn revoke_system_grant(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path(p): SystemGrantPath,
) -> ApiResult {
    do_grant(&api, &headers, ("system", "all", &p.0, &p.1, &p.2), GrantOp::Revoke).await
}

// ---- role assignments --------------------------------------------------------

/// Expands group assignments into their members and roles into the roles
/// they imply, as Keystone's `?effective` does.
async fn effective(api: &IdentityApi, direct: Vec<Assignment>) -> ApiResult<Vec<Assignment>> {
    let db = api.service.db();
    let rules = db.implied_roles(None).await?;
    let mut out = Vec::new();
    for a in direct {
        let users: Vec<(String, Option<String>)> = match &a.actor {
            Actor::User(u) => vec![(u.clone(), None)],
            Actor::Group(g) => db
                .group_users(g)
                .await?
                .into_iter()
                .map(|u| (u.id, Some(g.clone())))
                .collect(),
        };
        // The role itself, then everything it implies (transitively).
        let mut roles: Vec<(String, Option<String>)> = vec![(a.role_id.clone(), None)];
        let mut i = 0;
        while i < roles.len() {
            let current = roles[i].0.clone();
            for (prior, implied) in &rules {
                if *prior == current && !roles.iter().any(|(r, _)| r == implied) {
                    roles.push((implied.clone(), Some(a.role_id.clone())));
                }
            }
            i += 1;
        }
        for (user, via_group) in &users {
            for (role, implied_from) in &roles {
                out.push(Assignment {
                    actor: Actor::User(user.clone()),
                    target: a.target.clone(),
                    role_id: role.clone(),
                    via_group: via_group.clone(),
                    implied_from: implied_from.clone(),
                });
            }
        }
    }
    Ok(out)
}

async fn assignment_json(
    api: &IdentityApi,
    a: &Assignment,
    names: bool,
    cache: &mut HashMap<String, Value>,
) -> ApiResult<Value> {
    let db = api.service.db();
    let base = &api.base_url;
    let mut role = json!({"id": a.role_id});
    let mut actor = json!({"id": a.actor.id()});
    let mut scope = match &a.target {
        Target::Project(id) => json!({"project": {"id": id}}),
        Target::Domain(id) => json!({"domain": {"id": id}}),
        Target::System => json!({"system": {"all": true}}),
    };
    if names {
        let key = format!("role:{}", a.role_id);
        if !cache.contains_key(&key) {
            let name = db.role(&a.role_id).await?.map(|r| r.name);
            cache.insert(key.clone(), json!(name));
        }
        role["name"] = cache[&key].clone();
        match &a.actor {
            Actor::User(id) => {
                if let Some(u) = db.user(id).await? {
                    let d = db.domain(&u.domain_id).await?;
                    actor["name"] = json!(u.name);
                    actor["domain"] = json!({"id": u.domain_id, "name": d.map(|d| d.name)});
                }
            }
            Actor::Group(id) => {
                if let Some(g) = db.group(id).await? {
                    let d = db.domain(&g.domain_id).await?;
                    actor["name"] = json!(g.name);
                    actor["domain"] = json!({"id": g.domain_id, "name": d.map(|d| d.name)});
                }
            }
        }
        match &a.target {
            Target::Project(id) => {
                if let Some(p) = db.project(id).await? {
                    let d = db.domain(&p.domain_id).await?;
                    scope["project"]["name"] = json!(p.name);
                    scope["project"]["domain"] = json!({"id": p.domain_id, "name": d.map(|d| d.name)});
                }
            }
            Target::Domain(id) => {
                if let Some(d) = db.domain(id).await? {
                    scope["domain"]["name"] = json!(d.name);
                }
            }
            Target::System => {}
        }
    }
    let (actor_key, actor_path) = match &a.actor {
        Actor::User(id) => ("user", format!("users/{id}")),
        Actor::Group(id) => ("group", format!("groups/{id}")),
    };
    let target_path = match &a.target {
        Target::Project(id) => format!("projects/{id}"),
        Target::Domain(id) => format!("domains/{id}"),
        Target::System => "system".to_owned(),
    };
    let granted_role = a.implied_from.as_deref().unwrap_or(&a.role_id);
    let granted_actor = match &a.via_group {
        Some(g) => format!("groups/{g}"),
        None => actor_path,
    };
    let mut links = json!({"assignment": format!("{base}/v3/{target_path}/{granted_actor}/roles/{granted_role}")});
    if let (Some(g), Actor::User(u)) = (&a.via_group, &a.actor) {
        links["membership"] = json!(format!("{base}/v3/groups/{g}/users/{u}"));
    }
    if let Some(prior) = &a.implied_from {
        links["prior_role"] = json!(format!("{base}/v3/roles/{prior}"));
    }
    Ok(json!({"role": role, actor_key: actor, "scope": scope, "links": links}))
}

pub(super) async fn list_role_assignments(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    params: Params,
) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    let db = api.service.db();
    let flag = |k: &str| params.contains_key(k) && params.get(k).map(|v| v != "false" && v != "0").unwrap_or(false);
    let effective_wanted = flag("effective");
    let include_names = flag("include_names");
    let target = if let Some(p) = params.get("scope.project.id") {
        Some(Target::Project(p.clone()))
    } else if let Some(d) = params.get("scope.domain.id") {
        Some(Target::Domain(d.clone()))
    } else if params.get("scope.system").is_some() {
        Some(Target::System)
    } else {
        None
    };
    // Who may list: admins and system readers everything; domain readers their domain.
    let target_domain = match &target {
        Some(Target::Project(id)) => db.project(id).await?.map(|p| p.domain_id),
        Some(Target::Domain(id)) => Some(id.clone()),
        _ => None,
    };
    enforce(
        Action::ListRoleAssignments,
        &caller,
        &PolicyTarget {
            domain_id: target_domain.as_deref(),
            ..Default::default()
        },
    )?;
    let user_filter = params.get("user.id").cloned();
    let group_filter = params.get("group.id").cloned();
    let actor_ids = match (&user_filter, &group_filter) {
        (Some(u), _) if effective_wanted => {
            let mut ids = vec![u.clone()];
            ids.extend(db.user_groups(u).await?.into_iter().map(|g| g.id));
            Some(ids)
        }
        (Some(u), _) => Some(vec![u.clone()]),
        (None, Some(g)) => Some(vec![g.clone()]),
        (None, None) => None,
    };
    let role_filter = params.get("role.id").cloned();
    let direct_filter = AssignmentFilter {
        actor_ids,
        role_id: if effective_wanted { None } else { role_filter.clone() },
        target,
    };
    let mut list = db.assignments(&direct_filter).await?;
    if effective_wanted {
        list = effective(&api, list).await?;
        if let Some(u) = &user_filter {
            list.retain(|a| a.actor.id() == u);
        }
        if let Some(r) = &role_filter {
            list.retain(|a| &a.role_id == r);
        }
        let mut seen = std::collections::HashSet::new();
        list.retain(|a| {
            seen.insert((
                a.actor.id().to_owned(),
                a.target.parts().1.to_owned(),
                a.role_id.clone(),
            ))
        });
    }
    let mut cache = HashMap::new();
    let mut out = Vec::with_capacity(list.len());
    for a in &list {
        out.push(assignment_json(&api, a, include_names, &mut cache).await?);
    }
    Ok(many(&api, "role_assignments", "role_assignments", out))
}

/// Keystone marks the bootstrap roles immutable: no renaming, no deleting.
fn refuse_immutable(role: &Role) -> ApiResult<()> {
    if super::is_immutable_role(role) {
        return Err(IdentityError::Forbidden(format!(
            "identity:update or delete the immutable role {}",
            role.name
        )));
    }
    Ok(())
}
