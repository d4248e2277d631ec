"""Acceptance suite: the unmodified python-openstackclient against a real `glint serve`.

One `glint serve` process is started per test session on a free loopback port with a
fresh data directory; every test drives the `openstack` CLI (installed from PyPI into the
same venv as pytest) as a subprocess, exactly as a user would.

Environment:
  GLINT_BIN        path of the glint binary (default: <repo>/target/debug/glint)
  GLINT_OPENSTACK  path of the `openstack` executable (default: next to this Python)
  GLINT_ACCEPTANCE_SHOW_LOG=1   print the session server's log at the end
"""

from __future__ import annotations

import dataclasses
import os
import re
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
    openstack_bin as _openstack_bin,
)
STARTUP_TIMEOUT_S = 60
CLI_TIMEOUT_S = 180


# --------------------------------------------------------------------------------------
# Making sure nothing outlives the session
# --------------------------------------------------------------------------------------


# What was measured, printed in the terminal summary.
_MEASURED: dict[str, object] = {"startup": None, "cli": []}


def pytest_terminal_summary(terminalreporter):
    startup = _MEASURED["startup"]
    cli = _MEASURED["cli"]
    if startup is None and not cli:
        return
    tr = terminalreporter
    tr.section("glint acceptance measurements")
    if startup is not None:
        tr.write_line(f"glint serve: first answer to GET /identity after {startup:.3f}s")
    if cli:
        total = sum(cli)
        tr.write_line(
            f"openstack CLI: {len(cli)} invocations, {total:.1f}s total, "
            f"mean {total / len(cli):.2f}s, max {max(cli):.2f}s"
        )


# --------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------


