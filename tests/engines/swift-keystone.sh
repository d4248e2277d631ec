#!/usr/bin/env bash
# A real OpenStack Swift (Debian packages, via ../shared/tools/engines/swift.sh) with
# keystonemiddleware pointed at Glint's Identity: Swift must accept Glint tokens.
#
#   tests/engines/swift-keystone.sh        (GLINT_BIN defaults to target/debug/glint)
#
# Starts Glint and Swift, checks, stops both. Exit 0 only if every check passed.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
engines="${GLINT_ENGINES:-$repo/../shared/tools/engines}"
glint="${GLINT_BIN:-$repo/target/debug/glint}"
port="${GLINT_SWIFT_TEST_PORT:-15001}"
work="$(mktemp -d)"
export SWIFT_BASE="$work/swift" SWIFT_STORAGE=shm SWIFT_AUTH=keystone
export KEYSTONE_URL="http://127.0.0.1:$port/identity/v3"
glint_pid=""

cleanup() {
    bash "$engines/swift.sh" stop >/dev/null 2>&1 || true
    [ -n "$glint_pid" ] && kill "$glint_pid" 2>/dev/null && wait "$glint_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

passed=0
failed=0
check() { # name expected actual
    if [ "$2" = "$3" ]; then passed=$((passed + 1)); echo "ok   $1"; else failed=$((failed + 1)); echo "FAIL $1: expected $2, got $3"; fi
}

GLINT_ADMIN_PASSWORD=secret "$glint" serve --listen "127.0.0.1:$port" --data-dir "$work/glint" >"$work/glint.log" 2>&1 &
glint_pid=$!
for _ in $(seq 100); do curl -fs -o /dev/null "http://127.0.0.1:$port/identity/v3" && break; sleep 0.1; done

api() { # method path token [json]
    curl -s -X "$1" -H "X-Auth-Token: $3" -H 'Content-Type: application/json' ${4:+-d "$4"} "http://127.0.0.1:$port/identity/v3$2"
}
token() { # user password project
    curl -s -D - -o /dev/null -H 'Content-Type: application/json' -d "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":{\"name\":\"$1\",\"domain\":{\"id\":\"default\"},\"password\":\"$2\"}}},\"scope\":{\"project\":{\"name\":\"$3\",\"domain\":{\"id\":\"default\"}}}}}" \
        "http://127.0.0.1:$port/identity/v3/auth/tokens" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-subject-token"{print $2}'
}
field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

admin=$(token admin secret admin)
service_project=$(api GET "/projects?name=service" "$admin" | field '["projects"][0]["id"]')
role_id() { api GET "/roles?name=$1" "$admin" | field '["roles"][0]["id"]'; }
swift_user=$(api POST /users "$admin" '{"user":{"name":"swift","password":"swiftpass","default_project_id":"'"$service_project"'"}}' | field '["user"]["id"]')
api PUT "/projects/$service_project/users/$swift_user/roles/$(role_id admin)" "$admin" >/dev/null
api PUT "/projects/$service_project/users/$swift_user/roles/$(role_id service)" "$admin" >/dev/null
demo=$(api POST /projects "$admin" '{"project":{"name":"demo"}}' | field '["project"]["id"]')
alice=$(api POST /users "$admin" '{"user":{"name":"alice","password":"pw"}}' | field '["user"]["id"]')
api PUT "/projects/$demo/users/$alice/roles/$(role_id member)" "$admin" >/dev/null
svc=$(api POST /services "$admin" '{"service":{"type":"object-store","name":"swift"}}' | field '["service"]["id"]')
api POST /endpoints "$admin" '{"endpoint":{"service_id":"'"$svc"'","interface":"public","region_id":"RegionOne","url":"http://127.0.0.1:18080/v1/AUTH_$(project_id)s"}}' >/dev/null

bash "$engines/swift.sh" start >"$work/swift-start.log" 2>&1 || { cat "$work/swift-start.log"; exit 1; }
swift="http://127.0.0.1:18080/v1/AUTH_$demo"
user_token=$(token alice pw demo)

code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
check "container PUT with a Glint token" 201 "$(code -X PUT -H "X-Auth-Token: $user_token" "$swift/images")"
check "object PUT with a Glint token" 201 "$(code -X PUT -H "X-Auth-Token: $user_token" --data-binary 'hello swift' "$swift/images/obj")"
check "object GET returns the bytes" "hello swift" "$(curl -s -H "X-Auth-Token: $user_token" "$swift/images/obj")"
check "garbage token refused" 401 "$(code -H 'X-Auth-Token: garbage' "$swift/images/obj")"
check "no token refused" 401 "$(code "$swift/images/obj")"
other=$(token admin secret admin)
check "a token of another project is refused on this account" 403 "$(code -H "X-Auth-Token: $other" "$swift/images/obj")"
calls=$(grep -c 'path=/identity/v3/auth/tokens' "$work/glint.log" || true)
check "keystonemiddleware validated tokens against Glint" yes "$([ "$calls" -ge 3 ] && echo yes || echo no)"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
