"""python-openstackclient 10.5.0 against `glint serve`: Identity v3 administration (issue 5).

    openstack project create/list/show/delete
    openstack user create --password/set --password/delete
    openstack role add/remove, role assignment list --names
    openstack application credential create/list/delete
    openstack --os-auth-type v3applicationcredential ... image list
    openstack registered limit create, limit create/list
    openstack endpoint list
    openstack token issue --os-system-scope all
    a member (non-admin) is refused project create and user list with 403

Expected behaviour is Keystone 30's (shared/reference/keystone-subset.md and Keystone's
own code): 409 on duplicates with `Conflict occurred attempting to store <type> -
<details>.`, 403 `You are not authorized to perform the requested action: <rule>.`,
tokens revoked when a password changes, app-credential tokens scoped to the
credential's project.

Uses the session server from conftest.py. Every name carries a per-run suffix, so the
module does not collide with the other acceptance modules sharing that server.
"""

from __future__ import annotations

import json
import re
import secrets
import uuid
from pathlib import Path

import pytest

SUFFIX = uuid.uuid4().hex[:8]
HEX32 = re.compile(r"^[0-9a-f]{32}$")

# Variables that carry the admin's password identity; removed for token / app-cred auth.
PASSWORD_VARS = (
    "OS_USERNAME", "OS_PASSWORD", "OS_PROJECT_NAME", "OS_PROJECT_ID",
    "OS_USER_DOMAIN_NAME", "OS_PROJECT_DOMAIN_NAME", "OS_USER_DOMAIN_ID",
    "OS_PROJECT_DOMAIN_ID",
)

# Glint's bootstrap registers these for service glance (Glance's unified-limit resources).
BOOTSTRAP_RESOURCES = (
    "image_size_total", "image_stage_total", "image_count_total", "image_count_uploading",
)


def _name(prefix: str) -> str:
    return f"{prefix}-{SUFFIX}-{secrets.token_hex(3)}"


def _json(res):
    try:
        return json.loads(res.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"not JSON:\n{res.describe()}", pytrace=False)


def _failed(res, *needles: str) -> None:
    """`res` must be a failed invocation whose output mentions every needle."""
    out = res.stdout + res.stderr
    assert res.returncode != 0, f"expected a failure:\n{res.describe()}"
    for needle in needles:
        assert needle in out, f"{needle!r} not in the output:\n{res.describe()}"


def _without_password(glint, **extra: str) -> dict[str, str]:
    env = glint.os_env()
    for key in PASSWORD_VARS:
        env.pop(key, None)
    env.update(extra)
    return env


def _user_env(glint, user: str, password: str, project: str) -> dict[str, str]:
    return glint.os_env(OS_USERNAME=user, OS_PASSWORD=password, OS_PROJECT_NAME=project)


def _appcred_args(cred_id: str, secret: str) -> list[str]:
    # A secret is URL-safe base64 and can start with "-": as a separate word argparse
    # would take it for an option.
    return [
        "--os-auth-type", "v3applicationcredential",
        "--os-application-credential-id", cred_id,
        f"--os-application-credential-secret={secret}",
    ]


# --------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("identity-admin")


def _new_project(openstack) -> dict:
    name = _name("proj")
    project = _json(openstack("project", "create", "--description", "acceptance", name,
                              "-f", "json"))
    assert project["name"] == name, project
    return project


def _new_member(openstack, project: dict) -> dict:
    """A user with role `member` on `project` (and nothing else)."""
    name = _name("user")
    password = "pw-" + secrets.token_urlsafe(12)
    user = _json(openstack("user", "create", "--password", password,
                           "--project", project["id"], name, "-f", "json"))
    openstack("role", "add", "--user", user["id"], "--project", project["id"], "member")
    return {"id": user["id"], "name": name, "password": password,
            "project_id": project["id"], "project_name": project["name"]}


@pytest.fixture(scope="module")
def member_project(openstack) -> dict:
    return _new_project(openstack)


@pytest.fixture(scope="module")
def member(openstack, member_project) -> dict:
    return _new_member(openstack, member_project)


@pytest.fixture(scope="module")
def member_env(glint, member) -> dict[str, str]:
    return _user_env(glint, member["name"], member["password"], member["project_name"])


@pytest.fixture(scope="module")
def glance_service_id(openstack) -> str:
    services = _json(openstack("service", "list", "-f", "json"))
    ids = [s["ID"] for s in services if s["Name"] == "glance" and s["Type"] == "image"]
    assert len(ids) == 1, services
    return ids[0]


# --------------------------------------------------------------------------------------
# Projects
# --------------------------------------------------------------------------------------