@dataclasses.dataclass
class Glint:
    proc: subprocess.Popen
    port: int
    base_url: str
    data_dir: Path
    log_path: Path
    password: str
    startup_seconds: float

    @property
    def identity_url(self) -> str:
        return f"{self.base_url}/identity"

    @property
    def image_url(self) -> str:
        return f"{self.base_url}/image"

    @property
    def images_dir(self) -> Path:
        return self.data_dir / "images"

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return "<no server log>"

    def os_env(self, **overrides: str) -> dict[str, str]:
        """The process environment for `openstack`, isolated from the caller's OS_*."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
        env.update(
            OS_AUTH_URL=self.identity_url,
            OS_USERNAME="admin",
            OS_PASSWORD=self.password,
            OS_PROJECT_NAME="admin",
            OS_USER_DOMAIN_NAME="Default",
            OS_PROJECT_DOMAIN_NAME="Default",
            OS_IDENTITY_API_VERSION="3",
            OS_INTERFACE="public",
            OS_REGION_NAME="RegionOne",
        )
        env.update(overrides)
        return env


def _http_status(url: str, timeout: float = 2.0) -> int:
    req = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status
    except urllib.error.HTTPError as e:  # 300 Multiple Choices lands here too
        return e.code


def stop_glint(server: Glint, timeout: float = 15.0) -> int | None:
    """SIGTERM the server and wait; SIGKILL if it does not exit within `timeout`.

    Returns its exit code, or None if it had to be killed."""
    proc = server.proc
    if proc.poll() is not None:
        return proc.returncode
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=15)
        return None


def start_glint(data_dir: Path, log_path: Path, password: str | None,
                port: int | None = None) -> Glint:
    """Start `glint serve` on a loopback port (default: a free one) and wait until
    GET /identity answers.

    `password` is passed as GLINT_ADMIN_PASSWORD (None: not set at all)."""
    binary = _glint_bin()
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        pytest.fail(
            f"glint binary not found at {binary}: run `cargo build -p glint` or set GLINT_BIN",
            pytrace=False,
        )
    port = port or _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("OS_") and not k.startswith("GLINT_")}
    if password is not None:
        env["GLINT_ADMIN_PASSWORD"] = password
    env.setdefault("RUST_LOG", "info")
    cmd = [
        str(binary), "serve",
        "--listen", f"127.0.0.1:{port}",
        "--data-dir", str(data_dir),
        "--public-url", base_url,
        *glint_backends.serve_args(data_dir),
    ]
    started = time.monotonic()
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            cmd, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
    server = Glint(proc, port, base_url, data_dir, log_path, password or "", 0.0)
    try:
        deadline = started + STARTUP_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(
                    f"`{' '.join(cmd)}` exited with {proc.returncode} before answering.\n"
                    f"--- server log ---\n{server.log()}",
                    pytrace=False,
                )
            try:
                _http_status(server.identity_url, timeout=1.0)
                break
            except (urllib.error.URLError, ConnectionError, socket.timeout, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"glint did not answer GET {server.identity_url} within "
                    f"{STARTUP_TIMEOUT_S}s.\n--- server log ---\n{server.log()}",
                    pytrace=False,
                )
            time.sleep(0.05)
    except BaseException:
        stop_glint(server)
        raise
    server.startup_seconds = time.monotonic() - started
    return server


@pytest.fixture(scope="session")
def glint(tmp_path_factory) -> Glint:
    base = tmp_path_factory.mktemp("glint")
    password = "acc-" + secrets.token_urlsafe(18)
    # data dir not created beforehand: glint creates it, as on a first start
    server = start_glint(base / "data", base / "glint.log", password)
    _MEASURED["startup"] = server.startup_seconds
    try:
        yield server
    finally:
        stop_glint(server)
        if os.environ.get("GLINT_ACCEPTANCE_SHOW_LOG"):
            print(f"\n--- glint server log ---\n{server.log()}")


# --------------------------------------------------------------------------------------
# The openstack CLI
# --------------------------------------------------------------------------------------


@dataclasses.dataclass
class Result:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    def describe(self) -> str:
        return (
            f"$ openstack {' '.join(self.args)}\n# exit {self.returncode} "
            f"({self.seconds:.1f}s)\n--- stdout ---\n{self.stdout}\n--- stderr ---\n{self.stderr}"
        )

    def requests(self) -> list[tuple[str, str, int]]:
        return parse_requests(self.stderr)


class OpenStack:
    def __init__(self, server: Glint, workdir: Path):
        self.server = server
        self.workdir = workdir
        self.bin = _openstack_bin()

    def __call__(self, *args: str, env: dict[str, str] | None = None,
                 check: bool = True) -> Result:
        argv = [str(a) for a in args]
        started = time.monotonic()
        proc = subprocess.run(
            [self.bin, *argv],
            env=env if env is not None else self.server.os_env(),
            cwd=self.workdir, stdin=subprocess.DEVNULL,
            capture_output=True, text=True, timeout=CLI_TIMEOUT_S,
        )
        res = Result(argv, proc.returncode, proc.stdout, proc.stderr,
                     time.monotonic() - started)
        _MEASURED["cli"].append(res.seconds)
        if check and res.returncode != 0:
            pytest.fail(
                f"openstack failed:\n{res.describe()}\n--- server log (tail) ---\n"
                f"{self.server.log()[-4000:]}",
                pytrace=False,
            )
        return res


@pytest.fixture(scope="session")
def openstack(glint, tmp_path_factory) -> OpenStack:
    return OpenStack(glint, tmp_path_factory.mktemp("cli"))


# --------------------------------------------------------------------------------------
# Reading `openstack --debug`
# --------------------------------------------------------------------------------------

# urllib3 logs one line per completed HTTP exchange, including keystoneauth's
# authentication request (whose headers keystoneauth itself does not log):
#   http://127.0.0.1:5000 "GET /v3 HTTP/1.1" 200 249
_URLLIB3_LINE = re.compile(
    r'(?P<origin>https?://\S+) "(?P<method>[A-Z]+) (?P<path>\S+) HTTP/1\.[01]" (?P<status>\d{3})'
)


def parse_requests(debug_stderr: str) -> list[tuple[str, str, int]]:
    """The (method, path?query, status) of every HTTP exchange, in order."""
    return [
        (m["method"], m["path"], int(m["status"]))
        for m in _URLLIB3_LINE.finditer(debug_stderr)
    ]


_RESP_LINE = re.compile(r"^RESP: \[(?P<status>\d{3})\] (?P<headers>.*)$", re.MULTILINE)


def response_content_types(debug_stderr: str) -> list[tuple[int, str]]:
    """(status, Content-Type) of each response keystoneauth logged with `RESP: [...]`."""
    out = []
    for m in _RESP_LINE.finditer(debug_stderr):
        # Header names are case-insensitive (Glance sends "Content-Type", hyper
        # "content-type"); keystoneauth logs them as received, space-separated.
        ct = re.search(r"content-type: (.*?)(?= [A-Za-z][A-Za-z0-9-]*: |$)", m["headers"],
                       re.IGNORECASE)
        out.append((int(m["status"]), ct.group(1) if ct else ""))
    return out
