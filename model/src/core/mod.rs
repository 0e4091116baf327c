//! The functional core: what the engine computes, without when.
//!
//! Header build, checksums, IP ID allocation, descriptor validation and the completion
//! coalescer's close decision, as pure functions and small value types. The timing shell
//! ([`crate::engine`]) calls these on the cycles `docs/microarchitecture.md` gives; on
//! their own they are a timing-free golden reference for frames, completion statuses and
//! completion batches.

pub mod checksum;
pub mod coalesce;
pub mod headers;
pub mod ip_id;
pub mod segment;
pub mod validate;

pub use headers::{build_frame, build_headers, header_len, l3l4_len, HeaderFields};
pub use ip_id::{Ipv4Id, Ipv6FragId};
pub use segment::{segment_at, segments, Segment};
pub use validate::{validate, Plan};
