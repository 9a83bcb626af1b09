#!/usr/bin/env bash
# make results — the hardware-in-the-loop comparison of docs/results.md, reproduced:
# the reference network (784-64-10, Fashion-MNIST, trained as `make demo` trains it) is
# deployed on a model board with its default device parameters, served on loopback TCP, and
# fine-tuned by each method with the same budget of board forward passes. Prints the table,
# writes it to OUT/results.md (with each method's JSON summary, HTML report and CSV), and
# checks the acceptance targets of the issue; exits 1 if one is missed.
#
#   bash scripts/results.sh BUILD [OUT]      EPOCHS (reference training, 10), SEED (1),
#                                            HIL_EPOCHS (3) from the environment
set -eu

B=${1:?usage: bash scripts/results.sh BUILD [OUT]}
D=${2:-$B/results}
X=$B/xpnn
PY=${PYTHON:-python3}
EPOCHS=${EPOCHS:-10}
SEED=${SEED:-1}
HIL_EPOCHS=${HIL_EPOCHS:-3}
mkdir -p "$D"

echo "== 1/4 train the reference 784-64-10 twin ($EPOCHS epochs, seed $SEED) and compile it"
"$X" train -o "$D/model.safetensors" --epochs "$EPOCHS" --seed "$SEED" -q
"$X" compile "$D/model.safetensors" -o "$D/image.safetensors" -q
"$X" eval --twin "$D/model.safetensors" --json >"$D/float.json"

echo "== 2/4 serve the model board (default device parameters) on loopback TCP"
"$X" serve --port model --port-file "$D/port" -q &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null' EXIT
for _ in $(seq 100); do
	[ -s "$D/port" ] && break
	sleep 0.05
done
P="tcp://127.0.0.1:$(cat "$D/port")"

echo "== 3/4 fine-tune with each method, the same budget of board forward passes"
for m in insilico pat spsa progressive; do
	echo "   $m …"
	"$X" hil --port "$P" --method "$m" --model "$D/model.safetensors" \
		--image "$D/image.safetensors" --epochs "$HIL_EPOCHS" --seed "$SEED" \
		--report "$D/$m.html" --csv "$D/$m.csv" --json -q >"$D/$m.json"
done

echo "== 4/4 the table"
"$PY" - "$D" <<'PY'
import json, sys
d = sys.argv[1]
j = lambda n: json.load(open(f"{d}/{n}.json"))
f = j("float")["accuracy"] * 100
runs = {m: j(m) for m in ("insilico", "pat", "spsa", "progressive")}
a0 = runs["pat"]["accuracy_before"] * 100
A = {m: r["accuracy_after"] * 100 for m, r in runs.items()}
rows = [
    "| method | held-out accuracy on the board | vs float twin | training forward passes on the board | cells written | programming pulses | most pulses on one cell | wall time |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
    f"| float twin A_f (no board) | {f:.2f} % | — | — | — | — | — | — |",
    f"| naive deployment A_0 | {a0:.2f} % | {a0 - f:+.2f} | — | {runs['pat']['cells']:,} | {2 * runs['pat']['cells']:,} | 2 | — |",
]
names = {"insilico": "insilico (hardware-aware twin) A_hw", "pat": "**pat** (physics-aware) A_pat",
         "spsa": "spsa", "progressive": "progressive (NeuRRAM)"}
for m in ("insilico", "pat", "spsa", "progressive"):
    r = runs[m]
    rows.append(f"| {names[m]} | {A[m]:.2f} % | {A[m] - f:+.2f} | {r['train_forwards']:,} | "
                f"{r['cells_written']:,} | {r['pulses']:,} | {r['max_cell_pulses']} | "
                f"{r['seconds']:.1f} s |")
checks = [
    (A["pat"] >= f - 1.0, f"A_pat {A['pat']:.2f} % >= A_f - 1 = {f - 1:.2f} %"),
    (a0 <= f - 5.0, f"A_0 {a0:.2f} % <= A_f - 5 = {f - 5:.2f} %"),
    (A["pat"] > A["spsa"], f"pat {A['pat']:.2f} % beats spsa {A['spsa']:.2f} % at equal budget "
     f"({runs['pat']['train_forwards']:,} vs {runs['spsa']['train_forwards']:,} forward passes)"),
    (runs["pat"]["seconds"] <= 60.0, f"pat, {runs['pat']['train_forwards']:,} forward passes "
     f"(3 epochs of 60,000), took {runs['pat']['seconds']:.1f} s <= 60 s"),
]
out = "\n".join(rows) + "\n\nTargets:\n" + "\n".join(
    f"- [{'x' if ok else ' '}] {txt}" for ok, txt in checks) + "\n"
open(f"{d}/results.md", "w").write(out)
print(out)
sys.exit(0 if all(ok for ok, _ in checks) else 1)
PY
