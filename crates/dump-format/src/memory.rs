//! One address-space reader over every container.
//!
//! A container contributes [`Region`]s: a run of virtual addresses, the file
//! offset where its bytes start and how many of them were written. The
//! [`AddressSpace`] sorts them once; every read is then a binary search
//! (O(log n)) plus, where the bytes are contiguous in the file, a borrowed
//! slice of the memory map — cheap enough for the heap walker's inner loop.

use crate::error::ReadError;
use std::borrow::Cow;

/// Largest single read that allocates (a read that has to stitch regions
/// together). Larger reads must be done in pieces; this keeps a corrupt length
/// taken from dump memory from sizing a huge allocation.
pub const MAX_OWNED_READ: u64 = 256 << 20;

/// A run of captured process memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    /// First virtual address.
    pub start: u64,
    /// Size of the region in the process.
    pub mem_len: u64,
    /// File offset of the region's first byte.
    pub file_offset: u64,
    /// How many of the region's bytes the dump contains (≤ `mem_len`; an ELF
    /// segment may have fewer bytes in the file than in memory).
    pub file_len: u64,
}

impl Region {
    /// One past the last virtual address.
    pub fn end(&self) -> u64 {
        self.start.saturating_add(self.mem_len)
    }
}

/// The sorted, non-overlapping regions of a dump.
#[derive(Debug, Clone, Default)]
pub struct AddressSpace {
    regions: Vec<Region>,
    overlaps: usize,
}

impl AddressSpace {
    /// Builds the address space. Empty regions are dropped; where two regions
    /// overlap, the earlier-starting one wins and the other is clipped (the
    /// number of clipped regions is kept for a warning).
    pub fn new(mut regions: Vec<Region>) -> Self {
        regions.retain(|r| r.mem_len > 0);
        regions.sort_by_key(|r| (r.start, std::cmp::Reverse(r.mem_len)));
        let mut out: Vec<Region> = Vec::with_capacity(regions.len());
        let mut overlaps = 0;
        for mut r in regions {
            if let Some(last) = out.last() {
                let last_end = last.end();
                if r.start < last_end {
                    overlaps += 1;
                    if r.end() <= last_end {
                        continue;
                    }
                    let cut = last_end - r.start;
                    r.start = last_end;
                    r.mem_len -= cut;
                    r.file_offset = r.file_offset.saturating_add(cut);
                    r.file_len = r.file_len.saturating_sub(cut);
                }
            }
            out.push(r);
        }
        AddressSpace { regions: out, overlaps }
    }

    /// The regions, sorted by address.
    pub fn regions(&self) -> &[Region] {
        &self.regions
    }

    /// How many regions overlapped another and were clipped or dropped.
    pub fn overlaps(&self) -> usize {
        self.overlaps
    }
}

/// A reader of the dumped process's memory: the file bytes plus the regions.
///
/// ```
/// use dump_format::memory::{AddressSpace, Memory, Region};
/// let file = [0u8, 0, 0x78, 0x56, 0x34, 0x12, 0xaa, 0xbb];
/// let space = AddressSpace::new(vec![
///     Region { start: 0x1000, mem_len: 4, file_offset: 2, file_len: 4 },
///     Region { start: 0x1004, mem_len: 2, file_offset: 6, file_len: 2 },
/// ]);
/// let mem = Memory::new(&file, &space, 4);
/// assert_eq!(mem.u32(0x1000)?, 0x1234_5678);
/// assert_eq!(&*mem.read(0x1003, 3)?, &[0x12, 0xaa, 0xbb]); // spans two regions
/// assert!(mem.u8(0x1006).is_err()); // not captured
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy)]
pub struct Memory<'a> {
    data: &'a [u8],
    regions: &'a [Region],
    pointer_size: usize,
}

impl<'a> Memory<'a> {
    /// A reader over `data` (the whole dump file) and `space`.
    pub fn new(data: &'a [u8], space: &'a AddressSpace, pointer_size: usize) -> Self {
        Memory { data, regions: &space.regions, pointer_size }
    }

    /// Size of a pointer in the dumped process.
    pub fn pointer_size(&self) -> usize {
        self.pointer_size
    }

