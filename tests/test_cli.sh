#!/usr/bin/env bash
# tests/test_cli.sh — end-to-end tests of the xpnn command-line tool (docs/cli.md).
#
#   bash tests/test_cli.sh BUILD_DIR      (BUILD_DIR holds xpnn)
#
# Checks help texts, usage errors and exit codes, then drives boards served by `xpnn serve` on
# loopback TCP ports: configure, write, read back, run Fashion-MNIST images, and compares two
# fresh boards given the same commands. Prints one line per check; exits non-zero if any fails.
set -u

BUILD=${1:?usage: bash tests/test_cli.sh BUILD_DIR}
XPNN=$(cd "$BUILD" 2>/dev/null && pwd)/xpnn
IDX=${XPNN_TEST_IDX:-/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz}
NIMG=5 # images per run: several, but one frame

if [ ! -x "$XPNN" ]; then
	echo "test_cli: $BUILD/xpnn not found; HINT: make DEPS=0 $BUILD/xpnn" >&2
	exit 2
fi
if [ ! -r "$IDX" ]; then
	echo "test_cli: $IDX not found; HINT: apt-get install dataset-fashion-mnist" \
		"(or set XPNN_TEST_IDX)" >&2
	exit 2
fi
unset XPNN_PORT

. "$(dirname "$0")/cli_lib.sh"

start=$SECONDS
echo "test_cli: $XPNN"

# ---- help ----
expect 0 "xpnn --help" "$XPNN" --help
has out "Exit codes" "--help lists the exit codes"
has out "tcp://" "--help shows the port syntax"
has out "configure" "--help lists the subcommands"
expect 0 "xpnn --version" "$XPNN" --version
has out "^xpnn [0-9]+\.[0-9]+" "--version prints the version"
expect 0 "xpnn help port" "$XPNN" help port
has out "model" "help port names the model scheme"

declare -A OPTS=(
	[info]="--json --port --timeout --retries --verbose --quiet"
	[status]="--json --port"
	[reset]="--port"
	[seed]="N --port"
	[configure]="--reference --port"
	[write]="--tile --row --col --rows --cols --format"
	[read]="--tile --row --col --rows --cols --format --output"
	[run]="--input --format --first --count --all-layers --seed --output --out-format"
	[serve]="--listen --port-file --once"
)
for sub in info status reset seed configure write read run serve; do
	expect 0 "xpnn $sub --help" "$XPNN" "$sub" --help || continue
	missing=
	for o in ${OPTS[$sub]}; do
		grep -q -- "$o" "$T/out" || missing="$missing $o"
	done
	if [ -z "$missing" ]; then ok "xpnn $sub --help mentions ${OPTS[$sub]}"
	else bad "xpnn $sub --help does not mention:$missing"; fi
	cp "$T/out" "$T/help1"
	expect 0 "xpnn help $sub" "$XPNN" help "$sub" && same "$T/help1" "$T/out" \
		"xpnn help $sub = xpnn $sub --help"
done

# ---- usage errors: exit 2, the message names the option and the legal range ----
expect 2 "no subcommand" "$XPNN"
expect 2 "unknown subcommand" "$XPNN" frobnicate
has err "frobnicate" "the message names the subcommand"
expect 2 "unknown option" "$XPNN" info --bogus
has err "\-\-bogus" "the message names the option"
expect 2 "seed junk" "$XPNN" seed 12abc
has err "12abc.*0 … 18446744073709551615" "the message names the value and the range"
expect 2 "seed overflow" "$XPNN" seed 18446744073709551616
expect 2 "seed negative" "$XPNN" seed -1
expect 2 "--timeout 0" "$XPNN" info --timeout 0
has err "\-\-timeout 0: legal range 1 … 600000" "the message names --timeout and its range"
expect 2 "--retries x" "$XPNN" info --retries x
expect 2 "--rows 0" "$XPNN" read --tile 0 --row 0 --col 0 --rows 0 --cols 1
has err "\-\-rows 0: legal range 1" "the message names --rows and its range"
expect 2 "write without --tile" "$XPNN" write --row 0 --col 0 --rows 1 --cols 1 /dev/null
has err "\-\-tile" "the message names the missing option"
expect 2 "run without --input" "$XPNN" run
expect 2 "run --format bogus" "$XPNN" run --input x --format bogus
has err "text, bin, idx" "the message lists the formats"
expect 2 "configure with file and --reference" "$XPNN" configure --reference x.json
expect 2 "serve a tcp port" "$XPNN" serve --port tcp://127.0.0.1:9
has err "model" "the message says only model ports are served"

