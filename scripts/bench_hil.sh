#!/usr/bin/env bash
# make bench, hardware-in-the-loop part: physics-aware training (xpnn hil, method pat) of the
# reference 784-64-10 network for one epoch of Fashion-MNIST (937 steps of 64) on the default
# model board, in-process and served on loopback TCP, alternating; medians of REPS runs (3).
# Also one spsa epoch's worth of budget. No timing is asserted.
#
#   bash scripts/bench_hil.sh BUILD
set -eu
B=${1:?usage: bash scripts/bench_hil.sh BUILD}
X=$B/xpnn
D=$B/bench-hil
REPS=${REPS:-3}
PY=${PYTHON:-python3}
mkdir -p "$D"
"$X" train -o "$D/model.safetensors" --epochs 2 --seed 1 -q
"$X" compile "$D/model.safetensors" -o "$D/image.safetensors" -q
"$X" serve --port model --port-file "$D/port" -q &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null' EXIT
for _ in $(seq 100); do [ -s "$D/port" ] && break; sleep 0.05; done
P="tcp://127.0.0.1:$(cat "$D/port")"
run() { "$X" hil --port "$1" --method "$2" --model "$D/model.safetensors" \
	--image "$D/image.safetensors" --epochs 1 --json -q; }
for r in $(seq "$REPS"); do
	run model pat >"$D/pat_model_$r.json"
	run "$P" pat >"$D/pat_tcp_$r.json"
	run model spsa >"$D/spsa_model_$r.json"
done
"$PY" - "$D" "$REPS" <<'PY'
import json, statistics as st, sys
d, n = sys.argv[1], int(sys.argv[2])
def med(name, key):
    return st.median(json.load(open(f"{d}/{name}_{r}.json"))[key] for r in range(1, n + 1))
for name, what in (("pat_model", "pat, in-process model board"),
                   ("pat_tcp", "pat, model board served on TCP"),
                   ("spsa_model", "spsa, in-process model board")):
    s, bs = med(name, "seconds"), med(name, "board_seconds")
    fw = json.load(open(f"{d}/{name}_1.json"))["train_forwards"]
    print(f"hil {what:34s} 1 epoch ({fw:,} forward passes): {s:6.2f} s, "
          f"{fw / s:9,.0f} vectors/s, board exchanges {100 * bs / s:4.1f} % (median of {n})")
r = med("pat_tcp", "seconds") / med("pat_model", "seconds")
print(f"hil pat over TCP / in-process: {r:.2f}x; 3 epochs over TCP ≈ {3 * med('pat_tcp', 'seconds'):.1f} s (target ≤ 60 s)")
PY
