"""The scripted requests the differential harness replays, in order, against both targets.

Each case is a dict (built with ks(...) for Identity and gl(...) for Image):
  name     unique label printed in the report
  method   HTTP method;  svc: "identity" or "image";  path: after the service root
           (Glint: /identity/v3/..., /image/v2/...; reference: :5000/v3/..., :9292/v2/...)
  as       persona whose token goes in X-Auth-Token: "admin" (default), "alt" (member of
           the run's second project), "third" (member of a third project), "none"
  headers  extra request headers (None removes a default; Accept defaults to JSON)
  json     JSON body (Content-Type application/json unless headers say otherwise)
  data     raw body: bytes, a string, or "@hello" / "@zeros" / "@qcow2" (built at start;
           @qcow2 comes from `qemu-img create -f qcow2 ... 1M`)
  save     {var: "json.path" | "header:Name"}: remember a value of this target's answer;
           later cases use it as {var}. Vars named img_*, proj_*, user_*, rl_*, lim_*,
           appcred_*, role_run* are deleted at the end of the run.
  values   JSON paths whose (normalised) values must also agree: "status", "images[].name",
           "images#" (a list's length)
  poll     {"until": {"path": value}, "timeout": s}: repeat until the answer matches
  compare  False: run on both but do not compare (only cleanup-like steps use it)
  deviation  why Glint differs here on purpose: a disagreement is reported as a documented
           deviation, not counted in the agreement ratio

{run} is a per-run unique token; {name:uuid} is a fresh UUID remembered as {name}.
"""

PATCH_CT = "application/openstack-images-v2.1-json-patch"
CASES: list[dict] = []


def _add(svc, name, method, path, **kw):
    assert all(c["name"] != name for c in CASES), f"duplicate case name {name}"
    c = {"svc": svc, "name": name, "method": method, "path": path}
    if "as_" in kw:
        kw["as"] = kw.pop("as_")
    c.update(kw)
    CASES.append(c)
    return c


def ks(name, method, path, **kw):
    return _add("identity", name, method, path, **kw)


def gl(name, method, path, **kw):
    return _add("image", name, method, path, **kw)


def patch(name, img, ops, **kw):
    headers = {"Content-Type": PATCH_CT}
    headers.update(kw.pop("headers", {}))
    return gl(name, "PATCH", f"/v2/images/{{{img}}}", headers=headers, json=ops, **kw)


def password_auth(user, password, project=None, **extra):
    auth = {"identity": {"methods": ["password"], "password": {"user": {
        "name": user, "domain": {"id": "default"}, "password": password}}}}
    if project:
        auth["scope"] = {"project": {"name": project, "domain": {"id": "default"}}}
    auth.update(extra)
    return {"auth": auth}


IMAGE_VALUES = ["status", "name", "visibility", "protected", "os_hidden", "disk_format",
                "container_format", "min_ram", "min_disk", "size", "virtual_size", "checksum",
                "os_hash_algo", "os_hash_value", "owner", "tags~", "self", "file", "schema"]
ERR_VALUES_GLANCE = ["code", "title"]
ERR_VALUES_KS = ["error.code", "error.title"]

# ======================================================================================
# Identity: discovery and tokens
# ======================================================================================
ks("ks-root-versions-slash", "GET", "/", as_="none", values=["versions.values[].id"])
ks("ks-root-versions", "GET", "", as_="none", values=["versions.values[].id",
                                                      "versions.values[].status"])
ks("ks-v3-root", "GET", "/v3", as_="none", values=["version.id", "version.status"])
ks("ks-v3-root-slash", "GET", "/v3/", as_="none", values=["version.id"])
ks("ks-token-issue-admin", "POST", "/v3/auth/tokens", as_="none",
   json=password_auth("admin", "{admin_password}", "admin"),
   save={"tok_admin": "header:X-Subject-Token", "admin_project": "token.project.id",
         "admin_user": "token.user.id"},
   values=["token.methods~", "token.project.name", "token.user.name",
           "token.catalog[].type", "token.is_domain"])
ks("ks-token-bad-password", "POST", "/v3/auth/tokens", as_="none",
   json=password_auth("admin", "{wrong_password}", "admin"), values=ERR_VALUES_KS)
ks("ks-token-unknown-user", "POST", "/v3/auth/tokens", as_="none",
   json=password_auth("nobody-{run}", "x", "admin"), values=ERR_VALUES_KS)
ks("ks-token-bad-body", "POST", "/v3/auth/tokens", as_="none",
   json={"auth": {"identity": {"methods": ["password"]}}}, values=ERR_VALUES_KS)
ks("ks-token-unknown-project", "POST", "/v3/auth/tokens", as_="none",
   json=password_auth("admin", "{admin_password}", "noproj-{run}"), values=ERR_VALUES_KS)
ks("ks-token-nocatalog", "POST", "/v3/auth/tokens?nocatalog", as_="none",
   json=password_auth("admin", "{admin_password}", "admin"))
ks("ks-user-show-admin", "GET", "/v3/users/{admin_user}",
   values=["user.name", "user.default_project_id"])
ks("ks-token-unscoped", "POST", "/v3/auth/tokens", as_="none",
   json=password_auth("admin", "{admin_password}"),
   save={"tok_unscoped": "header:X-Subject-Token"})
