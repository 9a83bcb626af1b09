#!/usr/bin/env bash
# tests/test_cli_nn.sh — end-to-end tests of xpnn train, compile, load and eval (docs/cli.md,
# docs/training.md): usage errors and exit codes, corrupt and mismatched files, determinism,
# an interrupted training run, and the same results on an in-process and a served board.
#
#   bash tests/test_cli_nn.sh BUILD_DIR      (BUILD_DIR holds xpnn)
set -u

BUILD=${1:?usage: bash tests/test_cli_nn.sh BUILD_DIR}
XPNN=$(cd "$BUILD" 2>/dev/null && pwd)/xpnn
SRC=$(cd "$(dirname "$0")/.." && pwd)
FM=${XPNN_FASHION_DIR:-/usr/share/datasets/fashion-mnist}
PY=${PYTHON:-python3}

if [ ! -x "$XPNN" ]; then
	echo "test_cli_nn: $BUILD/xpnn not found; HINT: make DEPS=0 $BUILD/xpnn" >&2
	exit 2
fi
if [ ! -r "$FM/t10k-images-idx3-ubyte.gz" ]; then
	echo "test_cli_nn: $FM has no Fashion-MNIST; HINT: bash scripts/deps.sh" >&2
	exit 2
fi
unset XPNN_PORT
. "$SRC/tests/cli_lib.sh"


start=$SECONDS
echo "test_cli_nn: $XPNN"

# ---- a small synthetic data set: 8x8 images, 4 classes (a bright quadrant each) ----
"$PY" - "$T" <<'PY'
import gzip, random, struct, sys
d = sys.argv[1]
def write(name, n, seed):
    r = random.Random(seed)
    imgs, labs = bytearray(), bytearray()
    for i in range(n):
        c = r.randrange(4)
        for y in range(8):
            for x in range(8):
                q = (y >= 4) * 2 + (x >= 4)
                imgs.append(min(255, (200 if q == c else 20) + r.randrange(40)))
        labs.append(c)
    with gzip.open(f"{d}/{name}-images.gz", "wb") as f:
        f.write(struct.pack(">IIII", 0x803, n, 8, 8) + imgs)
    with gzip.open(f"{d}/{name}-labels.gz", "wb") as f:
        f.write(struct.pack(">II", 0x801, n) + labs)
    with open(f"{d}/{name}-images.raw", "wb") as f:     # plain (not gzip'd) copy
        f.write(struct.pack(">IIII", 0x803, n, 8, 8) + imgs)
write("syn", 512, 1)
write("syntest", 128, 2)
PY
S="--train-images $T/syn-images.gz --train-labels $T/syn-labels.gz"
ST="--test-images $T/syntest-images.gz --test-labels $T/syntest-labels.gz"
L="--layers 64,16,4 --rows 16"

# ---- help ----
declare -A OPTS=(
	[train]="--output --data --train-images --test-images --layers --epochs --batch --opt --lr --quant --hw-aware --seed --json"
	[compile]="--output --target --rows --cols --tiles --calib --percentile --json"
	[load]="--verify --tolerance --max-bad --reset --seed --json"
	[eval]="--load --twin --data --images --labels --split --count --json"
)
for sub in train compile load eval; do
	expect 0 "xpnn $sub --help" "$XPNN" "$sub" --help || continue
	missing=
	for o in ${OPTS[$sub]}; do grep -q -- "$o" "$T/out" || missing="$missing $o"; done
	if [ -z "$missing" ]; then ok "xpnn $sub --help mentions its options"
	else bad "xpnn $sub --help does not mention:$missing"; fi
done
expect 0 "xpnn --help" "$XPNN" --help
has out "train .*compile|compile" "--help lists train and compile"

