// txoe_cpl_writer: completion queue and CQ writer. Queues completions in ring order,
// closes batches by the coalescing rules (txoe_cpl_coalesce) and writes each batch as
// one AXI4 write burst when the CQ has room, then advances CQ tail (with the phase bit)
// and TX head (docs/microarchitecture.md, "Completion writer").
`resetall
`timescale 1ns / 1ps
`default_nettype none

module txoe_cpl_writer
  import txoe_pkg::*;
#(
  parameter int unsigned DataW = 64
) (
  input  wire                         clk,
  input  wire                         rst,

  input  wire  [63:0]                 cq_base_i,
  input  wire  [3:0]                  cq_log2_i,
  input  wire  [RingIdxW-1:0]         cq_head_i,
  input  wire  [3:0]                  tx_log2_i,
  input  wire  [4:0]                  max_batch_i,
  input  wire  [31:0]                 timeout_i,
  // the same registers' values of the next cycle (the close decision's inputs are kept
  // in registers computed from them)
  input  wire  [RingIdxW-1:0]         cq_mask_d_i,      // 2^(next cycle's CQ_LOG2) - 1
  input  wire  [RingIdxW-1:0]         cq_head_d_i,
  input  wire  [4:0]                  max_batch_d_i,
  input  wire  [31:0]                 timeout_d_i,

  // completion queue input
  input  wire                         push_i,
  input  wire  cpl_t                  cpl_i,
  output logic [$clog2(CplqDepth):0]  count_o,
  output logic [4:0]                  retire_o,     // entries leaving the queue at this edge

  // AXI4 master write channels
  output logic                        m_axi_awvalid,
  input  wire                         m_axi_awready,
  output logic [63:0]                 m_axi_awaddr,
  output logic [7:0]                  m_axi_awlen,
  output logic [2:0]                  m_axi_awsize,
  output logic [1:0]                  m_axi_awburst,
  output logic                        m_axi_wvalid,
  input  wire                         m_axi_wready,
  output logic [DataW-1:0]            m_axi_wdata,
  output logic [DataW/8-1:0]          m_axi_wstrb,
  output logic                        m_axi_wlast,
  input  wire                         m_axi_bvalid,
  output logic                        m_axi_bready,
  input  wire  [1:0]                  m_axi_bresp,

  output logic [RingIdxW-1:0]         cq_tail_o,
  output logic [RingIdxW-1:0]         tx_head_o,
  output logic                        halted_o,
  output logic                        batch_done_o,
  output logic [4:0]                  batch_entries_o,
  output logic [4:0]                  batch_errors_o,
  output reason_e                     batch_reason_o,
  output logic                        err_cpl_write_o
);

  localparam int unsigned Bw       = DataW / 8;
  localparam int unsigned LaneW    = $clog2(Bw);
  localparam int unsigned QAddrW   = $clog2(CplqDepth);
  localparam int unsigned CountW   = QAddrW + 1;
  // entries per beat (Bw >= 16), and its log2
  localparam int unsigned Epb      = (Bw >= CplBytes) ? Bw / CplBytes : 1;
  localparam int unsigned EpbW     = (Epb > 1) ? $clog2(Epb) : 1;

  typedef enum logic [2:0] { WrIdle, WrAw, WrW, WrB, WrHalt } wr_state_e;

  wr_state_e            state_q, state_d;
  // The queue: entries in q_mem (read only by the W beats, one read port per entry lane of
  // a beat, so synthesis maps it to distributed RAM), whether each has an error status
  // also in flip-flops (q_err_q: the batch's error count reads 16 at once), push times in
  // ts_mem (one read port).
  cpl_t                 q_mem  [CplqDepth];
  logic [CplqDepth-1:0] q_err_q;
  logic [31:0]          ts_mem [CplqDepth];
  logic [QAddrW-1:0]    wr_ptr_q;       // next slot to push
  logic [QAddrW-1:0]    fl_ptr_q;       // oldest occupied slot (first of the batch in flight)
  logic [CountW-1:0]    n_q;            // pending slots
  logic [4:0]           k_q;            // size of the batch in flight, 0 when none
  reason_e              reason_q;
  logic [4:0]           nerr_q;         // entries of the batch in flight with an error status
  logic [5:0]           beat_q;
  logic [RingIdxW-1:0]  cq_tail_q, tx_head_q;
  logic                 phase_q;
  logic [31:0]          now_q;

  // ---------------------------------------------------------------- pending slots
  // The close decision is only taken in WrIdle, where no batch is in flight (k_q == 0) and
  // pending slot 0 is queue slot fl_ptr_q. Its inputs are registers kept for it, so that
  // it is a few comparisons deep (reading the queue memory through an index, then the
  // ring geometry, then the rules one after the other made it the deepest logic of the
  // core). Each is exact in every WrIdle cycle; the simulation checks them against the
  // decision taken from the queue memory and the registers directly (below).
  // - imm_q[r]: IMMEDIATE of queue slot fl_ptr_q + r, for the occupied slots (the batch in
  //   flight, then the pending ones), 0 beyond them;
  // - imm_hit_q, imm_k_q: the first set bit among imm_q[15:0] (+1): the first IMMEDIATE
  //   among the pending slots whenever the writer is in WrIdle (after a batch starts the
  //   writer is in WrAw, and pushes or the write response keep them up to date);
  // - age_q: the age of pending slot 0 whenever the writer is in WrIdle with n_q != 0.
  //   It counts up every cycle; it restarts at 0 when a completion is pushed with nothing
  //   pending (that one becomes slot 0, pushed with ts = now + 1); after a batch starts it
  //   is reloaded in WrAw (the next cycle, never WrIdle) from the new slot 0's ts;
  // - tmo_q: age_q >= TIMEOUT, from the next cycle's age and TIMEOUT (after the reload in
  //   WrAw it is right from the cycle after, still at least two before WrIdle);
  // - geo_q: cq_geometry of the next cycle's CQ_LOG2, MAX_BATCH, CQ tail and CQ head
  //   (cq_geometry_m of its mask, from the register block's registers).
  logic [QAddrW-1:0]    rd_ptr;        // pending slot 0
  logic [CplqDepth-1:0] imm_q;
  logic                 imm_hit_q;
  logic [4:0]           imm_k_q;
  logic [CplqDepth-1:0] pimm_q;        // the pending slots' flags while a batch is in flight
  logic                 pimm_hit_q;
  logic [4:0]           pimm_k_q;
  logic [31:0]          age_q;
  logic                 tmo_q;
  cq_geo_t              geo_q;
  logic [15:0]          imm;
  assign rd_ptr = fl_ptr_q + QAddrW'(k_q);
  assign imm    = imm_q[15:0];

  // ---------------------------------------------------------------- close decision
  logic                close, start_ok, start;
  logic [4:0]          k;
  reason_e             reason;

  txoe_cpl_coalesce #(.CountW(CountW)) u_coalesce (
    .pending_i   (n_q),
    .imm_hit_i   (imm_hit_q),
    .imm_k_i     (imm_k_q),
    .timed_out_i (tmo_q),
    .geo_i       (geo_q),
    .close_o     (close),
    .start_o     (start_ok),
    .k_o         (k),
    .reason_o    (reason)
  );

  assign start = state_q == WrIdle && start_ok;

  // Errors among the k_q entries of the batch in flight: batch_errors_o is only read with
  // batch_done_o, in WrB, so they are counted off the close decision's path, in two
  // steps: the entries' error flags are read in WrAw (the batch's entries start at
  // fl_ptr_q there), and counted, as a tree of adds, in WrW.
  logic [15:0] err_flag, err_flag_q;
  logic [4:0]  nerr;
  always_comb begin
    for (int i = 0; i < 16; i++) begin
      err_flag[i] = 5'(i) < k_q && q_err_q[fl_ptr_q + QAddrW'(i)];
    end
    nerr = '0;
    for (int g = 0; g < 4; g++) begin
      nerr = nerr + 5'(err_flag_q[4*g]) + 5'(err_flag_q[4*g+1]) + 5'(err_flag_q[4*g+2])
                  + 5'(err_flag_q[4*g+3]);
    end
  end

  // ---------------------------------------------------------------- burst geometry
  logic [63:0]          entry_addr;
  logic [EpbW-1:0]      eoff;          // entry offset of the first entry in its beat
  logic [5:0]           nbeats;
  logic [RingIdxW-1:0]  tx_mask;
  logic [RingIdxW:0]    cq_size;
  assign entry_addr = cq_base_i + 64'(cq_tail_q) * CplBytes;
  assign eoff       = (Epb > 1) ? EpbW'(cq_tail_q) : '0;
  assign tx_mask    = ring_mask(tx_log2_i);
  assign cq_size    = (RingIdxW+1)'(1) << cq_log2_i;

  always_comb begin
    if (Bw < CplBytes) nbeats = {k_q, 1'b0};                          // 2 beats an entry
    else nbeats = 6'((7'(eoff) + 7'(k_q) + 7'(Epb - 1)) >> $clog2(Epb));
  end

  // ---------------------------------------------------------------- entry bytes
  // the 16 bytes of an entry, byte 0 in bits 7:0 (docs/registers.md)
  function automatic logic [127:0] entry_bits(input cpl_t c, input logic eob,
                                               input reason_e r, input logic phase);
    logic unused_imm;
    unused_imm = c.immediate;   // it only feeds the close decision
    return {2'b00, eob ? r : ReasonMaxBatch, 2'b00, eob, phase,
            c.status, c.segments, c.bytes, c.cookie};
  endfunction

  // Each W beat's entries are worked out for it in the cycle before (from beat_d, the
  // beat of the next cycle: 0 in WrAw, the next one at a W handshake) and registered: the
  // beat's data is then the queue memory read at registered slots, not behind the
  // entries' offset arithmetic (Lanes_A checks the registers against it in WrW, the
  // proof's wr_inv_lanes).
  logic [5:0] beat_d;
  assign beat_d = (state_q == WrAw) ? 6'd0
                : (state_q == WrW && m_axi_wready) ? beat_q + 6'd1 : beat_q;
  logic lanes_ok;                         // the registers hold what the beat stands for
  if (Bw < CplBytes) begin : gen_narrow
    // beat b carries half b[0] of entry b/2, all lanes
    logic [QAddrW-1:0] slot_q;
    logic              eob_q;
    logic [127:0]      bits;
    always_ff @(posedge clk) begin
      slot_q <= fl_ptr_q + QAddrW'(beat_d[5:1]);
      eob_q  <= beat_d[5:1] == k_q - 5'd1;
    end
    assign bits = entry_bits(q_mem[slot_q], eob_q, reason_q, phase_q);
    assign m_axi_wdata = beat_q[0] ? bits[127:64] : bits[63:0];
    assign m_axi_wstrb = '1;
    assign lanes_ok = slot_q == fl_ptr_q + QAddrW'(beat_q[5:1]) && eob_q == (beat_q[5:1] == k_q - 5'd1);
    logic unused_half;
    assign unused_half = beat_d[0];     // the half is beat_q[0], taken in the beat's cycle
  end else begin : gen_wide
    // beat b, entry lanes p: entry e = b*Epb + p - eoff when 0 <= e < k
    logic [Epb-1:0] ok;
    for (genvar p = 0; p < Epb; p++) begin : gen_lane
      logic [8:0]        rel, rel_d;     // b*Epb + p - eoff, bit 8 set when negative
      logic [QAddrW-1:0] slot_q;
      logic              valid_q, eob_q;
      assign rel   = 9'(beat_q) * 9'(Epb) + 9'(p) - 9'(eoff);
      assign rel_d = 9'(beat_d) * 9'(Epb) + 9'(p) - 9'(eoff);
      always_ff @(posedge clk) begin
        slot_q  <= fl_ptr_q + QAddrW'(rel_d[7:0]);
        valid_q <= !rel_d[8] && rel_d[7:0] < 8'(k_q);
        eob_q   <= rel_d[7:0] == 8'(k_q) - 8'd1;
      end
      assign m_axi_wdata[128*p +: 128] = valid_q
          ? entry_bits(q_mem[slot_q], eob_q, reason_q, phase_q) : 128'd0;
      assign m_axi_wstrb[16*p +: 16]   = {16{valid_q}};
      assign ok[p] = slot_q == fl_ptr_q + QAddrW'(rel[7:0])
                     && valid_q == (!rel[8] && rel[7:0] < 8'(k_q))
                     && eob_q == (rel[7:0] == 8'(k_q) - 8'd1);
    end
    assign lanes_ok = &ok;
  end

  // ---------------------------------------------------------------- next state
  logic w_last, b_ok;
  assign w_last = beat_q == nbeats - 6'd1;
  assign b_ok   = state_q == WrB && m_axi_bvalid && m_axi_bresp == 2'b00;

  // The first set flag of f, as {found, its index + 1} ({0, 0} when none): the search
  // over the first 16 pending slots' IMMEDIATE flags.
  function automatic logic [5:0] first_flag16(input logic [15:0] f);
    logic [5:0] r;
    r = '0;
    for (int i = 15; i >= 0; i--) begin
      if (f[i]) r = {1'b1, 5'(i + 1)};
    end
    return r;
  endfunction

  // imm_q's next value: at the batch's write response, the pending slots' flags (pimm_q,
  // below), else imm_q; with the pushed completion's flag at the first free position
  logic [CplqDepth-1:0] imm_d;
  // the first free position after the shift: n_q when the batch in flight leaves
  // (count_o = n_q + k_q), count_o otherwise; below CplqDepth at a push
  logic [QAddrW-1:0]    push_at;
  assign push_at = b_ok ? QAddrW'(n_q) : QAddrW'(count_o);
  always_comb begin
    imm_d = b_ok ? pimm_q : imm_q;
    if (push_i) imm_d[push_at] = cpl_i.immediate;
  end

  // The pending slots' flags while a batch is in flight, so that its write response only
  // selects: pimm_q[r] is imm_q[k_q + r] from the cycle after WrAw on (shifted there, from
  // registers, then kept up to date by pushes, which land at pending position n_q), and
  // pimm_hit_q, pimm_k_q the first of pimm_q[15:0] (+1) in WrB (searched in the cycle
  // before, with that cycle's push merged, in WrW or WrB).
  logic [CplqDepth-1:0] pimm_d;
  logic                 pimm_hit_d, pimm_hit_now;
  logic [4:0]           pimm_k_d, pimm_k_now;
  logic                 push_imm_hit;     // the push lands among pending slots 0..15
  assign push_imm_hit = push_i && cpl_i.immediate && n_q < CountW'(16);
  always_comb begin
    pimm_d = (state_q == WrAw) ? imm_q >> k_q : pimm_q;
    if (push_i) pimm_d[QAddrW'(n_q)] = cpl_i.immediate;
  end
  assign {pimm_hit_now, pimm_k_now} = first_flag16(pimm_q[15:0]);
  assign pimm_hit_d = pimm_hit_now || push_imm_hit;
  assign pimm_k_d   = pimm_hit_now ? pimm_k_now : push_imm_hit ? 5'(n_q) + 5'd1 : 5'd0;

  // the first of imm_d[15:0]: the first of the kept flags (imm_hit_q, or pimm_hit_q at the
  // write response), else the pushed one (it lands after every occupied slot), so that
  // the push and the write response only drive the last muxes
  logic                imm_hit_d, imm_hit_kept, imm_push_hit;
  logic [4:0]          imm_k_d, imm_k_kept;
  assign imm_hit_kept = b_ok ? pimm_hit_q : imm_hit_q;
  assign imm_k_kept   = b_ok ? pimm_k_q : imm_k_q;
  assign imm_push_hit = push_i && cpl_i.immediate && push_at < QAddrW'(16);
  assign imm_hit_d    = imm_hit_kept || imm_push_hit;
  assign imm_k_d      = imm_hit_kept ? imm_k_kept : imm_push_hit ? 5'(push_at) + 5'd1 : 5'd0;

  logic [31:0]         age_step;       // the next age, but for the reload in WrAw
  logic [RingIdxW-1:0] cq_tail_d;
  logic                phase_d;
  assign age_step = (push_i && n_q == '0) ? 32'd0 : age_q + 32'd1;

  // The CQ tail and phase once the batch in flight is written, a cycle ahead: cq_tail_q
  // and k_q hold from AW to the write response, and the ring size is that of the next
  // cycle's CQ_LOG2. So in WrB tail_after_q, phase_after_q are the tail and phase the
  // response leaves, and the response only selects them (the close decision's geometry
  // is computed from the next tail).
  logic [RingIdxW-1:0] tail_after_q, tail_after_d;
  logic                phase_after_q, phase_after_d;
  logic [RingIdxW:0]   tail_end, cq_size_next;
  assign tail_end     = (RingIdxW+1)'(cq_tail_q) + (RingIdxW+1)'(k_q);
  assign cq_size_next = (RingIdxW+1)'(cq_mask_d_i) + (RingIdxW+1)'(1);
  assign tail_after_d  = (tail_end >= cq_size_next) ? RingIdxW'(tail_end - cq_size_next)
                                                    : RingIdxW'(tail_end);
  assign phase_after_d = (tail_end >= cq_size_next) ? !phase_q : phase_q;
  assign cq_tail_d     = b_ok ? tail_after_q : cq_tail_q;
  assign phase_d       = b_ok ? phase_after_q : phase_q;

  always_comb begin
    state_d = state_q;
    unique case (state_q)
      WrIdle: if (start) state_d = WrAw;
      WrAw:   if (m_axi_awready) state_d = WrW;
      WrW:    if (m_axi_wready && w_last) state_d = WrB;
      WrB:    if (m_axi_bvalid) state_d = (m_axi_bresp == 2'b00) ? WrIdle : WrHalt;
      WrHalt: state_d = WrHalt;
      default: state_d = WrIdle;
    endcase
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      state_q   <= WrIdle;
      wr_ptr_q  <= '0;
      fl_ptr_q  <= '0;
      n_q       <= '0;
      k_q       <= '0;
      reason_q  <= ReasonMaxBatch;
      nerr_q    <= '0;
      err_flag_q <= '0;
      beat_q    <= '0;
      cq_tail_q <= '0;
      tx_head_q <= '0;
      phase_q   <= 1'b1;
      now_q     <= '0;
      imm_q     <= '0;
      imm_hit_q <= 1'b0;
      imm_k_q   <= '0;
      pimm_q     <= '0;
      pimm_hit_q <= 1'b0;
      pimm_k_q   <= '0;
      age_q     <= '0;
      tmo_q     <= 1'b0;
      geo_q     <= cq_geometry_m(cq_mask_d_i, max_batch_d_i, '0, cq_head_d_i);
    end else begin
      state_q <= state_d;
      now_q   <= now_q + 32'd1;
      imm_q     <= imm_d;
      imm_hit_q <= imm_hit_d;
      imm_k_q   <= imm_k_d;
      pimm_q     <= pimm_d;
      pimm_hit_q <= pimm_hit_d;
      pimm_k_q   <= pimm_k_d;
      if (state_q == WrAw && !(push_i && n_q == '0)) age_q <= now_q + 32'd1 - ts_mem[rd_ptr];
      else                                             age_q <= age_step;
      tmo_q     <= (push_i && n_q == '0) ? timeout_d_i == '0 : age_q + 32'd1 >= timeout_d_i;
      // both geometries side by side, the write response picking one: the response (a
      // port) is not in front of the geometry's arithmetic
      geo_q     <= b_ok ? cq_geometry_m(cq_mask_d_i, max_batch_d_i, tail_after_q, cq_head_d_i)
                        : cq_geometry_m(cq_mask_d_i, max_batch_d_i, cq_tail_q, cq_head_d_i);
      if (push_i) wr_ptr_q <= wr_ptr_q + 1'b1;
      n_q <= n_q + CountW'(push_i) - (start ? CountW'(k) : '0);
      if (start) begin
        k_q      <= k;
        reason_q <= reason;
      end
      if (state_q == WrAw) err_flag_q <= err_flag;
      if (state_q == WrW)  nerr_q <= nerr;
      if (state_q == WrAw) beat_q <= '0;
      if (state_q == WrW && m_axi_wready) beat_q <= beat_q + 6'd1;
      cq_tail_q <= cq_tail_d;
      phase_q   <= phase_d;
      tail_after_q  <= tail_after_d;
      phase_after_q <= phase_after_d;
      if (b_ok) begin
        tx_head_q <= (tx_head_q + RingIdxW'(k_q)) & tx_mask;
        fl_ptr_q  <= fl_ptr_q + QAddrW'(k_q);
        k_q       <= '0;
      end
    end
  end

  always_ff @(posedge clk) begin
    if (push_i) begin
      q_mem[wr_ptr_q]   <= cpl_i;
      q_err_q[wr_ptr_q] <= cpl_i.status != StOk;
      ts_mem[wr_ptr_q]  <= now_q + 32'd1;
    end
  end

  // ---------------------------------------------------------------- outputs
  assign count_o         = n_q + CountW'(k_q);
  assign retire_o        = b_ok ? k_q : 5'd0;
  assign m_axi_awvalid   = state_q == WrAw;
  assign m_axi_awaddr    = entry_addr & ~(64'(Bw) - 64'd1);
  assign m_axi_awlen     = {2'b00, nbeats - 6'd1};
  assign m_axi_awsize    = 3'(LaneW);
  assign m_axi_awburst   = 2'b01;
  assign m_axi_wvalid    = state_q == WrW;
  assign m_axi_wlast     = w_last;
  assign m_axi_bready    = state_q == WrB;
  assign cq_tail_o       = cq_tail_q;
  assign tx_head_o       = tx_head_q;
  assign halted_o        = state_q == WrHalt;
  assign batch_done_o    = b_ok;
  assign batch_entries_o = k_q;
  assign batch_errors_o  = nerr_q;
  assign batch_reason_o  = reason_q;
  assign err_cpl_write_o = state_q == WrB && m_axi_bvalid && m_axi_bresp != 2'b00;

  // Assertions //
`ifndef SYNTHESIS
  // The close decision as docs/microarchitecture.md states it, step after step, from the
  // queue memory and the registers of this cycle: the reference the registered inputs of
  // u_coalesce must reproduce in every WrIdle cycle.
  cq_geo_t             ref_geo;
  logic [31:0]         head_age;       // now - ts of pending slot 0
  logic [15:0]         imm_mem;        // IMMEDIATE of pending slots 0..15
  logic                ref_imm_hit, ref_size, ref_timeout, ref_close, ref_start;
  logic [4:0]          ref_imm_k, ref_kk, ref_k;
  reason_e             ref_reason;
  assign ref_geo  = cq_geometry(cq_log2_i, max_batch_i, cq_tail_q, cq_head_i);
  assign head_age = now_q - ts_mem[rd_ptr];
  always_comb begin
    for (int i = 0; i < 16; i++) imm_mem[i] = CountW'(i) < n_q && q_mem[rd_ptr + QAddrW'(i)].immediate;
    {ref_imm_hit, ref_imm_k} = first_flag16(imm_mem);
    ref_kk = ref_geo.mx;                                        // K = min(mx, to_end, imm + 1)
    if (ref_geo.to_end < 9'(ref_kk)) ref_kk = ref_geo.to_end[4:0];
    if (ref_imm_hit && ref_imm_k < ref_kk) ref_kk = ref_imm_k;
    ref_size    = n_q >= CountW'(ref_kk);
    ref_timeout = n_q != '0 && head_age >= timeout_i;
    ref_close   = ref_size || ref_timeout;
    ref_k       = ref_size ? ref_kk : n_q[4:0];
    if (!ref_size)                                ref_reason = ReasonTimeout;
    else if (ref_imm_hit && ref_imm_k == ref_kk)  ref_reason = ReasonImmediate;
    else if (ref_geo.to_end == 9'(ref_kk))        ref_reason = ReasonRingEnd;
    else                                          ref_reason = ReasonMaxBatch;
    ref_start   = ref_close && ref_geo.free >= RingIdxW'(ref_k);
  end

  logic q_err_ok;     // every occupied slot's error flag is that of its status
  always_comb begin
    q_err_ok = 1'b1;
    for (int i = 0; i < CplqDepth; i++) begin   // the occupied slots, from the oldest
      if (CountW'(i) < count_o && q_err_q[fl_ptr_q + QAddrW'(i)]
                                  != (q_mem[fl_ptr_q + QAddrW'(i)].status != StOk))
        q_err_ok = 1'b0;
    end
  end

  logic [4:0] room;   // min(n, mx, to_end): the largest batch the rules could close now
  always_comb begin
    room = (n_q > CountW'(ref_geo.mx)) ? ref_geo.mx : n_q[4:0];
    if (9'(room) > ref_geo.to_end) room = ref_geo.to_end[4:0];
  end

  always_ff @(posedge clk) begin
    if (!rst) begin
      CplqNoOverflow_A: assert (!(push_i && count_o == CountW'(CplqDepth)))
        else $error("completion queue overflow (instance %m)");
      BatchSize_A: assert (!start || (k != '0 && k <= max_batch_i
                                      && (RingIdxW+1)'(k) < cq_size
                                      && 9'(k) <= ref_geo.to_end))
        else $error("batch of %0d: MAX_BATCH %0d, CQ of %0d, %0d to the ring end (instance %m)",
                    k, max_batch_i, cq_size, ref_geo.to_end);
      CqNoOverwrite_A: assert (!start || RingIdxW'(k) <= ref_geo.free)
        else $error("batch of %0d started with %0d free CQ slots (instance %m)", k, ref_geo.free);
      DecisionInputs_A: assert (state_q != WrIdle
                                || (geo_q == ref_geo && imm == imm_mem
                                    && imm_hit_q == ref_imm_hit && imm_k_q == ref_imm_k
                                    && (n_q == '0 || (age_q == head_age
                                                      && tmo_q == (head_age >= timeout_i)))))
        else $error("close decision inputs out of date: geometry %h/%h, IMMEDIATE %h/%h, age %0d/%0d (instance %m)",
                    geo_q, ref_geo, imm, imm_mem, age_q, head_age);
      Decision_A: assert (state_q != WrIdle
                          || (close == ref_close && start_ok == ref_start
                              && (!ref_close || (k == ref_k && reason == ref_reason))))
        else $error("close decision start %0d k %0d reason %0d, reference start %0d k %0d reason %0d (instance %m)",
                    start_ok, k, reason, ref_start, ref_k, ref_reason);
`ifndef FORMAL
      // the formal block states this rule as wr_timeout: one proof obligation, not two
      TimeoutHonoured_A: assert (!(state_q == WrIdle && n_q != '0 && head_age >= timeout_i
                                   && ref_geo.free >= RingIdxW'(room)) || start)
        else $error("completion %0d cycles old (TIMEOUT %0d) with room and no batch (instance %m)",
                    head_age, timeout_i);
`endif
`ifndef FORMAL
      // simulation only: the writer's proofs do not read the error flags, and 32 reads
      // of the queue memory in every step slow their induction tenfold
      Lanes_A: assert (state_q != WrW || lanes_ok)
        else $error("the W beat's entry registers differ from beat %0d's entries (instance %m)", beat_q);
      QueueErr_A: assert (q_err_ok)
        else $error("completion queue: an occupied slot's error flag is not its status (instance %m)");
`endif
      TailAfter_A: assert (state_q != WrB
                           || ({phase_after_q, tail_after_q}
                               == ((tail_end >= cq_size)
                                   ? {!phase_q, RingIdxW'(tail_end - cq_size)}
                                   : {phase_q, RingIdxW'(tail_end)})))
        else $error("tail, phase after the batch %0d, %0d; expected %0d + %0d in a ring of %0d from phase %0d (instance %m)",
                    tail_after_q, phase_after_q, cq_tail_q, k_q, cq_size, phase_q);
    end
  end
`endif

  // the close decision is taken in IDLE only; `close` (a rule fires, room or not) is
  // for waveforms
  logic unused_ok;
  assign unused_ok = close;


  // Formal properties (rtl/formal/writer*.sby, docs/formal.md) //
`ifdef FORMAL
  // Assumptions, the rest of the engine's and the host's guarantees: reset first; the
  // configuration inputs hold still after reset and are in the register block's ranges
  // (MAX_BATCH 1..16, ring log2 1..12, CQ base 4 KiB aligned); the TX engine pushes only
  // while the queue has a free slot; the host's CQ_HEAD stays in the ring and only moves
  // forward over entries that have been written (it consumes, it never un-consumes); the
  // next-value inputs (*_d_i) are the next cycle's values of their registers, as the
  // register block drives them.
  //   wr_batch_max    : a batch written has 1 <= k <= MAX_BATCH and k <= S - 1 entries
  //   wr_no_wrap      : it never crosses the CQ's end, nor a 4 KiB boundary (AW address
  //                     and length), and its burst has exactly the beats of its k entries
  //   wr_no_overwrite : from its start to its write response, the batch's k entries fit
  //                     in the free CQ slots: no entry is written over an unconsumed one
  //   wr_axi_aw/w     : awvalid / wvalid never drop before ready, payload stable meanwhile
  //   wr_age          : a completion pushed in cycle c has age t - c - 1 in cycle t, for
  //                     the tracked completion (any one: chosen by fv_pick)
  //   wr_timeout      : in IDLE with n >= 1, age >= TIMEOUT and room for the batch, a
  //                     batch starts in that cycle; a timeout batch never starts earlier
  //   wr_live         : (FORMAL_LIVE) with the AXI slave always ready, a batch that starts
  //                     is written and done exactly nbeats + 2 cycles later: AW one cycle,
  //                     one beat a cycle, the response (with wr_timeout and wr_age: every
  //                     queued completion is written within a bounded time of CQ room)
  (* anyseq *) logic   fv_pick;          // free: which push is the tracked completion
  logic                fv_init_q = 1'b1;
  logic                fv_rst_q;
  logic [63:0]         fv_cq_base_q;
  logic [3:0]          fv_cq_log2_q, fv_tx_log2_q;
  logic [4:0]          fv_max_batch_q;
  logic [31:0]         fv_timeout_q;
  logic [RingIdxW-1:0] fv_head_q, fv_head_d_q, fv_tail_q, fv_mask;
  logic                fv_was_aw_q;     // the last cycle was in WrAw
  logic                fv_aw_hold_q, fv_w_hold_q;
  logic [76:0]         fv_aw_q;
  logic [DataW+DataW/8:0] fv_w_q;
  logic [RingIdxW:0]   fv_used;
  assign fv_mask = ring_mask(cq_log2_i);
  assign fv_used = (RingIdxW+1)'((cq_tail_q - cq_head_i) & fv_mask);

  always_ff @(posedge clk) begin
    fv_init_q      <= 1'b0;
    fv_rst_q       <= rst;
    fv_cq_base_q   <= cq_base_i;
    fv_cq_log2_q   <= cq_log2_i;
    fv_tx_log2_q   <= tx_log2_i;
    fv_max_batch_q <= max_batch_i;
    fv_timeout_q   <= timeout_i;
    fv_head_q      <= cq_head_i;
    fv_head_d_q    <= cq_head_d_i;
    fv_was_aw_q    <= state_q == WrAw;
    fv_tail_q      <= cq_tail_q;
    fv_aw_hold_q   <= m_axi_awvalid && !m_axi_awready;
    fv_w_hold_q    <= m_axi_wvalid && !m_axi_wready;
    fv_aw_q        <= {m_axi_awaddr, m_axi_awlen, m_axi_awsize, m_axi_awburst};
    fv_w_q         <= {m_axi_wdata, m_axi_wstrb, m_axi_wlast};
  end

  always_comb begin
    if (fv_init_q) assume (rst);
    assume (max_batch_i >= 5'd1 && max_batch_i <= 5'd16);
    assume (cq_log2_i >= 4'd1 && 32'(cq_log2_i) <= RingLog2Max);
    assume (tx_log2_i >= 4'd1 && 32'(tx_log2_i) <= RingLog2Max);
    assume (cq_base_i[11:0] == 12'd0);
    assume ((cq_head_i & ~fv_mask) == '0);
    assume (max_batch_d_i == max_batch_i
            && timeout_d_i == timeout_i && cq_mask_d_i == fv_mask);
    if (!fv_init_q) begin
      assume (cq_head_i == fv_head_d_q);
      assume (cq_base_i == fv_cq_base_q && cq_log2_i == fv_cq_log2_q
              && tx_log2_i == fv_tx_log2_q && max_batch_i == fv_max_batch_q
              && timeout_i == fv_timeout_q);
      assume (((cq_head_i - fv_head_q) & fv_mask) <= ((fv_tail_q - fv_head_q) & fv_mask));
    end
    if (push_i) assume (count_o < CountW'(CplqDepth));
  end

  // the tracked completion: pushed with fv_pick, followed until its batch starts
  logic              fv_trk_q;          // tracked and still pending
  logic              fv_trk_done_q;     // a completion was tracked already
  logic [QAddrW-1:0] fv_trk_slot_q;
  logic [31:0]       fv_since_q;        // t - c - 1 in cycle t, for a push in cycle c
  logic [QAddrW-1:0] fv_trk_rel;        // its position behind the oldest occupied slot
  logic [QAddrW-1:0] fv_trk_pos;        // its position among the pending slots
  assign fv_trk_rel = fv_trk_slot_q - fl_ptr_q;
  assign fv_trk_pos = fv_trk_slot_q - rd_ptr;
  always_ff @(posedge clk) begin
    if (rst) begin
      fv_trk_q      <= 1'b0;
      fv_trk_done_q <= 1'b0;
      fv_since_q    <= '0;
    end else begin
      fv_since_q <= fv_since_q + 32'd1;
      if (push_i && fv_pick && !fv_trk_done_q) begin
        fv_trk_q      <= 1'b1;
        fv_trk_done_q <= 1'b1;
        fv_trk_slot_q <= wr_ptr_q;
        fv_since_q    <= '0;
      end else if (fv_trk_q && start && 32'(fv_trk_pos) < 32'(k)) begin
        fv_trk_q <= 1'b0;
      end
    end
  end

  logic fv_chk;
  assign fv_chk = !fv_init_q && !rst;

  // imm_q[r] is the IMMEDIATE flag of queue slot fl_ptr_q + r for the occupied slots, 0
  // beyond them; imm_hit_now, imm_k_now: the first of imm_q[15:0] (+1)
  logic       imm_occ_ok, imm_hit_now;
  logic [4:0] imm_k_now;
  always_comb begin
    imm_occ_ok = 1'b1;
    for (int r = 0; r < CplqDepth; r++) begin
      if (imm_q[r] != (CountW'(r) < count_o && q_mem[fl_ptr_q + QAddrW'(r)].immediate))
        imm_occ_ok = 1'b0;
    end
  end
  assign {imm_hit_now, imm_k_now} = first_flag16(imm_q[15:0]);

  always_ff @(posedge clk) begin
    if (fv_chk) begin
      // helper invariants (the queue's bookkeeping), for the induction
      wr_inv_queue: assert (32'(n_q) + 32'(k_q) <= CplqDepth
                            && wr_ptr_q == fl_ptr_q + QAddrW'(k_q) + QAddrW'(n_q)
                            && (state_q == WrIdle) == (k_q == '0 && state_q != WrHalt)
                            && state_q inside {WrIdle, WrAw, WrW, WrB, WrHalt}
                            && (state_q != WrW || beat_q < nbeats)
                            && (cq_tail_q & ~fv_mask) == '0
                            && 32'(k_q) <= 32'(max_batch_i)
                            && 32'(cq_tail_q) + 32'(k_q) <= (32'd1 << cq_log2_i)
                            && 32'(cq_tail_q[7:0]) + 32'(k_q) <= 32'd256
                            && 32'(fv_used) + 32'(k_q) < (32'd1 << cq_log2_i));
      // the close decision's registered inputs, against what they stand for (so that the
      // simulation's DecisionInputs_A and Decision_A above are proven too): the geometry
      // of this cycle's registers; each slot's IMMEDIATE flag, 0 beyond the occupied
      // ones, and the first of them; the age of pending slot 0 but in WrAw (reloaded
      // there); the timeout flag but in the cycle after WrAw (from the age before the
      // reload)
      wr_inv_decision: assert (geo_q == ref_geo && imm_occ_ok
                               && imm_hit_q == imm_hit_now && imm_k_q == imm_k_now
                               && (n_q == '0 || state_q == WrAw || age_q == head_age)
                               && (n_q == '0 || fv_was_aw_q
                                   || tmo_q == (age_q >= timeout_i)));
      // the pending slots' flags while a batch is in flight, and the first of them
      wr_inv_pending: assert ((state_q != WrW && state_q != WrB) || pimm_q == imm_q >> k_q);
      // the W beat's entry registers: those of the beat
      wr_inv_lanes: assert (state_q != WrW || lanes_ok);
      wr_inv_pending_first: assert (state_q != WrB
                                    || (pimm_hit_q == pimm_hit_now && pimm_k_q == pimm_k_now));
      wr_inv_track: assert (!fv_trk_q || (32'(fv_trk_rel) >= 32'(k_q)
                                           && 32'(fv_trk_rel) < 32'(k_q) + 32'(n_q)
                                           && now_q - ts_mem[fv_trk_slot_q]
                                              == fv_since_q));

      if (state_q == WrAw) begin
        wr_batch_max: assert (k_q >= 5'd1 && k_q <= max_batch_i
                              && (RingIdxW+1)'(k_q) < cq_size);
        wr_no_wrap: assert ((RingIdxW+1)'(cq_tail_q) + (RingIdxW+1)'(k_q) <= cq_size
                            && 32'(m_axi_awaddr[11:0]) + (32'(m_axi_awlen) + 32'd1) * Bw
                               <= 32'd4096
                            && 32'(m_axi_awaddr[11:0]) + (32'(m_axi_awlen) + 32'd1) * Bw
                               >= 32'(entry_addr[11:0]) + 32'(k_q) * CplBytes
                            && 32'(m_axi_awaddr[11:0]) + 32'(m_axi_awlen) * Bw
                               < 32'(entry_addr[11:0]) + 32'(k_q) * CplBytes);
      end
      if (state_q inside {WrAw, WrW, WrB}) begin
        wr_no_overwrite: assert (32'(fv_used) + 32'(k_q) < (32'd1 << cq_log2_i));
      end
      if (!fv_rst_q) begin
        wr_axi_aw: assert (!fv_aw_hold_q
                           || (m_axi_awvalid && {m_axi_awaddr, m_axi_awlen, m_axi_awsize,
                                                 m_axi_awburst} == fv_aw_q));
        wr_axi_w: assert (!fv_w_hold_q
                          || (m_axi_wvalid && {m_axi_wdata, m_axi_wstrb, m_axi_wlast} == fv_w_q));
      end
      if (fv_trk_q && fv_trk_rel == QAddrW'(k_q)) begin
        wr_age: assert (n_q != '0 && head_age == fv_since_q);
      end
      wr_timeout: assert (!(state_q == WrIdle && n_q != '0 && head_age >= timeout_i
                            && ref_geo.free >= RingIdxW'(room))
                          || start);
      if (start && reason == ReasonTimeout) begin
        wr_timeout_early: assert (head_age >= timeout_i);
      end
    end
  end

`ifdef FORMAL_LIVE
  // With the AXI slave always ready (awready, wready, the response in the B cycle, OKAY),
  // a batch that starts in cycle t is done in cycle t + nbeats + 2 and the writer is back
  // in IDLE in t + nbeats + 3. fv_fl_q counts the cycles since the batch left IDLE.
  logic [6:0] fv_fl_q;
  always_comb begin
    assume (m_axi_awready && m_axi_wready && m_axi_bvalid == m_axi_bready
            && m_axi_bresp == 2'b00);
  end
  always_ff @(posedge clk) begin
    if (rst || state_q == WrIdle) begin
      fv_fl_q <= '0;
    end else if (fv_fl_q != 7'h7F) begin
      fv_fl_q <= fv_fl_q + 7'd1;
    end
    if (fv_chk) begin
      wr_live: assert (state_q != WrHalt
                       && (state_q != WrAw || fv_fl_q == 7'd0)
                       && (state_q != WrW || 7'(fv_fl_q) == 7'(beat_q) + 7'd1)
                       && (state_q != WrB || (7'(fv_fl_q) == 7'(nbeats) + 7'd1 && b_ok)));
    end
  end
`endif
`endif

endmodule

`resetall
