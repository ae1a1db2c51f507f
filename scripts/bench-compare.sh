#!/usr/bin/env bash
# Side-by-side benchmark: Ferrocket vs the peer Rust implementation of RocketMQ (crates.io rocketmq-namesrv /
# rocketmq-broker), both on this machine with equivalent settings (one name server, one master), driven by the same
# `ferrocket bench producer|consumer`, runs in the order A B A B (each run on a freshly started broker with an empty
# store, one broker up at a time). Prints a Markdown report (medians of the rounds, ratio Ferrocket / peer, targets)
# on stdout and writes results.tsv + results.json; progress goes to stderr.
#
# Scenarios (--scenarios, default all):
#   a  1 KiB sends, 64 in flight, ASYNC_FLUSH                      both   target: >= 10x peer and >= 50,000 msg/s
#   b  128 B sends, 64 in flight, ASYNC_FLUSH                      both
#   c  1 KiB sends, 64 in flight, SYNC_FLUSH                       both   target: Ferrocket c >= 40 % of its a
#   d  send latency at a fixed --rate (default 1,000 msg/s)        both
#   e  consume a backlog (default 1 GiB) with a new group          both   target: consume >= produce
#   f  send latency at 50 % of Ferrocket's peak (from a)           Ferrocket alone   target: p99 <= 2 ms
#   g  send + consume with a backlog larger than RAM vs empty      Ferrocket alone   target: >= 90 % of empty
#
# usage: scripts/bench-compare.sh [--scenarios a,b,...] [--rounds N] [--duration S] [--warmup S] [--size BYTES]
#          [--small-size BYTES] [--inflight N] [--rate R] [--backlog-mb MB] [--backlog-gib GIB] [--fill-timeout S]
#          [--drain-timeout S] [--consumer] [--only-ferrocket] [--no-drop-caches] [--skip-install]
#          [--stop-timeout S] [--results DIR] [--report-only DIR]
#   --duration S       measured seconds of each send run (default 20), after --warmup S (default 5)
#   --backlog-mb MB    scenario e backlog (default 1024); a fill is cut at --fill-timeout S (default 300) and the
#                      smaller backlog is reported (the peer sends ~1,500 msg/s); draining stops once the backlog is
#                      read, after 10 s without a message, or at --drain-timeout S (default 900)
#   --backlog-gib GIB  scenario g backlog (default 32, as issue 7 asks); refused up front if the disk cannot hold it
#   --consumer         scenarios a and b also run a consumer alongside the producer (its rate is reported)
#   --only-ferrocket   do not install or start the peer; scenarios a-e run on Ferrocket alone
#   --no-drop-caches   scenario g: do not drop the page cache before reading the big backlog (by default it is
#                      dropped when /proc/sys/vm/drop_caches is writable, so every round reads cold data)
#   --workers N        async-runtime worker threads of Ferrocket's broker and of every bench client (sets
#                      TOKIO_WORKER_THREADS for them; the peer's broker keeps its default). Default: one per core.
#   --stop-timeout S   SIGTERM, then SIGKILL after S seconds (default 10; the peer can take minutes to stop)
#   --results DIR      where results, logs and stores go (default: a fresh mktemp -d under /tmp)
#   --report-only DIR  print the report of an earlier run's DIR again (no benchmark)
# env: FERROCKET_BIN (default target/release/ferrocket, built if missing), PEER_ROOT (default ~/.cache/ferrocket/peer),
#      BASE_PORT (default 19000: Ferrocket uses BASE+876/BASE+911, the peer BASE+10876/BASE+10911/BASE+10912).
set -euo pipefail

SCENARIOS=a,b,c,d,e,f,g ROUNDS=3 DURATION=20 WARMUP=5 SIZE=1024 SMALL=128 INFLIGHT=64 RATE=1000
BACKLOG_MB=1024 BACKLOG_GIB=32 FILL_TIMEOUT=300 DRAIN_TIMEOUT=900 CONSUMER=0 ONLY_FR=0 DROP_CACHES=1 INSTALL=1
STOP_TIMEOUT=10 WORK=${WORK:-} REPORT_ONLY='' WORKERS=''
while [[ $# -gt 0 ]]; do
  case "$1" in
    --scenarios) SCENARIOS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --size) SIZE=$2; shift 2 ;;
    --small-size) SMALL=$2; shift 2 ;;
    --inflight) INFLIGHT=$2; shift 2 ;;
    --rate) RATE=$2; shift 2 ;;
    --backlog-mb) BACKLOG_MB=$2; shift 2 ;;
    --backlog-gib) BACKLOG_GIB=$2; shift 2 ;;
    --fill-timeout) FILL_TIMEOUT=$2; shift 2 ;;
    --drain-timeout) DRAIN_TIMEOUT=$2; shift 2 ;;
    --consumer) CONSUMER=1; shift ;;
    --only-ferrocket) ONLY_FR=1; shift ;;
    --no-drop-caches) DROP_CACHES=0; shift ;;
    --skip-install) INSTALL=0; shift ;;
    --stop-timeout) STOP_TIMEOUT=$2; shift 2 ;;
    --workers) WORKERS=$2; shift 2 ;;
    --results) WORK=$2; shift 2 ;;
    --report-only) REPORT_ONLY=$2; WORK=$2; shift 2 ;;
    -h|--help) sed -n '2,36p' "$0"; exit 0 ;;
    *) echo "unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