# ---- train: usage errors change nothing ----
expect 2 "train without -o" "$XPNN" train $S $L
has err "-o MODEL is required" "names the missing option"
expect 2 "train --epochs 0" "$XPNN" train -o "$T/m.st" --epochs 0 $S $L
has err "--epochs 0: legal range 1 … 100000" "names the range"
expect 2 "train --layers 64,,4" "$XPNN" train -o "$T/m.st" --layers 64,,4 $S
expect 2 "train --layers 64,5000" "$XPNN" train -o "$T/m.st" --layers 64,5000 $S
has err "width '5000': legal range 1 … 4096" "names the width"
expect 2 "train --lr abc" "$XPNN" train -o "$T/m.st" --lr abc $S $L
has err "--lr 'abc': not a number" "names the value"
expect 2 "train --opt rmsprop" "$XPNN" train -o "$T/m.st" --opt rmsprop $S $L
has err "must be one of sgd, adam" "lists the optimisers"
expect 2 "train: images without labels" "$XPNN" train -o "$T/m.st" \
	--train-images "$T/syn-images.gz" $L
expect 2 "train: inputs do not match the images" "$XPNN" train -o "$T/m.st" $S --layers 784,10
has err "8x8 = 64 features, but the network takes 784 inputs" "says why"
has err "HINT: --layers" "with a hint"
expect 5 "train: a missing file" "$XPNN" train -o "$T/m.st" \
	--train-images "$T/nope.gz" --train-labels "$T/syn-labels.gz" $L
has err "$T/nope.gz: cannot open" "names the file"
head -c 500 "$T/syn-images.raw" >"$T/trunc.raw"
expect 5 "train: a truncated IDX file" "$XPNN" train -o "$T/m.st" \
	--train-images "$T/trunc.raw" --train-labels "$T/syn-labels.gz" $L
has err "trunc.raw: truncated" "says truncated"
expect 5 "train: images and labels of different counts" "$XPNN" train -o "$T/m.st" \
	--train-images "$T/syn-images.gz" --train-labels "$T/syntest-labels.gz" $L
has err "counts differ|differ" "says the counts differ"
check "[ ! -e $T/m.st ]" "no model file after the errors"

# ---- train: runs, determinism ----
expect 0 "train on the synthetic set" "$XPNN" train -o "$T/a.st" $S $ST $L --epochs 5 --lr 0.01 --json
cp "$T/out" "$T/train.json"
check "[ \"\$(json $T/train.json 'j[\"epochs\"]')\" = 5 ]" "--json: 5 epochs"
check "[ \"\$(json $T/train.json 'j[\"test_accuracy\"] > 0.95')\" = True ]" \
	"the synthetic set is learnt (test accuracy > 95 %)"
has err "epoch 5/5: loss" "one plain progress line per epoch (stderr is not a terminal)"
expect 0 "train again, same seed" "$XPNN" -q train -o "$T/b.st" $S $ST $L --epochs 5 --lr 0.01
same "$T/a.st" "$T/b.st" "the same seed gives a byte-identical model file"
expect 0 "train, another seed" "$XPNN" -q train -o "$T/c.st" $S $ST $L --epochs 5 --lr 0.01 --seed 2
if cmp -s "$T/a.st" "$T/c.st"; then bad "another seed gives the same model"
else ok "another seed gives another model"; fi
expect 0 "train --quant --hw-aware --opt sgd" "$XPNN" -q train -o "$T/q.st" $S $ST $L \
	--epochs 3 --quant --hw-aware --opt sgd --lr 0.05
expect 0 "the model file parses with the standard-library Python reader" \
	"$PY" "$SRC/tests/indep/safetensors_std.py" --check "$T/a.st"
has out '"layers.0.weight"' "it lists the weights"

