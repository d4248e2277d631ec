#!/usr/bin/env bash
# Runs every test Glint has: formatting, clippy, the Rust test suites, the Python client
# suites against a real `glint serve` (and the CLI suite also against genuine Keystone +
# Glance), the real Swift/S3/Keystone engine scenarios, and the scale-out runs on
# PostgreSQL + Swift and PostgreSQL + Ceph RGW (two nodes included).
#
#   scripts/test.sh
#
# Every step runs even if an earlier one failed (so one run shows everything);
# the exit code is non-zero if any step failed.
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

failed=()
step() {
    local name="$1"
    shift
    echo
    echo "==> $name: $*"
    local start=$SECONDS
    if "$@"; then
        echo "==> $name: ok ($((SECONDS - start))s)"
    else
        local rc=$?
        echo "==> $name: FAILED with exit code $rc ($((SECONDS - start))s)"
        failed+=("$name")
    fi
}

step fmt cargo fmt --all -- --check
step clippy cargo clippy --workspace --all-targets -- -D warnings
step cargo-test cargo test --workspace
step acceptance bash scripts/test-acceptance.sh -n 2
step clients bash scripts/test-clients.sh
step cli bash scripts/test-cli.sh -n 2
step cli-reference env GLINT_CLI_REFERENCE=1 bash scripts/test-cli.sh -k reference
step differential bash scripts/differential.sh
step object-stores bash tests/engines/object-stores.sh
step scale-out bash tests/engines/scale-out.sh
step swift-keystone bash tests/engines/swift-keystone.sh
step external-keystone bash tests/engines/external-keystone.sh

echo
if [ "${#failed[@]}" -gt 0 ]; then
    echo "scripts/test.sh: FAILED steps: ${failed[*]}"
    exit 1
fi
echo "scripts/test.sh: all steps ok (fmt, clippy, cargo test, acceptance, clients, cli, cli-reference, differential, object-stores, scale-out, swift-keystone, external-keystone)"
