`resetall
`timescale 1ns/1ps
`default_nettype none
/*
 * xp_ram_dp — the simple dual-port memory template of the board; see xp_ram_sp.v for both.
 */
module xp_ram_dp #(
    parameter W = 8,
    parameter DEPTH = 512
) (
    input  wire                     clk,
    input  wire                     we,
    input  wire [$clog2(DEPTH)-1:0] wa,
    input  wire [W-1:0]             wd,
    input  wire [W-1:0]             wm,     // bits written (1) or kept (0)
    input  wire                     re,
    input  wire [$clog2(DEPTH)-1:0] ra,
    output reg  [W-1:0]             q       // the word read at the last enabled read
);
    (* no_rw_check *)
    reg [W-1:0] mem [0:DEPTH-1];
`ifndef VERILATOR
    integer i;
`endif
    always @(posedge clk) begin
        if (we)
`ifdef VERILATOR
            // the same write as one word: Verilator turns the bit loop below into a delayed
            // assignment per bit, checked every cycle (the virtual board ran 3× slower)
            mem[wa] <= (mem[wa] & ~wm) | (wd & wm);
`else
            // per-bit write enables, as Yosys maps them onto SB_RAM40_4K's MASK
            for (i = 0; i < W; i = i + 1)
                if (wm[i])
                    mem[wa][i] <= wd[i];
`endif
        if (re)
            q <= mem[ra];
    end
endmodule
`resetall
