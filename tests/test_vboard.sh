#!/usr/bin/env bash
# tests/test_vboard.sh — the host tools against the virtual RTL board (build/xpnn-vboard):
# the same xpnn commands on the Verilated xp_board and on a C-model board served with the same
# limits and the same device seed must print the same (INFO's implementation fields aside):
# INFO, STATUS, SET_SEED, RESET, CONFIGURE, and an image loaded with `xpnn load --verify`
# (SET_ADC, WRITE_CELLS with the board-private device model and programming noise, READ_CELLS)
# and read back with `xpnn read`, `xpnn eval` and `xpnn run --all-layers` (RUN), and a short
# `xpnn hil` run, which must end with the same report and weights on both; and the protocol
# conformance suite (xpnn-conform) passes on the RTL.
#
#   bash tests/test_vboard.sh BUILD_DIR
set -u
BUILD=${1:?usage: bash tests/test_vboard.sh BUILD_DIR}
XPNN=$(cd "$BUILD" && pwd)/xpnn
VBOARD=$(cd "$BUILD" && pwd)/xpnn-vboard
PY=${PYTHON:-python3}
unset XPNN_PORT
. "$(dirname "$0")/cli_lib.sh"
start=$SECONDS


expect 0 "xpnn-vboard --help" "$VBOARD" --help
has out "--listen" "--help lists the options"
expect 2 "xpnn-vboard --listen nonsense" "$VBOARD" --listen nonsense
has err "want HOST:PORT" "names the syntax"

expect 2 "xpnn-vboard --device-seed -1" "$VBOARD" --device-seed -1
has err "device-seed '-1'" "names the option"

start_server rtl "$VBOARD" -q --device-seed 5
RTL=$PORT
start_server model "$XPNN" serve -q --port "model:seed=5,boot=0"
MODEL=$PORT

# a small network to deploy: 784-16-10, one epoch on Fashion-MNIST
FM=${XPNN_FASHION_DIR:-/usr/share/datasets/fashion-mnist}
expect 0 "train a 784-16-10 twin (1 epoch)" "$XPNN" train -o "$T/m.st" --layers 784,16,10 \
	--epochs 1 --data "$FM" -q
expect 0 "compile it" "$XPNN" compile "$T/m.st" -o "$T/i.st" --data "$FM" -q
"$PY" -c 'import gzip,sys; sys.stdout.buffer.write(gzip.open(sys.argv[1]).read()[16:16 + 784 * 4])' \
	"$FM/t10k-images-idx3-ubyte.gz" >"$T/x.bin"

for b in rtl model; do
	P=$([ $b = rtl ] && echo "$RTL" || echo "$MODEL")
	"$XPNN" info --json --port "$P" >"$T/info_$b.json" 2>"$T/err" || bad "$b: info"
	{
		"$XPNN" status --json --port "$P"
		"$XPNN" seed --port "$P" 0x0123456789abcdef
		"$XPNN" status --json --port "$P"
		"$XPNN" reset --port "$P"
		"$XPNN" reset --port "$P"
		"$XPNN" status --json --port "$P"
		"$XPNN" configure --reference --port "$P"
		"$XPNN" seed --port "$P" 77
		"$XPNN" load --verify --tolerance 8 --max-bad 100 "$T/i.st" --json --port "$P" |
			"$PY" -c 'import json,sys; j=json.load(sys.stdin); j.pop("seconds",None); print(json.dumps(j, sort_keys=True))'
		for t in 0 1 2 3 4 5 6; do
			"$XPNN" read --tile $t --row 0 --col 0 --rows 128 --cols 16 --port "$P"
		done
		"$XPNN" eval --count 300 --json --port "$P" |
			"$PY" -c 'import json,sys; j=json.load(sys.stdin); j.pop("seconds",None); print(json.dumps(j, sort_keys=True))'
		"$XPNN" run --input "$T/x.bin" --format bin --all-layers --port "$P" 2>&1 || echo "run: exit $?"
		"$XPNN" status --json --port "$P"
	} >"$T/seq_$b.txt" 2>&1 || bad "$b: command sequence"
done
check_json() { "$PY" -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2]))
for k in ("impl","impl_name","impl_version","build_hash","port"): a.pop(k,None); b.pop(k,None)
sys.exit(a != b)' "$1" "$2"; }
if check_json "$T/info_rtl.json" "$T/info_model.json"; then ok "INFO: the RTL reports the model board's identity and limits"
else bad "INFO differs"; diff "$T/info_rtl.json" "$T/info_model.json" | head; fi
"$PY" -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["impl"] != 2)' "$T/info_rtl.json" &&
	ok "INFO: impl 2 (RTL)" || bad "INFO: impl is not 2"
# ports and wall times aside
sed -E 's/tcp:[^"]*//; s/, [0-9.]+ s$/, (time) s/' "$T/seq_rtl.txt" >"$T/a"
sed -E 's/tcp:[^"]*//; s/, [0-9.]+ s$/, (time) s/' "$T/seq_model.txt" >"$T/b"
same "$T/a" "$T/b" "STATUS, SET_SEED, RESET (boot id LCG), CONFIGURE, load --verify of a 784-16-10 image (12,730 cells), its conductances read back, eval of 300 test images (confusion matrix) and RUN with every layer's S: the RTL prints what the model board prints"
grep -q '"out_of_tol' "$T/seq_rtl.txt" && ok "… the load's verify report is in the comparison" || bad "no load report"
grep -q '"confusion' "$T/seq_rtl.txt" && ok "… and the evaluation's" || bad "no eval report"

# the protocol conformance suite on the RTL (and on the model board, so that both are left in
# the same state: the suite RESETs and programs them)
CONF="$(dirname "$XPNN")/xpnn-conform"
if "$CONF" --seed 1 --port "$RTL" >"$T/conf.log" 2>&1; then
	ok "conformance suite on the RTL: $(grep '^conform:' "$T/conf.log")"
else
	bad "conformance suite on the RTL"
	grep -v '^ok - ' "$T/conf.log" | head -n 8
fi
"$CONF" --seed 1 --port "$MODEL" >"$T/conf_model.log" 2>&1 || bad "conformance suite on the model board"

# hardware-in-the-loop training runs unchanged on the RTL: the same run on both boards
for b in rtl model; do
	P=$([ $b = rtl ] && echo "$RTL" || echo "$MODEL")
	expect 0 "$b: xpnn hil (pat, 10 steps of 64, 100 held-out images)" "$XPNN" hil --port "$P" \
		--model "$T/m.st" --image "$T/i.st" --data "$FM" --budget 640 --eval-count 100 \
		-o "$T/hil_$b.st" --json
	"$PY" -c 'import json,sys; j=json.load(open(sys.argv[1])); [j.pop(k) for k in ("seconds","board_seconds","config")]
[e.pop("seconds") for e in j["evaluations"]]; print(json.dumps(j, sort_keys=True))' "$T/out" >"$T/hil_$b.json"
done
same "$T/hil_rtl.json" "$T/hil_model.json" "hil on the RTL: the same accuracies, losses, cells written and pulses as on the model board"
cmp -s <(tail -c 20000 "$T/hil_rtl.st") <(tail -c 20000 "$T/hil_model.st") &&
	ok "… and the same fine-tuned weights" || bad "hil weights differ between the RTL and the model board"
expect 0 "the RTL board still answers after it" "$XPNN" status --port "$RTL"

echo "test_vboard: $PASS passed, $FAIL failed ($((SECONDS - start)) s)"
[ "$FAIL" = 0 ]
