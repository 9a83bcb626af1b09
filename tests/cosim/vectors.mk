# The golden vectors (tests/vectors/*.xpv) replayed on the RTL through the protocol
# (tests/cosim/tb_vectors.cpp): every expected value of every file the RTL's geometry takes.
COSIM_TOP_vectors := xp_board
COSIM_RTL_vectors := $(COSIM_RTL_board)
COSIM_ARGS_vectors := $(sort $(wildcard tests/vectors/*.xpv))
