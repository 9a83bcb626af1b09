# The board differential test against an RTL that detects duplicates by seq alone: must fail.
COSIM_TOP_board_mut := xp_board
COSIM_RTL_board_mut := $(COSIM_RTL_board)
COSIM_TB_board_mut := tests/cosim/tb_board.cpp
COSIM_ARGS_board_mut := 3000
COSIM_VFLAGS_board_mut := +define+XP_MUTANT_DUP_SEQ -Wno-UNUSEDSIGNAL
COSIM_EXPECT_FAIL_board_mut := 1
