# The board differential test against an RTL whose RUN forgets the S of the row blocks it ran
# while the request arrived (STREAM_RUN): must fail.
COSIM_TOP_board_mut4 := xp_board
COSIM_RTL_board_mut4 := $(COSIM_RTL_board)
COSIM_TB_board_mut4 := tests/cosim/tb_board.cpp
COSIM_ARGS_board_mut4 := 3000
COSIM_VFLAGS_board_mut4 := +define+XP_MUTANT_SPEC_S
COSIM_EXPECT_FAIL_board_mut4 := 1
