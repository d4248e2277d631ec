"""Differential suite for the `glint` CLI: the same argv through `openstack` and `glint`.

One cloud per session parameter:

* ``glint``     — a real `glint serve` started here on a free loopback port, fresh data dir,
                  GLINT_ADMIN_PASSWORD (always);
* ``reference`` — the genuine Keystone 30 + Glance 33 from ../shared/tools/refstack/
                  (only when GLINT_CLI_REFERENCE=1; reused if it already answers on
                  127.0.0.1:5000/9292 and then *not* stopped; started with its start.sh
                  otherwise and stopped at the end).

On each cloud a second, non-admin project + user is created through the identity API
(and deleted again at the end), for sharing and member tests.

Environment:
  GLINT_BIN            the glint binary (default: <repo>/target/debug/glint); it is both the
                       server (`glint serve`) and the client under test
  GLINT_OPENSTACK      the `openstack` executable (default: next to this Python)
  GLINT_CLI_REFERENCE=1  also run every test against the refstack reference cloud
  REFSTACK_ROOT        refstack's directory (default: ${TMPDIR:-/tmp}/glint-refstack)
  GLINT_CLI_SHOW_LOG=1 print the glint server log at the end
"""

from __future__ import annotations

import dataclasses
import json
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
    glint_bin,
    openstack_bin,
)
STARTUP_TIMEOUT_S = 60
CLI_TIMEOUT_S = 180
REFSTACK_TOOLS = (REPO_ROOT / ".." / "shared" / "tools" / "refstack").resolve()
REFERENCE = os.environ.get("GLINT_CLI_REFERENCE") == "1"


# --------------------------------------------------------------------------------------
# Nothing outlives the session
# --------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------
# HTTP helpers (identity API, readiness)
# --------------------------------------------------------------------------------------


def closed_port() -> int:
    """A loopback port nothing listens on (bound then released)."""
    return _free_port()


def http(method: str, url: str, body: object | None = None, token: str | None = None,
         timeout: float = 30.0) -> tuple[int, dict[str, str], object | None]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Accept", "application/json")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("X-Auth-Token", token)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
            status, headers = resp.status, dict(resp.headers.items())
    except urllib.error.HTTPError as e:
        raw = e.read()
        status, headers = e.code, dict(e.headers.items())
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = raw.decode(errors="replace")
    return status, headers, parsed


def _answers(url: str) -> bool:
    try:
        http("GET", url, timeout=2.0)
        return True
    except (urllib.error.URLError, ConnectionError, socket.timeout, OSError):
        return False


# --------------------------------------------------------------------------------------
# Clouds
# --------------------------------------------------------------------------------------


@dataclasses.dataclass
class User:
    username: str
    password: str
    project: str
    user_id: str = ""
    project_id: str = ""


@dataclasses.dataclass
class Cloud:
    name: str                   # "glint" | "reference"
    auth_url: str               # what OS_AUTH_URL is set to
    admin: User
    demo: User | None = None
    log_path: Path | None = None
    proc: subprocess.Popen | None = None

    @property
    def v3(self) -> str:
        """The identity v3 API root."""
        return self.auth_url if self.auth_url.endswith("/v3") else f"{self.auth_url}/v3"

    def env(self, user: User | None = None, **overrides: str) -> dict[str, str]:
        """A process environment for either client: isolated from the caller's OS_* and
        GLINT_* (so no clouds.yaml/OS_CLOUD leaks in)."""
        user = user or self.admin
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("OS_") and not k.startswith("GLINT_")}
        env.update(
            OS_AUTH_URL=self.auth_url,
            OS_USERNAME=user.username,
            OS_PASSWORD=user.password,
            OS_PROJECT_NAME=user.project,
            OS_USER_DOMAIN_NAME="Default",
            OS_PROJECT_DOMAIN_NAME="Default",
            OS_IDENTITY_API_VERSION="3",
            OS_IMAGE_API_VERSION="2",
            OS_INTERFACE="public",
            OS_REGION_NAME="RegionOne",
            PYTHONWARNINGS="ignore",
        )
        env.update(overrides)
        return {k: v for k, v in env.items() if v is not None}

    def log(self) -> str:
        if self.log_path is None:
            return ""
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return "<no server log>"

    # identity API ------------------------------------------------------------------
    def token(self, user: User | None = None) -> tuple[str, dict]:
        user = user or self.admin
        body = {"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": user.username, "domain": {"id": "default"},
                "password": user.password}}},
            "scope": {"project": {"name": user.project, "domain": {"id": "default"}}},
        }}
        status, headers, parsed = http("POST", f"{self.v3}/auth/tokens", body)
        assert status == 201, (status, parsed)
        tok = {k.lower(): v for k, v in headers.items()}["x-subject-token"]
        return tok, parsed["token"]

    def catalog_url(self, service_type: str) -> str:
        _, body = self.token()
        for svc in body["catalog"]:
            if svc["type"] == service_type:
                for ep in svc["endpoints"]:
                    if ep["interface"] == "public":
                        return ep["url"].rstrip("/")
        raise AssertionError(f"no public {service_type} endpoint")


