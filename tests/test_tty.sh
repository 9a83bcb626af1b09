#!/usr/bin/env bash
# tests/test_tty.sh — the tty: transport through a real kernel tty: a model board served on a
# pseudo-terminal (`xpnn serve --pty`), reached with --port tty:/dev/pts/N exactly as an FPGA
# board's UART would be (termios2, any baud rate, exclusive access, deadlines).
#
#   bash tests/test_tty.sh BUILD_DIR SEED      (BUILD_DIR holds xpnn and xpnn-conform)
#
# Checks: the conformance suite over the pty; load + eval over the pty print the same report
# as over TCP from a board of the same seed; bad device paths and baud rates; a second user
# of the device; a stopped server (timeout) and a killed one (hangup), never a hang; arbitrary
# baud rates; the port's settings restored on close. Prints one line per check; exits
# non-zero if any fails.
set -u

BUILD=${1:?usage: bash tests/test_tty.sh BUILD_DIR SEED}
SEED=${2:-1}
XPNN=$(cd "$BUILD" 2>/dev/null && pwd)/xpnn
CONFORM=$(dirname "$XPNN")/xpnn-conform
FM=${XPNN_FASHION_DIR:-/usr/share/datasets/fashion-mnist}

for b in "$XPNN" "$CONFORM"; do
	if [ ! -x "$b" ]; then
		echo "test_tty: $b not found; HINT: make DEPS=0 $BUILD/xpnn $BUILD/xpnn-conform" >&2
		exit 2
	fi
done
if [ ! -r "$FM/t10k-images-idx3-ubyte.gz" ]; then
	echo "test_tty: $FM has no Fashion-MNIST; HINT: bash scripts/deps.sh" >&2
	exit 2
fi
if [ ! -c /dev/ptmx ]; then
	echo "test_tty: no /dev/ptmx: this machine cannot make pseudo-terminals" >&2
	exit 2
fi
unset XPNN_PORT

. "$(dirname "$0")/cli_lib.sh"

start=$SECONDS
echo "test_tty: $XPNN (seed $SEED)"

# start_pty NAME SEED [detached]: a model board on a new pty; sets DEV (/dev/pts/N) and
# SERVER_PID. detached: not a child of this shell (which would report "Killed" when it dies).
start_pty() {
	local pf="$T/$1.pty" i
	if [ "${3:-}" = detached ]; then
		("$XPNN" serve --pty --port "model:seed=$2" --port-file "$pf" >"$T/$1.log" 2>&1 &
		 echo $! >"$T/$1.pid")
		SERVER_PID=$(cat "$T/$1.pid")
	else
		"$XPNN" serve --pty --port "model:seed=$2" --port-file "$pf" >"$T/$1.log" 2>&1 &
		SERVER_PID=$!
	fi
	PIDS+=($SERVER_PID)
	for i in $(seq 200); do
		[ -s "$pf" ] && break
		sleep 0.05
	done
	if [ ! -s "$pf" ]; then
		bad "$1: no port file after 10 s"
		show "$T/$1.log"
		exit 1
	fi
	DEV=$(cat "$pf")
	ok "$1 serving on $DEV"
}

# wait_locked DEV: until some process holds DEV's lock (at most 10 s)
wait_locked() {
	# /proc/locks, not a probing flock -n: a probe takes the lock for a moment, and a client
	# opening the device at that moment would be told it is in use. A lock is listed by the
	# device of the file system holding the node (st_dev: MAJ:MIN in hex) and its inode.
	local d ino key
	d=$(stat -L -c %d "$1")
	ino=$(stat -L -c %i "$1")
	key=$(printf '%02x:%02x:%d' $(((d >> 8) & 0xfff)) $(((d & 0xff) | ((d >> 12) & 0xfff00))) "$ino")
	for _ in $(seq 200); do
		grep -q "FLOCK .* $key " /proc/locks && return 0
		sleep 0.05
	done
	bad "nothing locked $1 within 10 s"
}

# not_hung RC NAME: the command ended by itself, not by timeout(1)
not_hung() {
	if [ "$1" = 124 ]; then bad "$2: hung (killed by timeout after 30 s)"
	else ok "$2: did not hang (exit $1)"; fi
}

# ---- the CLI ----
expect 0 "xpnn serve --help" "$XPNN" serve --help
has out "--pty" "serve --help mentions --pty"
expect 0 "xpnn help port" "$XPNN" help port
has out "tty:DEVICE\[@BAUD" "help port shows the tty: syntax"
has out "3000000" "and its default baud rate"
expect 2 "serve --pty --listen" "$XPNN" serve --pty --listen 127.0.0.1:0
has err "--pty and --listen" "names both options"

