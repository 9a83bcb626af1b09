# tests/cli_lib.sh — what the CLI test scripts share (sourced; needs XPNN set): a scratch
# directory $T removed on exit with every server started, check counters and helpers.
# shellcheck shell=bash

T=$(mktemp -d)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT

PASS=0
FAIL=0
ok() {
	PASS=$((PASS + 1))
	echo "ok   $*"
}
bad() {
	FAIL=$((FAIL + 1))
	echo "FAIL $*"
}
show() { sed 's/^/     | /' "$1" | head -n "${2:-6}"; }

# expect CODE NAME CMD…: run CMD (stdout in $T/out, stderr in $T/err), check its exit code.
expect() {
	local want=$1 name=$2 rc
	shift 2
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	if [ "$rc" = "$want" ]; then
		ok "$name (exit $rc)"
		return 0
	fi
	bad "$name: exit $rc, want $want"
	show "$T/err"
	return 1
}

# has out|err PATTERN NAME: the last command's stdout or stderr matches PATTERN (grep -E).
has() {
	if grep -Eq -- "$2" "$T/$1"; then
		ok "$3"
	else
		bad "$3: /$2/ not in std$1"
		show "$T/$1"
	fi
}

# json FILE EXPR: evaluate a Python expression on the JSON object j read from FILE
json() { "${PY:-python3}" -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
# check COND NAME: a shell condition
check() { if eval "$1"; then ok "$2"; else bad "$2 ($1)"; fi; }

# same FILE1 FILE2 NAME
same() {
	if cmp -s "$1" "$2"; then
		ok "$3"
	else
		bad "$3: $1 and $2 differ"
		diff "$1" "$2" | head -n 6
	fi
}

# start_server NAME CMD…: run a server CMD… --port-file F in the background (logging to
# $T/NAME.log); wait for its port; set PORT to tcp://127.0.0.1:N and SERVER_PID.
start_server() {
	local name=$1 pf="$T/$1.port" i
	shift
	"$@" --port-file "$pf" >"$T/$name.log" 2>&1 &
	PIDS+=($!)
	SERVER_PID=$!
	for i in $(seq 200); do
		[ -s "$pf" ] && break
		sleep 0.05
	done
	if [ ! -s "$pf" ]; then
		bad "$name: no port file after 10 s"
		show "$T/$name.log"
		exit 1
	fi
	PORT="tcp://127.0.0.1:$(cat "$pf")"
	ok "$name listening on $PORT"
}

# serve NAME SEED: a model board with that device seed on a free port.
serve() {
	start_server "$1" "$XPNN" serve --port "model:seed=$2" --listen 127.0.0.1:0
}