# ---- ports ----
expect 3 "unknown scheme" "$XPNN" info --port foo:bar
has err "model" "the message names the model scheme"
has err "tcp" "the message names the tcp scheme"
expect 0 "info --port model" "$XPNN" info --port model
has out "^protocol_version: +1$" "info prints aligned key: value lines"
has out "^tiles: +[0-9]+$" "info prints the tile count"
expect 0 "info --json" "$XPNN" info --port model --json
if python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["protocol_version"] == 1' \
	<"$T/out" 2>"$T/err"; then ok "info --json parses"; else bad "info --json"; show "$T/err"; fi
expect 0 "status --json" "$XPNN" status --port model --json
if python3 -c 'import json,sys; d=json.load(sys.stdin); assert "ERR_CRC" in d["nacks"]' \
	<"$T/out" 2>"$T/err"; then ok "status --json parses"; else bad "status --json"; show "$T/err"; fi

# ---- a served board ----
serve a 5
A=$PORT
expect 0 "configure --reference" "$XPNN" configure --reference --port "$A"
has out "784-64-10" "configure prints the shape"

# codes for a 3 x 4 rectangle: (k+, k-) per cell, with a comment and commas
NR=3
NC=4
cat >"$T/codes.txt" <<'EOF'
# k+ k- per cell, row-major
15 0  14 1  13 2  12 3
0,15, 1,14, 2,13, 3,12   # commas work too
8 8  7 9  9 7  0 0
EOF
expect 0 "write a rectangle from text" "$XPNN" write --port "$A" --tile 0 --row 2 --col 5 \
	--rows $NR --cols $NC "$T/codes.txt"
has out "devices changed" "write prints the devices changed"
expect 0 "read it back" "$XPNN" read --port "$A" --tile 0 --row 2 --col 5 --rows $NR --cols $NC
if awk -v nr=$NR -v nc=$NC 'NF != 2 * nc { exit 1 } { for (i = 1; i <= NF; i++)
	if ($i !~ /^[0-9]+$/ || $i > 255) exit 1 } END { exit NR != nr }' "$T/out"; then
	ok "read prints $NR lines of $((2 * NC)) conductances 0 … 255"
else
	bad "read shape"
	show "$T/out"
fi
cp "$T/out" "$T/read.txt"
expect 0 "read -o FILE" "$XPNN" read --port "$A" --tile 0 --row 2 --col 5 --rows $NR --cols $NC \
	-o "$T/read2.txt"
same "$T/read.txt" "$T/read2.txt" "read -o writes what stdout shows"
if [ ! -e "$T/read2.txt.tmp" ]; then ok "no FILE.tmp left"; else bad "FILE.tmp left behind"; fi
expect 0 "read --format bin" "$XPNN" read --port "$A" --tile 0 --row 2 --col 5 --rows $NR \
	--cols $NC --format bin -o "$T/read.bin"
if [ "$(wc -c <"$T/read.bin")" -eq $((NR * NC * 2)) ]; then ok "read --format bin size"
else bad "read --format bin: $(wc -c <"$T/read.bin") bytes, want $((NR * NC * 2))"; fi
# read prints 8-bit conductances, write takes codes: the same layout, other values
awk '{ for (i = 1; i <= NF; i++) $i = int($i / 16) } 1' "$T/read.txt" >"$T/layout.txt"
expect 0 "write parses the layout read prints" "$XPNN" write --port "$A" --tile 1 --row 0 \
	--col 0 --rows $NR --cols $NC "$T/layout.txt"
expect 5 "write refuses conductances as codes" "$XPNN" write --port "$A" --tile 1 --row 0 \
	--col 0 --rows $NR --cols $NC "$T/read.txt"
has err "read.txt:[0-9]+: k[+-] of cell \(row [0-9]+, col [0-9]+\) = [0-9]+: legal range 0 … 15" \
	"the message names the line, the cell and the code range"

