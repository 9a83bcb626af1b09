`resetall
`timescale 1ns/1ps
`default_nettype none
/*
 * xp_board_fpga — what every FPGA board top shares: xp_board_uart with the default device
 * model and the status LEDs (xp_leds).
 *
 * Purpose: a board top (xp_top_<board>.v) makes the clock and the reset and maps the pins; this
 * module is the rest. The device model's constants are xp_params_default()'s (cmodel/xp_chip.c,
 * device seed 1), so that a board answers as `--port model` does for the same limits. err
 * pulses light the error LED on a bad stop bit or a receive FIFO overrun, until led_clear.
 */
module xp_board_fpga #(
    parameter ROWS = 128,              // tile geometry (INFO)
    parameter COLS = 64,
    parameter TILES = 8,
    parameter MAX_REQUEST = 1024,      // frame limits (INFO)
    parameter MAX_REPLY = 1024,
    parameter MAX_BATCH = 16,
    parameter MAX_WIDTH = 1024,        // widest layer (INFO max_width): the input buffers' size
    parameter MACS_PER_CYCLE = 4,      // cells a cycle
    parameter SERIAL_MAC = 0,          // 1: a cell's product a bit a cycle (no multiplier)
    parameter STREAM_RUN = 1,          // 1: RUN's first layer runs while the request arrives
    parameter CLKS_PER_BIT = 8,        // f_clk / baud
    parameter [31:0] BUILD_HASH = 32'd0,
    parameter HEARTBEAT_BITS = 24,     // LED timings, as powers of two of the clock period
    parameter STRETCH_BITS = 20
) (
    input  wire clk,
    input  wire rst,
    input  wire rxd,
    output wire txd,
    input  wire led_clear,
    output wire heartbeat,
    output wire activity,
    output wire error
);
    wire idle, rx_overrun, rx_frame_err;
    /* verilator lint_off UNUSEDSIGNAL */
    wire idle_unused = idle;
    /* verilator lint_on UNUSEDSIGNAL */
    xp_board_uart #(
        .ROWS(ROWS), .COLS(COLS), .TILES(TILES), .MAX_REQUEST(MAX_REQUEST),
        .MAX_REPLY(MAX_REPLY), .MAX_BATCH(MAX_BATCH), .MAX_WIDTH(MAX_WIDTH), .BUILD_HASH(BUILD_HASH),
        .MACS_PER_CYCLE(MACS_PER_CYCLE), .SERIAL_MAC(SERIAL_MAC), .STREAM_RUN(STREAM_RUN),
        .CLKS_PER_BIT(CLKS_PER_BIT)
    ) board (
        .clk(clk), .rst(rst),
        .dseed(64'd1), .p_sa0(17'd655), .p_samax(17'd328), .s_var(10'd51), .s_prog(10'd32),
        .s_read(16'd512), .s_gain(10'd31), .s_off(10'd8),
        .rxd(rxd), .txd(txd), .idle(idle), .rx_overrun(rx_overrun), .rx_frame_err(rx_frame_err)
    );
    xp_leds #(.HEARTBEAT_BITS(HEARTBEAT_BITS), .STRETCH_BITS(STRETCH_BITS)) leds (
        .clk(clk), .rst(rst), .rxd(rxd), .txd(txd), .err(rx_overrun | rx_frame_err),
        .clear(led_clear), .heartbeat(heartbeat), .activity(activity), .error(error)
    );
endmodule
`resetall
