#!/usr/bin/env bash
# The project's test command: the workspace's unit and multi-process tests, then the compatibility suite that drives
# Ferrocket with RocketMQ clients nobody on this project wrote (built once into ~/.cache/ferrocket).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --release --no-fail-fast
compat/run.sh
