# The same differential test from all-zero registers at power-up (+verilator+rand+reset+0):
# the other units start every register at a random value, which can hide a register that is
# read before it is set (a CONFIGURE that compared c_l before reading its L did: only a board
# starting from zeros showed it).
COSIM_TOP_board_zero := xp_board
COSIM_RTL_board_zero := $(COSIM_RTL_board)
COSIM_TB_board_zero := tests/cosim/tb_board.cpp
COSIM_ARGS_board_zero := 3000 128,64,8,8,4,8,1024,4096 +verilator+rand+reset+0
