# Gate-level co-simulation of the iCEBreaker's engine (cosim-gate_hx8k's flow at the UP5K's
# parameters and synthesis options: FPGA_PARAMS_icebreaker, STREAM_RUN = 1, FPGA_SYNTH_icebreaker
# with its SB_MAC16 and SB_SPRAM256KA cells and their models), through the UART pins at 4 clocks
# a bit, byte for byte against the C engine. The design does not fit the UP5K yet, but its
# netlist is what placement will get. Not part of make cosim (COSIM_ON_DEMAND: about four minutes
# of synthesis, compilation and simulation); run by hand: make cosim-gate_icebreaker.
GATE_icebreaker := $(BUILD)/gate/icebreaker/xp_board_uart.v
GATE_PARAMS_icebreaker = $(filter-out CLKS_PER_BIT=%,$(FPGA_PARAMS_icebreaker)) STREAM_RUN=1 CLKS_PER_BIT=4
$(GATE_icebreaker): $(wildcard rtl/*.v) $(FPGA_FLOW_DEPS) Makefile tests/cosim/gate_hx8k.mk tests/cosim/gate_icebreaker.mk | $(BUILD)/.deps.stamp
	@$(call gate_synth,icebreaker,$(GATE_PARAMS_icebreaker))
COSIM_TOP_gate_icebreaker := xp_board_uart
COSIM_RTL_gate_icebreaker := $(GATE_icebreaker) $(YOSYS_DATDIR)/ice40/cells_sim.v
COSIM_TB_gate_icebreaker := tests/cosim/tb_board.cpp
COSIM_ARGS_gate_icebreaker := 300 128,64,8,8,4,8,1024,1024,1024,16 --no-width-goal
COSIM_VFLAGS_gate_icebreaker := $(COSIM_VFLAGS_gate_hx8k)
COSIM_ON_DEMAND += gate_icebreaker
