# The board differential test at the widest geometry (tests/vectors/widths.xpv's): 2 tiles of
# 1024 x 4, 8/8/12 bits, requests up to 4 KiB — 1024-row blocks, block sums near numerics
# §10's 2^26 bound, 12-bit ADC codes.
COSIM_TOP_board_wide := xp_board
COSIM_RTL_board_wide := $(COSIM_RTL_board)
COSIM_TB_board_wide := tests/cosim/tb_board.cpp
COSIM_ARGS_board_wide := 2000 1024,4,2,8,8,12,4096
COSIM_VFLAGS_board_wide := -GROWS=1024 -GCOLS=4 -GTILES=2 -GDAC_BITS=8 -GCODE_BITS=8 -GADC_BITS=12 -GMAX_REQUEST=4096 -Wno-WIDTH
