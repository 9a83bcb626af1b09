COSIM_TOP_datapath := xp_datapath_tb_top
COSIM_RTL_datapath := tests/cosim/xp_datapath_tb_top.v rtl/xp_adc.v rtl/xp_act.v rtl/xp_prog.v rtl/xp_scale.v
COSIM_ARGS_datapath := 300000