ks("ks-token-rescope", "POST", "/v3/auth/tokens", as_="none",
   json={"auth": {"identity": {"methods": ["token"], "token": {"id": "{tok_unscoped}"}},
                  "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}},
   values=["token.methods~", "token.project.name"])
ks("ks-token-system-scope", "POST", "/v3/auth/tokens", as_="none",
   json=password_auth("admin", "{admin_password}", None, scope={"system": {"all": True}}),
   values=["token.system"])
ks("ks-token-validate", "GET", "/v3/auth/tokens",
   headers={"X-Subject-Token": "{tok_admin}"}, values=["token.project.name"])
ks("ks-token-validate-nocatalog", "GET", "/v3/auth/tokens?nocatalog",
   headers={"X-Subject-Token": "{tok_admin}"})
ks("ks-token-validate-allow-expired", "GET", "/v3/auth/tokens?allow_expired=1",
   headers={"X-Subject-Token": "{tok_admin}"})
ks("ks-token-check-head", "HEAD", "/v3/auth/tokens",
   headers={"X-Subject-Token": "{tok_admin}"})
ks("ks-token-validate-garbage", "GET", "/v3/auth/tokens",
   headers={"X-Subject-Token": "gAAAAABnotatoken{run}"}, values=ERR_VALUES_KS)
ks("ks-token-validate-no-subject", "GET", "/v3/auth/tokens", values=ERR_VALUES_KS)
ks("ks-token-validate-no-auth", "GET", "/v3/auth/tokens", as_="none",
   headers={"X-Subject-Token": "{tok_admin}"}, values=ERR_VALUES_KS)
ks("ks-auth-catalog", "GET", "/v3/auth/catalog", values=["catalog[].type"])
ks("ks-auth-projects", "GET", "/v3/auth/projects")
ks("ks-auth-domains", "GET", "/v3/auth/domains")
ks("ks-auth-system", "GET", "/v3/auth/system")
ks("ks-auth-catalog-no-token", "GET", "/v3/auth/catalog", as_="none", values=ERR_VALUES_KS)
ks("ks-invalid-token", "GET", "/v3/projects", headers={"X-Auth-Token": "bogus-{run}"},
   values=ERR_VALUES_KS)
ks("ks-token-revoke-issue", "POST", "/v3/auth/tokens", as_="none",
   json=password_auth("admin", "{admin_password}", "admin"),
   save={"tok_revoked": "header:X-Subject-Token"})
ks("ks-token-revoke", "DELETE", "/v3/auth/tokens", headers={"X-Subject-Token": "{tok_revoked}"})
ks("ks-token-validate-revoked", "GET", "/v3/auth/tokens",
   headers={"X-Subject-Token": "{tok_revoked}"}, values=ERR_VALUES_KS)
ks("ks-token-revoked-as-auth", "GET", "/v3/auth/catalog",
   headers={"X-Auth-Token": "{tok_revoked}"}, values=ERR_VALUES_KS)

# ======================================================================================
# Identity: domains, projects, users, roles, assignments
# ======================================================================================
ks("ks-domains-list", "GET", "/v3/domains?name=Default", values=["domains[].id"])
ks("ks-domain-show", "GET", "/v3/domains/default", values=["domain.name"])
ks("ks-domain-404", "GET", "/v3/domains/nodomain{run}", values=ERR_VALUES_KS)
ks("ks-project-create", "POST", "/v3/projects",
   json={"project": {"name": "diff-alt-{run}", "domain_id": "default",
                     "description": "differential"}},
   save={"proj_alt": "project.id"},
   values=["project.name", "project.domain_id", "project.enabled", "project.is_domain",
           "project.parent_id", "project.description", "project.tags"])
ks("ks-project-create-third", "POST", "/v3/projects",
   json={"project": {"name": "diff-third-{run}", "domain_id": "default"}},
   save={"proj_third": "project.id"})
ks("ks-project-create-dup", "POST", "/v3/projects",
   json={"project": {"name": "diff-alt-{run}", "domain_id": "default"}}, values=ERR_VALUES_KS)
ks("ks-project-create-no-name", "POST", "/v3/projects",
   json={"project": {"domain_id": "default"}}, values=ERR_VALUES_KS)
ks("ks-project-show", "GET", "/v3/projects/{proj_alt}",
   values=["project.name", "project.links.self"])
ks("ks-project-show-by-name-404", "GET", "/v3/projects/diff-alt-{run}", values=ERR_VALUES_KS)
ks("ks-project-list-name", "GET", "/v3/projects?name=diff-alt-{run}",
   values=["projects[].id", "projects#"])
ks("ks-project-list-domain", "GET", "/v3/projects?domain_id=default&name=diff-third-{run}",
   values=["projects[].id"])
ks("ks-project-update", "PATCH", "/v3/projects/{proj_alt}",
   json={"project": {"description": "updated"}}, values=["project.description"])
ks("ks-project-tags", "GET", "/v3/projects/{proj_alt}/tags")
ks("ks-user-create", "POST", "/v3/users",
   json={"user": {"name": "diff-alt-{run}", "domain_id": "default",
                  "password": "{alt_password}", "default_project_id": "{proj_alt}"}},
   save={"user_alt": "user.id"},
   values=["user.name", "user.domain_id", "user.enabled", "user.default_project_id"])
ks("ks-user-create-third", "POST", "/v3/users",
   json={"user": {"name": "diff-third-{run}", "domain_id": "default",
                  "password": "{alt_password}"}},
   save={"user_third": "user.id"})
ks("ks-user-create-dup", "POST", "/v3/users",
   json={"user": {"name": "diff-alt-{run}", "domain_id": "default"}}, values=ERR_VALUES_KS)
ks("ks-user-show", "GET", "/v3/users/{user_alt}", values=["user.name"])
ks("ks-user-show-404", "GET", "/v3/users/nouser{run}", values=ERR_VALUES_KS)
ks("ks-user-list-name", "GET", "/v3/users?name=diff-alt-{run}", values=["users[].id"])
ks("ks-user-update", "PATCH", "/v3/users/{user_alt}",
   json={"user": {"description": "alt user"}}, values=["user.description"])
ks("ks-user-groups", "GET", "/v3/users/{user_alt}/groups", values=["groups#"])
ks("ks-user-create-pw", "POST", "/v3/users",
   json={"user": {"name": "diff-pw-{run}", "domain_id": "default",
                  "password": "{alt_password}"}}, save={"user_pw": "user.id"})
ks("ks-user-change-password", "POST", "/v3/users/{user_pw}/password", as_="none",
   json={"user": {"original_password": "{alt_password}", "password": "{alt_password}x"}})
ks("ks-user-change-password-wrong", "POST", "/v3/users/{user_pw}/password", as_="none",
   json={"user": {"original_password": "nope", "password": "{alt_password}y"}},
   values=ERR_VALUES_KS)
ks("ks-token-old-password", "POST", "/v3/auth/tokens", as_="none",
   json=password_auth("diff-pw-{run}", "{alt_password}"), values=ERR_VALUES_KS)
ks("ks-token-new-password", "POST", "/v3/auth/tokens", as_="none",
   json=password_auth("diff-pw-{run}", "{alt_password}x"), values=["token.user.name"])
ks("ks-role-list-member", "GET", "/v3/roles?name=member", save={"role_member": "roles.0.id"},
   values=["roles[].name"])
ks("ks-role-list-reader", "GET", "/v3/roles?name=reader", save={"role_reader": "roles.0.id"},
   values=["roles[].name"])
ks("ks-role-create", "POST", "/v3/roles", json={"role": {"name": "diff-role-{run}"}},
   save={"role_run": "role.id"}, values=["role.name", "role.domain_id"])
ks("ks-role-create-dup", "POST", "/v3/roles", json={"role": {"name": "diff-role-{run}"}},
   values=ERR_VALUES_KS)
ks("ks-role-show", "GET", "/v3/roles/{role_run}", values=["role.name"])
ks("ks-grant-member-alt", "PUT", "/v3/projects/{proj_alt}/users/{user_alt}/roles/{role_member}")
ks("ks-grant-member-third", "PUT",
   "/v3/projects/{proj_third}/users/{user_third}/roles/{role_member}")
ks("ks-grant-check", "HEAD", "/v3/projects/{proj_alt}/users/{user_alt}/roles/{role_member}")
ks("ks-grant-check-missing", "HEAD",
   "/v3/projects/{proj_alt}/users/{user_alt}/roles/{role_run}")
ks("ks-grant-run-role", "PUT", "/v3/projects/{proj_alt}/users/{user_alt}/roles/{role_run}")
ks("ks-grant-list", "GET", "/v3/projects/{proj_alt}/users/{user_alt}/roles",
   values=["roles#"])
ks("ks-grant-revoke-run-role", "DELETE",
   "/v3/projects/{proj_alt}/users/{user_alt}/roles/{role_run}")
ks("ks-grant-revoke-again", "DELETE",
   "/v3/projects/{proj_alt}/users/{user_alt}/roles/{role_run}", values=ERR_VALUES_KS)
ks("ks-role-assignments-user", "GET",
   "/v3/role_assignments?user.id={user_alt}&scope.project.id={proj_alt}",
   values=["role_assignments[].role.id", "role_assignments[].scope.project.id",
           "role_assignments[].user.id"])
ks("ks-role-assignments-names", "GET",
   "/v3/role_assignments?user.id={user_alt}&include_names", values=["role_assignments#"])
ks("ks-role-assignments-effective", "GET",
   "/v3/role_assignments?user.id={user_third}&effective", values=["role_assignments#"])
ks("ks-user-projects", "GET", "/v3/users/{user_alt}/projects", values=["projects[].id"])
ks("ks-token-issue-alt", "POST", "/v3/auth/tokens", as_="none",
   json=password_auth("diff-alt-{run}", "{alt_password}", "diff-alt-{run}"),
   save={"tok_alt": "header:X-Subject-Token"},
   values=["token.roles[].name~", "token.project.id", "token.user.id"])
ks("ks-token-issue-third", "POST", "/v3/auth/tokens", as_="none",
   json=password_auth("diff-third-{run}", "{alt_password}", "diff-third-{run}"),
   save={"tok_third": "header:X-Subject-Token"})
ks("ks-token-alt-default-project", "POST", "/v3/auth/tokens", as_="none",
   json=password_auth("diff-alt-{run}", "{alt_password}"), values=["token.project.id"])
ks("ks-token-third-no-role", "POST", "/v3/auth/tokens", as_="none",
   json=password_auth("diff-third-{run}", "{alt_password}", "diff-alt-{run}"),
   values=ERR_VALUES_KS)
ks("ks-alt-list-projects-403", "GET", "/v3/projects", as_="alt", values=ERR_VALUES_KS)
ks("ks-alt-auth-projects", "GET", "/v3/auth/projects", as_="alt", values=["projects[].id"])
ks("ks-alt-show-own-project", "GET", "/v3/projects/{proj_alt}", as_="alt",
   values=["project.id"])
ks("ks-alt-show-other-project", "GET", "/v3/projects/{proj_third}", as_="alt",
   values=ERR_VALUES_KS)
ks("ks-alt-show-self", "GET", "/v3/users/{user_alt}", as_="alt", values=["user.id"])
ks("ks-alt-list-users-403", "GET", "/v3/users", as_="alt", values=ERR_VALUES_KS)
ks("ks-alt-create-project-403", "POST", "/v3/projects", as_="alt",
   json={"project": {"name": "nope-{run}"}}, values=ERR_VALUES_KS)
ks("ks-alt-validate-own-token", "GET", "/v3/auth/tokens", as_="alt",
   headers={"X-Subject-Token": "{tok_alt}"})
ks("ks-alt-validate-admin-token", "GET", "/v3/auth/tokens", as_="alt",
   headers={"X-Subject-Token": "{tok_admin}"}, values=ERR_VALUES_KS)
ks("ks-alt-role-assignments-403", "GET", "/v3/role_assignments", as_="alt",
   values=ERR_VALUES_KS)

# ======================================================================================
# Identity: catalog, unified limits, application credentials
# ======================================================================================
ks("ks-services-image", "GET", "/v3/services?type=image", save={"svc_image": "services.0.id"},
   values=["services[].type", "services#"])
ks("ks-endpoints-image", "GET", "/v3/endpoints?service_id={svc_image}&interface=public",
   values=["endpoints[].interface", "endpoints[].region_id"])
ks("ks-regions", "GET", "/v3/regions/RegionOne", values=["region.id"])
ks("ks-service-show", "GET", "/v3/services/{svc_image}", values=["service.type"])
ks("ks-regions-list", "GET", "/v3/regions", values=["regions[].id"])
ks("ks-role-inferences", "GET", "/v3/role_inferences")
ks("ks-limits-model", "GET", "/v3/limits/model", values=["model.name"])
ks("ks-registered-limit-create", "POST", "/v3/registered_limits",
   json={"registered_limits": [{"service_id": "{svc_image}", "region_id": "RegionOne",
                                "resource_name": "diff_{run}", "default_limit": 5,
                                "description": "differential"}]},
   save={"rl_x": "registered_limits.0.id"},
   values=["registered_limits[].resource_name", "registered_limits[].default_limit",
           "registered_limits[].service_id", "registered_limits[].region_id"])
ks("ks-registered-limit-dup", "POST", "/v3/registered_limits",
   json={"registered_limits": [{"service_id": "{svc_image}", "region_id": "RegionOne",
                                "resource_name": "diff_{run}", "default_limit": 6}]},
   values=ERR_VALUES_KS)
ks("ks-registered-limit-bad-service", "POST", "/v3/registered_limits",
   json={"registered_limits": [{"service_id": "nosvc{run}", "resource_name": "x_{run}",
                                "default_limit": 1}]}, values=ERR_VALUES_KS)
ks("ks-registered-limits-list", "GET", "/v3/registered_limits?resource_name=diff_{run}",
   values=["registered_limits[].id", "registered_limits[].default_limit"])
ks("ks-registered-limit-show", "GET", "/v3/registered_limits/{rl_x}",
   values=["registered_limit.resource_name"])
ks("ks-registered-limit-update", "PATCH", "/v3/registered_limits/{rl_x}",
   json={"registered_limit": {"default_limit": 7}},
   values=["registered_limit.default_limit"])
ks("ks-limit-create", "POST", "/v3/limits",
   json={"limits": [{"service_id": "{svc_image}", "region_id": "RegionOne",
                     "project_id": "{proj_alt}", "resource_name": "diff_{run}",
                     "resource_limit": 3}]},
   save={"lim_x": "limits.0.id"},
   values=["limits[].project_id", "limits[].resource_limit", "limits[].resource_name"])
ks("ks-limit-create-no-registered", "POST", "/v3/limits",
   json={"limits": [{"service_id": "{svc_image}", "region_id": "RegionOne",
                     "project_id": "{proj_alt}", "resource_name": "unregistered_{run}",
                     "resource_limit": 3}]}, values=ERR_VALUES_KS)
ks("ks-limits-list-project", "GET", "/v3/limits?project_id={proj_alt}",
   values=["limits[].id"])
ks("ks-limit-show", "GET", "/v3/limits/{lim_x}", values=["limit.resource_limit"])
ks("ks-limit-update", "PATCH", "/v3/limits/{lim_x}", json={"limit": {"resource_limit": 4}},
   values=["limit.resource_limit"])
ks("ks-alt-limits-list", "GET", "/v3/limits", as_="alt", values=["limits[].id"])
ks("ks-alt-registered-limit-create-403", "POST", "/v3/registered_limits", as_="alt",
   json={"registered_limits": [{"service_id": "{svc_image}", "resource_name": "y_{run}",
                                "default_limit": 1}]}, values=ERR_VALUES_KS)
ks("ks-limit-delete", "DELETE", "/v3/limits/{lim_x}")
ks("ks-limit-show-deleted", "GET", "/v3/limits/{lim_x}", values=ERR_VALUES_KS)
ks("ks-registered-limit-delete", "DELETE", "/v3/registered_limits/{rl_x}")
ks("ks-registered-limit-show-deleted", "GET", "/v3/registered_limits/{rl_x}",
   values=ERR_VALUES_KS)
ks("ks-appcred-create", "POST", "/v3/users/{user_alt}/application_credentials", as_="alt",
   json={"application_credential": {"name": "diff-ac-{run}", "description": "d"}},
   save={"appcred_x": "application_credential.id",
         "appcred_secret": "application_credential.secret"},
   values=["application_credential.name", "application_credential.project_id",
           "application_credential.unrestricted", "application_credential.roles[].name~"])
ks("ks-appcred-create-dup", "POST", "/v3/users/{user_alt}/application_credentials",
   as_="alt", json={"application_credential": {"name": "diff-ac-{run}"}},
   values=ERR_VALUES_KS)
ks("ks-appcred-list", "GET", "/v3/users/{user_alt}/application_credentials", as_="alt",
   values=["application_credentials[].name"])
ks("ks-appcred-show", "GET", "/v3/users/{user_alt}/application_credentials/{appcred_x}",
   as_="alt", values=["application_credential.name"])
ks("ks-appcred-auth", "POST", "/v3/auth/tokens", as_="none",
   json={"auth": {"identity": {"methods": ["application_credential"],
                               "application_credential": {"id": "{appcred_x}",
                                                          "secret": "{appcred_secret}"}}}},
   save={"tok_appcred": "header:X-Subject-Token"},
   values=["token.methods~", "token.project.id", "token.application_credential.id"])
ks("ks-appcred-auth-bad-secret", "POST", "/v3/auth/tokens", as_="none",
   json={"auth": {"identity": {"methods": ["application_credential"],
                               "application_credential": {"id": "{appcred_x}",
                                                          "secret": "wrong"}}}},
   values=ERR_VALUES_KS)
ks("ks-appcred-token-creates-appcred-403", "POST",
   "/v3/users/{user_alt}/application_credentials", as_="appcred",
   json={"application_credential": {"name": "nested-{run}"}}, values=ERR_VALUES_KS)
ks("ks-appcred-other-user-403", "GET", "/v3/users/{user_alt}/application_credentials",
   as_="third", values=ERR_VALUES_KS)
ks("ks-appcred-delete", "DELETE", "/v3/users/{user_alt}/application_credentials/{appcred_x}",
   as_="alt")
ks("ks-appcred-show-deleted", "GET",
   "/v3/users/{user_alt}/application_credentials/{appcred_x}", as_="alt",
   values=ERR_VALUES_KS)

# ======================================================================================
# Image: discovery, auth, info
# ======================================================================================
# Glint advertises only versions whose features it serves (v2.0-v2.12 with the multi-store
# API on); Glance 33 also lists 2.13, 2.15 and 2.17 (service-only location APIs).
VERSIONS_DEVIATION = ("Glint lists the versions whose features it serves (up to 2.12, CURRENT); "
                      "it does not claim 2.13, 2.15 or 2.17 (service-only location APIs)")
gl("gl-root-versions-slash", "GET", "/", as_="none", values=["versions[].id"],
   deviation=VERSIONS_DEVIATION)
gl("gl-root-versions", "GET", "", as_="none", values=["versions[].id", "versions[].status"],
   deviation=VERSIONS_DEVIATION)
gl("gl-versions", "GET", "/versions", as_="none", values=["versions[].id"],
   deviation=VERSIONS_DEVIATION)
gl("gl-no-token", "GET", "/v2/images", as_="none")
gl("gl-bad-token", "GET", "/v2/images", headers={"X-Auth-Token": "bogus-{run}"})
gl("gl-info-import", "GET", "/v2/info/import", values=["import-methods.value"])
gl("gl-info-stores", "GET", "/v2/info/stores", values=["stores[].id", "stores[].default"])
gl("gl-info-stores-detail", "GET", "/v2/info/stores/detail")
gl("gl-info-usage", "GET", "/v2/info/usage")
gl("gl-unknown-path", "GET", "/v2/nothing-here")
for s in ("image", "images", "member", "members", "task", "tasks"):
    gl(f"gl-schema-{s}", "GET", f"/v2/schemas/{s}", values=["name"])
gl("gl-schema-image-formats", "GET", "/v2/schemas/image",
   values=["properties.disk_format.enum~", "properties.container_format.enum~",
           "properties.visibility.enum~", "properties.status.enum~"])

# ======================================================================================
# Image: create
# ======================================================================================
gl("gl-create-defaults", "POST", "/v2/images", json={"name": "diff-{run}-defaults"},
   save={"img_defaults": "id"}, values=IMAGE_VALUES)
gl("gl-create-full", "POST", "/v2/images",
   json={"name": "diff-{run}-a", "disk_format": "raw", "container_format": "bare",
         "visibility": "private", "tags": ["diff-{run}", "alpha"], "custom_prop": "x",
         "min_ram": 64, "min_disk": 1},
   save={"img_a": "id"}, values=IMAGE_VALUES + ["custom_prop"])
gl("gl-create-client-uuid", "POST", "/v2/images",
   json={"id": "{img_given:uuid}", "name": "diff-{run}-given", "disk_format": "raw",
         "container_format": "bare"}, values=["id"])
gl("gl-create-client-uuid-dup", "POST", "/v2/images",
   json={"id": "{img_given}", "name": "diff-{run}-given2"}, values=ERR_VALUES_GLANCE)
gl("gl-create-client-id-not-uuid", "POST", "/v2/images",
   json={"id": "not-a-uuid-{run}", "name": "diff-{run}-badid"}, values=ERR_VALUES_GLANCE)
gl("gl-create-readonly-status", "POST", "/v2/images",
   json={"name": "diff-{run}-ro", "status": "active"}, values=ERR_VALUES_GLANCE)
gl("gl-create-readonly-checksum", "POST", "/v2/images",
   json={"name": "diff-{run}-ro", "checksum": "abc"}, values=ERR_VALUES_GLANCE)
gl("gl-create-readonly-size", "POST", "/v2/images",
   json={"name": "diff-{run}-ro", "size": 10}, values=ERR_VALUES_GLANCE)
gl("gl-create-os-glance-prefix", "POST", "/v2/images",
   json={"name": "diff-{run}-reserved", "os_glance_foo": "x"}, values=ERR_VALUES_GLANCE)
gl("gl-create-bad-disk-format", "POST", "/v2/images",
   json={"name": "diff-{run}-bad", "disk_format": "floppy"}, values=ERR_VALUES_GLANCE)
gl("gl-create-bad-container-format", "POST", "/v2/images",
   json={"name": "diff-{run}-bad", "container_format": "crate"}, values=ERR_VALUES_GLANCE)
gl("gl-create-bad-visibility", "POST", "/v2/images",
   json={"name": "diff-{run}-bad", "visibility": "secret"}, values=ERR_VALUES_GLANCE)
gl("gl-create-bad-min-ram", "POST", "/v2/images",
   json={"name": "diff-{run}-bad", "min_ram": -1}, values=ERR_VALUES_GLANCE)
gl("gl-create-name-too-long", "POST", "/v2/images",
   json={"name": "n" * 256}, values=ERR_VALUES_GLANCE)
gl("gl-create-non-string-prop", "POST", "/v2/images",
   json={"name": "diff-{run}-bad", "custom_prop": 5}, values=ERR_VALUES_GLANCE)
gl("gl-create-bad-ct", "POST", "/v2/images", headers={"Content-Type": "text/plain"},
   data='{"name": "x"}', values=ERR_VALUES_GLANCE)
gl("gl-create-ct-charset", "POST", "/v2/images",
   headers={"Content-Type": "application/json; charset=UTF-8"},
   data='{"name": "diff-{run}-charset"}', save={"img_charset": "id"}, values=["name"])
gl("gl-create-bad-json", "POST", "/v2/images", headers={"Content-Type": "application/json"},
   data="{not json", values=ERR_VALUES_GLANCE)
gl("gl-create-body-not-object", "POST", "/v2/images", json=["x"], values=ERR_VALUES_GLANCE,
   deviation="Glance answers 500 Internal Server Error to a JSON array body; "
             "Glint answers 400 Bad Request")
gl("gl-create-owner-other-admin", "POST", "/v2/images",
   json={"name": "diff-{run}-owned", "owner": "{proj_alt}", "visibility": "private"},
   save={"img_owned": "id"}, values=["owner"])
gl("gl-create-alt-owner-other-403", "POST", "/v2/images", as_="alt",
   json={"name": "diff-{run}-x", "owner": "{proj_third}"}, values=ERR_VALUES_GLANCE)
gl("gl-create-alt-public-403", "POST", "/v2/images", as_="alt",
   json={"name": "diff-{run}-x", "visibility": "public"}, values=ERR_VALUES_GLANCE)
gl("gl-create-alt-private", "POST", "/v2/images", as_="alt",
   json={"name": "diff-{run}-alt", "disk_format": "raw", "container_format": "bare",
         "visibility": "private", "tags": ["diff-{run}-alt"]},
   save={"img_alt": "id"}, values=IMAGE_VALUES)

# ======================================================================================
# Image: show and errors
# ======================================================================================
gl("gl-show", "GET", "/v2/images/{img_a}", values=IMAGE_VALUES + ["custom_prop", "id"])
gl("gl-show-non-uuid-404-json", "GET", "/v2/images/diff-{run}-a", values=ERR_VALUES_GLANCE)
gl("gl-show-404-html", "GET", "/v2/images/{missing:uuid}", headers={"Accept": "text/html"})
gl("gl-show-404-any", "GET", "/v2/images/{missing}", headers={"Accept": "*/*"})
gl("gl-show-404-json", "GET", "/v2/images/{missing}", values=ERR_VALUES_GLANCE)
gl("gl-show-alt-private-of-admin-404", "GET", "/v2/images/{img_a}", as_="alt",
   values=ERR_VALUES_GLANCE)
gl("gl-show-admin-sees-alt-private", "GET", "/v2/images/{img_alt}", values=["owner"])
gl("gl-show-alt-owned-by-admin-create", "GET", "/v2/images/{img_owned}", as_="alt",
   values=["owner"])

# ======================================================================================
# Image: list, filters, pagination, sorting
# ======================================================================================
for i, (nm, extra) in enumerate([("c", {"disk_format": "qcow2"}), ("b", {"disk_format": "raw"}),
                                 ("e", {"disk_format": "iso"})]):
    gl(f"gl-create-list-{nm}", "POST", "/v2/images",
       json={"name": f"diff-{{run}}-list-{nm}", "container_format": "bare",
             "tags": ["diff-{run}-list", f"t{i}"], "visibility": "private", **extra},
       save={f"img_list_{nm}": "id"})
gl("gl-create-list-hidden", "POST", "/v2/images",
   json={"name": "diff-{run}-list-h", "tags": ["diff-{run}-list"], "os_hidden": True,
         "visibility": "private"},
   save={"img_hidden": "id"}, values=["os_hidden"])
gl("gl-create-list-community", "POST", "/v2/images",
   json={"name": "diff-{run}-list-comm", "tags": ["diff-{run}-list"],
         "visibility": "community"}, save={"img_comm": "id"}, values=["visibility"])
gl("gl-create-list-shared", "POST", "/v2/images",
   json={"name": "diff-{run}-list-shared", "tags": ["diff-{run}-list"], "visibility": "shared"},
   save={"img_listshared": "id"})
gl("gl-create-list-public", "POST", "/v2/images",
   json={"name": "diff-{run}-list-pub", "tags": ["diff-{run}-list"], "visibility": "public"},
   save={"img_pub": "id"}, values=["visibility"])
gl("gl-list-name", "GET", "/v2/images?name=diff-{run}-a",
   values=["images[].id", "first", "schema", "next"])
gl("gl-list-name-none", "GET", "/v2/images?name=nothing-{run}", values=["images#"])
gl("gl-list-tag", "GET", "/v2/images?tag=diff-{run}-list&sort=name:asc",
   values=["images[].name"])
gl("gl-list-tag-and", "GET", "/v2/images?tag=diff-{run}-list&tag=t1", values=["images[].name"])
gl("gl-list-limit2", "GET", "/v2/images?tag=diff-{run}-list&sort=name:asc&limit=2",
   save={"next_page": "next"}, values=["images[].name", "first", "next"])
gl("gl-list-next-page", "GET", "{next_page}", values=["images[].name", "next"])
gl("gl-list-marker", "GET",
   "/v2/images?tag=diff-{run}-list&sort_key=name&sort_dir=asc&marker={img_list_b}",
   values=["images[].name"])
gl("gl-list-sort-key-dir-desc", "GET",
   "/v2/images?tag=diff-{run}-list&sort_key=name&sort_dir=desc", values=["images[].name"])
gl("gl-list-sort-multi", "GET",
   "/v2/images?tag=diff-{run}-list&sort=disk_format:asc,name:desc", values=["images[].name"])
gl("gl-list-sort-bad-key", "GET", "/v2/images?sort_key=bogus", values=ERR_VALUES_GLANCE)
gl("gl-list-sort-bad-dir", "GET", "/v2/images?sort_key=name&sort_dir=up",
   values=ERR_VALUES_GLANCE)
gl("gl-list-bad-limit-negative", "GET", "/v2/images?limit=-1", values=ERR_VALUES_GLANCE)
gl("gl-list-bad-limit-text", "GET", "/v2/images?limit=abc", values=ERR_VALUES_GLANCE)
gl("gl-list-bad-marker", "GET", "/v2/images?marker={missing}", values=ERR_VALUES_GLANCE)
gl("gl-list-hidden-default", "GET", "/v2/images?tag=diff-{run}-list&sort=name:asc",
   values=["images[].name"])
gl("gl-list-hidden-true", "GET", "/v2/images?tag=diff-{run}-list&os_hidden=true",
   values=["images[].name"])
gl("gl-list-hidden-capital-True", "GET", "/v2/images?tag=diff-{run}-list&os_hidden=True",
   values=["images[].name"])
gl("gl-list-limit-over-max", "GET", "/v2/images?tag=diff-{run}-list&limit=5000",
   values=["images#"])
gl("gl-list-name-in", "GET",
   "/v2/images?name=in:diff-{run}-list-b,diff-{run}-list-c&sort=name:asc",
   values=["images[].name"])
gl("gl-list-id-in", "GET", "/v2/images?id=in:{img_list_b},{img_list_e}&sort=name:asc",
   values=["images[].name"])
gl("gl-list-tag-missing", "GET", "/v2/images?tag=nope-{run}", values=["images#"])
gl("gl-list-hidden-bad", "GET", "/v2/images?os_hidden=maybe", values=ERR_VALUES_GLANCE)
for vis in ("public", "private", "shared", "community", "all"):
    gl(f"gl-list-visibility-{vis}", "GET",
       f"/v2/images?tag=diff-{{run}}-list&visibility={vis}&sort=name:asc",
       values=["images[].name"])
gl("gl-list-visibility-bad", "GET", "/v2/images?visibility=secret", values=ERR_VALUES_GLANCE)
gl("gl-list-disk-format-in", "GET",
   "/v2/images?tag=diff-{run}-list&disk_format=in:raw,iso&sort=name:asc",
   values=["images[].name"])
gl("gl-list-status-queued", "GET", "/v2/images?tag=diff-{run}-list&status=queued",
   values=["images#"])
gl("gl-list-owner", "GET", "/v2/images?owner={proj_alt}&name=diff-{run}-owned",
   values=["images[].id"])
gl("gl-list-protected-false", "GET", "/v2/images?tag=diff-{run}-list&protected=false",
   values=["images#"])
gl("gl-list-protected-bad", "GET", "/v2/images?protected=True", values=ERR_VALUES_GLANCE)
gl("gl-list-changes-since", "GET", "/v2/images?changes-since=2020-01-01T00:00:00Z",
   values=ERR_VALUES_GLANCE)
gl("gl-list-size-min", "GET", "/v2/images?tag=diff-{run}-list&size_min=1", values=["images#"])
gl("gl-list-created-at-gt", "GET",
   "/v2/images?tag=diff-{run}-list&created_at=gt:2000-01-01T00:00:00Z", values=["images#"])
gl("gl-list-created-at-bad", "GET", "/v2/images?created_at=bogus:2000",
   values=ERR_VALUES_GLANCE)
gl("gl-list-alt-sees-public-community", "GET",
   "/v2/images?tag=diff-{run}-list&sort=name:asc", as_="alt", values=["images[].name"])
gl("gl-list-alt-community", "GET",
   "/v2/images?tag=diff-{run}-list&visibility=community", as_="alt", values=["images[].name"])
gl("gl-show-alt-community", "GET", "/v2/images/{img_comm}", as_="alt", values=["visibility"])
gl("gl-show-alt-shared-not-member-404", "GET", "/v2/images/{img_listshared}", as_="alt",
   values=ERR_VALUES_GLANCE)

# ======================================================================================
# Image: upload and download
# ======================================================================================
gl("gl-download-queued-204", "GET", "/v2/images/{img_a}/file",
   headers={"Accept": "application/octet-stream"})
gl("gl-create-for-bad-ct", "POST", "/v2/images",
   json={"name": "diff-{run}-ct", "disk_format": "raw", "container_format": "bare"},
   save={"img_ct": "id"})
gl("gl-upload-bad-ct", "PUT", "/v2/images/{img_ct}/file",
   headers={"Content-Type": "text/plain"}, data="@hello", values=ERR_VALUES_GLANCE)
gl("gl-upload-no-formats", "PUT", "/v2/images/{img_defaults}/file",
   headers={"Content-Type": "application/octet-stream"}, data="@hello",
   values=ERR_VALUES_GLANCE)
gl("gl-upload-raw", "PUT", "/v2/images/{img_a}/file",
   headers={"Content-Type": "application/octet-stream"}, data="@hello")
gl("gl-show-after-upload", "GET", "/v2/images/{img_a}", values=IMAGE_VALUES)
gl("gl-upload-again-409", "PUT", "/v2/images/{img_a}/file",
   headers={"Content-Type": "application/octet-stream"}, data="@hello",
   values=ERR_VALUES_GLANCE)
gl("gl-download", "GET", "/v2/images/{img_a}/file",
   headers={"Accept": "application/octet-stream"})
gl("gl-download-range", "GET", "/v2/images/{img_a}/file",
   headers={"Accept": "application/octet-stream", "Range": "bytes=0-4"})
gl("gl-download-range-suffix", "GET", "/v2/images/{img_a}/file",
   headers={"Accept": "application/octet-stream", "Range": "bytes=-6"})
gl("gl-download-range-open", "GET", "/v2/images/{img_a}/file",
   headers={"Accept": "application/octet-stream", "Range": "bytes=10-"})
gl("gl-download-range-multi", "GET", "/v2/images/{img_a}/file",
   headers={"Accept": "application/octet-stream", "Range": "bytes=0-1,3-4"})
gl("gl-download-range-416", "GET", "/v2/images/{img_a}/file",
   headers={"Accept": "application/octet-stream", "Range": "bytes=1000-2000"})
gl("gl-download-alt-404", "GET", "/v2/images/{img_a}/file", as_="alt",
   headers={"Accept": "application/octet-stream"})
gl("gl-download-missing-404", "GET", "/v2/images/{missing}/file")
gl("gl-upload-size-header-mismatch", "PUT", "/v2/images/{img_list_b}/file",
   headers={"Content-Type": "application/octet-stream", "x-openstack-image-size": "5"},
   data="@hello", values=ERR_VALUES_GLANCE)
gl("gl-show-after-size-mismatch", "GET", "/v2/images/{img_list_b}",
   values=["status", "size"])
gl("gl-create-qcow2", "POST", "/v2/images",
   json={"name": "diff-{run}-qcow2", "disk_format": "qcow2", "container_format": "bare"},
   save={"img_qcow2": "id"})
gl("gl-upload-qcow2", "PUT", "/v2/images/{img_qcow2}/file",
   headers={"Content-Type": "application/octet-stream"}, data="@qcow2")
gl("gl-show-qcow2", "GET", "/v2/images/{img_qcow2}", values=IMAGE_VALUES)
gl("gl-upload-raw-as-qcow2-400", "PUT", "/v2/images/{img_list_c}/file",
   headers={"Content-Type": "application/octet-stream"}, data="@zeros",
   values=ERR_VALUES_GLANCE)
gl("gl-show-after-mismatch", "GET", "/v2/images/{img_list_c}", values=["status", "size"],
   deviation="after a rejected upload Glance keeps `stores` naming the store on the queued "
             "image, which holds no data; Glint shows `stores` only where data is")
gl("gl-create-raw-for-qcow2", "POST", "/v2/images",
   json={"name": "diff-{run}-raw-q", "disk_format": "raw", "container_format": "bare"},
   save={"img_rawq": "id"})
gl("gl-upload-qcow2-as-raw", "PUT", "/v2/images/{img_rawq}/file",
   headers={"Content-Type": "application/octet-stream"}, data="@qcow2",
   values=ERR_VALUES_GLANCE)
gl("gl-show-qcow2-as-raw", "GET", "/v2/images/{img_rawq}", values=["status", "virtual_size"])
gl("gl-upload-iso-zeros", "PUT", "/v2/images/{img_list_e}/file",
   headers={"Content-Type": "application/octet-stream"}, data="@zeros",
   values=ERR_VALUES_GLANCE)
gl("gl-list-size-min-after-upload", "GET",
   "/v2/images?name=diff-{run}-a&size_min=10&size_max=100", values=["images#"])
gl("gl-list-status-active", "GET", "/v2/images?name=diff-{run}-qcow2&status=active",
   values=["images#"])

# ======================================================================================
# Image: PATCH
# ======================================================================================
patch("gl-patch-replace-name", "img_a",
      [{"op": "replace", "path": "/name", "value": "diff-{run}-a2"}], values=["name"])
patch("gl-patch-add-prop", "img_a",
      [{"op": "add", "path": "/extra_prop", "value": "y"}], values=["extra_prop"])
patch("gl-patch-add-existing-prop", "img_a",
      [{"op": "add", "path": "/extra_prop", "value": "z"}], values=["extra_prop"])
patch("gl-patch-replace-prop", "img_a",
      [{"op": "replace", "path": "/custom_prop", "value": "x2"}], values=["custom_prop"])
patch("gl-patch-remove-prop", "img_a",
      [{"op": "remove", "path": "/extra_prop"}], values=["extra_prop"])
patch("gl-patch-remove-missing-409", "img_a",
      [{"op": "remove", "path": "/nothing_here"}], values=ERR_VALUES_GLANCE)
patch("gl-patch-replace-missing-409", "img_a",
      [{"op": "replace", "path": "/nothing_here", "value": "v"}], values=ERR_VALUES_GLANCE)
patch("gl-patch-readonly-status-403", "img_a",
      [{"op": "replace", "path": "/status", "value": "queued"}], values=ERR_VALUES_GLANCE)
patch("gl-patch-readonly-checksum-403", "img_a",
      [{"op": "replace", "path": "/checksum", "value": "x"}], values=ERR_VALUES_GLANCE)
patch("gl-patch-os-glance-403", "img_a",
      [{"op": "add", "path": "/os_glance_x", "value": "x"}], values=ERR_VALUES_GLANCE)
patch("gl-patch-remove-base-403", "img_a",
      [{"op": "remove", "path": "/name"}], values=ERR_VALUES_GLANCE)
patch("gl-patch-wrong-ct-415", "img_a", [{"op": "replace", "path": "/name", "value": "n"}],
      headers={"Content-Type": "application/json"}, values=ERR_VALUES_GLANCE)
patch("gl-patch-v20-ct", "img_a", [{"op": "replace", "path": "/min_ram", "value": 128}],
      headers={"Content-Type": "application/openstack-images-v2.0-json-patch"},
      values=["min_ram"])
patch("gl-patch-v20-ct-v20-ops", "img_a", [{"replace": "/min_ram", "value": 96}],
      headers={"Content-Type": "application/openstack-images-v2.0-json-patch"},
      values=["min_ram"])
patch("gl-patch-bad-op", "img_a", [{"op": "move", "path": "/name", "from": "/x"}],
      values=ERR_VALUES_GLANCE)
patch("gl-patch-not-list", "img_a", {"op": "replace"}, values=ERR_VALUES_GLANCE)
patch("gl-patch-tags-replace", "img_a",
      [{"op": "replace", "path": "/tags", "value": ["diff-{run}", "beta", "gamma"]}],
      values=["tags~"])
patch("gl-patch-min-disk", "img_a", [{"op": "replace", "path": "/min_disk", "value": 2}],
      values=["min_disk"])
patch("gl-patch-min-disk-bad", "img_a",
      [{"op": "replace", "path": "/min_disk", "value": "two"}], values=ERR_VALUES_GLANCE)
patch("gl-patch-visibility-bad", "img_a",
      [{"op": "replace", "path": "/visibility", "value": "secret"}], values=ERR_VALUES_GLANCE)
patch("gl-patch-os-hidden", "img_a", [{"op": "replace", "path": "/os_hidden", "value": True}],
      values=["os_hidden"])
patch("gl-patch-os-hidden-back", "img_a",
      [{"op": "replace", "path": "/os_hidden", "value": False}], values=["os_hidden"])
patch("gl-patch-multi", "img_a",
      [{"op": "add", "path": "/p1", "value": "1"}, {"op": "add", "path": "/p2", "value": "2"},
       {"op": "remove", "path": "/p1"}], values=["p1", "p2"])
patch("gl-patch-disk-format-active-403", "img_a",
      [{"op": "replace", "path": "/disk_format", "value": "qcow2"}], values=ERR_VALUES_GLANCE)
patch("gl-patch-missing-404", "missing", [{"op": "replace", "path": "/name", "value": "n"}],
      values=ERR_VALUES_GLANCE)
patch("gl-patch-alt-on-admin-shared", "img_listshared",
      [{"op": "replace", "path": "/name", "value": "hijack"}], as_="alt",
      values=ERR_VALUES_GLANCE)
patch("gl-patch-alt-on-public-403", "img_pub",
      [{"op": "replace", "path": "/name", "value": "hijack"}], as_="alt",
      values=ERR_VALUES_GLANCE)
patch("gl-patch-alt-own", "img_alt", [{"op": "add", "path": "/mine", "value": "yes"}],
      as_="alt", values=["mine"])
patch("gl-patch-owner-admin", "img_owned",
      [{"op": "replace", "path": "/owner", "value": "{proj_third}"}], values=["owner"])
patch("gl-patch-owner-alt-403", "img_alt",
      [{"op": "replace", "path": "/owner", "value": "{proj_third}"}], as_="alt",
      values=ERR_VALUES_GLANCE)

# ======================================================================================
# Image: tags
# ======================================================================================
gl("gl-tag-add", "PUT", "/v2/images/{img_a}/tags/newtag")
gl("gl-tag-add-again", "PUT", "/v2/images/{img_a}/tags/newtag")
gl("gl-tag-show-after-add", "GET", "/v2/images/{img_a}", values=["tags~"])
gl("gl-tag-delete", "DELETE", "/v2/images/{img_a}/tags/newtag")
gl("gl-tag-delete-missing-404", "DELETE", "/v2/images/{img_a}/tags/newtag",
   values=ERR_VALUES_GLANCE)
gl("gl-tag-too-long-400", "PUT", "/v2/images/{img_a}/tags/" + "t" * 256,
   values=ERR_VALUES_GLANCE)
gl("gl-tag-add-missing-image-404", "PUT", "/v2/images/{missing}/tags/x",
   values=ERR_VALUES_GLANCE)
gl("gl-tag-alt-on-public-403", "PUT", "/v2/images/{img_pub}/tags/x", as_="alt",
   values=ERR_VALUES_GLANCE)

# ======================================================================================
# Image: members (sharing)
# ======================================================================================
gl("gl-create-shared", "POST", "/v2/images",
   json={"name": "diff-{run}-shared", "disk_format": "raw", "container_format": "bare",
         "visibility": "shared", "tags": ["diff-{run}-sh"]},
   save={"img_sh": "id"})
gl("gl-upload-shared", "PUT", "/v2/images/{img_sh}/file",
   headers={"Content-Type": "application/octet-stream"}, data="@hello")
gl("gl-member-create", "POST", "/v2/images/{img_sh}/members", json={"member": "{proj_alt}"},
   values=["member_id", "image_id", "status", "schema"])
gl("gl-member-create-dup-409", "POST", "/v2/images/{img_sh}/members",
   json={"member": "{proj_alt}"}, values=ERR_VALUES_GLANCE)
gl("gl-member-create-bad-body", "POST", "/v2/images/{img_sh}/members",
   json={"project": "{proj_alt}"}, values=ERR_VALUES_GLANCE)
gl("gl-member-create-private-403", "POST", "/v2/images/{img_list_b}/members",
   json={"member": "{proj_alt}"}, values=ERR_VALUES_GLANCE)
gl("gl-member-create-public-403", "POST", "/v2/images/{img_pub}/members",
   json={"member": "{proj_alt}"}, values=ERR_VALUES_GLANCE)
gl("gl-member-list", "GET", "/v2/images/{img_sh}/members",
   values=["members[].member_id", "members[].status", "schema"])
gl("gl-member-show", "GET", "/v2/images/{img_sh}/members/{proj_alt}",
   values=["member_id", "status"])
gl("gl-member-show-missing-404", "GET", "/v2/images/{img_sh}/members/{proj_third}",
   values=ERR_VALUES_GLANCE)
gl("gl-member-alt-show-image", "GET", "/v2/images/{img_sh}", as_="alt", values=["id"])
gl("gl-member-alt-list-pending-hidden", "GET", "/v2/images?tag=diff-{run}-sh", as_="alt",
   values=["images[].id"])
gl("gl-member-alt-list-pending", "GET", "/v2/images?tag=diff-{run}-sh&member_status=pending",
   as_="alt", values=["images[].id"])
gl("gl-member-alt-list-all", "GET", "/v2/images?tag=diff-{run}-sh&member_status=all",
   as_="alt", values=["images[].id"])
gl("gl-member-list-bad-status", "GET", "/v2/images?member_status=maybe",
   values=ERR_VALUES_GLANCE)
gl("gl-member-alt-members-list", "GET", "/v2/images/{img_sh}/members", as_="alt",
   values=["members[].member_id"])
gl("gl-member-alt-download", "GET", "/v2/images/{img_sh}/file", as_="alt",
   headers={"Accept": "application/octet-stream"})
gl("gl-member-owner-admin-update-status", "PUT", "/v2/images/{img_sh}/members/{proj_alt}",
   json={"status": "pending"}, values=["status"] + ERR_VALUES_GLANCE)
gl("gl-member-update-bad-status", "PUT", "/v2/images/{img_sh}/members/{proj_alt}", as_="alt",
   json={"status": "maybe"}, values=ERR_VALUES_GLANCE)
gl("gl-member-update-accept", "PUT", "/v2/images/{img_sh}/members/{proj_alt}", as_="alt",
   json={"status": "accepted"}, values=["status", "member_id"])
gl("gl-member-alt-list-accepted", "GET", "/v2/images?tag=diff-{run}-sh", as_="alt",
   values=["images[].id"])
gl("gl-member-alt-list-shared", "GET", "/v2/images?tag=diff-{run}-sh&visibility=shared",
   as_="alt", values=["images[].id"])
gl("gl-member-update-reject", "PUT", "/v2/images/{img_sh}/members/{proj_alt}", as_="alt",
   json={"status": "rejected"}, values=["status"])
gl("gl-member-alt-list-rejected", "GET", "/v2/images?tag=diff-{run}-sh", as_="alt",
   values=["images[].id"])
gl("gl-member-alt-list-member-rejected", "GET",
   "/v2/images?tag=diff-{run}-sh&member_status=rejected", as_="alt", values=["images[].id"])
gl("gl-member-alt-add-member-403", "POST", "/v2/images/{img_sh}/members", as_="alt",
   json={"member": "{proj_third}"}, values=ERR_VALUES_GLANCE)
gl("gl-member-alt-delete-403", "DELETE", "/v2/images/{img_sh}/members/{proj_alt}", as_="alt",
   values=ERR_VALUES_GLANCE)
gl("gl-member-third-show-image-404", "GET", "/v2/images/{img_sh}", as_="third",
   values=ERR_VALUES_GLANCE)
gl("gl-member-third-members-404", "GET", "/v2/images/{img_sh}/members", as_="third",
   values=ERR_VALUES_GLANCE)
gl("gl-member-add-third", "POST", "/v2/images/{img_sh}/members",
   json={"member": "{proj_third}"}, values=["member_id", "status"])
gl("gl-member-list-two", "GET", "/v2/images/{img_sh}/members", values=["members#"])
gl("gl-member-alt-list-only-self", "GET", "/v2/images/{img_sh}/members", as_="alt",
   values=["members[].member_id"])
gl("gl-member-third-update-alt-403", "PUT", "/v2/images/{img_sh}/members/{proj_alt}",
   as_="third", json={"status": "accepted"}, values=ERR_VALUES_GLANCE)
gl("gl-member-delete", "DELETE", "/v2/images/{img_sh}/members/{proj_alt}")
gl("gl-member-show-deleted-404", "GET", "/v2/images/{img_sh}/members/{proj_alt}",
   values=ERR_VALUES_GLANCE)
gl("gl-member-delete-again-404", "DELETE", "/v2/images/{img_sh}/members/{proj_alt}",
   values=ERR_VALUES_GLANCE)
gl("gl-member-alt-after-delete-404", "GET", "/v2/images/{img_sh}", as_="alt",
   values=ERR_VALUES_GLANCE)
patch("gl-member-visibility-to-private-with-members", "img_sh",
      [{"op": "replace", "path": "/visibility", "value": "private"}],
      values=["visibility"] + ERR_VALUES_GLANCE)

# ======================================================================================
# Image: deactivate / reactivate
# ======================================================================================
gl("gl-deactivate-alt-403", "POST", "/v2/images/{img_alt}/actions/deactivate", as_="alt",
   values=ERR_VALUES_GLANCE)
gl("gl-deactivate-queued", "POST", "/v2/images/{img_defaults}/actions/deactivate",
   values=ERR_VALUES_GLANCE)
gl("gl-deactivate", "POST", "/v2/images/{img_a}/actions/deactivate")
gl("gl-deactivate-again", "POST", "/v2/images/{img_a}/actions/deactivate")
gl("gl-show-deactivated", "GET", "/v2/images/{img_a}", values=["status"])
gl("gl-download-deactivated-admin", "GET", "/v2/images/{img_a}/file",
   headers={"Accept": "application/octet-stream"})
gl("gl-list-status-deactivated", "GET", "/v2/images?name=diff-{run}-a2&status=deactivated",
   values=["images#"])
gl("gl-reactivate", "POST", "/v2/images/{img_a}/actions/reactivate")
gl("gl-reactivate-again", "POST", "/v2/images/{img_a}/actions/reactivate")
gl("gl-show-reactivated", "GET", "/v2/images/{img_a}", values=["status"])
gl("gl-deactivate-missing-404", "POST", "/v2/images/{missing}/actions/deactivate",
   values=ERR_VALUES_GLANCE)
gl("gl-action-unknown-404", "POST", "/v2/images/{img_a}/actions/explode")

# ======================================================================================
# Image: interoperable import (glance-direct), tasks
# ======================================================================================
gl("gl-import-create", "POST", "/v2/images",
   json={"name": "diff-{run}-import", "disk_format": "raw", "container_format": "bare"},
   save={"img_imp": "id"})
gl("gl-stage", "PUT", "/v2/images/{img_imp}/stage",
   headers={"Content-Type": "application/octet-stream"}, data="@hello")
gl("gl-show-staged", "GET", "/v2/images/{img_imp}", values=["status"])
gl("gl-stage-again-409", "PUT", "/v2/images/{img_imp}/stage",
   headers={"Content-Type": "application/octet-stream"}, data="@hello",
   values=ERR_VALUES_GLANCE)
gl("gl-import-bad-method", "POST", "/v2/images/{img_imp}/import",
   json={"method": {"name": "teleport"}}, values=ERR_VALUES_GLANCE)
gl("gl-import-glance-direct", "POST", "/v2/images/{img_imp}/import",
   json={"method": {"name": "glance-direct"}})
gl("gl-import-wait-active", "GET", "/v2/images/{img_imp}",
   poll={"until": {"status": "active"}, "timeout": 30}, values=IMAGE_VALUES)
gl("gl-image-tasks", "GET", "/v2/images/{img_imp}/tasks", values=["tasks#", "tasks[].type",
                                                                    "tasks[].status"])
gl("gl-import-queued-no-stage", "POST", "/v2/images/{img_defaults}/import",
   json={"method": {"name": "glance-direct"}}, values=ERR_VALUES_GLANCE)
gl("gl-stage-active-409", "PUT", "/v2/images/{img_a}/stage",
   headers={"Content-Type": "application/octet-stream"}, data="@hello",
   values=ERR_VALUES_GLANCE)
gl("gl-import-web-download-loopback", "POST", "/v2/images/{img_list_e}/import",
   json={"method": {"name": "web-download", "uri": "http://127.0.0.1:1/x"}},
   values=ERR_VALUES_GLANCE)
gl("gl-tasks-list-admin", "GET", "/v2/tasks?limit=1", values=[])

# ======================================================================================
# Image: metadefs (the standard catalogue: both sides load Glance's etc/metadefs files)
# ======================================================================================
gl("gl-metadefs-resource-types", "GET", "/v2/metadefs/resource_types",
   values=["resource_types[].name"])
gl("gl-metadefs-namespaces", "GET", "/v2/metadefs/namespaces?limit=3", values=["namespaces#"])
gl("gl-metadefs-namespaces-all", "GET", "/v2/metadefs/namespaces?limit=100",
   values=["namespaces#"])
gl("gl-metadefs-namespace-show", "GET", "/v2/metadefs/namespaces/OS::Compute::Hypervisor",
   values=["namespace", "display_name", "description", "visibility", "protected", "owner",
           "resource_type_associations[].name", "resource_type_associations[].prefix",
           "properties"])
gl("gl-metadefs-namespace-common", "GET",
   "/v2/metadefs/namespaces/OS::Glance::CommonImageProperties",
   values=["visibility", "owner", "properties"])
gl("gl-metadefs-properties-list", "GET", "/v2/metadefs/namespaces/OS::Compute::Hypervisor/properties",
   values=["properties"])
gl("gl-metadefs-objects-list", "GET", "/v2/metadefs/namespaces/OS::Software::WebServers/objects",
   values=["objects[].name", "objects[].required", "objects[].properties", "schema"])
gl("gl-metadefs-object-show", "GET",
   "/v2/metadefs/namespaces/OS::Software::WebServers/objects/Apache HTTP Server",
   values=["name", "required", "properties", "self", "schema"])
gl("gl-metadefs-create", "POST", "/v2/metadefs/namespaces",
   json={"namespace": "Diff::{run}", "properties": {
       "p_int": {"title": "i", "type": "integer", "default": 8},
       "p_bool": {"title": "b", "type": "boolean", "default": True},
       "p_text": {"title": "t", "type": "string", "default": "x"}},
       "objects": [{"name": "o1"}]},
   values=["namespace", "visibility", "protected", "properties", "objects"])
gl("gl-metadefs-created-properties", "GET", "/v2/metadefs/namespaces/Diff::{run}/properties",
   values=["properties"])
gl("gl-metadefs-object-create", "POST", "/v2/metadefs/namespaces/Diff::{run}/objects",
   json={"name": "o2", "properties": {"q": {"title": "q", "type": "number", "default": 1.5}}},
   values=["name", "properties", "self", "schema"])
gl("gl-metadefs-created-objects", "GET", "/v2/metadefs/namespaces/Diff::{run}/objects",
   values=["objects[].name", "objects[].required", "objects[].properties"])
gl("gl-metadefs-association-create", "POST", "/v2/metadefs/namespaces/Diff::{run}/resource_types",
   json={"name": "OS::Nova::Flavor", "prefix": "diff:"}, values=["name", "prefix"])
gl("gl-metadefs-tags-create", "POST", "/v2/metadefs/namespaces/Diff::{run}/tags",
   json={"tags": [{"name": "t1"}, {"name": "t2"}]}, values=["tags[].name"])
gl("gl-metadefs-created-show", "GET", "/v2/metadefs/namespaces/Diff::{run}",
   values=["resource_type_associations[].name", "tags[].name", "objects[].name", "properties"])
gl("gl-metadefs-delete", "DELETE", "/v2/metadefs/namespaces/Diff::{run}")
gl("gl-metadefs-namespace-404", "GET", "/v2/metadefs/namespaces/OS::Nothing::{run}",
   values=ERR_VALUES_GLANCE)
gl("gl-schema-metadefs-namespace", "GET", "/v2/schemas/metadefs/namespace", values=["name"])

# ======================================================================================
# Image: protected and delete
# ======================================================================================
gl("gl-create-protected", "POST", "/v2/images",
   json={"name": "diff-{run}-prot", "protected": True}, save={"img_prot": "id"},
   values=["protected"])
gl("gl-delete-protected-403", "DELETE", "/v2/images/{img_prot}", values=ERR_VALUES_GLANCE)
gl("gl-delete-protected-403-html", "DELETE", "/v2/images/{img_prot}",
   headers={"Accept": "text/html"})
patch("gl-unprotect", "img_prot", [{"op": "replace", "path": "/protected", "value": False}],
      values=["protected"])
gl("gl-delete-unprotected", "DELETE", "/v2/images/{img_prot}")
gl("gl-delete-alt-on-admin-403", "DELETE", "/v2/images/{img_pub}", as_="alt",
   values=ERR_VALUES_GLANCE)
gl("gl-delete-alt-own", "DELETE", "/v2/images/{img_alt}", as_="alt")
gl("gl-delete", "DELETE", "/v2/images/{img_defaults}")
gl("gl-show-deleted-404", "GET", "/v2/images/{img_defaults}", values=ERR_VALUES_GLANCE)
gl("gl-delete-again-404", "DELETE", "/v2/images/{img_defaults}", values=ERR_VALUES_GLANCE)
gl("gl-download-deleted-404", "GET", "/v2/images/{img_defaults}/file",
   values=ERR_VALUES_GLANCE)
gl("gl-delete-active", "DELETE", "/v2/images/{img_a}")
gl("gl-list-after-deletes", "GET", "/v2/images?name=diff-{run}-a2", values=["images#"])

# ======================================================================================
# Identity: teardown checks (the remaining objects are removed by the harness's cleanup)
# ======================================================================================
ks("ks-user-delete", "DELETE", "/v3/users/{user_third}")
ks("ks-user-show-deleted", "GET", "/v3/users/{user_third}", values=ERR_VALUES_KS)
ks("ks-token-of-deleted-user", "GET", "/v3/auth/tokens",
   headers={"X-Subject-Token": "{tok_third}"}, values=ERR_VALUES_KS)
ks("ks-role-delete", "DELETE", "/v3/roles/{role_run}")
ks("ks-project-delete-enabled", "DELETE", "/v3/projects/{proj_third}")
ks("ks-project-show-deleted", "GET", "/v3/projects/{proj_third}", values=ERR_VALUES_KS)
