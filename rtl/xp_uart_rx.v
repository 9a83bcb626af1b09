`resetall
`timescale 1ns/1ps
`default_nettype none
/*
 * xp_uart_rx — 8N1 UART receiver (the board's link from the host, docs/protocol.md §6).
 *
 * Purpose: turns 8N1 characters on the asynchronous input rxd into bytes on m_*. rxd passes a
 * two-flop synchroniser (rxd_meta, rxd_sync); a falling edge of the synchronised line (1 then
 * 0) starts a character. Every bit is sampled once, in its middle: the start bit
 * SAMPLE_DELAY = (CLKS_PER_BIT - 1) / 2 cycles after the edge was seen, then every
 * CLKS_PER_BIT cycles. A start bit that reads 1 there was a glitch: the receiver goes back to
 * idle. The stop bit is sampled in its middle too, and the receiver is idle again right after,
 * so a sender slightly faster than us is followed without losing the next start edge.
 *
 * Output: a received byte is held in m_tdata with m_tvalid high until m_tready (a one-byte
 * buffer; a consumer that is always ready may tie m_tready to 1). m_tvalid rises
 * SAMPLE_DELAY + 9 · CLKS_PER_BIT + 3 cycles after the start edge reaches rxd (78 cycles at
 * CLKS_PER_BIT = 8): two synchroniser cycles, the stop-bit sample, one output register.
 * Errors, each a one-cycle pulse, and the byte is dropped:
 *   frame_err — the stop bit was 0 (a framing error: bad baud rate, line noise, or a break).
 *               The receiver then waits for the line to go to 1 before it looks for the next
 *               start edge, so a break (rxd held low) is one error, not a stream of 00 bytes;
 *               a character that starts with no 1 after the bad stop bit is lost as well.
 *   overrun   — a byte was complete while m_tvalid was still high and m_tready low: the new
 *               byte is dropped, the held one stays.
 *
 * Baud tolerance (sender's bit time T = CLKS_PER_BIT · (1 + e) cycles; the synchroniser's
 * delay is the same for the edge and for the samples, so it cancels; the unknown phase of the
 * edge within a cycle costs one cycle): the stop-bit sample lands inside the stop bit for
 *     (SAMPLE_DELAY + 1 - CLKS_PER_BIT) / (10 · CLKS_PER_BIT) <= e <= SAMPLE_DELAY / (9 · CLKS_PER_BIT),
 *     CLKS_PER_BIT = 8  (24 MHz, 3 Mbaud): -5.0 % … +4.1 %;
 *     CLKS_PER_BIT = 12 (12 MHz, 1 Mbaud): -5.0 % … +4.6 %.
 * Both rates are exact divisions of the clock (0 % baud error of our own), so the whole budget
 * is left for the host's UART and the clocks' tolerances (crystals: ±50 ppm).
 */
module xp_uart_rx #(
    parameter CLKS_PER_BIT = 8  // clock cycles per bit = f_clk / baud, >= 4 (8: 24 MHz → 3 Mbaud)
) (
    input  wire       clk,
    input  wire       rst,

    input  wire       rxd,        // serial input (asynchronous), idle high

    output wire [7:0] m_tdata,    // received byte
    output wire       m_tvalid,
    input  wire       m_tready,

    output wire       frame_err,  // one-cycle pulse: stop bit was 0, byte dropped
    output wire       overrun,    // one-cycle pulse: byte dropped, m_* still held
    output wire       busy        // a character is being received
);
    localparam CNT_W = $clog2(CLKS_PER_BIT);                    // bit timer width
    localparam [31:0] CNT_RELOAD32 = CLKS_PER_BIT - 1;          // one bit time (down counter)
    localparam [31:0] CNT_FIRST32 = (CLKS_PER_BIT - 1) / 2 - 1; // SAMPLE_DELAY - 1: edge → start-bit sample
    localparam [CNT_W-1:0] CNT_RELOAD = CNT_RELOAD32[CNT_W-1:0];
    localparam [CNT_W-1:0] CNT_FIRST = CNT_FIRST32[CNT_W-1:0];
    localparam [3:0] BIT_STOP = 4'd9;                           // bit index of the stop bit

    generate
        if (CLKS_PER_BIT < 4) begin : g_bad_param
            xp_uart_rx_CLKS_PER_BIT_must_be_at_least_4 invalid_parameter();
        end
    endgenerate

    // synchroniser and edge detector: registered every cycle, reset to idle (1)
    reg             rxd_meta_reg, rxd_sync_reg, rxd_prev_reg;

    reg             busy_reg, busy_next;
    reg [3:0]       bit_reg, bit_next;       // 0: start, 1 … 8: data, 9: stop
    reg [CNT_W-1:0] cnt_reg, cnt_next;       // cycles to the next sample
    reg [7:0]       shreg_reg, shreg_next;   // data bits, LSB first (shifted in from the top)
    reg [7:0]       m_tdata_reg, m_tdata_next;
    reg             m_tvalid_reg, m_tvalid_next;
    reg             frame_err_reg, frame_err_next;
    reg             overrun_reg, overrun_next;

    assign m_tdata = m_tdata_reg;
    assign m_tvalid = m_tvalid_reg;
    assign frame_err = frame_err_reg;
    assign overrun = overrun_reg;
    assign busy = busy_reg;

    always @* begin
        busy_next = busy_reg;
        bit_next = bit_reg;
        cnt_next = cnt_reg;
        shreg_next = shreg_reg;
        m_tdata_next = m_tdata_reg;
        m_tvalid_next = m_tvalid_reg && !m_tready;
        frame_err_next = 1'b0;
        overrun_next = 1'b0;

        if (!busy_reg) begin
            if (rxd_prev_reg && !rxd_sync_reg) begin  // falling edge: a start bit
                busy_next = 1'b1;
                bit_next = 4'd0;
                cnt_next = CNT_FIRST;
            end
        end else if (cnt_reg != {CNT_W{1'b0}}) begin
            cnt_next = cnt_reg - 1'b1;
        end else begin                                // the middle of bit bit_reg
            cnt_next = CNT_RELOAD;
            bit_next = bit_reg + 4'd1;
            if (bit_reg == 4'd0) begin
                if (rxd_sync_reg)
                    busy_next = 1'b0;                 // glitch, not a start bit
            end else if (bit_reg != BIT_STOP) begin
                shreg_next = {rxd_sync_reg, shreg_reg[7:1]};
            end else begin
                busy_next = 1'b0;
                if (!rxd_sync_reg) begin
                    frame_err_next = 1'b1;
                end else if (m_tvalid_reg && !m_tready) begin
                    overrun_next = 1'b1;
                end else begin
                    m_tdata_next = shreg_reg;
                    m_tvalid_next = 1'b1;
                end
            end
        end
    end

    always @(posedge clk) begin
        if (rst) begin
            rxd_meta_reg <= 1'b1;
            rxd_sync_reg <= 1'b1;
            rxd_prev_reg <= 1'b1;
            busy_reg <= 1'b0;
            bit_reg <= 4'd0;
            cnt_reg <= {CNT_W{1'b0}};
            shreg_reg <= 8'd0;
            m_tdata_reg <= 8'd0;
            m_tvalid_reg <= 1'b0;
            frame_err_reg <= 1'b0;
            overrun_reg <= 1'b0;
        end else begin
            rxd_meta_reg <= rxd;
            rxd_sync_reg <= rxd_meta_reg;
            rxd_prev_reg <= rxd_sync_reg;
            busy_reg <= busy_next;
            bit_reg <= bit_next;
            cnt_reg <= cnt_next;
            shreg_reg <= shreg_next;
            m_tdata_reg <= m_tdata_next;
            m_tvalid_reg <= m_tvalid_next;
            frame_err_reg <= frame_err_next;
            overrun_reg <= overrun_next;
        end
    end
endmodule
`resetall
