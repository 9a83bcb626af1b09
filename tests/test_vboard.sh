#!/usr/bin/env bash
# tests/test_vboard.sh — the host tools against the virtual RTL board (build/xpnn-vboard):
# the same xpnn commands on the Verilated xp_board and on a C-model board served with the same
# limits must print the same (INFO's implementation fields aside). The RTL is in progress
# (rtl/README.md): the commands it implements are compared, and a crossbar command must be
# refused cleanly (ERR_CMD, exit 1) until it lands.
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

start_server rtl "$VBOARD" -q
RTL=$PORT
start_server model "$XPNN" serve -q --port "model:boot=0,max_request=1024,max_reply=1024,max_batch=16"
MODEL=$PORT

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
	} >"$T/seq_$b.txt" 2>&1 || bad "$b: command sequence"
done
check_json() { "$PY" -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2]))
for k in ("impl","impl_name","impl_version","build_hash","port"): a.pop(k,None); b.pop(k,None)
sys.exit(a != b)' "$1" "$2"; }
if check_json "$T/info_rtl.json" "$T/info_model.json"; then ok "INFO: the RTL reports the model board's identity and limits"
else bad "INFO differs"; diff "$T/info_rtl.json" "$T/info_model.json" | head; fi
"$PY" -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["impl"] != 2)' "$T/info_rtl.json" &&
	ok "INFO: impl 2 (RTL)" || bad "INFO: impl is not 2"
sed 's/tcp:[^"]*//' "$T/seq_rtl.txt" >"$T/a"
sed 's/tcp:[^"]*//' "$T/seq_model.txt" >"$T/b"
same "$T/a" "$T/b" "STATUS, SET_SEED, RESET (boot id LCG), counters: the RTL prints what the model board prints"
expect 1 "a crossbar command on the RTL is refused (not built yet)" "$XPNN" configure --reference --port "$RTL"
has err "ERR_CMD" "with ERR_CMD"
expect 0 "the RTL board still answers after it" "$XPNN" status --port "$RTL"

echo "test_vboard: $PASS passed, $FAIL failed ($((SECONDS - start)) s)"
[ "$FAIL" = 0 ]
