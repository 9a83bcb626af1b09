# The board differential test at an odd geometry (tests/vectors/net_odd.xpv's): 40 tiles of
# 37 x 11, 6/3/10 bits, one MAC a cycle — row blocks that are not powers of two, DAC codes
# that can be out of range, many tiles per layer.
COSIM_TOP_board_odd := xp_board
COSIM_RTL_board_odd := $(COSIM_RTL_board)
COSIM_TB_board_odd := tests/cosim/tb_board.cpp
COSIM_ARGS_board_odd := 3000 37,11,40,6,3,10,1024
COSIM_VFLAGS_board_odd := -GROWS=37 -GCOLS=11 -GTILES=40 -GDAC_BITS=6 -GCODE_BITS=3 -GADC_BITS=10 -GMACS_PER_CYCLE=1 -Wno-WIDTH
