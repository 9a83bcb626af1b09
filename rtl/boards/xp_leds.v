`resetall
`timescale 1ns/1ps
`default_nettype none
/*
 * xp_leds — status LEDs of a board top: heartbeat, link activity, error.
 *
 * Purpose: heartbeat toggles every 2^HEARTBEAT_BITS cycles (the clock runs and the board is out
 * of reset); activity lights for 2^STRETCH_BITS cycles after any edge on rxd or txd (a UART bit
 * is far too short to see); error is sticky from an err pulse until clear. Outputs are active
 * high; a top inverts them for active-low LEDs. The asynchronous rxd is synchronised here.
 */
module xp_leds #(
    parameter HEARTBEAT_BITS = 24,  // toggle period in cycles, as a power of two
    parameter STRETCH_BITS = 20     // activity pulse length in cycles, as a power of two
) (
    input  wire clk,
    input  wire rst,
    input  wire rxd,        // asynchronous
    input  wire txd,        // from this clock domain
    input  wire err,        // one-cycle error pulses
    input  wire clear,      // clears the error LED
    output wire heartbeat,
    output wire activity,
    output wire error
);
    reg [HEARTBEAT_BITS-1:0] hb = 0;
    reg [STRETCH_BITS:0] act = 0;   // top bit set: idle
    reg [2:0] rx_s = 3'b111;
    reg tx_d = 1'b1, err_r = 1'b0;
    always @(posedge clk) begin
        rx_s <= {rx_s[1:0], rxd};
        tx_d <= txd;
        hb <= hb + 1'b1;
        if ((rx_s[2] ^ rx_s[1]) || (tx_d ^ txd))
            act <= 0;
        else if (!act[STRETCH_BITS])
            act <= act + 1'b1;
        if (err)
            err_r <= 1'b1;
        else if (clear)
            err_r <= 1'b0;
        if (rst) begin
            hb <= 0;
            act <= {1'b1, {STRETCH_BITS{1'b0}}};
        end
    end
    assign heartbeat = !rst && hb[HEARTBEAT_BITS-1];
    assign activity = !act[STRETCH_BITS];
    assign error = err_r;
endmodule
`resetall
