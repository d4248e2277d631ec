//! Domains, projects, users and groups.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use bytes::Bytes;
use serde_json::{Map, Value};

use super::{
    bad, caller, created, domain_json, entity, group_json, many, no_content, one, opt_bool, opt_str, param_bool,
    project_json, req_str, user_json, ApiResult, IdentityApi, Params,
};
use crate::db::ProjectFilter;
use crate::model::{new_id, Domain, Group, Project, User};
use crate::policy::{enforce, Action, PolicyTarget};
use crate::IdentityError;

// ---- domains -------------------------------------------------------------

pub(super) async fn list_domains(State(api): State<IdentityApi>, headers: HeaderMap, params: Params) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    enforce(Action::ListDomains, &caller, &PolicyTarget::default())?;
    let domains = api
        .service
        .db()
        .list_domains(params.get("name").map(String::as_str), param_bool(&params, "enabled"))
        .await?;
    Ok(many(
        &api,
        "domains",
        "domains",
        domains.iter().map(|d| domain_json(&api, d)).collect(),
    ))
}

pub(super) async fn create_domain(State(api): State<IdentityApi>, headers: HeaderMap, body: Bytes) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    enforce(Action::CreateDomain, &caller, &PolicyTarget::default())?;
    let m = entity(&body, "domain")?;
    let domain = Domain {
        id: opt_str(&m, "explicit_domain_id")?.unwrap_or_else(new_id),
        name: req_str(&m, "name")?,
        description: opt_str(&m, "description")?.unwrap_or_default(),
        enabled: opt_bool(&m, "enabled")?.unwrap_or(true),
    };
    let created_domain = api
        .service
        .db()
        .create_domain(&domain.id, &domain.name, &domain.description)
        .await?;
    if !domain.enabled {
        api.service.db().update_domain(&domain).await?;
    }
    let shown = api
        .service
        .db()
        .domain(&created_domain.id)
        .await?
        .unwrap_or(created_domain);
    Ok(created("domain", domain_json(&api, &shown)))
}

async fn load_domain(api: &IdentityApi, id: &str) -> ApiResult<Domain> {
    api.service
        .db()
        .domain(id)
        .await?
        .ok_or_else(|| IdentityError::not_found("domain", id))
}

pub(super) async fn show_domain(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    enforce(Action::GetDomain, &caller, &PolicyTarget::domain(&id)).or_else(|e| {
        if caller.user.domain_id == id {
            Ok(())
        } else {
            Err(e)
        }
    })?;
    Ok(one("domain", domain_json(&api, &load_domain(&api, &id).await?)))
}

pub(super) async fn update_domain(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    enforce(Action::UpdateDomain, &caller, &PolicyTarget::domain(&id))?;
    let mut domain = load_domain(&api, &id).await?;
    let m = entity(&body, "domain")?;
    if m.contains_key("name") {
        domain.name = req_str(&m, "name")?;
    }
    if let Some(d) = opt_str(&m, "description")? {
        domain.description = d;
    }
    if let Some(e) = opt_bool(&m, "enabled")? {
        domain.enabled = e;
    }
    api.service.db().update_domain(&domain).await?;
    Ok(one("domain", domain_json(&api, &domain)))
}

pub(super) async fn delete_domain(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    enforce(Action::DeleteDomain, &caller, &PolicyTarget::domain(&id))?;
    let domain = load_domain(&api, &id).await?;
    if domain.enabled {
        return Err(IdentityError::Forbidden(
            "Cannot delete a domain that is enabled, please disable it first".into(),
        ));
    }
    if api.service.db().domain_in_use(&id).await? {
        return Err(IdentityError::Conflict(format!(
            "domain {id}: it still holds projects, users or groups"
        )));
    }
    api.service.db().delete_domain(&id).await?;
    Ok(no_content())
}

// ---- projects --------------------------------------------------------------

pub(super) async fn list_projects(State(api): State<IdentityApi>, headers: HeaderMap, params: Params) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    let mut filter = ProjectFilter {
        name: params.get("name").cloned(),
        domain_id: params.get("domain_id").cloned(),
        enabled: param_bool(&params, "enabled"),
        parent_id: params.get("parent_id").cloned(),
        tag: params.get("tags").cloned(),
    };
    // Domain readers list their own domain only.
    if caller.is_domain_scoped() && !caller.has_role("admin") {
        filter.domain_id = caller.domain_id().map(str::to_owned);
    }
    let target_domain = filter
        .domain_id
        .clone()
        .or_else(|| caller.domain_id().map(str::to_owned));
    enforce(
        Action::ListProjects,
        &caller,
        &PolicyTarget {
            domain_id: target_domain.as_deref(),
            ..Default::default()
        },
    )?;
    let projects = api.service.db().list_projects(&filter).await?;
    Ok(many(
        &api,
        "projects",
        "projects",
        projects.iter().map(|p| project_json(&api, p)).collect(),
    ))
}

