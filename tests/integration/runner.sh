# The integration suites' test runner: every function named t_* in the suite's file, in order,
# each in a subshell with its output kept in $WORK/test.out; ends with "N passed, M failed".
# A suite sets WORK first and may define after_each (run after every test, e.g. to delete its
# containers). ONLY=REGEX runs the matching tests only.
PASS=0; FAIL=0; FAILED=""
run_tests() {
  local t out rc
  for t in $(grep -oE '^t_[A-Za-z0-9_]+\(\)' "$0" | sed 's/()$//' | grep -E -- "${ONLY:-.}"); do
    # Output goes to a file, not a pipe: a created container inherits the test's stdio.
    (set -u; "$t") >"$WORK/test.out" 2>&1 </dev/null; rc=$?; out=$(cat "$WORK/test.out")
    if declare -F after_each >/dev/null; then after_each; fi
    # A test that could not check what it is for says "SKIPPED: why", and a count worth keeping
    # "NOTE: ...": both shown even when it passes.
    if [ $rc = 0 ]; then PASS=$((PASS+1)); echo "ok - ${t#t_}"; grep -E '^(SKIPPED|NOTE)' "$WORK/test.out" | sed 's/^/#   /'
    else FAIL=$((FAIL+1)); FAILED="$FAILED ${t#t_}"; echo "not ok - ${t#t_}"; echo "$out" | sed 's/^/#   /' | head -20; fi
  done
  echo "# failed:${FAILED:- none}"
  echo "$PASS passed, $FAIL failed"
  [ $FAIL = 0 ]
}
fail() { echo "$*"; return 1; }
