"""openstacksdk (`openstack.connect(...)`) scenarios against a real `glint serve`."""

from __future__ import annotations

import hashlib
import shutil
import subprocess

import pytest
from openstack import exceptions

DATA = b"glint client scenario payload\n" * 100


def _wait_active(conn, image, timeout=60):
    return conn.image.wait_for_status(image, status="active", failures=["killed"],
                                      wait=timeout, interval=0.2)


# --------------------------------------------------------------------------------------
# Image: create / list / find / update / download / delete
# --------------------------------------------------------------------------------------

def test_create_image_with_data(conn, unique):
    image = conn.image.create_image(unique, data=DATA, disk_format="raw",
                                    container_format="bare", wait=True, timeout=60)
    try:
        image = _wait_active(conn, image)
        assert image.status == "active"
        assert image.size == len(DATA)
        assert image.checksum == hashlib.md5(DATA).hexdigest()
        assert image.hash_algo == "sha512"
        assert image.hash_value == hashlib.sha512(DATA).hexdigest()
        assert image.disk_format == "raw" and image.container_format == "bare"
        # openstacksdk records owner_specified.* properties (hashes only for files)
        props = image.properties or {}
        assert props.get("owner_specified.openstack.object") == f"images/{unique}"
    finally:
        conn.image.delete_image(image, ignore_missing=True)


def test_cloud_layer_create_from_file_and_delete(conn, unique, tmp_path):
    path = tmp_path / "disk.raw"
    path.write_bytes(DATA)
    image = conn.create_image(unique, filename=str(path), disk_format="raw",
                              container_format="bare", wait=True, timeout=60)
    assert image.status == "active"
    assert conn.get_image(unique).id == image.id
    assert unique in [i.name for i in conn.list_images()]
    assert conn.delete_image(unique, wait=True, timeout=60) is True
    assert conn.get_image(unique) is None


def test_list_and_find(conn, unique):
    a = conn.image.create_image(f"{unique}-a", data=b"a", disk_format="raw",
                                container_format="bare", wait=True)
    b = conn.image.create_image(f"{unique}-b", data=b"b", disk_format="raw",
                                container_format="bare", wait=True)
    try:
        names = [i.name for i in conn.image.images(name=f"{unique}-a")]
        assert names == [f"{unique}-a"]
        # pagination: a tiny page size still yields every image exactly once
        all_ids = [i.id for i in conn.image.images(limit=1)]
        assert a.id in all_ids and b.id in all_ids
        assert len(all_ids) == len(set(all_ids))
        # sorted listing
        sorted_names = [i.name for i in conn.image.images(sort="name:asc")
                        if i.name.startswith(unique)]
        assert sorted_names == [f"{unique}-a", f"{unique}-b"]
        assert conn.image.find_image(f"{unique}-b").id == b.id
        assert conn.image.find_image(b.id).id == b.id
        assert conn.image.find_image(f"{unique}-missing") is None
        with pytest.raises(exceptions.NotFoundException):
            conn.image.find_image(f"{unique}-missing", ignore_missing=False)
        with pytest.raises(exceptions.NotFoundException):
            conn.image.get_image("00000000-0000-4000-8000-000000000000")
    finally:
        for img in (a, b):
            conn.image.delete_image(img, ignore_missing=True)


def test_find_hidden_image(conn, unique):
    image = conn.image.create_image(unique, data=b"hidden", disk_format="raw",
                                    container_format="bare", wait=True)
    try:
        conn.image.update_image(image, is_hidden=True)
        assert unique not in [i.name for i in conn.image.images()]
        # find_image falls back to ?os_hidden=true
        found = conn.image.find_image(unique)
        assert found is not None and found.id == image.id and found.is_hidden
    finally:
        conn.image.delete_image(image, ignore_missing=True)


