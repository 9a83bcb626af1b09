# The datapath harness against an activation that truncates instead of rounding half up: must fail.
COSIM_TOP_datapath_mut_act := xp_datapath_tb_top
COSIM_RTL_datapath_mut_act := $(COSIM_RTL_datapath)
COSIM_ARGS_datapath_mut_act := 20000
COSIM_VFLAGS_datapath_mut_act := +define+XP_MUTANT_ACT_FLOOR
COSIM_EXPECT_FAIL_datapath_mut_act := 1
COSIM_TB_datapath_mut_act := tests/cosim/tb_datapath.cpp
