#!/usr/bin/env bash
# A bounded, reproducible load run (docs/reliability.md): the real binary with the demo data and
# a private Redis on loopback, wrk for DURATION (default 60s) of mixed search, match and writes,
# then a graceful stop and `techmatch check`. Fails on any 5xx, any lost write, or a check failure.
#   scripts/load.sh [DURATION] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-60s}"
conns="${2:-16}"
for bin in wrk redis-server curl; do
  command -v "$bin" >/dev/null || { echo "load.sh needs $bin (Debian: apt-get install wrk redis-server curl)" >&2; exit 1; }
done

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

go build -o "$work/techmatch" ./cmd/techmatch
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rport=$(free_port)
redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" >"$work/redis.log" 2>&1 &
pids+=($!)

key="load-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export TECHMATCH_DATA_DIR="$work/data" TECHMATCH_ADMIN_KEY="$key" TECHMATCH_REDIS_URL="redis://127.0.0.1:$rport/0"
export TECHMATCH_HTTP_ADDR="127.0.0.1:0" TECHMATCH_LIMITS_RATE_PER_SECOND=0 TECHMATCH_LOG_LEVEL=warn
"$work/techmatch" serve --demo >"$work/serve.out" 2>"$work/serve.log" &
server=$!
pids+=($server)
for _ in $(seq 600); do
  url=$(sed -n 's/^techmatch listening on //p' "$work/serve.out")
  [ -n "$url" ] && curl -fs "$url/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
[ -n "$url" ] || { echo "server did not start:" >&2; cat "$work/serve.log" >&2; exit 1; }

auth=(-H "Authorization: Bearer $key")
curl -fs "${auth[@]}" -X PUT "$url/v1/demands/dem-load" \
  -d '{"title":"寻求锂电池正极材料技术","keywords":["正极材料","储能"],"region":"320100","min_trl":5}' >/dev/null
total() { curl -fs "${auth[@]}" "$url/v1/achievements?size=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])'; }
before=$(total)

echo "wrk: $duration, $conns connections, 2 threads, against $url (Redis on :$rport)"
TECHMATCH_LOAD_KEY="$key" wrk -t2 -c"$conns" -d"$duration" --timeout 10s --latency -s scripts/load.lua "$url" | tee "$work/wrk.out"

after=$(total)
acked=$(sed -n 's/^acknowledged writes: //p' "$work/wrk.out")
fivexx=$(sed -n 's/^5xx: //p' "$work/wrk.out")
kill -TERM "$server"
wait "$server" || { echo "server exited non-zero after SIGTERM" >&2; exit 1; }
"$work/techmatch" check
echo "achievements: $before before, $after after, $acked writes acknowledged"
status=0
[ "$fivexx" -eq 0 ] || { echo "FAIL: $fivexx answers were 5xx" >&2; status=1; }
[ $((after - before)) -ge "$acked" ] || { echo "FAIL: $acked writes acknowledged, only $((after - before)) stored" >&2; status=1; }
exit $status
