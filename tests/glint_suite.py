"""What the three pytest suites (tests/acceptance, tests/clients, tests/cli) share: the
binaries under test, free loopback ports, and servers that never outlive the session."""
from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def die_with_parent() -> None:  # runs in the child between fork and exec
    """Ask Linux to SIGTERM the child if pytest itself dies (PR_SET_PDEATHSIG)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM, 0, 0, 0)
    except Exception:
        pass


def _sigterm_as_interrupt(signum, frame):  # noqa: ARG001
    raise KeyboardInterrupt(f"received signal {signum}")


def pytest_configure(config):  # noqa: ARG001
    """A SIGTERM to pytest runs the fixture finalizers (which stop the servers) first."""
    signal.signal(signal.SIGTERM, _sigterm_as_interrupt)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def glint_bin() -> Path:
    """GLINT_BIN (relative to the repo root if relative), else the debug build."""
    path = Path(os.environ.get("GLINT_BIN") or REPO_ROOT / "target" / "debug" / "glint")
    return path if path.is_absolute() else (REPO_ROOT / path).resolve()


def venv_cli(name: str, env_var: str) -> str:
    """$env_var, else the `name` CLI beside this Python (the suite's venv), else on PATH."""
    explicit = os.environ.get(env_var)
    if explicit:
        return explicit
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if not found:
        pytest.fail(f"the `{name}` CLI is not installed in this venv", pytrace=False)
    return found


def openstack_bin() -> str:
    """GLINT_OPENSTACK, else the `openstack` beside this Python, else on PATH."""
    return venv_cli("openstack", "GLINT_OPENSTACK")