def test_update_properties_and_tags(conn, unique):
    image = conn.image.create_image(unique, data=DATA, disk_format="raw",
                                    container_format="bare", wait=True)
    try:
        image = conn.image.update_image(image, os_distro="debian", hw_disk_bus="scsi",
                                        min_ram=256, name=f"{unique}-renamed")
        image = conn.image.get_image(image)
        assert image.name == f"{unique}-renamed"
        assert image.min_ram == 256
        assert image.os_distro == "debian"
        assert image.hw_disk_bus == "scsi"
        # a free-form property the SDK has no attribute for, via the cloud layer
        conn.update_image_properties(image=conn.image.get_image(image), my_custom_key="v1")
        assert conn.image.get_image(image).properties.get("my_custom_key") == "v1"

        conn.image.add_tag(image, "red")
        conn.image.add_tag(image, "blue")
        assert set(conn.image.get_image(image).tags) >= {"red", "blue"}
        assert [i.id for i in conn.image.images(tag="red")] == [image.id]
        conn.image.remove_tag(image, "red")
        assert "red" not in conn.image.get_image(image).tags
        conn.image.remove_tag(image, "blue")
        assert conn.image.get_image(image).tags == []
        assert conn.image.find_image(f"{unique}-renamed").id == image.id
    finally:
        conn.image.delete_image(image, ignore_missing=True)


def test_protected_image_cannot_be_deleted(conn, unique):
    image = conn.image.create_image(unique, data=b"p", disk_format="raw",
                                    container_format="bare", wait=True)
    conn.image.update_image(image, is_protected=True)
    with pytest.raises(exceptions.ForbiddenException):
        conn.image.delete_image(image)
    conn.image.update_image(image, is_protected=False)
    conn.image.delete_image(image)
    assert conn.image.find_image(image.id) is None


def test_download_and_verify(conn, unique, tmp_path):
    image = conn.image.create_image(unique, data=DATA, disk_format="raw",
                                    container_format="bare", wait=True)
    try:
        resp = conn.image.download_image(image)
        assert resp.content == DATA
        # to a file; the SDK verifies the hash (os_hash_value, else md5) on the way
        out = tmp_path / "out.raw"
        conn.image.download_image(image, output=str(out))
        assert out.read_bytes() == DATA
        # streamed
        resp = conn.image.download_image(image, stream=True)
        try:
            assert b"".join(resp.iter_content(chunk_size=7)) == DATA
            assert resp.headers.get("Content-MD5") == hashlib.md5(DATA).hexdigest()
        finally:
            resp.close()
    finally:
        conn.image.delete_image(image, ignore_missing=True)


def test_delete_image(conn, unique):
    image = conn.image.create_image(unique, data=b"x", disk_format="raw",
                                    container_format="bare", wait=True)
    conn.image.delete_image(image)
    assert conn.image.find_image(unique) is None
    with pytest.raises(exceptions.NotFoundException):
        conn.image.get_image(image.id)
    with pytest.raises(exceptions.NotFoundException):
        conn.image.delete_image(image.id, ignore_missing=False)


def test_deactivate_reactivate(conn, unique):
    image = conn.image.create_image(unique, data=b"d", disk_format="raw",
                                    container_format="bare", wait=True)
    try:
        conn.image.deactivate_image(image)
        assert conn.image.get_image(image).status == "deactivated"
        conn.image.reactivate_image(image)
        assert conn.image.get_image(image).status == "active"
    finally:
        conn.image.delete_image(image, ignore_missing=True)


@pytest.mark.skipif(shutil.which("qemu-img") is None, reason="qemu-img not installed")
def test_qcow2_upload_sets_virtual_size(conn, unique, tmp_path):
    disk = tmp_path / "disk.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(disk), "8M"], check=True)
    image = conn.image.create_image(unique, filename=str(disk), disk_format="qcow2",
                                    container_format="bare", wait=True)
    try:
        image = conn.image.get_image(image)
        assert image.status == "active"
        assert image.virtual_size == 8 * 1024 * 1024
        assert image.size == disk.stat().st_size
    finally:
        conn.image.delete_image(image, ignore_missing=True)


# --------------------------------------------------------------------------------------
# Sharing with a second project
# --------------------------------------------------------------------------------------

