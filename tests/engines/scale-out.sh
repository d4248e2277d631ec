#!/usr/bin/env bash
# Scale-out: Glint's metadata on PostgreSQL and its images in Swift or S3 (Ceph RGW), all
# real engines on loopback from ../shared/tools/engines/:
#   1. the whole Rust test suite (`cargo test --workspace`) with every server, and every test
#      that opens a database, on a PostgreSQL database of its own and the filesystem store;
#      then the server and binary suites (crates/glint-server/tests, crates/glint/tests)
#      with Swift and with Ceph RGW (a container or bucket per test server; the few tests
#      of the embedded default configuration keep it);
#   2. two `glint serve` nodes on one PostgreSQL + one object store + one Fernet key
#      repository (crates/glint-server/tests/two_nodes.rs), with Swift and with Ceph RGW;
#   3. the Python suites against `glint serve` on PostgreSQL + Swift, then on PostgreSQL +
#      Ceph RGW: python-openstackclient acceptance, openstacksdk/glanceclient, and the
#      differential CLI suite (tests/cli: the same argv through openstack and glint), and
#      the differential run against genuine Keystone + Glance (scripts/differential.sh).
#
#   tests/engines/scale-out.sh      (GLINT_BIN defaults to target/debug/glint; the Python
#                                    suites reuse their venvs as scripts/test-*.sh do)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
engines="${GLINT_ENGINES:-$repo/../shared/tools/engines}"
export GLINT_BIN="${GLINT_BIN:-$repo/target/debug/glint}"
work="$(mktemp -d)"
chmod 755 "$work"   # PostgreSQL runs as the postgres user and must reach $work/pg
export PG_BASE="$work/pg" PG_PORT="${PG_PORT:-54329}"
export SWIFT_BASE="$work/swift" SWIFT_STORAGE=shm SWIFT_AUTH=tempauth
export S3_BASE="$work/ceph"
# ceph-mon shuts itself down when its disk has less than 5% free (a 250 GB CI disk with a
# few cargo target directories on it); the monitor's data here is a few megabytes.
export CEPH_ARGS="--mon-data-avail-crit=1"
refstack_tools="$repo/../shared/tools/refstack"
refstack_was_up=0
curl -s -o /dev/null -m 2 http://127.0.0.1:9292/versions && refstack_was_up=1
cleanup() {
    if [ "$refstack_was_up" = 0 ]; then bash "$refstack_tools/stop.sh" >/dev/null 2>&1 || true; fi
    bash "$engines/s3.sh" stop >/dev/null 2>&1 || true
    bash "$engines/swift.sh" stop >/dev/null 2>&1 || true
    bash "$engines/postgres.sh" stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

start() { # engine-script [args...]: start it, or show its log and fail
    local log
    log="$work/$(basename "$1" .sh)-start.log"
    bash "$engines/$1" start "${@:2}" >"$log" 2>&1 || {
        tail -n 40 "$log"
        # The engines' own logs (Ceph's daemons log to files) and the disk they sit on.
        for f in "$work"/*/log/*.log "$work"/*/logs/*.log; do
            [ -f "$f" ] && { echo "--- $f"; tail -n 20 "$f"; }
        done
        df -h "$work"
        exit 1
    }
}
start postgres.sh
start swift.sh
APT_UPDATED=1 start s3.sh ceph
pg_url="$(. "$PG_BASE/env" && echo "$DATABASE_URL")"
urlenc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
# shellcheck disable=SC1091
swift_spec="$(set -a; . "$SWIFT_BASE/env"
    echo "swift=swift+tempauth://$(urlenc "$ST_USER"):$ST_KEY@${ST_AUTH#http://}?container=glint-scale&segment_size=1048576")"
# shellcheck disable=SC1091
ceph_spec="$(set -a; . "$S3_BASE/env"
    echo "ceph=s3://$(urlenc "$S3_ACCESS_KEY"):$S3_SECRET_KEY@${S3_ENDPOINT#http://}/glint-scale?region=$S3_REGION")"
export GLINT_TEST_DATABASE_URL="$pg_url"

echo "== the Rust test suite (cargo test --workspace) on PostgreSQL, filesystem store"
(cd "$repo" && cargo test --workspace)

for store in "$swift_spec" "$ceph_spec"; do
    name="${store%%=*}"
    echo "== the Rust server and binary suites on PostgreSQL + $name"
    (cd "$repo" && GLINT_TEST_STORE="$store" cargo test -p glint-server -p glint --tests)
    echo "== two nodes on PostgreSQL + $name"
    (cd "$repo" && GLINT_TEST_STORE="$store" cargo test -p glint-server --test two_nodes -- --ignored)
    echo "== openstack acceptance suite on PostgreSQL + $name"
    GLINT_TEST_STORE="$store" bash "$repo/scripts/test-acceptance.sh" -n 2
    echo "== openstacksdk + glanceclient suite on PostgreSQL + $name"
    GLINT_TEST_STORE="$store" bash "$repo/scripts/test-clients.sh"
    echo "== the differential CLI suite (openstack vs glint) on PostgreSQL + $name"
    GLINT_TEST_STORE="$store" bash "$repo/scripts/test-cli.sh" -n 2
    echo "== the differential run (Glint vs genuine Keystone + Glance) on PostgreSQL + $name"
    # The reference's one store is named `fs`; Glint's one store keeps that name here.
    GLINT_DIFF_STORE="${store#*=}" DIFF_KEEP_REFSTACK=1 bash "$repo/scripts/differential.sh"
done
echo "scale-out: all suites passed on PostgreSQL + Swift and PostgreSQL + Ceph RGW"
