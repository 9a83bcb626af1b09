# The board differential test against an RTL whose READ_CELLS sends G- before G+: must fail.
COSIM_TOP_board_mut2 := xp_board
COSIM_RTL_board_mut2 := $(COSIM_RTL_board)
COSIM_TB_board_mut2 := tests/cosim/tb_board.cpp
COSIM_ARGS_board_mut2 := 6000
COSIM_VFLAGS_board_mut2 := +define+XP_MUTANT_READ_SWAP
COSIM_EXPECT_FAIL_board_mut2 := 1