def test_project_create_list_show_delete(openstack):
    name = _name("proj")
    created = _json(openstack("project", "create", "--description", "made by pytest", name,
                              "-f", "json"))
    pid = created["id"]
    assert HEX32.match(pid), created
    assert created["name"] == name
    assert created["domain_id"] == "default"
    assert created["enabled"] is True
    assert created["description"] == "made by pytest"
    assert created["is_domain"] is False

    listed = openstack("project", "list", "-f", "value", "-c", "ID", "-c", "Name").stdout
    assert f"{pid} {name}" in listed.splitlines(), listed
    as_json = _json(openstack("project", "list", "-f", "json"))
    assert [p for p in as_json if p["ID"] == pid] == [{"ID": pid, "Name": name}], as_json

    by_name = _json(openstack("project", "show", name, "-f", "json"))
    by_id = _json(openstack("project", "show", pid, "-f", "json"))
    assert by_name == by_id
    assert by_name["id"] == pid and by_name["name"] == name, by_name
    assert openstack("project", "show", name, "-f", "value", "-c", "id").stdout.strip() == pid

    openstack("project", "delete", pid)
    _failed(openstack("project", "show", pid, check=False), pid)
    _failed(openstack("project", "show", name, check=False), name)
    listed = openstack("project", "list", "-f", "value", "-c", "ID").stdout
    assert pid not in listed.split(), listed
    # Deleting it again fails too.
    _failed(openstack("project", "delete", pid, check=False))


@pytest.fixture(scope="module")
def duplicate_project(openstack):
    name = _name("dup")
    first = _json(openstack("project", "create", name, "-f", "json"))
    again = openstack("project", "create", name, "-f", "json", check=False)
    return name, first, again


def test_project_duplicate_create_is_409_conflict(openstack, duplicate_project):
    name, first, again = duplicate_project
    _failed(again, "409", "Conflict")
    assert again.stdout.strip() == "", again.describe()
    same = [p for p in _json(openstack("project", "list", "-f", "json")) if p["Name"] == name]
    assert same == [{"ID": first["id"], "Name": name}], same


def test_project_duplicate_message_is_keystones(duplicate_project):
    # keystone/resource/core.py create_project → exception.Conflict(type='project',
    # details=_generate_project_name_conflict_msg(project)); exception.Conflict's format is
    # "Conflict occurred attempting to store %(type)s - %(details)s."
    name, _, again = duplicate_project
    expected = (
        "Conflict occurred attempting to store project - it is not permitted to have two "
        f"projects with the same name in the same domain : {name}."
    )
    _failed(again, expected)


# --------------------------------------------------------------------------------------
# Users and passwords
# --------------------------------------------------------------------------------------

def test_user_create_set_password_delete(glint, openstack):
    project = _new_project(openstack)
    name = _name("user")
    old_pw = "old-" + secrets.token_urlsafe(10)
    new_pw = "new-" + secrets.token_urlsafe(10)

    user = _json(openstack("user", "create", "--password", old_pw, "--project", project["name"],
                           name, "-f", "json"))
    assert HEX32.match(user["id"]), user
    assert user["name"] == name
    assert user["domain_id"] == "default"
    assert user["enabled"] is True
    assert user["default_project_id"] == project["id"], user
    assert "password" not in user, user
    shown = _json(openstack("user", "show", name, "-f", "json"))
    assert shown["id"] == user["id"] and shown["default_project_id"] == project["id"], shown
    openstack("role", "add", "--user", name, "--project", project["name"], "member")

    def token(password: str, check: bool = True):
        return openstack("token", "issue", "--os-username", name, "--os-password", password,
                         "--os-project-name", project["name"], "-f", "json",
                         check=check)

    before = _json(token(old_pw))
    assert before["user_id"] == user["id"] and before["project_id"] == project["id"], before

    openstack("user", "set", "--password", new_pw, name)
    _failed(token(old_pw, check=False), "401")
    after = _json(token(new_pw))
    assert after["user_id"] == user["id"] and after["project_id"] == project["id"], after
    assert after["id"] != before["id"]

    openstack("user", "delete", name)
    _failed(openstack("user", "show", user["id"], check=False), user["id"])
    listed = openstack("user", "list", "-f", "value", "-c", "ID").stdout
    assert user["id"] not in listed.split(), listed
    _failed(token(new_pw, check=False), "401")


