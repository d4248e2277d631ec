#!/usr/bin/env bash
# Differential run: the same scripted requests (tests/differential/cases.py) against Glint
# and against the genuine Keystone 30 + Glance 33 from ../shared/tools/refstack/.
#
#   scripts/differential.sh [harness args...]      e.g. -v, --only 'gl-list'
#
# 1. refstack setup.sh (idempotent; minutes the first time) and start.sh
#    (Keystone 127.0.0.1:5000, Glance 127.0.0.1:9292, admin/admin password asdf);
# 2. builds glint (unless GLINT_BIN is set) and starts `glint serve` on a free loopback
#    port with a fresh temporary data dir and a random GLINT_ADMIN_PASSWORD;
# 3. runs tests/differential/harness.py --target both;
# 4. stops glint, and stops the reference stack if this script started it
#    (DIFF_KEEP_REFSTACK=1 leaves it running).
#
# Environment:
#   REFSTACK_TOOLS  refstack tool dir (default: <repo>/../shared/tools/refstack)
#   REFSTACK_ROOT   its state dir (refstack's default: ${TMPDIR:-/tmp}/glint-refstack)
#   GLINT_BIN       glint binary (default: cargo build -p glint; target/debug/glint)
#   DIFF_PYTHON     python with `requests` (default: the refstack venv's python)
#   GLINT_TEST_DATABASE_URL  postgres://… of a role with CREATEDB: Glint's metadata goes to a
#                   fresh database there (the scale-out run; default: SQLite in the data dir)
#   GLINT_DIFF_STORE  SPEC of the one store, still named `fs` as the reference's is
#                   (default: a directory in the data dir)
#
# Exit code: the harness's (0 only if every request agrees).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
tools="${REFSTACK_TOOLS:-$repo/../shared/tools/refstack}"
export REFSTACK_ROOT="${REFSTACK_ROOT:-${TMPDIR:-/tmp}/glint-refstack}"

up() { curl -s -o /dev/null -m 2 "$1"; }
was_running=0
if up http://127.0.0.1:5000/v3 && up http://127.0.0.1:9292/versions; then was_running=1; fi

echo "differential: refstack setup (idempotent) in $REFSTACK_ROOT" >&2
bash "$tools/setup.sh" >"${TMPDIR:-/tmp}/glint-differential-setup.log" 2>&1 \
    || { tail -30 "${TMPDIR:-/tmp}/glint-differential-setup.log"; exit 2; }
bash "$tools/start.sh" >&2

if [ -z "${GLINT_BIN:-}" ]; then
    echo "differential: cargo build -p glint" >&2
    cargo build -p glint
    GLINT_BIN="${CARGO_TARGET_DIR:-$repo/target}/debug/glint"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/glint-differential.XXXXXX")"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
password="diff-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
glint_pid=""
cleanup() {
    if [ -n "$glint_pid" ] && kill -0 "$glint_pid" 2>/dev/null; then
        kill -TERM "$glint_pid"
        wait "$glint_pid" 2>/dev/null || true
    fi
    if [ "$was_running" = 0 ] && [ -z "${DIFF_KEEP_REFSTACK:-}" ]; then
        bash "$tools/stop.sh" >&2 || true
    fi
    echo "differential: glint log kept in $work/glint.log" >&2
}
trap cleanup EXIT

database=()
if [ -n "${GLINT_TEST_DATABASE_URL:-}" ]; then
    name="glint_diff_$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    psql "$GLINT_TEST_DATABASE_URL" -v ON_ERROR_STOP=1 -qc "CREATE DATABASE $name"
    database=(--database "${GLINT_TEST_DATABASE_URL%/*}/$name")
fi
# Configured as the reference is: one named store (refstack's `enabled_backends = fs:file`,
# so the multi-store API is on), web-download offered (Glint needs an allow-list for it),
# and Glance's standard metadefs catalogue (refstack loads it with db_load_metadefs).
GLINT_ADMIN_PASSWORD="$password" RUST_LOG="${RUST_LOG:-info}" "$GLINT_BIN" serve \
    --listen "127.0.0.1:$port" --data-dir "$work/data" "${database[@]}" \
    --store "fs=${GLINT_DIFF_STORE:-$work/data/images}" --web-download-allow download.cirros-cloud.net \
    --metadefs-dir "$REFSTACK_ROOT/venv/etc/glance/metadefs" \
    --public-url "http://127.0.0.1:$port" >"$work/glint.log" 2>&1 &
glint_pid=$!
for _ in $(seq 300); do
    up "http://127.0.0.1:$port/identity/v3" && break
    kill -0 "$glint_pid" 2>/dev/null || { cat "$work/glint.log"; exit 2; }
    sleep 0.1
done

py="${DIFF_PYTHON:-$REFSTACK_ROOT/venv/bin/python}"
deviations=()
if [ -n "${GLINT_DIFF_STORE:-}" ]; then
    deviations=(--deviation "gl-info-stores-detail=Glint's store here is ${GLINT_DIFF_STORE%%://*} (the reference's is a file store), so the store detail lists that driver's properties")
fi
set +e
"$py" tests/differential/harness.py --target both "${deviations[@]}" \
    --glint-url "http://127.0.0.1:$port" --glint-password "$password" \
    --keystone-url http://127.0.0.1:5000 --glance-url http://127.0.0.1:9292 \
    --reference-password asdf "$@"
rc=$?
set -e
exit "$rc"
