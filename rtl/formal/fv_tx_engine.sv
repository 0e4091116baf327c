// fv_tx_engine: formal wrapper of txoe_tx_engine at DATA_W = 64 with 2 connections. Every
// input is free (descriptor and payload beats, read responses, arready, contexts,
// doorbells, stream tready, the completion queue's count) except for the register block's
// guarantees: reset first, then MTU, TX_BASE and TX_LOG2 hold still and are in range (MTU
// 576..9000, base 4 KiB aligned, log2 1..12), TX_TAIL inside the ring, a completion count
// of at most 32. The proof tx_engine (rtl/formal/tx_engine.sby, -D FORMAL_TX) checks here,
// at the engine's ports, with the invariants of the engine's own formal block
// (txoe_tx_engine.sv, which also states the ID-take and MTU properties):
//   ar_stable        : arvalid never drops before arready, and the AR payload holds meanwhile
//   ar_len           : every burst is INCR of full beats with arlen <= 15
//   ar_4k            : no read burst crosses a 4 KiB boundary
//   tx_stream_stable : tvalid never drops before tready, the beat holds meanwhile
`resetall
`default_nettype none

module fv_tx_engine
  import txoe_pkg::*;
#(
  parameter int unsigned DataW = 64
) (
  input wire                         clk,
  input wire                         rst,
  input wire                         enable_i,
  input wire                         halted_i,
  input wire  [15:0]                 mtu_i,
  input wire  [63:0]                 tx_base_i,
  input wire  [3:0]                  tx_log2_i,
  input wire  [RingIdxW-1:0]         tx_tail_i,
  input wire  [CtxWords*32-1:0]      ctx_rd_words_i,
  input wire  [15:0]                 id4_i,
  input wire  [31:0]                 id6_i,
  input wire  [$clog2(CplqDepth):0]  cplq_count_i,
  input wire  [4:0]                  cplq_retire_i,
  input wire                         m_axi_arready,
  input wire                         m_axi_rvalid,
  input wire  [DataW-1:0]            m_axi_rdata,
  input wire  [1:0]                  m_axi_rresp,
  input wire                         m_axis_tx_tready
);
  localparam int unsigned Bw = DataW / 8;

  logic               ctx_rd_idx_o, snd_wr_o, snd_wr_idx_o, id4_take_o, id6_take_o;
  logic [31:0]        snd_wr_value_o;
  logic               cpl_push_o;
  cpl_t               cpl_o;
  logic               m_axi_arvalid, m_axi_rready;
  logic [63:0]        m_axi_araddr;
  logic [7:0]         m_axi_arlen;
  logic [2:0]         m_axi_arsize;
  logic [1:0]         m_axi_arburst;
  logic               m_axis_tx_tvalid, m_axis_tx_tlast;
  logic [DataW-1:0]   m_axis_tx_tdata;
  logic [DataW/8-1:0] m_axis_tx_tkeep;
  logic               busy_o, halted_o, err_desc_fetch_o;

  txoe_tx_engine #(.DataW(DataW), .NumConn(2)) dut (
    .clk, .rst, .enable_i, .halted_i, .mtu_i, .tx_base_i, .tx_log2_i, .tx_tail_i,
    .ctx_rd_idx_o, .ctx_rd_words_i, .snd_wr_o, .snd_wr_idx_o, .snd_wr_value_o,
    .id4_i, .id4_take_o, .id6_i, .id6_take_o, .cplq_count_i, .cplq_retire_i, .cpl_push_o, .cpl_o,
    .m_axi_arvalid, .m_axi_arready, .m_axi_araddr, .m_axi_arlen, .m_axi_arsize,
    .m_axi_arburst, .m_axi_rvalid, .m_axi_rready, .m_axi_rdata, .m_axi_rresp,
    .m_axis_tx_tvalid, .m_axis_tx_tready, .m_axis_tx_tdata, .m_axis_tx_tkeep,
    .m_axis_tx_tlast, .busy_o, .halted_o, .err_desc_fetch_o);

  logic        init_q = 1'b1;
  logic        rst_q;
  logic [15:0] mtu_q;
  logic [63:0] base_q;
  logic [3:0]  log2_q;
  logic        hold_q;
  logic [76:0] ar_q;
  always_ff @(posedge clk) begin
    init_q <= 1'b0;
    rst_q  <= rst;
    mtu_q  <= mtu_i;
    base_q <= tx_base_i;
    log2_q <= tx_log2_i;
    hold_q <= m_axi_arvalid && !m_axi_arready;
    ar_q   <= {m_axi_araddr, m_axi_arlen, m_axi_arsize, m_axi_arburst};
  end

  always_comb begin
    if (init_q) assume (rst);
    assume (mtu_i >= MtuMin && mtu_i <= MtuMax);
    assume (tx_base_i[11:0] == 12'd0);
    assume (tx_log2_i >= 4'd1 && 32'(tx_log2_i) <= RingLog2Max);
    assume (32'(tx_tail_i) < (32'd1 << tx_log2_i));
    assume (32'(cplq_count_i) <= CplqDepth);
    if (!init_q) assume (mtu_i == mtu_q && tx_base_i == base_q && tx_log2_i == log2_q);
  end

  always_ff @(posedge clk) begin
    if (!init_q && !rst) begin
      if (!rst_q) begin
        ar_stable: assert (!hold_q || (m_axi_arvalid
                                       && {m_axi_araddr, m_axi_arlen, m_axi_arsize,
                                           m_axi_arburst} == ar_q));
      end
      if (m_axi_arvalid) begin
        ar_len: assert (m_axi_arlen <= 8'd15 && m_axi_arburst == 2'b01
                        && 32'(m_axi_arsize) == $clog2(Bw)
                        && m_axi_araddr[$clog2(Bw)-1:0] == '0);
        ar_4k: assert (32'(m_axi_araddr[11:0]) + (32'(m_axi_arlen) + 32'd1) * Bw <= 32'd4096);
      end
    end
  end

  // tx_stream_stable: tvalid never drops before tready, and tdata, tkeep and tlast hold
  // meanwhile (AXI4-Stream), for every tready sequence.
  logic                   tx_hold_q;
  logic [DataW+Bw:0]      tx_q;
  always_ff @(posedge clk) begin
    tx_hold_q <= m_axis_tx_tvalid && !m_axis_tx_tready;
    tx_q      <= {m_axis_tx_tdata, m_axis_tx_tkeep, m_axis_tx_tlast};
  end
  always_ff @(posedge clk) begin
    if (!init_q && !rst && !rst_q) begin
      tx_stream_stable: assert (!tx_hold_q || (m_axis_tx_tvalid
                                               && {m_axis_tx_tdata, m_axis_tx_tkeep,
                                                   m_axis_tx_tlast} == tx_q));
    end
  end

  logic unused_ok;
  assign unused_ok = ^{ctx_rd_idx_o, snd_wr_o, snd_wr_idx_o, snd_wr_value_o, id4_take_o,
                       id6_take_o, cpl_push_o, cpl_o, m_axi_rready, busy_o, halted_o,
                       err_desc_fetch_o};
endmodule

`resetall
