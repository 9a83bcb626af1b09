# rtl/xp_board against the C board engine, byte for byte (tests/cosim/tb_board.cpp).
COSIM_TOP_board := xp_board
COSIM_RTL_board := rtl/xp_board.v rtl/xp_cobs_rx.v rtl/xp_cobs_tx.v rtl/xp_crc32c.v rtl/xp_devmodel.v rtl/xp_threefry.v rtl/xp_gauss.v rtl/xp_scale.v rtl/xp_prog.v rtl/xp_adc.v rtl/xp_act.v rtl/xp_ram_sp.v rtl/xp_ram_dp.v
COSIM_ARGS_board := 10000
