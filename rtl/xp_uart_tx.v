`resetall
`timescale 1ns/1ps
`default_nettype none
/*
 * xp_uart_tx — 8N1 UART transmitter (the board's link to the host, docs/protocol.md §6).
 *
 * Purpose: sends each byte accepted on s_* as one 8N1 character on txd: a start bit (0), the
 * eight data bits LSB first, a stop bit (1); every bit lasts exactly CLKS_PER_BIT clock cycles,
 * and txd idles at 1 (from the first clock edge with rst high). A byte is accepted when
 * s_tvalid && s_tready; s_tready is high when the transmitter is idle and also in the last
 * clock cycle of a stop bit, so a continuous stream goes out back to back, one character per
 * 10 · CLKS_PER_BIT cycles with no idle time between characters. The start bit of an accepted
 * byte appears on txd the cycle after the handshake (txd is a register: no glitches). busy is
 * high while a character is on the line.
 *
 * Baud rate = f_clk / CLKS_PER_BIT, exactly:
 *     24 MHz, CLKS_PER_BIT = 8  → 3 Mbaud, 0 % error (the FT2232H's 3 Mbaud is also exact);
 *     12 MHz, CLKS_PER_BIT = 12 → 1 Mbaud, 0 % error.
 * The error is only that of the clock source (a crystal's ±50 ppm, or the PLL's reference);
 * xp_uart_rx tolerates about ±4 % (see there), so a 24 MHz PLL output derived from the 12 MHz
 * crystal is far inside the budget. CLKS_PER_BIT must be at least 4 (xp_uart_rx's bound).
 */
module xp_uart_tx #(
    parameter CLKS_PER_BIT = 8  // clock cycles per bit = f_clk / baud, >= 4 (8: 24 MHz → 3 Mbaud)
) (
    input  wire       clk,
    input  wire       rst,

    input  wire [7:0] s_tdata,   // byte to send
    input  wire       s_tvalid,
    output wire       s_tready,

    output wire       txd,       // serial output, idle high
    output wire       busy       // a character is being sent
);
    localparam CNT_W = $clog2(CLKS_PER_BIT);                  // clock counter width
    localparam [31:0] CNT_LAST32 = CLKS_PER_BIT - 1;          // last cycle of a bit
    localparam [CNT_W-1:0] CNT_LAST = CNT_LAST32[CNT_W-1:0];
    localparam [3:0] BIT_STOP = 4'd9;                         // bit index of the stop bit

    generate
        if (CLKS_PER_BIT < 4) begin : g_bad_param
            xp_uart_tx_CLKS_PER_BIT_must_be_at_least_4 invalid_parameter();
        end
    endgenerate

    reg             busy_reg, busy_next;
    reg             txd_reg, txd_next;
    reg [8:0]       shreg_reg, shreg_next;  // bits still to send after the current one
    reg [3:0]       bit_reg, bit_next;        // 0: start, 1 … 8: data, 9: stop
    reg [CNT_W-1:0] cnt_reg, cnt_next;  // clock cycle within the bit

    wire bit_end = cnt_reg == CNT_LAST;

    assign s_tready = !busy_reg || (bit_end && bit_reg == BIT_STOP);
    assign txd = txd_reg;
    assign busy = busy_reg;

    always @* begin
        busy_next = busy_reg;
        txd_next = txd_reg;
        shreg_next = shreg_reg;
        bit_next = bit_reg;
        cnt_next = cnt_reg;

        if (busy_reg) begin
            if (bit_end) begin
                cnt_next = {CNT_W{1'b0}};
                if (bit_reg == BIT_STOP) begin
                    busy_next = 1'b0;
                    txd_next = 1'b1;
                end else begin
                    txd_next = shreg_reg[0];
                    shreg_next = {1'b1, shreg_reg[8:1]};
                    bit_next = bit_reg + 4'd1;
                end
            end else begin
                cnt_next = cnt_reg + 1'b1;
            end
        end

        if (s_tvalid && s_tready) begin
            busy_next = 1'b1;
            txd_next = 1'b0;                 // start bit
            shreg_next = {1'b1, s_tdata};    // data LSB first, then the stop bit
            bit_next = 4'd0;
            cnt_next = {CNT_W{1'b0}};
        end
    end

    always @(posedge clk) begin
        if (rst) begin
            busy_reg <= 1'b0;
            txd_reg <= 1'b1;
            shreg_reg <= 9'h1ff;
            bit_reg <= 4'd0;
            cnt_reg <= {CNT_W{1'b0}};
        end else begin
            busy_reg <= busy_next;
            txd_reg <= txd_next;
            shreg_reg <= shreg_next;
            bit_reg <= bit_next;
            cnt_reg <= cnt_next;
        end
    end
endmodule
`resetall
