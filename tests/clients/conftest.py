"""Client scenarios: openstacksdk and python-glanceclient (both from PyPI) against a real
`glint serve`.

One `glint serve` process is started per test session on a free loopback port with a fresh
data directory (same approach as tests/acceptance/conftest.py, not shared with it); tests use
`openstack.connect(...)` in-process and the `glance` CLI as a subprocess.

Environment:
  GLINT_BIN     path of the glint binary (default: <repo>/target/debug/glint)
  GLINT_GLANCE  path of the `glance` executable (default: next to this Python)
  GLINT_CLIENTS_SHOW_LOG=1  print the server log at the end of the session
  GLINT_CLIENTS_AUTH_URL, GLINT_CLIENTS_PASSWORD  start nothing and run the scenarios
      against an already running cloud instead (e.g. the reference Keystone + Glance from
      ../shared/tools/refstack: http://127.0.0.1:5000/v3 and asdf), to check the tests
      themselves
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "tests"))
import glint_backends  # noqa: E402  (tests/glint_backends.py)
from glint_suite import (  # noqa: E402  (tests/glint_suite.py)
    die_with_parent as _die_with_parent,
    pytest_configure,  # a pytest hook: found here by name
    free_port as _free_port,
    glint_bin as _glint_bin,
    venv_cli,
)
STARTUP_TIMEOUT_S = 60
CLI_TIMEOUT_S = 180


@dataclasses.dataclass
class Glint:
    proc: subprocess.Popen
    base_url: str
    data_dir: Path
    log_path: Path
    password: str

    external_identity_url: str | None = None

    @property
    def identity_url(self) -> str:
        return self.external_identity_url or f"{self.base_url}/identity"

    @property
    def image_url(self) -> str:
        return f"{self.base_url}/image"

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return "<no server log>"

    def os_env(self, username="admin", password=None, project="admin") -> dict[str, str]:
        """Process environment for the `glance` CLI, isolated from the caller's OS_*."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
        env.update(
            OS_AUTH_URL=self.identity_url,
            OS_USERNAME=username,
            OS_PASSWORD=password if password is not None else self.password,
            OS_PROJECT_NAME=project,
            OS_USER_DOMAIN_NAME="Default",
            OS_PROJECT_DOMAIN_NAME="Default",
            OS_IDENTITY_API_VERSION="3",
            OS_IMAGE_API_VERSION="2",
            OS_INTERFACE="public",
            OS_REGION_NAME="RegionOne",
            PYTHONWARNINGS="ignore",
        )
        return env


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=15)


@pytest.fixture(scope="session")
def glint(tmp_path_factory) -> Glint:
    external = os.environ.get("GLINT_CLIENTS_AUTH_URL")
    if external:
        yield Glint(None, "", Path("/nonexistent"), Path("/nonexistent"),
                    os.environ.get("GLINT_CLIENTS_PASSWORD", ""), external)
        return
    binary = _glint_bin()
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        pytest.fail(f"glint binary not found at {binary}: run `cargo build -p glint` "
                    "or set GLINT_BIN", pytrace=False)
    base = tmp_path_factory.mktemp("glint")
    data_dir, log_path = base / "data", base / "glint.log"
    password = "cli-" + secrets.token_urlsafe(18)
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("OS_") and not k.startswith("GLINT_")}
    env["GLINT_ADMIN_PASSWORD"] = password
    env.setdefault("RUST_LOG", "info")
    cmd = [str(binary), "serve", "--listen", f"127.0.0.1:{port}",
           "--data-dir", str(data_dir), "--public-url", base_url,
           *glint_backends.serve_args(data_dir)]
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
    server = Glint(proc, base_url, data_dir, log_path, password)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"`{' '.join(cmd)}` exited with {proc.returncode}.\n"
                            f"--- server log ---\n{server.log()}", pytrace=False)
            try:
                urllib.request.urlopen(server.identity_url + "/v3", timeout=1.0).close()
                break
            except urllib.error.HTTPError:
                break
            except (urllib.error.URLError, ConnectionError, socket.timeout, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"glint did not answer within {STARTUP_TIMEOUT_S}s.\n"
                            f"--- server log ---\n{server.log()}", pytrace=False)
            time.sleep(0.05)
        yield server
    finally:
        _stop(proc)
        if os.environ.get("GLINT_CLIENTS_SHOW_LOG"):
            print(f"\n--- glint server log ---\n{server.log()}")


