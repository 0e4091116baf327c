// txoe_pnr_wrap: pin-light harness around txoe_top for place and route only (not part of
// the core, not simulated). txoe_top has several hundred port bits per direction, more
// than any FPGA package has pins, so this wrapper
//   * feeds every input of txoe_top from one shift register, loaded one bit per cycle
//     from the pin `sin` (so no input is a constant that synthesis could propagate), and
//   * registers every output of txoe_top and XOR-reduces them through a pipelined tree of
//     4-input XORs (a register after each level) onto a few pins `sout`, so every output
//     bit reaches a pin and no logic of the core can be optimised away;
//   * drives the core's reset through a global buffer straight from its pin, a dedicated
//     clock pin (txoe_pnr_wrap.lpf), as the clock: on a board the reset comes from a
//     synchronizer of the surrounding design, which is not the core's timing to measure.
//     (A reset register in the fabric could not always be routed to the global buffer's
//     input on a crowded die.)
// Both sides are registered, so the paths timed are those of a core whose ports connect
// to flip-flops of the surrounding design. The wrapper's own cost (about one FF per input
// bit, 1.33 FF and 0.33 LUT4 per output bit) is measured separately by
// rtl/synth/pnr.sh and reported beside the core's.
`resetall
`timescale 1ns / 1ps
`default_nettype none

module txoe_pnr_wrap #(
  parameter  int unsigned DATA_W  = 64,
  localparam int unsigned OutPins = ((((204 + 2 * (DATA_W + DATA_W / 8) + 3) / 4) + 3) / 4 + 3) / 4
) (
  input  wire         clk,
  input  wire         rst_pin,
  input  wire         sin,
  output logic [OutPins-1:0] sout
);
  localparam int unsigned StrbW = DATA_W / 8;
  localparam int unsigned InW   = 84 + DATA_W;
  localparam int unsigned OutW  = 204 + 2 * (DATA_W + StrbW);
  localparam int unsigned L1W   = (OutW + 3) / 4;
  localparam int unsigned L2W   = (L1W + 3) / 4;

  logic rst;
  logic [InW-1:0]  in_q;
  logic [OutW-1:0] out_d, out_q;
  logic [L1W-1:0]  l1_q;
  logic [L2W-1:0]  l2_q;

  always_ff @(posedge clk) begin
    in_q  <= {in_q[InW-2:0], sin};
  end

  // The reset reaches every control register of the core (about 11,600 flip-flops at 64
  // bits): on a global network, not the fabric's routing (ECP5 globals reach the
  // slices' LSR inputs).
  DCCA u_rst_g (.CLKI(rst_pin), .CE(1'b1), .CLKO(rst));

  txoe_top #(.DATA_W(DATA_W)) u_core (
    .clk, .rst,
    .s_axil_awvalid (in_q[0]),       .s_axil_awready (out_d[0]),
    .s_axil_awaddr  (in_q[16:1]),    .s_axil_wvalid  (in_q[17]),
    .s_axil_wready  (out_d[1]),      .s_axil_wdata   (in_q[49:18]),
    .s_axil_wstrb   (in_q[53:50]),   .s_axil_bvalid  (out_d[2]),
    .s_axil_bready  (in_q[54]),      .s_axil_bresp   (out_d[4:3]),
    .s_axil_arvalid (in_q[55]),      .s_axil_arready (out_d[5]),
    .s_axil_araddr  (in_q[71:56]),   .s_axil_rvalid  (out_d[6]),
    .s_axil_rready  (in_q[72]),      .s_axil_rdata   (out_d[38:7]),
    .s_axil_rresp   (out_d[40:39]),
    .m_axi_awvalid  (out_d[41]),     .m_axi_awready  (in_q[73]),
    .m_axi_awaddr   (out_d[105:42]), .m_axi_awlen    (out_d[113:106]),
    .m_axi_awsize   (out_d[116:114]), .m_axi_awburst (out_d[118:117]),
    .m_axi_wvalid   (out_d[119]),    .m_axi_wready   (in_q[74]),
    .m_axi_wdata    (out_d[120 +: DATA_W]),
    .m_axi_wstrb    (out_d[120 + DATA_W +: StrbW]),
    .m_axi_wlast    (out_d[120 + DATA_W + StrbW]),
    .m_axi_bvalid   (in_q[75]),      .m_axi_bready   (out_d[121 + DATA_W + StrbW]),
    .m_axi_bresp    (in_q[77:76]),
    .m_axi_arvalid  (out_d[122 + DATA_W + StrbW]), .m_axi_arready (in_q[78]),
    .m_axi_araddr   (out_d[123 + DATA_W + StrbW +: 64]),
    .m_axi_arlen    (out_d[187 + DATA_W + StrbW +: 8]),
    .m_axi_arsize   (out_d[195 + DATA_W + StrbW +: 3]),
    .m_axi_arburst  (out_d[198 + DATA_W + StrbW +: 2]),
    .m_axi_rvalid   (in_q[79]),      .m_axi_rready   (out_d[200 + DATA_W + StrbW]),
    .m_axi_rdata    (in_q[80 +: DATA_W]),
    .m_axi_rresp    (in_q[80 + DATA_W +: 2]),
    .m_axi_rlast    (in_q[82 + DATA_W]),
    .m_axis_tx_tvalid (out_d[201 + DATA_W + StrbW]),
    .m_axis_tx_tready (in_q[83 + DATA_W]),
    .m_axis_tx_tdata  (out_d[202 + DATA_W + StrbW +: DATA_W]),
    .m_axis_tx_tkeep  (out_d[202 + 2 * DATA_W + StrbW +: StrbW]),
    .m_axis_tx_tlast  (out_d[202 + 2 * (DATA_W + StrbW)]),
    .irq              (out_d[203 + 2 * (DATA_W + StrbW)])
  );

  always_ff @(posedge clk) begin
    out_q <= out_d;
    for (int i = 0; i < L1W; i++) begin
      l1_q[i] <= ^(OutW'(out_q >> (4 * i)) & OutW'(4'hF));
    end
    for (int i = 0; i < L2W; i++) begin
      l2_q[i] <= ^(L1W'(l1_q >> (4 * i)) & L1W'(4'hF));
    end
    for (int i = 0; i < OutPins; i++) begin
      sout[i] <= ^(L2W'(l2_q >> (4 * i)) & L2W'(4'hF));
    end
  end

endmodule

`resetall
