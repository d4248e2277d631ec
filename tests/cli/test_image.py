"""`openstack image …` vs `glint image …`: the same argv through both clients, same cloud.

Runs against a fresh `glint serve`, and additionally against the genuine Keystone + Glance
(refstack) only when GLINT_CLI_REFERENCE=1 is set (see conftest.py).

Read-only commands run both clients on the same image and compare byte for byte. Mutating
commands run each client on its own twin image (created identically through the API, names
of the same length) and compare the outputs with the twins' ids/names mapped to the same
placeholder, then compare the resulting images as `openstack image show -f json` reports
them. Timestamps and request ids are normalised everywhere.
"""

from __future__ import annotations

import json
import os

import pytest

from conftest import PREFIX, assert_same, normalise, pair_subs


def twins(api, uid, tag="x", data=None, **fields):
    """Two identical images, one for openstack ("…-os") and one for glint ("…-gl")."""
    a = api.create(f"{PREFIX}{uid}-{tag}-os", data=data, **fields)
    b = api.create(f"{PREFIX}{uid}-{tag}-gl", data=data, **fields)
    return a, b


def twin_subs(a, b):
    return pair_subs([a["id"], a["name"]], [b["id"], b["name"]], "I")


def assert_same_state(run, a, b):
    """Both twins look the same to `openstack image show -f json` (except id/name/times)."""
    sa = run.os("image", "show", "-f", "json", a["id"], check=True)
    sb = run.os("image", "show", "-f", "json", b["id"], check=True)
    os_subs, gl_subs = twin_subs(a, b)
    ja = json.loads(normalise(sa.stdout, os_subs))
    jb = json.loads(normalise(sb.stdout, gl_subs))
    assert jb == ja, f"openstack's image set on A vs glint's on B left different images:\n" \
                     f"{sa.stdout}\n{sb.stdout}"


# --------------------------------------------------------------------------------------
# create
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["json", "value", "table", "yaml", "shell"])
def test_create_with_file_and_options(run, api, uid, fmt, tmp_path):
    data = tmp_path / "disk.raw"
    data.write_bytes(os.urandom(300_000))
    args = ["--disk-format", "raw", "--container-format", "bare", "--min-disk", "1",
            "--min-ram", "64", "--property", "k1=v1", "--property", "k2=v 2",
            "--tag", "t1", "--tag", "t2", "--file", str(data), "--public"]
    na, nb = f"{PREFIX}{uid}-os", f"{PREFIX}{uid}-gl"
    o = run.os("image", "create", "-f", fmt, *args, na)
    g = run.gl("image", "create", "-f", fmt, *args, nb)
    ia = api_id_by_name(api, na)
    ib = api_id_by_name(api, nb)
    os_subs, gl_subs = pair_subs([ia, na], [ib, nb], "I")
    assert_same(o, g, os_subs, gl_subs)
    assert_same_state(run, api.get(ia), api.get(ib))


def test_create_defaults_and_field_set(run, api, uid):
    """A bare `image create NAME`: same fields, same values except id/created/updated."""
    na, nb = f"{PREFIX}{uid}-os", f"{PREFIX}{uid}-gl"
    o = run.os("image", "create", "-f", "json", na, check=True)
    g = run.gl("image", "create", "-f", "json", nb, check=True)
    jo, jg = o.json(), g.json()
    assert set(jg) == set(jo), (sorted(jo), sorted(jg))
    assert set(jg["properties"]) == set(jo["properties"]), (jo["properties"], jg["properties"])
    skip = {"id", "created_at", "updated_at", "name", "file", "self", "properties"}
    for k in set(jo) - skip:
        assert jg[k] == jo[k], (k, jo[k], jg[k])
    for k, v in jo["properties"].items():
        if k == "owner_specified.openstack.object":
            assert jg["properties"][k] == f"images/{nb}"
        else:
            assert jg["properties"][k] == v, (k, v, jg["properties"][k])
    assert jg["id"] != jo["id"] and jg["file"] == f"/v2/images/{jg['id']}/file"
    # same JSON text apart from id/name/timestamps (key order included)
    os_subs, gl_subs = pair_subs([jo["id"], na], [jg["id"], nb], "I")
    assert_same(o, g, os_subs, gl_subs)


