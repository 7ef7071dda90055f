#!/usr/bin/env bash
# Cached match throughput against /healthz under wrk, in one run (issue 4: cached ≥ 20% of healthz).
#
#   scripts/bench-wrk.sh [DOCS] [DURATION]       e.g. scripts/bench-wrk.sh 100000 20s
#
# Builds techmatch, prepares a data dir with `techmatch bench --docs DOCS --keep DIR` (reused
# from $BENCH_DATA_DIR when that already holds one), starts a private redis-server and
# `techmatch serve` over it, fills the cache with one GET, then runs wrk on /healthz and on the
# cached GET /v1/demands/{id}/matches for the same duration, once the server is idle. Needs wrk and redis-server
# (Debian: apt-get install -y wrk redis-server). Source text: $BENCH_SOURCE (default: the CSL
# papers in ../shared/data/csl when present, else the built-in demo data). Per-key rate limits
# are off: the point is the handler's throughput, not the limiter's.
set -euo pipefail

DOCS=${1:-100000}
DURATION=${2:-20s}
THREADS=${WRK_THREADS:-2}
CONNS=${WRK_CONNECTIONS:-32}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/techmatch-wrk-XXXXXX)
DATA=${BENCH_DATA_DIR:-$WORK/data}
KEY=bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d " \n")
DEMAND=bench-dem-000001

for tool in wrk redis-server; do
	command -v "$tool" >/dev/null || { echo "bench-wrk: $tool not found (apt-get install -y wrk redis-server)" >&2; exit 1; }
done

pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# BENCH_BIN runs a prebuilt binary instead (say, an older build to compare with).
if [[ -n ${BENCH_BIN:-} ]]; then
	cp "$BENCH_BIN" "$WORK/techmatch"
else
	(cd "$ROOT" && go build -o "$WORK/techmatch" ./cmd/techmatch)
fi

if [[ ! -f $DATA/techmatch.db ]]; then
	source_args=()
	src=${BENCH_SOURCE:-$ROOT/../shared/data/csl/papers.jsonl}
	[[ -f $src ]] && source_args=(--source "$src")
	echo "preparing $DOCS records in $DATA" >&2
	"$WORK/techmatch" bench --docs "$DOCS" "${source_args[@]}" --keep "$DATA" >&2
fi

REDIS_PORT=$(free_port)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK" >"$WORK/redis.log" 2>&1 &
pids+=($!)
HTTP_PORT=$(free_port)
TECHMATCH_DATA_DIR=$DATA TECHMATCH_HTTP_ADDR=127.0.0.1:$HTTP_PORT \
	TECHMATCH_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0 TECHMATCH_ADMIN_KEY=$KEY \
	TECHMATCH_LOG_LEVEL=${TECHMATCH_LOG_LEVEL:-warn} TECHMATCH_LIMITS_RATE_PER_SECOND=0 \
	"$WORK/techmatch" serve >"$WORK/serve.log" 2>&1 &
pids+=($!)

URL=http://127.0.0.1:$HTTP_PORT
for _ in $(seq 1 600); do
	curl -fs "$URL/readyz" >/dev/null 2>&1 && break
	sleep 0.5
done
curl -fs "$URL/readyz" >/dev/null || { echo "bench-wrk: server not ready" >&2; cat "$WORK/serve.log" >&2; exit 1; }

# Wait until the server is idle (under 5% of a core over 2 s): after an import the worklist
# worker re-matches open demands, and wrk should measure the handler, not that catch-up.
cpu() { curl -fs "$URL/metrics" | awk '/^process_cpu_seconds_total/ {print $2}'; }
waited=0
prev=$(cpu)
while :; do
	sleep 2
	waited=$((waited + 2))
	cur=$(cpu)
	python3 -c "import sys; sys.exit(0 if $cur - $prev < 0.1 else 1)" && break
	((waited < ${BENCH_IDLE_TIMEOUT:-1800})) || { echo "bench-wrk: server still busy after ${waited}s" >&2; exit 1; }
	prev=$cur
done
echo "server idle after ${waited}s (process CPU $(cpu) s)" >&2

MATCH=$URL/v1/demands/$DEMAND/matches
first=$(curl -fs -o /dev/null -D - -H "Authorization: Bearer $KEY" "$MATCH" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-cache"{print $2}')
second=$(curl -fs -o "$WORK/match.json" -D - -H "Authorization: Bearer $KEY" "$MATCH" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-cache"{print $2}')
[[ $second == hit ]] || { echo "bench-wrk: second GET was X-Cache: $second (first: $first), not a hit" >&2; exit 1; }
echo "cached answer: $(wc -c <"$WORK/match.json") bytes, X-Cache $first then $second" >&2

run_wrk() { wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$@"; }
echo "== /healthz"
healthz=$(run_wrk "$URL/healthz")
echo "$healthz"
echo "== GET /v1/demands/$DEMAND/matches (cached, Redis)"
cached=$(run_wrk -H "Authorization: Bearer $KEY" "$MATCH")
echo "$cached"

rps() { awk '/^Requests\/sec/ {print $2}' <<<"$1"; }
h=$(rps "$healthz")
c=$(rps "$cached")
non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$cached")
[[ -z $non2xx ]] || { echo "bench-wrk: $non2xx non-2xx answers on the match route" >&2; exit 1; }
python3 -c "h=$h; c=$c; print(f'healthz {h:.0f} req/s, cached match {c:.0f} req/s: {100*c/h:.1f}% (target ≥ 20%)')"
