// txoe_top: transmit offload engine top level: register block, TX engine, IPv4 ID and
// IPv6 fragment ID counters, completion writer with its coalescer
// (docs/microarchitecture.md).
`resetall
`timescale 1ns / 1ps
`default_nettype none

module txoe_top #(
  parameter int unsigned DATA_W   = 64,
  parameter int unsigned NUM_CONN = 16
) (
  input  wire                   clk,
  input  wire                   rst,

  input  wire                   s_axil_awvalid,
  output logic                  s_axil_awready,
  input  wire  [15:0]           s_axil_awaddr,
  input  wire                   s_axil_wvalid,
  output logic                  s_axil_wready,
  input  wire  [31:0]           s_axil_wdata,
  input  wire  [3:0]            s_axil_wstrb,
  output logic                  s_axil_bvalid,
  input  wire                   s_axil_bready,
  output logic [1:0]            s_axil_bresp,
  input  wire                   s_axil_arvalid,
  output logic                  s_axil_arready,
  input  wire  [15:0]           s_axil_araddr,
  output logic                  s_axil_rvalid,
  input  wire                   s_axil_rready,
  output logic [31:0]           s_axil_rdata,
  output logic [1:0]            s_axil_rresp,

  output logic                  m_axi_awvalid,
  input  wire                   m_axi_awready,
  output logic [63:0]           m_axi_awaddr,
  output logic [7:0]            m_axi_awlen,
  output logic [2:0]            m_axi_awsize,
  output logic [1:0]            m_axi_awburst,
  output logic                  m_axi_wvalid,
  input  wire                   m_axi_wready,
  output logic [DATA_W-1:0]     m_axi_wdata,
  output logic [DATA_W/8-1:0]   m_axi_wstrb,
  output logic                  m_axi_wlast,
  input  wire                   m_axi_bvalid,
  output logic                  m_axi_bready,
  input  wire  [1:0]            m_axi_bresp,
  output logic                  m_axi_arvalid,
  input  wire                   m_axi_arready,
  output logic [63:0]           m_axi_araddr,
  output logic [7:0]            m_axi_arlen,
  output logic [2:0]            m_axi_arsize,
  output logic [1:0]            m_axi_arburst,
  input  wire                   m_axi_rvalid,
  output logic                  m_axi_rready,
  input  wire  [DATA_W-1:0]     m_axi_rdata,
  input  wire  [1:0]            m_axi_rresp,
  input  wire                   m_axi_rlast,

  output logic                  m_axis_tx_tvalid,
  input  wire                   m_axis_tx_tready,
  output logic [DATA_W-1:0]     m_axis_tx_tdata,
  output logic [DATA_W/8-1:0]   m_axis_tx_tkeep,
  output logic                  m_axis_tx_tlast,

  output logic                  irq
);
  import txoe_pkg::*;

  localparam int unsigned ConnW = $clog2(NUM_CONN);

  // ---------------------------------------------------------------- parameter checks
  if (DATA_W != 64 && DATA_W != 128 && DATA_W != 256 && DATA_W != 512) begin : gen_bad_width
    $fatal(1, "Error: DATA_W must be 64, 128, 256 or 512 (instance %m)");
  end
  if (NUM_CONN < 2 || NUM_CONN > 32 || (NUM_CONN & (NUM_CONN - 1)) != 0) begin : gen_bad_conn
    $fatal(1, "Error: NUM_CONN must be a power of two in 2..32 (instance %m)");
  end

  logic                     enable, halted, tx_halted, wr_halted, busy;
  logic [15:0]              mtu;
  logic [4:0]               max_batch;
  logic [31:0]              timeout;
  logic [63:0]              tx_base, cq_base;
  logic [3:0]               tx_log2, cq_log2;
  logic [RingIdxW-1:0]      tx_tail, tx_head, cq_head, cq_tail;
  logic [4:0]               max_batch_d;              // next-cycle values (txoe_csr)
  logic [31:0]              timeout_d;
  logic [RingIdxW-1:0]      cq_mask_d;
  logic [RingIdxW-1:0]      cq_head_d;
  logic                     id4_load, id4_take, id6_load, id6_take;
  logic [15:0]              id4_load_value, id4;
  logic [31:0]              id6_load_value, id6;
  logic [ConnW-1:0]         ctx_rd_idx, snd_wr_idx;
  logic [CtxWords*32-1:0]   ctx_rd_words;
  logic                     snd_wr;
  logic [31:0]              snd_wr_value;
  logic [$clog2(CplqDepth):0] cplq_count;
  logic [4:0]                 cplq_retire;
  logic                     cpl_push;
  cpl_t                     cpl;
  logic                     err_desc_fetch, err_cpl_write, batch_done;
  logic [4:0]               batch_entries, batch_errors;
  reason_e                  batch_reason;
  logic                     tx_beat;
  logic [6:0]               tx_beat_bytes;

  assign halted  = tx_halted || wr_halted;
  assign tx_beat = m_axis_tx_tvalid && m_axis_tx_tready;
  always_comb begin
    tx_beat_bytes = '0;
    for (int i = 0; i < DATA_W / 8; i++) tx_beat_bytes = tx_beat_bytes + 7'(m_axis_tx_tkeep[i]);
  end

  txoe_csr #(.NumConn(NUM_CONN)) u_csr (
    .clk, .rst,
    .s_axil_awvalid, .s_axil_awready, .s_axil_awaddr, .s_axil_wvalid, .s_axil_wready,
    .s_axil_wdata, .s_axil_bvalid, .s_axil_bready, .s_axil_bresp, .s_axil_arvalid,
    .s_axil_arready, .s_axil_araddr, .s_axil_rvalid, .s_axil_rready, .s_axil_rdata,
    .s_axil_rresp,
    .enable_o (enable), .mtu_o (mtu), .max_batch_o (max_batch), .timeout_o (timeout),
    .tx_base_o (tx_base), .tx_log2_o (tx_log2),
    .tx_tail_o (tx_tail), .cq_base_o (cq_base), .cq_log2_o (cq_log2), .cq_head_o (cq_head),
    .max_batch_d_o (max_batch_d), .timeout_d_o (timeout_d), .cq_mask_d_o (cq_mask_d),
    .cq_head_d_o (cq_head_d),
    .id4_load_o (id4_load), .id4_load_value_o (id4_load_value), .id4_i (id4),
    .id6_load_o (id6_load), .id6_load_value_o (id6_load_value), .id6_i (id6),
    .ctx_rd_idx_i (ctx_rd_idx), .ctx_rd_words_o (ctx_rd_words),
    .snd_wr_i (snd_wr), .snd_wr_idx_i (snd_wr_idx), .snd_wr_value_i (snd_wr_value),
    .busy_i (busy), .halted_i (halted), .tx_head_i (tx_head), .cq_tail_i (cq_tail),
    .err_desc_fetch_i (err_desc_fetch), .err_cpl_write_i (err_cpl_write),
    .batch_done_i (batch_done), .batch_entries_i (batch_entries),
    .batch_errors_i (batch_errors), .batch_reason_i (batch_reason),
    .tx_beat_i (tx_beat), .tx_last_i (m_axis_tx_tlast), .tx_beat_bytes_i (tx_beat_bytes),
    .irq_o (irq)
  );

  txoe_ip_id #(.Width(16)) u_ip_id4 (
    .clk, .rst,
    .load_i (id4_load), .load_value_i (id4_load_value), .take_i (id4_take), .id_o (id4)
  );

  txoe_ip_id #(.Width(32)) u_ip_id6 (
    .clk, .rst,
    .load_i (id6_load), .load_value_i (id6_load_value), .take_i (id6_take), .id_o (id6)
  );

  txoe_tx_engine #(.DataW(DATA_W), .NumConn(NUM_CONN)) u_tx (
    .clk, .rst,
    .enable_i (enable), .halted_i (wr_halted), .mtu_i (mtu), .tx_base_i (tx_base),
    .tx_log2_i (tx_log2), .tx_tail_i (tx_tail),
    .ctx_rd_idx_o (ctx_rd_idx), .ctx_rd_words_i (ctx_rd_words),
    .snd_wr_o (snd_wr), .snd_wr_idx_o (snd_wr_idx), .snd_wr_value_o (snd_wr_value),
    .id4_i (id4), .id4_take_o (id4_take), .id6_i (id6), .id6_take_o (id6_take),
    .cplq_count_i (cplq_count), .cplq_retire_i (cplq_retire), .cpl_push_o (cpl_push),
    .cpl_o (cpl),
    .m_axi_arvalid, .m_axi_arready, .m_axi_araddr, .m_axi_arlen, .m_axi_arsize,
    .m_axi_arburst, .m_axi_rvalid, .m_axi_rready, .m_axi_rdata, .m_axi_rresp,
    .m_axis_tx_tvalid, .m_axis_tx_tready, .m_axis_tx_tdata, .m_axis_tx_tkeep,
    .m_axis_tx_tlast,
    .busy_o (busy), .halted_o (tx_halted), .err_desc_fetch_o (err_desc_fetch)
  );

  txoe_cpl_writer #(.DataW(DATA_W)) u_cpl (
    .clk, .rst,
    .cq_base_i (cq_base), .cq_log2_i (cq_log2), .cq_head_i (cq_head), .tx_log2_i (tx_log2),
    .max_batch_i (max_batch), .timeout_i (timeout),
    .cq_mask_d_i (cq_mask_d), .cq_head_d_i (cq_head_d), .max_batch_d_i (max_batch_d),
    .timeout_d_i (timeout_d),
    .push_i (cpl_push), .cpl_i (cpl), .count_o (cplq_count), .retire_o (cplq_retire),
    .m_axi_awvalid, .m_axi_awready, .m_axi_awaddr, .m_axi_awlen, .m_axi_awsize,
    .m_axi_awburst, .m_axi_wvalid, .m_axi_wready, .m_axi_wdata, .m_axi_wstrb,
    .m_axi_wlast, .m_axi_bvalid, .m_axi_bready, .m_axi_bresp,
    .cq_tail_o (cq_tail), .tx_head_o (tx_head), .halted_o (wr_halted),
    .batch_done_o (batch_done), .batch_entries_o (batch_entries),
    .batch_errors_o (batch_errors), .batch_reason_o (batch_reason),
    .err_cpl_write_o (err_cpl_write)
  );

  // The engine reads whole beats (rlast is implied by its own beat count) and registers
  // are written whole (wstrb ignored, docs/registers.md).
  logic unused_ok;
  assign unused_ok = ^{m_axi_rlast, s_axil_wstrb};

  // Assertions //
`ifndef SYNTHESIS
  // AXI master channels: once valid is high it stays high, with the same payload, until
  // the handshake (AXI4 A3.2.1, AXI4-Stream 2.2.1).
  localparam int unsigned AwW = 64 + 8 + 3 + 2;
  localparam int unsigned WW  = DATA_W + DATA_W / 8 + 1;
  localparam int unsigned TxW = DATA_W + DATA_W / 8 + 1;
  logic           chk_q;                     // last cycle was out of reset
  logic           aw_hold_q, w_hold_q, ar_hold_q, tx_hold_q;
  logic [AwW-1:0] aw_q, ar_q;
  logic [WW-1:0]  w_q;
  logic [TxW-1:0] tx_q;
  logic [AwW-1:0] aw_now, ar_now;
  logic [WW-1:0]  w_now;
  logic [TxW-1:0] tx_now;
  assign aw_now = {m_axi_awaddr, m_axi_awlen, m_axi_awsize, m_axi_awburst};
  assign ar_now = {m_axi_araddr, m_axi_arlen, m_axi_arsize, m_axi_arburst};
  assign w_now  = {m_axi_wdata, m_axi_wstrb, m_axi_wlast};
  assign tx_now = {m_axis_tx_tdata, m_axis_tx_tkeep, m_axis_tx_tlast};
  always_ff @(posedge clk) begin
    chk_q     <= !rst;
    aw_hold_q <= m_axi_awvalid && !m_axi_awready;
    w_hold_q  <= m_axi_wvalid && !m_axi_wready;
    ar_hold_q <= m_axi_arvalid && !m_axi_arready;
    tx_hold_q <= m_axis_tx_tvalid && !m_axis_tx_tready;
    aw_q <= aw_now;
    ar_q <= ar_now;
    w_q  <= w_now;
    tx_q <= tx_now;
    if (!rst && chk_q) begin
      AwStable_A: assert (!aw_hold_q || (m_axi_awvalid && aw_now == aw_q))
        else $error("AW channel changed or dropped valid before awready (instance %m)");
      WStable_A: assert (!w_hold_q || (m_axi_wvalid && w_now == w_q))
        else $error("W channel changed or dropped valid before wready (instance %m)");
      ArStable_A: assert (!ar_hold_q || (m_axi_arvalid && ar_now == ar_q))
        else $error("AR channel changed or dropped valid before arready (instance %m)");
      TxStable_A: assert (!tx_hold_q || (m_axis_tx_tvalid && tx_now == tx_q))
        else $error("TX stream changed or dropped tvalid before tready (instance %m)");
    end
  end

  // Every frame on the TX stream: an IPv4 header has DF set (and MF clear, offset 0) and
  // an ID in the upper half (0x8000..0xFFFF); an IPv6 fragment header has offset 0, M
  // clear and an identification in the upper half. The monitor collects each frame's
  // first HdrMaxBytes bytes and checks them on the cycle after its last beat.
  logic [7:0]  mon_b_q [HdrMaxBytes];
  logic [31:0] mon_pos_q;
  logic        mon_check_q;
  always_ff @(posedge clk) begin
    if (rst) begin
      mon_pos_q   <= '0;
      mon_check_q <= 1'b0;
    end else begin
      mon_check_q <= tx_beat && m_axis_tx_tlast;
      if (tx_beat) begin
        for (int j = 0; j < DATA_W / 8; j++) begin
          if (mon_pos_q + 32'(j) < 32'(HdrMaxBytes))
            mon_b_q[mon_pos_q + 32'(j)] <= m_axis_tx_tdata[j*8 +: 8];
        end
        mon_pos_q <= m_axis_tx_tlast ? '0 : mon_pos_q + 32'(DATA_W / 8);
      end
    end
  end
  always_ff @(posedge clk) begin
    int unsigned l3;
    logic [15:0] etype;
    if (!rst && mon_check_q) begin
      l3    = {mon_b_q[12], mon_b_q[13]} == 16'h8100 ? 18 : 14;
      etype = {mon_b_q[l3 - 2], mon_b_q[l3 - 1]};
      if (etype == 16'h0800) begin
        Ipv4Df_A: assert (mon_b_q[l3 + 6] == 8'h40 && mon_b_q[l3 + 7] == 8'h00)
          else $error("IPv4 frame sent with flags/offset 0x%02h%02h, not DF (instance %m)",
                      mon_b_q[l3 + 6], mon_b_q[l3 + 7]);
        Ipv4IdUpper_A: assert (mon_b_q[l3 + 4][7])
          else $error("IPv4 frame sent with ID 0x%02h%02h, outside 0x8000..0xFFFF (instance %m)",
                      mon_b_q[l3 + 4], mon_b_q[l3 + 5]);
      end else if (etype == 16'h86DD && mon_b_q[l3 + 6] == 8'd44) begin
        Ipv6FragHdr_A: assert (mon_b_q[l3 + 42] == 8'h00 && mon_b_q[l3 + 43] == 8'h00)
          else $error("IPv6 fragment header with offset/M 0x%02h%02h (instance %m)",
                      mon_b_q[l3 + 42], mon_b_q[l3 + 43]);
        Ipv6FragIdUpper_A: assert (mon_b_q[l3 + 44][7])
          else $error("IPv6 fragment ID 0x%02h%02h%02h%02h outside the upper half (instance %m)",
                      mon_b_q[l3 + 44], mon_b_q[l3 + 45], mon_b_q[l3 + 46], mon_b_q[l3 + 47]);
      end else begin
        EtherType_A: assert (etype == 16'h86DD)
          else $error("frame sent with EtherType 0x%04h (instance %m)", etype);
      end
    end
  end
`endif

endmodule

`resetall
