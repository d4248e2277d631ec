#!/usr/bin/env bash
# Glint benchmarks, side by side with genuine Keystone + Glance (issue 7). See bench/README.md.
#
#   bench/run.sh [--reference] [--quick] [--no-build] [--only cli,server,data,startup]
#
# Starts Glint (release build) on a free port with a temporary data dir; with --reference it
# also uses the real Keystone (127.0.0.1:5000) + Glance (127.0.0.1:9292) from
# ../shared/tools/refstack: reused when already running (and then left running), otherwise
# started here and stopped at the end.  Prints a markdown table and writes
# bench/results/<timestamp>.{json,md}.  Needs wrk, curl, openssl, python3 (stdlib only).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$HERE")
REFSTACK_DIR=${REFSTACK_DIR:-$(cd "$REPO/.." && pwd)/shared/tools/refstack}
export REFSTACK_ROOT=${REFSTACK_ROOT:-${TMPDIR:-/tmp}/glint-refstack}
KS_PORT=${KS_PORT:-5000}
GL_PORT=${GL_PORT:-9292}

reference=0 build=1 args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --reference) reference=1; args+=("$1") ;;
    --quick) args+=("$1") ;;
    --no-build) build=0 ;;
    --only) args+=("$1" "$2"); shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
  shift
done

for tool in wrk curl openssl python3; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is required (apt-get install $tool)" >&2; exit 2; }
done

if [ "$build" = 1 ]; then
  # a no-op when up to date; benchmarks never run while cargo builds
  (cd "$REPO" && cargo build --release -p glint --quiet)
fi
[ -x "$REPO/target/release/glint" ] || { echo "bench: no target/release/glint" >&2; exit 2; }

started_ref=0
cleanup() {
  if [ "$started_ref" = 1 ]; then
    echo "[bench] stopping the reference stack this run started" >&2
    bash "$REFSTACK_DIR/stop.sh" >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$reference" = 1 ]; then
  if curl -sf -o /dev/null -m 3 "http://127.0.0.1:$KS_PORT/v3" && curl -s -o /dev/null -m 3 "http://127.0.0.1:$GL_PORT/"; then
    echo "[bench] reusing the running reference Keystone + Glance (left running)" >&2
  else
    echo "[bench] starting the reference Keystone + Glance ($REFSTACK_DIR/start.sh)" >&2
    started_ref=1
    bash "$REFSTACK_DIR/start.sh" >&2
    sleep 2
  fi
fi

python3 "$HERE/bench.py" --refstack-root "$REFSTACK_ROOT" "${args[@]}"
