// txoe_top: transmit offload engine top level (port-complete placeholder).
`resetall
`timescale 1ns / 1ps
`default_nettype none

module txoe_top #(
  parameter int unsigned DATA_W   = 64,
  parameter int unsigned NUM_CONN = 16
) (
  input  wire                   clk,
  input  wire                   rst,

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

  output logic                  irq
);
  always_comb begin
    s_axil_awready = 1'b0; s_axil_wready = 1'b0; s_axil_bvalid = 1'b0; s_axil_bresp = 2'b00;
    s_axil_arready = 1'b0; s_axil_rvalid = 1'b0; s_axil_rdata = '0; s_axil_rresp = 2'b00;
    m_axi_awvalid = 1'b0; m_axi_awaddr = '0; m_axi_awlen = '0; m_axi_awsize = '0;
    m_axi_awburst = 2'b01; m_axi_wvalid = 1'b0; m_axi_wdata = '0; m_axi_wstrb = '0;
    m_axi_wlast = 1'b0; m_axi_bready = 1'b0; m_axi_arvalid = 1'b0; m_axi_araddr = '0;
    m_axi_arlen = '0; m_axi_arsize = '0; m_axi_arburst = 2'b01; m_axi_rready = 1'b0;
    m_axis_tx_tvalid = 1'b0; m_axis_tx_tdata = '0; m_axis_tx_tkeep = '0; m_axis_tx_tlast = 1'b0;
    irq = 1'b0;
  end
endmodule

`resetall
