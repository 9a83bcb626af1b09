# The board differential test against an RTL whose ADC truncates instead of rounding (RUN): must fail.
COSIM_TOP_board_mut3 := xp_board
COSIM_RTL_board_mut3 := $(COSIM_RTL_board)
COSIM_TB_board_mut3 := tests/cosim/tb_board.cpp
COSIM_ARGS_board_mut3 := 3000
COSIM_VFLAGS_board_mut3 := +define+XP_MUTANT_ADC_FLOOR
COSIM_EXPECT_FAIL_board_mut3 := 1
