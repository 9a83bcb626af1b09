`resetall
`timescale 1ns/1ps
`default_nettype none
/*
 * xp_ram_check — a conductance bank and a valid-bit bank as the board instantiates them, for
 * make lint-ice40's mutation check: with the templates intact scripts/ice40_mem.sh passes on
 * it; with -DXP_MUTANT_ASYNC_RAM (an asynchronous read in xp_ram_sp) it must fail.
 */
module xp_ram_check (
    input  wire        clk,
    input  wire        g_en,
    input  wire        g_we,
    input  wire [13:0] g_addr,
    input  wire [15:0] g_wd,
    output wire [15:0] g_q,
    input  wire        v_we,
    input  wire [7:0]  v_wa,
    input  wire [63:0] v_wd,
    input  wire [63:0] v_wm,
    input  wire        v_re,
    input  wire [7:0]  v_ra,
    output wire [63:0] v_q
);
    xp_ram_sp #(.W(16), .DEPTH(16384)) g_bank (
        .clk(clk), .en(g_en), .we(g_we), .addr(g_addr), .wd(g_wd), .q(g_q));
    xp_ram_dp #(.W(64), .DEPTH(256)) v_bank (
        .clk(clk), .we(v_we), .wa(v_wa), .wd(v_wd), .wm(v_wm), .re(v_re), .ra(v_ra), .q(v_q));
endmodule
`resetall
