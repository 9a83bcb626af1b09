`resetall
`timescale 1ns/1ps
`default_nettype none
/*
 * xp_top_icebreaker — the xpnn board on an iCEBreaker (iCE40UP5K-SG48), constraints/icebreaker.pcf.
 *
 * Purpose: the pins around xp_board_uart. The 12 MHz oscillator (pin 35) drives the PLL
 * (SB_PLL40_PAD, 12 → CLK_MHZ MHz); the UART on the FT2232H's channel B runs 8N1 at
 * CLK_MHZ / CLKS_PER_BIT Mbaud (24 / 8 = 3 Mbaud, 0 % error: the FT2232H divides its 120 MHz
 * by 40 for 3 Mbaud). The board is held in reset until the PLL has locked and while the user
 * button is pressed; the reset is released synchronously (RST_CYCLES cycles after the last
 * reason). LEDs: green = heartbeat (about 1.4 Hz), PMOD2 LED1 = link activity (any UART edge,
 * stretched to 44 … 87 ms), red = an error was seen on the line (a bad stop bit or a receive FIFO
 * overrun; cleared by the button).
 *
 * The board itself is xp_board_fpga (the default device model, the LED logic). The geometry
 * and limits are parameters: the Makefile sets them per board (make bitstream, docs/boards.md).
 */
module xp_top_icebreaker #(
    parameter ROWS = 128,              // tile geometry (INFO)
    parameter COLS = 64,
    parameter TILES = 8,
    parameter MAX_REQUEST = 1024,      // request payload bytes (INFO max_request)
    parameter MAX_REPLY = 1024,
    parameter MAX_BATCH = 16,
    parameter MAX_WIDTH = 1024,        // widest layer (INFO max_width): 4 EBR of layer inputs
    parameter MACS_PER_CYCLE = 4,      // cells a cycle: 4 SPRAMs of 16-bit {G+, G-} words
    parameter CLKS_PER_BIT = 8,        // 24 MHz / 8 = 3 Mbaud
    parameter [31:0] BUILD_HASH = 32'd0,
    parameter HEARTBEAT_BITS = 24,      // heartbeat LED period: 2^HEARTBEAT_BITS cycles
    parameter STRETCH_BITS = 20,  // activity LED: lit 2^this … 2^(this+1) cycles after an edge
    parameter RST_CYCLES = 16          // reset held this long after lock / the button
) (
    input  wire clk_12m,
    input  wire rxd,
    output wire txd,
    input  wire btn_n,
    output wire ledg_n,
    output wire ledr_n,
    output wire led_act
);
    // ---- clock: 12 MHz → 24 MHz (icepll -i 12 -o 24: DIVR 0, DIVF 63, DIVQ 5) ----
    wire clk, locked;
`ifdef XP_NO_PLL
    assign clk = clk_12m;
    assign locked = 1'b1;
`else
    SB_PLL40_PAD #(
        .FEEDBACK_PATH("SIMPLE"),
        .DIVR(4'd0), .DIVF(7'd63), .DIVQ(3'd5), .FILTER_RANGE(3'd1)
    ) pll (
        .PACKAGEPIN(clk_12m), .PLLOUTGLOBAL(clk), .LOCK(locked),
        .RESETB(1'b1), .BYPASS(1'b0)
    );
`endif

    // ---- reset: asynchronous assertion (no lock, button), synchronous release ----
    reg [1:0] btn_s = 2'b11;
    reg [$clog2(RST_CYCLES+1)-1:0] rst_cnt = 0;
    reg rst = 1'b1;
    always @(posedge clk or negedge locked) begin
        if (!locked) begin
            btn_s <= 2'b11;
            rst_cnt <= 0;
            rst <= 1'b1;
        end else begin
            btn_s <= {btn_s[0], btn_n};
            if (!btn_s[1]) begin
                rst_cnt <= 0;
                rst <= 1'b1;
            end else if (rst_cnt != RST_CYCLES[$clog2(RST_CYCLES+1)-1:0]) begin
                rst_cnt <= rst_cnt + 1'b1;
                rst <= 1'b1;
            end else begin
                rst <= 1'b0;
            end
        end
    end

    // ---- the board and the LEDs (active low on this board) ----
    wire hb, err;
    xp_board_fpga #(
        .ROWS(ROWS), .COLS(COLS), .TILES(TILES), .MAX_REQUEST(MAX_REQUEST),
        .MAX_REPLY(MAX_REPLY), .MAX_BATCH(MAX_BATCH), .MAX_WIDTH(MAX_WIDTH),
        .MACS_PER_CYCLE(MACS_PER_CYCLE),
        .CLKS_PER_BIT(CLKS_PER_BIT), .BUILD_HASH(BUILD_HASH),
        .HEARTBEAT_BITS(HEARTBEAT_BITS), .STRETCH_BITS(STRETCH_BITS)
    ) board (
        .clk(clk), .rst(rst), .rxd(rxd), .txd(txd), .led_clear(!btn_s[1]),
        .heartbeat(hb), .activity(led_act), .error(err)
    );
    assign ledg_n = !hb;
    assign ledr_n = !err;
endmodule
`resetall