fn tags_of(m: &Map<String, Value>) -> ApiResult<Option<Vec<String>>> {
    match m.get("tags") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|t| match t.as_str() {
                Some(s) if !s.is_empty() && s.len() <= 255 && !s.contains(',') && !s.contains('/') => Ok(s.to_owned()),
                _ => Err(bad(
                    "Invalid input for field 'tags': tags are non-empty strings without ',' or '/'.",
                )),
            })
            .collect::<ApiResult<Vec<_>>>()
            .map(Some),
        Some(_) => Err(bad("Invalid input for field 'tags': a list is required.")),
    }
}

pub(super) async fn create_project(State(api): State<IdentityApi>, headers: HeaderMap, body: Bytes) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    let m = entity(&body, "project")?;
    if opt_bool(&m, "is_domain")? == Some(true) {
        return Err(bad(
            "Projects acting as domains are not supported; create a domain instead.",
        ));
    }
    let parent = match opt_str(&m, "parent_id")? {
        Some(pid) => Some(
            api.service
                .db()
                .project(&pid)
                .await?
                .ok_or_else(|| bad(format!("Could not find parent project: {pid}.")))?,
        ),
        None => None,
    };
    let domain_id = opt_str(&m, "domain_id")?
        .or_else(|| parent.as_ref().map(|p| p.domain_id.clone()))
        .or_else(|| caller.domain_id().map(str::to_owned))
        .unwrap_or_else(|| "default".into());
    enforce(Action::CreateProject, &caller, &PolicyTarget::domain(&domain_id))?;
    if api.service.db().domain(&domain_id).await?.is_none() {
        return Err(bad(format!("Could not find domain: {domain_id}.")));
    }
    if parent.as_ref().is_some_and(|p| p.domain_id != domain_id) {
        return Err(bad("The parent project must be in the same domain."));
    }
    let project = Project {
        id: new_id(),
        name: req_str(&m, "name")?,
        domain_id: domain_id.clone(),
        parent_id: Some(parent.map(|p| p.id).unwrap_or(domain_id)),
        description: opt_str(&m, "description")?.unwrap_or_default(),
        enabled: opt_bool(&m, "enabled")?.unwrap_or(true),
        tags: tags_of(&m)?.unwrap_or_default(),
    };
    let project = api.service.db().insert_project(&project).await?;
    Ok(created("project", project_json(&api, &project)))
}

async fn load_project(api: &IdentityApi, id: &str) -> ApiResult<Project> {
    api.service
        .db()
        .project(id)
        .await?
        .ok_or_else(|| IdentityError::not_found("project", id))
}

pub(super) async fn show_project(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    let project = api.service.db().project(&id).await?;
    let domain = project.as_ref().map(|p| p.domain_id.as_str()).unwrap_or("");
    enforce(Action::GetProject, &caller, &PolicyTarget::project(&id, domain))?;
    let project = project.ok_or_else(|| IdentityError::not_found("project", id.clone()))?;
    Ok(one("project", project_json(&api, &project)))
}

pub(super) async fn update_project(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    let mut project = load_project(&api, &id).await?;
    enforce(
        Action::UpdateProject,
        &caller,
        &PolicyTarget::project(&id, &project.domain_id),
    )?;
    let m = entity(&body, "project")?;
    if m.contains_key("domain_id") && opt_str(&m, "domain_id")?.as_deref() != Some(project.domain_id.as_str()) {
        return Err(bad("Update of `domain_id` is not allowed."));
    }
    if m.contains_key("name") {
        project.name = req_str(&m, "name")?;
    }
    if let Some(d) = opt_str(&m, "description")? {
        project.description = d;
    }
    let was_enabled = project.enabled;
    if let Some(e) = opt_bool(&m, "enabled")? {
        project.enabled = e;
    }
    if let Some(tags) = tags_of(&m)? {
        project.tags = tags;
    }
    api.service.db().update_project(&project).await?;
    if was_enabled && !project.enabled {
        api.service.revoke_project_tokens(&id).await?;
    }
    // Keystone's update response, unlike its GET, carries the `extra` attributes.
    let mut body = project_json(&api, &load_project(&api, &id).await?);
    body["extra"] = serde_json::json!({});
    Ok(one("project", body))
}

