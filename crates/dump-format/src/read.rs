//! Bounds-checked little-endian reads over a byte slice of the dump file.
//!
//! Every parser in this crate reads through [`Bytes`], so that a short or
//! hostile file yields an [`Error::Truncated`] naming *what* was read and the
//! absolute file offset — never a panic and never an out-of-bounds slice.

use crate::error::{Error, Result};
use scroll::{LE, Pread};

/// A window on the dump file: `data` starts at absolute file offset `base`.
///
/// ```
/// use dump_format::read::Bytes;
/// let b = Bytes::new(&[1, 0, 0, 0, 2, 0], 0x100, "example");
/// assert_eq!(b.u32(0)?, 1);
/// assert!(b.u32(4).is_err()); // only two bytes remain at offset 4
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy)]
pub struct Bytes<'a> {
    data: &'a [u8],
    base: u64,
    what: &'static str,
}

impl<'a> Bytes<'a> {
    /// Wraps `data`, which begins at file offset `base`; `what` names it in errors.
    pub fn new(data: &'a [u8], base: u64, what: &'static str) -> Self {
        Bytes { data, base, what }
    }

    /// The whole window.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// Number of bytes in the window.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// True when the window is empty.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Absolute file offset of window offset `off`.
    pub fn file_offset(&self, off: usize) -> u64 {
        self.base.saturating_add(off as u64)
    }

    /// The same bytes, named differently in errors.
    pub fn named(self, what: &'static str) -> Self {
        Bytes { what, ..self }
    }

    fn truncated(&self, off: usize, needed: usize) -> Error {
        Error::Truncated {
            what: self.what.to_string(),
            offset: self.file_offset(off),
            needed: needed as u64,
            available: self.data.len().saturating_sub(off) as u64,
        }
    }

    /// `len` bytes at `off`, or a `Truncated` error.
    pub fn slice(&self, off: usize, len: usize) -> Result<&'a [u8]> {
        let end = off.checked_add(len).ok_or_else(|| self.truncated(off, len))?;
        self.data.get(off..end).ok_or_else(|| self.truncated(off, len))
    }

    /// A sub-window of `len` bytes at `off`, keeping absolute offsets right.
    pub fn sub(&self, off: usize, len: usize, what: &'static str) -> Result<Bytes<'a>> {
        Ok(Bytes { data: self.slice(off, len)?, base: self.file_offset(off), what })
    }

    /// The window from `off` to its end.
    pub fn rest(&self, off: usize) -> Result<Bytes<'a>> {
        let len = self.data.len().checked_sub(off).ok_or_else(|| self.truncated(off, 0))?;
        self.sub(off, len, self.what)
    }

    /// `count` entries of `size` bytes each at `off`: checked against the
    /// window *before* anything is allocated, so an untrusted count can never
    /// size an allocation larger than the file.
    pub fn array(&self, off: usize, count: u64, size: usize) -> Result<Bytes<'a>> {
        let total = count
            .checked_mul(size as u64)
            .filter(|t| *t <= usize::MAX as u64)
            .ok_or_else(|| self.truncated(off, usize::MAX))?;
        self.sub(off, total as usize, self.what)
    }

    /// Little-endian u8 at `off`.
    pub fn u8(&self, off: usize) -> Result<u8> {
        self.data.get(off).copied().ok_or_else(|| self.truncated(off, 1))
    }

    /// Little-endian u16 at `off`.
    pub fn u16(&self, off: usize) -> Result<u16> {
        self.data.pread_with(off, LE).map_err(|_| self.truncated(off, 2))
    }

    /// Little-endian u32 at `off`.
    pub fn u32(&self, off: usize) -> Result<u32> {
        self.data.pread_with(off, LE).map_err(|_| self.truncated(off, 4))
    }

    /// Little-endian u64 at `off`.
    pub fn u64(&self, off: usize) -> Result<u64> {
        self.data.pread_with(off, LE).map_err(|_| self.truncated(off, 8))
    }

    /// Little-endian i32 at `off`.
    pub fn i32(&self, off: usize) -> Result<i32> {
        self.data.pread_with(off, LE).map_err(|_| self.truncated(off, 4))
    }

    /// A pointer-sized little-endian value (4 or 8 bytes) at `off`.
    pub fn ptr(&self, off: usize, pointer_size: usize) -> Result<u64> {
        if pointer_size == 4 { self.u32(off).map(u64::from) } else { self.u64(off) }
    }

    /// A 16-byte GUID in its Windows byte order at `off`.
    pub fn guid(&self, off: usize) -> Result<[u8; 16]> {
        let s = self.slice(off, 16)?;
        let mut g = [0u8; 16];
        g.copy_from_slice(s);
        Ok(g)
    }

    /// A NUL-terminated byte string starting at `off` (lossy UTF-8), at most `max` bytes.
    pub fn cstr(&self, off: usize, max: usize) -> Result<String> {
        let s = self.data.get(off..).ok_or_else(|| self.truncated(off, 1))?;
        let s = &s[..s.len().min(max)];
        let end = s.iter().position(|&b| b == 0).unwrap_or(s.len());
        Ok(String::from_utf8_lossy(&s[..end]).into_owned())
    }
}

/// Decodes UTF-16LE bytes, replacing invalid sequences and stopping at a NUL.
pub fn utf16le(bytes: &[u8]) -> String {
    let units = bytes.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).take_while(|&u| u != 0);
    char::decode_utf16(units).map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER)).collect()
}
