#!/usr/bin/env bash
# Reruns every attack and fault the hardening work tried, on loopback against fresh builds,
# each bounded in time, and prints what held. Each attack is a Go test that fails when it does
# not hold (docs/reliability.md says what each shows); this runs them and reads their verdicts.
#   scripts/attack.sh            # all of them, about 3 minutes on 2 cores
#   TECHMATCH_ATTACK_RACE=1 ...  # with the race detector
set -uo pipefail
cd "$(dirname "$0")/.."

# package|test|attack
attacks='
./cmd/techmatch|TestRouteRoleTable|every route × every role: 401/403, never 5xx
./cmd/techmatch|TestEnterpriseSeesOnlyItsOwn|object-level access between enterprises and between agents; masked contacts
./cmd/techmatch|TestKeysLifecycle|API keys shown once, never listed, revoked at once
./cmd/techmatch|TestHostileInput|malformed JSON/UTF-8, huge arrays and nesting, query syntax in q
./cmd/techmatch|TestBadInput|invalid fields answered 400 naming the field
./cmd/techmatch|TestSlowlorisIsCut|slowloris: headers a byte a second
./cmd/techmatch|TestMarkupInRecordsIsEscaped|XSS through records into search highlights
./cmd/techmatch|TestTableImportAndExport|CSV/XLSX import and export, formula cells defused
./internal/sheet|TestWriteEntriesRoundTrip|CSV/XLSX formula injection in exports
./cmd/techmatch|TestWebhookURLsAtInternalAddressesAreRefused|webhook SSRF: internal addresses refused when saved
./internal/worklist|TestCheckTarget|webhook SSRF: internal addresses in every form (names, IPv6, mapped, decimal, octal, hex) refused when saved
./internal/worklist|TestWebhookClientRefusesInternalAddressesWhenConnecting|webhook SSRF: DNS rebinding refused at connect
./internal/httpapi|TestRateLimitPerCaller|rate limit per key and per client address
./internal/httpapi|TestPanicIsOneLoggedInternalError|a handler panic is one logged 500 with a body
./cmd/techmatch|TestProfileWeightsBounded|profile weights summing to infinity, or none positive
./cmd/techmatch|TestUnaddressableIDsRefused|ids . and .. that a URL path resolves away
./cmd/techmatch|TestDemandIDsCannotBeProbed|probing the demand ids of another enterprise by POST and PUT
./cmd/techmatch|TestAmountsAndStatsDatesBounded|deal_amount 1e308 and stats dates past 2262 (500 with an empty body)
./internal/worklist|TestComputeLeavesOutInvalidAmounts|stored amounts out of bounds kept out of the stats
./internal/httpapi|TestWriteJSONFailureHasAnErrorBody|every 500 carries an error body
./cmd/techmatch|TestDataDirInUseIsRefused|a second serve, check or reindex on a data dir in use
./cmd/techmatch|TestWrongKeysAreLimitedAndLogged|3,000 wrong keys from one client: 429 before the lookup, logged at a bounded rate
./internal/httpapi|TestFailedAuthenticationIsLimitedPerAddress|failed authentication limited per client address
./internal/httpapi|TestConcurrentGuessesCannotOverdraw|concurrent key guesses cannot overdraw the failure budget
./internal/config|TestAdminKeyStrength|weak bootstrap admin keys (secret, short, one character repeated)
./cmd/techmatch|TestWeakAdminKeyIsRefusedAtStart|serve refuses a weak bootstrap admin key
./cmd/techmatch|TestDemoMakesAnAdminKey|serve --demo without a key makes a strong one
./cmd/techmatch|TestSlowImportIsNotCutByTheReadTimeout|a slow import body outlasting the read timeout; a stalled one cut, saying where
./internal/sheet|TestWorkbookExpandingPastTheLimitIsRefused|an XLSX whose entries unzip past the limit
./cmd/techmatch|TestXLSXBombIsRefused|a 2 MB XLSX unzipping to 300 MB, memory bounded
./cmd/techmatch|TestDeletedOrClosedDemandWithdrawsItsEntries|entries of a deleted or closed demand left live for agents to move
./internal/store|TestDeleteOrCloseWithdrawsOpenEntries|entries withdrawn in the same transaction as the delete or close
./cmd/techmatch|TestEveryStoredWriteHasItsAuditEntry|connections reset right after sending: no record without its audit entry
./internal/store|TestAuditAndWriteCommitTogether|an audit insert that fails takes its write with it
./internal/store|TestEveryWriteWithAnActorIsAudited|every kind of write audited in its own transaction
./cmd/techmatch|TestAuditLogAPI|the audit log for staff: the history of a record, filters, bad filters named
./cmd/techmatch|TestRateLimitSharedAcrossReplicas|two replicas on one Redis: one bucket per key, not two
./cmd/techmatch|TestKill9DuringImport|kill -9 during a bulk import
./cmd/techmatch|TestKill9DuringProfilePublish|kill -9 during profile publishing
./cmd/techmatch|TestRedisRestartUnderLoad|Redis killed and restarted under load
./cmd/techmatch|TestIndexDamagedWhileStopped|index deleted, corrupt or truncated
./cmd/techmatch|TestSIGTERMUnderLoad|SIGTERM under load with an import in flight
./cmd/techmatch|TestDiskFull|disk full (tmpfs data dir)
./cmd/techmatch|TestMixedLoad|mixed load with concurrent writes
'

race=""
[ "${TECHMATCH_ATTACK_RACE:-}" = 1 ] && race="-race"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
fail=0
for pkg in $(echo "$attacks" | awk -F'|' 'NF==3 {print $1}' | sort -u); do
  tests=$(echo "$attacks" | awk -F'|' -v p="$pkg" '$1==p {printf "%s%s", sep, $2; sep="|"}')
  go test $race -count=1 -timeout 15m -v -run "^(${tests})\$" "$pkg" >>"$out" 2>&1 || fail=1
done

printf '%-10s %-58s %s\n' verdict test attack
held=0; broken=0; skipped=0
while IFS='|' read -r pkg test what; do
  [ -z "$test" ] && continue
  if grep -q -- "^--- PASS: ${test} " "$out"; then v=held; held=$((held+1))
  elif grep -q -- "^--- SKIP: ${test} " "$out"; then v=skipped; skipped=$((skipped+1))
  elif grep -q -- "^--- FAIL: ${test} " "$out"; then v="NOT HELD"; broken=$((broken+1))
  else v="NOT RUN"; broken=$((broken+1))
  fi
  printf '%-10s %-58s %s\n' "$v" "$test" "$what"
done <<<"$attacks"
echo "held $held, not held $broken, skipped $skipped (skips: see the test's log; tmpfs needs root)"
if [ "$broken" -gt 0 ]; then
  grep -E -- "^(--- FAIL|FAIL|panic)" "$out" | head -40
  exit 1
fi
[ "$fail" -eq 0 ]
