#!/usr/bin/env bash
# make program: load build/<board>/xpnn.bin onto an attached board with openFPGALoader.
#
#   bash scripts/program.sh BOARD BITSTREAM [sram|flash]
#
# sram (default): volatile, lost at power-off, takes a second; flash: written to the SPI flash
# on the FT2232H's channel A, loaded at every power-up. Both boards (iCEBreaker, iCE40-HX8K
# breakout) are FT2232H boards that openFPGALoader drives as "ice40_generic". On the HX8K
# breakout, SRAM programming needs jumpers J6 horizontal and J7 on (the board's manual).
# Exit status: 0 programmed; 1 no board, permission problem or programming failed; 2 usage.
set -u
board=${1:-}
bin=${2:-}
mode=${3:-sram}
usage="usage: bash scripts/program.sh icebreaker|hx8k BITSTREAM [sram|flash]  (make program BOARD=... [FLASH=1])"
case "$board" in icebreaker|hx8k) ;; *) echo "program: unknown board '$board'; $usage" >&2; exit 2 ;; esac
case "$mode" in sram) flag=-m ;; flash) flag=-f ;; *) echo "program: unknown mode '$mode'; $usage" >&2; exit 2 ;; esac
if [ ! -s "$bin" ]; then
  echo "program: no bitstream $bin; HINT: make bitstream BOARD=$board first" >&2
  exit 1
fi
if ! command -v openFPGALoader >/dev/null; then
  echo "program: openFPGALoader is not installed; HINT: bash scripts/deps.sh" >&2
  exit 1
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "program: $bin -> $board ($mode) with openFPGALoader -b ice40_generic $flag"
timeout 120 openFPGALoader -b ice40_generic $flag "$bin" >"$log" 2>&1
rc=$?
cat "$log"
if [ $rc -eq 0 ]; then
  echo "program: done; the board's UART is FT2232H channel B: --port ftdi://0403:6010/B (or tty:/dev/ttyUSB1)"
  exit 0
fi
if grep -q -- "-3 (device not found)\|device not found" "$log"; then
  echo "program: no board found (libftdi: device not found, rc -3). HINT: plug the $board in, check the USB cable (a charge-only cable shows nothing) and \`lsusb | grep 0403:6010\`; docs/boards.md" >&2
elif grep -qi -- "-4\|permission\|access denied\|unable to open" "$log"; then
  echo "program: the board is there but cannot be opened (permission). HINT: install scripts/99-xpnn-ftdi.rules (docs/boards.md) and join the plugdev group" >&2
else
  echo "program: openFPGALoader failed (exit $rc). HINT: docs/boards.md, Troubleshooting" >&2
fi
exit 1
