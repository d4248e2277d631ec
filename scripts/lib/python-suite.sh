# Shared by the pytest-driven suites (test-acceptance.sh, test-cli.sh, test-clients.sh):
# a venv kept in step with a requirements file, and the glint binary under test.
# Source it; it defines functions only.

# suite_venv NAME VENV REQUIREMENTS: create VENV (or rebuild it if its interpreter no longer
# runs) and reinstall REQUIREMENTS whenever the file's hash changes.
suite_venv() {
    local name="$1" venv="$2" requirements="$3"
    local stamp="$venv/.glint-$name-requirements.sha256"
    if [ -d "$venv" ] && ! "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
        echo "test-$name: $venv is broken; recreating it" >&2
        rm -rf "$venv"
    fi
    if [ ! -x "$venv/bin/python" ]; then
        echo "test-$name: creating venv $venv" >&2
        python3 -m venv "$venv"
    fi
    local want
    want="$(sha256sum "$requirements" | cut -d' ' -f1)"
    if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
        echo "test-$name: installing $requirements into $venv" >&2
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
        echo "$want" >"$stamp"
    fi
}

# suite_glint_bin NAME REPO: export GLINT_BIN, building the debug binary if it is unset.
suite_glint_bin() {
    local name="$1" repo="$2"
    if [ -z "${GLINT_BIN:-}" ]; then
        echo "test-$name: cargo build -p glint" >&2
        cargo build -p glint
        GLINT_BIN="${CARGO_TARGET_DIR:-$repo/target}/debug/glint"
    fi
    export GLINT_BIN
}

# suite_pytest VENV SUITE_DIR [pytest args...]: the whole suite unless the arguments name
# test files/dirs/ids themselves; returns pytest's exit code.
suite_pytest() {
    local venv="$1" suite="$2"
    shift 2
    local targets=("$suite") arg
    for arg in "$@"; do
        if [ -e "${arg%%::*}" ]; then
            targets=()
            break
        fi
    done
    "$venv/bin/python" -m pytest -q "${targets[@]}" "$@"
}
