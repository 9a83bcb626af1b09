`resetall
`timescale 1ns/1ps
`default_nettype none
/*
 * xp_framing_tb_top — Verilator top of tests/cosim/tb_framing.cpp (not synthesised).
 *
 * Purpose: instantiates the framing units side by side so that the harness exercises them in
 * the same clock cycles, each with its own stimulus:
 *   crc_*  — xp_crc32c;
 *   enc_*  — xp_cobs_tx with its default 512-byte ring (RING_AW = 9);
 *   enc8_* — xp_cobs_tx with a 256-byte ring (RING_AW = 8);
 *   dec_*  — xp_cobs_rx (MAX_LEN = 65542, the reference max_request + 6);
 *   lb_*   — a loopback chain at full bit timing: body → xp_cobs_tx → xp_uart_tx → line →
 *            xp_uart_rx → xp_cobs_rx. lb_tx_hold pauses the hand-over from the encoder to the
 *            transmitter; lb_force_low pulls the line low (to corrupt a stop bit);
 *   urx_*  — an xp_uart_rx fed straight from the harness (baud error, glitches, framing
 *            errors, backpressure).
 * Both UARTs use CLKS_PER_BIT = UART_CLKS (8: 24 MHz, 3 Mbaud).
 */
module xp_framing_tb_top #(
    parameter UART_CLKS = 8  // clock cycles per UART bit
) (
    input  wire        clk,
    input  wire        rst,

    input  wire        crc_clear,
    input  wire [7:0]  crc_tdata,
    input  wire        crc_tvalid,
    output wire [31:0] crc_out,

    input  wire [7:0]  enc_s_tdata,
    input  wire        enc_s_tkeep,
    input  wire        enc_s_tvalid,
    output wire        enc_s_tready,
    input  wire        enc_s_tlast,
    output wire [7:0]  enc_m_tdata,
    output wire        enc_m_tvalid,
    input  wire        enc_m_tready,
    output wire        enc_m_tlast,

    input  wire [7:0]  enc8_s_tdata,
    input  wire        enc8_s_tkeep,
    input  wire        enc8_s_tvalid,
    output wire        enc8_s_tready,
    input  wire        enc8_s_tlast,
    output wire [7:0]  enc8_m_tdata,
    output wire        enc8_m_tvalid,
    input  wire        enc8_m_tready,
    output wire        enc8_m_tlast,

    input  wire [7:0]  dec_s_tdata,
    input  wire        dec_s_tvalid,
    output wire        dec_s_tready,
    output wire [7:0]  dec_m_tdata,
    output wire        dec_m_tvalid,
    input  wire        dec_m_tready,
    output wire        dec_frame_end,
    output wire        dec_frame_incomplete,
    output wire [16:0] dec_frame_len,

    input  wire [7:0]  lb_s_tdata,
    input  wire        lb_s_tkeep,
    input  wire        lb_s_tvalid,
    output wire        lb_s_tready,
    input  wire        lb_s_tlast,
    input  wire        lb_tx_hold,
    input  wire        lb_force_low,
    output wire        lb_txd,
    output wire [7:0]  lb_tx_tdata,    // byte offered to the transmitter ...
    output wire        lb_tx_tvalid,   // ... this cycle
    output wire        lb_tx_fire,     // ... and taken
    output wire [7:0]  lb_rx_tdata,    // byte handed from the receiver to the decoder ...
    output wire        lb_rx_fire,     // ... this cycle
    output wire        lb_rx_frame_err,
    output wire        lb_rx_overrun,
    output wire [7:0]  lb_dec_tdata,
    output wire        lb_dec_tvalid,
    output wire        lb_dec_frame_end,
    output wire        lb_dec_frame_incomplete,
    output wire [16:0] lb_dec_frame_len,

    input  wire        urx_rxd,
    output wire [7:0]  urx_tdata,
    output wire        urx_tvalid,
    input  wire        urx_tready,
    output wire        urx_frame_err,
    output wire        urx_overrun,
    output wire        urx_busy
);
    xp_crc32c u_crc (
        .clk(clk), .rst(rst),
        .clear(crc_clear), .s_tdata(crc_tdata), .s_tvalid(crc_tvalid),
        .crc(crc_out)
    );

    xp_cobs_tx #(.RING_AW(9)) u_enc (
        .clk(clk), .rst(rst),
        .s_tdata(enc_s_tdata), .s_tkeep(enc_s_tkeep), .s_tvalid(enc_s_tvalid),
        .s_tready(enc_s_tready), .s_tlast(enc_s_tlast),
        .m_tdata(enc_m_tdata), .m_tvalid(enc_m_tvalid), .m_tready(enc_m_tready),
        .m_tlast(enc_m_tlast)
    );

    xp_cobs_tx #(.RING_AW(8)) u_enc8 (
        .clk(clk), .rst(rst),
        .s_tdata(enc8_s_tdata), .s_tkeep(enc8_s_tkeep), .s_tvalid(enc8_s_tvalid),
        .s_tready(enc8_s_tready), .s_tlast(enc8_s_tlast),
        .m_tdata(enc8_m_tdata), .m_tvalid(enc8_m_tvalid), .m_tready(enc8_m_tready),
        .m_tlast(enc8_m_tlast)
    );

    xp_cobs_rx #(.MAX_LEN(32'd65542)) u_dec (
        .clk(clk), .rst(rst),
        .s_tdata(dec_s_tdata), .s_tvalid(dec_s_tvalid), .s_tready(dec_s_tready),
        .m_tdata(dec_m_tdata), .m_tvalid(dec_m_tvalid), .m_tready(dec_m_tready),
        .frame_end(dec_frame_end), .frame_incomplete(dec_frame_incomplete),
        .frame_len(dec_frame_len)
    );

    // ---- loopback chain ----
    wire [7:0] lbe_tdata;
    wire       lbe_tvalid, lbe_tready;
    wire       utx_tready;
    wire       txd;
    wire [7:0] urx_lb_tdata;
    wire       urx_lb_tvalid, urx_lb_tready;

    /* verilator lint_off PINCONNECTEMPTY */
    xp_cobs_tx u_lb_enc (
        .clk(clk), .rst(rst),
        .s_tdata(lb_s_tdata), .s_tkeep(lb_s_tkeep), .s_tvalid(lb_s_tvalid),
        .s_tready(lb_s_tready), .s_tlast(lb_s_tlast),
        .m_tdata(lbe_tdata), .m_tvalid(lbe_tvalid), .m_tready(lbe_tready), .m_tlast()
    );

    assign lbe_tready = utx_tready && !lb_tx_hold;

    xp_uart_tx #(.CLKS_PER_BIT(UART_CLKS)) u_lb_utx (
        .clk(clk), .rst(rst),
        .s_tdata(lbe_tdata), .s_tvalid(lbe_tvalid && !lb_tx_hold), .s_tready(utx_tready),
        .txd(txd), .busy()
    );

    xp_uart_rx #(.CLKS_PER_BIT(UART_CLKS)) u_lb_urx (
        .clk(clk), .rst(rst),
        .rxd(txd && !lb_force_low),
        .m_tdata(urx_lb_tdata), .m_tvalid(urx_lb_tvalid), .m_tready(urx_lb_tready),
        .frame_err(lb_rx_frame_err), .overrun(lb_rx_overrun), .busy()
    );

    xp_cobs_rx #(.MAX_LEN(32'd65542)) u_lb_dec (
        .clk(clk), .rst(rst),
        .s_tdata(urx_lb_tdata), .s_tvalid(urx_lb_tvalid), .s_tready(urx_lb_tready),
        .m_tdata(lb_dec_tdata), .m_tvalid(lb_dec_tvalid), .m_tready(1'b1),
        .frame_end(lb_dec_frame_end), .frame_incomplete(lb_dec_frame_incomplete),
        .frame_len(lb_dec_frame_len)
    );
    /* verilator lint_on PINCONNECTEMPTY */

    assign lb_txd = txd;
    assign lb_tx_tdata = lbe_tdata;
    assign lb_tx_tvalid = lbe_tvalid && !lb_tx_hold;
    assign lb_tx_fire = lbe_tvalid && lbe_tready;
    assign lb_rx_tdata = urx_lb_tdata;
    assign lb_rx_fire = urx_lb_tvalid && urx_lb_tready;

    // ---- stand-alone receiver ----
    xp_uart_rx #(.CLKS_PER_BIT(UART_CLKS)) u_urx (
        .clk(clk), .rst(rst),
        .rxd(urx_rxd),
        .m_tdata(urx_tdata), .m_tvalid(urx_tvalid), .m_tready(urx_tready),
        .frame_err(urx_frame_err), .overrun(urx_overrun), .busy(urx_busy)
    );
endmodule
`resetall
