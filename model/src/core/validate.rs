//! Descriptor validation: which status a send request gets before anything is sent.

use super::headers::l3l4_len;
use crate::layout::{Context, Descriptor, Status, FLAGS_DEFINED, MAX_SEND_LEN, MIN_MSS};

/// What a valid request will send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Largest TCP payload per segment.
    pub eff_mss: u16,
}

/// `eff_mss = min(ctx.mss, MTU − IP header − TCP header)`, the IPv6 header counting its
/// fragment header when the context has one.
pub fn eff_mss(ctx: &Context, mtu: u16) -> u16 {
    ctx.mss.min(mtu.saturating_sub(l3l4_len(ctx) as u16))
}

/// Validate `desc` against the engine's `num_conn`, the MTU, and `ctx`, the context the
/// descriptor's connection index selects (`None` when the index is out of range).
/// Checks run in the documented order (`docs/registers.md`, "Status codes"); the first
/// failing one gives the status.
pub fn validate(desc: &Descriptor, ctx: Option<&Context>, num_conn: u32, mtu: u16) -> Result<Plan, Status> {
    if desc.flags & !FLAGS_DEFINED != 0 || desc.reserved != 0 {
        return Err(Status::ReservedBits);
    }
    if desc.len == 0 {
        return Err(Status::BadLength);
    }
    if desc.len > MAX_SEND_LEN {
        return Err(Status::TooLong);
    }
    let ctx = match ctx {
        Some(c) if u32::from(desc.conn) < num_conn => c,
        _ => return Err(Status::BadConn),
    };
    if !ctx.valid {
        return Err(Status::InvalidCtx);
    }
    if ctx.mss < MIN_MSS {
        return Err(Status::MssTooSmall);
    }
    Ok(Plan { eff_mss: eff_mss(ctx, mtu) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::FLAG_PSH;

    fn good() -> (Descriptor, Context) {
        let d = Descriptor { buf_addr: 3, len: 100, conn: 1, flags: FLAG_PSH, cookie: 9, reserved: 0 };
        let c = Context { valid: true, mss: 1460, ..Context::default() };
        (d, c)
    }

    #[test]
    fn each_check_has_its_own_status() {
        let (d, c) = good();
        assert_eq!(validate(&d, Some(&c), 16, 1500), Ok(Plan { eff_mss: 1460 }));
        let cases: Vec<(Descriptor, Context, Status)> = vec![
            (Descriptor { flags: 0x8, ..d }, c, Status::ReservedBits),
            (Descriptor { reserved: 1 << 63, ..d }, c, Status::ReservedBits),
            (Descriptor { len: 0, ..d }, c, Status::BadLength),
            (Descriptor { len: 65536, ..d }, c, Status::TooLong),
            (Descriptor { conn: 16, ..d }, c, Status::BadConn),
            (d, Context { valid: false, ..c }, Status::InvalidCtx),
            (d, Context { mss: 63, ..c }, Status::MssTooSmall),
        ];
        for (d, c, st) in cases {
            assert_eq!(validate(&d, Some(&c), 16, 1500), Err(st), "{d:?} {c:?}");
        }
        assert_eq!(validate(&d, None, 16, 1500), Err(Status::BadConn));
    }

    #[test]
    fn first_failing_check_wins() {
        let (d, c) = good();
        let bad = Descriptor { len: 0, flags: 0x100, ..d };
        assert_eq!(validate(&bad, Some(&Context { valid: false, ..c }), 16, 1500), Err(Status::ReservedBits));
    }

    #[test]
    fn mtu_limits_eff_mss() {
        let (_, c) = good();
        assert_eq!(eff_mss(&c, 576), 536);
        assert_eq!(eff_mss(&Context { mss: 9000, ..c }, 9000), 8960);
        let v6 = Context { ipv6: true, mss: 9000, ..c };
        assert_eq!(eff_mss(&v6, 1500), 1440);
        assert_eq!(eff_mss(&Context { frag_hdr: true, ..v6 }, 1500), 1432);
        assert_eq!(eff_mss(&Context { frag_hdr: true, ..v6 }, 9000), 8932);
    }
}