def api_id_by_name(api, name):
    from conftest import http
    st, _, body = http("GET", f"{api.image}/v2/images?name={name}", token=api.token)
    assert st == 200 and len(body["images"]) == 1, (name, body)
    return body["images"][0]["id"]


def test_create_bad_file(run, uid):
    """--file pointing nowhere: both fail the same way, nothing created."""
    o, g = run.both("image", "create", "--file", "/nonexistent/disk.raw", f"{PREFIX}{uid}")
    assert o.returncode != 0
    assert_same(o, g)


# --------------------------------------------------------------------------------------
# show
# --------------------------------------------------------------------------------------

@pytest.fixture
def shown(api, uid):
    return api.create(f"{PREFIX}{uid}-show", data=b"hello glint\n" * 1000,
                      min_disk=1, tags=["a", "b"], visibility="private",
                      **{"k1": "v1", "zz": "last", "aa": "first"})


@pytest.mark.parametrize("fmt", ["json", "value", "table", "yaml", "shell"])
@pytest.mark.parametrize("by", ["name", "id"])
def test_show_formats(run, shown, fmt, by):
    o, g = run.both("image", "show", "-f", fmt, shown[by])
    assert o.returncode == 0
    assert_same(o, g)


@pytest.mark.parametrize("cols", [["name"], ["status", "id"], ["properties", "tags"],
                                  ["size", "checksum", "visibility"]])
@pytest.mark.parametrize("fmt", ["table", "value", "json"])
def test_show_columns(run, shown, cols, fmt):
    sel = [x for c in cols for x in ("-c", c)]
    o, g = run.both("image", "show", "-f", fmt, *sel, shown["name"])
    assert o.returncode == 0
    assert_same(o, g)


@pytest.mark.parametrize("extra", [["--noindent", "-f", "json"], ["--max-width", "60"],
                                   ["--human-readable"]])
def test_show_options(run, shown, extra):
    o, g = run.both("image", "show", *extra, shown["name"])
    assert o.returncode == 0
    assert_same(o, g)


def test_show_no_cache(run, shown):
    o = run.os("image", "show", "-f", "json", shown["name"])
    g = run.gl("image", "show", "-f", "json", shown["name"], cache=False)
    assert_same(o, g)
    assert not run.cache_dir.exists() or not any(run.cache_dir.rglob("*")), \
        f"--no-cache wrote {list(run.cache_dir.rglob('*'))}"


def test_show_missing(run, uid):
    o, g = run.both("image", "show", f"{PREFIX}{uid}-missing")
    assert o.returncode == 1
    assert_same(o, g)


def test_show_missing_uuid(run):
    o, g = run.both("image", "show", "01234567-89ab-cdef-0123-456789abcdef")
    assert o.returncode == 1
    assert_same(o, g)


def test_show_duplicate_name(run, api, uid):
    name = f"{PREFIX}{uid}-dup"
    api.create(name)
    api.create(name)
    o, g = run.both("image", "show", name)
    assert o.returncode == 1
    assert f"More than one Image exists with the name '{name}'" in o.stderr
    assert_same(o, g)


def test_show_hidden_by_name(run, api, uid):
    img = api.create(f"{PREFIX}{uid}-hidden", os_hidden=True)
    o, g = run.both("image", "show", "-f", "json", img["name"])
    assert o.returncode == 0
    assert_same(o, g)


# --------------------------------------------------------------------------------------
# list
# --------------------------------------------------------------------------------------

@pytest.fixture
def listed(api, uid):
    """Three images sharing a unique tag (so lists on a shared cloud are scoped)."""
    tag = f"lt{uid}"
    imgs = [
        api.create(f"{PREFIX}{uid}-l1", data=b"x" * 1024, tags=[tag], k="1"),
        api.create(f"{PREFIX}{uid}-l2", tags=[tag, "other"], visibility="public", k="2"),
        api.create(f"{PREFIX}{uid}-l3", tags=[tag], visibility="community"),
    ]
    return tag, imgs


@pytest.mark.parametrize("fmt", ["table", "json", "value", "csv", "yaml"])
@pytest.mark.parametrize("opts", [[], ["--long"], ["-c", "Name"], ["-c", "Status", "-c", "ID"],
                                  ["--sort", "name:desc"], ["--property", "k=2"],
                                  ["--public"], ["--community"], ["--private"], ["--shared"],
                                  ["--limit", "1"]])