# write --list: scattered cells in file order; only they change; a bad code names the line
printf '# row col k+ k-\n3 4 15 0\n7 1, 0 15\n3 4 2 2  # the first cell again\n' >"$T/list.txt"
expect 0 "write --list" "$XPNN" write --port "$A" --tile 2 --list "$T/list.txt"
has out "tile 2, 3 listed cells: [0-9]+ of 6 devices changed" "write --list reports the cells"
expect 0 "status after write --list" "$XPNN" status --port "$A" --json
if python3 -c 'import json,sys; d = json.load(sys.stdin); sys.exit(d["tile_pulses"][2] != 6)' \
	<"$T/out"; then ok "write --list: 6 pulses on tile 2"; else bad "write --list pulses"; show "$T/out"; fi
printf '3 4 16 0\n' >"$T/list2.txt"
expect 5 "write --list refuses a code out of range" "$XPNN" write --port "$A" --tile 2 \
	--list "$T/list2.txt"
has err "list2.txt:1: k\+ '16': legal range 0 … 15" "the message names the line and the range"
expect 2 "write --list with --rows" "$XPNN" write --port "$A" --tile 2 --rows 1 --list "$T/list.txt"

expect 0 "run $NIMG images --seed 7" "$XPNN" run --port "$A" --input "$IDX" --format idx \
	--count $NIMG --seed 7
cp "$T/out" "$T/run1.txt"
if awk -v n=$NIMG 'NF != 10 { exit 1 } END { exit NR != n }' "$T/run1.txt"; then
	ok "run prints $NIMG lines of n_out = 10"
else
	bad "run output shape"
	show "$T/run1.txt"
fi
expect 0 "run again --seed 7" "$XPNN" run --port "$A" --input "$IDX" --format idx \
	--count $NIMG --seed 7
same "$T/run1.txt" "$T/out" "the same seed gives the same outputs"
expect 0 "run --seed 8" "$XPNN" run --port "$A" --input "$IDX" --format idx --count $NIMG --seed 8
if ! cmp -s "$T/run1.txt" "$T/out"; then ok "another seed gives other outputs (noise)"
else bad "--seed 8 gives the outputs of --seed 7"; fi
expect 0 "run --all-layers --out-format bin" "$XPNN" run --port "$A" --input "$IDX" \
	--format idx --count 2 --all-layers --out-format bin -o "$T/all.bin"
if [ "$(wc -c <"$T/all.bin")" -eq $((2 * 74 * 2)) ]; then ok "--all-layers: n_all = 74 int16"
else bad "--all-layers bin: $(wc -c <"$T/all.bin") bytes, want $((2 * 74 * 2))"; fi

# the same images as text and as raw bytes give the same outputs
python3 - "$IDX" "$T/img.txt" "$T/img.bin" $NIMG <<'EOF'
import gzip, sys
src, txt, raw, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
d = gzip.open(src).read()[16:16 + 784 * n]
open(raw, "wb").write(d)
with open(txt, "w") as f:
    for i in range(n):
        f.write(" ".join(str(b) for b in d[784 * i:784 * (i + 1)]) + "\n")
EOF
expect 0 "run --format text" "$XPNN" run --port "$A" --input "$T/img.txt" --seed 7
same "$T/run1.txt" "$T/out" "text input = idx input"
expect 0 "run --format bin from stdin" "$XPNN" run --port "$A" --input - --format bin --seed 7 \
	<"$T/img.bin"
same "$T/run1.txt" "$T/out" "raw input = idx input"

# errors on the served board
expect 2 "write --tile 99" "$XPNN" write --port "$A" --tile 99 --row 0 --col 0 --rows $NR \
	--cols $NC "$T/codes.txt"
has err "tile 99.*0 … 7" "the message names the tile and the limit"
expect 2 "write --cols beyond the tile" "$XPNN" write --port "$A" --tile 0 --row 0 --col 62 \
	--rows $NR --cols $NC "$T/codes.txt"
has err "\-\-cols 4: legal range 1 … 2" "the message names --cols and what is left"
sed 's/^15 0/16 0/' "$T/codes.txt" >"$T/code16.txt"
expect 5 "a code above code_bits" "$XPNN" write --port "$A" --tile 0 --row 0 --col 0 \
	--rows $NR --cols $NC "$T/code16.txt"
