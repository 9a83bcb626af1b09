`resetall
`timescale 1ns/1ps
`default_nettype none
/*
 * xp_board_uart — the board behind UART pins: xp_uart_rx → receive FIFO → xp_board →
 * xp_uart_tx (technology-independent; the board tops of the FPGA issue add the PLL, the reset
 * synchroniser and the LEDs).
 *
 * Purpose: the whole path a real board's bytes take, 8N1 at CLKS_PER_BIT clock cycles a bit
 * (protocol §6). The receive FIFO (RX_FIFO bytes, a power of two) takes the bytes that arrive
 * while the board is still busy with the frame before — a host that follows the protocol's
 * stop-and-wait never needs it, but garbage and resynchronisation do; on the transmit side the
 * frame encoder's ring buffer holds the reply while the UART sends it. rx_overrun pulses when a
 * byte was lost because the FIFO was full, rx_frame_err on a bad stop bit (the byte is dropped,
 * as a line error would drop it on a real board).
 */
module xp_board_uart #(
    parameter ROWS = 128,
    parameter COLS = 64,
    parameter TILES = 8,
    parameter MAX_REQUEST = 1024,
    parameter MAX_REPLY = 1024,
    parameter MAX_BATCH = 16,
    parameter MAX_WIDTH = 4096,         // widest layer (INFO max_width): the input buffers' size
    parameter [31:0] BOOT_ID = 32'd0,
    parameter [31:0] BUILD_HASH = 32'd0, // INFO build_hash (the bitstream's commit)
    parameter integer MACS_PER_CYCLE = 8,
    parameter integer SERIAL_MAC = 0,   // 1: a cell's product a bit a cycle (xp_board)
    parameter integer STREAM_RUN = 1,   // 1: RUN's first layer runs while the request arrives
    parameter CLKS_PER_BIT = 8,         // f_clk / baud, ≥ 4 (8: 24 MHz → 3 Mbaud)
    parameter RX_FIFO = 512             // receive FIFO bytes, a power of two
) (
    input  wire        clk,
    input  wire        rst,
    input  wire [63:0] dseed,
    input  wire [16:0] p_sa0,
    input  wire [16:0] p_samax,
    input  wire [9:0]  s_var,
    input  wire [9:0]  s_prog,
    input  wire [15:0] s_read,
    input  wire [9:0]  s_gain,
    input  wire [9:0]  s_off,
    input  wire        rxd,             // from the host (idle high)
    output wire        txd,             // to the host (idle high)
    output wire        idle,            // the board waits for the host, nothing to send
    output wire        rx_overrun,
    output wire        rx_frame_err
);
    localparam FA = $clog2(RX_FIFO);

    // ---- receive: UART, then the FIFO ----
    wire [7:0] u_tdata;
    wire       u_tvalid;
    /* verilator lint_off UNUSEDSIGNAL */
    wire       u_overrun, u_busy, t_busy;
    /* verilator lint_on UNUSEDSIGNAL */
    xp_uart_rx #(.CLKS_PER_BIT(CLKS_PER_BIT)) urx (
        .clk(clk), .rst(rst), .rxd(rxd),
        .m_tdata(u_tdata), .m_tvalid(u_tvalid), .m_tready(1'b1),
        .frame_err(rx_frame_err), .overrun(u_overrun), .busy(u_busy)
    );

    // The FIFO memory has one write port and one registered read port (block RAM: one
    // SB_RAM40_4K for 512 bytes); its output register is the byte offered to the board.
    reg  [7:0]  fifo [0:RX_FIFO-1];
    reg  [FA:0] f_wr, f_rd;            // one bit more than the address: full vs empty
    reg  [7:0]  f_q;                   // the byte read: offered to the board while f_qv
    reg         f_qv;
    wire        f_empty = f_wr == f_rd;
    wire        f_full = f_wr == {~f_rd[FA], f_rd[FA-1:0]};
    wire        b_tready;
    wire        f_take = f_qv && b_tready;              // the board takes the offered byte
    wire        f_read = !f_empty && (!f_qv || f_take); // read the next one into f_q
    reg         ovr;
    always @(posedge clk) begin
        ovr <= 1'b0;
        if (u_tvalid) begin
            if (!f_full) begin
                fifo[f_wr[FA-1:0]] <= u_tdata;
                f_wr <= f_wr + 1'b1;
            end else begin
                ovr <= 1'b1;
            end
        end
        if (f_read) begin
            f_q <= fifo[f_rd[FA-1:0]];
            f_rd <= f_rd + 1'b1;
        end
        if (f_read)
            f_qv <= 1'b1;
        else if (f_take)
            f_qv <= 1'b0;
        if (rst) begin
            f_wr <= 0;
            f_rd <= 0;
            f_qv <= 1'b0;
            ovr <= 1'b0;
        end
    end
    assign rx_overrun = ovr;

    // ---- the board ----
    wire [7:0] b_mdata;
    wire       b_mvalid, b_mready, b_idle;
    xp_board #(.ROWS(ROWS), .COLS(COLS), .TILES(TILES), .MAX_REQUEST(MAX_REQUEST),
               .MAX_REPLY(MAX_REPLY), .MAX_BATCH(MAX_BATCH), .MAX_WIDTH(MAX_WIDTH),
               .BOOT_ID(BOOT_ID),
               .BUILD_HASH(BUILD_HASH), .MACS_PER_CYCLE(MACS_PER_CYCLE),
               .SERIAL_MAC(SERIAL_MAC), .STREAM_RUN(STREAM_RUN)) board (
        .clk(clk), .rst(rst), .dseed(dseed), .p_sa0(p_sa0), .p_samax(p_samax), .s_var(s_var),
        .s_prog(s_prog), .s_read(s_read), .s_gain(s_gain), .s_off(s_off),
        .s_tdata(f_q), .s_tvalid(f_qv), .s_tready(b_tready),
        .m_tdata(b_mdata), .m_tvalid(b_mvalid), .m_tready(b_mready), .idle(b_idle)
    );

    // ---- transmit ----
    xp_uart_tx #(.CLKS_PER_BIT(CLKS_PER_BIT)) utx (
        .clk(clk), .rst(rst), .s_tdata(b_mdata), .s_tvalid(b_mvalid), .s_tready(b_mready),
        .txd(txd), .busy(t_busy)
    );

    assign idle = b_idle && f_empty && !f_qv && !u_busy && !t_busy;
endmodule
`resetall
