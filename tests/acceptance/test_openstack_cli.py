"""python-openstackclient 10.5.0 against `glint serve`: the issue's user story, end to end.

    openstack image create --disk-format qcow2 --file cirros.qcow2 --public cirros
    openstack image list / show cirros / save --file out.qcow2 cirros
    openstack image delete cirros

Expected behaviour comes from the genuine Keystone 30 + Glance 33 transcripts in
shared/reference/transcripts (image-create, image-save, image-delete,
image-delete-missing, image-delete-protected).

The tests in this module share one server and run in file order: create → list → show →
store → save → delete → delete again. Module-scoped fixtures perform each mutating command
once, and several tests check different facets of its outcome.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import uuid
from pathlib import Path

import pytest

import glint_backends
from conftest import _glint_bin as glint_bin, _http_status, response_content_types

IMAGE_NAME = "cirros"
VIRTUAL_SIZE = 64 * 1024 * 1024  # a 64M qcow2, as `qemu-img create -f qcow2 x.qcow2 64M`


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------

def _qcow2(path: Path, seed: bytes) -> Path:
    """A real 64 MiB (virtual) qcow2 image with a few MiB of pseudo-random data in it.

    Random data (not a fill pattern) means a reordered, truncated or duplicated chunk
    anywhere in upload/download changes the hashes.
    """
    raw = path.with_suffix(".raw")
    with open(raw, "wb") as f:
        f.truncate(VIRTUAL_SIZE)
        for offset, length in ((0, 3 * 1024 * 1024 + 12345), (40 * 1024 * 1024, 1024 * 1024)):
            f.seek(offset)
            f.write(_prng(seed + str(offset).encode(), length))
    subprocess.run(
        ["qemu-img", "convert", "-f", "raw", "-O", "qcow2", str(raw), str(path)],
        check=True, capture_output=True,
    )
    raw.unlink()
    info = json.loads(subprocess.run(
        ["qemu-img", "info", "--output=json", str(path)],
        check=True, capture_output=True, text=True,
    ).stdout)
    assert info["format"] == "qcow2" and info["virtual-size"] == VIRTUAL_SIZE, info
    return path


def _prng(seed: bytes, length: int) -> bytes:
    out = bytearray()
    counter = 0
    while len(out) < length:
        out += hashlib.sha512(seed + counter.to_bytes(8, "big")).digest()
        counter += 1
    return bytes(out[:length])


def _digests(path: Path) -> dict[str, object]:
    data = path.read_bytes()
    return {
        "size": len(data),
        "md5": hashlib.md5(data).hexdigest(),
        "sha512": hashlib.sha512(data).hexdigest(),
    }


def _field(image: dict, key: str):
    """OSC folds non-core image attributes (os_hash_*, os_hidden, stores, custom
    properties) into a `properties` dict; look in both places."""
    if key in image:
        return image[key]
    props = image.get("properties") or {}
    assert key in props, f"{key!r} neither a column nor a property of {image}"
    return props[key]


def _store_files(glint, image_id: str) -> list[str]:
    """Objects of the server's store that belong to `image_id` (whatever the store is)."""
    return glint_backends.store_objects(glint_bin(), glint.data_dir, image_id)


def _json(res) -> object:
    try:
        return json.loads(res.stdout)
    except json.JSONDecodeError as e:
        pytest.fail(f"not JSON ({e}):\n{res.describe()}", pytrace=False)


# --------------------------------------------------------------------------------------
# Module fixtures: each mutating command runs once
# --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("images")


@pytest.fixture(scope="module")
def cirros_file(workdir) -> Path:
    return _qcow2(workdir / "cirros.qcow2", b"cirros")


@pytest.fixture(scope="module")
def create_result(openstack, cirros_file):
    # --debug goes to stderr; stdout stays the -f json document.
    return openstack(
        "--debug", "image", "create", "--disk-format", "qcow2", "--file", str(cirros_file),
        "--public", IMAGE_NAME, "-f", "json",
    )


@pytest.fixture(scope="module")
def created(create_result):
    return _json(create_result)


@pytest.fixture(scope="module")
def image_id(created) -> str:
    return created["id"]


@pytest.fixture(scope="module")
def deleted(openstack, image_id):
    """`openstack --debug image delete cirros`, once (after the read-only tests)."""
    return openstack("--debug", "image", "delete", IMAGE_NAME, check=False)


