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

/// Read the frames of a capture: a pcap file (either byte order, micro- or nanosecond
/// timestamps) or a pcapng file (enhanced and simple packet blocks), LINKTYPE_ETHERNET.
/// A frame cut short by the snap length is an error (it cannot be checked byte for byte).
pub fn read_capture_file(path: &Path) -> Result<Vec<Vec<u8>>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    read_capture(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// [`read_capture_file`] on bytes in memory.
pub fn read_capture(bytes: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    use pcap_file::pcap::PcapReader;
    use pcap_file::pcapng::{Block, PcapNgReader};
    const PCAPNG_MAGIC: [u8; 4] = [0x0A, 0x0D, 0x0D, 0x0A];
    let cut = |i: usize, caplen: usize, orig: u32| {
        format!("frame {i} was captured with {caplen} of its {orig} bytes (snap length too short)")
    };
    let mut frames = Vec::new();
    if bytes.len() >= 4 && bytes[0..4] == PCAPNG_MAGIC {
        let mut r = PcapNgReader::new(bytes).map_err(|e| format!("not a pcapng file: {e}"))?;
        while let Some(b) = r.next_block() {
            let b = b.map_err(|e| format!("pcapng block after frame {}: {e}", frames.len()))?;
            let (data, orig, iface) = match &b {
                Block::EnhancedPacket(p) => (p.data.to_vec(), p.original_len, p.interface_id),
                Block::SimplePacket(p) => (p.data.to_vec(), p.original_len, 0),
                _ => continue,
            };
            let link = r.interfaces().get(iface as usize).map(|i| i.linktype);
            if link != Some(DataLink::ETHERNET) {
                return Err(format!(
                    "frame {} is on an interface with link type {link:?}, expected ETHERNET",
                    frames.len()
                ));
            }
            if (data.len() as u32) < orig {
                return Err(cut(frames.len(), data.len(), orig));
            }
            frames.push(data);
        }
        return Ok(frames);
    }
    let mut r = PcapReader::new(bytes).map_err(|e| format!("not a pcap or pcapng file: {e}"))?;
    let link = r.header().datalink;
    if link != DataLink::ETHERNET {
        return Err(format!("link type {link:?}, expected ETHERNET (1)"));
    }
    while let Some(p) = r.next_packet() {
        let p = p.map_err(|e| format!("pcap record after frame {}: {e}", frames.len()))?;
        if (p.data.len() as u32) < p.orig_len {
            return Err(cut(frames.len(), p.data.len(), p.orig_len));
        }
        frames.push(p.data.to_vec());
    }
    Ok(frames)
}
