// txoe_tx_engine: descriptor fetch and validation, segmentation, pipelined payload reads
// realigned into frame-buffer slots, header build, and AXI4-Stream output of the slots in
// order (docs/microarchitecture.md, "TX engine").
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
  input  wire  [$clog2(CplqDepth):0]  cplq_count_i,   // (for UsedCount_A only)
  input  wire  [4:0]                  cplq_retire_i,  // entries leaving the queue at this edge
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
  localparam int unsigned SlotWords = FbBytes / Bw;
  localparam int unsigned FbWords   = NumSlots * SlotWords;
  localparam int unsigned FbAddrW   = $clog2(FbWords);
  localparam int unsigned WordW     = $clog2(SlotWords) + 1; // word index within a slot
  localparam int unsigned HdrWords  = (HdrMaxBytes + Bw - 1) / Bw;  // words a header spans
  localparam int unsigned SlotW     = 2;
  localparam int unsigned OfAddrW   = $clog2(OfifoDepth);
  localparam int unsigned BeatCntW  = 15;                  // beats of one segment
  localparam int unsigned WordIdxW  = 16;                  // signed frame word index
  localparam int unsigned RelW      = WordIdxW + LaneW + 1; // a frame position relative to a word
  localparam int unsigned CplCntW   = $clog2(CplqDepth) + 1;

  typedef enum logic [2:0] { FeIdle, FeDescAr, FeDescR, FeCheck, FeRun, FeHalt, FeCtx } fe_state_e;

  // A segment whose payload is being read: what the read side needs to place its beats,
  // worked out when the segment is queued, for its first beat. The read side keeps the
  // head job in hd_q, advanced beat by beat, so that a beat's placement starts from
  // flip-flops, not from the job queue's read and the arithmetic behind it.
  typedef struct packed {
    logic [SlotW-1:0]           slot;
    logic [LaneW-1:0]           sh;     // realignment: (hdr_len - off) mod Bw
    logic signed [WordIdxW-1:0] fw;     // the beat's frame word: floor((hdr_len - off) / Bw) + beat
    logic [FbAddrW-1:0]         waddr;  // its frame-buffer address: slot * SlotWords + fw
    logic signed [RelW-1:0]     lo, hi; // the payload's frame positions [hdr_len, frame_len),
                                        // relative to the word's first: minus fw * Bw
    logic [BeatCntW-1:0]        beats;  // beats left, this one included
    logic [15:0]                len;
    logic                       last;
  } job_t;

  typedef enum logic [1:0] { EvOk, EvDmaErr, EvVoid } ev_kind_e;

  function automatic logic [SlotW-1:0] slot_next(input logic [SlotW-1:0] s);
    return (s == SlotW'(NumSlots - 1)) ? '0 : s + 1'b1;
  endfunction

  // The payload's lanes of a frame word whose frame positions, relative to the word's
  // first minus `c`, are [lo_rel, hi_rel): each lane compares the bounds with its constant
  // index (c = 0: the word the bounds are relative to; c = Bw: the word after it).
  function automatic logic [Bw-1:0] payload_lanes(input logic signed [RelW-1:0] lo_rel,
                                                  input logic signed [RelW-1:0] hi_rel,
                                                  input int unsigned c);
    logic [Bw-1:0] m;
    for (int j = 0; j < Bw; j++) begin
      m[j] = lo_rel <= $signed(RelW'(j + c)) && $signed(RelW'(j + c)) < hi_rel;
    end
    return m;
  endfunction

  // A job `k` beats on: what hd_q holds for the head job at its beat k (HeadJob_A).
  function automatic job_t job_at(input job_t j, input logic [BeatCntW-1:0] k);
    job_t r;
    r       = j;
    r.fw    = j.fw + $signed({1'b0, k});
    r.waddr = j.waddr + FbAddrW'(k);
    r.lo    = j.lo - ($signed(RelW'(k)) <<< LaneW);
    r.hi    = j.hi - ($signed(RelW'(k)) <<< LaneW);
    r.beats = j.beats - k;
    return r;
  endfunction

  // Sum of the bytes of `word` on the lanes selected by `m` whose index has parity `odd`.
  // The payload sum (big-endian 16-bit words) is kept as two byte sums, of the high bytes
  // (even frame positions: even lanes, Bw being even) and of the low bytes: two narrow
  // adder trees instead of one wide one; they are combined only in the TCP checksum.
  // Written as a balanced tree (Bw / 2 operands, a power of two: log2(Bw / 2) adders deep)
  // since synthesis keeps a chain of adds as written: 16 adders deep at 256 bits.
  function automatic logic [15:0] lanes_sum(input logic [DataW-1:0] word, input logic [Bw-1:0] m,
                                            input int unsigned odd);
    logic [15:0] t [Bw/2];
    for (int i = 0; i < Bw / 2; i++) begin
      t[i] = m[2*i + odd] ? {8'd0, word[(2*i + odd)*8 +: 8]} : 16'd0;
    end
    for (int l = 1; l <= $clog2(Bw / 2); l++) begin
      for (int i = 0; i < (Bw / 2) >> l; i++) t[i] = t[2*i] + t[2*i + 1];
    end
    return t[0];
  endfunction

  // The frame words of a segment of `len` payload bytes behind a header of `hdr` bytes.
  function automatic logic [WordW-1:0] frame_words(input logic [6:0] hdr, input logic [15:0] len);
    return WordW'((32'(hdr) + 32'(len) + Bw - 1) >> LaneW);
  endfunction

  // The lanes of frame word `w` whose byte is below `len` (the header's, or the frame's).
  function automatic logic [Bw-1:0] lanes_below(input logic [WordW-1:0] w, input logic [13:0] len);
    logic [Bw-1:0] m;
    for (int j = 0; j < Bw; j++) m[j] = 32'(w) * 32'(Bw) + 32'(j) < 32'(len);
    return m;
  endfunction

  // Word `w` of a header (its bytes w*Bw.. on lanes 0..), zero past the header's last word.
  function automatic logic [DataW-1:0] hdr_word(input logic [HdrMaxBytes*8-1:0] h,
                                                input logic [WordW-1:0] w);
    logic [HdrWords*DataW-1:0] padded;
    padded = (HdrWords*DataW)'(h);
    return (32'(w) < HdrWords) ? padded[32'(w) * DataW +: DataW] : '0;
  endfunction

  // ================================================================ front end
  fe_state_e            fe_q, fe_d;
  logic [RingIdxW-1:0]  fetch_idx_q;
  logic [255:0]         desc_raw_q;
  logic [2:0]           dbeat_q;
  logic                 rerr_q;
  ctx_t                 ctx_q;
  logic [15:0]          eff_mss_q;
  logic [6:0]           hdr_len_q;
  // Requests started whose completion is not queued: inflight_q - cpl_push_q. The push is
  // taken off the count a cycle late, from a register, so that the count's update does
  // not wait for the stream output's handshake that decides the push.
  logic [CplCntW-1:0]   inflight_q;
  logic                 cpl_push_q;
  // The completion queue's entries and the requests started whose completion is not
  // queued: cplq_count_i + inflight_q - cpl_push_q, kept in a register of its own
  // (UsedCount_A) so that starting a request does not wait for the queue's count, an add
  // in the completion writer, and two more here. Only starting a request raises it and
  // only a batch's write response lowers it (by the batch's entries).
  logic [CplCntW-1:0]   used_q;

  desc_t desc;
  assign desc = desc_t'(desc_raw_q);

  logic [DataW+255:0] rdata_pad;                         // a beat, zero-extended
  assign rdata_pad = {256'd0, m_axi_rdata};

  // validation
  ctx_t        ctx_now;
  logic [6:0]  hdr_len_now;
  logic [15:0] l3l4_len, mtu_mss, eff_mss;
  status_e     check_status;
  assign ctx_now      = ctx_decode(ctx_rd_words_i);   // desc.conn's context (see ctx_rd_idx_o)
  assign l3l4_len     = !ctx_now.ipv6 ? 16'd40 : ctx_now.frag_hdr ? 16'd68 : 16'd60;
  assign hdr_len_now  = (ctx_now.vlan_en ? 7'd18 : 7'd14) + 7'(l3l4_len);
  assign mtu_mss      = mtu_i - l3l4_len;
  assign eff_mss      = (ctx_now.mss < mtu_mss) ? ctx_now.mss : mtu_mss;

  // The descriptor's own checks, in status priority order: reserved bits, zero length,
  // too long, connection out of range. They are worked out on the descriptor register's
  // next value whenever a beat of it arrives (desc_bad_q, checked against desc by
  // DescChecks_A), so that CHECK starts from flip-flops; the context's two checks are
  // made in CHECK, from the context read port's registers.
  function automatic logic [3:0] desc_checks(input logic [63:0] rsvd, input logic [15:0] flags,
                                             input logic [15:0] conn, input logic [31:0] len);
    return {conn >= 16'(NumConn), len > 32'(MaxSendLen), len == 32'd0,
            (flags & ~16'h0007) != 16'd0 || rsvd != 64'd0};
  endfunction
  logic [255:0] desc_raw_d;                              // desc_raw_q after this cycle's beat
  desc_t        desc_d;
  assign desc_d = desc_t'(desc_raw_d);
  logic [3:0]   desc_bad_q;                              // desc_checks(desc)

  always_comb begin
    if (desc_bad_q[0])                                 check_status = StReservedBits;
    else if (desc_bad_q[1])                            check_status = StBadLength;
    else if (desc_bad_q[2])                            check_status = StTooLong;
    else if (desc_bad_q[3])                            check_status = StBadConn;
    else if (!ctx_now.valid)                           check_status = StInvalidCtx;
    else if (ctx_now.mss < 16'(MinMss))                check_status = StMssTooSmall;
    else                                               check_status = StOk;
  end

  // ================================================================ slots
  logic [SlotW-1:0]         alloc_q, rd_slot_q, tx_slot_q;
  logic [1:0]               free_q;                      // free slots, 0..NumSlots
  logic                     s_ready_q     [NumSlots];
  logic                     s_read_q      [NumSlots];   // the stream output has passed it
  slot_kind_e               s_kind_q      [NumSlots];
  logic [HdrMaxBytes*8-1:0] s_hdr_q       [NumSlots];
  logic [6:0]               s_hdr_len_q   [NumSlots];
  logic [6:0]               s_ck_at_q     [NumSlots];   // the TCP checksum's first byte,
                                                        // hdr_len - 4: kept so that the read
                                                        // side finds its lane with no subtract
  logic [15:0]              s_tcp_csum_q  [NumSlots];   // the TCP checksum
  logic [13:0]              s_frame_len_q [NumSlots];
  logic [WordW-1:0]         s_nw_q        [NumSlots];
  logic [DataW-1:0]         s_tail_q      [NumSlots];
  logic [WordW-1:0]         s_tail_w_q    [NumSlots];
  logic                     s_cpl_en_q    [NumSlots];
  cpl_t                     s_cpl_q       [NumSlots];

  (* no_rw_check *)
  logic [DataW-1:0]         fbuf [FbWords];

  // ================================================================ read address side
  logic                 ar_active_q, ar_stop_q;
  logic [63:0]          ar_addr_q;
  logic [BeatCntW-1:0]  ar_beats_q;
  logic [16:0]          ar_done_q;                       // payload bytes given to segments
  logic [15:0]          left_q;                          // and those not yet: len - ar_done_q

  job_t                 job_q [NumSlots];
  logic [SlotW-1:0]     job_wr_q, job_rd_q;
  logic [1:0]           job_cnt_q;

  logic                 req_err_q;                       // a payload read of this request failed

  logic [15:0]          left, seg_len;
  logic [63:0]          seg_addr;
  logic [LaneW-1:0]     seg_off;
  logic [BeatCntW-1:0]  seg_beats;
  logic                 alloc_seg;
  logic signed [WordIdxW-1:0] seg_d, seg_fw;
  logic signed [RelW-1:0]     seg_base;
  logic signed [RelW-1:0]     seg_lo;                  // hdr_len relative to the first word
  job_t                 seg_job;                         // the job alloc_seg queues
  assign left      = left_q;                           // in RUN (LeftBytes_A)
  assign seg_len   = (left < eff_mss_q) ? left : eff_mss_q;
  assign seg_addr  = desc.buf_addr + 64'(ar_done_q);
  assign seg_off   = seg_addr[LaneW-1:0];
  assign seg_beats = BeatCntW'((32'(seg_off) + 32'(seg_len) + 32'(Bw) - 32'd1) >> LaneW);
  assign seg_d     = WordIdxW'(hdr_len_q) - WordIdxW'(seg_off);
  assign seg_fw    = seg_d >>> LaneW;                    // floor((hdr_len - off) / Bw)
  assign seg_base  = RelW'(seg_fw) <<< LaneW;            // its first frame position
  assign seg_lo    = $signed(RelW'(14'(hdr_len_q))) - seg_base;
  assign seg_job   = '{slot: alloc_q, sh: seg_d[LaneW-1:0], fw: seg_fw,
                       waddr: FbAddrW'(32'(alloc_q) * SlotWords + 32'(seg_fw)),
                       lo: seg_lo,
                       hi: seg_lo + $signed(RelW'(seg_len[13:0])),
                       beats: seg_beats, len: seg_len, last: seg_len == left};
  assign alloc_seg = fe_q == FeRun && !ar_active_q && !ar_stop_q && !req_err_q && free_q != 2'd0;

  // page_beats_q: the beats from ar_addr_q to its 4 KiB page's end, kept beside the
  // address (loaded with it, lowered by each burst), so that a burst's length is two
  // comparisons from registers.
  logic [12:0] page_beats_q, seg_page_beats;
  logic [4:0]  burst_beats;
  assign seg_page_beats = 13'(4096 / Bw) - 13'(seg_addr[11:LaneW]);
  always_comb begin
    burst_beats = 5'd16;
    if (BeatCntW'(burst_beats) > ar_beats_q) burst_beats = 5'(ar_beats_q);
    if (13'(burst_beats) > page_beats_q)     burst_beats = 5'(page_beats_q);
  end

  // ================================================================ read data side
  job_t                       job;                       // the head job as queued
  job_t                       hd_q;                      // the head job at its beat rk_q
  logic [BeatCntW-1:0]        rk_q;                      // beat of the head job (assertions)
  logic [DataW-1:0]           prev_q;
  logic [23:0]                psum_hi_q, psum_lo_q;      // byte sums of the payload so far
  logic                       job_err_q;
  logic                       r_active, r_fire, r_last;
  logic [WordW-1:0]           tail_w;                    // the tail word's index
  logic [2*DataW-1:0]         pair, tail_pair;
  logic [DataW-1:0]           fw_data, tail_data;
  logic                       beat_err;

  assign job           = job_q[job_rd_q];
  assign r_active      = job_cnt_q != 2'd0;             // also after the front end moved on
  assign r_fire        = r_active && m_axi_rvalid;
  assign r_last        = r_fire && hd_q.beats == BeatCntW'(1);
  assign beat_err      = m_axi_rresp != 2'b00;
  assign tail_w        = WordW'(hd_q.fw + 16'sd1);
  // The realigned words: bytes [Bw - sh, 2 Bw - sh) of {beat, previous beat} (and of
  // {0, beat} for the tail), written as a left shift by sh and the upper half, so that the
  // shifter's selects are the job's sh bits themselves, with no subtract in front.
  assign pair          = {m_axi_rdata, prev_q} << (32'(hd_q.sh) * 8);
  assign fw_data       = pair[2*DataW-1:DataW];
  assign tail_pair     = {{DataW{1'b0}}, m_axi_rdata} << (32'(hd_q.sh) * 8);
  assign tail_data     = tail_pair[2*DataW-1:DataW];

  // The payload sum runs one cycle behind the beats: a beat's realigned word and its
  // payload lanes are registered (bs_*), summed in the next cycle into psum_*_q, and the
  // request's last beat (with its tail word) into ev_*_q, which the header stage reads
  // from the cycle after the event (the TCP checksum's second cycle).
  logic                       bs_v_q, bs_last_q;
  logic [DataW-1:0]           bs_data_q, bs_tail_q;
  logic [Bw-1:0]              bs_lanes_q, bs_tail_lanes_q;
  logic [15:0]                bs_hi, bs_lo, bs_tail_hi, bs_tail_lo;
  assign bs_hi      = lanes_sum(bs_data_q, bs_lanes_q, 0);
  assign bs_lo      = lanes_sum(bs_data_q, bs_lanes_q, 1);
  assign bs_tail_hi = lanes_sum(bs_tail_q, bs_tail_lanes_q, 0);
  assign bs_tail_lo = lanes_sum(bs_tail_q, bs_tail_lanes_q, 1);

  // Up to 256 bits the byte-sum trees' outputs are registered (bt_*) before the
  // accumulators take them: a beat's sum reaches ev_*_q a cycle later, and the TCP
  // checksum, which adds it, is computed a cycle later too (ck_*, below), still before its
  // word is assembled: at the header's byte 50 or later, that word is not the first (the
  // first is assembled two cycles after the event at the earliest, the next one three;
  // CsumInTime_A). At 512 bits the checksum is in the first word: no stage.
  localparam bit SumStage = DataW <= 256;
  logic        bt_v_q, bt_last_q;
  logic [15:0] bt_hi_q, bt_lo_q, bt_tail_hi_q, bt_tail_lo_q;
  logic        sum_v, sum_last;                    // the beat sums the accumulators take
  logic [15:0] sum_hi, sum_lo, sum_tail_hi, sum_tail_lo;
  assign sum_v       = SumStage ? bt_v_q : bs_v_q;
  assign sum_last    = SumStage ? bt_last_q : bs_last_q;
  assign sum_hi      = SumStage ? bt_hi_q : bs_hi;
  assign sum_lo      = SumStage ? bt_lo_q : bs_lo;
  assign sum_tail_hi = SumStage ? bt_tail_hi_q : bs_tail_hi;
  assign sum_tail_lo = SumStage ? bt_tail_lo_q : bs_tail_lo;

  // ================================================================ header stage
  logic                 ev_q;
  ev_kind_e             ev_kind_q;
  logic [SlotW-1:0]     ev_slot_q;
  logic [15:0]          ev_len_q;
  logic                 ev_last_q;
  logic [23:0]          ev_hi_q, ev_lo_q;                // the segment's payload byte sums
  logic [31:0]          seq_q;
  logic [16:0]          done_q;
  logic [15:0]          segs_q;

  logic                     ev_fin, ev_psh;
  logic [31:0]              seq_next;
  logic [HdrMaxBytes*8-1:0] hdr_now;
  logic                     ev_build;
  assign ev_build = ev_q && ev_kind_q == EvOk;
  assign ev_fin   = ev_last_q && desc.flags[FlagFin];
  assign ev_psh   = ev_last_q && desc.flags[FlagPsh];
  assign seq_next = seq_q + 32'(ev_len_q) + 32'(ev_fin);
  logic [WordW-1:0] ev_nw_q;               // the segment's frame words, with ev_len_q (EvWords_A)

  // The header is built in two cycles. In the event's cycle: every byte but the two
  // checksums (left zero), and the checksums' sums without the payload, from the
  // context's share (ctx_ip_q, and ctx_tcp_q in three steps, the addresses' halves, the
  // addresses and the rest, then their sum: in the three cycles after CHECK, by the
  // request's first event at the earliest, CtxSumsCurrent_A) and the segment's
  // fields. In the next cycle (hs_*): the payload sum is added, both sums folded, and the
  // header with its checksums written into the slot. The slot is ready from the event's cycle on; the
  // stream output reads its header bytes two cycles after that at the earliest (a word
  // read in cycle t is assembled in t+1), so the checksums are there in time.
  logic [31:0]              ctx_ip_q, ctx_tcp_q;
  logic [31:0]              ctx_tcp_addr_q, ctx_tcp_rest_q;   // ctx_tcp_sum in two halves
  logic [31:0]              ctx_src_sum_q, ctx_dst_sum_q;     // ctx_tcp_addr_q in two halves
  logic                     hs_v_q, hs_v4_q;
  logic [SlotW-1:0]         hs_slot_q;
  logic [HdrMaxBytes*8-1:0] hs_hdr_q;
  logic [31:0]              hs_ip_sum_q, hs_tcp_sum_q;
  logic [6:0]               hs_ip_at_q;                   // first byte of the IPv4 checksum
  logic [15:0]              hs_ip_csum, hs_tcp_csum;
  logic [HdrMaxBytes*8-1:0] hs_hdr;
  logic [6:0]               ev_l3_at;
  assign ev_l3_at    = ctx_q.vlan_en ? 7'd18 : 7'd14;
  assign hs_ip_csum  = ~csum_fold(hs_ip_sum_q);
  // The TCP checksum's cycle: the header stage's second (hs_*), or with the payload-sum
  // stage the one after it (ck_*_q), when ev_*_q holds the segment's payload sums.
  logic             ck_v_q;
  logic [SlotW-1:0] ck_slot_q;
  logic [31:0]      ck_tcp_sum_q;
  logic             ck_v;
  logic [SlotW-1:0] ck_slot;
  logic [31:0]      ck_tcp_sum;
  assign ck_v        = SumStage ? ck_v_q : hs_v_q;
  assign ck_slot     = SumStage ? ck_slot_q : hs_slot_q;
  assign ck_tcp_sum  = SumStage ? ck_tcp_sum_q : hs_tcp_sum_q;
  assign hs_tcp_csum = ~csum_fold(ck_tcp_sum + {ev_hi_q, 8'd0} + 32'(ev_lo_q));
  always_comb begin
    hs_hdr = hs_hdr_q;
    if (hs_v4_q) begin
      hs_hdr[32'(hs_ip_at_q) * 8 +: 8]      = hs_ip_csum[15:8];
      hs_hdr[32'(hs_ip_at_q) * 8 + 8 +: 8]  = hs_ip_csum[7:0];
    end
  end

  txoe_hdr_build u_hdr_build (
    .ctx_i         (ctx_q),
    .seq_i         (seq_q),
    .len_i         (ev_len_q),
    .psh_i         (ev_psh),
    .fin_i         (ev_fin),
    .ip_id_i       (id4_i),
    .frag_id_i     (id6_i),
    .ip_csum_i     (16'd0),
    .tcp_csum_i    (16'd0),
    .hdr_o         (hdr_now)
  );

  // ================================================================ stream output
  logic [WordW-1:0]     rd_w_q;
  logic                 infl_q, infl_tail_q;
  logic [SlotW-1:0]     infl_slot_q;
  logic [WordW-1:0]     infl_w_q;
  logic [DataW-1:0]     fb_rdata_q;
  logic [DataW-1:0]     infl_hw_q;      // the slot's header word infl_w_q, read with the frame word
  logic [DataW-1:0]     of_data_q [OfifoDepth];
  logic [Bw-1:0]        of_keep_q [OfifoDepth];
  logic                 of_last_q [OfifoDepth];
  logic [OfAddrW-1:0]   of_wr_q, of_rd_q;
  logic [OfAddrW:0]     of_count_q;

  logic rd_skip, rd_issue, rd_slot_done, tx_consume, pop, frame_done, slot_free;
  logic rd_ready;

  // The slots' ready, kind and completion flags after this cycle's writes (a failed
  // request's CHECK, a segment's allocation, an event, the transmit slot freed; a later
  // one wins), and those of the transmit slot in registers of their own (tx_*_q, checked
  // by TxSlot_A), so that the stream's valid and the completion push are a gate or two
  // from flip-flops and tready, not behind a multiplexer of the three slots.
  logic             s_ready_d  [NumSlots];
  slot_kind_e       s_kind_d   [NumSlots];
  logic             s_cpl_en_d [NumSlots];
  logic [SlotW-1:0] tx_slot_d;
  logic             tx_ready_q, tx_cpl_en_q;
  slot_kind_e       tx_kind_q;
  // The read slot's flags in registers of their own too (rd_*_q, from the slots' next
  // flags, checked by ReadSlot_A): whether it is ready and not yet read, whether it holds
  // a frame, and whether the word at rd_w_q is its last. The read side's decisions are
  // then a gate or two from flip-flops, not behind a multiplexer of the three slots and a
  // compare.
  logic             rd_ready_q, rd_frame_q, rd_last_q;
  logic             s_read_d [NumSlots];  // (but the read side's own, set on the slot it leaves)
  logic [WordW-1:0] s_nw_d   [NumSlots];
  assign rd_ready     = rd_ready_q;
  assign rd_skip      = rd_ready && !rd_frame_q;
  assign rd_issue     = rd_ready && rd_frame_q
                        && (32'(of_count_q) + 32'(infl_q) < 32'(OfifoDepth));
  assign rd_slot_done = rd_issue && rd_last_q;
  logic rd_last_next;                   // rd_last_q's next value when the read slot moves on
  assign rd_last_next = (rd_slot_done ? WordW'(1) : rd_w_q + 1'b1) == s_nw_d[slot_next(rd_slot_q)];
  assign tx_consume   = tx_ready_q && tx_kind_q != SlotFrame;
  assign m_axis_tx_tvalid = of_count_q != '0 && tx_ready_q && tx_kind_q == SlotFrame;
  assign m_axis_tx_tdata  = of_data_q[of_rd_q];
  assign m_axis_tx_tkeep  = of_keep_q[of_rd_q];
  assign m_axis_tx_tlast  = of_last_q[of_rd_q];
  assign pop        = m_axis_tx_tvalid && m_axis_tx_tready;
  assign frame_done = pop && m_axis_tx_tlast;
  assign slot_free  = tx_consume || frame_done;
  assign tx_slot_d  = slot_free ? slot_next(tx_slot_q) : tx_slot_q;

  // The TCP checksum is not written into the slot's header (its bytes there stay zero)
  // but beside it (s_tcp_csum_q, in the same cycle), and put in place as the word holding
  // it is assembled, at the lane found when the word is read (infl_ck_q: its high byte;
  // the low byte is on the next lane, the checksum's position being even): the header
  // stage's second cycle then adds and folds into a 16-bit register instead of placing
  // bytes anywhere in the 86-byte header.
  logic [DataW-1:0] push_src, push_data;
  logic [Bw-1:0]    push_keep;
  logic             push_last;
  logic [Bw-1:0]    infl_ck_q;                           // the checksum's high byte's lane
  logic [15:0]      push_ck;
  // The word's lanes are classified when it is read, a cycle ahead (infl_hdr_q: header,
  // infl_keep_q: in the frame, infl_last_q: the slot's last word), and the slot's tail
  // word read then (infl_tdata_q): the slot's lengths and tail are written at its event
  // at the latest, before its first word can be read (InflWord_A). The assembly is then a
  // choice among registers per lane.
  logic [Bw-1:0]    infl_hdr_q, infl_keep_q;
  logic             infl_last_q;
  logic [DataW-1:0] infl_tdata_q;
  assign push_src  = infl_tail_q ? infl_tdata_q : fb_rdata_q;
  assign push_ck   = s_tcp_csum_q[infl_slot_q];
  assign push_last = infl_last_q;
  assign push_keep = infl_keep_q;
  always_comb begin
    for (int j = 0; j < Bw; j++) begin
      if (infl_ck_q[j])
        push_data[j*8 +: 8] = push_ck[15:8];
      else if (j > 0 && infl_ck_q[(j + Bw - 1) % Bw])
        push_data[j*8 +: 8] = push_ck[7:0];
      else if (infl_hdr_q[j])
        push_data[j*8 +: 8] = infl_hw_q[j*8 +: 8];
      else if (infl_keep_q[j])
        push_data[j*8 +: 8] = push_src[j*8 +: 8];
      else
        push_data[j*8 +: 8] = 8'd0;
    end
  end


  // ================================================================ front-end next state
  // The next descriptor is fetched once every burst of the request has been requested;
  // its beats come after the request's payload beats (one ID, in order).
  logic desc_fire, desc_last_beat, run_done, fe_start, check_act, cpl_push;
  assign desc_fire      = fe_q == FeDescR && !r_active && m_axi_rvalid;
  assign desc_last_beat = desc_fire && dbeat_q == 3'(DescBeats - 1);
  assign run_done  = ar_stop_q && !ar_active_q;
  assign fe_start  = fe_q == FeIdle && enable_i && !halted_i && fetch_idx_q != tx_tail_i
                     && 32'(used_q) < 32'(CplqDepth);
  assign check_act = fe_q == FeCheck && free_q != 2'd0;
  assign cpl_push  = (tx_consume && tx_kind_q == SlotCplOnly) || (frame_done && tx_cpl_en_q);

  always_comb begin
    for (int s = 0; s < NumSlots; s++) begin
      s_ready_d[s]  = s_ready_q[s];
      s_kind_d[s]   = s_kind_q[s];
      s_cpl_en_d[s] = s_cpl_en_q[s];
    end
    if (check_act && check_status != StOk) begin
      s_ready_d[alloc_q]  = 1'b1;
      s_kind_d[alloc_q]   = SlotCplOnly;
      s_cpl_en_d[alloc_q] = 1'b1;
    end
    if (alloc_seg) s_ready_d[alloc_q] = 1'b0;
    if (ev_q) begin
      s_ready_d[ev_slot_q] = 1'b1;
      unique case (ev_kind_q)
        EvOk:     begin s_kind_d[ev_slot_q] = SlotFrame;   s_cpl_en_d[ev_slot_q] = ev_last_q; end
        EvDmaErr: begin s_kind_d[ev_slot_q] = SlotCplOnly; s_cpl_en_d[ev_slot_q] = 1'b1;      end
        default:  begin s_kind_d[ev_slot_q] = SlotVoid;    s_cpl_en_d[ev_slot_q] = 1'b0;      end
      endcase
    end
    if (slot_free) s_ready_d[tx_slot_q] = 1'b0;
  end
  // The slots' read flags after this cycle's allocations (the read side sets the flag of
  // the slot it leaves, whose next flags it does not take), and their word counts after
  // this cycle's event, as the registers below take them.
  always_comb begin
    for (int s = 0; s < NumSlots; s++) begin
      s_read_d[s] = s_read_q[s];
      s_nw_d[s]   = s_nw_q[s];
    end
    if (check_act && check_status != StOk) s_read_d[alloc_q] = 1'b0;
    if (alloc_seg) s_read_d[alloc_q] = 1'b0;
    if (ev_q && ev_kind_q == EvOk) s_nw_d[ev_slot_q] = ev_nw_q;
  end

  // The context read port has two cycles of latency (txoe_csr): it is addressed with the
  // connection the descriptor register holds two cycles later, so that ctx_rd_words_i
  // is desc.conn's context in CHECK, which follows the descriptor's last beat by one
  // cycle, CTX. With two or more beats per descriptor `conn` is in the register when the
  // last beat arrives (its beat is not the last); with one, it is read from the beat
  // itself.
  desc_t desc_beat;                         // the descriptor of a one-beat burst (its beat)
  assign desc_beat    = desc_t'(rdata_pad[32'(fetch_idx_q) * 256 % DataW +: 256]);
  always_comb begin
    desc_raw_d = desc_raw_q;
    if (Bw >= DescBytes) desc_raw_d = desc_beat;
    else                 desc_raw_d[32'(dbeat_q) * DescChunk +: DescChunk] = rdata_pad[DescChunk-1:0];
  end
  assign ctx_rd_idx_o = (DescBeats == 1 && fe_q == FeDescR) ? desc_beat.conn[ConnW-1:0]
                                                             : desc.conn[ConnW-1:0];

  always_comb begin
    fe_d = fe_q;
    unique case (fe_q)
      FeIdle:   if (fe_start) fe_d = FeDescAr;
      FeDescAr: if (m_axi_arready) fe_d = FeDescR;
      FeDescR:  if (desc_last_beat) fe_d = (rerr_q || beat_err) ? FeHalt : FeCtx;
      FeCtx:    fe_d = FeCheck;           // the context read port's second cycle
      FeCheck:  if (check_act) fe_d = (check_status == StOk) ? FeRun : FeIdle;
      FeRun:    if (run_done) fe_d = FeIdle;
      FeHalt:   fe_d = FeHalt;
      default:  fe_d = FeIdle;
    endcase
  end

  logic [1:0] allocs;                                    // 0 or 1: the two are in different states
  assign allocs = 2'(alloc_seg) + 2'(check_act && check_status != StOk);

  // ================================================================ registers
  always_ff @(posedge clk) begin
    if (rst) begin
      fe_q        <= FeIdle;
      fetch_idx_q <= '0;
      desc_raw_q  <= '0;
      desc_bad_q  <= desc_checks(64'd0, 16'd0, 16'd0, 32'd0);
      dbeat_q     <= '0;
      rerr_q      <= 1'b0;
      ctx_q       <= '0;
      eff_mss_q   <= '0;
      hdr_len_q   <= '0;
      inflight_q  <= '0;
      used_q      <= '0;
      cpl_push_q  <= 1'b0;
      alloc_q     <= '0;
      rd_slot_q   <= '0;
      tx_slot_q   <= '0;
      tx_ready_q  <= 1'b0;
      tx_kind_q   <= SlotVoid;
      tx_cpl_en_q <= 1'b0;
      rd_ready_q  <= 1'b0;
      rd_frame_q  <= 1'b0;
      rd_last_q   <= 1'b0;
      free_q      <= 2'(NumSlots);
      for (int s = 0; s < NumSlots; s++) begin
        s_ready_q[s]  <= 1'b0;
        s_read_q[s]   <= 1'b0;
        s_kind_q[s]   <= SlotVoid;
        s_cpl_en_q[s] <= 1'b0;
      end
      ar_active_q <= 1'b0;
      ar_stop_q   <= 1'b0;
      ar_addr_q   <= '0;
      page_beats_q <= 13'(4096 / Bw);
      ar_beats_q  <= '0;
      ar_done_q   <= '0;
      left_q      <= '0;
      job_wr_q    <= '0;
      job_rd_q    <= '0;
      job_cnt_q   <= '0;
      req_err_q   <= 1'b0;
      rk_q        <= '0;
      psum_hi_q   <= '0;
      psum_lo_q   <= '0;
      job_err_q   <= 1'b0;
      bs_v_q      <= 1'b0;
      bs_last_q   <= 1'b0;
      bt_v_q      <= 1'b0;
      bt_last_q   <= 1'b0;
      ck_v_q      <= 1'b0;
      hs_v_q      <= 1'b0;
      ev_q        <= 1'b0;
      ev_kind_q   <= EvOk;
      ev_slot_q   <= '0;
      ev_len_q    <= '0;
      ev_nw_q     <= '0;
      ev_last_q   <= 1'b0;
      ev_hi_q     <= '0;
      ev_lo_q     <= '0;
      seq_q       <= '0;
      done_q      <= '0;
      segs_q      <= '0;
      rd_w_q      <= '0;
      infl_q      <= 1'b0;
      infl_tail_q <= 1'b0;
      infl_ck_q   <= '0;
      infl_slot_q <= '0;
      infl_w_q    <= '0;
      of_wr_q     <= '0;
      of_rd_q     <= '0;
      of_count_q  <= '0;
    end else begin
      fe_q <= fe_d;

      // ---------------------------------------------------------- front end
      cpl_push_q <= cpl_push;
      inflight_q <= inflight_q + CplCntW'(fe_start) - CplCntW'(cpl_push_q);
      used_q     <= used_q + CplCntW'(fe_start) - CplCntW'(cplq_retire_i);
      unique case (fe_q)
        FeDescAr: if (m_axi_arready) begin
          dbeat_q <= '0;
          rerr_q  <= 1'b0;
        end
        FeDescR: if (desc_fire) begin
          desc_raw_q <= desc_raw_d;
          desc_bad_q <= desc_checks(desc_d.rsvd, desc_d.flags, desc_d.conn, desc_d.len);
          dbeat_q <= dbeat_q + 3'd1;
          rerr_q  <= rerr_q || beat_err;
        end
        FeCheck: if (check_act) begin
          ctx_q     <= ctx_now;
          eff_mss_q <= eff_mss;
          hdr_len_q <= hdr_len_now;
          ar_stop_q <= 1'b0;
          ar_done_q <= '0;
          left_q    <= desc.len[15:0];
          req_err_q <= 1'b0;
          seq_q     <= ctx_now.snd_nxt;
          done_q    <= '0;
          segs_q    <= '0;
          // The free slot alloc_q takes the request's completion whatever the check's
          // outcome (cpl_we, below), so that the write does not wait for the validation:
          // when the request is valid, the slot is not allocated here, and its completion
          // is written again at its event, the cycle it becomes ready: nothing reads a
          // slot's completion before then.
          if (check_status != StOk) begin
            s_read_q[alloc_q]   <= 1'b0;
            fetch_idx_q <= (fetch_idx_q + 1'b1) & ring_mask(tx_log2_i);
          end
        end
        FeRun: if (run_done) begin
          fetch_idx_q <= (fetch_idx_q + 1'b1) & ring_mask(tx_log2_i);
        end
        default: ;
      endcase

      // ---------------------------------------------------------- read address side
      if (alloc_seg) begin
        job_q[job_wr_q]    <= seg_job;
        job_wr_q           <= slot_next(job_wr_q);
        s_read_q[alloc_q]  <= 1'b0;
        ar_active_q        <= 1'b1;
        ar_addr_q          <= {seg_addr[63:LaneW], {LaneW{1'b0}}};
        page_beats_q       <= seg_page_beats;
        ar_beats_q         <= seg_beats;
        ar_done_q          <= ar_done_q + 17'(seg_len);
        left_q             <= left_q - seg_len;
        if (seg_len == left) ar_stop_q <= 1'b1;
      end else if (ar_active_q && m_axi_arready) begin
        ar_addr_q  <= ar_addr_q + 64'(32'(burst_beats) * Bw);
        page_beats_q <= (13'(burst_beats) == page_beats_q) ? 13'(4096 / Bw)
                                                          : page_beats_q - 13'(burst_beats);
        ar_beats_q <= ar_beats_q - BeatCntW'(burst_beats);
        if (BeatCntW'(burst_beats) == ar_beats_q) ar_active_q <= 1'b0;
      end
      if (fe_q == FeRun && req_err_q && !ar_active_q) ar_stop_q <= 1'b1;
      if (allocs != 2'd0) alloc_q <= slot_next(alloc_q);
      free_q <= free_q - allocs + 2'(slot_free);

      // ---------------------------------------------------------- read data side
      job_cnt_q <= job_cnt_q + 2'(alloc_seg) - 2'(r_last);
      if (r_fire) begin
        if (r_last) begin
          job_rd_q  <= slot_next(job_rd_q);
          rk_q      <= '0;
          job_err_q <= 1'b0;
          s_tail_q[hd_q.slot]   <= tail_data;
          s_tail_w_q[hd_q.slot] <= tail_w;
          if (job_err_q || beat_err) req_err_q <= 1'b1;
        end else begin
          rk_q      <= rk_q + 1'b1;
          job_err_q <= job_err_q || beat_err;
        end
      end
      bs_v_q    <= r_fire;
      bs_last_q <= r_last;
      bt_v_q    <= bs_v_q;
      bt_last_q <= bs_last_q;
      if (sum_v) begin
        if (sum_last) begin
          ev_hi_q   <= psum_hi_q + 24'(sum_hi) + 24'(sum_tail_hi);
          ev_lo_q   <= psum_lo_q + 24'(sum_lo) + 24'(sum_tail_lo);
          psum_hi_q <= '0;
          psum_lo_q <= '0;
        end else begin
          psum_hi_q <= psum_hi_q + 24'(sum_hi);
          psum_lo_q <= psum_lo_q + 24'(sum_lo);
        end
      end
      ck_v_q <= hs_v_q;

      // ---------------------------------------------------------- header stage
      ev_q <= r_last;
      if (r_last) begin
        ev_kind_q <= req_err_q ? EvVoid : (job_err_q || beat_err) ? EvDmaErr : EvOk;
        ev_slot_q <= hd_q.slot;
        ev_len_q  <= hd_q.len;
        ev_nw_q   <= frame_words(hdr_len_q, hd_q.len);
        ev_last_q <= hd_q.last;
      end
      if (ev_q) begin
        unique case (ev_kind_q)
          EvOk: begin
            s_hdr_len_q[ev_slot_q]   <= hdr_len_q;
            s_ck_at_q[ev_slot_q]     <= hdr_len_q - 7'd4;   // TCP header: checksum at 16 of 20
            s_frame_len_q[ev_slot_q] <= 14'(hdr_len_q) + ev_len_q[13:0];
            s_nw_q[ev_slot_q]        <= ev_nw_q;
            seq_q  <= seq_next;
            done_q <= done_q + 17'(ev_len_q);
            segs_q <= segs_q + 16'd1;
          end
          default: ;
        endcase
      end

      hs_v_q <= ev_build;

      // ---------------------------------------------------------- stream output
      if (rd_skip || rd_slot_done) s_read_q[rd_slot_q] <= 1'b1;
      if (rd_skip) begin
        rd_slot_q <= slot_next(rd_slot_q);
      end else if (rd_issue) begin
        rd_w_q <= rd_slot_done ? '0 : rd_w_q + 1'b1;
        if (rd_slot_done) rd_slot_q <= slot_next(rd_slot_q);
      end
      infl_q <= rd_issue;
      if (rd_issue) begin
        infl_slot_q <= rd_slot_q;
        infl_w_q    <= rd_w_q;
        infl_tail_q <= rd_w_q == s_tail_w_q[rd_slot_q];
        for (int j = 0; j < Bw; j++) begin
          infl_ck_q[j] <= rd_w_q == WordW'(s_ck_at_q[rd_slot_q][6:LaneW])
                          && s_ck_at_q[rd_slot_q][LaneW-1:0] == LaneW'(j);
        end
      end
      if (infl_q) of_wr_q <= of_wr_q + 1'b1;
      if (pop)    of_rd_q <= of_rd_q + 1'b1;
      of_count_q <= of_count_q + (OfAddrW+1)'(infl_q) - (OfAddrW+1)'(pop);
      for (int s = 0; s < NumSlots; s++) begin
        s_ready_q[s]  <= s_ready_d[s];
        s_kind_q[s]   <= s_kind_d[s];
        s_cpl_en_q[s] <= s_cpl_en_d[s];
      end
      tx_slot_q   <= tx_slot_d;
      // the next slot's flags and the current one's side by side, the move picking one (the
      // read side's own read flag only ever set on the slot it leaves)
      rd_ready_q  <= (rd_skip || rd_slot_done)
                     ? s_ready_d[slot_next(rd_slot_q)] && !s_read_d[slot_next(rd_slot_q)]
                     : s_ready_d[rd_slot_q] && !s_read_d[rd_slot_q];
      rd_frame_q  <= (rd_skip || rd_slot_done) ? s_kind_d[slot_next(rd_slot_q)] == SlotFrame
                                               : s_kind_d[rd_slot_q] == SlotFrame;
      // the next word + 1 == the next slot's word count, from its candidates side by side
      rd_last_q   <= (rd_skip || rd_slot_done) ? rd_last_next
                   : rd_issue ? rd_w_q + WordW'(2) == s_nw_d[rd_slot_q] : rd_w_q + 1'b1 == s_nw_d[rd_slot_q];
      tx_ready_q  <= s_ready_d[tx_slot_d];
      tx_kind_q   <= s_kind_d[tx_slot_d];
      tx_cpl_en_q <= s_cpl_en_d[tx_slot_d];
    end
  end

  // payload-sum and header pipeline registers, qualified by bs_v_q / hs_v_q: not reset
  always_ff @(posedge clk) begin
    ctx_ip_q       <= ctx_ip_sum(ctx_q);
    ctx_src_sum_q  <= ctx_addr_half_sum(ctx_q, 1'b0);
    ctx_dst_sum_q  <= ctx_addr_half_sum(ctx_q, 1'b1);
    ctx_tcp_addr_q <= ctx_src_sum_q + ctx_dst_sum_q;
    ctx_tcp_rest_q <= ctx_tcp_fields_sum(ctx_q);
    ctx_tcp_q      <= ctx_tcp_addr_q + ctx_tcp_rest_q;
    // Taken in every cycle (bs_v_q and bs_last_q say when they hold a beat and a tail),
    // and the previous beat with every beat on the bus: no enable from the read side's
    // state in front of these hundreds of flip-flops. The previous beat only fills the
    // lanes of a job's first word below its shift, which hold no payload.
    bs_data_q       <= fw_data;
    bs_lanes_q      <= (hd_q.fw >= 0) ? payload_lanes(hd_q.lo, hd_q.hi, 0) : '0;
    bs_tail_q       <= tail_data;
    bs_tail_lanes_q <= (hd_q.fw >= -16'sd1) ? payload_lanes(hd_q.lo, hd_q.hi, Bw) : '0;
    if (m_axi_rvalid) prev_q <= m_axi_rdata;
    // The head job: the next one queued after a job's last beat (or the one queued in
    // that cycle, or into an empty queue), else advanced by a beat.
    if (r_last ? job_cnt_q >= 2'd2 : 1'b0) begin
      hd_q <= job_q[slot_next(job_rd_q)];
    end else if (alloc_seg && (job_cnt_q == 2'd0 || (r_last && job_cnt_q == 2'd1))) begin
      hd_q <= seg_job;
    end else if (r_fire && !r_last) begin
      hd_q <= job_at(hd_q, BeatCntW'(1));
    end
    if (ev_build) begin
      hs_slot_q    <= ev_slot_q;
      hs_hdr_q     <= hdr_now;
      hs_v4_q      <= !ctx_q.ipv6;
      hs_ip_sum_q  <= ctx_ip_q + 32'(ev_len_q) + 32'(id4_i);
      hs_tcp_sum_q <= ctx_tcp_q + 32'(ev_len_q) + 32'(seq_q[31:16]) + 32'(seq_q[15:0])
                      + 32'(tcp_flags_of(ev_psh, ev_fin));
      hs_ip_at_q   <= ev_l3_at + 7'd10;
    end
    if (hs_v_q) begin
      s_hdr_q[hs_slot_q] <= hs_hdr;
      ck_slot_q          <= hs_slot_q;
      ck_tcp_sum_q       <= hs_tcp_sum_q;
    end
    if (ck_v) s_tcp_csum_q[ck_slot] <= hs_tcp_csum;
    if (bs_v_q) begin
      bt_hi_q <= bs_hi;
      bt_lo_q <= bs_lo;
    end
    if (bs_last_q) begin
      bt_tail_hi_q <= bs_tail_hi;
      bt_tail_lo_q <= bs_tail_lo;
    end
    // The header word goes with the frame word: read from the slot's header when the frame
    // word is read, so the header memory's read is not on the output FIFO's path. The
    // header is written at the edge after the event's cycle, when a slot's first word can
    // already be read: the word is then taken from the header being written (HdrWord_A).
    if (rd_issue) begin
      infl_hw_q <= (hs_v_q && hs_slot_q == rd_slot_q) ? hdr_word(hs_hdr, rd_w_q)
                                                      : hdr_word(s_hdr_q[rd_slot_q], rd_w_q);
      infl_last_q  <= rd_last_q;
      infl_tdata_q <= s_tail_q[rd_slot_q];
      infl_hdr_q   <= lanes_below(rd_w_q, 14'(s_hdr_len_q[rd_slot_q]));
      infl_keep_q  <= lanes_below(rd_w_q, s_frame_len_q[rd_slot_q]);
    end
  end

  // The slots' completions: one write port, since CHECK (a request's completion, written
  // whatever the check's outcome, see above) and an event never come in the same cycle
  // (the proof's tx_inv_check), and one read port, the transmit slot's: distributed RAM,
  // not 363 flip-flops behind two write enables each.
  logic             cpl_we;
  logic [SlotW-1:0] cpl_wa;
  cpl_t             cpl_wd;
  always_comb begin
    cpl_we = 1'b0;
    cpl_wa = alloc_q;
    cpl_wd = '{cookie: desc.cookie, bytes: 32'd0, segments: 16'd0, status: check_status,
               immediate: desc.flags[FlagImm]};
    if (check_act) cpl_we = 1'b1;
    if (ev_q && ev_kind_q == EvOk) begin
      cpl_we = 1'b1;
      cpl_wa = ev_slot_q;
      cpl_wd = '{cookie: desc.cookie, bytes: 32'(done_q) + 32'(ev_len_q),
                 segments: segs_q + 16'd1, status: StOk, immediate: desc.flags[FlagImm]};
    end else if (ev_q && ev_kind_q == EvDmaErr) begin
      cpl_we = 1'b1;
      cpl_wa = ev_slot_q;
      cpl_wd = '{cookie: desc.cookie, bytes: 32'(done_q), segments: segs_q,
                 status: StDmaError, immediate: desc.flags[FlagImm]};
    end
  end
  always_ff @(posedge clk) begin
    if (cpl_we) s_cpl_q[cpl_wa] <= cpl_wd;
  end

  // output FIFO storage and frame buffer: not reset
  always_ff @(posedge clk) begin
    if (infl_q) begin
      of_data_q[of_wr_q] <= push_data;
      of_keep_q[of_wr_q] <= push_keep;
      of_last_q[of_wr_q] <= push_last;
    end
  end

  logic [FbAddrW-1:0] fb_waddr, fb_raddr;
  assign fb_waddr = hd_q.waddr;
  assign fb_raddr = FbAddrW'(32'(rd_slot_q) * SlotWords + 32'(rd_w_q));
  always_ff @(posedge clk) begin
    if (r_fire && hd_q.fw >= 0) begin
      fbuf[fb_waddr] <= fw_data;
    end
    if (rd_issue) begin
      fb_rdata_q <= fbuf[fb_raddr];
    end
  end

  // ================================================================ outputs
  assign m_axi_arvalid = fe_q == FeDescAr || ar_active_q;
  assign m_axi_araddr  = (fe_q == FeDescAr)
                         ? (tx_base_i + 64'(fetch_idx_q) * DescBytes) & ~(64'(Bw) - 64'd1)
                         : ar_addr_q;
  assign m_axi_arlen   = (fe_q == FeDescAr) ? 8'(DescBeats - 1) : 8'(burst_beats) - 8'd1;
  assign m_axi_arsize  = 3'(LaneW);
  assign m_axi_arburst = 2'b01;
  assign m_axi_rready  = fe_q == FeDescR || r_active;  // beats go to jobs first

  assign id4_take_o     = ev_build && !ctx_q.ipv6;
  assign id6_take_o     = ev_build && ctx_q.ipv6 && ctx_q.frag_hdr;
  assign snd_wr_o       = ev_build;
  assign snd_wr_idx_o   = desc.conn[ConnW-1:0];
  assign snd_wr_value_o = seq_next;

  assign cpl_push_o = cpl_push;
  assign cpl_o      = s_cpl_q[tx_slot_q];

  assign busy_o           = (fe_q != FeIdle && fe_q != FeHalt) || free_q != 2'(NumSlots);
  assign halted_o         = fe_q == FeHalt;
  assign err_desc_fetch_o = desc_last_beat && (rerr_q || beat_err);

  // the pairs' upper halves are the shifted-out remainders; below 256 bits desc_beat is
  // not a descriptor and only feeds ctx_rd_idx_o's unused arm
  logic unused_ok;
  assign unused_ok = ^{pair[DataW-1:0], tail_pair[DataW-1:0], desc_beat,
                      desc_d.cookie, desc_d.buf_addr};   // desc_d: for its checks only

  // The registered copies the timing needs, against what they stand for: checked every
  // cycle in simulation (the *_A assertions below) and proven as helper invariants of the
  // engine's proof (tx_inv_*).
  logic copy_txslot_ok, copy_head_ok, copy_left_ok, copy_desc_ok, copy_hw_ok, copy_rdslot_ok;
  assign copy_txslot_ok = tx_ready_q == s_ready_q[tx_slot_q] && tx_kind_q == s_kind_q[tx_slot_q]
                          && tx_cpl_en_q == s_cpl_en_q[tx_slot_q];
  assign copy_head_ok   = job_cnt_q == '0 ? rk_q == '0 : hd_q == job_at(job, rk_q);
  assign copy_left_ok   = fe_q != FeRun || left_q == desc.len[15:0] - ar_done_q[15:0];
  assign copy_desc_ok   = desc_bad_q == desc_checks(desc.rsvd, desc.flags, desc.conn, desc.len);
  assign copy_hw_ok     = !infl_q || infl_hw_q == hdr_word(s_hdr_q[infl_slot_q], infl_w_q);
  logic copy_infl_ok;
  assign copy_infl_ok   = !infl_q || (infl_hdr_q == lanes_below(infl_w_q, 14'(s_hdr_len_q[infl_slot_q]))
                                      && infl_keep_q == lanes_below(infl_w_q, s_frame_len_q[infl_slot_q])
                                      && infl_last_q == (infl_w_q + 1'b1 == s_nw_q[infl_slot_q])
                                      && (!infl_tail_q || infl_tdata_q == s_tail_q[infl_slot_q]));
  logic copy_evnw_ok;
  assign copy_evnw_ok   = !ev_q || ev_nw_q == frame_words(hdr_len_q, ev_len_q);
  assign copy_rdslot_ok = rd_ready_q == (s_ready_q[rd_slot_q] && !s_read_q[rd_slot_q])
                          && rd_frame_q == (s_kind_q[rd_slot_q] == SlotFrame)
                          && (!rd_ready_q || rd_last_q == (rd_w_q + 1'b1 == s_nw_q[rd_slot_q]));

  // Assertions //
`ifndef SYNTHESIS
  logic [ConnW-1:0] ctx_rd_idx_prev_q, ctx_rd_idx_prev2_q;   // the context the read port holds: two cycles back
  always_ff @(posedge clk) begin
    if (!rst) begin
      SlotsConserved_A: assert (32'(free_q) <= NumSlots)
        else $error("more free slots than slots (instance %m)");
      CtxSumsCurrent_A: assert (!ev_build || (ctx_ip_q == ctx_ip_sum(ctx_q)
                                              && ctx_tcp_q == ctx_tcp_sum(ctx_q)))
        else $error("header stage read the checksum share of another context (instance %m)");
      PageBeats_A: assert (page_beats_q == 13'((13'd4096 - {1'b0, ar_addr_q[11:0]}) >> LaneW))
        else $error("beats to the page end %0d at address %h (instance %m)", page_beats_q, ar_addr_q);
      UsedCount_A: assert (32'(used_q) == 32'(cplq_count_i) + 32'(inflight_q) - 32'(cpl_push_q))
        else $error("%0d queue entries and requests in flight kept, %0d + %0d - %0d counted (instance %m)",
                    used_q, cplq_count_i, inflight_q, cpl_push_q);
      InflightCount_A: assert (inflight_q >= CplCntW'(cpl_push_q))
        else $error("a completion pushed for no request in flight (instance %m)");
      NoAllocWithoutSlot_A: assert (!(allocs != 2'd0 && free_q == 2'd0))
        else $error("slot allocated while none is free (instance %m)");
      TxSlot_A: assert (copy_txslot_ok)
        else $error("the transmit slot's registers differ from slot %0d (instance %m)", tx_slot_q);
      HeadJob_A: assert (copy_head_ok)
        else $error("the head job's registers differ from job %0d at beat %0d (instance %m)",
                    job_rd_q, rk_q);
      LeftBytes_A: assert (copy_left_ok)
        else $error("%0d bytes left to allocate, %0d - %0d by the descriptor (instance %m)",
                    left_q, desc.len[15:0], ar_done_q[15:0]);
      DescChecks_A: assert (copy_desc_ok)
        else $error("the descriptor's checks %b differ from its fields' (instance %m)", desc_bad_q);
      CsumInTime_A: assert (!(infl_q && infl_ck_q != '0 && ck_v_q && SumStage && ck_slot_q == infl_slot_q)
                            && !(infl_q && infl_ck_q != '0 && hs_v_q && hs_slot_q == infl_slot_q))
        else $error("slot %0d's TCP checksum word assembled before its checksum (instance %m)",
                    infl_slot_q);
      EvWords_A: assert (copy_evnw_ok)
        else $error("the event's frame words %0d differ from its length's (instance %m)", ev_nw_q);
      ReadSlot_A: assert (copy_rdslot_ok)
        else $error("the read slot's registers differ from slot %0d at word %0d (instance %m)",
                    rd_slot_q, rd_w_q);
      InflWord_A: assert (copy_infl_ok)
        else $error("word %0d of slot %0d in flight: its lane classes or tail differ from the slot's (instance %m)",
                    infl_w_q, infl_slot_q);
      HdrWord_A: assert (copy_hw_ok)
        else $error("header word %0d of slot %0d in flight differs from the slot's header (instance %m)",
                    infl_w_q, infl_slot_q);
      CtxReadConn_A: assert (fe_q != FeCheck || ctx_rd_idx_prev2_q == desc.conn[ConnW-1:0])
        else $error("CHECK reads context %0d for connection %0d (instance %m)",
                    ctx_rd_idx_prev2_q, desc.conn);
    end
    ctx_rd_idx_prev_q  <= ctx_rd_idx_o;
    ctx_rd_idx_prev2_q <= ctx_rd_idx_prev_q;
  end
`endif

  // Formal properties (rtl/formal/tx_engine.sby, docs/formal.md) //
`ifdef FORMAL_TX
  // The wrapper (rtl/formal/fv_tx_engine.sv) assumes the register block's guarantees on
  // the configuration; every other input is free.
  //   tx_id_failed : an ID is taken only while the request in hand passed validation: a
  //                  descriptor that fails it consumes neither an IPv4 nor an IPv6 ID
  //   tx_id_dma    : nor does a segment with a failed payload read, nor the request's
  //                  segments after it (no error response among its beats so far)
  //   tx_id4       : the IPv4 ID is taken exactly when an IPv4 header is built
  //   tx_id6       : the IPv6 fragment ID is taken exactly when an IPv6 header with a
  //                  fragment header is built: datagrams without one consume none
  //   tx_mss_fits  : the segment size of the request in hand (eff_mss_q) plus its IP and
  //                  TCP headers (40 bytes for IPv4, 60 for IPv6, 68 with the fragment
  //                  header) is at most the MTU
  //   tx_seg_len   : every segment queued (each pending job and the pending event) is at
  //                  most eff_mss_q bytes
  //   tx_mtu       : every header built is for a datagram of at most MTU bytes, and its
  //                  IP length field says so (no 16-bit wrap): what the two above give
  // Read from the header bytes (hdr_now, byte p at [8p +: 8]) in the cycle it is built.
  // The AXI4 read address channel's rules and the stream's (valid held until ready, the
  // payload stable; arlen <= 15; no burst across 4 KiB) are stated at the ports, in the
  // wrapper (ar_*, tx_stream_stable); tx_inv_ar and tx_inv_ofifo below are what they need.
  logic        fv_ok_q;                 // the last descriptor checked passed validation
  logic        fv_rerr_q;               // an error response among its payload beats so far
  logic [7:0]  fv_l3;
  logic [15:0] fv_etype, fv_len_field;
  logic        fv_v4, fv_v6, fv_frag;
  logic [31:0] fv_l3l4, fv_dgram;
  assign fv_l3        = (hdr_now[12*8 +: 8] == 8'h81 && hdr_now[13*8 +: 8] == 8'h00) ? 8'd18 : 8'd14;
  assign fv_etype     = {hdr_now[(32'(fv_l3) - 2) * 8 +: 8], hdr_now[(32'(fv_l3) - 1) * 8 +: 8]};
  assign fv_v4        = fv_etype == 16'h0800;
  assign fv_v6        = fv_etype == 16'h86DD;
  assign fv_frag      = fv_v6 && hdr_now[(32'(fv_l3) + 6) * 8 +: 8] == 8'd44;
  assign fv_len_field = fv_v4 ? {hdr_now[(32'(fv_l3) + 2) * 8 +: 8], hdr_now[(32'(fv_l3) + 3) * 8 +: 8]}
                              : {hdr_now[(32'(fv_l3) + 4) * 8 +: 8], hdr_now[(32'(fv_l3) + 5) * 8 +: 8]};
  assign fv_l3l4      = fv_v4 ? 32'd40 : fv_frag ? 32'd68 : 32'd60;
  assign fv_dgram     = fv_v4 ? 32'(fv_len_field) : 32'd40 + 32'(fv_len_field);

  always_ff @(posedge clk) begin
    if (rst) begin
      fv_ok_q   <= 1'b0;
      fv_rerr_q <= 1'b0;
    end else begin
      if (check_act) begin
        fv_ok_q   <= check_status == StOk;
        fv_rerr_q <= 1'b0;
      end else if (r_fire && beat_err) begin
        fv_rerr_q <= 1'b1;
      end
    end
  end

  // Helper invariants, proven with the rest (they make the induction close): the slot
  // ring (the slots in use run from tx_slot_q for NumSlots - free_q slots and end at
  // alloc_q; the jobs' slots are its last ones, the pending event's just before them,
  // none of them ready; no slot outside it is ready), the job ring (write pointer =
  // read pointer + count), no job or event pending while a descriptor is checked, a job
  // or event only after a descriptor passed, and the error flags (fv_rerr_q = req_err_q
  // | job_err_q).
  function automatic logic [SlotW-1:0] fv_slot(input int unsigned base, input int unsigned k);
    return SlotW'((base + k) % NumSlots);
  endfunction
  int unsigned fv_used;
  logic        fv_slots_ok, fv_jobs_ok, fv_lens_ok, fv_beats_ok;
  always_comb begin
    fv_used     = NumSlots - 32'(free_q);
    fv_slots_ok = 32'(free_q) <= NumSlots && 32'(tx_slot_q) < NumSlots
                  && 32'(alloc_q) < NumSlots && 32'(ev_slot_q) < NumSlots
                  && alloc_q == fv_slot(32'(tx_slot_q), fv_used)
                  && 32'(job_cnt_q) + 32'(ev_q) <= fv_used;
    for (int s = 0; s < NumSlots; s++) begin
      if ((32'(s) + NumSlots - 32'(tx_slot_q)) % NumSlots >= fv_used && s_ready_q[s])
        fv_slots_ok = 1'b0;
    end
    if (ev_q && (ev_slot_q != fv_slot(32'(tx_slot_q) + NumSlots, fv_used - 32'(job_cnt_q) - 1)
                 || s_ready_q[ev_slot_q]))
      fv_slots_ok = 1'b0;
    fv_lens_ok = !(ev_q && ev_len_q > eff_mss_q);
    fv_beats_ok = 1'b1;
    fv_jobs_ok = 32'(job_rd_q) < NumSlots && 32'(job_wr_q) < NumSlots
                 && job_wr_q == fv_slot(32'(job_rd_q), 32'(job_cnt_q));
    for (int k = 0; k < NumSlots; k++) begin
      if (k < 32'(job_cnt_q)) begin
        if (job_q[fv_slot(32'(job_rd_q), k)].slot
              != fv_slot(32'(tx_slot_q) + NumSlots, fv_used - 32'(job_cnt_q) + k)
            || s_ready_q[job_q[fv_slot(32'(job_rd_q), k)].slot])
          fv_jobs_ok = 1'b0;
        if (job_q[fv_slot(32'(job_rd_q), k)].len > eff_mss_q) fv_lens_ok = 1'b0;
        if (job_q[fv_slot(32'(job_rd_q), k)].beats == '0) fv_beats_ok = 1'b0;
      end
    end
  end

  always_ff @(posedge clk) begin
    if (!rst) begin
      tx_inv_slots: assert (fv_slots_ok && fv_jobs_ok);
      tx_inv_check: assert ((fe_q != FeCheck && fe_q != FeCtx) || (job_cnt_q == '0 && !ev_q));
      tx_inv_ok:    assert ((fe_q != FeRun && job_cnt_q == '0 && !ev_q) || fv_ok_q);
      // The transmit slot's registers: its ready, kind and completion flags.
      tx_inv_txslot: assert (copy_txslot_ok);
      // The head job's registers: the queued head job advanced by its beats so far, fewer
      // than its beats; every queued job has a beat.
      tx_inv_head:  assert (copy_head_ok && (job_cnt_q == '0 || rk_q < job.beats) && fv_beats_ok);
      // The bytes left to allocate in RUN: the descriptor's length less those allocated.
      tx_inv_left:  assert (copy_left_ok);
      // The descriptor's checks: those of the descriptor register.
      tx_inv_desc:  assert (copy_desc_ok);
      // The word in flight: its header word, lane classes, last-word flag and tail are
      // the slot's.
      tx_inv_hw:    assert (copy_hw_ok && copy_infl_ok);
      // The read slot's registers: its ready (and not read), frame and last-word flags.
      tx_inv_rdslot: assert (copy_rdslot_ok && 32'(rd_slot_q) < NumSlots);
      // The event's frame words: those of its length and the request's header.
      tx_inv_evnw:  assert (copy_evnw_ok);
      tx_inv_err:   assert (fv_rerr_q == (req_err_q || job_err_q) && (!job_err_q || job_cnt_q != '0));
      // The output FIFO: write pointer = read pointer + count, a word in flight only with
      // room for it, so that a push never lands on the word at the head.
      // The read address side: a burst in flight only while the request runs, with beats
      // left, from a beat-aligned address whose beats to the page end page_beats_q holds;
      // a running request not yet stopped has payload left and a segment size.
      tx_inv_ar:    assert ((!ar_active_q || (fe_q == FeRun && ar_beats_q != '0))
                            && ar_addr_q[LaneW-1:0] == '0
                            && page_beats_q == 13'((13'd4096 - {1'b0, ar_addr_q[11:0]}) >> LaneW)
                            && (fe_q != FeRun || ar_stop_q || (left != '0 && eff_mss_q != '0)));
      tx_inv_ofifo: assert (32'(of_count_q) <= OfifoDepth
                            && of_wr_q == of_rd_q + OfAddrW'(of_count_q)
                            && (!infl_q || 32'(of_count_q) < OfifoDepth));

      tx_mss_fits:  assert (32'(eff_mss_q) + (!ctx_q.ipv6 ? 32'd40 : ctx_q.frag_hdr ? 32'd68 : 32'd60)
                            <= 32'(mtu_i));
      tx_seg_len:   assert (fv_lens_ok);
      tx_id_failed: assert (!(id4_take_o || id6_take_o) || fv_ok_q);
      tx_id_dma:    assert (!(id4_take_o || id6_take_o) || !fv_rerr_q);
      tx_id4:       assert (id4_take_o == (ev_build && fv_v4));
      tx_id6:       assert (id6_take_o == (ev_build && fv_frag));
      if (ev_build) begin
        tx_mtu: assert ((fv_v4 || fv_v6) && fv_dgram == 32'(ev_len_q) + fv_l3l4
                        && fv_dgram <= 32'(mtu_i));
      end
    end
  end
`endif

endmodule

`resetall
