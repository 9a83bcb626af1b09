# cosim-gate_hx8k's netlist synthesised from an RTL whose ADC truncates (XP_MUTANT_ADC_FLOOR):
# must fail. Not part of make cosim (COSIM_ON_DEMAND: three more minutes of synthesis and
# compilation); run by hand (make cosim-gate_hx8k_mut) when the gate-level flow changes.
COSIM_TOP_gate_hx8k_mut := xp_board_uart
COSIM_RTL_gate_hx8k_mut := $(GATE_hx8k_mut) $(YOSYS_DATDIR)/ice40/cells_sim.v
COSIM_TB_gate_hx8k_mut := tests/cosim/tb_board.cpp
COSIM_ARGS_gate_hx8k_mut := 400 64,32,2,8,4,8,256,128,256,4 --no-width-goal
COSIM_VFLAGS_gate_hx8k_mut := $(COSIM_VFLAGS_gate_hx8k)
COSIM_EXPECT_FAIL_gate_hx8k_mut := 1
COSIM_ON_DEMAND += gate_hx8k_mut
