#!/usr/bin/env bash
# Side-by-side benchmark: Ferrocket vs the peer Rust implementation of RocketMQ (crates.io rocketmq-namesrv /
# rocketmq-broker), both on this machine with equivalent settings (one name server, one ASYNC_FLUSH master), driven by
# the same `ferrocket bench producer` (and optionally consumer) in the order A B A B; prints each run, the mean of
# each side and the ratio Ferrocket / peer.
#
# usage: scripts/bench-compare.sh [--duration S] [--warmup S] [--size BYTES] [--inflight N] [--rounds N]
#                                 [--consumer] [--skip-install]
# env:   FERROCKET_BIN (default target/release/ferrocket, built if missing), PEER_ROOT (default
#        ~/.cache/ferrocket/peer), BASE_PORT (default 19000: Ferrocket uses BASE+876/BASE+911, the peer
#        BASE+10876/BASE+10911/BASE+10912), WORK (scratch directory, default a fresh mktemp -d).
set -euo pipefail

DURATION=20 WARMUP=5 SIZE=1024 INFLIGHT=64 ROUNDS=2 CONSUMER=0 INSTALL=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --duration) DURATION=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --size) SIZE=$2; shift 2 ;;
    --inflight) INFLIGHT=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --consumer) CONSUMER=1; shift ;;
    --skip-install) INSTALL=0; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
FERROCKET=${FERROCKET_BIN:-$ROOT/target/release/ferrocket}
PEER_ROOT=${PEER_ROOT:-$HOME/.cache/ferrocket/peer}
BASE=${BASE_PORT:-19000}
WORK=${WORK:-$(mktemp -d /tmp/bench-compare.XXXXXX)}
FR_NS=$((BASE + 876)) FR_BROKER=$((BASE + 911))
PEER_NS=$((BASE + 10876)) PEER_BROKER=$((BASE + 10911)) PEER_HA=$((BASE + 10912))
PIDS=()

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

cleanup() {
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  # The peer can take minutes to stop on SIGTERM: give everything 10 s, then kill what is left.
  for _ in $(seq 1 100); do
    local alive=0
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [[ $alive == 0 ]] && break
    sleep 0.1
  done
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  local port=$1 what=$2
  for _ in $(seq 1 600); do
    if ! port_free "$port"; then return 0; fi
    sleep 0.1
  done
  echo "$what did not start listening on 127.0.0.1:$port (logs in $WORK)" >&2
  exit 1
}

for p in $FR_NS $FR_BROKER $PEER_NS $PEER_BROKER $PEER_HA; do
  port_free "$p" || { echo "port $p is in use; set BASE_PORT to another range" >&2; exit 1; }
done

if [[ ! -x $FERROCKET ]]; then
  log "building ferrocket (release)"
  (cd "$ROOT" && cargo build --release -p ferrocket)
fi

if [[ ! -x $PEER_ROOT/bin/rocketmq-broker-rust || ! -x $PEER_ROOT/bin/rocketmq-namesrv-rust ]]; then
  if [[ $INSTALL == 0 ]]; then
    echo "peer not installed in $PEER_ROOT (drop --skip-install to install it)" >&2
    exit 1
  fi
  log "installing the peer into $PEER_ROOT (about 13 minutes on 2 cores)"
  cargo install rocketmq-namesrv rocketmq-broker --locked --root "$PEER_ROOT"
fi

# --- Ferrocket: one process, name server + broker, ASYNC_FLUSH (the default).
mkdir -p "$WORK/ferrocket"
log "starting Ferrocket on $FR_NS / $FR_BROKER"
(cd "$WORK/ferrocket" && HOME="$WORK/ferrocket" FERROCKET_LOG=warn exec "$FERROCKET" standalone \
  --set namesrvAddr=127.0.0.1:$FR_NS --set listenPort=$FR_BROKER --set bindAddress=127.0.0.1 \
  --set brokerIP1=127.0.0.1 --set brokerName=broker-a --set brokerClusterName=DefaultCluster \
  --set storePathRootDir="$WORK/ferrocket/store" --set flushDiskType=ASYNC_FLUSH >"$WORK/ferrocket/out.log" 2>&1) &
PIDS+=($!)
wait_port $FR_BROKER "Ferrocket"

# --- The peer: its own name server and an ASYNC_MASTER broker (settings from shared/compat/README.md).
PH=$WORK/peer
mkdir -p "$PH/store"
cat >"$PH/broker.toml" <<EOF
[broker]
namesrvAddr = "127.0.0.1:$PEER_NS"
brokerIp1 = "127.0.0.1"
listenPort = $PEER_BROKER
storePathRootDir = "$PH/store"
[broker.brokerServerConfig]
bindAddress = "127.0.0.1"
[broker.brokerIdentity]
brokerName = "broker-a"
brokerClusterName = "DefaultCluster"
brokerId = 0
[store]
storeType = "LocalFile"
brokerRole = "ASYNC_MASTER"
storePathRootDir = "$PH/store"
haListenAddress = "127.0.0.1"
haListenPort = $PEER_HA
EOF
log "starting the peer on $PEER_NS / $PEER_BROKER"
(cd "$PH" && exec "$PEER_ROOT/bin/rocketmq-namesrv-rust" --rocketmqHome "$PH" --listenPort $PEER_NS \
  --bindAddress 127.0.0.1 --kvConfigPath "$PH/kvConfig.json" >"$PH/namesrv.log" 2>&1) &
