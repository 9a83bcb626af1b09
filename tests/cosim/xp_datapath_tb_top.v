`resetall
`timescale 1ns/1ps
`default_nettype none
/*
 * xp_datapath_tb_top — co-simulation wrapper (tests/cosim/tb_datapath.cpp): the ADC,
 * activation and programming units side by side at several bit widths, driven with the same
 * inputs.
 */
module xp_datapath_tb_top (
    input  wire               clk,
    input  wire               rst,
    // ADC
    input  wire               adc_valid,
    input  wire signed [26:0] adc_v,
    output wire               adc_ready,
    input  wire        [7:0]  adc_gain,
    input  wire        [10:0] adc_eg,
    input  wire        [4:0]  adc_shift,
    input  wire signed [12:0] adc_off,
    output wire               adc_out_valid,
    output wire signed [7:0]  adc_code8,
    output wire signed [11:0] adc_code12,
    output wire signed [1:0]  adc_code2,
    // activation
    input  wire               act_valid,
    output wire               act_ready,
    input  wire signed [15:0] act_s,
    input  wire        [7:0]  act_amul,
    input  wire        [3:0]  act_ash,
    output wire               act_out_valid,
    output wire        [7:0]  act_a8,
    output wire        [2:0]  act_a3,
    // programming
    input  wire        [7:0]  prog_k,
    input  wire        [10:0] prog_fv,
    input  wire signed [8:0]  prog_z,
    input  wire        [9:0]  prog_sigma,
    input  wire               prog_stuck,
    input  wire        [7:0]  prog_stuck_val,
    output wire        [7:0]  prog_g4,
    output wire        [7:0]  prog_g8,
    output wire        [7:0]  prog_g1
);
    wire v12, v2, r12, r2, av3, ar3;

    xp_adc #(.ADC_BITS(8)) adc8 (.clk(clk), .rst(rst), .s_valid(adc_valid), .s_ready(adc_ready), .s_v(adc_v),
        .s_gain(adc_gain), .s_eg(adc_eg), .s_shift(adc_shift), .s_off(adc_off), .m_valid(adc_out_valid),
        .m_code(adc_code8));
    xp_adc #(.ADC_BITS(12)) adc12 (.clk(clk), .rst(rst), .s_valid(adc_valid), .s_ready(r12), .s_v(adc_v),
        .s_gain(adc_gain), .s_eg(adc_eg), .s_shift(adc_shift), .s_off(adc_off), .m_valid(v12),
        .m_code(adc_code12));
    xp_adc #(.ADC_BITS(2)) adc2 (.clk(clk), .rst(rst), .s_valid(adc_valid), .s_ready(r2), .s_v(adc_v),
        .s_gain(adc_gain), .s_eg(adc_eg), .s_shift(adc_shift), .s_off(adc_off), .m_valid(v2),
        .m_code(adc_code2));
    xp_act #(.DAC_BITS(8)) act8 (.clk(clk), .rst(rst), .s_valid(act_valid), .s_ready(act_ready),
        .s_s(act_s), .s_amul(act_amul), .s_ash(act_ash), .m_valid(act_out_valid), .m_code(act_a8));
    xp_act #(.DAC_BITS(3)) act3 (.clk(clk), .rst(rst), .s_valid(act_valid), .s_ready(ar3),
        .s_s(act_s), .s_amul(act_amul), .s_ash(act_ash), .m_valid(av3), .m_code(act_a3));
    xp_prog #(.CODE_BITS(4)) prog4 (.k(prog_k[3:0]), .fv(prog_fv), .z(prog_z),
        .s_prog(prog_sigma), .stuck(prog_stuck), .stuck_val(prog_stuck_val), .g(prog_g4));
    xp_prog #(.CODE_BITS(8)) prog8 (.k(prog_k), .fv(prog_fv), .z(prog_z),
        .s_prog(prog_sigma), .stuck(prog_stuck), .stuck_val(prog_stuck_val), .g(prog_g8));
    xp_prog #(.CODE_BITS(1)) prog1 (.k(prog_k[0]), .fv(prog_fv), .z(prog_z),
        .s_prog(prog_sigma), .stuck(prog_stuck), .stuck_val(prog_stuck_val), .g(prog_g1));

    // the other instances' valid and ready outputs equal adc_out_valid and adc_ready
    /* verilator lint_off UNUSEDSIGNAL */
    wire unused = v12 ^ v2 ^ r12 ^ r2 ^ av3 ^ ar3;
    /* verilator lint_on UNUSEDSIGNAL */
endmodule
`resetall
