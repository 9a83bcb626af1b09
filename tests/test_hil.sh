#!/usr/bin/env bash
# tests/test_hil.sh — end-to-end tests of `xpnn hil` (docs/training.md §3, docs/cli.md):
#   - pat recovers a deliberately induced board mismatch (harsh device model), far beyond the
#     held-out set's sampling noise; spsa and progressive improve on the same case;
#   - a run killed (SIGKILL) at random moments and resumed, again and again, ends with the same
#     shadow weights, the same per-step history and the same board conductances as an
#     uninterrupted run on a board of the same device seed;
#   - a board that loses power mid-run (xpnn serve, SIGUSR1) is reprogrammed from the last
#     checkpoint and the run still ends identical;
#   - the HTML report is well-formed XML with its five plots and no external assets;
#   - usage errors, mismatched and corrupt inputs and checkpoints are refused.
#
#   bash tests/test_hil.sh BUILD_DIR [SEED]     (BUILD_DIR holds xpnn; SEED: the kill times)
set -u

BUILD=${1:?usage: bash tests/test_hil.sh BUILD_DIR [SEED]}
XPNN=$(cd "$BUILD" 2>/dev/null && pwd)/xpnn
SRC=$(cd "$(dirname "$0")/.." && pwd)
FM=${XPNN_FASHION_DIR:-/usr/share/datasets/fashion-mnist}
PY=${PYTHON:-python3}
SEED=${2:-${SEED:-$(date +%s)}}

if [ ! -x "$XPNN" ]; then
	echo "test_hil: $BUILD/xpnn not found; HINT: make DEPS=0 $BUILD/xpnn" >&2
	exit 2
fi
if [ ! -r "$FM/train-images-idx3-ubyte.gz" ]; then
	echo "test_hil: $FM has no Fashion-MNIST; HINT: bash scripts/deps.sh" >&2
	exit 2
fi
unset XPNN_PORT
. "$SRC/tests/cli_lib.sh"


start=$SECONDS
echo "test_hil: $XPNN (kill-time seed $SEED; SEED=$SEED to repeat)"
RANDOM=$((SEED % 32768))

# ---- a small case: the first 5,000 training and 2,000 test images, a 784-32-10 network ----
"$PY" - "$FM" "$T" <<'PY'
import gzip, sys
src, d = sys.argv[1], sys.argv[2]
def sub(name, n, out):
    b = gzip.open(f"{src}/{name}").read()
    h = 16 if "images" in name else 8
    per = 784 if "images" in name else 1
    hdr = bytearray(b[:h]); hdr[4:8] = n.to_bytes(4, "big")
    open(f"{d}/{out}", "wb").write(bytes(hdr) + b[h:h + n * per])
sub("train-images-idx3-ubyte.gz", 5000, "tr-img")
sub("train-labels-idx1-ubyte.gz", 5000, "tr-lab")
sub("t10k-images-idx3-ubyte.gz", 2000, "te-img")
sub("t10k-labels-idx1-ubyte.gz", 2000, "te-lab")
PY
DATA=(--train-images "$T/tr-img" --train-labels "$T/tr-lab" --test-images "$T/te-img"
	--test-labels "$T/te-lab")
expect 0 "train 784-32-10 on 5,000 images" "$XPNN" train -o "$T/m.st" --layers 784,32,10 \
	--epochs 3 "${DATA[@]}" -q
expect 0 "compile it" "$XPNN" compile "$T/m.st" -o "$T/i.st" --images "$T/tr-img" \
	--labels "$T/tr-lab" -q
# a deliberately mismatched board: 4x the default variation, 4.6 % stuck-at-0 devices
HARSH="model:seed=7,s_var=200,p_sa0=3000"

