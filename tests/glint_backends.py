"""The metadata database and image store behind the Python suites' `glint serve`.

By default (nothing set) Glint runs on its embedded defaults: SQLite and the filesystem
store in the data dir. The scale-out runs (tests/engines/scale-out.sh) set:

  GLINT_TEST_DATABASE_URL  postgres://USER:PASSWORD@HOST:PORT/DB of a role with CREATEDB;
                           every server data dir gets a fresh database of its own
  GLINT_TEST_STORE         ID=SPEC, passed to `glint serve --store` (Swift, S3)

`store_objects` / `store_bytes` read whichever store is in use (through
`glint admin store-list|store-get` for remote ones), so the suites' assertions about
bytes in the store hold on every backend.
"""
from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path


def serve_args(data_dir: Path) -> list[str]:
    """Extra `glint serve` arguments for the configured database and store."""
    args: list[str] = []
    admin_url = os.environ.get("GLINT_TEST_DATABASE_URL")
    if admin_url:
        args += ["--database", _database_for(data_dir, admin_url)]
    store = os.environ.get("GLINT_TEST_STORE")
    if store:
        args += ["--store", store]
    return args


def _database_for(data_dir: Path, admin_url: str) -> str:
    """One PostgreSQL database per data dir, kept across restarts of that data dir."""
    remembered = data_dir.parent / f".{data_dir.name}.database-url"
    if remembered.is_file():
        return remembered.read_text().strip()
    name = "glint_py_" + uuid.uuid4().hex
    subprocess.run(["psql", admin_url, "-v", "ON_ERROR_STOP=1", "-qc", f"CREATE DATABASE {name}"],
                   check=True, capture_output=True)
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    remembered.write_text(url)
    return url


def store_objects(glint_bin: Path, data_dir: Path, image_id: str) -> list[str]:
    """Objects of the store in use that belong to `image_id` (named after its id)."""
    keys = {image_id, image_id.replace("-", "")}
    store = os.environ.get("GLINT_TEST_STORE")
    if store:
        out = subprocess.run([str(glint_bin), "admin", "store-list", "--store", store],
                             check=True, capture_output=True, text=True).stdout
        names = out.split()
    else:
        images = data_dir / "images"
        if not images.is_dir():
            return []
        # Work in progress lives in dot-dirs; only finished files count.
        names = [str(p.relative_to(images)) for p in images.rglob("*")
                 if p.is_file() and not any(part.startswith(".") for part in p.relative_to(images).parts)]
    return sorted(n for n in names if any(k in Path(n).name for k in keys))


def store_bytes(glint_bin: Path, data_dir: Path, location: str) -> bytes:
    store = os.environ.get("GLINT_TEST_STORE")
    if store:
        return subprocess.run([str(glint_bin), "admin", "store-get", "--store", store, location],
                              check=True, capture_output=True).stdout
    return (data_dir / "images" / location).read_bytes()
