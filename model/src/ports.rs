//! The port list of `txoe_top`, as plain data.
//!
//! One [`Inputs`] value is what the environment drives during one clock cycle, one
//! [`Outputs`] value is what the device shows during that cycle (sampled before the
//! rising edge, after the inputs settled). The structs are `#[repr(C)]` because the
//! Verilator binding passes them across FFI unchanged; their field order is mirrored in
//! `cosim/csrc/shim.h` and must stay in step with it.
//!
//! Data buses are held in `[u64; 8]` (512 bits, the widest `DATA_W`), strobes and
//! `tkeep` in a `u64`. Bits at and above `DATA_W` are zero.

/// Widest supported `DATA_W`, in 64-bit words.
pub const MAX_DATA_WORDS: usize = 8;

/// A data bus value of up to 512 bits, little-endian by byte (byte 0 is bits 7:0).
pub type Bus = [u64; MAX_DATA_WORDS];

/// Inputs of `txoe_top` for one cycle.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Inputs {
    /// Synchronous active-high reset.
    pub rst: bool,

    // AXI4-Lite slave (registers).
    pub s_axil_awvalid: bool,
    pub s_axil_wvalid: bool,
    pub s_axil_bready: bool,
    pub s_axil_arvalid: bool,
    pub s_axil_rready: bool,
    pub s_axil_wstrb: u8,
    pub s_axil_awaddr: u32,
    pub s_axil_wdata: u32,
    pub s_axil_araddr: u32,

    // AXI4 master: responses from host memory.
    pub m_axi_awready: bool,
    pub m_axi_wready: bool,
    pub m_axi_bvalid: bool,
    pub m_axi_arready: bool,
    pub m_axi_rvalid: bool,
    pub m_axi_rlast: bool,
    pub m_axi_bresp: u8,
    pub m_axi_rresp: u8,
    pub m_axi_rdata: Bus,

    // AXI4-Stream master: the MAC's ready.
    pub m_axis_tx_tready: bool,
}

/// Outputs of `txoe_top` for one cycle.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Outputs {
    // AXI4-Lite slave.
    pub s_axil_awready: bool,
    pub s_axil_wready: bool,
    pub s_axil_bvalid: bool,
    pub s_axil_arready: bool,
    pub s_axil_rvalid: bool,
    pub s_axil_bresp: u8,
    pub s_axil_rresp: u8,
    pub s_axil_rdata: u32,

    // AXI4 master, write address / data / response.
    pub m_axi_awvalid: bool,
    pub m_axi_wvalid: bool,
    pub m_axi_wlast: bool,
    pub m_axi_bready: bool,
    pub m_axi_awlen: u8,
    pub m_axi_awsize: u8,
    pub m_axi_awburst: u8,
    pub m_axi_awaddr: u64,
    pub m_axi_wstrb: u64,
    pub m_axi_wdata: Bus,

    // AXI4 master, read address / data.
    pub m_axi_arvalid: bool,
    pub m_axi_rready: bool,
    pub m_axi_arlen: u8,
    pub m_axi_arsize: u8,
    pub m_axi_arburst: u8,
    pub m_axi_araddr: u64,

    // AXI4-Stream master (frames to the MAC).
    pub m_axis_tx_tvalid: bool,
    pub m_axis_tx_tlast: bool,
    pub m_axis_tx_tkeep: u64,
    pub m_axis_tx_tdata: Bus,

    /// Level interrupt.
    pub irq: bool,
}

/// Anything that can be clocked with [`Inputs`] and answers with [`Outputs`]: the model's
/// timing shell and the Verilated RTL both are.
pub trait Device {
    /// Apply `inp` for one cycle: return the outputs seen before the rising edge, then
    /// take the edge.
    fn cycle(&mut self, inp: &Inputs) -> Outputs;

    /// The `DATA_W` parameter this device was built for.
    fn data_width(&self) -> u32;
}

/// Byte `i` of a bus value.
#[inline]
pub fn bus_byte(bus: &Bus, i: usize) -> u8 {
    (bus[i / 8] >> ((i % 8) * 8)) as u8
}

/// Set byte `i` of a bus value.
#[inline]
pub fn set_bus_byte(bus: &mut Bus, i: usize, v: u8) {
    let sh = (i % 8) * 8;
    bus[i / 8] = (bus[i / 8] & !(0xFFu64 << sh)) | (u64::from(v) << sh);
}

/// Mask of the low `bytes` bytes, as a strobe (`bytes` ≤ 64).
#[inline]
pub fn strobe_mask(bytes: usize) -> u64 {
    if bytes >= 64 {
        u64::MAX
    } else {
        (1u64 << bytes) - 1
    }
}