# ---- usage errors and bad inputs: refused before the board is touched ----
H=("$XPNN" hil --port "$HARSH" "${DATA[@]}")
expect 2 "no --image" "${H[@]}" --model "$T/m.st"
has err "--image IMAGE is required" "… names the missing option"
expect 2 "unknown method" "${H[@]}" --model "$T/m.st" --image "$T/i.st" --method adam
has err "--method 'adam'.*pat" "… lists the methods"
expect 2 "--resume without --checkpoint" "${H[@]}" --image "$T/i.st" --resume
expect 2 "insilico without --model" "${H[@]}" --image "$T/i.st" --method insilico
expect 2 "--batch 0" "${H[@]}" --image "$T/i.st" --batch 0
has err "--batch 0: legal range 1 … 4096" "… names the range"
expect 2 "budget below one batch" "${H[@]}" --image "$T/i.st" --budget 10
has err "budget of 10 forward passes is less than one step of batch 64" "… says why"
expect 5 "a model file as the image" "${H[@]}" --image "$T/m.st"
"$XPNN" train -o "$T/m2.st" --layers 784,16,10 --epochs 1 "${DATA[@]}" -q
expect 2 "a model of other widths than the image" "${H[@]}" --model "$T/m2.st" --image "$T/i.st"
has err "layer widths differ from the image's" "… says which"
head -c 3000 "$T/i.st" >"$T/trunc.st"
expect 5 "a truncated image" "${H[@]}" --image "$T/trunc.st"

# ---- pat recovers the induced mismatch; spsa and progressive improve on it ----
for m in pat spsa progressive insilico; do
	expect 0 "$m on the mismatched board" "${H[@]}" --model "$T/m.st" --image "$T/i.st" \
		--method "$m" --json
	cp "$T/out" "$T/$m.json"
	a0=$(json "$T/$m.json" "round(100 * j['accuracy_before'], 2)")
	a1=$(json "$T/$m.json" "round(100 * j['accuracy_after'], 2)")
	echo "     | $m: held-out accuracy on the board $a0 % -> $a1 %"
done
# the held-out set has 2,000 images: one binomial sigma at 75 % is 1.0 point
check "[ \$(json $T/pat.json 'int(100 * (j[\"accuracy_after\"] - j[\"accuracy_before\"]) >= 6)') = 1 ]" \
	"pat wins back at least 6 points (6 sigma of the held-out sampling noise)"
check "[ \$(json $T/spsa.json 'int(100 * (j[\"accuracy_after\"] - j[\"accuracy_before\"]) >= 2)') = 1 ]" \
	"spsa improves by at least 2 points"
check "[ \$(json $T/progressive.json 'int(100 * (j[\"accuracy_after\"] - j[\"accuracy_before\"]) >= 1.5)') = 1 ]" \
	"progressive improves by at least 1.5 points"
check "[ \$(json $T/pat.json 'int(j[\"accuracy_after\"] > j[\"accuracy_before\"] and j[\"train_forwards\"] == 15000 - 15000 % 64)') = 1 ]" \
	"pat used the default budget: 3 epochs of 5,000 vectors (whole batches)"
check "[ \$(json $T/spsa.json 'j[\"train_forwards\"]') -le 15000 ]" \
	"spsa stayed within the same budget of forward passes"
check "[ \$(json $T/pat.json 'j[\"pulses\"] == 2 * j[\"cells_written\"]') = True ]" \
	"pulses are two per cell written"

# ---- the report ----
expect 0 "pat with --report and --csv" "${H[@]}" --model "$T/m.st" --image "$T/i.st" \
	--budget 3200 --eval-count 500 --report "$T/run.html" --csv "$T/run.csv" -q
if "$PY" - "$T/run.html" "$T/run.csv" <<'PY'; then ok "report: well-formed XML, five inline SVG plots, no external assets; CSV of 50 steps"; else bad "report"; fi
import csv, re, sys, xml.etree.ElementTree as E
t = E.parse(sys.argv[1])
ns = "{http://www.w3.org/2000/svg}"
ids = {s.get("id") for s in t.iter(ns + "svg")}
want = {"plot-accuracy", "plot-loss", "plot-cells", "plot-histogram", "plot-classes"}
assert want <= ids, ids
for s in t.iter(ns + "svg"):
    assert s.find(ns + "title") is not None
    n = lambda tag: len(list(s.iter(ns + tag)))
    # data marks: lines and markers, or bars (the per-class plot: two per class)
    assert n("polyline") + n("path") + n("circle") >= 1 or n("rect") >= 20, s.get("id")
    assert "no data" not in "".join(s.itertext()), s.get("id")
text = open(sys.argv[1]).read()
urls = set(re.findall(r"https?://[^\"' <]+", text))
assert urls <= {"http://www.w3.org/1999/xhtml", "http://www.w3.org/2000/svg"}, urls
assert "<script" not in text and "<link" not in text
rows = list(csv.DictReader(open(sys.argv[2])))
steps = [r for r in rows if r["epoch"]]
assert len(steps) == 50, len(steps)
assert rows[0]["step"] == "0" and rows[0]["heldout_board_acc"]
PY

