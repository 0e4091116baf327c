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
  logic                     id4_load, id4_take, id6_load, id6_take;
  logic [15:0]              id4_load_value, id4;
  logic [31:0]              id6_load_value, id6;
  logic [ConnW-1:0]         ctx_rd_idx, snd_wr_idx;
  logic [CtxWords*32-1:0]   ctx_rd_words;
  logic                     snd_wr;
  logic [31:0]              snd_wr_value;
  logic [$clog2(CplqDepth):0] cplq_count;
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
    .cplq_count_i (cplq_count), .cpl_push_o (cpl_push), .cpl_o (cpl),
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
    .push_i (cpl_push), .cpl_i (cpl), .count_o (cplq_count),
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

endmodule

`resetall
