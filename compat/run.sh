#!/usr/bin/env bash
# Compatibility suite: builds drivers on RocketMQ clients nobody on this project wrote (cached under
# ~/.cache/ferrocket, outside the clone) and runs the tests that point them at real Ferrocket processes.
set -euo pipefail
cd "$(dirname "$0")/.."

cache="${FERROCKET_CACHE:-$HOME/.cache/ferrocket}"
mkdir -p "$cache"

echo "== compat: building the rocketmq-client-rust driver (first build takes several minutes)"
CARGO_TARGET_DIR="$cache/compat-rust-target" cargo build --release --manifest-path compat/rust-client/Cargo.toml
export FERROCKET_COMPAT_RUST_CLIENT="$cache/compat-rust-target/release/ferrocket-compat-rust"

echo "== compat: tests against Ferrocket"
cargo test --release -p ferrocket --test compat_rust_client -- --ignored --test-threads=1