pub(super) async fn delete_project(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    let project = load_project(&api, &id).await?;
    enforce(
        Action::DeleteProject,
        &caller,
        &PolicyTarget::project(&id, &project.domain_id),
    )?;
    if api.service.db().has_child_projects(&id).await? {
        return Err(IdentityError::Forbidden(format!(
            "delete project {id}: it has child projects"
        )));
    }
    api.service.db().delete_project(&id).await?;
    api.service.revoke_project_tokens(&id).await?;
    Ok(no_content())
}

pub(super) async fn list_project_tags(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    let project = load_project(&api, &id).await?;
    enforce(
        Action::GetProject,
        &caller,
        &PolicyTarget::project(&id, &project.domain_id),
    )?;
    let links = super::self_link(&api, &format!("projects/{id}/tags"));
    Ok(axum::Json(serde_json::json!({"tags": project.tags, "links": links})).into_response())
}

pub(super) async fn check_project_tag(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path((id, tag)): Path<(String, String)>,
) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    let project = load_project(&api, &id).await?;
    enforce(
        Action::GetProject,
        &caller,
        &PolicyTarget::project(&id, &project.domain_id),
    )?;
    if project.tags.contains(&tag) {
        Ok(no_content())
    } else {
        Err(IdentityError::not_found("tag", tag))
    }
}

async fn edit_project_tags(
    api: &IdentityApi,
    headers: &HeaderMap,
    id: &str,
    edit: impl FnOnce(&mut Vec<String>) -> ApiResult<()>,
) -> ApiResult<Project> {
    let caller = caller(api, headers).await?;
    let mut project = load_project(api, id).await?;
    enforce(
        Action::UpdateProjectTags,
        &caller,
        &PolicyTarget::project(id, &project.domain_id),
    )?;
    edit(&mut project.tags)?;
    api.service.db().update_project(&project).await?;
    Ok(project)
}

pub(super) async fn add_project_tag(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path((id, tag)): Path<(String, String)>,
) -> ApiResult {
    edit_project_tags(&api, &headers, &id, |tags| {
        if !tags.contains(&tag) {
            tags.push(tag.clone());
        }
        Ok(())
    })
    .await?;
    Ok((axum::http::StatusCode::CREATED, axum::Json(serde_json::json!({}))).into_response())
}

pub(super) async fn remove_project_tag(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path((id, tag)): Path<(String, String)>,
) -> ApiResult {
    edit_project_tags(&api, &headers, &id, |tags| {
        let before = tags.len();
        tags.retain(|t| *t != tag);
        if tags.len() == before {
            return Err(IdentityError::not_found("tag", tag.clone()));
        }
        Ok(())
    })
    .await?;
    Ok(no_content())
}

/// The domain a new user or group goes in: the one named, else the caller's,
/// else `default`; checked against `action` and for existence.
async fn new_resource_domain(
    api: &IdentityApi,
    caller: &crate::TokenInfo,
    named: Option<String>,
    action: Action,
) -> ApiResult<String> {
    let domain_id = named
        .or_else(|| caller.domain_id().map(str::to_owned))
        .unwrap_or_else(|| "default".into());
    enforce(action, caller, &PolicyTarget::domain(&domain_id))?;
    if api.service.db().domain(&domain_id).await?.is_none() {
        return Err(bad(format!("Could not find domain: {domain_id}.")));
    }
    Ok(domain_id)
}

/// The domain a listing is limited to: what was asked, except that domain
/// readers (non-admins) only ever see their own domain. Checks `action`.
fn listing_domain(caller: &crate::TokenInfo, asked: Option<String>, action: Action) -> ApiResult<Option<String>> {
    let domain_id = if caller.is_domain_scoped() && !caller.has_role("admin") {
        caller.domain_id().map(str::to_owned)
    } else {
        asked
    };
    let target = domain_id.clone().or_else(|| caller.domain_id().map(str::to_owned));
    enforce(
        action,
        caller,
        &PolicyTarget {
            domain_id: target.as_deref(),
            ..Default::default()
        },
    )?;
    Ok(domain_id)
}

// ---- users -----------------------------------------------------------------

async fn load_user(api: &IdentityApi, id: &str) -> ApiResult<User> {
    api.service
        .db()
        .user(id)
        .await?
        .ok_or_else(|| IdentityError::not_found("user", id))
}

const USER_FIELDS: &[&str] = &[
    "id",
    "name",
    "domain_id",
    "enabled",
    "default_project_id",
    "password",
    "links",
    "options",
];

