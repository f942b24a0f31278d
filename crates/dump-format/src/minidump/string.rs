//! `MINIDUMP_STRING`: a u32 byte length followed by UTF-16LE text, found by RVA.

use crate::error::Result;
use crate::read::{Bytes, utf16le};

/// Longest string this reader accepts (bytes). Real names are at most a few
/// KiB; the cap keeps a corrupt length from copying a whole file into a name.
const MAX_STRING_BYTES: usize = 64 << 10;

/// Reads the `MINIDUMP_STRING` at file offset `rva`; `what` names it in errors.
///
/// ```
/// use dump_format::minidump::read_string;
/// let mut file = vec![0u8; 4];
/// file.extend_from_slice(&4u32.to_le_bytes());
/// file.extend_from_slice(&[b'o', 0, b'k', 0]);
/// assert_eq!(read_string(&file, 4, "name")?, "ok");
/// assert!(read_string(&file, 100, "name").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_string(data: &[u8], rva: u64, what: &'static str) -> Result<String> {
    let file = Bytes::new(data, 0, what);
    // An RVA beyond the address space is simply past the end of the file.
    let rva = usize::try_from(rva).unwrap_or(usize::MAX);
    let len = file.u32(rva)? as usize;
    // Take what the length says, bounded by the cap; an odd length drops its
    // final half code unit.
    let body = file.slice(rva.saturating_add(4), len.min(MAX_STRING_BYTES))?;
    Ok(utf16le(body))
}
