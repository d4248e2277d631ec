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

# shellcheck source=lib/python-suite.sh
. scripts/lib/python-suite.sh
venv="${GLINT_VENV:-.venv}"
suite_venv acceptance "$venv" tests/acceptance/requirements.txt
suite_glint_bin acceptance "$repo"
echo "test-acceptance: testing $GLINT_BIN with $("$venv/bin/openstack" --version 2>&1)" >&2

set +e
suite_pytest "$venv" tests/acceptance "$@"
rc=$?
set -e
exit "$rc"