def test_list(run, listed, fmt, opts):
    tag, _ = listed
    o, g = run.both("image", "list", "--tag", tag, "-f", fmt, *opts)
    assert o.returncode == 0
    assert_same(o, g)


def test_list_by_name(run, listed):
    _, imgs = listed
    o, g = run.both("image", "list", "--name", imgs[0]["name"])
    assert imgs[0]["id"] in o.stdout
    assert_same(o, g)


def test_list_unfiltered_as_demo(run, cloud, api, uid):
    """The whole list as the non-admin user (sees its own and public images only).
    On the shared reference cloud a concurrent writer may change the list between the two
    runs; retried a few times, a persistent difference still fails."""
    from conftest import Api  # noqa: F401
    for _ in range(3):
        o, g = run.both("image", "list", user=cloud.demo)
        if o.stdout == g.stdout:
            break
    assert o.returncode == 0
    assert_same(o, g)


# --------------------------------------------------------------------------------------
# set / unset
# --------------------------------------------------------------------------------------

SET_CASES = {
    "property": ["--property", "k1=v1", "--property", "k2=two words"],
    "tag": ["--tag", "t1", "--tag", "t2"],
    "protected": ["--protected"],
    "public": ["--public"],
    "private": ["--private"],
    "shared": ["--shared"],
    "community": ["--community"],
    "misc": ["--min-disk", "3", "--min-ram", "128"],
    "formats": ["--disk-format", "qcow2", "--container-format", "ovf"],
    "deactivate": ["--deactivate"],
    "hidden": ["--hidden"],
}


@pytest.mark.parametrize("case", list(SET_CASES))
def test_set(run, api, uid, case):
    # formats can only be changed while the image is queued (no data)
    data = None if case == "formats" else b"0123456789" * 100
    a, b = twins(api, uid, data=data, tags=["t0"], old="x")
    o = run.os("image", "set", *SET_CASES[case], a["name"])
    g = run.gl("image", "set", *SET_CASES[case], b["name"])
    os_subs, gl_subs = twin_subs(a, b)
    assert o.returncode == 0, o.describe()
    assert_same(o, g, os_subs, gl_subs)
    assert_same_state(run, a, b)


@pytest.mark.parametrize("first,then", [(["--protected"], ["--unprotected"]),
                                        (["--deactivate"], ["--activate"]),
                                        (["--tag", "n1"], ["--tag", "n2", "--property", "p=q"]),
                                        (["--public"], ["--private"])])
def test_set_and_revert(run, api, uid, first, then):
    a, b = twins(api, uid, data=b"abc" * 1000)
    os_subs, gl_subs = twin_subs(a, b)
    for argv in (first, then):
        o = run.os("image", "set", *argv, a["id"])
        g = run.gl("image", "set", *argv, b["id"])
        assert o.returncode == 0, o.describe()
        assert_same(o, g, os_subs, gl_subs)
    assert_same_state(run, a, b)


def test_set_rename(run, api, uid):
    a, b = twins(api, uid)
    o = run.os("image", "set", "--name", f"{PREFIX}{uid}-renamed-os", a["name"])
    g = run.gl("image", "set", "--name", f"{PREFIX}{uid}-renamed-gl", b["name"])
    assert_same(o, g, *twin_subs(a, b))
    assert api.get(b["id"])["name"] == f"{PREFIX}{uid}-renamed-gl"


def test_set_missing(run, uid):
    o, g = run.both("image", "set", "--property", "a=b", f"{PREFIX}{uid}-missing")
    assert o.returncode == 1
    assert_same(o, g)


def test_unset(run, api, uid):
    a, b = twins(api, uid, tags=["t1", "t2"], k1="v1", k2="v2")
    o = run.os("image", "unset", "--tag", "t1", "--property", "k1", a["name"])
    g = run.gl("image", "unset", "--tag", "t1", "--property", "k1", b["name"])
    assert o.returncode == 0, o.describe()
    assert_same(o, g, *twin_subs(a, b))
    assert_same_state(run, a, b)


