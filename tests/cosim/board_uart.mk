# The board through its UART pins (rtl/xp_board_uart.v: UART receiver, receive FIFO, xp_board,
# UART transmitter), 8N1 at 4 cycles a bit, full bit timing: the same random frames, the host's
# UART in the harness, every reply byte equal to the C engine's.
COSIM_TOP_board_uart := xp_board_uart
COSIM_RTL_board_uart := rtl/xp_board_uart.v rtl/xp_uart_rx.v rtl/xp_uart_tx.v $(COSIM_RTL_board)
COSIM_TB_board_uart := tests/cosim/tb_board.cpp
COSIM_ARGS_board_uart := 1500
COSIM_VFLAGS_board_uart := -GCLKS_PER_BIT=4 -CFLAGS -DXP_UART_TB
