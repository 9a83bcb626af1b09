`resetall
`timescale 1ns/1ps
`default_nettype none
/*
 * xp_leds — status LEDs of a board top: heartbeat, link activity, error.
 *
 * Purpose: heartbeat toggles every 2^(HEARTBEAT_BITS-1) cycles (the clock runs and the board is
 * out of reset); activity stays lit for 2^STRETCH_BITS to 2^(STRETCH_BITS+1) cycles after the
 * last edge on rxd or txd (a UART bit is far too short to see); error is sticky from an err
 * pulse until clear. Outputs are active high; a top inverts them for active-low LEDs. The
 * asynchronous rxd is synchronised here.
 *
 * One counter serves both timings: the activity LED goes dark at the second time bit
 * STRETCH_BITS-1 of the heartbeat counter falls after the last edge (a stretch counter of its
 * own cost about 40 logic cells more).
 */
module xp_leds #(
    parameter HEARTBEAT_BITS = 24,  // toggle period in cycles, as a power of two
    parameter STRETCH_BITS = 20     // activity pulse length in cycles, as a power of two
                                    // (at most HEARTBEAT_BITS)
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
    reg hb_m = 1'b0;                // hb[STRETCH_BITS-1] a cycle ago
    reg act_on = 1'b0, act_half = 1'b0;
    reg [2:0] rx_s = 3'b111;
    reg tx_d = 1'b1, err_r = 1'b0;
    wire tick = hb_m && !hb[STRETCH_BITS-1];   // every 2^STRETCH_BITS cycles
    always @(posedge clk) begin
        rx_s <= {rx_s[1:0], rxd};
        tx_d <= txd;
        hb <= hb + 1'b1;
        hb_m <= hb[STRETCH_BITS-1];
        if ((rx_s[2] ^ rx_s[1]) || (tx_d ^ txd)) begin
            act_on <= 1'b1;
            act_half <= 1'b0;
        end else if (tick) begin
            if (act_half)
                act_on <= 1'b0;
            act_half <= 1'b1;
        end
        if (err)
            err_r <= 1'b1;
        else if (clear)
            err_r <= 1'b0;
        if (rst) begin
            hb <= 0;
            hb_m <= 1'b0;
            act_on <= 1'b0;
        end
    end
    assign heartbeat = !rst && hb[HEARTBEAT_BITS-1];
    assign activity = act_on;
    assign error = err_r;
    generate
        if (STRETCH_BITS < 1 || STRETCH_BITS > HEARTBEAT_BITS) begin : g_bad
            initial $error("xp_leds: STRETCH_BITS must be 1 … HEARTBEAT_BITS");
        end
    endgenerate
endmodule
`resetall