start_pty pty "$SEED"
P="tty:$DEV"
PSRV=$SERVER_PID
check "[[ $DEV == /dev/pts/* ]]" "the port file holds a pty path ($DEV)"
has_log() { if grep -Eq -- "$2" "$T/$1.log"; then ok "$3"; else bad "$3: /$2/ not in the log"; show "$T/$1.log"; fi; }
has_log pty "serving on $DEV" "serve logs the pty's path"
stty -F "$DEV" -a >"$T/stty0" 2>&1
if grep -q -- "-icanon" "$T/stty0" && grep -q -- "-echo " "$T/stty0" && grep -q -- "-opost" "$T/stty0"; then
	ok "the server left the slave raw (no echo, no translation)"
else
	bad "the slave is not raw"; show "$T/stty0"
fi
speed0=$(stty -F "$DEV" speed)

# ---- (a) the conformance suite through the pty ----
expect 0 "xpnn-conform --port $P" "$CONFORM" --seed "$SEED" --port "$P"
has out "conform: [0-9]+ passed, 0 failed" "every conformance check passes over the pty"
has_log pty "client connected on $DEV" "serve logs a client session"
for _ in $(seq 40); do grep -q "disconnected" "$T/pty.log" && break; sleep 0.05; done
has_log pty "client on $DEV disconnected" "and its end"

# ---- (b) load + eval: the same report as over TCP from a board of the same seed ----
# fresh boards on both sides: the conformance suite has changed the first one's cells
PDEV=$DEV
start_pty eval "$SEED"
EDEV=$DEV
DEV=$PDEV
expect 0 "train a small network (1 epoch on the test set)" "$XPNN" -q train -o "$T/m.st" \
	--train-images "$FM/t10k-images-idx3-ubyte.gz" --train-labels "$FM/t10k-labels-idx1-ubyte.gz" \
	--test-images "$FM/t10k-images-idx3-ubyte.gz" --test-labels "$FM/t10k-labels-idx1-ubyte.gz" \
	--layers 784,32,10 --epochs 1 --seed "$SEED"
expect 0 "compile it" "$XPNN" -q compile "$T/m.st" -o "$T/i.st" --calib 256 --data "$FM"
serve tcp "$SEED"
TCP=$PORT
for side in tty tcp; do
	[ $side = tty ] && port=tty:$EDEV || port=$TCP
	expect 0 "load --verify over $side" "$XPNN" load --verify --port "$port" "$T/i.st"
	sed 's/, [0-9.]* s$//' "$T/err" >"$T/load_$side.txt"
	expect 0 "eval 500 images over $side" "$XPNN" eval --port "$port" --count 500 --data "$FM"
	sed 's/, [0-9.]* s)/)/' "$T/out" >"$T/eval_$side.txt"
done
has out "^accuracy: [0-9.]+ % \(500 examples, board" "eval prints the accuracy"
same "$T/load_tty.txt" "$T/load_tcp.txt" "load --verify: the same report over tty: and tcp://"
same "$T/eval_tty.txt" "$T/eval_tcp.txt" "eval: the same accuracy and confusion matrix over tty: and tcp://"
echo "     | tty: $(head -1 "$T/eval_tty.txt")"
echo "     | tcp: $(head -1 "$T/eval_tcp.txt")"

# ---- (c) bad inputs: the message names the device or the value ----
expect 3 "tty:/nonexistent" "$XPNN" info --port tty:/nonexistent
has err "/nonexistent: No such file or directory: .*plugged in" "names the path, the errno and a hint"
expect 3 "tty:/dev/null" "$XPNN" info --port tty:/dev/null
has err "/dev/null is not a serial port" "says it is not a serial port"
expect 3 "tty: (no device)" "$XPNN" info --port tty:
has err "the device is missing" "says the device is missing"
for b in abc 0 99999999 ""; do
	expect 3 "tty:$DEV@$b" "$XPNN" info --port "tty:$DEV@$b"
	has err "300 … 12000000" "names the legal baud range"
done
has err "after '@' is missing" "an empty baud is called missing"
expect 3 "tty:$DEV@3000000,xon" "$XPNN" info --port "tty:$DEV@3000000,xon"
has err "unknown option 'xon'.*rtscts" "names the unknown option and the known one"

