# rtl/xp_devmodel against the C model's precomputed device model (tests/cosim/tb_devmodel.cpp).
COSIM_TOP_devmodel := xp_devmodel
COSIM_RTL_devmodel := rtl/xp_devmodel.v rtl/xp_threefry.v rtl/xp_gauss.v rtl/xp_scale.v
COSIM_ARGS_devmodel := 20000
