#!/usr/bin/env bash
# tests/test_vboard_uart.sh — the whole path a real board's bytes take, without the board:
# the host's tty: transport on a kernel pseudo-terminal, 8N1 bits on the RTL's rxd/txd pins
# (build/xpnn-vboard-uart: xp_board_uart at the iCEBreaker's configuration, 3 Mbaud at 24 MHz
# = 8 clocks a bit), the protocol engine. The same xpnn commands through it and on a C-model
# board with the same limits and device seed must print the same: INFO, a load --verify of a
# 784-16-10 image, its eval and a RUN with every layer's S; the protocol conformance suite
# passes through it; the bit-time counters are consistent.
#
#   bash tests/test_vboard_uart.sh BUILD_DIR
set -u
BUILD=${1:?usage: bash tests/test_vboard_uart.sh BUILD_DIR}
XPNN=$(cd "$BUILD" && pwd)/xpnn
VB=$(cd "$BUILD" && pwd)/xpnn-vboard-uart
PY=${PYTHON:-python3}
unset XPNN_PORT
. "$(dirname "$0")/cli_lib.sh"
start=$SECONDS

expect 0 "xpnn-vboard-uart --help" "$VB" --help
has out "--pty" "--help lists --pty"
expect 2 "--pty with --listen" "$VB" --pty --listen 127.0.0.1:0
has err "exclude each other" "names the conflict"

"$VB" --pty -q --device-seed 5 --port-file "$T/pty" --stats-file "$T/stats" >"$T/vb.log" 2>&1 &
VB_PID=$!
PIDS+=($VB_PID)
for _ in $(seq 200); do [ -s "$T/pty" ] && break; sleep 0.05; done
[ -s "$T/pty" ] || { bad "xpnn-vboard-uart: no pty after 10 s"; show "$T/vb.log"; exit 1; }
RTL="tty:$(cat "$T/pty")"
case "$RTL" in tty:/dev/pts/*) ok "serving on $RTL" ;; *) bad "pty path '$RTL'" ;; esac
start_server model "$XPNN" serve -q --port "model:seed=5,boot=0,max_request=1024,max_reply=1024,max_batch=16,max_width=1024"
MODEL=$PORT

FM=${XPNN_FASHION_DIR:-/usr/share/datasets/fashion-mnist}
expect 0 "train a 784-16-10 twin (1 epoch)" "$XPNN" train -o "$T/m.st" --layers 784,16,10 \
	--epochs 1 --data "$FM" -q
expect 0 "compile it" "$XPNN" compile "$T/m.st" -o "$T/i.st" --data "$FM" -q
"$PY" -c 'import gzip,sys; sys.stdout.buffer.write(gzip.open(sys.argv[1]).read()[16:16 + 784 * 3])' \
	"$FM/t10k-images-idx3-ubyte.gz" >"$T/x.bin"
strip='import json,sys; j=json.load(sys.stdin); j.pop("seconds",None); print(json.dumps(j, sort_keys=True))'
for b in rtl model; do
	P=$([ $b = rtl ] && echo "$RTL" || echo "$MODEL")
	"$XPNN" info --json --port "$P" >"$T/info_$b.json" 2>"$T/err" || bad "$b: info"
	{
		"$XPNN" load --verify --tolerance 8 --max-bad 100 "$T/i.st" --json --port "$P" | "$PY" -c "$strip"
		"$XPNN" eval --count 100 --json --port "$P" | "$PY" -c "$strip"
		"$XPNN" run --input "$T/x.bin" --format bin --all-layers --port "$P" 2>&1 || echo "run: exit $?"
		"$XPNN" status --json --port "$P"
	} >"$T/seq_$b.txt" 2>&1 || bad "$b: command sequence"
done
"$PY" -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2]))
for k in ("impl","impl_name","impl_version","build_hash","port"): a.pop(k,None); b.pop(k,None)
sys.exit(a != b or json.load(open(sys.argv[1]))["impl"] != 2)' "$T/info_rtl.json" "$T/info_model.json" &&
	ok "INFO through the pins: impl 2 (RTL), the model board's limits (1 KiB frames, batch 16, max_width 1024)" ||
	bad "INFO differs"
# ports and wall times aside
sed -E 's/(tty|tcp):[^"]*//; s/, [0-9.]+ s$/, (time) s/' "$T/seq_rtl.txt" >"$T/a"
sed -E 's/(tty|tcp):[^"]*//; s/, [0-9.]+ s$/, (time) s/' "$T/seq_model.txt" >"$T/b"
same "$T/a" "$T/b" "load --verify (12,730 cells in 1 KiB frames), eval of 100 images and RUN with every layer's S through tty: and the UART pins: the RTL prints what the model board prints"
grep -q '"confusion' "$T/seq_rtl.txt" && grep -q '"out_of_tol' "$T/seq_rtl.txt" && ok "… the load's verify report and the evaluation's are in the comparison" || bad "no eval report"

CONF="$(dirname "$XPNN")/xpnn-conform"
if "$CONF" --seed 1 --port "$RTL" >"$T/conf.log" 2>&1; then
	ok "conformance suite through the pty and the UART pins: $(grep '^conform:' "$T/conf.log")"
else
	bad "conformance suite through the pty and the UART pins"
	grep -v '^ok - ' "$T/conf.log" | head -n 8
fi

kill -TERM $VB_PID
wait $VB_PID 2>/dev/null
if [ -s "$T/stats" ]; then
	"$PY" - "$T/stats" <<'PY' && ok "bit-time counters: $(cat "$T/stats")" || bad "bit-time counters: $(cat "$T/stats")"
import sys
k = {a: float(b) for a, b in (x.split("=") for x in open(sys.argv[1]).read().split())}
# every byte each way took 10 bit times of 8 cycles; the wire cannot be busier than the clock
assert k["clks_per_bit"] == 8 and k["bytes_in"] > 100000 and k["bytes_out"] > 100000
assert k["wire_cycles"] == (k["bytes_in"] + k["bytes_out"]) * 80
assert 0.5 < k["line_share"] < 1.0, k["line_share"]
PY
else
	bad "no stats file at exit"
fi

echo "test_vboard_uart: $PASS passed, $FAIL failed ($((SECONDS - start)) s)"
[ "$FAIL" = 0 ]
