#!/usr/bin/env bash
# tests/test_boards.sh — the FPGA board tooling that runs without a board or a full synthesis:
# make program with no board attached (openFPGALoader's real "device not found"), bad
# arguments, and the report gate of make bitstream (scripts/fpga_report.py) on nextpnr/yosys
# reports written here: it must pass a build within 10 % of its baseline and fail one whose
# Fmax misses the target clock, one that grew by more than 10 %, and one without a baseline.
#
#   bash tests/test_boards.sh BUILD_DIR
set -u
BUILD=${1:?usage: bash tests/test_boards.sh BUILD_DIR}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$(dirname "$0")/cli_lib.sh"
start=$SECONDS

# ---- make program ----
head -c 104090 /dev/urandom >"$T/fake.bin"
expect 1 "program with no board attached" bash "$ROOT/scripts/program.sh" icebreaker "$T/fake.bin"
has err "no board found \(libftdi: device not found, rc -3\)" "says no board was found"
has err "HINT: plug the icebreaker in" "hints at the cable"
expect 1 "program flash with no board attached" bash "$ROOT/scripts/program.sh" hx8k "$T/fake.bin" flash
has out "openFPGALoader -b ice40_generic -f" "flash mode writes the SPI flash (-f)"
expect 1 "program a missing bitstream" bash "$ROOT/scripts/program.sh" icebreaker "$T/none.bin"
has err "HINT: make bitstream BOARD=icebreaker" "says how to build it"
expect 2 "program an unknown board" bash "$ROOT/scripts/program.sh" ecp5 "$T/fake.bin"
has err "unknown board 'ecp5'" "names the board"
expect 2 "program in an unknown mode" bash "$ROOT/scripts/program.sh" icebreaker "$T/fake.bin" eeprom
expect 2 "make bitstream BOARD=ecp5" make -C "$ROOT" --no-print-directory DEPS=0 BUILD="$BUILD" bitstream BOARD=ecp5
has err "BOARD=ecp5: must be one of icebreaker hx8k" "names the boards"

# ---- the report gate ----
R="$T/rep"
mkdir -p "$R"
report() { # LC FMAX: a nextpnr --report and a yosys stat of an iCEBreaker build
	cat >"$R/nextpnr-report.json" <<JSON
{"utilization": {"ICESTORM_LC": {"used": $1, "available": 5280}, "ICESTORM_RAM": {"used": 20, "available": 30},
 "ICESTORM_SPRAM": {"used": 4, "available": 4}, "ICESTORM_DSP": {"used": 8, "available": 8}},
 "fmax": {"clk": {"achieved": $2, "constraint": 24.0}}}
JSON
	printf '     SB_DFFE                      %d\n     SB_DFFSR                      100\n' $(($1 / 2)) >"$R/yosys-stat.txt"
}
K="device=up5k target_mhz=24 baud=3000000 macs_per_cycle=4 rows=128 cols=64 tiles=8 max_request=1024 max_reply=1024 max_batch=16"
report 4000 30.5
expect 0 "write a baseline" python3 "$ROOT/scripts/fpga_report.py" icebreaker "$R" "$R/base.json" $K --update-baseline
check "[ \"\$(python3 -c 'import json; print(json.load(open(\"$R/base.json\"))[\"luts\"])')\" = 4000 ]" "the baseline holds the LUTs"
report 4300 29.0
expect 0 "7.5 % more LUTs, timing met" python3 "$ROOT/scripts/fpga_report.py" icebreaker "$R" "$R/base.json" $K
has out "LUTs 4300/5280" "prints the utilisation"
has out "4 MACs/cycle \(8 device products" "prints the MACs a cycle"
has out "link-bound 355.[0-9] inf/s at 3000000 baud, compute-bound 1889.[0-9] inf/s" "prints the reference network's link- and compute-bound rates"
check "python3 -c 'import json,sys; j=json.load(open(\"$R/report.json\")); sys.exit(not (j[\"timing_met\"] and j[\"fmax_mhz\"][\"clk\"] == 29.0 and j[\"spram\"] == 4))'" \
	"report.json has Fmax per clock, timing and SPRAM"
report 4500 29.0
expect 1 "12.5 % more LUTs" python3 "$ROOT/scripts/fpga_report.py" icebreaker "$R" "$R/base.json" $K
has out "luts grew from 4000 to 4500 \(\+12.5 %, limit \+10 %\)" "names the resource, both counts and the limit"
has out "HINT: if the growth is intended, run .make bitstream-baseline BOARD=icebreaker." "says how to accept it"
report 4000 23.2
expect 1 "Fmax below the 24 MHz target" python3 "$ROOT/scripts/fpga_report.py" icebreaker "$R" "$R/base.json" $K
has out "Fmax 23.2 MHz is below the target clock 24 MHz" "names both clocks"
expect 1 "no baseline" python3 "$ROOT/scripts/fpga_report.py" icebreaker "$R" "$R/none.json" $K
has out "no baseline" "says the baseline is missing"

# ---- the synthesis-only gate (make synth-check): yosys's stat alone ----
S="$T/syn"
mkdir -p "$S"
stat() { # SB_LUT4 count
	printf '     SB_CARRY                     3000\n     SB_DFFE                      4000\n     SB_LUT4                     %d\n     SB_MAC16                       20\n     SB_RAM40_4K                    48\n     SB_SPRAM256KA                   4\n' "$1" >"$S/yosys-stat.txt"
}
stat 12000
expect 0 "synth-only: write a baseline" python3 "$ROOT/scripts/fpga_report.py" icebreaker "$S" "$S/base.json" --synth-only $K --update-baseline
stat 13000
expect 0 "synth-only: 8.3 % more SB_LUT4" python3 "$ROOT/scripts/fpga_report.py" icebreaker "$S" "$S/base.json" --synth-only $K
has out "synthesis: SB_LUT4 13000/5280, FFs 4000, EBR 48/30, SPRAM 4/4, DSP 20/8; Fmax not known before placement" \
	"prints the synthesis figures against the device"
check "[ -s $S/synth-report.json ] && [ ! -e $S/report.json ]" "writes synth-report.json, not a placed report"
stat 13300
expect 1 "synth-only: 10.8 % more SB_LUT4" python3 "$ROOT/scripts/fpga_report.py" icebreaker "$S" "$S/base.json" --synth-only $K
has out "luts grew from 12000 to 13300" "names the growth"
has out "make synth-baseline BOARD=icebreaker" "says how to accept it"

echo "test_boards: $PASS passed, $FAIL failed ($((SECONDS - start)) s)"
[ "$FAIL" = 0 ]
