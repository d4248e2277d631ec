#!/usr/bin/env bash
# Acceptance suite: the unmodified python-openstackclient (from PyPI) against a real
# `glint serve` process. See tests/acceptance/.
#
#   scripts/test-acceptance.sh [pytest args...]   e.g. -k delete, or a test file
#
# Environment:
#   GLINT_VENV   venv to create/reuse (default: .venv in the repo root)
#   GLINT_BIN    glint binary to test; if unset, `cargo build -p glint` builds one
#   GLINT_ACCEPTANCE_SHOW_LOG=1   print the server log at the end of the session
#
# Exit code: pytest's.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

venv="${GLINT_VENV:-.venv}"
requirements="tests/acceptance/requirements.txt"
stamp="$venv/.glint-acceptance-requirements.sha256"

# A venv whose interpreter no longer runs (moved, Python upgraded) is rebuilt.
if [ -d "$venv" ] && ! "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
    echo "test-acceptance: $venv is broken; recreating it" >&2
    rm -rf "$venv"
fi
if [ ! -x "$venv/bin/python" ]; then
    echo "test-acceptance: creating venv $venv" >&2
    python3 -m venv "$venv"
fi
want="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
    echo "test-acceptance: installing $requirements into $venv" >&2
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
    echo "$want" >"$stamp"
fi

if [ -z "${GLINT_BIN:-}" ]; then
    echo "test-acceptance: cargo build -p glint" >&2
    cargo build -p glint
    GLINT_BIN="${CARGO_TARGET_DIR:-$repo/target}/debug/glint"
fi
export GLINT_BIN
echo "test-acceptance: testing $GLINT_BIN with $("$venv/bin/openstack" --version 2>&1)" >&2

# The whole suite unless the arguments name test files/dirs/ids themselves.
targets=(tests/acceptance)
for arg in "$@"; do
    if [ -e "${arg%%::*}" ]; then
        targets=()
        break
    fi
done

set +e
"$venv/bin/python" -m pytest -q "${targets[@]}" "$@"
rc=$?
set -e
exit "$rc"
