// txoe_tb_top: the lockstep wrapper around txoe_top (simulation only, not part of the
// synthesizable RTL). It passes every port of txoe_top through under the same name and
// adds, for the waveform, what the Rust model expected on the same cycle under the same
// names with an `exp_` prefix: every output port, the TX engine and completion writer
// states, the IPv4 ID and IPv6 fragment ID counters and the completion queue depth. The
// harness drives the `exp_*` inputs (and `trace_on`, `cycle`) only while a trace is open
// (cosim/csrc/shim.cpp); the logic that only the waveform needs is idle otherwise, so an
// untraced run costs little more than txoe_top alone.
// From those it derives `mismatch` (the per-cycle compare of cosim/src/lockstep.rs:
// valid/ready and irq always, payloads while both sides' valid is high), frame and batch
// numbers (0-based, as in the mismatch report) and completion status / close reason
// names for both sides. The actual state is read from inside the RTL (the `probe` block).
`resetall
`timescale 1ns / 1ps
`default_nettype none

module txoe_tb_top
  import txoe_tb_pkg::*;
#(
  parameter int unsigned DATA_W   = 64,
  parameter int unsigned NUM_CONN = 16
) (
  input  wire                   clk,
  input  wire                   rst,
  // high while a trace is open: the waveform-only logic below runs only then
  input  wire                   trace_on,
  // cycle number, driven by the harness while tracing (cycle c starts at c ns)
  input  wire  [63:0]           cycle,

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

  output logic                  irq,

  // ---- what the model expected on this cycle
  input  wire                   exp_s_axil_awready,
  input  wire                   exp_s_axil_wready,
  input  wire                   exp_s_axil_bvalid,
  input  wire  [1:0]            exp_s_axil_bresp,
  input  wire                   exp_s_axil_arready,
  input  wire                   exp_s_axil_rvalid,
  input  wire  [31:0]           exp_s_axil_rdata,
  input  wire  [1:0]            exp_s_axil_rresp,
  input  wire                   exp_m_axi_awvalid,
  input  wire  [63:0]           exp_m_axi_awaddr,
  input  wire  [7:0]            exp_m_axi_awlen,
  input  wire  [2:0]            exp_m_axi_awsize,
  input  wire  [1:0]            exp_m_axi_awburst,
  input  wire                   exp_m_axi_wvalid,
  input  wire  [DATA_W-1:0]     exp_m_axi_wdata,
  input  wire  [DATA_W/8-1:0]   exp_m_axi_wstrb,
  input  wire                   exp_m_axi_wlast,
  input  wire                   exp_m_axi_bready,
  input  wire                   exp_m_axi_arvalid,
  input  wire  [63:0]           exp_m_axi_araddr,
  input  wire  [7:0]            exp_m_axi_arlen,
  input  wire  [2:0]            exp_m_axi_arsize,
  input  wire  [1:0]            exp_m_axi_arburst,
  input  wire                   exp_m_axi_rready,
  input  wire                   exp_m_axis_tx_tvalid,
  input  wire  [DATA_W-1:0]     exp_m_axis_tx_tdata,
  input  wire  [DATA_W/8-1:0]   exp_m_axis_tx_tkeep,
  input  wire                   exp_m_axis_tx_tlast,
  input  wire                   exp_irq,
  input  wire  [2:0]            exp_tx_state_i,
  input  wire  [2:0]            exp_wr_state_i,
  input  wire  [15:0]           exp_ipv4_id,
  input  wire  [31:0]           exp_ipv6_id,
  input  wire  [5:0]            exp_cplq_count
);

  txoe_top #(.DATA_W(DATA_W), .NUM_CONN(NUM_CONN)) dut (
    .clk, .rst,
    .s_axil_awvalid, .s_axil_awready, .s_axil_awaddr, .s_axil_wvalid, .s_axil_wready,
    .s_axil_wdata, .s_axil_wstrb, .s_axil_bvalid, .s_axil_bready, .s_axil_bresp,
    .s_axil_arvalid, .s_axil_arready, .s_axil_araddr, .s_axil_rvalid, .s_axil_rready,
    .s_axil_rdata, .s_axil_rresp,
    .m_axi_awvalid, .m_axi_awready, .m_axi_awaddr, .m_axi_awlen, .m_axi_awsize,
    .m_axi_awburst, .m_axi_wvalid, .m_axi_wready, .m_axi_wdata, .m_axi_wstrb, .m_axi_wlast,
    .m_axi_bvalid, .m_axi_bready, .m_axi_bresp,
    .m_axi_arvalid, .m_axi_arready, .m_axi_araddr, .m_axi_arlen, .m_axi_arsize,
    .m_axi_arburst, .m_axi_rvalid, .m_axi_rready, .m_axi_rdata, .m_axi_rresp, .m_axi_rlast,
    .m_axis_tx_tvalid, .m_axis_tx_tready, .m_axis_tx_tdata, .m_axis_tx_tkeep,
    .m_axis_tx_tlast,
    .irq
  );

  // ---------------------------------------------------------------- probe
  // The RTL state shown beside the model's. Renaming one of these signals in rtl/ means
  // updating it here (the build stops with the name otherwise).
  tb_tx_state_e tx_state, exp_tx_state;
  tb_wr_state_e wr_state, exp_wr_state;
  logic [15:0]  ipv4_id;
  logic [31:0]  ipv6_id;
  logic [5:0]   cplq_count;

  assign tx_state     = tb_tx_state_e'(dut.u_tx.fe_q);
  assign wr_state     = tb_wr_state_e'(dut.u_cpl.state_q);
  assign ipv4_id      = dut.id4;
  assign ipv6_id      = dut.id6;
  assign cplq_count   = 6'(dut.cplq_count);
  assign exp_tx_state = tb_tx_state_e'(exp_tx_state_i);
  assign exp_wr_state = tb_wr_state_e'(exp_wr_state_i);

  // ---------------------------------------------------------------- compare
  logic mismatch;
  always_comb begin
    mismatch = 1'b0;
    if (trace_on) begin
      mismatch = s_axil_awready != exp_s_axil_awready
              || s_axil_wready  != exp_s_axil_wready
              || s_axil_bvalid  != exp_s_axil_bvalid
              || s_axil_arready != exp_s_axil_arready
              || s_axil_rvalid  != exp_s_axil_rvalid
              || m_axi_awvalid  != exp_m_axi_awvalid
              || m_axi_wvalid   != exp_m_axi_wvalid
              || m_axi_bready   != exp_m_axi_bready
              || m_axi_arvalid  != exp_m_axi_arvalid
              || m_axi_rready   != exp_m_axi_rready
              || m_axis_tx_tvalid != exp_m_axis_tx_tvalid
              || irq            != exp_irq;
      if (s_axil_bvalid && exp_s_axil_bvalid && s_axil_bresp != exp_s_axil_bresp) begin
        mismatch = 1'b1;
      end
      if (s_axil_rvalid && exp_s_axil_rvalid
          && {s_axil_rdata, s_axil_rresp} != {exp_s_axil_rdata, exp_s_axil_rresp}) begin
        mismatch = 1'b1;
      end
      if (m_axi_awvalid && exp_m_axi_awvalid
          && {m_axi_awaddr, m_axi_awlen, m_axi_awsize, m_axi_awburst}
             != {exp_m_axi_awaddr, exp_m_axi_awlen, exp_m_axi_awsize, exp_m_axi_awburst}) begin
        mismatch = 1'b1;
      end
      if (m_axi_wvalid && exp_m_axi_wvalid
          && {m_axi_wdata, m_axi_wstrb, m_axi_wlast}
             != {exp_m_axi_wdata, exp_m_axi_wstrb, exp_m_axi_wlast}) begin
        mismatch = 1'b1;
      end
      if (m_axi_arvalid && exp_m_axi_arvalid
          && {m_axi_araddr, m_axi_arlen, m_axi_arsize, m_axi_arburst}
             != {exp_m_axi_araddr, exp_m_axi_arlen, exp_m_axi_arsize, exp_m_axi_arburst}) begin
        mismatch = 1'b1;
      end
      if (m_axis_tx_tvalid && exp_m_axis_tx_tvalid
          && {m_axis_tx_tdata, m_axis_tx_tkeep, m_axis_tx_tlast}
             != {exp_m_axis_tx_tdata, exp_m_axis_tx_tkeep, exp_m_axis_tx_tlast}) begin
        mismatch = 1'b1;
      end
    end
  end

  // ---------------------------------------------------------------- transactions
  // Frames accepted by the MAC before this cycle: the `frame=N` of a mismatch report is
  // the frame whose beats show tx_frame == N.
  logic [31:0] tx_frame, exp_tx_frame;
  always_ff @(posedge clk) begin
    if (rst) begin
      tx_frame     <= '0;
      exp_tx_frame <= '0;
    end else begin
      if (m_axis_tx_tvalid && m_axis_tx_tready && m_axis_tx_tlast) tx_frame <= tx_frame + 32'd1;
      if (exp_m_axis_tx_tvalid && m_axis_tx_tready && exp_m_axis_tx_tlast) begin
        exp_tx_frame <= exp_tx_frame + 32'd1;
      end
    end
  end

  // Completion entries on the write channel: status and close reason by name, and the
  // `batch=N` of a mismatch report.
  tb_status_e  cpl_status, exp_cpl_status;
  tb_reason_e  cpl_reason, exp_cpl_reason;
  logic [31:0] cpl_batch, exp_cpl_batch;

  txoe_tb_wdecode #(.DataW(DATA_W)) u_wdec (
    .clk, .rst, .trace_on,
    .wvalid (m_axi_wvalid), .wready (m_axi_wready), .wlast (m_axi_wlast),
    .wdata (m_axi_wdata), .wstrb (m_axi_wstrb),
    .status_o (cpl_status), .reason_o (cpl_reason), .batch_o (cpl_batch)
  );

  txoe_tb_wdecode #(.DataW(DATA_W)) u_wdec_exp (
    .clk, .rst, .trace_on,
    .wvalid (exp_m_axi_wvalid), .wready (m_axi_wready), .wlast (exp_m_axi_wlast),
    .wdata (exp_m_axi_wdata), .wstrb (exp_m_axi_wstrb),
    .status_o (exp_cpl_status), .reason_o (exp_cpl_reason), .batch_o (exp_cpl_batch)
  );

endmodule

`resetall
