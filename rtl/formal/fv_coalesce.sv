// fv_coalesce: formal wrapper of the combinational close decision txoe_cpl_coalesce
// (ports only), for any pending count (0..32), IMMEDIATE flags, head age and TIMEOUT, with
// the register block's guarantees on its inputs: MAX_BATCH 1..16, CQ_LOG2 1..12, and
// CQ_TAIL / CQ_HEAD inside the ring (indices below 2^CQ_LOG2).
//   co_batch_max : a batch that closes has 1 <= k <= MAX_BATCH, k <= S - 1 and k <= n
//   co_no_wrap   : it ends at or before the ring's end and the next 4 KiB (256 entries)
//   co_cq_room   : it starts only when the CQ has room for all of it (k <= free), and
//                  free is S - 1 - ((tail - head) mod S)
//   co_timeout   : the timeout rule fires exactly when n >= 1 and age >= TIMEOUT (unless
//                  the size rule fires first), and then closes all n pending
`resetall
`default_nettype none

module fv_coalesce
  import txoe_pkg::*;
(
  input wire                clk,   // samples the assertions; the block has no state
  input wire [5:0]          pending_i,
  input wire [15:0]         imm_i,
  input wire [31:0]         head_age_i,
  input wire [31:0]         timeout_i,
  input wire [4:0]          max_batch_i,
  input wire [3:0]          cq_log2_i,
  input wire [RingIdxW-1:0] cq_tail_i,
  input wire [RingIdxW-1:0] cq_head_i
);
  // The decision's inputs as the completion writer's registers hold them in IDLE
  // (docs/microarchitecture.md, "The close decision"): the ring geometry of txoe_pkg's
  // cq_geometry, the first IMMEDIATE among the pending slots, and whether the head's age
  // has reached TIMEOUT. That the writer's registers equal these every IDLE cycle is
  // asserted in simulation (DecisionInputs_A), not proven here.
  logic                close_o, start_o;
  logic [4:0]          k_o;
  reason_e             reason_o;
  logic [RingIdxW-1:0] free_o;
  cq_geo_t             geo;
  logic                imm_hit;
  logic [4:0]          imm_k;
  assign geo    = cq_geometry(cq_log2_i, max_batch_i, cq_tail_i, cq_head_i);
  assign free_o = geo.free;
  always_comb begin
    imm_hit = 1'b0;
    imm_k   = 5'd0;
    for (int i = 15; i >= 0; i--) begin
      if (imm_i[i] && 6'(i) < pending_i) begin
        imm_hit = 1'b1;
        imm_k   = 5'(i + 1);
      end
    end
  end
  txoe_cpl_coalesce #(.CountW(6)) dut (
    .pending_i, .imm_hit_i (imm_hit), .imm_k_i (imm_k),
    .timed_out_i (head_age_i >= timeout_i), .geo_i (geo),
    .close_o, .start_o, .k_o, .reason_o);

  logic [12:0] s;                      // ring size S
  logic [12:0] used;
  assign s    = 13'd1 << cq_log2_i;
  assign used = (13'(cq_tail_i) + s - 13'(cq_head_i)) % s;

  always_comb begin
    assume (pending_i <= 6'd32);
    assume (max_batch_i >= 5'd1 && max_batch_i <= 5'd16);
    assume (cq_log2_i >= 4'd1 && cq_log2_i <= 4'd12);
    assume (13'(cq_tail_i) < s && 13'(cq_head_i) < s);
  end

  // size-rule limit K, restated from the documented rule (not from the RTL)
  logic [5:0] kk, first_imm;
  always_comb begin
    kk = 6'(max_batch_i);
    if (13'(kk) > s - 13'd1) kk = 6'(s - 13'd1);
    if (9'(kk) > 9'd256 - 9'(13'(cq_tail_i) % ((s > 13'd256) ? 13'd256 : s)))
      kk = 6'(9'd256 - 9'(13'(cq_tail_i) % ((s > 13'd256) ? 13'd256 : s)));
    if (13'(kk) > s - 13'(cq_tail_i)) kk = 6'(s - 13'(cq_tail_i));
    first_imm = 6'd63;
    for (int i = 15; i >= 0; i--) if (imm_i[i] && 6'(i) < pending_i) first_imm = 6'(i);
    if (first_imm != 6'd63 && first_imm + 6'd1 < kk) kk = first_imm + 6'd1;
  end

  always_ff @(posedge clk) begin
    if (close_o) begin
      co_batch_max: assert (k_o >= 5'd1 && k_o <= max_batch_i && 13'(k_o) <= s - 13'd1
                            && 6'(k_o) <= pending_i);
      co_no_wrap: assert (13'(cq_tail_i) + 13'(k_o) <= s
                          && 9'(cq_tail_i[7:0]) + 9'(k_o) <= 9'd256);
    end
    co_cq_room: assert (13'(free_o) == s - 13'd1 - used
                        && start_o == (close_o && 13'(k_o) <= s - 13'd1 - used));
    co_timeout: assert ((pending_i >= kk) ? (close_o && 6'(k_o) == kk)
                        : (close_o == (pending_i != 6'd0 && head_age_i >= timeout_i)
                           && (!close_o || (6'(k_o) == pending_i
                                            && reason_o == ReasonTimeout))));
  end
endmodule

`resetall
