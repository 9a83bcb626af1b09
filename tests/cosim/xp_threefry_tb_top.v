`resetall
`timescale 1ns/1ps
`default_nettype none
/*
 * xp_threefry_tb_top — co-simulation wrapper (tests/cosim/tb_threefry.cpp): six xp_threefry
 * engines side by side, one per legal ROUNDS_PER_CYCLE (1, 2, 4, 5, 10, 20), each with its
 * own handshake and data (engine e uses bit e of the 1-bit signals and word e of the 32-bit
 * buses), and the combinational xp_gauss and four xp_scale instances (F = 0 and 3 at
 * SIGMA_W = 16 and 10), driven directly.
 */
module xp_threefry_tb_top #(
    parameter N_ENG = 6  // number of engines; engine e has ROUNDS_PER_CYCLE = word e of RPCS (at most 6)
) (
    input  wire                  clk,
    input  wire                  rst,
    // Threefry engines
    input  wire [N_ENG-1:0]      s_valid,
    output wire [N_ENG-1:0]      s_ready,
    input  wire [32*N_ENG-1:0]   s_k0,
    input  wire [32*N_ENG-1:0]   s_k1,
    input  wire [32*N_ENG-1:0]   s_c0,
    input  wire [32*N_ENG-1:0]   s_c1,
    output wire [N_ENG-1:0]      m_valid,
    input  wire [N_ENG-1:0]      m_ready,
    output wire [32*N_ENG-1:0]   m_x0,
    output wire [32*N_ENG-1:0]   m_x1,
    // gauss
    input  wire [31:0]           g_x0,
    input  wire [31:0]           g_x1,
    output wire signed [8:0]     g_z,
    // scale
    input  wire signed [8:0]     sc_z,
    input  wire [15:0]           sc_sigma,
    output wire signed [19:0]    sc_y0,     // F = 0, SIGMA_W = 16 (s_read)
    output wire signed [16:0]    sc_y3,     // F = 3, SIGMA_W = 16
    output wire signed [13:0]    sc_y0n,    // F = 0, SIGMA_W = 10 (s_var, s_gain): sigma[9:0]
    output wire signed [10:0]    sc_y3n     // F = 3, SIGMA_W = 10 (s_prog, s_off): sigma[9:0]
);
    localparam [32*6-1:0] RPCS = {32'd20, 32'd10, 32'd5, 32'd4, 32'd2, 32'd1};

    genvar e;
    generate
        for (e = 0; e < N_ENG; e = e + 1) begin : g_eng
            xp_threefry #(.ROUNDS_PER_CYCLE(RPCS[32*e +: 32])) u_tf (
                .clk(clk), .rst(rst),
                .s_valid(s_valid[e]), .s_ready(s_ready[e]),
                .s_k0(s_k0[32*e +: 32]), .s_k1(s_k1[32*e +: 32]),
                .s_c0(s_c0[32*e +: 32]), .s_c1(s_c1[32*e +: 32]),
                .m_valid(m_valid[e]), .m_ready(m_ready[e]),
                .m_x0(m_x0[32*e +: 32]), .m_x1(m_x1[32*e +: 32]));
        end
    endgenerate

    xp_gauss u_gauss (.x0(g_x0), .x1(g_x1), .z(g_z));

    xp_scale #(.F(0), .SIGMA_W(16)) u_scale0 (.z(sc_z), .sigma(sc_sigma), .y(sc_y0));
    xp_scale #(.F(3), .SIGMA_W(16)) u_scale3 (.z(sc_z), .sigma(sc_sigma), .y(sc_y3));
    xp_scale #(.F(0), .SIGMA_W(10)) u_scale0n (.z(sc_z), .sigma(sc_sigma[9:0]), .y(sc_y0n));
    xp_scale #(.F(3), .SIGMA_W(10)) u_scale3n (.z(sc_z), .sigma(sc_sigma[9:0]), .y(sc_y3n));
endmodule
`resetall
