"""python-glanceclient's `glance` CLI scenarios against a real `glint serve`."""

from __future__ import annotations

import hashlib
import secrets

import pytest

DATA = b"glance cli payload " * 64


@pytest.fixture
def payload(tmp_path):
    path = tmp_path / "payload.raw"
    path.write_bytes(DATA)
    return path


def _create(glance, name, payload, *extra):
    res = glance("image-create", "--disk-format", "raw", "--container-format", "bare",
                 "--file", payload, "--name", name, *extra)
    table = res.table()
    assert table.get("name") == name, res.describe()
    return table


def test_image_create_show_list_delete(glance, payload, unique):
    table = _create(glance, unique, payload)
    image_id = table["id"]
    assert table["status"] == "active"
    assert table["size"] == str(len(DATA))
    assert table["checksum"] == hashlib.md5(DATA).hexdigest()
    assert table["os_hash_algo"] == "sha512"
    assert table["os_hash_value"] == hashlib.sha512(DATA).hexdigest()
    assert table["disk_format"] == "raw" and table["container_format"] == "bare"

    shown = glance("image-show", image_id).table()
    assert shown["id"] == image_id and shown["name"] == unique

    listed = glance("image-list", "--property-filter", f"name={unique}").rows()
    assert [r[0] for r in listed] == [image_id]
    assert listed[0][1] == unique

    glance("image-delete", image_id)
    res = glance("image-show", image_id, check=False)
    assert res.returncode != 0
    assert "404" in res.stderr or "No image with" in res.stderr, res.describe()
    assert glance("image-list", "--property-filter", f"name={unique}").rows() == []


def test_image_update_properties(glance, payload, unique):
    image_id = _create(glance, unique, payload)["id"]
    try:
        t = glance("image-update", "--property", "os_distro=ubuntu", "--property",
                   "custom_key=v1", "--min-ram", "512", image_id).table()
        assert t["os_distro"] == "ubuntu"
        assert t["custom_key"] == "v1"
        assert t["min_ram"] == "512"
        t = glance("image-update", "--property", "custom_key=v2", "--name", f"{unique}-2",
                   image_id).table()
        assert t["custom_key"] == "v2" and t["name"] == f"{unique}-2"
        t = glance("image-update", "--remove-property", "custom_key", image_id).table()
        assert "custom_key" not in t
        assert glance("image-show", image_id).table()["os_distro"] == "ubuntu"
        # filter on a custom property
        rows = glance("image-list", "--property-filter", "os_distro=ubuntu").rows()
        assert image_id in [r[0] for r in rows]
    finally:
        glance("image-delete", image_id, check=False)


def test_image_update_read_only_property_fails(glance, payload, unique):
    image_id = _create(glance, unique, payload)["id"]
    try:
        res = glance("image-update", "--property", "os_glance_foo=bar", image_id, check=False)
        assert res.returncode != 0, res.describe()
        assert "403" in res.stderr or "forbidden" in res.stderr.lower(), res.describe()
    finally:
        glance("image-delete", image_id, check=False)


def test_image_tags(glance, payload, unique):
    image_id = _create(glance, unique, payload)["id"]
    try:
        glance("image-tag-update", image_id, "alpha")
        glance("image-tag-update", image_id, "beta")
        tags = glance("image-show", image_id).table()["tags"]
        assert "alpha" in tags and "beta" in tags
        rows = glance("image-list", "--tag", "alpha", "--tag", "beta").rows()
        assert image_id in [r[0] for r in rows]
        glance("image-tag-delete", image_id, "alpha")
        tags = glance("image-show", image_id).table()["tags"]
        assert "alpha" not in tags and "beta" in tags
        res = glance("image-tag-delete", image_id, "alpha", check=False)
        assert res.returncode != 0, res.describe()
    finally:
        glance("image-delete", image_id, check=False)


def test_image_download(glance, payload, unique, tmp_path):
    image_id = _create(glance, unique, payload)["id"]
    try:
        out = tmp_path / "downloaded.raw"
        glance("image-download", "--file", out, image_id)
        assert out.read_bytes() == DATA
    finally:
        glance("image-delete", image_id, check=False)


def test_image_create_without_data_then_upload(glance, payload, unique, tmp_path):
    # no --file and no stdin: glanceclient creates the record only (status queued)
    t = glance("image-create", "--disk-format", "raw", "--container-format", "bare",
               "--name", unique, "--visibility", "private").table()
    image_id = t["id"]
    try:
        assert t["status"] == "queued"
        glance("image-upload", "--file", payload, image_id)
        t = glance("image-show", image_id).table()
        assert t["status"] == "active" and t["size"] == str(len(DATA))
        res = glance("image-upload", "--file", payload, image_id, check=False)
        assert res.returncode != 0 and "409" in (res.stderr + res.stdout), res.describe()
    finally:
        glance("image-delete", image_id, check=False)