# a second user of the device: flock(1) holds it for 1.5 s (its sleep inherits the lock, so
# wait for it rather than kill it)
flock "$DEV" sleep 1.5 &
fl=$!
wait_locked "$DEV"
expect 3 "open while flock(1) holds the device" "$XPNN" info --port "$P"
has err "$DEV is in use by another process" "says in use, naming the device"
wait $fl
expect 0 "open after flock(1) let go" "$XPNN" info --port "$P"

# a stopped server: the command times out (exit 4), and meanwhile holds the device, so a second
# xpnn is refused
kill -STOP "$PSRV"
timeout 30 "$XPNN" info --port "$P" --timeout 1500 --retries 1 >"$T/hold.out" 2>"$T/hold.err" &
holder=$!
wait_locked "$DEV"
expect 3 "a second xpnn while the first holds the device" "$XPNN" status --port "$P"
has err "$DEV is in use by another process" "says in use, naming the device"
wait $holder
rc=$?
not_hung $rc "info on a stopped server"
check "[ $rc = 4 ]" "info on a stopped server: exit 4 (no reply), not 124"
if grep -q "no valid reply after 2 tries" "$T/hold.err"; then ok "the timeout message counts the tries"
else bad "no timeout message"; show "$T/hold.err"; fi
kill -CONT "$PSRV"
expect 0 "the server answers again after SIGCONT" "$XPNN" info --port "$P"

# a killed server: a command in flight reads a hangup (exit 6); then the path is gone (exit 3)
start_pty victim "$SEED" detached
VDEV=$DEV
DEV=$PDEV
kill -STOP "$SERVER_PID"
timeout 30 "$XPNN" info --port "tty:$VDEV" --timeout 10000 --retries 0 >"$T/v.out" 2>"$T/v.err" &
client=$!
wait_locked "$VDEV"
sleep 0.2 # and has sent its request
t0=$(date +%s%N)
kill -KILL "$SERVER_PID"
wait $client
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
not_hung $rc "info when the server is killed"
check "[ $rc = 6 ]" "info when the server is killed: exit 6 (link lost)"
check "[ $ms -lt 5000 ]" "the hangup is seen at once, not after the 10 s timeout ($ms ms)"
if grep -q "hung up.*xpnn serve --pty" "$T/v.err"; then ok "the message says the device hung up"
else bad "no hangup message"; show "$T/v.err"; fi
timeout 30 "$XPNN" info --port "tty:$VDEV" >"$T/out" 2>"$T/err"
rc=$?
not_hung $rc "info on the killed server's path"
check "[ $rc = 3 ]" "info on the killed server's path: exit 3"
has err "$VDEV" "names the path"

# ---- (d) arbitrary baud rates (termios2 BOTHER) ----
for b in 3000000 921600 1234567 300 12000000; do
	expect 0 "tty:$DEV@$b" "$XPNN" info --port "tty:$DEV@$b"
done
expect 0 "tty:$DEV@115200,rtscts" "$XPNN" info --port "tty:$DEV@115200,rtscts"
check "[ \"$(stty -F "$DEV" speed)\" = \"$speed0\" ]" \
	"the device's original speed ($speed0) is restored on close"
stty -F "$DEV" -a >"$T/stty1" 2>&1
if grep -q -- "-crtscts" "$T/stty1"; then ok "RTS/CTS is off again after the rtscts client"
else bad "RTS/CTS left on"; show "$T/stty1"; fi

# ---- serve --pty --once: returns when the first client leaves ----
"$XPNN" serve --pty --once --port "model:seed=$SEED" --port-file "$T/once.pty" -q &
once=$!
PIDS+=($once)
for _ in $(seq 200); do [ -s "$T/once.pty" ] && break; sleep 0.05; done
expect 0 "info on a --once pty server" "$XPNN" info --port "tty:$(cat "$T/once.pty")"
for _ in $(seq 100); do kill -0 $once 2>/dev/null || break; sleep 0.05; done
if kill -0 $once 2>/dev/null; then bad "serve --pty --once still runs after its client left"
else
	wait $once
	rc=$?
	check "[ $rc = 0 ]" "serve --pty --once returned after its client left (exit $rc)"
fi

# the server stops cleanly on SIGTERM
kill -TERM "$PSRV"
wait "$PSRV"
rc=$?
check "[ $rc = 0 ]" "serve --pty exits 0 on SIGTERM"
check "[ ! -e $(cat "$T/pty.pty") ]" "and its pty is gone"

echo "test_tty: $PASS passed, $FAIL failed ($((SECONDS - start)) s)"
[ "$FAIL" = 0 ]
