# Threefry-2x32-20 engine (six ROUNDS_PER_CYCLE side by side), gauss and scale against the C
# model and the known answers of docs/numerics.md §4-§5 (tests/cosim/tb_threefry.cpp).
COSIM_TOP_threefry := xp_threefry_tb_top
COSIM_RTL_threefry := tests/cosim/xp_threefry_tb_top.v rtl/xp_threefry.v rtl/xp_gauss.v rtl/xp_scale.v
COSIM_ARGS_threefry := -n 100000
