#!/usr/bin/env bash
# Run every libFuzzer target (or those named) for SECONDS each under
# ASan+UBSan, seeded from the fixtures listed in fuzz/seeds.txt
# ("TARGET GLOB" lines, globs relative to the repository root; ../shared
# paths allowed). Prints the executions of each run.
# usage: bash fuzz/run.sh SECONDS [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-60}"; shift || true
make --no-print-directory fuzz >/dev/null
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in build-fuzz/fuzz_*; do targets+=("$(basename "$f")"); done
fi
mkdir -p build-fuzz/logs
for t in "${targets[@]}"; do
  corpus="build-fuzz/corpus-$t"
  mkdir -p "$corpus"
  if [ -f fuzz/seeds.txt ]; then
    while read -r name glob; do
      [ "$name" = "$t" ] || continue
      for s in $glob; do [ -f "$s" ] && cp -n "$s" "$corpus/" 2>/dev/null || true; done
    done < fuzz/seeds.txt
  fi
  log="build-fuzz/logs/$t.log"
  if "build-fuzz/$t" "$corpus" -max_total_time="$secs" -rss_limit_mb=4096 -max_len=1048576 -print_final_stats=1 >"$log" 2>&1; then
    status=ok
  else
    status=FAILED
  fi
  execs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || true)
  [ -n "$execs" ] || execs=$(grep -Eo '#[0-9]+' "$log" | tail -1 | tr -d '#')
  echo "$t: $status, ${execs:-?} executions in ${secs}s (log $log)"
done