# ---- kill and resume: the same end as an uninterrupted run ----
# The run: pat, 3 epochs of 5,000 (234 steps), evaluations at the epoch ends; A runs through,
# B is killed with SIGKILL at random moments and resumed until it finishes.
RUN=(hil --model "$T/m.st" --image "$T/i.st" "${DATA[@]}" --eval-count 1000 --seed 5)
dump() { # dump PORT FILE: every tile's conductances
	: >"$2"
	for t in 0 1 2 3 4 5 6 7; do
		"$XPNN" read --port "$1" --tile $t --row 0 --col 0 --rows 128 --cols 64 \
			--format bin -q >>"$2" || return 1
	done
}
tensors() { # tensors FILE OUT: the tensors of a safetensors file, metadata left out
	"$PY" - "$1" "$2" <<'PY'
import json, struct, sys
b = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", b[:8])[0]
h = json.loads(b[8:8 + n]); h.pop("__metadata__", None)
with open(sys.argv[2], "wb") as f:
    for k in sorted(h):
        s, e = h[k]["data_offsets"]
        f.write(k.encode() + json.dumps(h[k]["shape"]).encode() + b[8 + n + s:8 + n + e])
PY
}
nosec() { cut -d, -f1-3,5- "$1"; } # the CSV without its seconds column

serve A 3
PA=$PORT
expect 0 "A: uninterrupted run" "$XPNN" --port "$PA" "${RUN[@]}" --checkpoint "$T/a.ck" \
	-o "$T/a.model" --save-image "$T/a.image" --csv "$T/a.csv" --json
cp "$T/out" "$T/a.json"
dump "$PA" "$T/a.g" && ok "A: conductances read back"

# B checkpoints after every step (an fsync each: slower, the same result), so that most
# kills land mid-run and every attempt makes progress
serve B 3
PB=$PORT
kills=0 stops=0 done=0
for i in $(seq 60); do
	if [ "$i" = 60 ]; then
		"$XPNN" --port "$PB" "${RUN[@]}" --checkpoint "$T/b.ck" --resume \
			--checkpoint-every 1 -o "$T/b.model" --save-image "$T/b.image" \
			--csv "$T/b.csv" --json >"$T/b.json" 2>"$T/b.err"
		rc=$?
	elif [ "$i" -gt 2 ] && [ $((RANDOM % 4)) = 0 ]; then
		# a graceful stop after a random number of steps (the checkpoint is written)
		timeout -s KILL 60 "$XPNN" --port "$PB" "${RUN[@]}" --checkpoint "$T/b.ck" \
			--resume --checkpoint-every 1 --max-steps $((1 + RANDOM % 60)) \
			-o "$T/b.model" \
			--save-image "$T/b.image" --csv "$T/b.csv" --json >"$T/b.json" 2>"$T/b.err"
		rc=$?
		[ $rc = 130 ] && stops=$((stops + 1))
	else
		# SIGKILL at a random moment: between frames, inside a checkpoint write, anywhere
		# (the first two attempts within 0.5 s: well inside a run of more than a second)
		ms=$((50 + RANDOM % ($i > 2 ? 700 : 450)))
		timeout -s KILL "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))" "$XPNN" \
			--port "$PB" "${RUN[@]}" --checkpoint "$T/b.ck" --resume \
			--checkpoint-every 1 -o "$T/b.model" \
			--save-image "$T/b.image" --csv "$T/b.csv" --json >"$T/b.json" 2>"$T/b.err"
		rc=$?
		[ $rc = 137 ] && kills=$((kills + 1))
	fi
	if [ $rc = 0 ]; then
		done=1
		break
	fi
	if [ $rc != 130 ] && [ $rc != 137 ]; then
		bad "B: attempt $i exit $rc"
		show "$T/b.err"
		break
	fi
done
check "[ $done = 1 ]" "B: finished after $kills kills and $stops stops ($i attempts)"
check "[ $kills -ge 2 ] && [ \$(json $T/b.json 'j[\"resumed_at\"]') -gt 0 ]" \
	"B: was killed at least twice and its last process resumed mid-run"
