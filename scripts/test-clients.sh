#!/usr/bin/env bash
# Client scenarios: openstacksdk and python-glanceclient's `glance` CLI (from PyPI)
# against a real `glint serve`. See tests/clients/.
#
#   scripts/test-clients.sh [pytest args...]
#
# Environment:
#   GLINT_CLIENTS_VENV  venv to create/reuse (default: .venv-clients in the repo root)
#   GLINT_BIN           glint binary to test; if unset, `cargo build -p glint` builds one
#   GLINT_CLIENTS_SHOW_LOG=1  print the server log at the end of the session
#
# Exit code: pytest's.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

venv="${GLINT_CLIENTS_VENV:-.venv-clients}"
requirements="tests/clients/requirements.txt"
stamp="$venv/.glint-clients-requirements.sha256"

if [ -d "$venv" ] && ! "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
    echo "test-clients: $venv is broken; recreating it" >&2
    rm -rf "$venv"
fi
if [ ! -x "$venv/bin/python" ]; then
    echo "test-clients: creating venv $venv" >&2
    python3 -m venv "$venv"
fi
want="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
    echo "test-clients: installing $requirements into $venv" >&2
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
    echo "$want" >"$stamp"
fi

if [ -z "${GLINT_BIN:-}" ]; then
    echo "test-clients: cargo build -p glint" >&2
    cargo build -p glint
    GLINT_BIN="${CARGO_TARGET_DIR:-$repo/target}/debug/glint"
fi
export GLINT_BIN
export PYTHONWARNINGS=ignore
echo "test-clients: testing $GLINT_BIN with $("$venv/bin/glance" --version 2>&1 | tail -n1)" \
     "(glanceclient), openstacksdk $("$venv/bin/python" -c 'import openstack.version as v; print(v.__version__)')" >&2

set +e
"$venv/bin/python" -m pytest -q -c tests/clients/pytest.ini --rootdir tests/clients tests/clients "$@"
rc=$?
set -e
exit "$rc"