pub(super) async fn list_users(State(api): State<IdentityApi>, headers: HeaderMap, params: Params) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    let domain_id = listing_domain(&caller, params.get("domain_id").cloned(), Action::ListUsers)?;
    let users = api
        .service
        .db()
        .list_users(
            params.get("name").map(String::as_str),
            domain_id.as_deref(),
            param_bool(&params, "enabled"),
        )
        .await?;
    Ok(many(
        &api,
        "users",
        "users",
        users.iter().map(|u| user_json(&api, u)).collect(),
    ))
}

pub(super) async fn create_user(State(api): State<IdentityApi>, headers: HeaderMap, body: Bytes) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    let m = entity(&body, "user")?;
    let domain_id = new_resource_domain(&api, &caller, opt_str(&m, "domain_id")?, Action::CreateUser).await?;
    let extra: serde_json::Map<String, Value> = m
        .iter()
        .filter(|(k, _)| !USER_FIELDS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let user = User {
        id: new_id(),
        name: req_str(&m, "name")?,
        domain_id,
        enabled: opt_bool(&m, "enabled")?.unwrap_or(true),
        default_project_id: opt_str(&m, "default_project_id")?,
        extra,
    };
    let password = opt_str(&m, "password")?;
    let user = api.service.create_user(&user, password.as_deref()).await?;
    Ok(created("user", user_json(&api, &user)))
}

pub(super) async fn show_user(State(api): State<IdentityApi>, headers: HeaderMap, Path(id): Path<String>) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    let user = api.service.db().user(&id).await?;
    let domain = user.as_ref().map(|u| u.domain_id.as_str()).unwrap_or("");
    enforce(Action::GetUser, &caller, &PolicyTarget::user(&id, domain))?;
    Ok(one(
        "user",
        user_json(&api, &user.ok_or_else(|| IdentityError::not_found("user", id.clone()))?),
    ))
}

pub(super) async fn update_user(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    let mut user = load_user(&api, &id).await?;
    enforce(Action::UpdateUser, &caller, &PolicyTarget::user(&id, &user.domain_id))?;
    let m = entity(&body, "user")?;
    if m.contains_key("domain_id") && opt_str(&m, "domain_id")?.as_deref() != Some(user.domain_id.as_str()) {
        return Err(bad("Update of `domain_id` is not allowed."));
    }
    if m.contains_key("name") {
        user.name = req_str(&m, "name")?;
    }
    let was_enabled = user.enabled;
    if let Some(e) = opt_bool(&m, "enabled")? {
        user.enabled = e;
    }
    if m.contains_key("default_project_id") {
        user.default_project_id = opt_str(&m, "default_project_id")?;
    }
    for (k, v) in m.iter().filter(|(k, _)| !USER_FIELDS.contains(&k.as_str())) {
        user.extra.insert(k.clone(), v.clone());
    }
    api.service.db().update_user(&user).await?;
    if let Some(password) = opt_str(&m, "password")? {
        api.service.set_password(&id, &password).await?;
    } else if was_enabled && !user.enabled {
        api.service.revoke_user_tokens(&id).await?;
    }
    let mut body = user_json(&api, &user);
    body["extra"] = Value::Object(user.extra.clone());
    Ok(one("user", body))
}

pub(super) async fn delete_user(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    let user = load_user(&api, &id).await?;
    enforce(Action::DeleteUser, &caller, &PolicyTarget::user(&id, &user.domain_id))?;
    api.service.revoke_user_tokens(&id).await?;
    api.service.db().delete_user(&id).await?;
    Ok(no_content())
}

/// `POST /v3/users/{id}/password`: authenticated by the original password, as Keystone.
pub(super) async fn change_password(State(api): State<IdentityApi>, Path(id): Path<String>, body: Bytes) -> ApiResult {
    let m = entity(&body, "user")?;
    let original =
        opt_str(&m, "original_password")?.ok_or_else(|| bad("Invalid input for field 'original_password'."))?;
    let password = req_str(&m, "password")?;
    load_user(&api, &id).await?;
    api.service.change_password(&id, original, &password).await?;
    Ok(no_content())
}

pub(super) async fn list_user_projects(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    let user = load_user(&api, &id).await?;
    enforce(
        Action::ListUserProjects,
        &caller,
        &PolicyTarget::user(&id, &user.domain_id),
    )?;
    let projects = api.service.projects_for_user(&id).await?;
    Ok(many(
        &api,
        "projects",
        &format!("users/{id}/projects"),
        projects.iter().map(|p| project_json(&api, p)).collect(),
    ))
}

pub(super) async fn list_user_groups(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    let user = load_user(&api, &id).await?;
    enforce(
        Action::ListUserGroups,
        &caller,
        &PolicyTarget::user(&id, &user.domain_id),
    )?;
    let groups = api.service.db().user_groups(&id).await?;
    Ok(many(
        &api,
        "groups",
        &format!("users/{id}/groups"),
        groups.iter().map(|g| group_json(&api, g)).collect(),
    ))
}

