# The iCE40-HX8K breakout's top (rtl/boards/xp_top_hx8k.v) through its pins: heartbeat,
# activity and error LEDs, and frames at 12 clocks a bit answered as the C engine answers with
# the board's smaller geometry and limits (tests/cosim/tb_tops.cpp); LED timings shortened.
COSIM_TOP_tops_hx8k := xp_top_hx8k
COSIM_RTL_tops_hx8k := rtl/boards/xp_top_hx8k.v rtl/boards/xp_board_fpga.v \
  rtl/boards/xp_leds.v rtl/xp_board_uart.v rtl/xp_uart_rx.v rtl/xp_uart_tx.v $(COSIM_RTL_board)
COSIM_TB_tops_hx8k := tests/cosim/tb_tops.cpp
COSIM_VFLAGS_tops_hx8k := -GHEARTBEAT_BITS=10 -GSTRETCH_BITS=10 \
  -CFLAGS "-DXP_TOP_HX8K -DCPB=12 -DHB_BITS=10 -DST_BITS=10 -DROWS=64 -DCOLS=32 -DTILES=2 -DMAX_REQUEST=256 -DMAX_REPLY=256 -DMAX_BATCH=4 -DMAX_WIDTH=128"