# ---- a model written by Python (as a PyTorch user would, docs/formats.md) ----
"$PY" - "$T" "$SRC/tests/indep" <<'PY'
import array, json, sys
sys.path.insert(0, sys.argv[2])
import safetensors_std as st
d = sys.argv[1]
# class c lights quadrant c: weight +1 on its pixels, -1 elsewhere
w1 = array.array("f", [(1.0 if ((i // 8 >= 4) * 2 + (i % 8 >= 4)) == o else -1.0) / 32
                       for o in range(4) for i in range(64)])
w2 = array.array("f", [1.0 if i == o else 0.0 for o in range(4) for i in range(4)])
meta = {"version": 1, "layers": [64, 4, 4], "activation": "relu_clip", "input": "pixel/255",
        "rows": 16, "dac_bits": 8, "code_bits": 4, "adc_bits": 8, "act_clip": [4.0],
        "adc_clip": [0.0, 0.0]}
st.save(f"{d}/py.st", {"layers.0.weight": ("F32", [4, 64], w1),
                       "layers.0.bias": ("F32", [4], array.array("f", [0.0] * 4)),
                       "layers.1.weight": ("F32", [4, 4], w2),
                       "layers.1.bias": ("F32", [4], array.array("f", [0.0] * 4))},
        {"format": "xpnn-model", "xpnn": json.dumps(meta)})
PY
expect 0 "eval --twin of a Python-written model" "$XPNN" eval --twin "$T/py.st" \
	--images "$T/syntest-images.gz" --labels "$T/syntest-labels.gz" --json
check "[ \"\$(json $T/out 'j[\"accuracy\"]')\" = 1.0 ]" "the hand-made model is 100 % right"
expect 0 "compile a Python-written model" "$XPNN" -q compile "$T/py.st" -o "$T/py.img" \
	--images "$T/syn-images.gz" --labels "$T/syn-labels.gz" --rows 16 --cols 8 --tiles 16

# ---- compile ----
I="--images $T/syn-images.gz --labels $T/syn-labels.gz"
G="--rows 16 --cols 8 --tiles 16"
expect 2 "compile without -o" "$XPNN" compile "$T/a.st" $I $G
expect 5 "compile a missing model" "$XPNN" compile "$T/none.st" -o "$T/i.img" $I $G
has err "none.st" "names the file"
head -c 300 "$T/a.st" >"$T/trunc.st"
expect 5 "compile a truncated model" "$XPNN" compile "$T/trunc.st" -o "$T/i.img" $I $G
has err "trunc.st" "names the file"
expect 2 "compile for too few tiles" "$XPNN" compile "$T/a.st" -o "$T/i.img" $I \
	--rows 16 --cols 8 --tiles 11
has err "layer 1 \(17 rows x 4 columns\) needs 2 x 1 = 2 tiles of 16 x 8; layers 0 … 1 need 12 tiles, the target has 11" \
	"names the layer and the limit"
expect 2 "compile --target and --rows" "$XPNN" compile "$T/a.st" -o "$T/i.img" $I \
	--target model --rows 16
expect 2 "compile --percentile 20" "$XPNN" compile "$T/a.st" -o "$T/i.img" $I $G --percentile 20
check "[ ! -e $T/i.img ]" "no image after the errors"
expect 0 "compile" "$XPNN" compile "$T/a.st" -o "$T/i.img" $I $G --json
has err "layer 0: 64\+1 rows x 16 columns on tiles 0 … 9 \(5 x 2\)" "prints the tiling"
check "[ \"\$(json $T/out 'len(j[\"layers\"])')\" = 2 ]" "--json lists 2 layers"
expect 5 "compile an image instead of a model" "$XPNN" compile "$T/i.img" -o "$T/j.img" $I $G
has err "this is a board image" "says what the file is"
expect 0 "compile for the geometry of a board (--target)" "$XPNN" -q compile "$T/a.st" \
	-o "$T/t.img" $I --target "model:rows=16,cols=8,tiles=16"
same "$T/i.img" "$T/t.img" "--target gives the same image as the options"

# ---- load ----
expect 5 "load a model instead of an image" "$XPNN" load --port model "$T/a.st"
has err "compile it first" "says to compile"
expect 2 "load onto a board of another geometry" "$XPNN" load --port model "$T/i.img"
has err "tiles of 16 x 8, the board \(INFO\) has 128 x 64" "names both geometries"
expect 2 "load onto a board with fewer tiles" "$XPNN" load \
	--port "model:rows=16,cols=8,tiles=8" "$T/i.img"
has err "uses tile 8, but the board \(INFO\) has 8 tiles" "names the tile and the limit"
expect 0 "load --verify onto an ideal board" "$XPNN" load --verify --tolerance 0 --json \
	--port "model:rows=16,cols=8,tiles=16,ideal" "$T/i.img"
check "[ \"\$(json $T/out 'j[\"out_of_tolerance\"]')\" = 0 ]" "every device at nominal"
check "[ \"\$(json $T/out 'j[\"verified\"] == 2 * j[\"cells\"]')\" = True ]" \
	"every device read back"
expect 7 "load --verify --max-bad 0 onto a non-ideal board" "$XPNN" load --verify \
	--max-bad 0 --port "model:rows=16,cols=8,tiles=16" "$T/i.img"
has err "verify failed: [0-9]+ of [0-9]+ devices" "names the count"

# ---- a smaller board: the iCE40-HX8K build's limits (docs/boards.md) ----
HX8K="model:rows=64,cols=32,tiles=2,max_request=256,max_reply=256,max_batch=4,max_width=128"
expect 0 "INFO of a board with the HX8K build's capacity" "$XPNN" info --json --port "$HX8K"
check "[ \"\$(json $T/out '(j[\"rows\"], j[\"cols\"], j[\"tiles\"], j[\"max_request\"], j[\"max_width\"])')\" = '(64, 32, 2, 256, 128)' ]" \
	"INFO reports its smaller capacity"
expect 2 "compile for it a network that needs 3 tiles" "$XPNN" compile "$T/a.st" -o "$T/hx.img" $I \
	--target "$HX8K"
has err "layer 1 \(17 rows x 4 columns\) needs 1 x 1 = 1 tiles of 64 x 32; layers 0 … 1 need 3 tiles, the target has 2" \
	"names the layer, the tiles needed and the board's"
check "[ ! -e $T/hx.img ]" "no image written"
expect 2 "load onto it an image compiled for another board" "$XPNN" load --port "$HX8K" "$T/i.img"
has err "tiles of 16 x 8, the board \(INFO\) has 64 x 32" "names both geometries"

# ---- a board narrower than the network (max_width, INFO): the 64 inputs of 64-16-4 on a
# board of the image's geometry whose layers are at most 32 wide ----
NARROW="model:rows=16,cols=8,tiles=16,max_width=32"
expect 2 "compile --target a board narrower than the network" "$XPNN" compile "$T/a.st" \
	-o "$T/nw.img" $I --target "$NARROW"
has err "a.st: layer 0: n_in = 64: legal range 1 … 32 \(the target's max_width" \
	"names the layer, the field, the value and the board's max_width"
check "[ ! -e $T/nw.img ]" "no image written"
expect 0 "compile --target a board exactly as wide as the network" "$XPNN" -q compile "$T/a.st" \
	-o "$T/nw.img" $I --target "model:rows=16,cols=8,tiles=16,max_width=64"
same "$T/i.img" "$T/nw.img" "the same image as for the 4096-wide board"
expect 2 "load onto a board narrower than the image" "$XPNN" load --port "$NARROW" "$T/i.img"
has err "i.img: layer 0: n_in = 64: legal range 1 … 32 \(the board's max_width, INFO\); HINT" \
	"names the layer, the field, the value and the board's max_width, with a hint"
start_server narrow "$XPNN" serve --port "$NARROW"
expect 2 "load onto a served narrow board" "$XPNN" load --port "$PORT" "$T/i.img"
has err "layer 0: n_in = 64: legal range 1 … 32 \(the board's max_width, INFO\)" \
	"refused before anything is sent, on a served board too"
expect 0 "the served board has no network" "$XPNN" status --json --port "$PORT"
check "[ \"\$(json $T/out '(j[\"network\"][\"layers\"], j[\"pulses\"])')\" = '(0, 0)' ]" "nothing configured or programmed"

# ---- eval ----
E="--images $T/syntest-images.gz --labels $T/syntest-labels.gz"
expect 2 "eval --twin with --load" "$XPNN" eval --twin "$T/a.st" --load "$T/i.img" $E
expect 5 "eval --twin of a corrupt file" "$XPNN" eval --twin "$T/trunc.st" $E
has err "neither a model .* nor an image" "tries both and says so"
expect 1 "eval on a board without a network" "$XPNN" eval \
	--port "model:rows=16,cols=8,tiles=16" $E
has err "HINT: the board has no network" "hints at load"
expect 0 "eval --twin MODEL" "$XPNN" eval --twin "$T/a.st" $E --json
cp "$T/out" "$T/ev_float.json"
expect 0 "eval --twin IMAGE" "$XPNN" eval --twin "$T/i.img" $E --json
cp "$T/out" "$T/ev_twin.json"
expect 0 "eval --load on an ideal board" "$XPNN" eval --load "$T/i.img" $E --json \
	--port "model:rows=16,cols=8,tiles=16,ideal"
cp "$T/out" "$T/ev_ideal.json"
check "[ \"\$(json $T/ev_twin.json 'j[\"confusion\"]')\" = \"\$(json $T/ev_ideal.json 'j[\"confusion\"]')\" ]" \
	"the image's twin and an ideal board agree (the whole confusion matrix)"
check "[ \"\$(json $T/ev_ideal.json 'sum(map(sum, j[\"confusion\"])) == j[\"count\"] == 128')\" = True ]" \
	"the confusion matrix counts every example"
expect 0 "eval --load, text report" "$XPNN" eval --load "$T/i.img" $E \
	--port "model:rows=16,cols=8,tiles=16"
has out "^accuracy: [0-9.]+ % \(128 examples, board" "prints the accuracy"
has out "confusion matrix" "and the confusion matrix"
sed 's/, [0-9.]* s)/)/' "$T/out" >"$T/ev_inproc.txt"

# the same host code on a served board: load, then eval in another process
start_server nn "$XPNN" serve --port "model:rows=16,cols=8,tiles=16"
P=$PORT
expect 0 "load onto a served board" "$XPNN" load --port "$P" "$T/i.img"
expect 0 "eval on the served board" "$XPNN" eval --port "$P" $E
sed 's/, [0-9.]* s)/)/' "$T/out" >"$T/ev_served.txt"
same "$T/ev_inproc.txt" "$T/ev_served.txt" \
	"served board (load, then eval) and in-process board (eval --load): the same report"
expect 0 "eval --count 10" "$XPNN" eval --port "$P" $E --count 10
has out "\(10 examples" "evaluates 10"

# ---- Fashion-MNIST: an interrupted run keeps the last finished epoch ----
"$XPNN" train -o "$T/int.st" --epochs 400 --data "$FM" >"$T/int.out" 2>"$T/int.err" &
tp=$!
for _ in $(seq 600); do [ -s "$T/int.st" ] && break; sleep 0.05; done
kill -INT $tp
wait $tp
rc=$?
check "[ $rc = 130 ]" "SIGINT stops training with exit 130 (got $rc)"
grep -q "the model of the last finished epoch is in" "$T/int.err" &&
	ok "it says where the model is" || { bad "no message about the model"; show "$T/int.err"; }
expect 0 "the interrupted run's model evaluates" "$XPNN" eval --twin "$T/int.st" --count 1000
check "[ -z \"\$(ls $T | grep '\.tmp\.')\" ]" "no temporary files left"

echo "test_cli_nn: $PASS passed, $FAIL failed ($((SECONDS - start)) s)"
[ "$FAIL" = 0 ]