def test_password_change_revokes_existing_tokens(glint, openstack):
    # keystone/identity/core.py update_user: a new password persists a revocation event
    # for the user, so tokens issued before the change stop validating.
    project = _new_project(openstack)
    u = _new_member(openstack, project)
    env = _user_env(glint, u["name"], u["password"], project["name"])
    tok = _json(openstack("token", "issue", "-f", "json", env=env))["id"]

    token_env = _without_password(glint, OS_AUTH_TYPE="token", OS_TOKEN=tok,
                                  OS_PROJECT_ID=project["id"])
    shown = _json(openstack("project", "show", project["id"], "-f", "json", env=token_env))
    assert shown["id"] == project["id"], shown

    openstack("user", "set", "--password", "changed-" + secrets.token_urlsafe(8), u["id"])
    _failed(openstack("project", "show", project["id"], "-f", "json", env=token_env,
                      check=False), "401")


# --------------------------------------------------------------------------------------
# Role assignments
# --------------------------------------------------------------------------------------

def test_role_add_assignment_list_remove(openstack):
    project = _new_project(openstack)
    other = _new_project(openstack)
    name = _name("user")
    user = _json(openstack("user", "create", "--password", secrets.token_urlsafe(12), name,
                           "-f", "json"))
    assert _json(openstack("role", "assignment", "list", "--names", "--user", name,
                           "-f", "json")) == []

    openstack("role", "add", "--user", name, "--project", project["name"], "member")
    openstack("role", "add", "--user", name, "--project", other["name"], "reader")

    rows = _json(openstack("role", "assignment", "list", "--names", "--user", name,
                           "-f", "json"))
    got = sorted((r["Role"], r["User"], r["Project"]) for r in rows)
    assert got == sorted([
        ("member", f"{name}@Default", f"{project['name']}@Default"),
        ("reader", f"{name}@Default", f"{other['name']}@Default"),
    ]), rows
    for r in rows:
        assert r["Group"] == "" and r["Domain"] == "" and r["System"] == "", r
        assert r["Inherited"] is False, r

    # Without --names: ids; filtered by project.
    by_project = _json(openstack("role", "assignment", "list", "--user", user["id"],
                                 "--project", project["id"], "-f", "json"))
    member_id = openstack("role", "show", "member", "-f", "value", "-c", "id").stdout.strip()
    assert [(r["Role"], r["User"], r["Project"]) for r in by_project] == [
        (member_id, user["id"], project["id"])], by_project

    openstack("role", "remove", "--user", name, "--project", project["name"], "member")
    rows = _json(openstack("role", "assignment", "list", "--names", "--user", name,
                           "-f", "json"))
    assert [(r["Role"], r["Project"]) for r in rows] == [
        ("reader", f"{other['name']}@Default")], rows
    # Removing it again: Keystone answers the DELETE with 404 RoleAssignmentNotFound
    # (keystone/assignment/backends/sql.py delete_grant). openstacksdk's
    # unassign_project_role_from_user does not raise on it, so the CLI exits 0; the
    # status is read from --debug.
    again = openstack("--debug", "role", "remove", "--user", name, "--project",
                      project["name"], "member", check=False)
    deletes = [(m, p, s) for (m, p, s) in again.requests()
               if m == "DELETE" and "/roles/" in p]
    assert [(s, p.endswith(f"/projects/{project['id']}/users/{user['id']}/roles/{member_id}"))
            for (_, p, s) in deletes] == [(404, True)], deletes


# --------------------------------------------------------------------------------------
# Application credentials
# --------------------------------------------------------------------------------------

def test_application_credential_lifecycle(glint, openstack, member, member_env, workdir):
    # A private image in the member's project, so the app-credential listing proves scope.
    payload = workdir / "appcred.raw"
    payload.write_bytes(secrets.token_bytes(4096))
    image_name = _name("img")
    image = _json(openstack("image", "create", "--disk-format", "raw", "--private",
                            "--file", str(payload), image_name, "-f", "json", env=member_env))
    assert image["owner"] == member["project_id"], image

    cred_name = _name("ac")
    cred = _json(openstack("application", "credential", "create", cred_name, "-f", "json",
                           env=member_env))
    assert HEX32.match(cred["ID"]), cred
    assert cred["Name"] == cred_name
    assert cred["Project ID"] == member["project_id"], cred
    assert cred["Unrestricted"] is False, cred
    assert cred["Secret"], cred
    assert "member" in [r["name"] for r in cred["Roles"]], cred

    listed = _json(openstack("application", "credential", "list", "-f", "json",
                             env=member_env))
    mine = [c for c in listed if c["ID"] == cred["ID"]]
    assert len(mine) == 1, listed
    assert mine[0]["Name"] == cred_name and mine[0]["Project ID"] == member["project_id"]
    assert "Secret" not in mine[0] or not mine[0]["Secret"], mine
    shown = _json(openstack("application", "credential", "show", cred_name, "-f", "json",
                            env=member_env))
    assert shown["ID"] == cred["ID"], shown

    env = _without_password(glint)
    args = _appcred_args(cred["ID"], cred["Secret"])
    images = _json(openstack(*args, "image", "list", "-f", "json", env=env))
    assert image["id"] in [i["ID"] for i in images], images
    tok = _json(openstack(*args, "token", "issue", "-f", "json", env=env))
    assert tok["user_id"] == member["id"] and tok["project_id"] == member["project_id"], tok

    # A wrong secret is refused.
    _failed(openstack(*_appcred_args(cred["ID"], cred["Secret"] + "x"), "image", "list",
                      env=env, check=False), "401")

    openstack("application", "credential", "delete", cred["ID"], env=member_env)
    listed = _json(openstack("application", "credential", "list", "-f", "json",
                             env=member_env))
    assert cred["ID"] not in [c["ID"] for c in listed], listed
    _failed(openstack(*args, "image", "list", "-f", "json", env=env, check=False), "401")


