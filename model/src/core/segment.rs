//! Segmentation: how a send request is cut into TCP segments (never IP fragments).

/// One segment of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Offset of the segment's first payload byte within the request.
    pub offset: u32,
    /// Payload bytes, 1..=eff_mss.
    pub len: u16,
    /// The request's last segment: the one that carries PSH and FIN when requested.
    pub last: bool,
}

/// The segments of a request of `len` bytes (≥ 1) with `eff_mss` (≥ 1): full segments of
/// `eff_mss` bytes, then the remainder.
pub fn segments(len: u32, eff_mss: u16) -> impl Iterator<Item = Segment> {
    let mss = u32::from(eff_mss.max(1));
    (0..len.div_ceil(mss)).map(move |i| segment_at(len, eff_mss, i * mss))
}

/// The segment that starts `offset` bytes into a request of `len` bytes (`offset < len`).
pub fn segment_at(len: u32, eff_mss: u16, offset: u32) -> Segment {
    let seg = u32::from(eff_mss.max(1)).min(len - offset);
    Segment { offset, len: seg as u16, last: offset + seg == len }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn exact_multiple_and_remainder() {
        let v: Vec<_> = segments(2920, 1460).map(|s| (s.offset, s.len, s.last)).collect();
        assert_eq!(v, [(0, 1460, false), (1460, 1460, true)]);
        let v: Vec<_> = segments(3000, 1460).map(|s| s.len).collect();
        assert_eq!(v, [1460, 1460, 80]);
        assert_eq!(segments(1, 1460).count(), 1);
    }

    proptest! {
        #[test]
        fn segments_tile_the_request(len in 1u32..=65535, mss in 1u16..=9000) {
            let segs: Vec<_> = segments(len, mss).collect();
            let mut at = 0;
            for (i, s) in segs.iter().enumerate() {
                prop_assert_eq!(s.offset, at);
                prop_assert!(s.len >= 1 && s.len <= mss);
                prop_assert_eq!(s.last, i == segs.len() - 1);
                at += u32::from(s.len);
            }
            prop_assert_eq!(at, len);
        }
    }
}
