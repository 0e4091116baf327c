// txoe_cpl_writer: completion queue and CQ writer. Writes each queued completion as a
// one-entry batch (one AXI4 write burst) when the CQ has room, then advances CQ tail
// (with the phase bit) and TX head (docs/microarchitecture.md, "Completion writer").
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

  // completion queue input
  input  wire                         push_i,
  input  wire  cpl_t                  cpl_i,
  output logic [$clog2(CplqDepth):0]  count_o,

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
  output logic                        err_cpl_write_o
);

  localparam int unsigned Bw        = DataW / 8;
  localparam int unsigned LaneW     = $clog2(Bw);
  localparam int unsigned EntBeats  = (Bw >= CplBytes) ? 1 : CplBytes / Bw;
  localparam int unsigned QAddrW    = $clog2(CplqDepth);
  localparam int unsigned EntChunk  = (DataW < 128) ? DataW : 128;   // entry bits per beat

  typedef enum logic [2:0] { WrIdle, WrAw, WrW, WrB, WrHalt } wr_state_e;

  wr_state_e            state_q, state_d;
  cpl_t                 q_mem [CplqDepth];
  logic [QAddrW-1:0]    q_wr_q, q_rd_q;
  logic [QAddrW:0]      q_count_q;
  cpl_t                 cur_q;
  reason_e              reason_q;
  logic [1:0]           beat_q;
  logic [RingIdxW-1:0]  cq_tail_q, tx_head_q;
  logic                 phase_q;

  // ---------------------------------------------------------------- ring arithmetic
  logic [RingIdxW-1:0] cq_mask, tx_mask, cq_used;
  logic [RingIdxW:0]   cq_free;
  logic                start, pop;
  assign cq_mask = (RingIdxW'(1) << cq_log2_i) - 1'b1;
  assign tx_mask = (RingIdxW'(1) << tx_log2_i) - 1'b1;
  assign cq_used = (cq_tail_q - cq_head_i) & cq_mask;
  assign cq_free = (RingIdxW+1)'(cq_mask) - (RingIdxW+1)'(cq_used);
  assign start   = state_q == WrIdle && q_count_q != '0 && cq_free != '0;
  assign pop     = start;

  // ---------------------------------------------------------------- entry bytes
  logic [127:0] entry;
  logic         ring_end;
  reason_e      reason_now;
  assign ring_end   = cq_tail_q == cq_mask || cq_tail_q[7:0] == 8'hFF;
  assign reason_now = q_mem[q_rd_q].immediate ? ReasonImmediate
                    : ring_end                ? ReasonRingEnd
                                              : ReasonMaxBatch;
  assign entry = {2'b00, reason_q, 2'b00, 1'b1, phase_q,          // byte 15: flags
                  cur_q.status, cur_q.segments, cur_q.bytes, cur_q.cookie};

  logic [63:0] entry_addr;
  assign entry_addr = cq_base_i + 64'(cq_tail_q) * CplBytes;

  always_comb begin
    m_axi_wdata = '0;
    m_axi_wstrb = '0;
    if (Bw >= CplBytes) begin
      m_axi_wdata = DataW'(entry) << (8 * int'(entry_addr[LaneW-1:0]));
      m_axi_wstrb = (Bw)'({CplBytes{1'b1}}) << int'(entry_addr[LaneW-1:0]);
    end else begin
      m_axi_wdata = DataW'(entry[32'(beat_q) * EntChunk +: EntChunk]);
      m_axi_wstrb = '1;
    end
  end

  // ---------------------------------------------------------------- next state
  logic w_last;
  assign w_last = beat_q == 2'(EntBeats - 1);

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

  logic b_ok;
  assign b_ok = state_q == WrB && m_axi_bvalid && m_axi_bresp == 2'b00;

  always_ff @(posedge clk) begin
    if (rst) begin
      state_q   <= WrIdle;
      q_wr_q    <= '0;
      q_rd_q    <= '0;
      q_count_q <= '0;
      cur_q     <= '0;
      reason_q  <= ReasonMaxBatch;
      beat_q    <= '0;
      cq_tail_q <= '0;
      tx_head_q <= '0;
      phase_q   <= 1'b1;
    end else begin
      state_q <= state_d;
      if (push_i) q_wr_q <= q_wr_q + 1'b1;
      if (pop) begin
        q_rd_q   <= q_rd_q + 1'b1;
        cur_q    <= q_mem[q_rd_q];
        reason_q <= reason_now;
      end
      q_count_q <= q_count_q + (QAddrW+1)'(push_i) - (QAddrW+1)'(pop);
      if (state_q == WrAw) beat_q <= '0;
      if (state_q == WrW && m_axi_wready) beat_q <= beat_q + 2'd1;
      if (b_ok) begin
        cq_tail_q <= (cq_tail_q + 1'b1) & cq_mask;
        if (((cq_tail_q + 1'b1) & cq_mask) == '0) phase_q <= !phase_q;
        tx_head_q <= (tx_head_q + 1'b1) & tx_mask;
      end
    end
  end

  always_ff @(posedge clk) begin
    if (push_i) q_mem[q_wr_q] <= cpl_i;
  end

  // the immediate flag only chooses the close reason, at pop time
  logic unused_ok;
  assign unused_ok = cur_q.immediate;

  // ---------------------------------------------------------------- outputs
  assign count_o         = q_count_q;
  assign m_axi_awvalid   = state_q == WrAw;
  assign m_axi_awaddr    = entry_addr & ~(64'(Bw) - 64'd1);
  assign m_axi_awlen     = 8'(EntBeats - 1);
  assign m_axi_awsize    = 3'(LaneW);
  assign m_axi_awburst   = 2'b01;
  assign m_axi_wvalid    = state_q == WrW;
  assign m_axi_wlast     = w_last;
  assign m_axi_bready    = state_q == WrB;
  assign cq_tail_o       = cq_tail_q;
  assign tx_head_o       = tx_head_q;
  assign halted_o        = state_q == WrHalt;
  assign batch_done_o    = b_ok;
  assign batch_entries_o = 5'd1;
  assign batch_errors_o  = {4'd0, cur_q.status != StOk};
  assign err_cpl_write_o = state_q == WrB && m_axi_bvalid && m_axi_bresp != 2'b00;

  // Assertions //
`ifndef SYNTHESIS
  always_ff @(posedge clk) begin
    if (!rst) begin
      CplqNoOverflow_A: assert (!(push_i && q_count_q == (QAddrW+1)'(CplqDepth)))
        else $error("completion queue overflow (instance %m)");
      CqNoOverwrite_A: assert (!(start && cq_free == '0))
        else $error("batch started without CQ room (instance %m)");
    end
  end
`endif

endmodule

`resetall