    /// The regions, sorted by address.
    pub fn regions(&self) -> &'a [Region] {
        self.regions
    }

    /// Index of the region that contains `addr`.
    pub fn region_index(&self, addr: u64) -> Option<usize> {
        let i = self.regions.partition_point(|r| r.start <= addr);
        let i = i.checked_sub(1)?;
        (addr < self.regions[i].end()).then_some(i)
    }

    /// The region that contains `addr`.
    pub fn region_of(&self, addr: u64) -> Option<&'a Region> {
        self.region_index(addr).map(|i| &self.regions[i])
    }

    /// Borrowed bytes of one region from `addr` to the end of what the file
    /// holds for that region.
    fn run(&self, idx: usize, addr: u64) -> Result<&'a [u8], ReadError> {
        let r = &self.regions[idx];
        let delta = addr - r.start;
        if delta >= r.file_len {
            return Err(ReadError::NotWritten { address: addr });
        }
        let off = r.file_offset.saturating_add(delta);
        let end = r.file_offset.saturating_add(r.file_len);
        let corrupt = ReadError::Corrupt { address: addr, file_offset: off };
        if end > self.data.len() as u64 {
            // The tables point past the end of the file: keep what is there.
            let have = (self.data.len() as u64).checked_sub(off).filter(|h| *h > 0).ok_or(corrupt)?;
            return Ok(&self.data[off as usize..(off + have) as usize]);
        }
        Ok(&self.data[off as usize..end as usize])
    }

    /// How many bytes starting at `addr` can be read without a gap, crossing
    /// adjacent regions. Zero when `addr` itself is not readable.
    pub fn readable_len(&self, addr: u64) -> u64 {
        let mut total = 0u64;
        let mut cur = addr;
        while let Some(i) = self.region_index(cur) {
            let Ok(run) = self.run(i, cur) else { break };
            total += run.len() as u64;
            let r = &self.regions[i];
            if (run.len() as u64) < r.end() - cur {
                break; // the region has unwritten or truncated bytes after the run
            }
            cur = r.end();
        }
        total
    }

    /// `len` bytes at `addr` borrowed from the file. Succeeds when the range
    /// is captured and its bytes lie back to back in the file — always within
    /// one region, and across adjacent regions when the file keeps them in
    /// order (Memory64List and ELF segments usually do). Otherwise
    /// [`ReadError::NotContiguous`]; [`Memory::read`] handles that case.
    pub fn slice(&self, addr: u64, len: u64) -> Result<&'a [u8], ReadError> {
        let idx = self.region_index(addr).ok_or(ReadError::NotCaptured { address: addr, len })?;
        let run = self.run(idx, addr)?;
        if run.len() as u64 >= len {
            return Ok(&run[..len as usize]);
        }
        let start_off = self.regions[idx].file_offset + (addr - self.regions[idx].start);
        let mut got = run.len() as u64;
        let mut i = idx;
        loop {
            let r = &self.regions[i];
            let cur = addr + got;
            if cur < r.end() {
                // The file holds fewer bytes than this region spans.
                return Err(if r.file_len < r.mem_len {
                    ReadError::NotWritten { address: cur }
                } else {
                    ReadError::Corrupt { address: cur, file_offset: start_off + got }
                });
            }
            let next = i + 1;
            let n = self
                .regions
                .get(next)
                .filter(|n| n.start == cur)
                .ok_or(ReadError::NotCaptured { address: cur, len: len - got })?;
            if n.file_offset != start_off + got {
                return Err(ReadError::NotContiguous { address: cur });
            }
            got += self.run(next, cur)?.len() as u64;
            if got >= len {
                return Ok(&self.data[start_off as usize..(start_off + len) as usize]);
            }
            i = next;
        }
    }

    /// `len` bytes at `addr`: borrowed when contiguous in the file, otherwise
    /// stitched together from adjacent regions into an owned buffer.
    pub fn read(&self, addr: u64, len: u64) -> Result<Cow<'a, [u8]>, ReadError> {
        if let Ok(s) = self.slice(addr, len) {
            return Ok(Cow::Borrowed(s));
        }
        if len > MAX_OWNED_READ {
            return Err(ReadError::TooLarge { address: addr, len, limit: MAX_OWNED_READ });
        }
        let mut buf = vec![0u8; len as usize];
        self.read_into(addr, &mut buf)?;
        Ok(Cow::Owned(buf))
    }

    /// Fills `buf` with the bytes at `addr`, crossing adjacent regions.
    pub fn read_into(&self, addr: u64, buf: &mut [u8]) -> Result<(), ReadError> {
        let mut done = 0usize;
        while done < buf.len() {
            let cur = addr
                .checked_add(done as u64)
                .ok_or(ReadError::NotCaptured { address: addr, len: buf.len() as u64 })?;
            let idx = self
                .region_index(cur)
                .ok_or(ReadError::NotCaptured { address: cur, len: (buf.len() - done) as u64 })?;
            let run = self.run(idx, cur)?;
            let n = run.len().min(buf.len() - done);
            buf[done..done + n].copy_from_slice(&run[..n]);
            done += n;
            let r = &self.regions[idx];
            if done < buf.len() && (n as u64) < r.end() - cur {
                // The file holds fewer bytes than the region spans.
                return Err(if r.file_len < r.mem_len {
                    ReadError::NotWritten { address: cur + n as u64 }
                } else {
                    ReadError::Corrupt { address: cur + n as u64, file_offset: self.data.len() as u64 }
                });
            }
        }
        Ok(())
    }

    fn fixed<const N: usize>(&self, addr: u64) -> Result<[u8; N], ReadError> {
        let mut out = [0u8; N];
        // Fast path: one region, one copy.
        if let Some(i) = self.region_index(addr) {
            if let Ok(run) = self.run(i, addr) {
                if run.len() >= N {
                    out.copy_from_slice(&run[..N]);
                    return Ok(out);
                }
            }
        }
        self.read_into(addr, &mut out)?;
        Ok(out)
    }

    /// The byte at `addr`.
    pub fn u8(&self, addr: u64) -> Result<u8, ReadError> {
        Ok(self.fixed::<1>(addr)?[0])
    }

    /// Little-endian u16 at `addr`.
    pub fn u16(&self, addr: u64) -> Result<u16, ReadError> {
        self.fixed(addr).map(u16::from_le_bytes)
    }

    /// Little-endian u32 at `addr`.
    pub fn u32(&self, addr: u64) -> Result<u32, ReadError> {
        self.fixed(addr).map(u32::from_le_bytes)
    }

    /// Little-endian u64 at `addr`.
    pub fn u64(&self, addr: u64) -> Result<u64, ReadError> {
        self.fixed(addr).map(u64::from_le_bytes)
    }

    /// A pointer of the dumped process's size at `addr`, widened to u64.
    pub fn ptr(&self, addr: u64) -> Result<u64, ReadError> {
        if self.pointer_size == 4 { self.u32(addr).map(u64::from) } else { self.u64(addr) }
    }

    /// Total bytes the dump holds for process memory.
    pub fn captured_bytes(&self) -> u64 {
        // Saturating: region sizes come from the file and may be absurd.
        self.regions.iter().fold(0u64, |a, r| a.saturating_add(r.file_len.min(r.mem_len)))
    }
}
