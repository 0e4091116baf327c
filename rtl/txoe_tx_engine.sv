// txoe_tx_engine: descriptor fetch, validation, segmentation, payload read with
// realignment into the frame buffer, header build and AXI4-Stream output, one request at a
// time (docs/microarchitecture.md, "TX engine").
`resetall
`timescale 1ns / 1ps
`default_nettype none

module txoe_tx_engine
  import txoe_pkg::*;
#(
  parameter int unsigned DataW   = 64,
  parameter int unsigned NumConn = 16
) (
  input  wire                         clk,
  input  wire                         rst,

  // configuration
  input  wire                         enable_i,
  input  wire                         halted_i,
  input  wire  [15:0]                 mtu_i,
  input  wire  [63:0]                 tx_base_i,
  input  wire  [3:0]                  tx_log2_i,
  input  wire  [RingIdxW-1:0]         tx_tail_i,

  // connection contexts
  output logic [$clog2(NumConn)-1:0]  ctx_rd_idx_o,
  input  wire  [CtxWords*32-1:0]      ctx_rd_words_i,
  output logic                        snd_wr_o,
  output logic [$clog2(NumConn)-1:0]  snd_wr_idx_o,
  output logic [31:0]                 snd_wr_value_o,

  // IPv4 ID and IPv6 fragment ID counters
  input  wire  [15:0]                 id4_i,
  output logic                        id4_take_o,
  input  wire  [31:0]                 id6_i,
  output logic                        id6_take_o,

  // completion queue
  input  wire  [$clog2(CplqDepth):0]  cplq_count_i,
  output logic                        cpl_push_o,
  output cpl_t                        cpl_o,

  // AXI4 master read channels
  output logic                        m_axi_arvalid,
  input  wire                         m_axi_arready,
  output logic [63:0]                 m_axi_araddr,
  output logic [7:0]                  m_axi_arlen,
  output logic [2:0]                  m_axi_arsize,
  output logic [1:0]                  m_axi_arburst,
  input  wire                         m_axi_rvalid,
  output logic                        m_axi_rready,
  input  wire  [DataW-1:0]            m_axi_rdata,
  input  wire  [1:0]                  m_axi_rresp,

  // AXI4-Stream frames
  output logic                        m_axis_tx_tvalid,
  input  wire                         m_axis_tx_tready,
  output logic [DataW-1:0]            m_axis_tx_tdata,
  output logic [DataW/8-1:0]          m_axis_tx_tkeep,
  output logic                        m_axis_tx_tlast,

  output logic                        busy_o,
  output logic                        halted_o,
  output logic                        err_desc_fetch_o
);

  localparam int unsigned Bw        = DataW / 8;           // bytes per beat
  localparam int unsigned LaneW     = $clog2(Bw);
  localparam int unsigned ConnW     = $clog2(NumConn);
  localparam int unsigned DescBeats = (Bw >= DescBytes) ? 1 : DescBytes / Bw;
  localparam int unsigned DescChunk = (DataW < 256) ? DataW : 256;  // descriptor bits per beat
  localparam int unsigned FbWords   = FbBytes / Bw;
  localparam int unsigned FbAddrW   = $clog2(FbWords);
  localparam int unsigned OfAddrW   = $clog2(OfifoDepth);
  localparam int unsigned BeatCntW  = 15;                  // beats of one request
  localparam int signed   WordIdxW  = 16;                  // signed frame word index

  typedef enum logic [3:0] {
    TxIdle, TxDescAr, TxDescR, TxCheck, TxSeg, TxPayAr, TxPayR, TxFlush, TxHdr, TxSend, TxCpl,
    TxHalt
  } tx_state_e;

  // ---------------------------------------------------------------- state
  tx_state_e              state_q, state_d;
  logic [RingIdxW-1:0]    fetch_idx_q;
  logic [255:0]           desc_raw_q;
  logic [2:0]             dbeat_q;
  logic                   rerr_q;
  ctx_t                   ctx_q;
  status_e                status_q;
  logic [15:0]            eff_mss_q;
  logic [31:0]            seq_q;                           // sequence number of the next segment
  logic [16:0]            done_q;                          // payload bytes of built segments
  logic [15:0]            segs_q;                          // segments built
  logic [15:0]            seg_len_q;
  logic                   seg_last_q;
  logic [63:0]            rd_addr_q;
  logic [BeatCntW-1:0]    beats_left_q;
  logic [4:0]             burst_left_q;
  logic signed [WordIdxW-1:0] fw_q;                        // frame word of the next write
  logic [LaneW-1:0]       sh_q;
  logic [DataW-1:0]       prev_q;
  logic [31:0]            psum_q;
  logic                   pay_err_q;
  logic [6:0]             hdr_len_q;
  logic [HdrMaxBytes*8-1:0] hdr_q;
  logic [13:0]            frame_len_q;
  logic [FbAddrW:0]       nw_q;
  logic [FbAddrW:0]       rd_w_q;
  logic                   infl_q;
  logic [FbAddrW:0]       infl_w_q;
  logic [DataW-1:0]       fb_rdata_q;

  logic [DataW-1:0]       of_data_q [OfifoDepth];
  logic [Bw-1:0]          of_keep_q [OfifoDepth];
  logic                   of_last_q [OfifoDepth];
  logic [OfAddrW-1:0]     of_wr_q, of_rd_q;
  logic [OfAddrW:0]       of_count_q;

  (* no_rw_check *)
  logic [DataW-1:0]       fbuf [FbWords];

  desc_t desc;
  assign desc = desc_t'(desc_raw_q);

  logic [DataW+255:0] rdata_pad;                           // a beat, zero-extended
  assign rdata_pad = {256'd0, m_axi_rdata};

  // ---------------------------------------------------------------- validation
  ctx_t        ctx_now;
  logic [6:0]  hdr_len_now;
  logic [15:0] l3l4_len, mtu_mss, eff_mss;
  status_e     check_status;
  assign ctx_rd_idx_o = desc.conn[ConnW-1:0];
  assign ctx_now      = ctx_decode(ctx_rd_words_i);
  assign l3l4_len     = !ctx_now.ipv6 ? 16'd40 : ctx_now.frag_hdr ? 16'd68 : 16'd60;
  assign hdr_len_now  = (ctx_now.vlan_en ? 7'd18 : 7'd14) + 7'(l3l4_len);
  assign mtu_mss      = mtu_i - l3l4_len;
  assign eff_mss      = (ctx_now.mss < mtu_mss) ? ctx_now.mss : mtu_mss;

  always_comb begin
    if ((desc.flags & ~16'h0007) != 16'd0 || desc.rsvd != 64'd0) check_status = StReservedBits;
    else if (desc.len == 32'd0)                        check_status = StBadLength;
    else if (desc.len > 32'(MaxSendLen))               check_status = StTooLong;
    else if (desc.conn >= 16'(NumConn))                check_status = StBadConn;
    else if (!ctx_now.valid)                           check_status = StInvalidCtx;
    else if (ctx_now.mss < 16'(MinMss))                check_status = StMssTooSmall;
    else                                               check_status = StOk;
  end

  // ---------------------------------------------------------------- segment set-up
  logic [15:0]            left, seg_len;
  logic [63:0]            seg_addr;
  logic [LaneW-1:0]       off;
  logic signed [WordIdxW-1:0] d_now;
  assign left     = desc.len[15:0] - done_q[15:0];
  assign seg_len  = (left < eff_mss_q) ? left : eff_mss_q;
  assign seg_addr = desc.buf_addr + 64'(done_q);
  assign off      = seg_addr[LaneW-1:0];
  assign d_now    = WordIdxW'(hdr_len_q) - WordIdxW'(off);

  logic [12:0] page_beats;
  logic [4:0]  burst_beats;
  assign page_beats  = 13'((13'd4096 - {1'b0, rd_addr_q[11:0]}) >> LaneW);
  always_comb begin
    burst_beats = 5'd16;
    if (BeatCntW'(burst_beats) > beats_left_q) burst_beats = 5'(beats_left_q);
    if (13'(burst_beats) > page_beats)         burst_beats = 5'(page_beats);
  end

  // ---------------------------------------------------------------- realignment
  logic [2*DataW-1:0] pair;
  logic [DataW-1:0]   cur_beat;
  logic [DataW-1:0]   fw_data;
  logic               fw_en;
  logic [31:0]        fw_sum;
  assign cur_beat = (state_q == TxFlush) ? '0 : m_axi_rdata;
  assign pair     = {cur_beat, prev_q} >> ((Bw - int'(sh_q)) * 8);
  assign fw_data  = pair[DataW-1:0];
  assign fw_en    = ((state_q == TxPayR && m_axi_rvalid) || state_q == TxFlush) && fw_q >= 0;

  always_comb begin
    logic [31:0] pos;
    fw_sum = 32'd0;
    for (int j = 0; j < Bw; j++) begin
      pos = 32'(fw_q) * 32'(Bw) + 32'(j);
      if (pos >= 32'(hdr_len_q) && pos < 32'(frame_len_q)) begin
        fw_sum = fw_sum + (j % 2 == 0 ? {16'd0, fw_data[j*8 +: 8], 8'd0}
                                      : {24'd0, fw_data[j*8 +: 8]});
      end
    end
  end

  // ---------------------------------------------------------------- header
  logic [HdrMaxBytes*8-1:0] hdr_now;
  logic [6:0]               hdr_len_built;
  logic                     seg_fin;
  logic [31:0]              seq_next;
  assign seg_fin  = seg_last_q && desc.flags[FlagFin];
  assign seq_next = seq_q + 32'(seg_len_q) + 32'(seg_fin);
  txoe_hdr_build u_hdr_build (
    .ctx_i         (ctx_q),
    .seq_i         (seq_q),
    .len_i         (seg_len_q),
    .psh_i         (seg_last_q && desc.flags[FlagPsh]),
    .fin_i         (seg_fin),
    .ip_id_i       (id4_i),
    .frag_id_i     (id6_i),
    .payload_sum_i (psum_q),
    .hdr_o         (hdr_now),
    .hdr_len_o     (hdr_len_built)
  );

  // ---------------------------------------------------------------- stream output
  logic             rd_issue;
  logic             pop;
  logic [DataW-1:0] push_data;
  logic [Bw-1:0]    push_keep;
  logic             push_last;
  assign rd_issue = state_q == TxSend && rd_w_q < nw_q
                    && (32'(of_count_q) + 32'(infl_q) < 32'(OfifoDepth));
  assign m_axis_tx_tvalid = of_count_q != '0;
  assign m_axis_tx_tdata  = of_data_q[of_rd_q];
  assign m_axis_tx_tkeep  = of_keep_q[of_rd_q];
  assign m_axis_tx_tlast  = of_last_q[of_rd_q];
  assign pop = m_axis_tx_tvalid && m_axis_tx_tready;

  always_comb begin
    logic [31:0] pos;
    push_last = 32'(infl_w_q) + 32'd1 == 32'(nw_q);
    for (int j = 0; j < Bw; j++) begin
      pos = 32'(infl_w_q) * 32'(Bw) + 32'(j);
      push_keep[j] = pos < 32'(frame_len_q);
      if (pos < 32'(hdr_len_q))        push_data[j*8 +: 8] = hdr_q[pos[6:0]*8 +: 8];
      else if (pos < 32'(frame_len_q)) push_data[j*8 +: 8] = fb_rdata_q[j*8 +: 8];
      else                             push_data[j*8 +: 8] = 8'd0;
    end
  end

  // ---------------------------------------------------------------- next state
  logic desc_last_beat, pay_last_beat;
  assign desc_last_beat = state_q == TxDescR && m_axi_rvalid && dbeat_q == 3'(DescBeats - 1);
  assign pay_last_beat  = state_q == TxPayR && m_axi_rvalid && burst_left_q == 5'd1;

  always_comb begin
    state_d = state_q;
    unique case (state_q)
      TxIdle:   if (enable_i && !halted_i && fetch_idx_q != tx_tail_i
                    && cplq_count_i < ($clog2(CplqDepth)+1)'(CplqDepth)) state_d = TxDescAr;
      TxDescAr: if (m_axi_arready) state_d = TxDescR;
      TxDescR:  if (desc_last_beat) state_d = (rerr_q || m_axi_rresp != 2'b00) ? TxHalt : TxCheck;
      TxCheck:  state_d = (check_status == StOk) ? TxSeg : TxCpl;
      TxSeg:    state_d = TxPayAr;
      TxPayAr:  if (m_axi_arready) state_d = TxPayR;
      TxPayR:   if (pay_last_beat) begin
                  if (pay_err_q || m_axi_rresp != 2'b00) state_d = TxCpl;
                  else if (beats_left_q != '0)          state_d = TxPayAr;
                  else                                  state_d = TxFlush;
                end
      TxFlush:  state_d = TxHdr;
      TxHdr:    state_d = TxSend;
      TxSend:   if (pop && m_axis_tx_tlast) state_d = seg_last_q ? TxCpl : TxSeg;
      TxCpl:    state_d = TxIdle;
      TxHalt:   state_d = TxHalt;
      default:  state_d = TxIdle;
    endcase
  end

  // ---------------------------------------------------------------- registers
  always_ff @(posedge clk) begin
    if (rst) begin
      state_q      <= TxIdle;
      fetch_idx_q  <= '0;
      desc_raw_q   <= '0;
      dbeat_q      <= '0;
      rerr_q       <= 1'b0;
      ctx_q        <= '0;
      status_q     <= StOk;
      eff_mss_q    <= '0;
      seq_q        <= '0;
      done_q       <= '0;
      segs_q       <= '0;
      seg_len_q    <= '0;
      seg_last_q   <= 1'b0;
      rd_addr_q    <= '0;
      beats_left_q <= '0;
      burst_left_q <= '0;
      fw_q         <= '0;
      sh_q         <= '0;
      prev_q       <= '0;
      psum_q       <= '0;
      pay_err_q    <= 1'b0;
      hdr_len_q    <= '0;
      hdr_q        <= '0;
      frame_len_q  <= '0;
      nw_q         <= '0;
      rd_w_q       <= '0;
      infl_q       <= 1'b0;
      infl_w_q     <= '0;
      of_wr_q      <= '0;
      of_rd_q      <= '0;
      of_count_q   <= '0;
    end else begin
      state_q <= state_d;

      unique case (state_q)
        TxDescAr: if (m_axi_arready) begin
          dbeat_q <= '0;
          rerr_q  <= 1'b0;
        end
        TxDescR: if (m_axi_rvalid) begin
          if (Bw >= DescBytes) begin
            desc_raw_q <= rdata_pad[32'(fetch_idx_q) * 256 % DataW +: 256];
          end else begin
            desc_raw_q[32'(dbeat_q) * DescChunk +: DescChunk] <= rdata_pad[DescChunk-1:0];
          end
          dbeat_q <= dbeat_q + 3'd1;
          rerr_q  <= rerr_q || m_axi_rresp != 2'b00;
        end
        TxCheck: begin
          status_q     <= check_status;
          ctx_q        <= ctx_now;
          eff_mss_q    <= eff_mss;
          hdr_len_q    <= hdr_len_now;
          seq_q        <= ctx_now.snd_nxt;
          done_q       <= '0;
          segs_q       <= '0;
        end
        TxSeg: begin
          seg_len_q    <= seg_len;
          seg_last_q   <= seg_len == left;
          rd_addr_q    <= {seg_addr[63:LaneW], {LaneW{1'b0}}};
          beats_left_q <= BeatCntW'((32'(off) + 32'(seg_len) + 32'(Bw) - 32'd1) >> LaneW);
          fw_q         <= d_now >>> LaneW;
          sh_q         <= d_now[LaneW-1:0];
          psum_q       <= '0;
          pay_err_q    <= 1'b0;
          frame_len_q  <= 14'(hdr_len_q) + seg_len[13:0];
          prev_q       <= '0;
        end
        TxPayAr: if (m_axi_arready) begin
          rd_addr_q    <= rd_addr_q + 64'(32'(burst_beats) * Bw);
          beats_left_q <= beats_left_q - BeatCntW'(burst_beats);
          burst_left_q <= burst_beats;
        end
        TxPayR: if (m_axi_rvalid) begin
          burst_left_q <= burst_left_q - 5'd1;
          prev_q       <= m_axi_rdata;
          fw_q         <= fw_q + WordIdxW'(1);
          psum_q       <= psum_q + fw_sum;
          if (m_axi_rresp != 2'b00) pay_err_q <= 1'b1;
          if (pay_last_beat && (pay_err_q || m_axi_rresp != 2'b00)) status_q <= StDmaError;
        end
        TxFlush: begin
          psum_q <= psum_q + fw_sum;
        end
        TxHdr: begin
          hdr_q  <= hdr_now;
          seq_q  <= seq_next;
          done_q <= done_q + 17'(seg_len_q);
          segs_q <= segs_q + 16'd1;
          nw_q   <= (FbAddrW+1)'((32'(frame_len_q) + Bw - 1) >> LaneW);
          rd_w_q <= '0;
        end
        TxCpl: begin
          fetch_idx_q <= (fetch_idx_q + 1'b1) & ((RingIdxW'(1) << tx_log2_i) - 1'b1);
        end
        default: ;
      endcase

      // stream output pipeline
      infl_q <= rd_issue;
      if (rd_issue) begin
        rd_w_q   <= rd_w_q + 1'b1;
        infl_w_q <= rd_w_q;
      end
      if (infl_q) begin
        of_wr_q <= of_wr_q + 1'b1;
      end
      if (pop) begin
        of_rd_q <= of_rd_q + 1'b1;
      end
      of_count_q <= of_count_q + (OfAddrW+1)'(infl_q) - (OfAddrW+1)'(pop);
    end
  end

  // output FIFO storage and frame buffer: not reset
  always_ff @(posedge clk) begin
    if (infl_q) begin
      of_data_q[of_wr_q] <= push_data;
      of_keep_q[of_wr_q] <= push_keep;
      of_last_q[of_wr_q] <= push_last;
    end
  end

  always_ff @(posedge clk) begin
    if (fw_en) begin
      fbuf[fw_q[FbAddrW-1:0]] <= fw_data;
    end
    if (rd_issue) begin
      fb_rdata_q <= fbuf[rd_w_q[FbAddrW-1:0]];
    end
  end

  // ---------------------------------------------------------------- outputs
  assign m_axi_arvalid = state_q == TxDescAr || state_q == TxPayAr;
  assign m_axi_araddr  = (state_q == TxDescAr)
                         ? (tx_base_i + 64'(fetch_idx_q) * DescBytes) & ~(64'(Bw) - 64'd1)
                         : rd_addr_q;
  assign m_axi_arlen   = (state_q == TxDescAr) ? 8'(DescBeats - 1) : 8'(burst_beats) - 8'd1;
  assign m_axi_arsize  = 3'(LaneW);
  assign m_axi_arburst = 2'b01;
  assign m_axi_rready  = state_q == TxDescR || state_q == TxPayR;

  assign id4_take_o     = state_q == TxHdr && !ctx_q.ipv6;
  assign id6_take_o     = state_q == TxHdr && ctx_q.ipv6 && ctx_q.frag_hdr;
  assign snd_wr_o       = state_q == TxHdr;
  assign snd_wr_idx_o   = desc.conn[ConnW-1:0];
  assign snd_wr_value_o = seq_next;

  assign cpl_push_o       = state_q == TxCpl;
  assign cpl_o.cookie     = desc.cookie;
  assign cpl_o.bytes      = 32'(done_q);
  assign cpl_o.segments   = segs_q;
  assign cpl_o.status     = status_q;
  assign cpl_o.immediate  = desc.flags[FlagImm];

  assign busy_o           = state_q != TxIdle && state_q != TxHalt;
  assign halted_o         = state_q == TxHalt;
  assign err_desc_fetch_o = desc_last_beat && (rerr_q || m_axi_rresp != 2'b00);

  // the header length is also known from the snapshot; the pair's upper half is the
  // shifted-out remainder
  logic unused_ok;
  assign unused_ok = ^{hdr_len_built, pair[2*DataW-1:DataW]};

endmodule

`resetall