# --------------------------------------------------------------------------------------
# Unified limits
# --------------------------------------------------------------------------------------

def test_bootstrap_registered_limits_exist(openstack, glance_service_id):
    rows = _json(openstack("registered", "limit", "list", "--service", "glance", "-f", "json"))
    names = {r["Resource Name"] for r in rows if r["Service ID"] == glance_service_id}
    assert set(BOOTSTRAP_RESOURCES) <= names, rows


def test_registered_limit_create(openstack, glance_service_id):
    resource = f"acc_resource_{SUFFIX}"
    created = _json(openstack("registered", "limit", "create", "--service", "glance",
                              "--default-limit", "5", "--region", "RegionOne", resource,
                              "-f", "json"))
    assert HEX32.match(created["id"]), created
    assert created["resource_name"] == resource
    assert created["default_limit"] == 5
    assert created["service_id"] == glance_service_id
    assert created["region_id"] == "RegionOne"

    rows = _json(openstack("registered", "limit", "list", "-f", "json"))
    mine = [r for r in rows if r["ID"] == created["id"]]
    assert len(mine) == 1, rows
    assert mine[0]["Resource Name"] == resource and mine[0]["Default Limit"] == 5, mine

    # Same (service, region, resource) again: 409.
    again = openstack("registered", "limit", "create", "--service", "glance",
                      "--default-limit", "7", "--region", "RegionOne", resource, check=False)
    _failed(again, "409", "Conflict")


@pytest.mark.parametrize("resource", BOOTSTRAP_RESOURCES)
def test_registered_limit_duplicate_of_bootstrap_is_409(openstack, resource):
    res = openstack("registered", "limit", "create", "--service", "glance",
                    "--default-limit", "5", "--region", "RegionOne", resource, check=False)
    _failed(res, "409", "Conflict")


def test_registered_limit_duplicate_message_is_keystones(openstack):
    # keystone/limit/backends/sql.py _check_unified_limit_unique →
    # exception.Conflict(type='registered_limit', details='Duplicate entry')
    res = openstack("registered", "limit", "create", "--service", "glance",
                    "--default-limit", "5", "--region", "RegionOne", "image_count_total",
                    check=False)
    _failed(res, "Conflict occurred attempting to store registered_limit - Duplicate entry.")


def test_limit_create_and_list(openstack, glance_service_id):
    project = _new_project(openstack)
    created = _json(openstack("limit", "create", "--project", project["name"],
                              "--service", "glance", "--resource-limit", "3",
                              "--region", "RegionOne", "image_count_total", "-f", "json"))
    assert HEX32.match(created["id"]), created
    assert created["project_id"] == project["id"], created
    assert created["service_id"] == glance_service_id
    assert created["resource_name"] == "image_count_total"
    assert created["resource_limit"] == 3
    assert created["region_id"] == "RegionOne"

    rows = _json(openstack("limit", "list", "-f", "json"))
    mine = [r for r in rows if r["ID"] == created["id"]]
    assert len(mine) == 1, rows
    assert {k: mine[0].get(k) for k in ("Project ID", "Service ID", "Resource Name",
                                        "Resource Limit", "Region ID")} == {
        "Project ID": project["id"], "Service ID": glance_service_id,
        "Resource Name": "image_count_total", "Resource Limit": 3, "Region ID": "RegionOne",
    }, mine

    filtered = _json(openstack("limit", "list", "--project", project["id"], "-f", "json"))
    assert [r["ID"] for r in filtered] == [created["id"]], filtered


