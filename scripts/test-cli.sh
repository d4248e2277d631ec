#!/usr/bin/env bash
# Differential suite for the `glint` CLI: the same command lines through the unmodified
# python-openstackclient (from PyPI) and through `glint`, against one real `glint serve`
# (and, with GLINT_CLI_REFERENCE=1, also against genuine Keystone + Glance from
# ../shared/tools/refstack/). See tests/cli/.
#
#   scripts/test-cli.sh [pytest args...]   e.g. -k delete, or a test file
#
# Environment:
#   GLINT_VENV   venv to create/reuse (default: .venv in the repo root)
#   GLINT_BIN    glint binary to test; if unset, `cargo build -p glint` builds one
#   GLINT_CLI_SHOW_LOG=1   print the glint server log at the end of the session
#   GLINT_CLI_REFERENCE=1  also run every test against refstack (reused if already up on
#                          127.0.0.1:5000/9292, else started and stopped; REFSTACK_ROOT)
#
# Exit code: pytest's.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

venv="${GLINT_VENV:-.venv}"
requirements="tests/cli/requirements.txt"
stamp="$venv/.glint-cli-requirements.sha256"

# A venv whose interpreter no longer runs (moved, Python upgraded) is rebuilt.
if [ -d "$venv" ] && ! "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
    echo "test-cli: $venv is broken; recreating it" >&2
    rm -rf "$venv"
fi
if [ ! -x "$venv/bin/python" ]; then
    echo "test-cli: creating venv $venv" >&2
    python3 -m venv "$venv"
fi
want="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
    echo "test-cli: installing $requirements into $venv" >&2
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
    echo "$want" >"$stamp"
fi

if [ -z "${GLINT_BIN:-}" ]; then
    echo "test-cli: cargo build -p glint" >&2
    cargo build -p glint
    GLINT_BIN="${CARGO_TARGET_DIR:-$repo/target}/debug/glint"
fi
export GLINT_BIN
echo "test-cli: testing $GLINT_BIN with $("$venv/bin/openstack" --version 2>&1)" >&2

# The whole suite unless the arguments name test files/dirs/ids themselves.
targets=(tests/cli)
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
