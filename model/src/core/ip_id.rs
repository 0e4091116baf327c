//! Upper-half IP identification counters.
//!
//! The lower halves of the IPv4 ID and IPv6 fragment ID spaces belong to the host stack;
//! the engine hands out IDs from the upper halves only, +1 per datagram, wrapping from
//! the top of the space back to the bottom of the upper half.

macro_rules! upper_half_counter {
    ($(#[$doc:meta])* $name:ident, $t:ty) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct $name($t);

        impl $name {
            /// The lowest ID the engine may emit.
            pub const LOWEST: $t = 1 << (<$t>::BITS - 1);

            /// A counter whose next ID is `start` forced into the upper half.
            pub fn new(start: $t) -> Self {
                $name(start | Self::LOWEST)
            }

            /// The ID the next datagram gets.
            pub fn peek(&self) -> $t {
                self.0
            }

            /// Take the next ID and advance.
            pub fn take(&mut self) -> $t {
                let id = self.0;
                self.0 = if id == <$t>::MAX { Self::LOWEST } else { id + 1 };
                id
            }
        }

        impl Default for $name {
            fn default() -> Self {
                $name(Self::LOWEST)
            }
        }
    };
}

upper_half_counter!(
    /// The IPv4 ID counter: 0x8000..=0xFFFF.
    Ipv4Id,
    u16
);
upper_half_counter!(
    /// The IPv6 fragment ID counter: 0x8000_0000..=0xFFFF_FFFF.
    Ipv6FragId,
    u32
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn wraps_to_bottom_of_upper_half() {
        let mut c = Ipv4Id::new(0xFFFE);
        assert_eq!([c.take(), c.take(), c.take()], [0xFFFE, 0xFFFF, 0x8000]);
        let mut c6 = Ipv6FragId::new(0xFFFF_FFFF);
        assert_eq!([c6.take(), c6.take()], [0xFFFF_FFFF, 0x8000_0000]);
    }

    #[test]
    fn lower_half_start_is_forced_up() {
        assert_eq!(Ipv4Id::new(0x0005).peek(), 0x8005);
        assert_eq!(Ipv6FragId::new(7).peek(), 0x8000_0007);
    }

    proptest! {
        #[test]
        fn ids_stay_in_upper_half_and_are_consecutive(start: u16, n in 1usize..70_000) {
            let mut c = Ipv4Id::new(start);
            let mut prev = c.take();
            prop_assert!(prev >= 0x8000);
            for _ in 1..n {
                let id = c.take();
                prop_assert!(id >= 0x8000);
                let expect = if prev == 0xFFFF { 0x8000 } else { prev + 1 };
                prop_assert_eq!(id, expect);
                prev = id;
            }
        }

        #[test]
        fn ipv6_ids_stay_in_upper_half(start: u32, n in 1usize..1000) {
            let mut c = Ipv6FragId::new(start);
            for _ in 0..n {
                prop_assert!(c.take() >= 0x8000_0000);
            }
        }
    }
}
