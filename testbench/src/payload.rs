//! Payload bytes and the host-memory layout.
//!
//! # Host memory layout
//!
//! | address | what |
//! |---|---|
//! | `0x0001_0000` | TX ring: `32 · 2^tx_ring_log2` bytes (at most 128 KiB, ends by `0x0003_0000`) |
//! | `0x0004_0000` | completion queue: `16 · 2^cq_log2` bytes (at most 64 KiB) |
//! | `0x0100_0000 + i · 0x0002_0000 + buf_offset` | payload of send `i` |
//!
//! Both rings are 4 KiB aligned, as the engine requires. The CQ sits at `0x0004_0000`
//! rather than right after a small TX ring so that the largest TX ring (4096 descriptors,
//! 128 KiB) never overlaps it. Each send has its own 128 KiB slot, which holds the largest
//! legal payload (65535 bytes) at the largest `buf_offset` (65535); the host writes the
//! payload when it posts the send and frees the slot's pages when it consumes the send's
//! completion, so memory use follows the sends in flight, not the scenario's length.
//!
//! # Payload bytes
//!
//! Byte `j` of send `i` is a pure function of `(env.seed, i, j)`: byte `j` of a ChaCha8
//! key stream whose key is made of the seed and the send index. Sends of the same seed and
//! index carry the same bytes whatever else the scenario holds.

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Base of the TX descriptor ring.
pub const TX_RING_BASE: u64 = 0x0001_0000;
/// Base of the completion queue.
pub const CQ_BASE: u64 = 0x0004_0000;
/// Base of the payload buffers.
pub const BUF_BASE: u64 = 0x0100_0000;
/// Bytes between two sends' buffers.
pub const BUF_STRIDE: u64 = 0x0002_0000;

/// Start of send `i`'s buffer slot.
pub fn buf_slot(i: u64) -> u64 {
    BUF_BASE + i * BUF_STRIDE
}

/// Address of send `i`'s payload.
pub fn buf_addr(i: u64, buf_offset: u16) -> u64 {
    buf_slot(i) + u64::from(buf_offset)
}

fn key(seed: u64, i: u64, tag: &[u8; 8]) -> [u8; 32] {
    let mut k = [0u8; 32];
    k[0..8].copy_from_slice(&seed.to_le_bytes());
    k[8..16].copy_from_slice(&i.to_le_bytes());
    k[16..24].copy_from_slice(tag);
    k
}

/// The key stream of send `i`'s payload.
fn payload_rng(seed: u64, i: u64) -> ChaCha8Rng {
    ChaCha8Rng::from_seed(key(seed, i, b"payload\0"))
}

/// Fill `out` with the first `out.len()` payload bytes of send `i`.
pub fn fill_payload(seed: u64, i: u64, out: &mut [u8]) {
    payload_rng(seed, i).fill_bytes(out);
}

/// The first `len` payload bytes of send `i`.
pub fn payload(seed: u64, i: u64, len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    fill_payload(seed, i, &mut v);
    v
}

/// Byte `j` of send `i`'s payload, without generating the bytes before it.
pub fn payload_byte(seed: u64, i: u64, j: u64) -> u8 {
    let mut rng = payload_rng(seed, i);
    rng.set_word_pos(u128::from(j / 4));
    rng.next_u32().to_le_bytes()[(j % 4) as usize]
}

/// An independent random stream of the environment, named by `tag` (memory timing, MAC
/// `tready`, ...), derived from the scenario seed.
pub fn env_rng(seed: u64, tag: &[u8; 8]) -> ChaCha8Rng {
    ChaCha8Rng::from_seed(key(seed, u64::MAX, tag))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_is_a_function_of_seed_send_and_index() {
        let p = payload(7, 3, 1000);
        for j in [0u64, 1, 2, 3, 4, 5, 63, 64, 65, 999] {
            assert_eq!(payload_byte(7, 3, j), p[j as usize], "byte {j}");
        }
        assert_eq!(payload(7, 3, 10), p[..10]);
        assert_ne!(payload(7, 4, 32), p[..32]);
        assert_ne!(payload(8, 3, 32), p[..32]);
    }

    #[test]
    fn slots_hold_the_largest_payload_at_the_largest_offset() {
        const {
            assert!(u16::MAX as u64 + 65535 <= BUF_STRIDE);
            assert!(TX_RING_BASE + 32 * 4096 <= CQ_BASE);
            assert!(CQ_BASE + 16 * 4096 <= BUF_BASE);
            assert!(CQ_BASE & 0xFFF == 0 && TX_RING_BASE & 0xFFF == 0);
        }
    }
}
