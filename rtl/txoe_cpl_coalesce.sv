// txoe_cpl_coalesce: the completion coalescer's close decision: whether a batch closes
// this cycle, its size k and its reason, and whether the CQ has room for it
// (docs/microarchitecture.md, "Completion writer", "The close decision"). Combinational.
`resetall
`timescale 1ns / 1ps
`default_nettype none

module txoe_cpl_coalesce
  import txoe_pkg::*;
#(
  parameter int unsigned CountW = 6   // width of the pending count
) (
  input  wire  [CountW-1:0]    pending_i,    // n
  input  wire  [15:0]          imm_i,        // IMMEDIATE of pending slots 0..15
  input  wire  [31:0]          head_age_i,   // age of pending slot 0
  input  wire  [31:0]          timeout_i,
  input  wire  [4:0]           max_batch_i,
  input  wire  [3:0]           cq_log2_i,
  input  wire  [RingIdxW-1:0]  cq_tail_i,
  input  wire  [RingIdxW-1:0]  cq_head_i,

  output logic                 close_o,      // a rule fires
  output logic                 start_o,      // a rule fires and free >= k
  output logic [4:0]           k_o,
  output reason_e              reason_o,
  output logic [RingIdxW-1:0]  free_o,
  output logic [8:0]           to_end_o,
  output logic [4:0]           mx_o
);

  // ---------------------------------------------------------------- ring geometry
  logic [RingIdxW-1:0] mask, used;
  logic [8:0]          g, tail_in_g;
  assign mask   = (RingIdxW'(1) << cq_log2_i) - RingIdxW'(1);
  assign used   = (cq_tail_i - cq_head_i) & mask;
  assign free_o = mask - used;

  // G = min(S, 256): slots up to the ring's end or the next 4 KiB boundary
  assign g         = (cq_log2_i >= 4'd8) ? 9'd256 : (9'd1 << cq_log2_i);
  assign tail_in_g = {1'b0, cq_tail_i[7:0]} & (g - 9'd1);
  assign to_end_o  = g - tail_in_g;

  // mx = min(MAX_BATCH, S - 1)
  assign mx_o = (RingIdxW'(max_batch_i) > mask) ? mask[4:0] : max_batch_i;

  // ---------------------------------------------------------------- first IMMEDIATE
  logic        imm_hit;
  logic [4:0]  imm_k;          // imm + 1
  always_comb begin
    imm_hit = 1'b0;
    imm_k   = 5'd0;
    for (int i = 15; i >= 0; i--) begin
      if (imm_i[i] && CountW'(i) < pending_i) begin
        imm_hit = 1'b1;
        imm_k   = 5'(i + 1);
      end
    end
  end

  // ---------------------------------------------------------------- K and the rules
  logic [4:0] k_size;
  logic       size_fire, timeout_fire;
  always_comb begin
    k_size = mx_o;
    if (to_end_o < 9'(k_size)) k_size = to_end_o[4:0];
    if (imm_hit && imm_k < k_size) k_size = imm_k;
  end

  assign size_fire    = pending_i >= CountW'(k_size);
  assign timeout_fire = pending_i != '0 && head_age_i >= timeout_i;

  always_comb begin
    reason_o = ReasonMaxBatch;
    k_o      = k_size;
    if (size_fire) begin
      if (imm_hit && imm_k == k_size)   reason_o = ReasonImmediate;
      else if (to_end_o == 9'(k_size)) reason_o = ReasonRingEnd;
      else                              reason_o = ReasonMaxBatch;
    end else begin
      // n < K <= 16 here
      reason_o = ReasonTimeout;
      k_o      = pending_i[4:0];
    end
  end

  assign close_o = size_fire || timeout_fire;
  assign start_o = close_o && free_o >= RingIdxW'(k_o);

endmodule

`resetall