die() { echo "bench-compare: $*" >&2; exit 1; }
is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }
is_num() { [[ $1 =~ ^[0-9]+([.][0-9]+)?$ ]]; }
for v in ROUNDS SIZE SMALL INFLIGHT BACKLOG_MB FILL_TIMEOUT DRAIN_TIMEOUT STOP_TIMEOUT; do
  if ! is_uint "${!v}" || [[ ${!v} -eq 0 ]]; then die "$v must be a positive integer, got '${!v}'"; fi
done
if [[ -n $WORKERS ]] && { ! is_uint "$WORKERS" || [[ $WORKERS -eq 0 ]]; }; then
  die "--workers must be a positive integer, got '$WORKERS'"
fi
# `env` arguments that give Ferrocket's broker and the bench clients --workers runtime threads (none by default).
WORKER_ENV=()
[[ -n $WORKERS ]] && WORKER_ENV=("TOKIO_WORKER_THREADS=$WORKERS")
for v in DURATION WARMUP RATE BACKLOG_GIB; do
  is_num "${!v}" || die "$v must be a number, got '${!v}'"
done

# Scenarios in canonical order (f needs a's peak; g is last because it fills the disk).
declare -A WANT=()
IFS=, read -ra _list <<<"$SCENARIOS"
for s in "${_list[@]}"; do
  [[ $s =~ ^[a-g]$ ]] || die "unknown scenario '$s' (a..g)"
  WANT[$s]=1
