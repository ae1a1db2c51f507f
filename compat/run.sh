#!/usr/bin/env bash
# Compatibility suite: RocketMQ clients nobody on this project wrote, pointed straight at `ferrocket standalone`.
# Installs/builds the clients into a cache outside the clone (~/.cache/ferrocket, or $FERROCKET_CACHE), reusing
# what is there, then runs the #[ignore]d compat tests with the drivers' locations in the environment.
#
# Usage: compat/run.sh [rust|cpp]...   (default: both)
set -euo pipefail
cd "$(dirname "$0")/.."

cache="${FERROCKET_CACHE:-$HOME/.cache/ferrocket}"
export FERROCKET_CACHE="$cache"
mkdir -p "$cache"
suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(rust cpp)

tests=()
for suite in "${suites[@]}"; do
    case "$suite" in
    rust)
        echo "== compat: building the rocketmq-client-rust driver (first build takes several minutes)"
        CARGO_TARGET_DIR="$cache/compat-rust-target" cargo build --release --locked \
            --manifest-path compat/rust-client/Cargo.toml
        export FERROCKET_COMPAT_RUST_CLIENT="$cache/compat-rust-target/release/ferrocket-compat-rust"
        tests+=(--test compat_rust_client)
        ;;
    cpp)
        echo "== compat: installing the Apache RocketMQ C++ client (cached)"
        FERROCKET_COMPAT_CPP_PYTHON="$(compat/cpp-client/setup.sh)"
        export FERROCKET_COMPAT_CPP_PYTHON
        export FERROCKET_COMPAT_CPP_DRIVER="$PWD/compat/cpp-client/driver.py"
        tests+=(--test compat_cpp_client)
        ;;
    *)
        echo "unknown suite $suite (want rust or cpp)" >&2
        exit 2
        ;;
    esac
done

echo "== compat: tests against Ferrocket"
# One test at a time: each starts its own broker and client processes, and they compete for the same cores.
cargo test --release -p ferrocket "${tests[@]}" -- --ignored --test-threads=1 --nocapture