def test_unset_nonexistent(run, api, uid):
    a, b = twins(api, uid, tags=["t1"], k1="v1")
    argv = ["--tag", "nosuchtag", "--property", "nosuchprop", "--property", "k1"]
    o = run.os("image", "unset", *argv, a["name"])
    g = run.gl("image", "unset", *argv, b["name"])
    assert o.returncode == 1, o.describe()
    assert_same(o, g, *twin_subs(a, b))
    assert_same_state(run, a, b)


# --------------------------------------------------------------------------------------
# save
# --------------------------------------------------------------------------------------

def test_save_file(run, api, uid, tmp_path):
    payload = os.urandom(2_500_000)
    img = api.create(f"{PREFIX}{uid}-save", data=payload)
    o = run.os("image", "save", "--file", str(tmp_path / "os.raw"), img["name"])
    g = run.gl("image", "save", "--file", str(tmp_path / "gl.raw"), img["name"])
    assert_same(o, g)
    assert (tmp_path / "os.raw").read_bytes() == payload
    assert (tmp_path / "gl.raw").read_bytes() == payload


def test_save_stdout(run, api, uid):
    payload = b"plain text image\n" * 5000
    img = api.create(f"{PREFIX}{uid}-save", data=payload)
    o, g = run.both("image", "save", img["id"])
    assert o.stdout.encode() == payload
    assert_same(o, g)


def test_save_missing(run, uid, tmp_path):
    o = run.os("image", "save", "--file", str(tmp_path / "o"), f"{PREFIX}{uid}-missing")
    g = run.gl("image", "save", "--file", str(tmp_path / "o"), f"{PREFIX}{uid}-missing")
    assert o.returncode == 1
    assert_same(o, g)


def test_save_no_data(run, api, uid, tmp_path):
    """An image in `queued` (no data): OSC and glint fail the same way."""
    img = api.create(f"{PREFIX}{uid}-queued")
    o = run.os("image", "save", "--file", str(tmp_path / "o"), img["name"])
    g = run.gl("image", "save", "--file", str(tmp_path / "g"), img["name"])
    assert_same(o, g)


# --------------------------------------------------------------------------------------
# delete
# --------------------------------------------------------------------------------------

def test_delete_by_name_and_id(run, api, uid):
    a, b = twins(api, uid)
    o = run.os("image", "delete", a["name"])
    g = run.gl("image", "delete", b["name"])
    assert o.returncode == 0
    assert_same(o, g, *twin_subs(a, b))
    assert api.status(a["id"]) == 404 and api.status(b["id"]) == 404
    a, b = twins(api, uid, "y")
    o = run.os("image", "delete", a["id"])
    g = run.gl("image", "delete", b["id"])
    assert_same(o, g, *twin_subs(a, b))
    assert api.status(a["id"]) == 404 and api.status(b["id"]) == 404


def test_delete_several(run, api, uid):
    a1, b1 = twins(api, uid, "1")
    a2, b2 = twins(api, uid, "2")
    o = run.os("image", "delete", a1["name"], a2["id"])
    g = run.gl("image", "delete", b1["name"], b2["id"])
    os_subs, gl_subs = pair_subs([a1["id"], a1["name"], a2["id"], a2["name"]],
                                 [b1["id"], b1["name"], b2["id"], b2["name"]], "I")
    assert_same(o, g, os_subs, gl_subs)
    for i in (a1, a2, b1, b2):
        assert api.status(i["id"]) == 404


def test_delete_missing(run, uid):
    """OSC 10.5 prints "Multi Backend support not enabled." for a missing image (its
    `except ResourceNotFound`, meant for --store, catches find_image's NotFoundException;
    shared/reference/clients.md §2). The issue asks glint not to copy this: it prints OSC's
    per-image failure line with the real reason plus OSC's summary line, exit 1 as OSC."""
    missing = f"{PREFIX}{uid}-missing"
    o, g = run.both("image", "delete", missing)
    assert (o.returncode, o.stderr) == (1, "Multi Backend support not enabled.\n"), o.describe()
    assert (g.returncode, g.stdout) == (1, ""), g.describe()
    assert g.stderr.splitlines() == [
        f"Failed to delete image with name or ID '{missing}': No Image found for {missing}",
        "Failed to delete 1 of 1 images.",
    ], g.describe()