def _stop(proc: subprocess.Popen, timeout: float = 15.0) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=15)


def _start_glint(base: Path) -> Cloud:
    binary = glint_bin()
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        pytest.fail(f"glint binary not found at {binary}: run `cargo build -p glint` "
                    "or set GLINT_BIN", pytrace=False)
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    password = "cli-" + secrets.token_urlsafe(18)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("OS_") and not k.startswith("GLINT_")}
    env["GLINT_ADMIN_PASSWORD"] = password
    env.setdefault("RUST_LOG", "info")
    log_path = base / "glint.log"
    cmd = [str(binary), "serve", "--listen", f"127.0.0.1:{port}",
           "--data-dir", str(base / "data"), "--public-url", base_url,
           *glint_backends.serve_args(base / "data")]
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
    cloud = Cloud("glint", f"{base_url}/identity", User("admin", password, "admin"),
                  log_path=log_path, proc=proc)
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not _answers(cloud.auth_url):
        if proc.poll() is not None:
            pytest.fail(f"`{' '.join(cmd)}` exited with {proc.returncode}.\n{cloud.log()}",
                        pytrace=False)
        if time.monotonic() > deadline:
            _stop(proc)
            pytest.fail(f"glint did not answer within {STARTUP_TIMEOUT_S}s\n{cloud.log()}",
                        pytrace=False)
        time.sleep(0.05)
    return cloud


def _refstack_root() -> Path:
    return Path(os.environ.get("REFSTACK_ROOT")
                or Path(os.environ.get("TMPDIR", "/tmp")) / "glint-refstack")


def _start_reference() -> tuple[Cloud, bool]:
    """(cloud, started_here)."""
    cloud = Cloud("reference", "http://127.0.0.1:5000/v3", User("admin", "asdf", "admin"))
    if _answers(cloud.auth_url) and _answers("http://127.0.0.1:9292/"):
        return cloud, False
    env = dict(os.environ, REFSTACK_ROOT=str(_refstack_root()))
    if not (_refstack_root() / "venv").is_dir():
        subprocess.run(["bash", str(REFSTACK_TOOLS / "setup.sh")], env=env, check=True)
    subprocess.run(["bash", str(REFSTACK_TOOLS / "start.sh")], env=env, check=True)
    deadline = time.monotonic() + 180
    while not (_answers(cloud.auth_url) and _answers("http://127.0.0.1:9292/")):
        if time.monotonic() > deadline:
            pytest.fail("refstack did not come up", pytrace=False)
        time.sleep(0.5)
    return cloud, True


def _create_demo(cloud: Cloud, tag: str) -> User:
    """A non-admin project + user with the `member` role, through the identity API."""
    token, _ = cloud.token()
    url = cloud.v3
    demo = User(f"clidemo-{tag}", "demo-" + secrets.token_urlsafe(12), f"cliproj-{tag}")
    st, _, body = http("POST", f"{url}/projects",
                       {"project": {"name": demo.project, "domain_id": "default"}}, token)
    assert st == 201, (st, body)
    demo.project_id = body["project"]["id"]
    st, _, body = http("POST", f"{url}/users", {"user": {
        "name": demo.username, "password": demo.password, "domain_id": "default",
        "default_project_id": demo.project_id}}, token)
    assert st == 201, (st, body)
    demo.user_id = body["user"]["id"]
    st, _, body = http("GET", f"{url}/roles?name=member", token=token)
    assert st == 200 and body["roles"], (st, body)
    role_id = body["roles"][0]["id"]
    st, _, body = http("PUT", f"{url}/projects/{demo.project_id}/users/{demo.user_id}"
                              f"/roles/{role_id}", token=token)
    assert st in (200, 204), (st, body)
    return demo


def _delete_demo(cloud: Cloud) -> None:
    if cloud.demo is None:
        return
    try:
        token, _ = cloud.token()
        http("DELETE", f"{cloud.v3}/users/{cloud.demo.user_id}", token=token)
        http("DELETE", f"{cloud.v3}/projects/{cloud.demo.project_id}", token=token)
    except Exception:  # best effort
        pass


CLOUDS = ["glint"] + (["reference"] if REFERENCE else [])


