# The threefry harness against an engine with rotation constant 29 replaced by 28
# (+define+XP_MUTANT_THREEFRY_ROT in rtl/xp_threefry.v): must fail.
COSIM_TOP_threefry_mut := xp_threefry_tb_top
COSIM_RTL_threefry_mut := $(COSIM_RTL_threefry)
COSIM_ARGS_threefry_mut := -n 20000
COSIM_VFLAGS_threefry_mut := +define+XP_MUTANT_THREEFRY_ROT
COSIM_EXPECT_FAIL_threefry_mut := 1
COSIM_TB_threefry_mut := tests/cosim/tb_threefry.cpp
