//! Register addresses and fields of the AXI4-Lite window (see `docs/registers.md`).

pub const ID: u32 = 0x000;
pub const CTRL: u32 = 0x004;
pub const STATUS: u32 = 0x008;
pub const ERR: u32 = 0x00C;
pub const IRQ_STATUS: u32 = 0x010;
pub const IRQ_MASK: u32 = 0x014;
pub const MTU: u32 = 0x018;
pub const MAX_BATCH: u32 = 0x01C;
pub const TIMEOUT: u32 = 0x020;
pub const IPV4_ID: u32 = 0x024;
pub const IPV6_ID: u32 = 0x028;
pub const TX_BASE_LO: u32 = 0x030;
pub const TX_BASE_HI: u32 = 0x034;
pub const TX_LOG2: u32 = 0x038;
pub const TX_TAIL: u32 = 0x03C;
pub const TX_HEAD: u32 = 0x040;
pub const CQ_BASE_LO: u32 = 0x050;
pub const CQ_BASE_HI: u32 = 0x054;
pub const CQ_LOG2: u32 = 0x058;
pub const CQ_HEAD: u32 = 0x05C;
pub const CQ_TAIL: u32 = 0x060;
pub const CNT_FRAMES: u32 = 0x080;
pub const CNT_BYTES: u32 = 0x084;
pub const CNT_CPL: u32 = 0x088;
pub const CNT_BATCH: u32 = 0x08C;
pub const CNT_ERR: u32 = 0x090;
pub const CNT_CLOSE_MAX_BATCH: u32 = 0x0A0;
pub const CNT_CLOSE_TIMEOUT: u32 = 0x0A4;
pub const CNT_CLOSE_IMMEDIATE: u32 = 0x0A8;
pub const CNT_CLOSE_RING_END: u32 = 0x0AC;

/// Base of the connection-context window.
pub const CTX_BASE: u32 = 0x1000;
/// Byte stride between two contexts.
pub const CTX_STRIDE: u32 = 0x80;
/// Words per context.
pub const CTX_WORDS: usize = 19;

/// Value of the `ID` register: "TXOE".
pub const ID_VALUE: u32 = 0x5458_4F45;

pub const CTRL_ENABLE: u32 = 1 << 0;
pub const STATUS_BUSY: u32 = 1 << 0;
pub const STATUS_HALTED: u32 = 1 << 1;

pub const ERR_DOORBELL: u32 = 1 << 0;
pub const ERR_DESC_FETCH: u32 = 1 << 1;
pub const ERR_CPL_WRITE: u32 = 1 << 2;
pub const ERR_CONFIG: u32 = 1 << 3;

pub const IRQ_CPL: u32 = 1 << 0;
pub const IRQ_ERR: u32 = 1 << 1;

pub const MTU_RESET: u32 = 1500;
pub const MTU_MIN: u32 = 576;
pub const MTU_MAX: u32 = 9000;
pub const MAX_BATCH_RESET: u32 = 8;
pub const MAX_BATCH_MAX: u32 = 16;
pub const TIMEOUT_RESET: u32 = 200;
pub const RING_LOG2_RESET: u32 = 4;
pub const RING_LOG2_MAX: u32 = 12;

/// Byte address of word `w` of context `conn`.
pub const fn ctx_addr(conn: u32, w: u32) -> u32 {
    CTX_BASE + CTX_STRIDE * conn + 4 * w
}