// ---- groups ----------------------------------------------------------------

async fn load_group(api: &IdentityApi, id: &str) -> ApiResult<Group> {
    api.service
        .db()
        .group(id)
        .await?
        .ok_or_else(|| IdentityError::not_found("group", id))
}

pub(super) async fn list_groups(State(api): State<IdentityApi>, headers: HeaderMap, params: Params) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    let domain_id = listing_domain(&caller, params.get("domain_id").cloned(), Action::ListGroups)?;
    let groups = api
        .service
        .db()
        .list_groups(params.get("name").map(String::as_str), domain_id.as_deref())
        .await?;
    Ok(many(
        &api,
        "groups",
        "groups",
        groups.iter().map(|g| group_json(&api, g)).collect(),
    ))
}

pub(super) async fn create_group(State(api): State<IdentityApi>, headers: HeaderMap, body: Bytes) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    let m = entity(&body, "group")?;
    let domain_id = new_resource_domain(&api, &caller, opt_str(&m, "domain_id")?, Action::CreateGroup).await?;
    let group = Group {
        id: new_id(),
        name: req_str(&m, "name")?,
        domain_id,
        description: opt_str(&m, "description")?.unwrap_or_default(),
    };
    api.service.db().insert_group(&group).await?;
    Ok(created("group", group_json(&api, &group)))
}

pub(super) async fn show_group(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    let group = load_group(&api, &id).await?;
    enforce(Action::GetGroup, &caller, &PolicyTarget::domain(&group.domain_id))?;
    Ok(one("group", group_json(&api, &group)))
}

pub(super) async fn update_group(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    let mut group = load_group(&api, &id).await?;
    enforce(Action::UpdateGroup, &caller, &PolicyTarget::domain(&group.domain_id))?;
    let m = entity(&body, "group")?;
    if m.contains_key("name") {
        group.name = req_str(&m, "name")?;
    }
    if let Some(d) = opt_str(&m, "description")? {
        group.description = d;
    }
    api.service.db().update_group(&group).await?;
    Ok(one("group", group_json(&api, &group)))
}

pub(super) async fn delete_group(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    let group = load_group(&api, &id).await?;
    enforce(Action::DeleteGroup, &caller, &PolicyTarget::domain(&group.domain_id))?;
    api.service.db().delete_group(&id).await?;
    Ok(no_content())
}

pub(super) async fn list_group_users(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = caller(&api, &headers).await?;
    let group = load_group(&api, &id).await?;
    enforce(Action::ListGroupUsers, &caller, &PolicyTarget::domain(&group.domain_id))?;
    let users = api.service.db().group_users(&id).await?;
    Ok(many(
        &api,
        "users",
        &format!("groups/{id}/users"),
        users.iter().map(|u| user_json(&api, u)).collect(),
    ))
}

async fn group_and_user(
    api: &IdentityApi,
    headers: &HeaderMap,
    id: &str,
    user_id: &str,
    action: Action,
) -> ApiResult<()> {
    let caller = caller(api, headers).await?;
    let group = load_group(api, id).await?;
    enforce(action, &caller, &PolicyTarget::domain(&group.domain_id))?;
    load_user(api, user_id).await?;
    Ok(())
}

pub(super) async fn add_group_user(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path((id, user_id)): Path<(String, String)>,
) -> ApiResult {
    group_and_user(&api, &headers, &id, &user_id, Action::AddUserToGroup).await?;
    api.service.db().add_group_member(&id, &user_id).await?;
    Ok(no_content())
}

pub(super) async fn check_group_user(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path((id, user_id)): Path<(String, String)>,
) -> ApiResult {
    group_and_user(&api, &headers, &id, &user_id, Action::ListGroupUsers).await?;
    if api.service.db().is_group_member(&id, &user_id).await? {
        Ok(no_content())
    } else {
        Err(IdentityError::not_found("user", format!("{user_id} in group {id}")))
    }
}

pub(super) async fn remove_group_user(
    State(api): State<IdentityApi>,
    headers: HeaderMap,
    Path((id, user_id)): Path<(String, String)>,
) -> ApiResult {
    group_and_user(&api, &headers, &id, &user_id, Action::RemoveUserFromGroup).await?;
    if !api.service.db().remove_group_member(&id, &user_id).await? {
        return Err(IdentityError::not_found("user", format!("{user_id} in group {id}")));
    }
    // Roles held through the group may be gone: tokens are re-checked on use.
    Ok(no_content())
}