done
ORDER=()
for s in a b c d e f g; do [[ -n ${WANT[$s]:-} ]] && ORDER+=("$s"); done
[[ ${#ORDER[@]} -gt 0 ]] || die "no scenario selected"

ROOT=$(cd "$(dirname "$0")/.." && pwd)
FERROCKET=${FERROCKET_BIN:-$ROOT/target/release/ferrocket}
PEER_ROOT=${PEER_ROOT:-$HOME/.cache/ferrocket/peer}
BASE=${BASE_PORT:-19000}
WORK=${WORK:-$(mktemp -d /tmp/bench-compare.XXXXXX)}
mkdir -p "$WORK/logs"
WORK=$(cd "$WORK" && pwd)
FR_NS=$((BASE + 876)) FR_BROKER=$((BASE + 911))
PEER_NS=$((BASE + 10876)) PEER_BROKER=$((BASE + 10911)) PEER_HA=$((BASE + 10912))
RESULTS=$WORK/results.tsv NOTES=$WORK/notes.tsv MACHINE=$WORK/machine.txt
TARGETS=(ferrocket)
[[ $ONLY_FR == 0 ]] && TARGETS+=(peer)

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
record() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RESULTS"; } # scenario target round metric value
note() { printf '%s\t%s\t%s\t%s\n' "$@" >>"$NOTES"; }          # scenario target round text
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
# Reads one field of a bench --json file (dotted path), empty when missing.
jget() {
  python3 -c 'import json,sys
try:
    v=json.load(open(sys.argv[1]))
    for k in sys.argv[2].split("."): v=v[k]
    print(v)
except Exception: pass' "$1" "$2"
}
calc() { python3 -c "print($1)"; }

# --- Report: Markdown on stdout, JSON beside the TSV.
report() {
  python3 - "$WORK" "$ROUNDS" "$DURATION" "$WARMUP" "$SIZE" "$SMALL" "$INFLIGHT" "$RATE" "$ONLY_FR" <<'PY'
import json, statistics, sys
from collections import defaultdict
work, rounds, duration, warmup, size, small, inflight, rate, only_fr = sys.argv[1:]
runs = defaultdict(dict)  # (scenario, target, round) -> {metric: value}
for line in open(f"{work}/results.tsv"):
    s, t, r, m, v = line.rstrip("\n").split("\t")
    if v.strip():
        runs[(s, t, int(r))][m] = float(v)
notes = [l.rstrip("\n").split("\t", 3) for l in open(f"{work}/notes.tsv") if l.strip()]

def med(s, t, m):
    v = [d[m] for (ss, tt, _), d in runs.items() if ss == s and tt == t and m in d]
    return statistics.median(v) if v else None

def fmt(v, m):
    if v is None:
        return "–"
    if m == "pct":
        return f"{v:,.1f} %"
    if m.endswith(("_tps", "_msgs")) or m in ("rate",):
        return f"{v:,.0f}"
    return f"{v:,.2f}"

def check(ok):
    return "–" if ok is None else ("PASS" if ok else "MISS")

kib = lambda n: f"{int(n) // 1024} KiB" if int(n) % 1024 == 0 else f"{n} B"
rows = []  # scenario, what, metric, ferrocket, peer, ratio, target, result
def row(s, what, m, target="", ok=None, peer=True, fs=None):
    f = med(fs or s, "ferrocket", m)
    p = med(s, "peer", m) if peer else None
    ratio = f"{f / p:.2f}×" if f is not None and p else "–"
    rows.append((s, what, m, f, p, ratio, target, check(ok)))
    return f, p

if any(k[0] == "a" for k in runs):
    f, p = row("a", f"send msg/s, {kib(size)}, {inflight} in flight, ASYNC_FLUSH", "send_tps")
    if f is None:
        ok, target = None, "≥ 10× peer and ≥ 50,000"
    elif p is None:
        ok, target = f >= 50000, "≥ 50,000 (no peer figure: ≥ 10× not checked)"
    else:
        ok, target = f >= 50000 and f >= 10 * p, "≥ 10× peer and ≥ 50,000"
    rows[-1] = rows[-1][:6] + (target, check(ok))
    row("a", "send p99 ms", "send_p99")
    if any("live_cons_tps" in d for (s, _, _), d in runs.items() if s == "a"):
        row("a", "live consumer msg/s", "live_cons_tps")
if any(k[0] == "b" for k in runs):
    row("b", f"send msg/s, {small} B, {inflight} in flight, ASYNC_FLUSH", "send_tps")
    row("b", "send p99 ms", "send_p99")
if any(k[0] == "c" for k in runs):
    fc, _ = row("c", f"send msg/s, {kib(size)}, {inflight} in flight, SYNC_FLUSH", "send_tps")
    fa = med("a", "ferrocket", "send_tps")
    rows[-1] = rows[-1][:6] + ("Ferrocket c ≥ 40 % of its a" + ("" if fa else " (a not run)"),
                               check(None if fc is None or not fa else fc >= 0.4 * fa))
    if fc is not None and fa:
        rows.append(("c", "Ferrocket SYNC / ASYNC", "pct", fc / fa * 100, None, "–", "≥ 40 %", check(fc >= 0.4 * fa)))
    row("c", "send p99 ms", "send_p99")
if any(k[0] == "d" for k in runs):
    row("d", f"send p99 ms at {float(rate):,.0f} msg/s", "send_p99")
    row("d", "send p50 ms", "send_p50")
    row("d", "achieved msg/s", "send_tps")
if any(k[0] == "e" for k in runs):
    row("e", "backlog MiB (after fill)", "backlog_mib")
    fp, pp = row("e", "fill (produce) msg/s", "fill_tps")
    fcn, pcn = row("e", "consume msg/s, new group draining the backlog", "cons_tps", "consume ≥ produce")
    rows[-1] = rows[-1][:7] + (check(None if fcn is None or fp is None else fcn >= fp),)
if any(k[0] == "f" for k in runs):
    row("f", "rate msg/s (50 % of a's peak)", "rate", peer=False)
    f, _ = row("f", "send p99 ms", "send_p99", "≤ 2 ms", peer=False)
    rows[-1] = rows[-1][:7] + (check(None if f is None else f <= 2.0),)
    row("f", "achieved msg/s", "send_tps", peer=False)
if any(k[0].startswith("g") for k in runs):
    gb = med("g-fill", "ferrocket", "backlog_gib")
    rows.append(("g", "backlog GiB", "backlog_gib", gb, None, "–", "", "–"))
    rows.append(("g", "fill msg/s (batches of 16)", "fill_tps", med("g-fill", "ferrocket", "fill_tps"), None, "–", "", "–"))
    for m, what in (("send_tps", "send msg/s"), ("cons_tps", "consume msg/s")):
        e, b = med("g-empty", "ferrocket", m), med("g-full", "ferrocket", m)
        rows.append(("g", f"{what}: empty broker", m, e, None, "–", "", "–"))
        rows.append(("g", f"{what}: with the backlog", m, b, None, "–", "", "–"))
        rows.append(("g", f"{what}: backlog / empty", "pct", None if not e or b is None else b / e * 100, None, "–",
                     "≥ 90 %", check(None if not e or b is None else b >= 0.9 * e)))

print("## Side by side with the peer: results\n")
print("Machine:\n")
for l in open(f"{work}/machine.txt"):
    print(f"- {l.strip()}")
order = ("Ferrocket alone (--only-ferrocket)" if only_fr == "1"
         else "in the order Ferrocket, peer, Ferrocket, peer …")
print(f"\nEach run: a freshly started broker with an empty store, one broker up at a time; "
      f"{rounds} round(s), {order}; {duration} s measured after {warmup} s of warm-up; the same `ferrocket bench` "
      f"drives every run. Figures are medians of the rounds.\n")
print("| scenario | what | Ferrocket | peer | Ferrocket / peer | target | result |")
print("|---|---|---:|---:|---:|---|---|")
for s, what, m, f, p, ratio, target, res in rows:
    print(f"| {s} | {what} | {fmt(f, m)} | {fmt(p, m)} | {ratio} | {target} | {res} |")
print("\nRuns (load average = 1-minute figure before → after the run):\n")
print("| scenario | target | round | send msg/s | send p99 ms | consume msg/s | load |")
print("|---|---|---:|---:|---:|---:|---|")
for (s, t, r), d in sorted(runs.items(), key=lambda kv: ("abcdefg".index(kv[0][0][0]), kv[0][0], kv[0][2], kv[0][1])):
    load = f"{d['load_before']:.2f} → {d['load_after']:.2f}" if "load_before" in d and "load_after" in d else ""
    cons = d.get("cons_tps", d.get("live_cons_tps"))
    print(f"| {s} | {t} | {r} | {fmt(d.get('send_tps', d.get('fill_tps')), 'send_tps')} | "
          f"{fmt(d.get('send_p99'), 'p')} | {fmt(cons, 'cons_tps')} | {load} |")
if notes:
    print("\nNotes:\n")
    for s, t, r, text in notes:
        print(f"- {s} {t}{' round ' + r if r != '0' else ''}: {text}")
out = {
    "machine": [l.strip() for l in open(f"{work}/machine.txt")],
    "settings": {"rounds": int(rounds), "duration_s": float(duration), "warmup_s": float(warmup),
                 "size": int(size), "small_size": int(small), "inflight": int(inflight), "rate": float(rate)},
    "summary": [dict(zip(("scenario", "what", "metric", "ferrocket", "peer", "ratio", "target", "result"), r))
                for r in rows],
    "runs": [{"scenario": s, "target": t, "round": r, **d} for (s, t, r), d in sorted(runs.items())],
    "notes": [{"scenario": s, "target": t, "round": int(r), "note": n} for s, t, r, n in notes],
}
json.dump(out, open(f"{work}/results.json", "w"), indent=1)
PY
}

if [[ -n $REPORT_ONLY ]]; then
  [[ -s $WORK/results.tsv ]] || die "no results.tsv in $WORK"
  # shellcheck source=/dev/null
  source "$WORK/settings.sh"
  report
  exit 0
fi
printf 'ROUNDS=%q DURATION=%q WARMUP=%q SIZE=%q SMALL=%q INFLIGHT=%q RATE=%q ONLY_FR=%q\n' \
  "$ROUNDS" "$DURATION" "$WARMUP" "$SIZE" "$SMALL" "$INFLIGHT" "$RATE" "$ONLY_FR" >"$WORK/settings.sh"
: >"$RESULTS"
: >"$NOTES"

# --- Scenario g needs the disk space up front: refuse before doing anything else.
if [[ -n ${WANT[g]:-} ]]; then
  read -r used avail < <(df -B1 --output=used,avail "$WORK" | tail -1)
  need=$(calc "int($BACKLOG_GIB * 1.1 * 2**30 + 4 * 2**30)")
  # The store deletes its oldest files once the disk is 85 % used (diskSpaceCleanForciblyRatio, capped at 85):
  # a backlog that pushes the disk past that would be deleted while it is measured.
  ratio=$(calc "round(($used + $need) * 100 / ($used + $avail), 1)")
  fits=$(calc "int($need <= $avail and ($used + $need) < 0.85 * ($used + $avail))")
  if [[ $fits != 1 ]]; then
    most=$(calc "max(0, round((min($avail, 0.85 * ($used + $avail) - $used) - 4 * 2**30) / 1.1 / 2**30, 1))")
    die "scenario g: a ${BACKLOG_GIB} GiB backlog needs about $((need >> 30)) GiB in $WORK (backlog + 10 % + 4 GiB);
  $((avail >> 30)) GiB are free and the disk would be ${ratio} % full (the broker deletes its oldest files past 85 %).
  At most about ${most} GiB fits here: pass --backlog-gib with a smaller size (say so when you publish it), or
  point --results at a bigger disk."
  fi
fi

PIDS=()
stop_pids() {
  local pid alive
  for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 $((STOP_TIMEOUT * 10))); do
    alive=0
    for pid in "$@"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [[ $alive == 0 ]] && break
    sleep 0.1
  done
  for pid in "$@"; do
    if kill -0 "$pid" 2>/dev/null; then
      log "pid $pid still running ${STOP_TIMEOUT}s after SIGTERM: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
}
cleanup() {
  [[ ${#PIDS[@]} -gt 0 ]] && stop_pids "${PIDS[@]}"
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Waits for a listener on `port`, failing early if the process `pid` died.
wait_port() {
  local port=$1 what=$2 pid=$3 logf=$4
  for _ in $(seq 1 600); do
    port_free "$port" || return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -20 "$logf" >&2
      log "$what exited before listening on $port (log: $logf)"
      return 1
    fi
    sleep 0.1
  done
  log "$what did not start listening on 127.0.0.1:$port within 60 s (log: $logf)"
  return 1
}

for p in $FR_NS $FR_BROKER $PEER_NS $PEER_BROKER $PEER_HA $((PEER_BROKER - 2)); do
  port_free "$p" || die "port $p is in use; set BASE_PORT to another range"
done

if [[ ! -x $FERROCKET ]]; then
  log "building ferrocket (release)"
  (cd "$ROOT" && cargo build --release -p ferrocket)
fi
"$FERROCKET" bench consumer --help | grep -q -- --idle-timeout ||
  die "$FERROCKET is older than this script (no 'bench consumer --idle-timeout'): cargo build --release -p ferrocket"

if [[ $ONLY_FR == 0 && ( ! -x $PEER_ROOT/bin/rocketmq-broker-rust || ! -x $PEER_ROOT/bin/rocketmq-namesrv-rust ) ]]; then
  [[ $INSTALL == 1 ]] || die "peer not installed in $PEER_ROOT (drop --skip-install to install it, or --only-ferrocket)"
  log "installing the peer into $PEER_ROOT (about 13 minutes on 2 cores)"
  cargo install rocketmq-namesrv rocketmq-broker --locked --root "$PEER_ROOT"
fi

# --- Machine description.
{
  echo "cpus: $(nproc) x $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "ram: $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
  echo "kernel: $(uname -sr)"
  echo "filesystem: $(df -hT "$WORK" | tail -1 | awk '{printf "%s %s, %s size, %s used, %s free", $1, $2, $3, $4, $5}')"
  echo "ferrocket: $("$FERROCKET" --version 2>/dev/null || echo '?'), binary $FERROCKET (built $(date -r "$FERROCKET" '+%F %H:%M')), checkout at $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
  if [[ $ONLY_FR == 0 ]]; then echo "peer: crates.io rocketmq-namesrv + rocketmq-broker in $PEER_ROOT"; fi
  echo "runtime worker threads (Ferrocket broker, bench clients): ${WORKERS:-one per core (default)}"
  echo "load average at start: $(loadavg)"
} >"$MACHINE"

# --- Brokers: one at a time, each run on a fresh store.
BROKER_PIDS=()
start_broker() {
  local target=$1 flush=$2 dir=$WORK/run/$1
  rm -rf "$dir"
  mkdir -p "$dir/store"
  if [[ $target == ferrocket ]]; then
    # g fills most of the disk: let the store go as far as its ratios allow.
    (cd "$dir" && HOME="$dir" FERROCKET_LOG=warn exec env "${WORKER_ENV[@]}" "$FERROCKET" standalone \
      --set namesrvAddr=127.0.0.1:$FR_NS --set listenPort=$FR_BROKER --set bindAddress=127.0.0.1 \
      --set brokerIP1=127.0.0.1 --set brokerName=broker-a --set brokerClusterName=DefaultCluster \
      --set storePathRootDir="$dir/store" --set flushDiskType="$flush" \
      --set diskMaxUsedSpaceRatio=95 --set diskSpaceCleanForciblyRatio=85 --set diskSpaceWarningLevelRatio=90 \
      >"$dir/out.log" 2>&1) &
    BROKER_PIDS=($!)
    PIDS=("${BROKER_PIDS[@]}")
    wait_port $FR_BROKER "Ferrocket" "${BROKER_PIDS[0]}" "$dir/out.log" || return 1
  else
    cat >"$dir/broker.toml" <<EOF
[broker]
namesrvAddr = "127.0.0.1:$PEER_NS"
brokerIp1 = "127.0.0.1"
listenPort = $PEER_BROKER
storePathRootDir = "$dir/store"
[broker.brokerServerConfig]
bindAddress = "127.0.0.1"
[broker.brokerIdentity]
brokerName = "broker-a"
brokerClusterName = "DefaultCluster"
brokerId = 0
[store]
storeType = "LocalFile"
brokerRole = "ASYNC_MASTER"
flushDiskType = "$flush"
storePathRootDir = "$dir/store"
haListenAddress = "127.0.0.1"
haListenPort = $PEER_HA
EOF
    (cd "$dir" && exec "$PEER_ROOT/bin/rocketmq-namesrv-rust" --rocketmqHome "$dir" --listenPort $PEER_NS \
      --bindAddress 127.0.0.1 --kvConfigPath "$dir/kvConfig.json" >"$dir/namesrv.log" 2>&1) &
    BROKER_PIDS=($!)
    PIDS=("${BROKER_PIDS[@]}")
    wait_port $PEER_NS "peer name server" "${BROKER_PIDS[0]}" "$dir/namesrv.log" || return 1
    (cd "$dir" && ROCKETMQ_HOME="$dir" exec "$PEER_ROOT/bin/rocketmq-broker-rust" -c "$dir/broker.toml" \
      -n 127.0.0.1:$PEER_NS >"$dir/broker.log" 2>&1) &
    BROKER_PIDS+=($!)
    PIDS=("${BROKER_PIDS[@]}")
    wait_port $PEER_BROKER "peer broker" "${BROKER_PIDS[1]}" "$dir/broker.log" || return 1
  fi
}

stop_broker() {
  local target=$1
  [[ ${#BROKER_PIDS[@]} -gt 0 ]] && stop_pids "${BROKER_PIDS[@]}"
  BROKER_PIDS=()
  PIDS=()
  # Keep the logs, drop the store (a run writes gigabytes).
  rm -rf "$WORK/run/$target/store"
  mkdir -p "$WORK/logs/broker"
  for f in "$WORK/run/$target"/*.log; do
    [[ -e $f ]] && cat "$f" >>"$WORK/logs/broker/$target-$(basename "$f")"
  done
  return 0
}

ns_of() { [[ $1 == ferrocket ]] && echo "127.0.0.1:$FR_NS" || echo "127.0.0.1:$PEER_NS"; }
broker_of() { [[ $1 == ferrocket ]] && echo "127.0.0.1:$FR_BROKER" || echo "127.0.0.1:$PEER_BROKER"; }

# Topic with 8 read/write queues, created the same way on both, then wait until the name server routes it.
setup_topic() {
  local target=$1 topic=$2 ns broker
  ns=$(ns_of "$target") broker=$(broker_of "$target")
  for _ in $(seq 1 150); do
    if "$FERROCKET" admin updateTopic -n "$ns" -b "$broker" -t "$topic" -r 8 -w 8 >/dev/null 2>&1 &&
      "$FERROCKET" admin topicRoute -n "$ns" -t "$topic" >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.2
  done
  log "topic $topic never got a route on $target ($ns)"
  return 1
}

# setup_topic, or a note that the run (scenario target topic round) is skipped.
topic_ok() {
  setup_topic "$2" "$3" && return 0
  note "$1" "$2" "$4" "topic $3 could not be created: run skipped"
  return 1
}

# bench producer|consumer with a hard time limit (SIGTERM: the bench still writes its --json), output to a log.
bench() {
  local limit=$1 logf=$2
  shift 2
  timeout -k 15 "$limit" env "${WORKER_ENV[@]}" "$FERROCKET" bench "$@" -ri 5000 >"$logf" 2>&1
}

# One measured producer run; records send_* metrics. Extra producer flags after the first six arguments.
producer_run() {
  local scen=$1 target=$2 round=$3 topic=$4 size=$5 tag=$6
  shift 6
  local pj=$WORK/logs/$tag-producer.json
  local total
  total=$(calc "$DURATION + $WARMUP")
  if ! bench "$(calc "int($total + 60)")" "$WORK/logs/$tag-producer.log" producer -n "$(ns_of "$target")" \
    -t "$topic" -s "$size" -w "$INFLIGHT" --duration "$total" --warmup "$WARMUP" --json "$pj" "$@"; then
    note "$scen" "$target" "$round" "producer failed or timed out (see logs/$tag-producer.log)"
  fi
  [[ -s $pj ]] || return 1
  record "$scen" "$target" "$round" send_tps "$(jget "$pj" tps)"
  record "$scen" "$target" "$round" send_mbps "$(jget "$pj" mbps)"
  for p in p50 p99 p999; do record "$scen" "$target" "$round" "send_$p" "$(jget "$pj" "latency_ms.$p")"; done
  record "$scen" "$target" "$round" send_failures "$(jget "$pj" failures)"
  local f
  f=$(jget "$pj" failures)
  [[ ${f:-0} == 0 ]] || note "$scen" "$target" "$round" "$f sends failed"
}

# A new consumer group drains `topic` from its first message: stops after `quantity` messages, 10 s without one,
# or the limit. Records cons_* metrics under `prefix`.
drain_run() {
  local scen=$1 target=$2 round=$3 topic=$4 quantity=$5 limit=$6 tag=$7
  local cj=$WORK/logs/$tag-consumer.json
  bench "$((limit + 60))" "$WORK/logs/$tag-consumer.log" consumer -n "$(ns_of "$target")" -t "$topic" \
    -g "${tag//[^A-Za-z0-9]/_}G" --from-first -q "$quantity" --idle-timeout 10 --duration "$limit" --json "$cj" ||
    note "$scen" "$target" "$round" "consumer failed or timed out (see logs/$tag-consumer.log)"
  [[ -s $cj ]] || return 1
  local got reason
  got=$(jget "$cj" messages) reason=$(jget "$cj" stop_reason)
  record "$scen" "$target" "$round" cons_tps "$(jget "$cj" tps)"
  record "$scen" "$target" "$round" cons_messages "$got"
  record "$scen" "$target" "$round" cons_p99 "$(jget "$cj" latency_ms.p99)"
  if [[ ${got:-0} -lt $quantity ]]; then
    note "$scen" "$target" "$round" "consumer read $got of $quantity messages (stopped by: ${reason:-?})"
  fi
}

median_of() { # scenario target metric -> median over rounds (empty if none)
  python3 - "$RESULTS" "$@" <<'PY'
import sys, statistics
path, scen, target, metric = sys.argv[1:]
v = [float(l.split("\t")[4]) for l in open(path)
     if l.split("\t")[:2] == [scen, target] and l.split("\t")[3] == metric and l.split("\t")[4].strip()]
print(statistics.median(v) if v else "")
PY
}

# --- Scenario bodies: run_<s> target round (the broker is up).
run_a() { run_max a "$1" "$2" "$SIZE"; }
run_b() { run_max b "$1" "$2" "$SMALL"; }
run_c() { run_max c "$1" "$2" "$SIZE"; }
run_max() {
  local scen=$1 target=$2 round=$3 size=$4 topic="Bench${1^^}$3" tag="$1-$2-$3" cpid=""
  topic_ok "$scen" "$target" "$topic" "$round" || return 0
  if [[ $CONSUMER == 1 && $scen != c ]]; then
    # Started without a subshell so that $! is timeout's pid: SIGTERM reaches the bench, which writes its --json.
    timeout -k 15 "$(calc "int($DURATION + $WARMUP + 90)")" "$FERROCKET" bench consumer -n "$(ns_of "$target")" \
      -t "$topic" -g "Live${topic}" --duration "$(calc "$DURATION + $WARMUP + 10")" --warmup "$(calc "$WARMUP + 3")" \
      -ri 5000 --json "$WORK/logs/$tag-live-consumer.json" >"$WORK/logs/$tag-live-consumer.log" 2>&1 &
    cpid=$!
    sleep 3 # the consumer joins its group first; its warm-up covers this wait and the producer's
  fi
  producer_run "$scen" "$target" "$round" "$topic" "$size" "$tag" || true
  if [[ -n $cpid ]]; then
    kill -TERM "$cpid" 2>/dev/null || true
    wait "$cpid" || true
    [[ -s $WORK/logs/$tag-live-consumer.json ]] &&
      record "$scen" "$target" "$round" live_cons_tps "$(jget "$WORK/logs/$tag-live-consumer.json" tps)"
  fi
  return 0
}

run_d() {
  local target=$1 round=$2 topic="BenchD$2"
  topic_ok "$scen" "$target" "$topic" "$round" || return 0
  producer_run d "$target" "$round" "$topic" "$SIZE" "d-$target-$round" --rate "$RATE" || true
}

run_e() {
  local target=$1 round=$2 topic="BenchE$2" tag="e-$1-$2"
  local want
  want=$(calc "max(1, $BACKLOG_MB * 2**20 // $SIZE)")
  topic_ok "$scen" "$target" "$topic" "$round" || return 0
  log "  e: filling $want x $SIZE B (cut at ${FILL_TIMEOUT}s)"
  bench "$((FILL_TIMEOUT + 60))" "$WORK/logs/$tag-fill.log" producer -n "$(ns_of "$target")" -t "$topic" \
    -s "$SIZE" -w "$INFLIGHT" -q "$want" --duration "$FILL_TIMEOUT" --json "$WORK/logs/$tag-fill.json" ||
    note e "$target" "$round" "fill failed or timed out (see logs/$tag-fill.log)"
  local fj=$WORK/logs/$tag-fill.json filled
  [[ -s $fj ]] || return 0
  filled=$(jget "$fj" messages)
  record e "$target" "$round" fill_tps "$(jget "$fj" tps)"
  record e "$target" "$round" backlog_msgs "$filled"
  record e "$target" "$round" backlog_mib "$(calc "round($filled * $SIZE / 2**20, 1)")"
  if [[ $filled -lt $want ]]; then
    note e "$target" "$round" "backlog scaled down to $filled messages ($(calc "round($filled * $SIZE / 2**20)") MiB): the fill stopped at --fill-timeout ${FILL_TIMEOUT}s"
  fi
  [[ $filled -gt 0 ]] || return 0
  log "  e: draining $filled messages with a new group"
  drain_run e "$target" "$round" "$topic" "$filled" "$DRAIN_TIMEOUT" "$tag" || true
}

PEAK=""
run_f() {
  local target=$1 round=$2 topic="BenchF$2"
  topic_ok "$scen" "$target" "$topic" "$round" || return 0
  producer_run f "$target" "$round" "$topic" "$SIZE" "f-$target-$round" --rate "$F_RATE" || true
  record f "$target" "$round" rate "$F_RATE"
}

# --- Scenario g: one broker for the whole scenario: empty-broker rounds, one big fill, rounds against the backlog.
drop_caches() {
  if [[ $DROP_CACHES == 1 && -w /proc/sys/vm/drop_caches ]]; then
    sync
    echo 3 >/proc/sys/vm/drop_caches && return 0
  fi
  return 1
}

scenario_g() {
  local target=ferrocket topic n_empty=0 backlog
  log "scenario g: Ferrocket, empty broker vs a ${BACKLOG_GIB} GiB backlog"
  if ! start_broker ferrocket ASYNC_FLUSH; then
    note g ferrocket 0 "Ferrocket did not start: g skipped"
    stop_broker ferrocket
    return 0
  fi
  for round in $(seq 1 "$ROUNDS"); do
    topic="BenchGEmpty$round"
    topic_ok g-empty $target "$topic" "$round" || { stop_broker ferrocket; return 0; }
    local lb
    lb=$(loadavg)
    log "  g empty round $round: send"
    producer_run g-empty $target "$round" "$topic" "$SIZE" "g-empty-$round" || true
    n_empty=$(jget "$WORK/logs/g-empty-$round-producer.json" messages)
    log "  g empty round $round: drain $n_empty messages"
    [[ ${n_empty:-0} -gt 0 ]] && { drain_run g-empty $target "$round" "$topic" "$n_empty" "$DRAIN_TIMEOUT" "g-empty-$round" || true; }
    record g-empty $target "$round" load_before "${lb%% *}"
    record g-empty $target "$round" load_after "$(loadavg | cut -d' ' -f1)"
  done
  backlog=$(calc "max(1, int($BACKLOG_GIB * 2**30) // $SIZE)")
  topic_ok g-fill $target BenchGBacklog 0 || { stop_broker ferrocket; return 0; }
  log "  g: filling $backlog x $SIZE B (${BACKLOG_GIB} GiB) in batches of 16"
  local fill_limit
  fill_limit=$(calc "max(3600, int($BACKLOG_GIB * 1200))")
  bench "$((fill_limit + 60))" "$WORK/logs/g-fill.log" producer -n "$(ns_of $target)" -t BenchGBacklog \
    -s "$SIZE" -w 16 -b 16 -q "$backlog" --duration "$fill_limit" --json "$WORK/logs/g-fill.json" ||
    note g ferrocket 0 "fill failed or timed out (see logs/g-fill.log)"
  local filled
  filled=$(jget "$WORK/logs/g-fill.json" messages)
  record g-fill $target 0 backlog_msgs "${filled:-0}"
  record g-fill $target 0 backlog_gib "$(calc "round(${filled:-0} * $SIZE / 2**30, 3)")"
  record g-fill $target 0 fill_tps "$(jget "$WORK/logs/g-fill.json" tps)"
  [[ ${filled:-0} -ge $backlog ]] || note g ferrocket 0 "backlog only ${filled:-0} of $backlog messages"
  local ram
  ram=$(awk '/MemTotal/ {print $2 * 1024}' /proc/meminfo)
  [[ $(calc "int(${filled:-0} * $SIZE > $ram)") == 1 ]] ||
    note g ferrocket 0 "the backlog ($(calc "round(${filled:-0} * $SIZE / 2**30, 2)") GiB) is smaller than RAM ($(calc "round($ram / 2**30, 1)") GiB): not the larger-than-RAM case the target is about"
  for round in $(seq 1 "$ROUNDS"); do
    topic="BenchGFull$round"
    topic_ok g-full $target "$topic" "$round" || { stop_broker ferrocket; return 0; }
    local lb
    lb=$(loadavg)
    log "  g backlog round $round: send"
    producer_run g-full $target "$round" "$topic" "$SIZE" "g-full-$round" || true
    # Read as many messages as the empty broker's drain read, from the oldest end of the backlog (cold data).
    local q=${n_empty:-0}
    [[ $q -gt ${filled:-0} ]] && q=${filled:-0}
    if drop_caches; then
      [[ $round == 1 ]] && note g ferrocket 0 "page cache dropped before each read of the backlog"
    else
      [[ $round == 1 ]] && note g ferrocket 0 "page cache NOT dropped: rounds after the first may read cached data"
    fi
    log "  g backlog round $round: drain $q of the oldest messages"
    [[ $q -gt 0 ]] && { drain_run g-full $target "$round" BenchGBacklog "$q" "$DRAIN_TIMEOUT" "g-full-$round" || true; }
    record g-full $target "$round" load_before "${lb%% *}"
    record g-full $target "$round" load_after "$(loadavg | cut -d' ' -f1)"
  done
  stop_broker ferrocket
}

# --- Main loop: scenarios a-f, round by round, Ferrocket then the peer (A B A B ...).
for scen in "${ORDER[@]}"; do
  if [[ $scen == g ]]; then
    scenario_g
    continue
  fi
  flush=ASYNC_FLUSH
  [[ $scen == c ]] && flush=SYNC_FLUSH
  targets=("${TARGETS[@]}")
  if [[ $scen == f ]]; then
    targets=(ferrocket)
    PEAK=$(median_of a ferrocket send_tps)
    if [[ -z $PEAK ]]; then
      log "scenario f: measuring Ferrocket's peak first (scenario a was not run)"
      lb=$(loadavg)
      start_broker ferrocket ASYNC_FLUSH && run_max f-peak ferrocket 1 "$SIZE"
      stop_broker ferrocket
      record f-peak ferrocket 1 load_before "${lb%% *}"
      record f-peak ferrocket 1 load_after "$(loadavg | cut -d' ' -f1)"
      PEAK=$(median_of f-peak ferrocket send_tps)
    fi
    [[ -n $PEAK ]] || { note f ferrocket 0 "no peak measured: f skipped"; continue; }
    F_RATE=$(calc "max(1, int($PEAK / 2))")
    log "scenario f: 50 % of the peak ${PEAK%.*} msg/s = $F_RATE msg/s"
  fi
  for round in $(seq 1 "$ROUNDS"); do
    for target in "${targets[@]}"; do
      log "scenario $scen round $round: $target ($flush)"
      lb=$(loadavg)
      if start_broker "$target" "$flush"; then
        "run_$scen" "$target" "$round"
      else
        note "$scen" "$target" "$round" "the broker did not start (see logs/broker/$target-*.log)"
      fi
      stop_broker "$target"
      record "$scen" "$target" "$round" load_before "${lb%% *}"
      record "$scen" "$target" "$round" load_after "$(loadavg | cut -d' ' -f1)"
    done
  done
done
echo "load average at end: $(loadavg)" >>"$MACHINE"

report
log "results: $RESULTS, $WORK/results.json; logs in $WORK/logs"