PIDS+=($!)
wait_port $PEER_NS "peer name server"
(cd "$PH" && ROCKETMQ_HOME="$PH" exec "$PEER_ROOT/bin/rocketmq-broker-rust" -c "$PH/broker.toml" \
  -n 127.0.0.1:$PEER_NS >"$PH/broker.log" 2>&1) &
PIDS+=($!)
wait_port $PEER_BROKER "peer broker"

# Topics: 8 queues each, created the same way on both, and wait for the routes.
setup_topic() {
  local ns=$1 broker=$2 topic=$3
  "$FERROCKET" admin updateTopic -n "$ns" -b "$broker" -t "$topic" -r 8 -w 8 >/dev/null
  for _ in $(seq 1 100); do
    "$FERROCKET" admin topicRoute -n "$ns" -t "$topic" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "route of $topic never appeared on $ns" >&2
  exit 1
}

declare -A NS=([ferrocket]=127.0.0.1:$FR_NS [peer]=127.0.0.1:$PEER_NS)
declare -A BROKER=([ferrocket]=127.0.0.1:$FR_BROKER [peer]=127.0.0.1:$PEER_BROKER)
RESULTS=$WORK/results.tsv
: >"$RESULTS"

run_one() {
  local target=$1 round=$2
  local ns=${NS[$target]} topic="Cmp${round}"
  setup_topic "$ns" "${BROKER[$target]}" "$topic"
  local pj="$WORK/$target-$round-producer.json" cj="$WORK/$target-$round-consumer.json" cpid=
  if [[ $CONSUMER == 1 ]]; then
    "$FERROCKET" bench consumer -n "$ns" -t "$topic" -g "Cmp${round}G" --duration $((DURATION + WARMUP + 10)) \
      --warmup $((WARMUP + 3)) -ri 60000 --json "$cj" >"$WORK/$target-$round-consumer.log" 2>&1 &
    cpid=$!
    sleep 3 # the consumer joins its group first; its warm-up covers this wait plus the producer's
  fi
  log "round $round: $target producer ($SIZE B, $INFLIGHT in flight, ${DURATION}s + ${WARMUP}s warm-up)"
  "$FERROCKET" bench producer -n "$ns" -t "$topic" -s "$SIZE" -w "$INFLIGHT" --duration $((DURATION + WARMUP)) \
    --warmup "$WARMUP" -ri 60000 --json "$pj" >"$WORK/$target-$round-producer.log" 2>&1
  if [[ -n $cpid ]]; then
    kill -INT "$cpid" 2>/dev/null || true
    wait "$cpid" || true
  fi
  python3 - "$target" "$round" "$pj" "$cj" >>"$RESULTS" <<'PY'
import json, os, sys
target, rnd, pj, cj = sys.argv[1:]
p = json.load(open(pj))
c = json.load(open(cj)) if os.path.exists(cj) else None
row = [target, rnd, p["tps"], p["mbps"], p["latency_ms"]["p50"], p["latency_ms"]["p99"], p["latency_ms"]["p999"],
       p["failures"], c["tps"] if c else "", c["latency_ms"]["p99"] if c else ""]
print("\t".join(str(x) for x in row))
PY
}

for round in $(seq 1 "$ROUNDS"); do
  run_one ferrocket "$round"
  run_one peer "$round"
done

python3 - "$RESULTS" "$SIZE" "$INFLIGHT" "$DURATION" <<'PY'
import sys
from statistics import mean
path, size, inflight, duration = sys.argv[1:]
rows = [l.rstrip("\n").split("\t") for l in open(path) if l.strip()]
print(f"\nproducer: {size} B bodies, {inflight} in flight, {duration} s measured per run; runs in order A B A B")
print(f"{'target':10} {'round':>5} {'msg/s':>10} {'MB/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'p99.9 ms':>9} {'fail':>6} {'cons msg/s':>11} {'cons p99':>9}")
for r in rows:
    cons = f"{float(r[8]):11.0f}" if r[8] else f"{'-':>11}"
    cp99 = f"{float(r[9]):9.2f}" if r[9] else f"{'-':>9}"
    print(f"{r[0]:10} {r[1]:>5} {float(r[2]):10.0f} {float(r[3]):8.2f} {float(r[4]):8.2f} {float(r[5]):8.2f} {float(r[6]):9.2f} {r[7]:>6} {cons} {cp99}")
def m(t, i):
    v = [float(r[i]) for r in rows if r[0] == t and r[i] != ""]
    return mean(v) if v else None
print()
for label, i, better in [("producer msg/s", 2, "higher"), ("producer p99 ms", 5, "lower"), ("consumer msg/s", 8, "higher")]:
    a, b = m("ferrocket", i), m("peer", i)
    if a is None or b is None:
        continue
    ratio = a / b if b else float("inf")
    print(f"{label:16} ferrocket {a:10.2f}   peer {b:10.2f}   ratio ferrocket/peer {ratio:5.2f} ({better} is better)")
PY
log "logs and JSON results in $WORK"
