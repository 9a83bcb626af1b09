#!/usr/bin/env bash
# Run every test step of `make test`, keep going after a failure, and close with one line
# "make test: N passed, N failed". Exit status: 0 only if every step passed.
#
# Usage: scripts/run-tests.sh STEP_NAME=COMMAND ...   (called by the Makefile)
set -u
passed=0
failed=0
failures=()
for step in "$@"; do
  name=${step%%=*}
  cmd=${step#*=}
  echo "== $name"
  start=$(date +%s)
  if bash -c "$cmd"; then
    passed=$((passed + 1))
    echo "-- $name: ok ($(( $(date +%s) - start )) s)"
  else
    failed=$((failed + 1))
    failures+=("$name")
    echo "-- $name: FAILED ($(( $(date +%s) - start )) s)"
  fi
done
if [ "$failed" -gt 0 ]; then
  echo "failed steps: ${failures[*]}"
fi
echo "make test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
