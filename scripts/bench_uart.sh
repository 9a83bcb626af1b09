#!/usr/bin/env bash
# make bench, UART part: the RTL board behind its UART pins (build/xpnn-vboard-uart: the
# iCEBreaker's configuration, 4 cells = 8 products x*G a cycle, 1 KiB frames) served on a
# pseudo-terminal and driven by `xpnn eval --port tty:/dev/pts/N` — the whole path of a real
# board's bytes. Simulated time stands still while the host works, so the figures are the
# board's: the share of the simulated cycles during which the wire carries a bit (frames
# counted against bit times: bytes × 10 × clocks a bit), and the inference rate this gives at
# the board's clock, beside the link-bound rate (bytes per inference × 10 bits ÷ baud).
# Two builds: 3 Mbaud (8 clocks a bit at 24 MHz) and 1 Mbaud (24 clocks a bit).
# The snapshot before the evaluation (SIGUSR2) leaves the load out. No timing is asserted.
#
#   bash scripts/bench_uart.sh BUILD [N]      (N test images, default 300)
set -eu
B=${1:?usage: bash scripts/bench_uart.sh BUILD [N]}
N=${2:-300}
X=$B/xpnn
D=$B/bench-uart
MHZ=24
mkdir -p "$D"
if [ ! -s "$D/image.safetensors" ]; then
	"$X" train -o "$D/model.safetensors" --epochs 1 --seed 1 -q
	"$X" compile "$D/model.safetensors" -o "$D/image.safetensors" -q
fi
for V in xpnn-vboard-uart xpnn-vboard-uart-1m; do
	rm -f "$D/$V.pty" "$D/$V.stats"
	"$B/$V" --pty -q --port-file "$D/$V.pty" --stats-file "$D/$V.stats" 2>"$D/$V.log" &
	pid=$!
	for _ in $(seq 200); do [ -s "$D/$V.pty" ] && break; sleep 0.05; done
	P="tty:$(cat "$D/$V.pty")"
	"$X" load --port "$P" "$D/image.safetensors" -q
	kill -USR2 $pid
	"$X" info --port "$P" >/dev/null           # the snapshot is taken before these bytes
	for _ in $(seq 100); do [ -s "$D/$V.stats" ] && break; sleep 0.05; done
	cp "$D/$V.stats" "$D/$V.before"
	"$X" eval --port "$P" --count "$N" --json >"$D/$V.json"
	kill -TERM $pid
	wait $pid || true
done
python3 - "$D" "$N" "$MHZ" <<'PY'
import json, sys
d, n, mhz = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
def kv(path):
    return {k: float(v) for k, v in (x.split("=") for x in open(path).read().split())}
for name in ("xpnn-vboard-uart", "xpnn-vboard-uart-1m"):
    a, b = kv(f"{d}/{name}.before"), kv(f"{d}/{name}.stats")
    cyc = b["cycles"] - a["cycles"]
    nbytes = (b["bytes_in"] - a["bytes_in"]) + (b["bytes_out"] - a["bytes_out"])
    cpb = b["clks_per_bit"]
    baud = mhz * 1e6 / cpb
    share = nbytes * 10 * cpb / cyc
    rate = n / (cyc / (mhz * 1e6))
    link = baud / (10 * nbytes / n)
    acc = json.load(open(f"{d}/{name}.json"))["accuracy"]
    print(f"uart: {baud / 1e6:.0f} Mbaud ({cpb:.0f} clocks a bit at {mhz:.0f} MHz): eval of {n} images "
          f"through a pty: {nbytes / n:.1f} wire bytes and {cyc / n:,.0f} cycles an inference; "
          f"wire busy {100 * share:.1f} % of the time -> {rate:.1f} inferences/s of a link-bound "
          f"{link:.1f} (accuracy {100 * acc:.2f} %)")
PY
