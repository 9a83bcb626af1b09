# The board differential test on a narrow board (MAX_WIDTH = 100, not a power of two and not a
# multiple of the 8 cells a cycle: 13 input words a bank, in halves of 16): CONFIGURE's n_in and
# n_out drawn at 99, 100 and 101, so the ERR_RANGE replies that name the board's max_width and
# RUNs of layers exactly that wide are compared byte for byte with the C engine built with the
# same max_width; tb_board fails unless both sides of the limit were met.
COSIM_TOP_board_narrow := xp_board
COSIM_RTL_board_narrow := $(COSIM_RTL_board)
COSIM_TB_board_narrow := tests/cosim/tb_board.cpp
COSIM_ARGS_board_narrow := 3000 128,64,8,8,4,8,1024,100
COSIM_VFLAGS_board_narrow := -GMAX_WIDTH=100
