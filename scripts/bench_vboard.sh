#!/usr/bin/env bash
# make bench, virtual-board part: the Verilated RTL board (build/xpnn-vboard) running the
# reference 784-64-10 network — Verilator's simulation speed (cycles per second of wall time
# inside the simulation loop), clock cycles per inference (MACS_PER_CYCLE 8), and
# inferences per second through TCP (xpnn eval, frames of Bmax = 83 vectors). Two boards: one
# only loaded, one loaded and evaluated three times; the difference of their cycle counts is
# the evaluations'; rates are medians of the three. No timing is asserted.
#
#   bash scripts/bench_vboard.sh BUILD [N]      (N test images, default 2000)
set -eu
B=${1:?usage: bash scripts/bench_vboard.sh BUILD [N]}
N=${2:-2000}
X=$B/xpnn
V=$B/xpnn-vboard
D=$B/bench-vboard
mkdir -p "$D"
"$X" train -o "$D/model.safetensors" --epochs 2 --seed 1 -q
"$X" compile "$D/model.safetensors" -o "$D/image.safetensors" -q
session() { # session NAME EVAL?: a fresh virtual board, load, optionally evaluate N images
	rm -f "$D/$1.port"
	XPNN_VBOARD_STATS=1 "$V" -q --port-file "$D/$1.port" 2>"$D/$1.log" &
	local pid=$!
	for _ in $(seq 200); do [ -s "$D/$1.port" ] && break; sleep 0.05; done
	local P="tcp://127.0.0.1:$(cat "$D/$1.port")"
	"$X" load --port "$P" "$D/image.safetensors" -q
	if [ "$2" = 1 ]; then
		for r in 1 2 3; do
			"$X" eval --port "$P" --count "$N" --json >"$D/$1_$r.json"
		done
	fi
	kill -TERM $pid
	wait $pid || true
}
session load 0
session eval 1
PYTHON=${PYTHON:-python3}
"$PYTHON" - "$D" "$N" <<'PY'
import json, re, statistics, sys
d, n = sys.argv[1], int(sys.argv[2])
def stats(name):
    m = re.search(r"stopped after (\d+) cycles, ([0-9.]+) s simulating \((\d+) cycles/s\)",
                  open(f"{d}/{name}.log").read())
    return int(m.group(1)), float(m.group(2)), int(m.group(3))
c0, s0, r0 = stats("load")
c1, s1, r1 = stats("eval")
ev = [json.load(open(f"{d}/eval_{r}.json")) for r in (1, 2, 3)]
e = dict(ev[0], seconds=statistics.median(x["seconds"] for x in ev))
cyc = (c1 - c0) / (3 * n)
print(f"vboard: Verilator {r1:,} cycles/s (whole session; load alone {r0:,})")
print(f"vboard: {cyc:,.0f} clock cycles per inference of 784-64-10 (50,890 MACs at 8 MACs a cycle: {50890 / cyc:.2f} MACs/cycle overall)")
print(f"vboard: eval of {n} images through TCP: {e['seconds']:.2f} s, {n / e['seconds']:.1f} "
      f"inferences/s, accuracy {100 * e['accuracy']:.2f} %; 10,000 images ≈ {10000 * e['seconds'] / n:.0f} s "
      f"(target < 60 s); median of 3")
PY