has err "code16.txt:2:.*16.*0 … 15" "the message names the file, line, value and range"
expect 5 "too few codes" "$XPNN" write --port "$A" --tile 0 --row 0 --col 0 --rows 4 \
	--cols $NC "$T/codes.txt"
has err "codes.txt: 24 values, want 32" "the message counts the values"
head -c 3000 /dev/urandom >"$T/corrupt.idx"
printf '\x12\x34' | dd of="$T/corrupt.idx" conv=notrunc status=none
expect 5 "run on a corrupt IDX file" "$XPNN" run --port "$A" --input "$T/corrupt.idx" \
	--format idx
has err "corrupt.idx" "the message names the file"
gzip -dc "$IDX" | head -c 4000 >"$T/short.idx"
expect 5 "run on a truncated IDX file" "$XPNN" run --port "$A" --input "$T/short.idx" \
	--format idx
has err "short.idx: truncated" "the message says truncated"
printf '1 2 3\n4 x 6\n' >"$T/junk.txt"
expect 5 "run on a text file with junk" "$XPNN" run --port "$A" --input "$T/junk.txt"
has err "junk.txt:2: 'x'" "the message names the file, line and token"
expect 5 "run on a missing file" "$XPNN" run --port "$A" --input "$T/nonexistent"
has err "nonexistent" "the message names the file"
expect 2 "run --first past the end" "$XPNN" run --port "$A" --input "$T/img.txt" --first 5
has err "\-\-first 5: legal range 0 … 4" "the message names --first and the range"
printf '{"layers": [{"n_in": 784, "n_out": 64, "bias": 1, "tiles": [0,1,2,3,4,5,6]},\n' \
	>"$T/net.json"
printf '  {"n_in": 64, "n_out": 10, "bias": 1, "tiles": [300]}]}\n' >>"$T/net.json"
expect 5 "configure a tile out of range" "$XPNN" configure --port "$A" "$T/net.json"
has err "net.json: layers\[1\]\.tiles\[0\] = 300: legal range 0 … 7" \
	"the message has the JSON path"
printf '{"layers": [}\n' >"$T/syntax.json"
expect 5 "configure a JSON syntax error" "$XPNN" configure --port "$A" "$T/syntax.json"
has err "syntax.json:1:[0-9]+:" "the message has the line and column"
sed 's/\[300\]/[7]/' "$T/net.json" >"$T/net7.json"
expect 0 "configure a JSON network" "$XPNN" configure --port "$A" "$T/net7.json"
expect 0 "status after the errors" "$XPNN" status --port "$A"
has out "^network: +2 layers, n_in 784, n_out 10" "status shows the network"
expect 0 "reset" "$XPNN" reset --port "$A"
expect 1 "run after reset: no network" "$XPNN" run --port "$A" --input "$T/img.txt"
has err "configure" "the message says to configure"

# ---- two fresh boards, the same commands: the same outputs ----
for b in b c; do
	serve $b 5
	P=$PORT
	expect 0 "board $b: configure --reference" "$XPNN" -q configure --reference --port "$P"
	expect 0 "board $b: write" "$XPNN" write --port "$P" --tile 0 --row 2 --col 5 --rows $NR \
		--cols $NC "$T/codes.txt"
	cp "$T/out" "$T/write_$b.txt"
	expect 0 "board $b: run --seed 7" "$XPNN" run --port "$P" --input "$IDX" --format idx \
		--count $NIMG --seed 7 -o "$T/run_$b.txt"
done
same "$T/write_b.txt" "$T/write_c.txt" "two fresh boards: the same devices changed"
same "$T/run_b.txt" "$T/run_c.txt" "two fresh boards: the same outputs"
same "$T/run1.txt" "$T/run_b.txt" "and the same as the first board's first run"

# the server stops cleanly on SIGTERM
kill -TERM "$SERVER_PID"
wait "$SERVER_PID"
rc=$?
if [ "$rc" = 0 ]; then ok "serve exits 0 on SIGTERM"; else bad "serve exit $rc on SIGTERM"; fi

echo "test_cli: $PASS passed, $FAIL failed ($((SECONDS - start)) s)"
[ "$FAIL" = 0 ]
