#!/usr/bin/env bash
# Swift and S3 as Glint's image stores, against a real Swift (Debian packages, tempauth,
# with its s3api for S3) from ../shared/tools/engines/swift.sh: the stores' own tests, then
# `glint serve` on each store driven by the unmodified python-openstackclient.
#
#   tests/engines/object-stores.sh     (GLINT_BIN defaults to target/debug/glint; GLINT_VENV to .venv)
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

echo "== store tests against Swift and S3"
(cd "$repo" && cargo test -p glint-store --test swift --test s3 -- --ignored)

[ -x "$openstack" ] || { echo "no openstack CLI at $openstack (run scripts/test-acceptance.sh first)"; exit 1; }
passed=0
failed=0
check() { if [ "$2" = "$3" ]; then passed=$((passed + 1)); echo "ok   $1"; else failed=$((failed + 1)); echo "FAIL $1: expected [$2], got [$3]"; fi; }
swift_list() { # container: its object count (a missing container fails the caller's check)
    local token
    token=$(curl -s -D - -o /dev/null -H "X-Auth-User: $ST_USER" -H "X-Auth-Key: $ST_KEY" "$ST_AUTH" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-auth-token"{print $2}')
    curl -s -D - -o /dev/null -H "X-Auth-Token: $token" "$SWIFT_STORAGE_URL/$1" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-container-object-count"{print $2} /^HTTP\/1.1 404/{print "missing"}'
}
user_enc="$(python3 -c 'import urllib.parse,sys; print(urllib.parse.quote(sys.argv[1], safe=""))' "$ST_USER")"

serve_on() { # store-spec data-dir
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
    GLINT_ADMIN_PASSWORD=secret "$glint" serve --listen "127.0.0.1:$port" --data-dir "$2" --store "$1" >"$2.log" 2>&1 &
    glint_pid=$!
    for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/identity" && break; sleep 0.1; done
    # shellcheck disable=SC1091
    . "$2/admin-openrc.sh"
}
stop_glint() { kill "$glint_pid" && wait "$glint_pid" || true; glint_pid=""; }

echo "== glint serve on a Swift store, driven by openstack"
serve_on "swift=swift+tempauth://$user_enc:$ST_KEY@${ST_AUTH#http://}?container=glance&segment_size=1048576" "$work/glint-swift"
head -c 3500000 /dev/urandom >"$work/data.raw"
"$openstack" image create --disk-format raw --file "$work/data.raw" big -f value -c id >/dev/null
check "3.5 MB upload lands as one object" 1 "$(swift_list glance)"
check "in four 1 MiB segments" 4 "$(swift_list glance_segments)"
check "md5 as the data" "$(md5sum <"$work/data.raw" | cut -d' ' -f1)" "$("$openstack" image show big -f value -c checksum)"
check "stores field" swift "$("$openstack" image show big -f json | python3 -c 'import json,sys; print(json.load(sys.stdin)["properties"]["stores"])')"
"$openstack" image save --file "$work/out.raw" big
check "image save returns the bytes" "$(sha256sum <"$work/data.raw")" "$(sha256sum <"$work/out.raw")"
"$openstack" image delete big
check "delete removes the object" 0 "$(swift_list glance)"
check "and every segment" 0 "$(swift_list glance_segments)"
stop_glint

echo "== glint serve on an S3 store (Swift's s3api), driven by openstack"
access_enc="$(python3 -c 'import urllib.parse,sys; print(urllib.parse.quote(sys.argv[1], safe=""))' "$S3_ACCESS_KEY")"
serve_on "s3=s3://$access_enc:$S3_SECRET_KEY@${S3_ENDPOINT#http://}/glint-images?region=$S3_REGION" "$work/glint-s3"
"$openstack" image create --disk-format raw --file "$work/data.raw" bigs3 -f value -c id >/dev/null
check "S3: md5 as the data" "$(md5sum <"$work/data.raw" | cut -d' ' -f1)" "$("$openstack" image show bigs3 -f value -c checksum)"
check "S3: the object is in the bucket (seen through Swift)" 1 "$(swift_list glint-images)"
check "S3: nothing on the local disk" 0 "$(find "$work/glint-s3" -path '*images*' -type f | wc -l)"
"$openstack" image save --file "$work/out3.raw" bigs3
check "S3: image save returns the bytes" "$(sha256sum <"$work/data.raw")" "$(sha256sum <"$work/out3.raw")"
check "S3: delete" 0 "$("$openstack" image delete bigs3 >/dev/null 2>&1; echo $?)"
check "S3: the image is gone" 1 "$("$openstack" image show bigs3 >/dev/null 2>&1; echo $?)"
check "S3: delete empties the bucket" 0 "$(swift_list glint-images)"
stop_glint

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
