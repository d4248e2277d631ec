"""A second, private `glint serve`: SIGTERM stops it cleanly, and a restart on the same
data directory keeps the admin user (bootstrap is idempotent, the password is stored, not
re-read from the environment), the project, and the images with their bytes."""

from __future__ import annotations

import hashlib
import json
import os
import secrets

from conftest import OpenStack, start_glint, stop_glint


def _json(res):
    return json.loads(res.stdout)


def test_restart_keeps_identity_and_images(tmp_path):
    data_dir = tmp_path / "data"
    log = tmp_path / "glint.log"
    password = "restart-" + secrets.token_urlsafe(12)
    payload = tmp_path / "disk.raw"
    payload.write_bytes(os.urandom(1024 * 1024 + 7))
    md5 = hashlib.md5(payload.read_bytes()).hexdigest()

    first = start_glint(data_dir, log, password)
    try:
        osc = OpenStack(first, tmp_path)
        token_before = _json(osc("token", "issue", "-f", "json"))
        created = _json(osc(
            "image", "create", "--disk-format", "raw", "--file", str(payload),
            "keep-me", "-f", "json",
        ))
        assert created["status"] == "active" and created["checksum"] == md5, created
        # For raw images the virtual size is the size.
        assert created["virtual_size"] == payload.stat().st_size, created
    finally:
        rc = stop_glint(first, timeout=10)
    assert rc == 0, f"glint did not exit cleanly on SIGTERM (exit {rc}):\n{first.log()[-3000:]}"

    # Same port (the catalog's endpoints are built from the public URL), no
    # GLINT_ADMIN_PASSWORD this time: the stored admin password must still work.
    second = start_glint(data_dir, log, None, port=first.port)
    second.password = password
    try:
        osc = OpenStack(second, tmp_path)
        token_after = _json(osc("token", "issue", "-f", "json"))
        assert token_after["user_id"] == token_before["user_id"]
        assert token_after["project_id"] == token_before["project_id"]

        shown = _json(osc("image", "show", "keep-me", "-f", "json"))
        assert shown["id"] == created["id"] and shown["status"] == "active", shown
        assert shown["checksum"] == md5, shown

        out = tmp_path / "out.raw"
        osc("image", "save", "--file", str(out), created["id"])
        assert out.read_bytes() == payload.read_bytes()

        # ...and the token from before the restart is still valid (Fernet keys persisted).
        env = second.os_env(OS_AUTH_TYPE="token", OS_TOKEN=token_before["id"])
        for key in ("OS_USERNAME", "OS_PASSWORD", "OS_USER_DOMAIN_NAME"):
            del env[key]
        res = osc("image", "list", "-f", "json", env=env)
        assert created["id"] in {i["ID"] for i in _json(res)}
    finally:
        rc = stop_glint(second, timeout=10)
    assert rc == 0, f"glint did not exit cleanly on SIGTERM (exit {rc}):\n{second.log()[-3000:]}"