@pytest.fixture(scope="session", params=CLOUDS)
def cloud(request, tmp_path_factory) -> Cloud:
    tag = secrets.token_hex(3)
    started = False
    if request.param == "glint":
        c = _start_glint(tmp_path_factory.mktemp("glint"))
        started = True
    else:
        c, started = _start_reference()
    try:
        c.admin.project_id = c.token()[1]["project"]["id"]
        c.demo = _create_demo(c, tag)
        yield c
    finally:
        _cleanup_images(c)
        _delete_demo(c)
        if c.proc is not None:
            _stop(c.proc)
            if os.environ.get("GLINT_CLI_SHOW_LOG"):
                print(f"\n--- glint server log ---\n{c.log()}")
        elif started:
            subprocess.run(["bash", str(REFSTACK_TOOLS / "stop.sh")],
                           env=dict(os.environ, REFSTACK_ROOT=str(_refstack_root())))


# Every image this suite creates carries this prefix; on the shared reference cloud the
# leftovers are deleted at the end (the glint server is thrown away anyway).
PREFIX = "clit-"


def _cleanup_images(cloud: Cloud) -> None:
    if cloud.proc is not None:
        return
    try:
        token, _ = cloud.token()
        image = cloud.catalog_url("image")
        for extra in ("", "&os_hidden=true"):
            st, _, body = http("GET", f"{image}/v2/images?limit=1000{extra}", token=token)
            for img in (body or {}).get("images", []):
                if (img.get("name") or "").startswith(PREFIX):
                    if img.get("protected"):
                        req = urllib.request.Request(
                            f"{image}/v2/images/{img['id']}", method="PATCH",
                            data=b'[{"op":"replace","path":"/protected","value":false}]',
                            headers={"X-Auth-Token": token, "Content-Type":
                                     "application/openstack-images-v2.1-json-patch"})
                        try:
                            urllib.request.urlopen(req, timeout=30).read()
                        except urllib.error.HTTPError:
                            pass
                    http("DELETE", f"{image}/v2/images/{img['id']}", token=token)
    except Exception:
        pass


# --------------------------------------------------------------------------------------
# Running the two clients
# --------------------------------------------------------------------------------------


@dataclasses.dataclass
class Result:
    prog: str
    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    def describe(self) -> str:
        return (f"$ {self.prog} {' '.join(self.args)}\n# exit {self.returncode} "
                f"({self.seconds:.2f}s)\n--- stdout ---\n{self.stdout}"
                f"--- stderr ---\n{self.stderr}")

    def json(self):
        assert self.returncode == 0, self.describe()
        return json.loads(self.stdout)

    def curl_requests(self) -> list[str]:
        """`REQ: curl` lines of a --debug run: one per HTTP request."""
        return [ln for ln in self.stderr.splitlines() if ln.startswith("REQ: curl")]


class Runner:
    """Runs argv through `openstack` and through `glint` with the same environment."""

    def __init__(self, cloud: Cloud, workdir: Path):
        self.cloud = cloud
        self.workdir = workdir
        self.cache_dir = workdir / "glint-cache"
        self.os_bin = openstack_bin()
        self.gl_bin = str(glint_bin())

    def _run(self, prog: str, binary: str, argv, env, stdin: str | None) -> Result:
        argv = [str(a) for a in argv]
        started = time.monotonic()
        proc = subprocess.run([binary, *argv], env=env, cwd=self.workdir,
                              input=stdin if stdin is not None else None,
                              stdin=None if stdin is not None else subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=CLI_TIMEOUT_S)
        return Result(prog, argv, proc.returncode, proc.stdout, proc.stderr,
                      time.monotonic() - started)

    def os(self, *argv, user: User | None = None, env: dict | None = None,
           check: bool = False, **env_over) -> Result:
        e = env if env is not None else self.cloud.env(user, **env_over)
        res = self._run("openstack", self.os_bin, argv, e, None)
        if check:
            assert res.returncode == 0, res.describe()
        return res

    def gl(self, *argv, user: User | None = None, env: dict | None = None,
           check: bool = False, cache: bool = True, **env_over) -> Result:
        e = dict(env) if env is not None else self.cloud.env(user, **env_over)
        e["GLINT_CACHE_DIR"] = str(self.cache_dir)
        argv = list(argv)
        if not cache:
            argv = ["--no-cache", *argv]
        res = self._run("glint", self.gl_bin, argv, e, None)
        if check:
            assert res.returncode == 0, res.describe()
        return res

    def both(self, *argv, **kw) -> tuple[Result, Result]:
        return self.os(*argv, **kw), self.gl(*argv, **kw)


@pytest.fixture
def run(cloud, tmp_path) -> Runner:
    return Runner(cloud, tmp_path)


