`resetall
`timescale 1ns/1ps
`default_nettype none
/*
 * xp_top_hx8k — the xpnn board on an iCE40-HX8K breakout board (iCE40HX8K-CT256),
 * constraints/hx8k.pcf.
 *
 * Purpose: the pins around xp_board_uart on the second, smaller target. The HX8K has neither
 * SPRAM nor DSPs: the conductances live in block RAM, so the board has fewer cells than the
 * iCEBreaker (its INFO says how many; xpnn compile and load refuse a network that does not
 * fit), and the few multipliers left are built from logic; a cell's product is formed a bit
 * of x a cycle (SERIAL_MAC = 1: 2 … 9 cycles a cell instead of a LUT multiplier, part of what
 * fitting the device took: docs/boards.md). It runs straight from the 12 MHz oscillator
 * (J3) at 1 Mbaud (CLKS_PER_BIT = 12, 0 % error). Reset: synchronous release RST_CYCLES cycles
 * after configuration. LEDs (active high): D2 heartbeat, D3 link activity, D4 error seen (a bad
 * stop bit or a receive FIFO overrun; sticky until reconfiguration), D5 out of reset.
 */
module xp_top_hx8k #(
    parameter ROWS = 64,
    parameter COLS = 32,
    parameter TILES = 2,
    parameter MAX_REQUEST = 256,
    parameter MAX_REPLY = 256,
    parameter MAX_BATCH = 4,
    parameter MAX_WIDTH = 128,         // widest layer (INFO max_width): T·R, what 2 tiles hold
    parameter MACS_PER_CYCLE = 1,
    parameter SERIAL_MAC = 1,          // the product a bit of x a cycle: no DSPs, no LUT multiplier
    parameter STREAM_RUN = 1,          // RUN's first layer while the request arrives (as every
                                       // other build; it fits since the fifth area pass)
    parameter CLKS_PER_BIT = 12,       // 12 MHz / 12 = 1 Mbaud
    parameter [31:0] BUILD_HASH = 32'd0,
    parameter HEARTBEAT_BITS = 23,      // heartbeat LED period: 2^HEARTBEAT_BITS cycles
    parameter STRETCH_BITS = 19,  // activity LED: lit 2^this … 2^(this+1) cycles after an edge
    parameter RST_CYCLES = 16
) (
    input  wire       clk_12m,
    input  wire       rxd,
    output wire       txd,
    output wire [7:0] led
);
    wire clk = clk_12m;
    localparam RB = $clog2(RST_CYCLES + 1);
    reg [RB-1:0] rst_cnt = 0;   // iCE40 flip-flops power up as their init value
    reg rst = 1'b1;
    always @(posedge clk) begin
        if (rst_cnt != RST_CYCLES[RB-1:0])
            rst_cnt <= rst_cnt + 1'b1;
        rst <= rst_cnt != RST_CYCLES[RB-1:0];
    end

    wire hb, act, err;
    xp_board_fpga #(
        .ROWS(ROWS), .COLS(COLS), .TILES(TILES), .MAX_REQUEST(MAX_REQUEST),
        .MAX_REPLY(MAX_REPLY), .MAX_BATCH(MAX_BATCH), .MAX_WIDTH(MAX_WIDTH),
        .MACS_PER_CYCLE(MACS_PER_CYCLE), .SERIAL_MAC(SERIAL_MAC), .STREAM_RUN(STREAM_RUN),
        .CLKS_PER_BIT(CLKS_PER_BIT), .BUILD_HASH(BUILD_HASH),
        .HEARTBEAT_BITS(HEARTBEAT_BITS), .STRETCH_BITS(STRETCH_BITS)
    ) board (
        .clk(clk), .rst(rst), .rxd(rxd), .txd(txd), .led_clear(1'b0),
        .heartbeat(hb), .activity(act), .error(err)
    );
    assign led = {4'd0, !rst, err, act, hb};
endmodule
`resetall
