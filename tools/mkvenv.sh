#!/usr/bin/env bash
# Create the project virtual environment .venv from the first Python >= 3.12 found, and install
# sifrac with its pip DOLFINx and test extras. Called by `make` on first use.
set -euo pipefail
VENV=${VENV:-.venv}

is_ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }

find_python() {
    local c
    for c in ${PYTHON:-} python3.12 python3.13 python3.14 python3 \
             "$HOME"/.pyenv/versions/3.1[2-9]*/bin/python3 /usr/local/bin/python3.1[2-9] /usr/bin/python3.1[2-9]; do
        [ -n "$c" ] || continue
        if command -v "$c" >/dev/null 2>&1 && is_ok "$c"; then command -v "$c"; return 0; fi
    done
    return 1
}

PY=$(find_python) || { echo "error: sifrac needs Python >= 3.12 and none was found (set PYTHON=/path/to/python3.12)" >&2; exit 1; }
echo "creating $VENV with $PY ($("$PY" --version 2>&1))"

if ! "$PY" -m venv "$VENV" 2>/dev/null; then
    # Debian's system Python ships venv without ensurepip unless python3-venv is installed.
    rm -rf "$VENV"
    if "$PY" -m pip --version >/dev/null 2>&1; then
        "$PY" -m venv --without-pip "$VENV"
        "$PY" -m pip --python "$VENV/bin/python" install -q pip
    elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        ver=$("$PY" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
        echo "ensurepip is missing: installing Debian's python${ver}-venv"
        apt-get update -qq && apt-get install -y -qq "python${ver}-venv" >/dev/null
        "$PY" -m venv "$VENV"
    else
        echo "error: $PY has no ensurepip and no pip; install python3-venv (Debian) and retry" >&2; exit 1
    fi
fi
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q -e ".[pip,test]"
echo "$VENV ready"
