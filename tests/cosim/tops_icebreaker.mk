# The iCEBreaker's top (rtl/boards/xp_top_icebreaker.v) through its pins: reset and button,
# heartbeat/activity/error LEDs, and frames at 8 clocks a bit answered as the C engine answers
# with the board's limits and the default device model (tests/cosim/tb_tops.cpp). The PLL
# primitive is left out (-DXP_NO_PLL); the LED timings are shortened.
COSIM_TOP_tops_icebreaker := xp_top_icebreaker
COSIM_RTL_tops_icebreaker := rtl/boards/xp_top_icebreaker.v rtl/boards/xp_board_fpga.v \
  rtl/boards/xp_leds.v rtl/xp_board_uart.v rtl/xp_uart_rx.v rtl/xp_uart_tx.v $(COSIM_RTL_board)
COSIM_TB_tops_icebreaker := tests/cosim/tb_tops.cpp
COSIM_VFLAGS_tops_icebreaker := +define+XP_NO_PLL -GHEARTBEAT_BITS=10 -GSTRETCH_BITS=10 \
  -CFLAGS "-DCPB=8 -DHB_BITS=10 -DST_BITS=10 -DROWS=128 -DCOLS=64 -DTILES=8 -DMAX_REQUEST=1024 -DMAX_REPLY=1024 -DMAX_BATCH=16 -DMAX_WIDTH=1024"