def test_limit_duplicate_create_is_409_conflict(openstack):
    # keystone/limit/backends/sql.py create_limits → _check_unified_limit_unique(limit,
    # is_registered_limit=False) → Conflict(type='limit', details='Duplicate entry').
    project = _new_project(openstack)
    args = ["limit", "create", "--project", project["id"], "--service", "glance",
            "--region", "RegionOne", "image_count_total", "-f", "json"]
    first = _json(openstack(*args, "--resource-limit", "3"))
    again = openstack(*args, "--resource-limit", "4", check=False)
    _failed(again, "409", "Conflict")
    rows = _json(openstack("limit", "list", "--project", project["id"], "-f", "json"))
    assert [(r["ID"], r["Resource Limit"]) for r in rows] == [(first["id"], 3)], rows


# --------------------------------------------------------------------------------------
# Catalog, system scope, policy
# --------------------------------------------------------------------------------------

def test_endpoint_list(glint, openstack):
    rows = _json(openstack("endpoint", "list", "-f", "json"))
    got = {}
    for r in rows:
        got.setdefault((r["Service Type"], r["Interface"]), []).append(r)
    for stype, name, url in (("identity", "keystone", glint.identity_url),
                             ("image", "glance", glint.image_url)):
        for interface in ("public", "internal", "admin"):
            eps = got.get((stype, interface), [])
            assert len(eps) == 1, (stype, interface, rows)
            ep = eps[0]
            assert ep["Service Name"] == name, ep
            assert ep["Region"] == "RegionOne", ep
            assert ep["Enabled"] is True, ep
            assert ep["URL"].rstrip("/") in (url, url + "/v3", url + "/v2"), ep

    public = _json(openstack("endpoint", "list", "--interface", "public", "--service", "image",
                             "-f", "json"))
    assert [(r["Service Type"], r["Interface"]) for r in public] == [("image", "public")], public


def test_token_issue_system_scope(glint, openstack):
    admin_id = _json(openstack("token", "issue", "-f", "json"))["user_id"]
    # A project scope in the environment and --os-system-scope together are refused by
    # keystoneauth itself, so the project variables go.
    env = glint.os_env()
    env.pop("OS_PROJECT_NAME")
    env.pop("OS_PROJECT_DOMAIN_NAME")
    res = openstack("token", "issue", "--os-system-scope", "all", "-f", "json", env=env)
    tok = _json(res)
    assert tok.get("system") == "all", tok
    assert "project_id" not in tok, tok
    assert tok["user_id"] == admin_id, tok

    debug = openstack("--debug", "--os-system-scope", "all", "token", "issue", "-f", "json",
                      env=env)
    bodies = [json.loads(line) for line in debug.stderr.splitlines()
              if line.startswith('{"token":')]
    assert bodies, debug.describe()
    body = bodies[-1]["token"]
    assert body["system"] == {"all": True}, body
    assert "project" not in body and "domain" not in body, body
    assert "admin" in [r["name"] for r in body["roles"]], body

    # The system-scoped admin can administer: list users.
    users = openstack("--os-system-scope", "all", "user", "list", "-f", "value", "-c", "Name",
                      env=env).stdout.split()
    assert "admin" in users, users


def test_member_cannot_create_project(openstack, member_env):
    name = _name("forbidden")
    res = openstack("project", "create", name, env=member_env, check=False)
    _failed(res, "403")
    listed = openstack("project", "list", "-f", "value", "-c", "Name").stdout.split()
    assert name not in listed, listed


def test_member_cannot_list_users(openstack, member_env):
    res = openstack("user", "list", env=member_env, check=False)
    _failed(res, "403")
    assert res.stdout.strip() == "", res.describe()


def test_member_forbidden_messages_name_keystones_rules(openstack, member_env):
    # keystone/common/policies/project.py and user.py: identity:create_project,
    # identity:list_users; exception.ForbiddenAction's format is
    # "You are not authorized to perform the requested action: %(action)s."
    res = openstack("project", "create", _name("forbidden"), env=member_env, check=False)
    _failed(res, "You are not authorized to perform the requested action: "
                 "identity:create_project.")
    res = openstack("user", "list", env=member_env, check=False)
    _failed(res, "You are not authorized to perform the requested action: "
                 "identity:list_users.")


def test_member_can_still_read_own_project(openstack, member, member_env):
    # The 403s above are policy, not a broken login: the same user reads its project.
    shown = _json(openstack("project", "show", member["project_id"], "-f", "json",
                            env=member_env))
    assert shown["id"] == member["project_id"], shown
