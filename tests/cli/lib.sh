# Helpers for CLI tests: source this, call the expect_* functions, end with
# `finish`, which prints "N passed, N failed". TS is the binary under test.
TS="${TS:-$PWD/${BUILD:-build}/trainset}"
SHARED="${TS_SHARED:-$PWD/../shared}"
pass=0
fail=0
TMP="$PWD/${BUILD:-build}/tmp/cli-$(basename "$0" .sh)"
rm -rf "$TMP"; mkdir -p "$TMP"

ok()   { pass=$((pass + 1)); }
bad()  { fail=$((fail + 1)); echo "  FAIL $(basename "$0"): $*" >&2; }

# expect_ok DESC CMD...: the command exits 0.
expect_ok() { local d="$1"; shift; if "$@" >"$TMP/out" 2>"$TMP/err"; then ok; else bad "$d (exit $?): $(tail -3 "$TMP/err")"; fi; }
# expect_fail DESC PATTERN CMD...: exits non-zero, stderr matches PATTERN.
expect_fail() {
  local d="$1" pat="$2"; shift 2
  if "$@" >"$TMP/out" 2>"$TMP/err"; then bad "$d: expected failure"; return; fi
  local rc=$?
  if [ $rc -ge 128 ]; then bad "$d: crashed (exit $rc)"; return; fi
  if grep -Eq -- "$pat" "$TMP/err"; then ok; else bad "$d: stderr lacks /$pat/: $(head -3 "$TMP/err")"; fi
}
# expect_eq DESC EXPECTED ACTUAL
expect_eq() { if [ "$2" = "$3" ]; then ok; else bad "$1: expected '$2', got '$3'"; fi; }
# expect_grep DESC PATTERN FILE
expect_grep() { if grep -Eq -- "$2" "$3"; then ok; else bad "$1: /$2/ not in $3"; fi; }

finish() { echo "$(basename "$0" .sh): $pass passed, $fail failed"; [ $fail -eq 0 ]; }
