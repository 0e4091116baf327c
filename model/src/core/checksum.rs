//! The Internet checksum (RFC 1071): a ones'-complement sum of big-endian 16-bit words.

/// Add `bytes` to a running 32-bit sum as big-endian 16-bit words; an odd last byte is
/// the high byte of a word padded with zero. `bytes` must start at an even offset of the
/// checksummed data.
pub fn sum_be16(mut acc: u32, bytes: &[u8]) -> u32 {
    let mut chunks = bytes.chunks_exact(2);
    for c in &mut chunks {
        acc = acc.wrapping_add(u32::from(u16::from_be_bytes([c[0], c[1]])));
    }
    if let [last] = chunks.remainder() {
        acc = acc.wrapping_add(u32::from(*last) << 8);
    }
    acc
}

/// Fold a 32-bit sum into 16 bits with end-around carry.
pub fn fold(mut s: u32) -> u16 {
    while s > 0xFFFF {
        s = (s & 0xFFFF) + (s >> 16);
    }
    s as u16
}

/// The checksum field value for data whose word sum is `s`.
pub fn finish(s: u32) -> u16 {
    !fold(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example() {
        // RFC 1071 section 3: words 0001 f203 f4f5 f6f7 sum to ddf2 (folded).
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(fold(sum_be16(0, &data)), 0xddf2);
        assert_eq!(finish(sum_be16(0, &data)), !0xddf2);
    }

    #[test]
    fn odd_length_pads_low_byte() {
        assert_eq!(sum_be16(0, &[0x12]), 0x1200);
        assert_eq!(sum_be16(0, &[0x12, 0x34, 0x56]), 0x1234 + 0x5600);
    }

    #[test]
    fn data_with_its_checksum_sums_to_ffff() {
        let mut data = vec![0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0, 0,
                            0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7];
        let c = finish(sum_be16(0, &data));
        data[10..12].copy_from_slice(&c.to_be_bytes());
        assert_eq!(c, 0xb861);
        assert_eq!(fold(sum_be16(0, &data)), 0xFFFF);
    }
}
