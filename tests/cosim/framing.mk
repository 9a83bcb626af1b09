# Framing units of docs/protocol.md §2 (rtl/xp_crc32c.v, xp_cobs_tx.v, xp_cobs_rx.v,
# xp_uart_tx.v, xp_uart_rx.v) against cmodel/xp_frame.c; see tests/cosim/tb_framing.cpp.
# The argument: N CRC messages, encoder bodies and decoder frames (at least 10,000).
COSIM_TOP_framing := xp_framing_tb_top
COSIM_RTL_framing := tests/cosim/xp_framing_tb_top.v rtl/xp_crc32c.v rtl/xp_cobs_tx.v rtl/xp_cobs_rx.v \
  rtl/xp_uart_tx.v rtl/xp_uart_rx.v
COSIM_ARGS_framing := 10000
