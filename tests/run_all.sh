#!/usr/bin/env bash
# Runs the unit tests and every CLI test script, then prints the total as
# the closing line "N passed, N failed". Exit status is non-zero on failure.
set -u
BUILD="${BUILD:-build}"
export BUILD
total_pass=0
total_fail=0

tally() { # reads "...: N passed, N failed" lines from a log
  local line p f
  line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$1" | tail -1)
  if [ -z "$line" ]; then total_fail=$((total_fail + 1)); echo "  no result line from $2" >&2; return; fi
  p=$(echo "$line" | sed -E 's/.* ([0-9]+) passed.*/\1/')
  f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
  total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
}

log="$BUILD/tmp/run-all.log"
mkdir -p "$BUILD/tmp"
"$BUILD/unit-tests" | tee "$log"
tally "$log" unit-tests
for t in tests/cli/test_*.sh; do
  [ -e "$t" ] || continue
  bash "$t" | tee "$log"
  tally "$log" "$t"
done
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
