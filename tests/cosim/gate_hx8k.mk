# Gate-level co-simulation: the HX8K's engine as Yosys maps it — xp_board_uart at the HX8K's
# parameters (FPGA_PARAMS_hx8k, SERIAL_MAC = 1, STREAM_RUN = 1: xp_top_hx8k's) through
# synth_ice40 with the flow's options (FPGA_SYNTH_hx8k, scripts/abc9.abc), written out as a
# netlist of SB_LUT4, SB_CARRY, SB_DFF* and SB_RAM40_4K cells and simulated with Yosys's cell
# models (ice40/cells_sim.v) — against the C engine through the UART pins, byte for byte, as
# cosim-board_uart does with the RTL. It checks what the RTL units cannot: the synthesis
# (abc9, memory inference, the flip-flops' power-up values). Only the UART's clocks a bit
# differ from the bitstream's (4, the harness's, instead of 12).
YOSYS_DATDIR ?= /usr/share/yosys
# (cosim-gate_hx8k_mut, not part of make cosim: the same flow from an RTL whose ADC truncates,
# GATE_DEFS, must fail.)
GATE_hx8k := $(BUILD)/gate/hx8k/xp_board_uart.v
GATE_hx8k_mut := $(BUILD)/gate/hx8k_mut/xp_board_uart.v
GATE_PARAMS_hx8k = $(filter-out CLKS_PER_BIT=%,$(FPGA_PARAMS_hx8k)) SERIAL_MAC=1 STREAM_RUN=1 CLKS_PER_BIT=4
$(GATE_hx8k_mut): GATE_DEFS := -DXP_MUTANT_ADC_FLOOR
# $(call gate_synth,BOARD,PARAMS,DEFINES): the recipe that writes $@, xp_board_uart's netlist
gate_synth = mkdir -p $(@D) && echo "== yosys synth_ice40 $(FPGA_SYNTH_$(1)): xp_board_uart ($(2) $(3)) -> $@" && \
  yosys -q -l $(@D)/yosys.log -p "read_verilog $(3) $(sort $(wildcard rtl/*.v)); \
  $(foreach p,$(2),chparam -set $(firstword $(subst =, ,$(p))) $(lastword $(subst =, ,$(p))) xp_board_uart;) \
  $(call fpga_synth,$(1),xp_board_uart); write_verilog -noattr $@.tmp" >/dev/null 2>&1 \
  && mv $@.tmp $@ || { echo "yosys failed (log: $(@D)/yosys.log)"; tail -20 $(@D)/yosys.log; exit 1; }
$(GATE_hx8k) $(GATE_hx8k_mut): $(wildcard rtl/*.v) $(FPGA_FLOW_DEPS) Makefile tests/cosim/gate_hx8k.mk | $(BUILD)/.deps.stamp
	@$(call gate_synth,hx8k,$(GATE_PARAMS_hx8k),$(GATE_DEFS))
COSIM_TOP_gate_hx8k := xp_board_uart
COSIM_RTL_gate_hx8k := $(GATE_hx8k) $(YOSYS_DATDIR)/ice40/cells_sim.v
COSIM_TB_gate_hx8k := tests/cosim/tb_board.cpp
COSIM_ARGS_gate_hx8k := 400 64,32,2,8,4,8,256,128,256,4 --no-width-goal
COSIM_VFLAGS_gate_hx8k := -Wno-fatal -Wno-lint -Wno-style +define+NO_ICE40_DEFAULT_ASSIGNMENTS -CFLAGS -DXP_UART_TB
