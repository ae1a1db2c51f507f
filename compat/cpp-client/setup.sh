#!/usr/bin/env bash
# Installs the Apache RocketMQ C++ client 2.1.0 for compat/cpp-client/driver.py into a venv under the cache dir
# (default ~/.cache/ferrocket/pyclient) and prints the venv's python. Reuses a working install.
#
# PyPI rocketmq-client-python 2.0.0 has the ctypes bindings but no librocketmq.so; the sdist of
# rocketmq-python-cvs 2.1.0.3 carries a prebuilt one (x86_64 Linux), which is copied next to the bindings.
set -euo pipefail

cache="${FERROCKET_CACHE:-$HOME/.cache/ferrocket}"
base="$cache/pyclient"
venv="$base/venv"
py="$venv/bin/python"

if [ -x "$py" ] && "$py" -c 'import rocketmq.client' 2>/dev/null; then
    echo "$py"
    exit 0
fi

mkdir -p "$base"
if [ ! -x "$py" ]; then
    echo "== compat: creating $venv" >&2
    python3 -m venv "$venv" >&2
fi
"$py" -m pip install --quiet --disable-pip-version-check rocketmq-client-python==2.0.0 >&2

so="$(find "$base/sdist" -name librocketmq.so -path '*/rocketmq/*' 2>/dev/null | head -n 1 || true)"
if [ -z "$so" ]; then
    echo "== compat: fetching librocketmq.so (sdist of rocketmq-python-cvs 2.1.0.3)" >&2
    mkdir -p "$base/sdist"
    "$py" -m pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
        -d "$base/sdist" rocketmq-python-cvs==2.1.0.3 >&2
    for archive in "$base"/sdist/*.tar.gz; do
        tar -xzf "$archive" -C "$base/sdist"
    done
    so="$(find "$base/sdist" -name librocketmq.so -path '*/rocketmq/*' | head -n 1)"
fi
[ -n "$so" ] || { echo "librocketmq.so not found in the rocketmq-python-cvs sdist" >&2; exit 1; }

site="$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
cp "$so" "$site/rocketmq/librocketmq.so"
"$py" -c 'import rocketmq.client' >&2
echo "$py"
