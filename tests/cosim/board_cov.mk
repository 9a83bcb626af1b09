# Coverage of the board differential test (verilator --coverage-user): the cover points of
# rtl/xp_board.v and rtl/xp_adc.v (`ifdef XP_COVER) are the targets — every command answered
# OK, every error reply, a duplicate, stuck devices programmed and met by RUN, ADC saturation
# at both ends, sums over two row blocks, a second column block, a third layer, ReLU clamps.
# tb_board writes coverage.dat and fails unless every point was hit; verilator_coverage
# annotates the sources (build/cosim/board_cov/annotated/).
COSIM_TOP_board_cov := xp_board
COSIM_RTL_board_cov := $(COSIM_RTL_board)
COSIM_TB_board_cov := tests/cosim/tb_board.cpp
COSIM_ARGS_board_cov := 10000
COSIM_VFLAGS_board_cov := --coverage-user +define+XP_COVER
COSIM_POST_board_cov = verilator_coverage --annotate $(COSIM_DIR)/board_cov/annotated $(COSIM_DIR)/board_cov/coverage.dat >/dev/null && echo "coverage report: $(COSIM_DIR)/board_cov/annotated/ (verilator_coverage)"
