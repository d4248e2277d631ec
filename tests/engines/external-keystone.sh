#!/usr/bin/env bash
# External Keystone mode against the genuine Keystone 30 from ../shared/tools/refstack/:
# `glint serve --identity-url` validates tokens there and reads unified limits from it,
# and the unmodified python-openstackclient drives Glint's image API with those tokens.
#
#   tests/engines/external-keystone.sh      (GLINT_BIN defaults to target/debug/glint)
#
# Installs/starts the reference stack if it is not running (and then stops it again).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tools="${REFSTACK_TOOLS:-$repo/../shared/tools/refstack}"
export REFSTACK_ROOT="${REFSTACK_ROOT:-${TMPDIR:-/tmp}/glint-refstack}"
glint="${GLINT_BIN:-$repo/target/debug/glint}"
work="$(mktemp -d)"
glint_pid=""
started_refstack=0

cleanup() {
    [ -n "$glint_pid" ] && kill "$glint_pid" 2>/dev/null && wait "$glint_pid" 2>/dev/null || true
    if [ "$started_refstack" = 1 ]; then bash "$tools/stop.sh" >/dev/null 2>&1 || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

if ! curl -fs -o /dev/null -m 2 http://127.0.0.1:5000/v3; then
    bash "$tools/setup.sh" >"$work/setup.log" 2>&1 || { tail -30 "$work/setup.log"; exit 1; }
    bash "$tools/start.sh" >"$work/start.log" 2>&1 || { tail -30 "$work/start.log"; exit 1; }
    started_refstack=1
fi
# shellcheck disable=SC1091
. "$REFSTACK_ROOT/env.sh"
openstack="$REFSTACK_ROOT/venv/bin/openstack"
keystone="$OS_AUTH_URL"

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
GLINT_IDENTITY_PASSWORD="$OS_PASSWORD" "$glint" serve --listen "127.0.0.1:$port" --data-dir "$work/glint" \
    --identity-url "$keystone" --identity-user "$OS_USERNAME" --identity-project "$OS_PROJECT_NAME" \
    >"$work/glint.log" 2>&1 &
glint_pid=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/image" && break; sleep 0.1; done
image="http://127.0.0.1:$port/image"

passed=0
failed=0
check() { # name expected actual
    if [ "$2" = "$3" ]; then passed=$((passed + 1)); echo "ok   $1"; else failed=$((failed + 1)); echo "FAIL $1: expected [$2], got [$3]"; fi
}
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

check "no /identity in external mode" 404 "$(code "http://127.0.0.1:$port/identity")"
check "garbage token refused" 401 "$(code -H 'X-Auth-Token: garbage' "$image/v2/images")"
check "WWW-Authenticate names the real Keystone" "Keystone uri=\"$keystone\"" \
    "$(curl -s -D - -o /dev/null -H 'X-Auth-Token: garbage' "$image/v2/images" | tr -d '\r' | awk -F': ' 'tolower($1)=="www-authenticate"{print $2}')"

# The unmodified openstack CLI: tokens from the real Keystone, images from Glint.
cat >"$work/clouds.yaml" <<YAML
clouds:
  external:
    auth:
      auth_url: $keystone
      username: $OS_USERNAME
      password: $OS_PASSWORD
      project_name: $OS_PROJECT_NAME
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    image_endpoint_override: $image
YAML
osc() { env -u OS_AUTH_URL -u OS_USERNAME -u OS_PASSWORD -u OS_PROJECT_NAME -u OS_USER_DOMAIN_NAME -u OS_PROJECT_DOMAIN_NAME \
        OS_CLIENT_CONFIG_FILE="$work/clouds.yaml" OS_CLOUD=external "$openstack" "$@"; }
printf 'external keystone\n' >"$work/data.raw"
name="ext-$$"
check "image create through Glint" 0 "$(osc image create --disk-format raw --file "$work/data.raw" "$name" -f value -c id >"$work/id" 2>"$work/err"; echo $?)"
id="$(cat "$work/id")"
check "the image lives in Glint's store" 1 "$(ls "$work/glint/images" | grep -c "$id" || true)"
check "image show" "active" "$(osc image show "$name" -f value -c status 2>/dev/null)"
check "image list has it" 1 "$(osc image list -f value -c Name 2>/dev/null | grep -cx "$name" || true)"
osc image save --file "$work/out.raw" "$name"
check "image save returns the bytes" "external keystone" "$(cat "$work/out.raw")"
check "image delete" 0 "$(osc image delete "$name" >/dev/null 2>&1; echo $?)"
check "the bytes left the store" 0 "$(ls "$work/glint/images" | grep -c "$id" || true)"

# Unified limits come from the real Keystone: a project limit of 0 images.
project="glint-ext-$$"
"$openstack" project create "$project" -f value -c id >"$work/project"
"$openstack" user create --password pw --project "$project" "$project-user" >/dev/null
"$openstack" role add --user "$project-user" --project "$project" member
"$openstack" limit create --project "$project" --service glance --region RegionOne --resource-limit 0 image_count_total >/dev/null
user_token="$(OS_USERNAME="$project-user" OS_PASSWORD=pw OS_PROJECT_NAME="$project" "$openstack" token issue -f value -c id)"
check "a limit set in Keystone is enforced by Glint" 413 \
    "$(code -X POST -H "X-Auth-Token: $user_token" -H 'Content-Type: application/json' -d '{"name":"x"}' "$image/v2/images")"
"$openstack" user delete "$project-user" >/dev/null
"$openstack" project delete "$project" >/dev/null

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
