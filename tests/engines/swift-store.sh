#!/usr/bin/env bash
# Swift as Glint's image store, against a real Swift (Debian packages, tempauth) from
# ../shared/tools/engines/swift.sh: the store's own tests, then `glint serve` on that
# store driven by the unmodified python-openstackclient (segmented uploads included).
#
#   tests/engines/swift-store.sh     (GLINT_BIN defaults to target/debug/glint; GLINT_VENV to .venv)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
engines="${GLINT_ENGINES:-$repo/../shared/tools/engines}"
glint="${GLINT_BIN:-$repo/target/debug/glint}"
openstack="${GLINT_VENV:-$repo/.venv}/bin/openstack"
work="$(mktemp -d)"
export SWIFT_BASE="$work/swift" SWIFT_STORAGE=shm SWIFT_AUTH=tempauth
glint_pid=""
cleanup() {
    [ -n "$glint_pid" ] && kill "$glint_pid" 2>/dev/null && wait "$glint_pid" 2>/dev/null || true
    bash "$engines/swift.sh" stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

bash "$engines/swift.sh" start >"$work/swift-start.log" 2>&1 || { cat "$work/swift-start.log"; exit 1; }
set -a
# shellcheck disable=SC1091
. "$SWIFT_BASE/env"
set +a

echo "== store tests against Swift"
(cd "$repo" && cargo test -p glint-store --test swift -- --ignored)

echo "== glint serve on a Swift store, driven by openstack"
[ -x "$openstack" ] || { echo "no openstack CLI at $openstack (run scripts/test-acceptance.sh first)"; exit 1; }
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
user_enc="$(python3 -c 'import urllib.parse,sys; print(urllib.parse.quote(sys.argv[1], safe=""))' "$ST_USER")"
store="swift+tempauth://$user_enc:$ST_KEY@${ST_AUTH#http://}?container=glance&segment_size=1048576"
GLINT_ADMIN_PASSWORD=secret "$glint" serve --listen "127.0.0.1:$port" --data-dir "$work/glint" --store "swift=$store" \
    >"$work/glint.log" 2>&1 &
glint_pid=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/identity" && break; sleep 0.1; done
# shellcheck disable=SC1091
. "$work/glint/admin-openrc.sh"

passed=0
failed=0
check() { if [ "$2" = "$3" ]; then passed=$((passed + 1)); echo "ok   $1"; else failed=$((failed + 1)); echo "FAIL $1: expected [$2], got [$3]"; fi; }
swift_list() { # container
    local token
    token=$(curl -s -D - -o /dev/null -H "X-Auth-User: $ST_USER" -H "X-Auth-Key: $ST_KEY" "$ST_AUTH" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-auth-token"{print $2}')
    curl -s -H "X-Auth-Token: $token" "$SWIFT_STORAGE_URL/$1" | grep -c . || true
}

head -c 3500000 /dev/urandom >"$work/data.raw"
"$openstack" image create --disk-format raw --file "$work/data.raw" big -f value -c id >"$work/id"
check "3.5 MB upload lands as one object" 1 "$(swift_list glance)"
check "in four 1 MiB segments" 4 "$(swift_list glance_segments)"
check "md5 as the data" "$(md5sum <"$work/data.raw" | cut -d' ' -f1)" "$("$openstack" image show big -f value -c checksum)"
check "stores field" swift "$("$openstack" image show big -f json | python3 -c 'import json,sys; print(json.load(sys.stdin)["properties"]["stores"])')"
"$openstack" image save --file "$work/out.raw" big
check "image save returns the bytes" "$(sha256sum <"$work/data.raw")" "$(sha256sum <"$work/out.raw")"
"$openstack" image delete big
check "delete removes the object" 0 "$(swift_list glance)"
check "and every segment" 0 "$(swift_list glance_segments)"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