dump "$PB" "$T/b.g" && ok "B: conductances read back"
same "$T/a.g" "$T/b.g" "B's board conductances equal A's, byte for byte (8 tiles)"
tensors "$T/a.model" "$T/a.mt"
tensors "$T/b.model" "$T/b.mt"
same "$T/a.mt" "$T/b.mt" "B's shadow weights equal A's, bit for bit"
tensors "$T/a.image" "$T/a.it"
tensors "$T/b.image" "$T/b.it"
same "$T/a.it" "$T/b.it" "B's final codes equal A's"
nosec "$T/a.csv" >"$T/a.c"
nosec "$T/b.csv" >"$T/b.c"
same "$T/a.c" "$T/b.c" "B's history (every step's board and twin loss, cells written, evaluations) equals A's"

# ---- a board that loses power mid-run ----
serve C 3
PC=$PORT
CPID=$SERVER_PID
# checkpoint every step: the run is slower (an fsync per step) and its result the same
"$XPNN" --port "$PC" "${RUN[@]}" --checkpoint "$T/c.ck" --checkpoint-every 1 -o "$T/c.model" \
	--csv "$T/c.csv" --json >"$T/c.json" 2>"$T/c.err" &
HPID=$!
for i in $(seq 400); do
	[ -s "$T/c.ck" ] && break
	sleep 0.01
done
# power loss 1, then (once the host has recovered from it) power loss 2
for k in 1 2; do
	sleep 0.2
	kill -USR1 "$CPID"
	for i in $(seq 500); do
		[ "$(grep -c "boot id changed" "$T/c.err")" -ge $k ] && break
		kill -0 $HPID 2>/dev/null || break
		sleep 0.01
	done
done
wait $HPID
rc=$?
check "[ $rc = 0 ]" "C: the run with two power losses finished (exit $rc)"
restores=$(json "$T/c.json" "j['restores']" 2>/dev/null || echo 0)
check "[ $restores = 2 ]" "C: the host saw both boot id changes and reprogrammed the board twice ($restores restores)"
if grep -q "boot id changed" "$T/c.err"; then ok "C: … and said so"; else bad "C: no message"; show "$T/c.err"; fi
n=$(grep -c "power cycle (SIGUSR1)" "$T/C.log")
check "[ $n = 2 ]" "C: the served board logged both power cycles ($n)"
# … and with -q, nothing at all
start_server Q "$XPNN" serve --port model:seed=3 --listen 127.0.0.1:0 -q
kill -USR1 "$SERVER_PID"
sleep 0.1
"$XPNN" info --port "$PORT" >/dev/null 2>&1
check "[ ! -s $T/Q.log ]" "serve -q: the power cycle is not logged either"
dump "$PC" "$T/c.g" && ok "C: conductances read back"
same "$T/a.g" "$T/c.g" "C's board conductances equal A's after the power losses"
tensors "$T/c.model" "$T/c.mt"
same "$T/a.mt" "$T/c.mt" "C's shadow weights equal A's"
nosec "$T/c.csv" >"$T/c.c"
same "$T/a.c" "$T/c.c" "C's history equals A's"

# ---- SIGINT, then a RESET command from another host, then --resume: identical too ----
serve F 3
PF=$PORT
"$XPNN" --port "$PF" "${RUN[@]}" --checkpoint "$T/f.ck" --checkpoint-every 1 \
	>"$T/f.out" 2>"$T/f.err" &
HPID=$!
for i in $(seq 400); do
	[ -s "$T/f.ck" ] && break
	sleep 0.01
done
sleep 0.2
kill -INT $HPID
wait $HPID
rc=$?
check "[ $rc = 130 ]" "F: SIGINT mid-run exits 130 (exit $rc)"
if grep -q "checkpoint written; continue with --resume" "$T/f.err"; then ok "F: … checkpoint written"; else bad "F: no checkpoint message"; show "$T/f.err"; fi
expect 0 "F: a RESET from another host while the run is stopped" "$XPNN" --port "$PF" reset
expect 0 "F: --resume after the RESET" "$XPNN" --port "$PF" "${RUN[@]}" --checkpoint "$T/f.ck" \
	--resume -o "$T/f.model" --json
check "[ \$(json $T/out 'j[\"resumed_at\"]') -gt 0 ]" "F: it resumed mid-run"
dump "$PF" "$T/f.g"
same "$T/a.g" "$T/f.g" "F's board conductances equal A's"
tensors "$T/f.model" "$T/f.mt"
same "$T/a.mt" "$T/f.mt" "F's shadow weights equal A's"