def test_delete_missing_in_the_middle(run, api, uid):
    """`delete good missing good2`.

    OSC 10.5 prints "Multi Backend support not enabled." and stops at the missing image
    (its `except ResourceNotFound`, meant for --store, also catches find_image's
    NotFoundException; see shared/reference/clients.md §2). The issue says not to copy
    that bug: glint reports the missing image in OSC's per-image format, keeps going,
    deletes good2, and ends with OSC's summary line and exit 1."""
    a1, b1 = twins(api, uid, "1")
    a2, b2 = twins(api, uid, "2")
    missing = f"{PREFIX}{uid}-missing"
    o = run.os("image", "delete", a1["name"], missing, a2["name"])
    g = run.gl("image", "delete", b1["name"], missing, b2["name"])
    # OSC's bug, as documented (pinned version):
    assert o.returncode == 1 and o.stderr.strip() == "Multi Backend support not enabled.", \
        o.describe()
    assert api.status(a1["id"]) == 404 and api.status(a2["id"]) == 200
    # glint's corrected behaviour:
    assert g.returncode == 1, g.describe()
    assert g.stdout == ""
    assert g.stderr.splitlines() == [
        f"Failed to delete image with name or ID '{missing}': No Image found for {missing}",
        "Failed to delete 1 of 3 images.",
    ], g.describe()
    assert api.status(b1["id"]) == 404 and api.status(b2["id"]) == 404


def test_delete_protected(run, api, uid):
    a, b = twins(api, uid, protected=True)
    o = run.os("image", "delete", a["name"])
    g = run.gl("image", "delete", b["name"])
    assert o.returncode == 1
    assert "Failed to delete 1 of 1 images." in o.stderr
    assert_same(o, g, *twin_subs(a, b))
    assert api.status(a["id"]) == 200 and api.status(b["id"]) == 200


def test_delete_protected_among_others(run, api, uid):
    """A server-side failure (403) does not stop OSC's loop: the next image is deleted."""
    a1, b1 = twins(api, uid, "1", protected=True)
    a2, b2 = twins(api, uid, "2")
    o = run.os("image", "delete", a1["name"], a2["name"])
    g = run.gl("image", "delete", b1["name"], b2["name"])
    os_subs, gl_subs = pair_subs([a1["id"], a1["name"], a2["id"], a2["name"]],
                                 [b1["id"], b1["name"], b2["id"], b2["name"]], "I")
    assert o.returncode == 1
    assert_same(o, g, os_subs, gl_subs)
    assert api.status(a2["id"]) == 404 and api.status(b2["id"]) == 404


def test_delete_duplicate_name(run, api, uid):
    name = f"{PREFIX}{uid}-dup"
    x, y = api.create(name), api.create(name)
    o, g = run.both("image", "delete", name)
    assert o.returncode == 1
    assert f"More than one Image exists with the name '{name}'" in o.stderr
    assert_same(o, g)
    assert api.status(x["id"]) == 200 and api.status(y["id"]) == 200


# --------------------------------------------------------------------------------------
# members: add project / remove project / member list / set --accept|--reject|--pending
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["table", "json", "value"])
@pytest.mark.parametrize("project_by", ["name", "id"])
def test_add_project(run, cloud, api, uid, fmt, project_by):
    a, b = twins(api, uid, visibility="shared")
    project = cloud.demo.project if project_by == "name" else cloud.demo.project_id
    o = run.os("image", "add", "project", "-f", fmt, a["name"], project)
    g = run.gl("image", "add", "project", "-f", fmt, b["name"], project)
    assert o.returncode == 0, o.describe()
    assert_same(o, g, *twin_subs(a, b))
    assert [m["member_id"] for m in api.members(b["id"])] == [cloud.demo.project_id]


def test_add_project_twice_and_public(run, cloud, api, uid):
    a, b = twins(api, uid, visibility="shared")
    api.add_member(a["id"], cloud.demo.project_id)
    api.add_member(b["id"], cloud.demo.project_id)
    o = run.os("image", "add", "project", a["name"], cloud.demo.project_id)
    g = run.gl("image", "add", "project", b["name"], cloud.demo.project_id)
    assert o.returncode == 1
    assert_same(o, g, *twin_subs(a, b))
    a, b = twins(api, uid, "p", visibility="public")
    o = run.os("image", "add", "project", a["name"], cloud.demo.project_id)
    g = run.gl("image", "add", "project", b["name"], cloud.demo.project_id)
    assert o.returncode == 1
    assert_same(o, g, *twin_subs(a, b))


