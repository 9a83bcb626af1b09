# The datapath harness against an ADC that truncates instead of rounding half up: must fail.
COSIM_TOP_datapath_mut := xp_datapath_tb_top
COSIM_RTL_datapath_mut := $(COSIM_RTL_datapath)
COSIM_ARGS_datapath_mut := 20000
COSIM_VFLAGS_datapath_mut := +define+XP_MUTANT_ADC_FLOOR
COSIM_EXPECT_FAIL_datapath_mut := 1
COSIM_TB_datapath_mut := tests/cosim/tb_datapath.cpp
