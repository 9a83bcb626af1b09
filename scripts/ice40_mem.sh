#!/usr/bin/env bash
# make lint, iCE40 part: how Yosys maps the board's memories onto an iCE40UP5K.
#
#   bash scripts/ice40_mem.sh OUTDIR TOP 'PARAM=V ...' FILE.v ...
#
# Runs synth_ice40 -spram -dsp up to the memory mapping (-run begin:map_ffram: the logic is not
# mapped, which takes far longer and is the bitstream flow's job) and reads memory_libmap's
# decisions from the log. Fails when the design has a latch, or when
#   - a memory of the templates rtl/xp_ram_sp.v / xp_ram_dp.v (instance memory ".mem") is not
#     mapped to SB_SPRAM256KA or SB_RAM40_4K: an access pattern a block RAM cannot serve (two
#     addresses a cycle, an asynchronous read) crept in;
#   - a conductance bank (g_bank) is not in SPRAM;
#   - more SB_SPRAM256KA than the UP5K's 4 are used.
# Memories written as plain arrays and mapped to flip-flops are listed.
set -eu
OUT=${1:?usage: bash scripts/ice40_mem.sh OUTDIR TOP PARAMS FILE.v ...}
TOP=${2:?top module}
PARAMS=${3-}
shift 3
mkdir -p "$OUT"
LOG=$OUT/yosys.log
chp=
for p in $PARAMS; do chp="$chp chparam -set ${p%%=*} ${p#*=} $TOP;"; done
yosys -q -l "$LOG" -p "read_verilog $*; $chp synth_ice40 -spram -dsp -top $TOP -run begin:map_ffram; \
    tee -o $OUT/stat.txt stat; select -assert-none t:\$dlatch t:\$_DLATCH_*" >/dev/null 2>"$OUT/stderr.txt" || {
	echo "ice40_mem: yosys failed on $TOP (log: $LOG)"; tail -20 "$LOG"; exit 1; }
python3 - "$LOG" "$OUT/stat.txt" "$TOP" "$PARAMS" <<'PY'
import re, sys
log, stat, top, params = sys.argv[1:5]
text = open(log).read()
maps = re.findall(r"^mapping memory (\S+) via (\S+)$", text, re.M)
ffs = re.findall(r"^using FF mapping for memory (\S+)$", text, re.M)
cells = dict((m.group(1), int(m.group(2))) for m in
             re.finditer(r"^\s+(SB_\w+)\s+(\d+)$", open(stat).read(), re.M))
def short(n):                      # "$paramod\xp_board\M=4.bank[0].g_bank.mem" -> bank[0].g_bank.mem
    return n.split(".", 1)[1] if "." in n else n
print(f"ice40_mem: {top} {params or '(defaults)'}: {len(maps)} memories in block RAM, "
      f"{len(ffs)} in flip-flops; SB_SPRAM256KA {cells.get('SB_SPRAM256KA', 0)} of 4, "
      f"SB_RAM40_4K {cells.get('SB_RAM40_4K', 0)} of 30, SB_MAC16 {cells.get('SB_MAC16', 0)} of 8 "
      f"(logic not yet mapped)")
bad = []
for name, via in maps:
    kind = {"$__ICE40_SPRAM_": "SPRAM", "$__ICE40_RAM4K_": "EBR"}.get(via, via)
    print(f"  {short(name):32s} {kind}")
    if ".g_bank." in name and kind != "SPRAM":
        bad.append(f"{short(name)}: a conductance bank mapped to {kind}, not SPRAM")
for name in ffs:
    print(f"  {short(name):32s} flip-flops")
    if name.endswith(".mem"):
        bad.append(f"{short(name)}: a memory template mapped to flip-flops (two addresses a "
                   f"cycle, or an asynchronous read?)")
if cells.get("SB_SPRAM256KA", 0) > 4:
    bad.append(f"{cells['SB_SPRAM256KA']} SB_SPRAM256KA, the iCE40UP5K has 4")
if not any(".g_bank." in n for n, _ in maps):
    bad.append("no conductance bank (g_bank) found among the mapped memories")
for b in bad:
    print(f"ice40_mem: FAIL: {b}")
if bad:
    print(f"HINT: every access to an xp_ram_* instance must use one address a cycle and a "
          f"registered read; the full log is {log}")
    sys.exit(1)
PY
