#!/usr/bin/env bash
# The protocol conformance suite on every board this tree can build today: the model board with
# the reference limits, a model board with small frames (what an FPGA board reports), one with
# the iCEBreaker build's limits (1 KiB frames, layers at most 1024 wide), and a
# model board served on TCP by `xpnn serve` (the path the virtual RTL board will take).
# Usage: tests/run_conform.sh BUILD_DIR SEED     Exit status: 0 only if every run passed.
set -u -o pipefail
build=$1
seed=${2:-1}
fail=0
run() { # label, then the xpnn-conform arguments
  local label=$1; shift
  local out
  out=$("$build/xpnn-conform" --seed "$seed" "$@" 2>&1)
  local rc=$?
  grep -v '^ok - ' <<<"$out" | grep -v '^xpnn-conform: this resets' || true
  echo "  ($label)"
  [ $rc -eq 0 ] || fail=1
}
run "model board" --port model
run "model board, small frames" --port "model:max_request=1024,max_reply=2048,max_batch=4"
run "model board, the iCEBreaker build's limits (max_width 1024)" \
  --port "model:max_request=1024,max_reply=1024,max_batch=16,max_width=1024"

dir=$(mktemp -d)
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
"$build/xpnn" serve --port "model:seed=$seed" --listen 127.0.0.1:0 --port-file "$dir/port" -q &
pid=$!
for _ in $(seq 100); do [ -s "$dir/port" ] && break; sleep 0.05; done
if [ ! -s "$dir/port" ]; then
  echo "xpnn serve did not start"; exit 1
fi
run "model board served on tcp://127.0.0.1:$(cat "$dir/port")" --port "tcp://127.0.0.1:$(cat "$dir/port")"
exit $fail
