#!/usr/bin/env bash
# make demo — the main job of xpnn end to end on the built-in default:
# Fashion-MNIST → trained float twin → board image → model board (default, non-ideal,
# board-private device parameters) → accuracy measured by the board through the port.
#
# Usage: scripts/demo.sh [BUILD_DIR [OUT_DIR]]   (EPOCHS=N SEED=S override the defaults 10, 1)
# Writes OUT_DIR (default BUILD_DIR/demo)/{model,image}.safetensors and each step's JSON summary.
set -euo pipefail
B=${1:-build}
X=$B/xpnn
D=${2:-$B/demo}
EPOCHS=${EPOCHS:-10}
SEED=${SEED:-1}
mkdir -p "$D"
rm -f "$D/port"
start=$(date +%s.%N)

echo "== 1/4 train the 784-64-10 twin on Fashion-MNIST ($EPOCHS epochs, seed $SEED)"
"$X" train -o "$D/model.safetensors" --epochs "$EPOCHS" --seed "$SEED" --json > "$D/train.json"

echo "== 2/4 compile it for the reference board (8 tiles of 128 x 64, 4-bit codes, 8-bit ADC)"
"$X" compile "$D/model.safetensors" -o "$D/image.safetensors" --json > "$D/compile.json"

echo "== 3/4 load it onto the model board, served on TCP so that it outlives one command"
"$X" serve --port model --port-file "$D/port" -q &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$D/port" ] && break; sleep 0.1; done
[ -s "$D/port" ] || { echo "demo: the model board did not start listening" >&2; exit 1; }
P="tcp://127.0.0.1:$(cat "$D/port")"
"$X" load --port "$P" --verify "$D/image.safetensors" --json > "$D/load.json"

echo "== 4/4 evaluate the 10,000 test images"
"$X" eval --twin "$D/model.safetensors" --json > "$D/eval_float.json"
"$X" eval --twin "$D/image.safetensors" --json > "$D/eval_ideal.json"
"$X" eval --port "$P" --json > "$D/eval_board.json"
kill "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
trap - EXIT

python3 - "$D" "$start" <<'PY'
import json, sys, time
d, start = sys.argv[1], float(sys.argv[2])
j = lambda n: json.load(open(f"{d}/{n}.json"))
tr, ld = j("train"), j("load")
f, i, b = (j(n)["accuracy"] * 100 for n in ("eval_float", "eval_ideal", "eval_board"))
print()
print(f"  trained {tr['epochs']} epochs at {tr['samples_per_s']:,.0f} samples/s in {tr['seconds']:.1f} s")
print(f"  programmed {ld['cells']:,} cells ({ld['pulses']:,} pulses); read back: "
      f"{ld['out_of_tolerance']} devices off nominal by more than two code steps")
print()
print("  Fashion-MNIST test accuracy (10,000 images)")
print(f"    float twin (the trained model)                    {f:6.2f} %")
print(f"    ideal board (the image, no device errors)         {i:6.2f} %")
print(f"    model board (default device model), via the port  {b:6.2f} %")
print(f"    naive deployment loses {f - b:.2f} points: variation, stuck devices, ADC errors")
print("    and noise are private to the board; hardware-in-the-loop training wins them back")
print()
print(f"  files in {d}/; whole demo {time.time() - start:.0f} s")
PY
