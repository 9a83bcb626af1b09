# The golden-vector replay against an RTL whose ADC truncates instead of rounding: must fail.
COSIM_TOP_vectors_mut := xp_board
COSIM_RTL_vectors_mut := $(COSIM_RTL_board)
COSIM_TB_vectors_mut := tests/cosim/tb_vectors.cpp
COSIM_ARGS_vectors_mut := tests/vectors/net_reference.xpv
COSIM_VFLAGS_vectors_mut := +define+XP_MUTANT_ADC_FLOOR
COSIM_EXPECT_FAIL_vectors_mut := 1
