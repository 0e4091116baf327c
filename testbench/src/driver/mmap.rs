//! [`MmapBus`]: the [`Bus`] of a real board, over memory-mapped files.
//!
//! * Registers: a file whose bytes are the engine's AXI4-Lite window: a PCIe BAR
//!   (`/sys/bus/pci/devices/0000:01:00.0/resource0`) or a UIO device (`/dev/uio0`, map 0
//!   at offset 0; map N at offset N × page size). Accessed with 32-bit volatile loads
//!   and stores, never cached copies.
//! * Host memory: a file holding memory the engine can reach by DMA, and the bus
//!   address its first byte has for the engine: a u-dma-buf (`/dev/udmabuf0`, bus address
//!   in `/sys/class/u-dma-buf/udmabuf0/phys_addr`) or a UIO map of reserved memory. The
//!   driver's rings and buffers must lie inside it ([`super::Layout::bytes_needed`]).
//!
//! Both are ordinary files to this module: the tests map temporary files and play the
//! device by writing them.

use std::fs::OpenOptions;
use std::path::Path;
use std::sync::atomic::{fence, Ordering};

use memmap2::{MmapMut, MmapOptions};

use super::{Bus, BusError};

/// One mapped window.
pub struct Window {
    map: MmapMut,
    what: String,
}

impl Window {
    /// Map `len` bytes of `path` from byte `offset` (a multiple of the page size) for
    /// reading and writing, shared with every other mapping of the file (the device).
    pub fn open(path: &Path, offset: u64, len: usize) -> Result<Window, BusError> {
        let what = format!("{} (offset {offset:#x}, {len:#x} bytes)", path.display());
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| BusError(format!("cannot open {}: {e}", path.display())))?;
        // SAFETY: the mapping is shared with the device, which changes it under us; every
        // access below goes through raw pointers with volatile or bounds-checked copies,
        // never through references that assume the bytes do not change.
        let map = unsafe { MmapOptions::new().offset(offset).len(len).map_mut(&file) }
            .map_err(|e| BusError(format!("cannot map {what}: {e}")))?;
        Ok(Window { map, what })
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    fn check(&self, off: u64, len: usize) -> Result<usize, BusError> {
        let end = off.checked_add(len as u64);
        match end {
            Some(e) if e <= self.map.len() as u64 => Ok(off as usize),
            _ => Err(BusError(format!(
                "access of {len} bytes at offset {off:#x} is outside {}",
                self.what
            ))),
        }
    }
}

/// Registers and host memory mapped from files.
pub struct MmapBus {
    regs: Window,
    mem: Window,
    /// Bus address of the first byte of `mem`.
    mem_base: u64,
}

impl MmapBus {
    /// The bus over a register window and a host-memory window whose first byte the
    /// engine sees at bus address `mem_base`.
    pub fn new(regs: Window, mem: Window, mem_base: u64) -> Self {
        MmapBus { regs, mem, mem_base }
    }

    fn reg_ptr(&mut self, addr: u32) -> Result<*mut u32, BusError> {
        if addr & 3 != 0 {
            return Err(BusError(format!("register address {addr:#x} is not 4-byte aligned")));
        }
        let off = self.regs.check(u64::from(addr), 4)?;
        // In bounds (checked) and aligned: the mapping is page aligned and `off` is a
        // multiple of 4.
        Ok(unsafe { self.regs.map.as_mut_ptr().add(off) }.cast::<u32>())
    }

    fn mem_off(&self, addr: u64, len: usize) -> Result<usize, BusError> {
        let off = addr.checked_sub(self.mem_base).ok_or_else(|| {
            BusError(format!("host address {addr:#x} is below the memory window at {:#x}", self.mem_base))
        })?;
        self.mem.check(off, len)
    }
}

impl Bus for MmapBus {
    fn reg_read(&mut self, addr: u32) -> Result<u32, BusError> {
        let p = self.reg_ptr(addr)?;
        fence(Ordering::SeqCst);
        // SAFETY: `p` is in bounds and aligned (reg_ptr); volatile, since the device
        // changes the value.
        Ok(u32::from_le(unsafe { p.read_volatile() }))
    }

    fn reg_write(&mut self, addr: u32, value: u32) -> Result<(), BusError> {
        let p = self.reg_ptr(addr)?;
        // Earlier host-memory writes (descriptors, payload) before the register write
        // (the doorbell).
        fence(Ordering::SeqCst);
        // SAFETY: as in reg_read.
        unsafe { p.write_volatile(value.to_le()) };
        fence(Ordering::SeqCst);
        Ok(())
    }

    fn mem_read(&mut self, addr: u64, buf: &mut [u8]) -> Result<(), BusError> {
        let off = self.mem_off(addr, buf.len())?;
        fence(Ordering::SeqCst);
        let src = unsafe { self.mem.map.as_ptr().add(off) };
        for (i, b) in buf.iter_mut().enumerate() {
            // SAFETY: off + i is in bounds (mem_off); byte-wise volatile reads see what
            // the device wrote, never a value the compiler kept.
            *b = unsafe { src.add(i).read_volatile() };
        }
        Ok(())
    }

    fn mem_write(&mut self, addr: u64, data: &[u8]) -> Result<(), BusError> {
        let off = self.mem_off(addr, data.len())?;
        let dst = unsafe { self.mem.map.as_mut_ptr().add(off) };
        for (i, b) in data.iter().enumerate() {
            // SAFETY: off + i is in bounds (mem_off).
            unsafe { dst.add(i).write_volatile(*b) };
        }
        fence(Ordering::SeqCst);
        Ok(())
    }

    fn pause(&mut self) -> Result<(), BusError> {
        std::thread::sleep(std::time::Duration::from_micros(50));
        Ok(())
    }
}