# --------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?")
REQUEST_ID = re.compile(r"req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def normalise(text: str, subs: dict[str, str] | None = None) -> str:
    """Replace the given literal strings (longest first) and every timestamp / request id
    with placeholders of the same length, so table layout is unchanged."""
    for old in sorted(subs or {}, key=len, reverse=True):
        new = subs[old]
        text = text.replace(old, new)
    text = TIMESTAMP.sub(lambda m: "T" * len(m.group(0)), text)
    text = REQUEST_ID.sub(lambda m: "R" * len(m.group(0)), text)
    return text


def placeholder(tag: str, length: int) -> str:
    return (f"<{tag}" + "_" * length)[: length - 1] + ">"


# --------------------------------------------------------------------------------------
# Fixture data through the image API directly (fast, independent of both clients)
# --------------------------------------------------------------------------------------

class Api:
    def __init__(self, cloud: Cloud):
        self.cloud = cloud
        self.token, _ = cloud.token()
        self.image = cloud.catalog_url("image")

    def create(self, name: str, data: bytes | None = None, token: str | None = None,
               **fields) -> dict:
        # The shared reference Glance runs on SQLite next to other users' load and now and
        # then answers 500 "database is locked": fixture set-up (not a client under test)
        # retries that.
        body = {"name": name, "disk_format": "raw", "container_format": "bare", **fields}
        for attempt in range(6):
            st, _, img = http("POST", f"{self.image}/v2/images", body, token or self.token)
            if st != 500:
                break
            time.sleep(0.5 * (attempt + 1))
        assert st == 201, (st, img)
        if data is not None:
            for attempt in range(6):
                req = urllib.request.Request(
                    f"{self.image}/v2/images/{img['id']}/file", data=data, method="PUT",
                    headers={"X-Auth-Token": token or self.token,
                             "Content-Type": "application/octet-stream"})
                try:
                    with urllib.request.urlopen(req, timeout=60) as resp:
                        assert resp.status == 204, resp.status
                    break
                except urllib.error.HTTPError as e:
                    if e.code != 500 or attempt == 5:
                        raise
                    time.sleep(0.5 * (attempt + 1))
        return self.get(img["id"])

    def get(self, image_id: str) -> dict:
        st, _, img = http("GET", f"{self.image}/v2/images/{image_id}", token=self.token)
        assert st == 200, (st, img)
        return img

    def status(self, image_id: str) -> int:
        return http("GET", f"{self.image}/v2/images/{image_id}", token=self.token)[0]

    def add_member(self, image_id: str, project_id: str) -> None:
        st, _, body = http("POST", f"{self.image}/v2/images/{image_id}/members",
                           {"member": project_id}, self.token)
        assert st == 200, (st, body)

    def members(self, image_id: str) -> list[dict]:
        st, _, body = http("GET", f"{self.image}/v2/images/{image_id}/members",
                           token=self.token)
        assert st == 200, (st, body)
        return body["members"]


@pytest.fixture
def api(cloud) -> Api:
    return Api(cloud)


@pytest.fixture
def uid() -> str:
    """A per-test unique fragment for image names (same length every time)."""
    return secrets.token_hex(4)


# --------------------------------------------------------------------------------------
# Comparing the two clients
# --------------------------------------------------------------------------------------

def pair_subs(os_values: list[str], gl_values: list[str], tag: str = "V") -> tuple[dict, dict]:
    """Substitutions mapping the i-th openstack-side value and the i-th glint-side value
    (same length each) to the same placeholder."""
    os_subs, gl_subs = {}, {}
    for i, (a, b) in enumerate(zip(os_values, gl_values)):
        assert len(a) == len(b), (a, b)
        ph = placeholder(f"{tag}{i}", len(a))
        os_subs[a] = ph
        gl_subs[b] = ph
    return os_subs, gl_subs


def assert_same(o: Result, g: Result, os_subs: dict | None = None,
                gl_subs: dict | None = None, stderr: bool = True) -> None:
    """Same exit code, same stdout and (by default) same stderr, after normalisation."""
    ctx = f"\n===== openstack =====\n{o.describe()}\n===== glint =====\n{g.describe()}"
    assert g.returncode == o.returncode, "exit codes differ" + ctx
    os_out, gl_out = normalise(o.stdout, os_subs), normalise(g.stdout, gl_subs)
    if os_out != gl_out:
        # a more helpful message when only JSON key order differs
        try:
            if json.loads(os_out) == json.loads(gl_out):
                raise AssertionError("stdout: same JSON value, different key order/layout"
                                     + ctx)
        except ValueError:
            pass
    assert gl_out == os_out, "stdout differs" + ctx
    if stderr:
        assert normalise(g.stderr, gl_subs) == normalise(o.stderr, os_subs), \
            "stderr differs" + ctx


def assert_same_json_value(o: Result, g: Result, os_subs=None, gl_subs=None) -> None:
    """Same exit code and the same parsed JSON document (key order ignored)."""
    ctx = f"\n===== openstack =====\n{o.describe()}\n===== glint =====\n{g.describe()}"
    assert g.returncode == o.returncode == 0, ctx
    assert json.loads(normalise(g.stdout, gl_subs)) == json.loads(normalise(o.stdout, os_subs)), \
        "JSON values differ" + ctx