def test_members(glance, glint, alt, payload, unique):
    image_id = _create(glance, unique, payload, "--visibility", "shared")["id"]
    alt_env = glint.os_env(alt.username, alt.password, alt.project_name)
    try:
        t = glance("member-create", image_id, alt.project_id).rows()
        assert t and t[0][0] == image_id and t[0][1] == alt.project_id and t[0][2] == "pending"
        rows = glance("member-list", "--image-id", image_id).rows()
        assert [(r[1], r[2]) for r in rows] == [(alt.project_id, "pending")]
        # the member sees it by id, accepts it, then sees it in its list
        assert glance("image-show", image_id, env=alt_env).table()["id"] == image_id
        rows = glance("image-list", env=alt_env).rows()
        assert image_id not in [r[0] for r in rows]
        t = glance("member-update", image_id, alt.project_id, "accepted", env=alt_env).rows()
        assert t[0][2] == "accepted"
        rows = glance("image-list", env=alt_env).rows()
        assert image_id in [r[0] for r in rows]
        rows = glance("image-list", "--member-status", "accepted", "--visibility", "shared",
                      env=alt_env).rows()
        assert image_id in [r[0] for r in rows]
        # only the owner may add members
        res = glance("member-create", image_id, alt.project_id, env=alt_env, check=False)
        assert res.returncode != 0, res.describe()
        glance("member-delete", image_id, alt.project_id)
        assert glance("member-list", "--image-id", image_id).rows() == []
        res = glance("image-show", image_id, env=alt_env, check=False)
        assert res.returncode != 0, res.describe()
    finally:
        glance("image-delete", image_id, check=False)


def test_member_create_on_private_image_fails(glance, alt, payload, unique):
    image_id = _create(glance, unique, payload, "--visibility", "private")["id"]
    try:
        res = glance("member-create", image_id, alt.project_id, check=False)
        assert res.returncode != 0, res.describe()
        assert "403" in res.stderr or "forbidden" in res.stderr.lower(), res.describe()
    finally:
        glance("image-delete", image_id, check=False)


def test_deactivate_reactivate(glance, payload, unique):
    image_id = _create(glance, unique, payload)["id"]
    try:
        glance("image-deactivate", image_id)
        assert glance("image-show", image_id).table()["status"] == "deactivated"
        glance("image-reactivate", image_id)
        assert glance("image-show", image_id).table()["status"] == "active"
    finally:
        glance("image-delete", image_id, check=False)


def test_protected_delete_refused(glance, payload, unique):
    image_id = _create(glance, unique, payload, "--protected", "True")["id"]
    try:
        res = glance("image-delete", image_id, check=False)
        assert res.returncode != 0, res.describe()
        out = (res.stderr + res.stdout).lower()
        # glanceclient turns Glance's 403 into "You are not permitted to delete the image"
        assert "not permitted" in out or "protected" in out, res.describe()
        assert glance("image-show", image_id).table()["id"] == image_id
    finally:
        glance("image-update", "--protected", "False", image_id, check=False)
        glance("image-delete", image_id, check=False)


def test_delete_missing_image(glance):
    missing = "00000000-0000-4000-8000-" + secrets.token_hex(6)
    res = glance("image-delete", missing, check=False)
    assert res.returncode != 0, res.describe()
    assert "No image with an ID of" in res.stderr or "404" in res.stderr, res.describe()


def test_schema_driven_help_and_list_sorting(glance, payload, unique):
    a = _create(glance, f"{unique}-a", payload)["id"]
    b = _create(glance, f"{unique}-b", payload)["id"]
    try:
        rows = glance("image-list", "--sort", "name:desc", "--page-size", "1").rows()
        ids = [r[0] for r in rows]
        assert ids.index(b) < ids.index(a)
        assert len(ids) == len(set(ids))
        # `glance image-create --help`-style schema use: the image schema fetched from glint
        out = glance("help", "image-create").stdout
        assert "--disk-format" in out and "qcow2" in out
    finally:
        for i in (a, b):
            glance("image-delete", i, check=False)


def test_metadefs_catalogue_and_namespace_crud(glance, unique):
    # Read: the catalogue loaded at start-up (resource types, namespaces, one namespace).
    types = [r[0] for r in glance("md-resource-type-list").rows()]
    assert "OS::Glance::Image" in types and "OS::Nova::Flavor" in types
    names = [r[0] for r in glance("md-namespace-list").rows()]
    assert "OS::Compute::Hypervisor" in names
    shown = glance("md-namespace-show", "OS::Compute::Hypervisor").table()
    assert shown.get("namespace") == "OS::Compute::Hypervisor", shown
    # Write: an admin creates a namespace, adds a property and an object, deletes it.
    ns = f"Glint::Cli{unique.replace('-', '')}"
    created = glance("md-namespace-create", ns, "--visibility", "public").table()
    assert created.get("namespace") == ns and created.get("visibility") == "public", created
    try:
        glance("md-property-create", ns, "--name", "cores", "--title", "Cores", "--type", "integer",
               "--schema", '{"type": "integer", "default": 2}')
        prop = glance("md-property-show", ns, "cores").table()
        assert prop.get("default") == "2", prop  # Glance keeps defaults as text
        glance("md-object-create", ns, "--name", "Box", "--schema", '{"description": "a box"}')
        objects = [r[0] for r in glance("md-object-list", ns).rows()]
        assert objects == ["Box"], objects
    finally:
        glance("md-namespace-delete", ns, check=False)
    res = glance("md-namespace-show", ns, check=False)
    assert res.returncode != 0, res.describe()
