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

# shellcheck source=lib/python-suite.sh
. scripts/lib/python-suite.sh
venv="${GLINT_VENV:-.venv}"
suite_venv cli "$venv" tests/cli/requirements.txt
suite_glint_bin cli "$repo"
echo "test-cli: testing $GLINT_BIN with $("$venv/bin/openstack" --version 2>&1)" >&2

set +e
suite_pytest "$venv" tests/cli "$@"
rc=$?
set -e
exit "$rc"
