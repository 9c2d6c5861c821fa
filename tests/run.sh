#!/bin/sh
# Runs each test binary, shows its output, and sums the counts each one ends
# with ("N passed, N failed, N skipped"). Python tests (tests/test_*.py) run
# with Debian's python3 and TANNE_BIN set to the built command. A binary that crashes or prints no
# count is one failure. Ends with the total line.
build=$1
shift
passed=0
failed=0
skipped=0
for t in "$@"; do
  echo "== $(basename "$t")"
  case "$t" in
  *.py) out=$(TANNE_BIN="$build/tanne" /usr/bin/python3 "$t" 2>&1) ;;
  *) out=$("$t" 2>&1) ;;
  esac
  rc=$?
  printf '%s\n' "$out"
  last=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -1)
  if [ -z "$last" ]; then
    echo "  FAIL $(basename "$t"): exited $rc without a count"
    failed=$((failed + 1))
    continue
  fi
  p=$(echo "$last" | sed -E 's/^([0-9]+) passed.*/\1/')
  f=$(echo "$last" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
  s=$(echo "$last" | sed -nE 's/.* ([0-9]+) skipped.*/\1/p')
  passed=$((passed + p))
  failed=$((failed + f))
  skipped=$((skipped + ${s:-0}))
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    echo "  FAIL $(basename "$t"): exited $rc"
    failed=$((failed + 1))
  fi
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
