#!/usr/bin/env bash
# The bounded load run of scripts/load.sh spread over two replicas (docs/scale-out.md): a
# private PostgreSQL cluster and redis-server on loopback, two `techmatch serve` processes on
# them with data dirs of their own, wrk's threads split between the two for DURATION (default
# 60s) of mixed search, match and writes under one API key with a rate limit. Then both stop
# gracefully and `techmatch check` runs on each data dir. Fails on any 5xx, any lost write, a
# key served more than its one bucket allows across both replicas, or a check failure.
#   scripts/load-replicas.sh [DURATION] [CONNECTIONS] [RATE_PER_SECOND]
# RATE_PER_SECOND (default 100) is the key's limit; 0 turns limits off, to load the replicas
# themselves.
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-60s}"
conns="${2:-16}"
rate="${3:-100}"
# Debian keeps the server's programs under /usr/lib/postgresql/VERSION/bin (a symlink to
# initdb on PATH does not bring createdb with it).
pgbin=$(dirname "$(compgen -G '/usr/lib/postgresql/*/bin/initdb' | sort -V | tail -n 1 || command -v initdb || echo .)")
for bin in wrk redis-server curl python3; do
  command -v "$bin" >/dev/null || { echo "load-replicas.sh needs $bin (Debian: apt-get install wrk redis-server curl python3)" >&2; exit 1; }
done
[ -x "$pgbin/initdb" ] || { echo "load-replicas.sh needs PostgreSQL's server (Debian: apt-get install postgresql)" >&2; exit 1; }

work=$(mktemp -d)
chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$work/pg/postmaster.pid" ] && as_pg "$pgbin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
# PostgreSQL refuses to run as root: as root, the cluster is the postgres user's.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

go build -o "$work/techmatch" ./cmd/techmatch
pgport=$(free_port)
mkdir "$work/pg" && { [ "$(id -u)" != 0 ] || chown postgres "$work/pg"; }
as_pg "$pgbin/initdb" -D "$work/pg" -U techmatch --auth=trust -E UTF8 >"$work/initdb.log" 2>&1
as_pg "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg/server.log" -w \
  -o "-p $pgport -k $work/pg -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
as_pg "$pgbin/createdb" -h 127.0.0.1 -p "$pgport" -U techmatch techmatch
rport=$(free_port)
redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" >"$work/redis.log" 2>&1 &
pids+=($!)

key="load-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export TECHMATCH_ADMIN_KEY="$key" TECHMATCH_REDIS_URL="redis://127.0.0.1:$rport/0"
export TECHMATCH_STORE_URL="postgres://techmatch@127.0.0.1:$pgport/techmatch"
export TECHMATCH_HTTP_ADDR="127.0.0.1:0" TECHMATCH_LOG_LEVEL=warn TECHMATCH_WEBHOOK_SECRET="load-$key"
export TECHMATCH_LIMITS_RATE_PER_SECOND="$rate" TECHMATCH_LIMITS_BURST="$rate"
start() { # name [serve flags]: starts a replica in $work/$name; sets url_NAME and pid_NAME once it is ready
  local name=$1; shift
  TECHMATCH_DATA_DIR="$work/$name" "$work/techmatch" serve "$@" >"$work/$name.out" 2>"$work/$name.log" &
  pids+=($!)
  printf -v "pid_$name" %s $!
  local url=""
  for _ in $(seq 1200); do
    url=$(sed -n 's/^techmatch listening on //p' "$work/$name.out")
    if [ -n "$url" ] && curl -fs "$url/readyz" >/dev/null 2>&1; then
      printf -v "url_$name" %s "$url"
      return
    fi
    sleep 0.1
  done
  echo "replica $name did not start:" >&2; cat "$work/$name.log" >&2; exit 1
}
start a --demo
start b

auth=(-H "Authorization: Bearer $key")
curl -fs "${auth[@]}" -X PUT "$url_a/v1/demands/dem-load" \
  -d '{"title":"寻求锂电池正极材料技术","keywords":["正极材料","储能"],"region":"320100","min_trl":5}' >/dev/null
total() { curl -fs "${auth[@]}" "$1/v1/achievements?size=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])'; }
before=$(total "$url_a")

addrs="${url_a#http://},${url_b#http://}"
echo "wrk: $duration, $conns connections, 2 threads over $addrs (PostgreSQL :$pgport, Redis :$rport), one key at $rate/s"
start_s=$(date +%s.%N)
TECHMATCH_LOAD_KEY="$key" TECHMATCH_LOAD_ADDRS="$addrs" \
  wrk -t2 -c"$conns" -d"$duration" --timeout 10s --latency -s scripts/load.lua "$url_a" | tee "$work/wrk.out"
elapsed=$(python3 -c "import time; print(time.time() - $start_s)")
sleep 3 # the rate limit's bucket refills before the totals are read (same key)

after_a=$(total "$url_a")
after_b=$(total "$url_b")
acked=$(sed -n 's/^acknowledged writes: //p' "$work/wrk.out")
fivexx=$(sed -n 's/^5xx: //p' "$work/wrk.out")
served=$(sed -n 's/^status \(2[0-9][0-9]\): //p' "$work/wrk.out" | paste -sd+ | bc)
limited=$(sed -n 's/^status 429: //p' "$work/wrk.out"); limited=${limited:-0}
kill -TERM "$pid_a" "$pid_b"
wait "$pid_a" || { echo "replica a exited non-zero after SIGTERM" >&2; exit 1; }
wait "$pid_b" || { echo "replica b exited non-zero after SIGTERM" >&2; exit 1; }
TECHMATCH_DATA_DIR="$work/a" "$work/techmatch" check
TECHMATCH_DATA_DIR="$work/b" "$work/techmatch" check
allowed=$(python3 -c "print(int($rate + $rate * $elapsed))")
echo "achievements: $before before, $after_a after on a, $after_b on b, $acked writes acknowledged"
echo "the key: $served served, $limited refused (429) over both replicas in ${elapsed%.*} s; one bucket allows $allowed"
status=0
[ "$fivexx" -eq 0 ] || { echo "FAIL: $fivexx answers were 5xx" >&2; status=1; }
for after in "$after_a" "$after_b"; do
  [ $((after - before)) -ge "$acked" ] || { echo "FAIL: $acked writes acknowledged, only $((after - before)) stored" >&2; status=1; }
done
[ "$rate" = 0 ] || [ "$served" -le $((allowed + allowed / 20)) ] || { echo "FAIL: the key was served $served times, more than its bucket's $allowed" >&2; status=1; }
exit $status