def test_share_image_with_member(conn, alt_conn, alt, unique):
    image = conn.image.create_image(unique, data=DATA, disk_format="raw",
                                    container_format="bare", visibility="shared", wait=True)
    try:
        member = conn.image.add_member(image, member=alt.project_id)
        assert member.status == "pending"
        assert [m.member_id for m in conn.image.members(image)] == [alt.project_id]
        # pending: readable by id, not in the member's default list
        assert alt_conn.image.get_image(image.id).id == image.id
        assert image.id not in [i.id for i in alt_conn.image.images()]
        alt_conn.image.update_member(alt.project_id, image, status="accepted")
        assert conn.image.get_member(alt.project_id, image).status == "accepted"
        assert image.id in [i.id for i in alt_conn.image.images()]
        assert alt_conn.image.download_image(image).content == DATA
        # the member cannot change the owner's image
        with pytest.raises((exceptions.ForbiddenException, exceptions.NotFoundException)):
            alt_conn.image.update_image(image, name="hijacked")
        conn.image.remove_member(alt.project_id, image)
        with pytest.raises(exceptions.NotFoundException):
            alt_conn.image.get_image(image.id)
    finally:
        conn.image.delete_image(image, ignore_missing=True)


def test_private_image_invisible_to_other_project(conn, alt_conn, unique):
    image = conn.image.create_image(unique, data=b"secret", disk_format="raw",
                                    container_format="bare", visibility="private", wait=True)
    try:
        assert alt_conn.image.find_image(image.id) is None
        assert alt_conn.image.find_image(unique) is None
    finally:
        conn.image.delete_image(image, ignore_missing=True)


# --------------------------------------------------------------------------------------
# Identity lookups
# --------------------------------------------------------------------------------------

def test_identity_project_lookups(conn, alt):
    admin = conn.identity.find_project("admin", ignore_missing=False)
    assert admin.name == "admin"
    assert conn.identity.get_project(admin.id).name == "admin"
    assert conn.current_project_id == admin.id
    assert conn.identity.find_project(alt.project_name).id == alt.project_id
    assert conn.identity.find_project(alt.project_id).name == alt.project_name
    assert conn.identity.find_project("no-such-project-xyz") is None
    assert [p.id for p in conn.identity.projects(name=alt.project_name)] == [alt.project_id]
    # cloud layer
    assert conn.get_project(alt.project_name).id == alt.project_id


def test_identity_user_and_role_lookups(conn, alt):
    assert conn.identity.find_user(alt.username).id == alt.user_id
    assert conn.identity.find_user("admin", ignore_missing=False).name == "admin"
    member = conn.identity.find_role("member", ignore_missing=False)
    assignments = list(conn.identity.role_assignments(user_id=alt.user_id,
                                                      scope_project_id=alt.project_id))
    assert member.id in [a.role["id"] for a in assignments]
    assert alt.project_id in [p.id for p in conn.identity.user_projects(alt.user_id)]


def test_alt_token_is_scoped_to_its_project(alt_conn, alt):
    assert alt_conn.current_project_id == alt.project_id
    assert alt_conn.current_user_id == alt.user_id
    # a member cannot list all projects
    with pytest.raises(exceptions.ForbiddenException):
        list(alt_conn.identity.projects())


# --------------------------------------------------------------------------------------
# Image: metadata definitions
# --------------------------------------------------------------------------------------

def test_metadef_catalogue(conn):
    types = {t.name for t in conn.image.metadef_resource_types()}
    assert {"OS::Glance::Image", "OS::Cinder::Volume", "OS::Nova::Flavor"} <= types
    hypervisor = conn.image.get_metadef_namespace("OS::Compute::Hypervisor")
    assert hypervisor.namespace == "OS::Compute::Hypervisor"
    assert hypervisor.visibility == "public"
    namespaces = {n.namespace for n in conn.image.metadef_namespaces()}
    assert "OS::Compute::Hypervisor" in namespaces


def test_metadef_namespace_create_and_delete(conn, unique):
    name = f"Glint::Sdk{unique.replace('-', '')}"
    ns = conn.image.create_metadef_namespace(namespace=name, display_name="SDK test",
                                             visibility="private")
    try:
        assert ns.namespace == name
        fetched = conn.image.get_metadef_namespace(name)
        assert fetched.display_name == "SDK test" and fetched.visibility == "private"
    finally:
        conn.image.delete_metadef_namespace(name)
    with pytest.raises(exceptions.NotFoundException):
        conn.image.get_metadef_namespace(name)
