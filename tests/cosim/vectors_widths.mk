# tests/vectors/widths.xpv on an RTL built for its geometry: 2 tiles of 1024 x 4, 8/8/12 bits
COSIM_TOP_vectors_widths := xp_board
COSIM_RTL_vectors_widths := $(COSIM_RTL_board)
COSIM_TB_vectors_widths := tests/cosim/tb_vectors.cpp
COSIM_ARGS_vectors_widths := tests/vectors/widths.xpv
COSIM_VFLAGS_vectors_widths := -GROWS=1024 -GMAX_REQUEST=2048 -GCOLS=4 -GTILES=2 -GDAC_BITS=8 -GCODE_BITS=8 -GADC_BITS=12 -Wno-WIDTH
