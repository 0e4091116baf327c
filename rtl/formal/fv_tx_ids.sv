// fv_tx_ids: a reduced top for the ID rules that need the whole transmit path: the TX
// engine (ports only) with the real IPv4 ID and IPv6 fragment ID counters (txoe_ip_id, as
// in txoe_top, with no host writes: those are proven on the counter itself), at DATA_W = 64
// with 2 connections. Descriptors, contexts, payload beats, read responses, arready, tready
// and doorbells are free; the register block's guarantees are assumed (reset first, then
// MTU, TX_BASE and TX_LOG2 hold still, base 4 KiB aligned, log2 1..12, TX_TAIL inside the
// ring). The MTU may be as low as 72 here (the register block allows 576..9000): the
// segmentation arithmetic is the same, and short frames bring MTU-sized datagrams within
// the proof's depth.
// A monitor parses every frame on the stream as its beats pass (EtherType behind an
// optional 802.1Q tag, IP lengths, IPv4 ID, IPv6 next header and fragment ID, the frame's
// length from tkeep), checking each field on the beat that completes it:
//   ids_v4_seq  : IPv4 frames carry 0x8000, 0x8001, ... in order (0xFFFF -> 0x8000): no ID
//                 is skipped, so no failed descriptor (validation or DMA error) consumed one
//   ids_v4_idle : whenever the engine is idle, the counter equals the next expected ID:
//                 every ID taken went out in a frame
//   ids_v6_seq  : IPv6 frames with a fragment header carry consecutive fragment IDs
//   ids_v6_idle : when idle, the fragment ID counter equals the next expected one: frames
//                 without a fragment header (IPv4, plain IPv6) and failed requests took none
//   ids_mtu       : no IP datagram on the stream is longer than the MTU (its length field)
//   ids_frame_len : every frame ends exactly where its IP length field says
// Not part of rtl/formal/run.sh: the bounded proof does not reach a frame on the stream
// in the time available on the build machine (docs/formal.md, "Not proven here").
`resetall
`default_nettype none

