# The golden vectors (tests/vectors/*.xpv) replayed on the RTL through the protocol
# (tests/cosim/tb_vectors.cpp): every expected value of every file the RTL's geometry takes.
COSIM_TOP_vectors := xp_board
COSIM_RTL_vectors := $(COSIM_RTL_board)
COSIM_ARGS_vectors := $(sort $(wildcard tests/vectors/*.xpv))
# … twice: a second run from other power-up values (XP_SEED + 1; the replay draws nothing else),
# as a register that is not reset but matters shows up only under some of them
COSIM_POST_vectors = XP_SEED=$$(($(SEED) + 1)) $(COSIM_DIR)/vectors/Vtb $(COSIM_ARGS_vectors)