# ---- spsa: stopped and resumed equals uninterrupted (its restore replays three writes per
# step under one seed) ----
SP=(hil --method spsa --model "$T/m.st" --image "$T/i.st" "${DATA[@]}" --eval-count 500
	--budget 6400 --seed 9)
serve S1 4
expect 0 "spsa: uninterrupted" "$XPNN" --port "$PORT" "${SP[@]}" -o "$T/s1.model" -q
dump "$PORT" "$T/s1.g"
serve S2 4
expect 130 "spsa: stopped after 17 of 50 steps" "$XPNN" --port "$PORT" "${SP[@]}" \
	--checkpoint "$T/s2.ck" --max-steps 17 -q
expect 0 "spsa: resumed" "$XPNN" --port "$PORT" "${SP[@]}" --checkpoint "$T/s2.ck" --resume \
	-o "$T/s2.model" -q
dump "$PORT" "$T/s2.g"
same "$T/s1.g" "$T/s2.g" "spsa: resumed board conductances equal the uninterrupted run's"
tensors "$T/s1.model" "$T/s1.mt"
tensors "$T/s2.model" "$T/s2.mt"
same "$T/s1.mt" "$T/s2.mt" "spsa: resumed shadow weights equal the uninterrupted run's"

# ---- --verify reads back and changes nothing ----
V=("${H[@]}" --model "$T/m.st" --image "$T/i.st" --budget 1280 --eval-count 200)
expect 0 "pat with --verify" "${V[@]}" --verify -o "$T/v1.model" --json
check "[ \$(json $T/out 'int(j[\"verified\"] > 0 and 0 < j[\"out_of_tolerance\"] < j[\"verified\"])') = 1 ]" \
	"--verify: devices read back, the stuck ones out of tolerance ($(json "$T/out" "j['out_of_tolerance']") of $(json "$T/out" "j['verified']"))"
expect 0 "the same without --verify" "${V[@]}" -o "$T/v2.model" -q
tensors "$T/v1.model" "$T/v1.mt"
tensors "$T/v2.model" "$T/v2.mt"
same "$T/v1.mt" "$T/v2.mt" "--verify changes nothing in the run"

# ---- the identity check bites: a restore that skips the pulses between live cells ----
MUT="$(dirname "$XPNN")/xpnn-hil-mutant"
if [ -x "$MUT" ]; then
	serve D 3
	PD=$PORT
	"$MUT" --port "$PD" "${RUN[@]}" --checkpoint "$T/d.ck" --max-steps 100 -q >/dev/null 2>&1
	expect 0 "mutant: resumed after 100 steps" "$MUT" --port "$PD" "${RUN[@]}" \
		--checkpoint "$T/d.ck" --resume -o "$T/d.model" -q
	dump "$PD" "$T/d.g"
	if cmp -s "$T/a.g" "$T/d.g"; then
		bad "the mutant restore went unnoticed: conductances equal A's"
	else
		ok "the mutant restore is caught: conductances differ from A's"
	fi
else
	bad "$MUT not built (make $BUILD/xpnn-hil-mutant): the mutation check did not run"
fi

# ---- checkpoints of another run, and corrupt ones, are refused ----
expect 2 "resume with another seed" "$XPNN" --port "$PC" hil --model "$T/m.st" --image "$T/i.st" \
	"${DATA[@]}" --eval-count 1000 --seed 6 --checkpoint "$T/a.ck" --resume
has err "seed was 5 there, 6 here" "… names the option that differs"
head -c 5000 "$T/a.ck" >"$T/bad.ck"
expect 2 "resume from a truncated checkpoint" "$XPNN" --port "$PC" "${RUN[@]}" \
	--checkpoint "$T/bad.ck" --resume
has err "bad.ck" "… names the file"
cp "$T/a.ck" "$T/a2.ck"
expect 0 "resume a finished run: nothing left to do" "$XPNN" --port "$PC" "${RUN[@]}" \
	--checkpoint "$T/a2.ck" --resume --json
check "[ \$(json $T/out 'j[\"resumed_at\"]') = 234 ]" "… it resumed at the last step (234)"

echo "test_hil: $PASS passed, $FAIL failed ($((SECONDS - start)) s)"
[ "$FAIL" = 0 ]
