# The same differential test with one MAC a cycle (MACS_PER_CYCLE = 1), multiplied a bit a cycle
# (SERIAL_MAC = 1, the HX8K's): the parameters change the speed, never a reply byte.
COSIM_TOP_board_m1 := xp_board
COSIM_RTL_board_m1 := $(COSIM_RTL_board)
COSIM_TB_board_m1 := tests/cosim/tb_board.cpp
COSIM_ARGS_board_m1 := 3000
COSIM_VFLAGS_board_m1 := -GMACS_PER_CYCLE=1 -GSERIAL_MAC=1
