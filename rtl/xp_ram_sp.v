`resetall
`timescale 1ns/1ps
`default_nettype none
/*
 * xp_ram_sp — the single-port memory template of the board. It and its sibling xp_ram_dp.v
 * are written the way Yosys's memory_libmap maps them onto iCE40 memories (and any FPGA's
 * block RAM).
 *
 * xp_ram_sp: one port, one address a cycle, clock enable; a write leaves the read data as it
 * was (rdwr no_change). This is the iCE40UP5K's SB_SPRAM256KA (16 Ki × 16: synth_ice40
 * -spram): the conductance banks.
 *
 * xp_ram_dp: one write port with a per-bit write mask and one read port with a read enable,
 * registered. This is SB_RAM40_4K (256 × 16 with bit masks, or 512 × 8 … 2048 × 2): the dirty
 * tile rows, the layer inputs, the ADC settings, the counters, the request and the reply. The board never reads a word in the cycle it writes
 * it, hence no_rw_check (no bypass logic).
 *
 * Neither has a reset or an initial value: what they hold at power-up is whatever the device
 * holds (the co-simulation starts them random); the board's erase (every conductance at
 * power-up) and clear pass decide what is read.
 */
module xp_ram_sp #(
    parameter W = 16,
    parameter DEPTH = 16384
) (
    input  wire                     clk,
    input  wire                     en,     // read (we = 0) or write (we = 1) this cycle
    input  wire                     we,
    input  wire [$clog2(DEPTH)-1:0] addr,
    input  wire [W-1:0]             wd,
    output reg  [W-1:0]             q       // the word read at the last enabled read
);
    reg [W-1:0] mem [0:DEPTH-1];
`ifdef XP_MUTANT_ASYNC_RAM
    // mutant (make lint-ice40): an asynchronous read, which no iCE40 memory has
    always @(posedge clk)
        if (en && we)
            mem[addr] <= wd;
    always @*
        q = mem[addr];
`else
    always @(posedge clk)
        if (en) begin
            if (we)
                mem[addr] <= wd;
            else
                q <= mem[addr];
        end
`endif
endmodule

`resetall