def test_remove_project(run, cloud, api, uid):
    a, b = twins(api, uid, visibility="shared")
    api.add_member(a["id"], cloud.demo.project_id)
    api.add_member(b["id"], cloud.demo.project_id)
    o = run.os("image", "remove", "project", a["name"], cloud.demo.project)
    g = run.gl("image", "remove", "project", b["name"], cloud.demo.project)
    assert o.returncode == 0, o.describe()
    assert_same(o, g, *twin_subs(a, b))
    assert api.members(b["id"]) == []
    # again: not a member any more (the SDK's remove_member ignores a missing member)
    o = run.os("image", "remove", "project", a["name"], cloud.demo.project)
    g = run.gl("image", "remove", "project", b["name"], cloud.demo.project)
    assert_same(o, g, *twin_subs(a, b))


@pytest.mark.parametrize("fmt", ["table", "json", "value", "csv"])
def test_member_list(run, cloud, api, uid, fmt):
    img = api.create(f"{PREFIX}{uid}-members", visibility="shared")
    api.add_member(img["id"], cloud.demo.project_id)
    o, g = run.both("image", "member", "list", "-f", fmt, img["name"])
    assert o.returncode == 0 and cloud.demo.project_id in o.stdout
    assert_same(o, g)
    o, g = run.both("image", "member", "list", "-f", fmt, "-c", "Status", img["id"])
    assert_same(o, g)


def test_member_list_empty_and_missing(run, api, uid):
    img = api.create(f"{PREFIX}{uid}-nomembers", visibility="shared")
    o, g = run.both("image", "member", "list", img["name"])
    assert_same(o, g)
    o, g = run.both("image", "member", "list", f"{PREFIX}{uid}-missing")
    assert o.returncode == 1
    assert_same(o, g)


@pytest.mark.parametrize("steps", [["--accept"], ["--reject"], ["--accept", "--pending"],
                                   ["--reject", "--accept"]])
def test_member_status_as_demo(run, cloud, api, uid, steps):
    """The member (non-admin demo user) accepts/rejects/pends an image shared with it,
    addressing it by id (a pending image is not in the member's name listing)."""
    a, b = twins(api, uid, visibility="shared")
    api.add_member(a["id"], cloud.demo.project_id)
    api.add_member(b["id"], cloud.demo.project_id)
    for step in steps:
        o = run.os("image", "set", step, a["id"], user=cloud.demo)
        g = run.gl("image", "set", step, b["id"], user=cloud.demo)
        assert o.returncode == 0, o.describe()
        assert_same(o, g, *twin_subs(a, b))
        sa = api.members(a["id"])[0]["status"]
        sb = api.members(b["id"])[0]["status"]
        assert sb == sa == {"--accept": "accepted", "--reject": "rejected",
                            "--pending": "pending"}[step]
    # and the member's view of the list is the same through both clients
    o = run.os("image", "member", "list", a["id"], user=cloud.demo)
    g = run.gl("image", "member", "list", b["id"], user=cloud.demo)
    assert_same(o, g, *twin_subs(a, b))


def test_member_status_by_name_after_accept(run, cloud, api, uid):
    a, b = twins(api, uid, visibility="shared")
    for i in (a, b):
        api.add_member(i["id"], cloud.demo.project_id)
    run.os("image", "set", "--accept", a["id"], user=cloud.demo, check=True)
    run.gl("image", "set", "--accept", b["id"], user=cloud.demo, check=True)
    o = run.os("image", "show", "-f", "json", a["name"], user=cloud.demo)
    g = run.gl("image", "show", "-f", "json", b["name"], user=cloud.demo)
    assert o.returncode == 0, o.describe()
    assert_same(o, g, *twin_subs(a, b))
    o = run.os("image", "list", "--shared", "--name", a["name"], user=cloud.demo)
    g = run.gl("image", "list", "--shared", "--name", b["name"], user=cloud.demo)
    assert a["id"] in o.stdout
    assert_same(o, g, *twin_subs(a, b))