# --------------------------------------------------------------------------------------
# Identity: bootstrap, openrc, catalog, bad credentials
# --------------------------------------------------------------------------------------

def test_discovery_roots_are_multiple_choices(glint):
    # Keystone: GET / → 300 {"versions": {"values": [...]}}; Glance: GET / → 300.
    assert _http_status(glint.identity_url) == 300
    assert _http_status(glint.image_url) == 300


def test_admin_openrc_written_and_usable(glint, openstack):
    openrc = glint.data_dir / "admin-openrc.sh"
    assert openrc.is_file(), f"{openrc} missing; data dir has {sorted(os.listdir(glint.data_dir))}"
    mode = stat.S_IMODE(openrc.stat().st_mode)
    assert mode == 0o600, f"admin-openrc.sh mode is {oct(mode)}, want 0o600"
    text = openrc.read_text()
    for var in ("OS_AUTH_URL", "OS_USERNAME", "OS_PASSWORD", "OS_PROJECT_NAME",
                "OS_USER_DOMAIN_NAME", "OS_PROJECT_DOMAIN_NAME", "OS_IDENTITY_API_VERSION"):
        assert f"export {var}=" in text, f"{var} not exported by admin-openrc.sh:\n{text}"

    # Sourcing it (and nothing else) must be enough for the real CLI to get a token.
    env = {k: v for k, v in glint.os_env().items() if not k.startswith("OS_")}
    proc = subprocess.run(
        ["bash", "-c", f'set -e; . "$1"; exec "$2" token issue -f json', "_",
         str(openrc), openstack.bin],
        env=env, capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, f"token issue with admin-openrc.sh failed:\n{proc.stderr}"
    token = json.loads(proc.stdout)
    assert token["id"] and token["project_id"] and token["user_id"], token


def test_token_issue(openstack):
    token = _json(openstack("token", "issue", "-f", "json"))
    assert token["id"].startswith("gAAAAA"), f"not a Fernet token: {token['id']!r}"
    assert token["project_id"] and token["user_id"]
    assert token["expires"]


def test_catalog_has_identity_and_image(glint, openstack):
    catalog = _json(openstack("catalog", "list", "-f", "json"))
    by_type = {entry["Type"]: entry for entry in catalog}
    assert {"identity", "image"} <= by_type.keys(), catalog
    assert by_type["identity"]["Name"] == "keystone"
    assert by_type["image"]["Name"] == "glance"
    for service_type, url in (("identity", glint.identity_url), ("image", glint.image_url)):
        endpoints = by_type[service_type]["Endpoints"]
        assert isinstance(endpoints, list), endpoints  # OSC 10.5 -f json: list of dicts
        seen = {}
        for ep in endpoints:
            region = ep.get("region") or ep.get("region_id")
            assert region == "RegionOne", ep
            # Built from --public-url (Keystone's may carry a version suffix, as in
            # the reference catalog's ".../v3").
            assert ep["url"].rstrip("/") == url or ep["url"].startswith(url + "/"), ep
            seen[ep["interface"]] = ep["url"]
        assert set(seen) == {"public", "internal", "admin"}, endpoints


def test_wrong_password_is_refused(glint, openstack):
    res = openstack("--debug", "image", "list",
                    env=glint.os_env(OS_PASSWORD="not-the-password"), check=False)
    assert res.returncode != 0, res.describe()
    # keystoneauth turns Keystone's 401 into "The request you have made requires
    # authentication. (HTTP 401) (Request-ID: req-...)".
    assert "(HTTP 401)" in res.stderr, res.describe()
    requests = res.requests()
    assert ("POST", "/identity/v3/auth/tokens", 401) in requests, requests
    assert not [r for r in requests if r[1].startswith("/image/")], \
        f"image API called without a token: {requests}"


# --------------------------------------------------------------------------------------
# image create / list / show / save
# --------------------------------------------------------------------------------------

def test_image_create(created, cirros_file):
    want = _digests(cirros_file)
    assert created["name"] == IMAGE_NAME
    uuid.UUID(created["id"])  # a UUID, as Glance assigns
    assert created["status"] == "active"
    assert created["visibility"] == "public"
    assert created["disk_format"] == "qcow2"
    assert created["container_format"] == "bare"  # OSC's default
    assert created["size"] == want["size"]
    assert created["checksum"] == want["md5"]


def test_image_create_request_sequence(create_result, image_id):
    # transcripts/image-create.txt: create the record, stream the file, re-read the image.
    assert create_result.requests()[3:] == [
        ("POST", "/image/v2/images", 201),
        ("PUT", f"/image/v2/images/{image_id}/file", 204),
        ("GET", f"/image/v2/images/{image_id}", 200),
    ], create_result.describe()


def test_image_list(openstack, image_id):
    images = _json(openstack("image", "list", "-f", "json"))
    assert isinstance(images, list)
    matches = [i for i in images if i["Name"] == IMAGE_NAME]
    assert matches == [{"ID": image_id, "Name": IMAGE_NAME, "Status": "active"}], images


def test_image_show(openstack, image_id, cirros_file):
    want = _digests(cirros_file)
    image = _json(openstack("image", "show", IMAGE_NAME, "-f", "json"))
    assert image["id"] == image_id
    assert image["name"] == IMAGE_NAME
    assert image["status"] == "active"
    assert image["visibility"] == "public"
    assert image["disk_format"] == "qcow2"
    assert image["container_format"] == "bare"
    assert image["size"] == want["size"]
    assert image["checksum"] == want["md5"]
    assert _field(image, "os_hash_algo") == "sha512"
    assert _field(image, "os_hash_value") == want["sha512"]
    assert image["virtual_size"] == VIRTUAL_SIZE
    assert image["protected"] is False
    assert image["owner"], image
    # openstacksdk stores these on every image it creates; Glance keeps extra properties.
    assert _field(image, "owner_specified.openstack.object") == f"images/{IMAGE_NAME}"


def test_image_show_by_id(openstack, image_id):
    image = _json(openstack("image", "show", image_id, "-f", "json"))
    assert image["id"] == image_id and image["name"] == IMAGE_NAME


def test_store_holds_exactly_the_uploaded_bytes(glint, image_id, cirros_file):
    files = _store_files(glint, image_id)
    assert len(files) == 1, f"expected one store object for {image_id}, found {files}"
    stored = glint_backends.store_bytes(glint_bin(), glint.data_dir, files[0])
    assert stored == cirros_file.read_bytes()


def test_image_save_returns_uploaded_bytes(openstack, image_id, cirros_file, workdir):
    out = workdir / "out.qcow2"
    res = openstack("image", "save", "--file", str(out), IMAGE_NAME)
    assert res.returncode == 0
    assert out.is_file(), res.describe()
    # openstacksdk already verified os_hash_value while downloading; compare bytes too.
    assert out.stat().st_size == cirros_file.stat().st_size
    assert out.read_bytes() == cirros_file.read_bytes()


# --------------------------------------------------------------------------------------
# image delete by name — the seed's trace
# --------------------------------------------------------------------------------------

def test_image_delete_by_name_succeeds(deleted):
    assert deleted.returncode == 0, deleted.describe()
    assert deleted.stdout.strip() == ""


def test_image_delete_by_name_request_sequence(deleted, image_id):
    # shared/reference/transcripts/image-delete.txt, with Keystone under /identity and
    # Glance under /image. keystoneauth discovers identity from OS_AUTH_URL as given
    # (GET /identity → 300 with the v3 link), authenticates against the v3 link, then
    # discovers the image endpoint from the catalog (GET /image → 300). openstacksdk's
    # find tries the name as an id first (404), then lists by name, then deletes by id.
    assert deleted.requests() == [
        ("GET", "/identity", 300),
        ("POST", "/identity/v3/auth/tokens", 201),
        ("GET", "/image", 300),
        ("GET", f"/image/v2/images/{IMAGE_NAME}", 404),
        ("GET", f"/image/v2/images?name={IMAGE_NAME}", 200),
        ("DELETE", f"/image/v2/images/{image_id}", 204),
    ], deleted.describe()


def test_image_get_by_unknown_id_is_html_404_like_glance(deleted):
    # The SDK's GET-by-id sends no Accept header; Glance answers with its HTML error page
    # (golden/glance-image-404-html.http), which keystoneauth declines to log.
    statuses = response_content_types(deleted.stderr)
    not_found = [ct for status, ct in statuses if status == 404]
    assert not_found, deleted.describe()
    assert not_found[0].startswith("text/html"), statuses


def test_image_delete_removes_store_file(glint, deleted, image_id):
    assert deleted.returncode == 0, deleted.describe()
    leftover = _store_files(glint, image_id)
    assert leftover == [], f"store still holds {leftover} after delete"


def test_image_delete_removes_image(openstack, deleted, image_id):
    assert deleted.returncode == 0, deleted.describe()
    images = _json(openstack("image", "list", "-f", "json"))
    assert image_id not in {i["ID"] for i in images}, images
    res = openstack("image", "show", image_id, check=False)
    assert res.returncode == 1, res.describe()
    assert f"No Image found for {image_id}" in res.stderr, res.describe()


def test_image_delete_again_fails(openstack, deleted):
    assert deleted.returncode == 0, deleted.describe()
    res = openstack("image", "delete", IMAGE_NAME, check=False)
    assert res.returncode == 1, res.describe()
    # python-openstackclient 10.5.0 prints the wrong message for a missing name:
    # DeleteImage catches sdk_exceptions.ResourceNotFound (meant for `--store` 404s), which
    # also catches find_image's NotFoundException("No Image found for cirros"), and
    # re-raises CommandError("Multi Backend support not enabled.") — see
    # shared/reference/clients.md §2 and transcripts/image-delete-missing.txt. So without
    # --debug that is the whole of stderr; "No Image found" only shows in the --debug
    # traceback (checked in the next test).
    assert res.stderr.strip().splitlines()[-1] == "Multi Backend support not enabled.", \
        res.describe()


def test_image_delete_again_debug_says_no_image_found(openstack, deleted):
    assert deleted.returncode == 0, deleted.describe()
    res = openstack("--debug", "image", "delete", IMAGE_NAME, check=False)
    assert res.returncode == 1, res.describe()
    assert f"No Image found for {IMAGE_NAME}" in res.stderr, res.describe()
    # transcripts/image-delete-missing.txt: after the by-name list comes back empty, the
    # SDK also lists hidden images, then gives up — nothing is deleted.
    assert res.requests()[3:] == [
        ("GET", f"/image/v2/images/{IMAGE_NAME}", 404),
        ("GET", f"/image/v2/images?name={IMAGE_NAME}", 200),
        ("GET", "/image/v2/images?os_hidden=True", 200),
    ], res.describe()


# --------------------------------------------------------------------------------------
# protected images
# --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def protected(openstack, workdir):
    path = _qcow2(workdir / "protected.qcow2", b"protected")
    image = _json(openstack(
        "image", "create", "--protected", "--disk-format", "qcow2", "--file", str(path),
        "ref-protected", "-f", "json",
    ))
    return image, path


def test_protected_image_created(protected):
    image, path = protected
    assert image["protected"] is True, image
    assert image["status"] == "active"
    assert image["visibility"] == "shared"  # Glance's default when none is asked for
    assert image["checksum"] == _digests(path)["md5"]


def test_protected_image_cannot_be_deleted(glint, openstack, protected):
    image, path = protected
    res = openstack("--debug", "image", "delete", "ref-protected", check=False)
    assert res.returncode == 1, res.describe()
    assert f"Image {image['id']} is protected and cannot be deleted" in res.stderr, \
        res.describe()
    assert "Failed to delete 1 of 1 images." in res.stderr, res.describe()
    assert res.requests()[-1] == ("DELETE", f"/image/v2/images/{image['id']}", 403), \
        res.describe()

    # ...and nothing was removed.
    again = _json(openstack("image", "show", image["id"], "-f", "json"))
    assert again["status"] == "active" and again["protected"] is True, again
    files = _store_files(glint, image["id"])
    assert len(files) == 1, files
    assert glint_backends.store_bytes(glint_bin(), glint.data_dir, files[0]) == path.read_bytes()


def test_protected_image_delete_message_without_debug(openstack, protected):
    image, _ = protected
    res = openstack("image", "delete", "ref-protected", check=False)
    assert res.returncode == 1, res.describe()
    # transcripts/image-delete-protected.txt: the SDK's HttpException text carries
    # Glance's message from the HTML body.
    assert (
        f"Failed to delete image with name or ID 'ref-protected': ForbiddenException: 403"
        in res.stderr
    ), res.describe()
    assert f"Image {image['id']} is protected and cannot be deleted." in res.stderr, \
        res.describe()