# --------------------------------------------------------------------------------------
# openstacksdk
# --------------------------------------------------------------------------------------

def sdk_connect(server: Glint, username="admin", password=None, project="admin"):
    import openstack

    return openstack.connect(
        auth_type="password",
        auth={
            "auth_url": server.identity_url,
            "username": username,
            "password": password if password is not None else server.password,
            "project_name": project,
            "user_domain_name": "Default",
            "project_domain_name": "Default",
        },
        region_name="RegionOne",
        interface="public",
        identity_api_version="3",
        image_api_version="2",
        load_yaml_config=False,
        load_envvars=False,
    )


@pytest.fixture(scope="session")
def conn(glint):
    c = sdk_connect(glint)
    yield c
    c.close()


@dataclasses.dataclass
class Persona:
    """A second project with a `member` user in it (for sharing scenarios)."""
    project_id: str
    project_name: str
    user_id: str
    username: str
    password: str


@pytest.fixture(scope="session")
def alt(glint, conn):
    suffix = secrets.token_hex(4)
    project = conn.identity.create_project(name=f"clients-alt-{suffix}", domain_id="default")
    password = "Alt-" + secrets.token_urlsafe(12)
    user = conn.identity.create_user(name=f"clients-alt-{suffix}", password=password,
                                     domain_id="default", default_project_id=project.id)
    role = conn.identity.find_role("member", ignore_missing=False)
    conn.identity.assign_project_role_to_user(project, user, role)
    yield Persona(project.id, project.name, user.id, user.name, password)
    conn.identity.delete_user(user, ignore_missing=True)
    conn.identity.update_project(project, is_enabled=False)
    conn.identity.delete_project(project, ignore_missing=True)


@pytest.fixture(scope="session")
def alt_conn(glint, alt):
    c = sdk_connect(glint, alt.username, alt.password, alt.project_name)
    yield c
    c.close()


@pytest.fixture
def unique(request) -> str:
    """A name unique to this test and run."""
    return f"cl-{request.node.name[:40]}-{secrets.token_hex(3)}"


# --------------------------------------------------------------------------------------
# python-glanceclient CLI
# --------------------------------------------------------------------------------------

def _glance_bin() -> str:
    return venv_cli("glance", "GLINT_GLANCE")


@dataclasses.dataclass
class Result:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    def describe(self) -> str:
        return (f"$ glance {' '.join(self.args)}\n# exit {self.returncode}\n"
                f"--- stdout ---\n{self.stdout}\n--- stderr ---\n{self.stderr}")

    def table(self) -> dict[str, str]:
        """The `| Property | Value |` table glance prints for one object."""
        return parse_property_table(self.stdout)

    def rows(self) -> list[list[str]]:
        return parse_rows(self.stdout)


def parse_rows(out: str) -> list[list[str]]:
    rows = []
    for line in out.splitlines():
        if line.startswith("|"):
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
    return rows[1:] if rows else []  # drop the header row


def parse_property_table(out: str) -> dict[str, str]:
    table: dict[str, str] = {}
    last = None
    for cells in parse_rows(out):
        if len(cells) != 2:
            continue
        key, value = cells
        if key:
            table[key] = value
            last = key
        elif last:  # a wrapped value continues on the next row with an empty key
            table[last] += value
    return table


class GlanceCLI:
    def __init__(self, server: Glint, workdir: Path):
        self.server = server
        self.workdir = workdir
        self.bin = _glance_bin()

    def __call__(self, *args, env=None, check=True) -> Result:
        argv = [str(a) for a in args]
        # stdin is closed, not /dev/null: glanceclient reads image data from a non-tty
        # stdin when no --file is given (as `glance image-create ... < disk.img` does)
        proc = subprocess.run([self.bin, *argv],
                              env=env if env is not None else self.server.os_env(),
                              cwd=self.workdir, stdin=subprocess.DEVNULL,
                              preexec_fn=lambda: os.close(0),
                              capture_output=True, text=True, timeout=CLI_TIMEOUT_S)
        res = Result(argv, proc.returncode, proc.stdout, proc.stderr)
        if check and res.returncode != 0:
            pytest.fail(f"glance failed:\n{res.describe()}\n--- server log (tail) ---\n"
                        f"{self.server.log()[-4000:]}", pytrace=False)
        return res


@pytest.fixture(scope="session")
def glance(glint, tmp_path_factory) -> GlanceCLI:
    return GlanceCLI(glint, tmp_path_factory.mktemp("glance-cli"))
