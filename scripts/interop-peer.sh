#!/usr/bin/env bash
# Interop run: Ferrocket's client SDK tests (producer and push consumer) against the independent peer implementation
# of RocketMQ (crates.io rocketmq-namesrv + rocketmq-broker), started here on ports of its own, outside the test
# suite. Then a `ferrocket bench` produce/consume round against the same peer, with counts.
#
# usage: scripts/interop-peer.sh [--skip-install] [--messages N]
# env:   PEER_ROOT (default ~/.cache/ferrocket/peer), BASE_PORT (default 23000: the peer uses BASE+876, BASE+911,
#        BASE+912), WORK (scratch directory, default a fresh mktemp -d).
set -euo pipefail

INSTALL=1 MESSAGES=20000
while [[ $# -gt 0 ]]; do
  case "$1" in
    --skip-install) INSTALL=0; shift ;;
    --messages) MESSAGES=$2; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PEER_ROOT=${PEER_ROOT:-$HOME/.cache/ferrocket/peer}
BASE=${BASE_PORT:-23000}
WORK=${WORK:-$(mktemp -d /tmp/interop-peer.XXXXXX)}
mkdir -p "$WORK"
NS_PORT=$((BASE + 876)) BROKER_PORT=$((BASE + 911)) HA_PORT=$((BASE + 912))
PIDS=()

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  # The peer can take minutes to stop on SIGTERM: 10 s, then kill.
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
  for _ in $(seq 1 600); do
    port_free "$1" || return 0
    sleep 0.1
  done
  echo "$2 did not start listening on 127.0.0.1:$1 (logs in $WORK)" >&2
  exit 1
}

for p in $NS_PORT $BROKER_PORT $HA_PORT; do
  port_free "$p" || { echo "port $p is in use; set BASE_PORT to another range" >&2; exit 1; }
done

if [[ ! -x $PEER_ROOT/bin/rocketmq-broker-rust || ! -x $PEER_ROOT/bin/rocketmq-namesrv-rust ]]; then
  if [[ $INSTALL == 0 ]]; then
    echo "peer not installed in $PEER_ROOT (drop --skip-install to install it)" >&2
    exit 1
  fi
  log "installing the peer into $PEER_ROOT (about 13 minutes on 2 cores)"
  cargo install rocketmq-namesrv rocketmq-broker --locked --root "$PEER_ROOT"
fi

log "building ferrocket and the client tests (release)"
(cd "$ROOT" && cargo build --release -p ferrocket && cargo test --release -p ferrocket --no-run \
  --test client_smoke --test client_producer --test client_clustering --test client_broadcast_orderly \
  --test client_flow_control) >"$WORK/build.log" 2>&1 || { tail -40 "$WORK/build.log" >&2; exit 1; }

PH=$WORK/peer
mkdir -p "$PH/store"
cat >"$PH/broker.toml" <<EOF
[broker]
namesrvAddr = "127.0.0.1:$NS_PORT"
brokerIp1 = "127.0.0.1"
listenPort = $BROKER_PORT
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
haListenPort = $HA_PORT
EOF
log "starting the peer name server on $NS_PORT and broker on $BROKER_PORT (logs in $PH)"
(cd "$PH" && exec "$PEER_ROOT/bin/rocketmq-namesrv-rust" --rocketmqHome "$PH" --listenPort $NS_PORT \
  --bindAddress 127.0.0.1 --kvConfigPath "$PH/kvConfig.json" >"$PH/namesrv.log" 2>&1) &
PIDS+=($!)
wait_port $NS_PORT "peer name server"
(cd "$PH" && ROCKETMQ_HOME="$PH" exec "$PEER_ROOT/bin/rocketmq-broker-rust" -c "$PH/broker.toml" \
  -n 127.0.0.1:$NS_PORT >"$PH/broker.log" 2>&1) &
PIDS+=($!)
wait_port $BROKER_PORT "peer broker"
sleep 2 # its first registration with the name server

export FERROCKET_INTEROP_NAMESRV=127.0.0.1:$NS_PORT FERROCKET_INTEROP_BROKER=127.0.0.1:$BROKER_PORT
STATUS=0
for t in client_smoke client_producer client_clustering client_broadcast_orderly client_flow_control; do
  log "client tests: $t against the peer"
  # The dead-broker test stops a broker of its own; it says nothing about the peer.
  if (cd "$ROOT" && cargo test --release -q -p ferrocket --test "$t" -- --test-threads=1 \
      --skip send_to_a_dead_broker) >"$WORK/$t.log" 2>&1; then
    grep -E "^test result" "$WORK/$t.log" | sed "s/^/$t: /"
  else
    STATUS=1
    grep -E "^test |^test result|panicked" "$WORK/$t.log" | sed "s/^/$t: /"
  fi
done

FR=${CARGO_TARGET_DIR:-$ROOT/target}/release/ferrocket
NS=127.0.0.1:$NS_PORT
log "bench: $MESSAGES messages produced to and consumed from the peer"
"$FR" admin updateTopic -n "$NS" -b "127.0.0.1:$BROKER_PORT" -t InteropBench -r 4 -w 4 >/dev/null
for _ in $(seq 1 100); do "$FR" admin topicRoute -n "$NS" -t InteropBench >/dev/null 2>&1 && break; sleep 0.2; done
"$FR" bench producer -n "$NS" -t InteropBench -s 256 -w 16 -q "$MESSAGES" --json "$WORK/producer.json" \
  >"$WORK/producer.log" 2>&1 || STATUS=1
"$FR" bench consumer -n "$NS" -t InteropBench -g InteropBenchG --from-first -q "$MESSAGES" --duration 300 \
  --json "$WORK/consumer.json" >"$WORK/consumer.log" 2>&1 || STATUS=1
python3 - "$WORK/producer.json" "$WORK/consumer.json" <<'PY'
import json, sys
for path in sys.argv[1:]:
    try:
        r = json.load(open(path))
    except Exception as e:
        print(f"{path}: no result ({e})")
        continue
    print(f"bench {r['role']}: {r['messages']} messages, {r['failures']} failures, {r['tps']:.0f} msg/s")
PY
log "logs in $WORK"
exit $STATUS
