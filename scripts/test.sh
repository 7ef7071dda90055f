#!/usr/bin/env bash
# The whole test suite: vet, format, and every test with the race detector.
# Installs what the tests need when it is missing (Debian's redis-server, postgresql and chromium);
# the tests start their own private redis-server processes and PostgreSQL clusters on free
# loopback ports.
set -euo pipefail

# The shared data folders are named relative to where the command is run (the README's
# TECHMATCH_CSL_DIR=../shared/data/csl); every test package runs in its own directory, so they
# are made absolute here, once, for all of them, before anything changes directory.
for var in TECHMATCH_CSL_DIR TECHMATCH_BDCI_DIR; do
  dir="${!var:-}"
  if [ -n "$dir" ] && [ -d "$dir" ]; then
    export "$var=$(cd "$dir" && pwd)"
  fi
done
cd "$(dirname "$0")/.."

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
# Debian keeps initdb and postgres off PATH, under /usr/lib/postgresql/VERSION/bin.
{ command -v initdb || compgen -G '/usr/lib/postgresql/*/bin/initdb'; } >/dev/null 2>&1 || need+=(postgresql)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# A CJK font, so that the console's screenshots show Chinese rather than boxes.
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]} (Debian packages) ..."
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${need[@]}"
fi

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change: $unformatted" >&2
  exit 1
fi
go vet ./...
go test -race -count=1 -timeout 30m "$@" ./...

# A short fuzz run of every fuzz target, after the main tests; the seed corpora under
# testdata/fuzz already ran above as ordinary tests. New targets are found by name.
# The budget is a count of executions (20,000 each, 3-30 s here), not a duration: with a
# duration, Go 1.26's fuzz coordinator can report its own deadline as a failure when a worker
# is mid-call at the end (golang/go#75804, fixed in Go 1.27), with no crashing input at all.
fuzztime="${TECHMATCH_FUZZTIME:-20000x}"
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //'); do
    echo "fuzz $target ($pkg, $fuzztime)"
    go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" -timeout 10m "$pkg"
  done
done