module fv_tx_ids
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
  input wire  [$clog2(CplqDepth):0]  cplq_count_i,
  input wire  [4:0]                  cplq_retire_i,
  input wire                         m_axi_arready,
  input wire                         m_axi_rvalid,
  input wire  [DataW-1:0]            m_axi_rdata,
  input wire  [1:0]                  m_axi_rresp,
  input wire                         m_axis_tx_tready
);
  localparam int unsigned Bw   = DataW / 8;
  localparam int unsigned MonB = 72;                    // header bytes the monitor keeps
  localparam int unsigned MonBeats = (MonB + Bw - 1) / Bw;

  logic               ctx_rd_idx_o, snd_wr_o, snd_wr_idx_o, id4_take, id6_take;
  logic [31:0]        snd_wr_value_o;
  logic [15:0]        id4;
  logic [31:0]        id6;
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

  txoe_ip_id #(.Width(16)) u_id4 (.clk, .rst, .load_i (1'b0), .load_value_i ('0),
                                  .take_i (id4_take), .id_o (id4));
  txoe_ip_id #(.Width(32)) u_id6 (.clk, .rst, .load_i (1'b0), .load_value_i ('0),
                                  .take_i (id6_take), .id_o (id6));

  txoe_tx_engine #(.DataW(DataW), .NumConn(2)) dut (
    .clk, .rst, .enable_i, .halted_i, .mtu_i, .tx_base_i, .tx_log2_i, .tx_tail_i,
    .ctx_rd_idx_o, .ctx_rd_words_i, .snd_wr_o, .snd_wr_idx_o, .snd_wr_value_o,
    .id4_i (id4), .id4_take_o (id4_take), .id6_i (id6), .id6_take_o (id6_take),
    .cplq_count_i, .cplq_retire_i, .cpl_push_o, .cpl_o,
    .m_axi_arvalid, .m_axi_arready, .m_axi_araddr, .m_axi_arlen, .m_axi_arsize,
    .m_axi_arburst, .m_axi_rvalid, .m_axi_rready, .m_axi_rdata, .m_axi_rresp,
    .m_axis_tx_tvalid, .m_axis_tx_tready, .m_axis_tx_tdata, .m_axis_tx_tkeep,
    .m_axis_tx_tlast, .busy_o, .halted_o, .err_desc_fetch_o);

  logic        init_q = 1'b1;
  logic [15:0] mtu_q;
  logic [63:0] base_q;
  logic [3:0]  log2_q;
  always_ff @(posedge clk) begin
    init_q <= 1'b0;
    mtu_q  <= mtu_i;
    base_q <= tx_base_i;
    log2_q <= tx_log2_i;
  end

  always_comb begin
    if (init_q) assume (rst);
    assume (mtu_i >= 16'd72 && mtu_i <= MtuMax);
    assume (tx_base_i[11:0] == 12'd0);
    assume (tx_log2_i >= 4'd1 && 32'(tx_log2_i) <= RingLog2Max);
    assume (32'(tx_tail_i) < (32'd1 << tx_log2_i));
    assume (32'(cplq_count_i) <= CplqDepth);
    if (!init_q) assume (mtu_i == mtu_q && tx_base_i == base_q && tx_log2_i == log2_q);
  end

  // ---------------------------------------------------------------- stream monitor
  logic        pop;
  logic [7:0]  mon_q [MonB];
  logic [3:0]  beat_q;                                  // beat of the frame (saturates)
  logic [15:0] bytes_q;                                 // bytes before this beat
  logic [15:0] exp4_q;
  logic [31:0] exp6_q;
  assign pop = m_axis_tx_tvalid && m_axis_tx_tready;

  // byte j of the frame: from this beat or from the ones kept before it
  function automatic logic [7:0] fb(input int unsigned j);
    if (j / Bw == 32'(beat_q)) return m_axis_tx_tdata[(j % Bw) * 8 +: 8];
    return mon_q[j];
  endfunction

  logic [7:0]  keep_cnt;
  logic [15:0] frame_len, etype, l2, ip_len;
  logic        is_v4, is_v6, is_frag;
  logic [15:0] v4_id;
  logic [31:0] v6_id;
  logic [3:0]  len_beat, nh_beat, v6_id_beat;           // beats completing those fields
  always_comb begin
    keep_cnt = '0;
    for (int j = 0; j < Bw; j++) keep_cnt = keep_cnt + 8'(m_axis_tx_tkeep[j]);
    frame_len  = bytes_q + 16'(keep_cnt);
    l2         = ({fb(12), fb(13)} == 16'h8100) ? 16'd18 : 16'd14;
    etype      = (l2 == 16'd18) ? {fb(16), fb(17)} : {fb(12), fb(13)};
    is_v4      = etype == 16'h0800;
    is_v6      = etype == 16'h86DD;
    is_frag    = is_v6 && ((l2 == 16'd18) ? fb(24) : fb(20)) == 8'd44;
    ip_len     = is_v4 ? ((l2 == 16'd18) ? {fb(20), fb(21)} : {fb(16), fb(17)})
                       : 16'd40 + ((l2 == 16'd18) ? {fb(22), fb(23)} : {fb(18), fb(19)});
    v4_id      = (l2 == 16'd18) ? {fb(22), fb(23)} : {fb(18), fb(19)};
    v6_id      = (l2 == 16'd18) ? {fb(62), fb(63), fb(64), fb(65)}
                                : {fb(58), fb(59), fb(60), fb(61)};
    len_beat   = 4'((l2 + 16'd9) / 16'(Bw));            // IPv4 ID / IPv6 payload length
    nh_beat    = 4'((l2 + 16'd6) / 16'(Bw));
    v6_id_beat = 4'((l2 + 16'd47) / 16'(Bw));
  end

  logic at_len, at_v6_id;
  assign at_len   = pop && beat_q == len_beat && beat_q >= nh_beat;
  assign at_v6_id = pop && beat_q == v6_id_beat;

  always_ff @(posedge clk) begin
    if (rst) begin
      beat_q  <= '0;
      bytes_q <= '0;
      exp4_q  <= 16'h8000;
      exp6_q  <= 32'h8000_0000;
    end else if (pop) begin
      for (int j = 0; j < MonB; j++) if (j / Bw == 32'(beat_q)) mon_q[j] <= fb(j);
      beat_q  <= m_axis_tx_tlast ? '0 : (beat_q == 4'hF) ? beat_q : beat_q + 4'd1;
      bytes_q <= m_axis_tx_tlast ? '0 : frame_len;
      if (at_len && is_v4) exp4_q <= (exp4_q == 16'hFFFF) ? 16'h8000 : exp4_q + 16'd1;
      if (at_v6_id && is_frag)
        exp6_q <= (exp6_q == 32'hFFFF_FFFF) ? 32'h8000_0000 : exp6_q + 32'd1;
    end
  end

  always_ff @(posedge clk) begin
    if (!init_q && !rst) begin
      if (at_len && is_v4) begin
        ids_v4_seq: assert (v4_id == exp4_q);
      end
      if (at_v6_id && is_frag) begin
        ids_v6_seq: assert (v6_id == exp6_q);
      end
      if (at_len && (is_v4 || is_v6)) begin
        ids_mtu: assert (ip_len <= mtu_i);
      end
      if (pop && m_axis_tx_tlast) begin
        ids_frame_len: assert ((is_v4 || is_v6) && frame_len == l2 + ip_len);
      end
      if (!busy_o) begin
        ids_v4_idle: assert (id4 == exp4_q);
        ids_v6_idle: assert (id6 == exp6_q);
      end
    end
  end

  logic unused_ok;
  assign unused_ok = ^{ctx_rd_idx_o, snd_wr_o, snd_wr_idx_o, snd_wr_value_o, cpl_push_o, cpl_o,
                       m_axi_arvalid, m_axi_araddr, m_axi_arlen, m_axi_arsize, m_axi_arburst,
                       m_axi_rready, halted_o, err_desc_fetch_o, 32'(MonBeats)};
endmodule

`resetall
