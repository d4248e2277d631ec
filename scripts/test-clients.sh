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

# shellcheck source=lib/python-suite.sh
. scripts/lib/python-suite.sh
venv="${GLINT_CLIENTS_VENV:-.venv-clients}"
suite_venv clients "$venv" tests/clients/requirements.txt
suite_glint_bin clients "$repo"
export PYTHONWARNINGS=ignore
echo "test-clients: testing $GLINT_BIN with $("$venv/bin/glance" --version 2>&1 | tail -n1)" \
     "(glanceclient), openstacksdk $("$venv/bin/python" -c 'import openstack.version as v; print(v.__version__)')" >&2

set +e
"$venv/bin/python" -m pytest -q -c tests/clients/pytest.ini --rootdir tests/clients tests/clients "$@"
rc=$?
set -e
exit "$rc"
