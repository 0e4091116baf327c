//! Frames as a pcap file (LINKTYPE_ETHERNET, nanosecond timestamps).
//!
//! A frame's timestamp is the cycle of its `tlast` handshake counted as nanoseconds
//! (1 ns per cycle): Wireshark's time column reads directly as the cycle number, to
//! look up in a waveform. Frames carry no FCS, as on the engine's stream port.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::{DataLink, Endianness, TsResolution};

use crate::mac::Frame;

/// Nanoseconds per cycle in the timestamps.
pub const NS_PER_CYCLE: u64 = 1;

/// The largest frame the engine may emit (MTU 9000 + 18) fits the snap length.
const SNAPLEN: u32 = 65535;

/// Write `frames` as a pcap stream.
pub fn write_pcap<W: Write>(w: W, frames: &[Frame]) -> Result<(), pcap_file::PcapError> {
    let header = PcapHeader {
        datalink: DataLink::ETHERNET,
        ts_resolution: TsResolution::NanoSecond,
        snaplen: SNAPLEN,
        endianness: Endianness::Little,
        ..PcapHeader::default()
    };
    let mut pw = PcapWriter::with_header(w, header)?;
    for f in frames {
        let ts = Duration::from_nanos(f.cycle.saturating_mul(NS_PER_CYCLE));
        pw.write_packet(&PcapPacket::new(ts, f.data.len() as u32, &f.data))?;
    }
    pw.into_writer()
        .flush()
        .map_err(pcap_file::PcapError::IoError)
}

/// Write `frames` as a pcap file.
pub fn write_pcap_file(path: &Path, frames: &[Frame]) -> Result<(), pcap_file::PcapError> {
    let f = std::fs::File::create(path).map_err(pcap_file::PcapError::IoError)?;
    write_pcap(std::io::BufWriter::new(f), frames)
}
