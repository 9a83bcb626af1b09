# tests/vectors/net_odd.xpv on an RTL built for its geometry: 40 tiles of 37 x 11, 6/3/10 bits
# (parameters given with -G are 32-bit integers: WIDTH is linted on the default build),
# one MAC a cycle (8 does not divide 37 rows)
COSIM_TOP_vectors_odd := xp_board
COSIM_RTL_vectors_odd := $(COSIM_RTL_board)
COSIM_TB_vectors_odd := tests/cosim/tb_vectors.cpp
COSIM_ARGS_vectors_odd := tests/vectors/net_odd.xpv
COSIM_VFLAGS_vectors_odd := -GROWS=37 -GCOLS=11 -GTILES=40 -GDAC_BITS=6 -GCODE_BITS=3 -GADC_BITS=10 -GMACS_PER_CYCLE=1 -Wno-WIDTH
