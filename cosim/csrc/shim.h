// The port structs of txoe_top as the Rust side sees them (txoe_model::ports::Inputs and
// Outputs, both #[repr(C)]): same field order, same types. Data buses are 512 bits in
// eight 64-bit words, strobes and tkeep one 64-bit word; bits at and above DATA_W are 0.
// common.cpp exports the offsets of every field so the Rust side checks this mirror.
#ifndef TXOE_SHIM_H
#define TXOE_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TXOE_MAX_DATA_WORDS 8

typedef struct TxoeInputs {
    bool rst;

    bool s_axil_awvalid;
    bool s_axil_wvalid;
    bool s_axil_bready;
    bool s_axil_arvalid;
    bool s_axil_rready;
    uint8_t s_axil_wstrb;
    uint32_t s_axil_awaddr;
    uint32_t s_axil_wdata;
    uint32_t s_axil_araddr;

    bool m_axi_awready;
    bool m_axi_wready;
    bool m_axi_bvalid;
    bool m_axi_arready;
    bool m_axi_rvalid;
    bool m_axi_rlast;
    uint8_t m_axi_bresp;
    uint8_t m_axi_rresp;
    uint64_t m_axi_rdata[TXOE_MAX_DATA_WORDS];

    bool m_axis_tx_tready;
} TxoeInputs;

typedef struct TxoeOutputs {
    bool s_axil_awready;
    bool s_axil_wready;
    bool s_axil_bvalid;
    bool s_axil_arready;
    bool s_axil_rvalid;
    uint8_t s_axil_bresp;
    uint8_t s_axil_rresp;
    uint32_t s_axil_rdata;

    bool m_axi_awvalid;
    bool m_axi_wvalid;
    bool m_axi_wlast;
    bool m_axi_bready;
    uint8_t m_axi_awlen;
    uint8_t m_axi_awsize;
    uint8_t m_axi_awburst;
    uint64_t m_axi_awaddr;
    uint64_t m_axi_wstrb;
    uint64_t m_axi_wdata[TXOE_MAX_DATA_WORDS];

    bool m_axi_arvalid;
    bool m_axi_rready;
    uint8_t m_axi_arlen;
    uint8_t m_axi_arsize;
    uint8_t m_axi_arburst;
    uint64_t m_axi_araddr;

    bool m_axis_tx_tvalid;
    bool m_axis_tx_tlast;
    uint64_t m_axis_tx_tkeep;
    uint64_t m_axis_tx_tdata[TXOE_MAX_DATA_WORDS];

    bool irq;
} TxoeOutputs;

// What the model expected on one cycle, for the `exp_*` inputs of the lockstep wrapper
// (cosim/sv/txoe_tb_top.sv): its outputs, and its state in the RTL's encodings
// (txoe_cosim::Expected on the Rust side).
typedef struct TxoeExpected {
    TxoeOutputs out;
    uint8_t tx_state;
    uint8_t wr_state;
    uint8_t cplq_count;
    uint16_t ipv4_id;
    uint32_t ipv6_id;
} TxoeExpected;

#ifdef __cplusplus
extern "C" {
#endif

// Writes sizeof and the offset of every field of TxoeInputs, then of TxoeOutputs, then of
// TxoeExpected, into out[0..n]; returns the number of words the full list has.
size_t txoe_shim_layout(uint64_t* out, size_t n);

#ifdef __cplusplus
}
#endif

#endif  // TXOE_SHIM_H
