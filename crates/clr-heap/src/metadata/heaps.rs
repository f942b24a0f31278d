//! The four heaps (ECMA-335 §II.24.2.3–5) and compressed integers (§II.23.2).
//!
//! Heaps are windows on the blob; nothing is copied unless a string is not
//! valid UTF-8 (then it is decoded lossily, so a damaged name still prints).

use super::error::{MetadataError, Result};
use std::borrow::Cow;

/// Decodes an unsigned compressed integer at the start of `data`: returns the
/// value and the number of bytes it took (1, 2 or 4), or `None` when the
/// bytes run out or the first byte is not a valid lead byte.
///
/// ```
/// use clr_heap::metadata::decompress_u32;
/// assert_eq!(decompress_u32(&[0x03]), Some((3, 1)));
/// assert_eq!(decompress_u32(&[0x80, 0x80]), Some((0x80, 2)));
/// assert_eq!(decompress_u32(&[0xC0, 0x00, 0x40, 0x00]), Some((0x4000, 4)));
/// assert_eq!(decompress_u32(&[0xC0, 0x00]), None);
/// assert_eq!(decompress_u32(&[0xFF]), None);
/// ```
pub fn decompress_u32(data: &[u8]) -> Option<(u32, usize)> {
    let b0 = *data.first()?;
    if b0 & 0x80 == 0 {
        Some((u32::from(b0), 1))
    } else if b0 & 0xC0 == 0x80 {
        let b1 = *data.get(1)?;
        Some(((u32::from(b0 & 0x3F) << 8) | u32::from(b1), 2))
    } else if b0 & 0xE0 == 0xC0 {
        let b = data.get(1..4)?;
        let v =
            (u32::from(b0 & 0x1F) << 24) | (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        Some((v, 4))
    } else {
        None
    }
}

/// Decodes a signed compressed integer (§II.23.2: the sign bit is rotated
/// into bit 0 of the unsigned encoding).
///
/// ```
/// use clr_heap::metadata::decompress_i32;
/// assert_eq!(decompress_i32(&[0x06]), Some((3, 1)));
/// assert_eq!(decompress_i32(&[0x7B]), Some((-3, 1)));
/// assert_eq!(decompress_i32(&[0x80, 0x01]), Some((-8192, 2)));
/// ```
pub fn decompress_i32(data: &[u8]) -> Option<(i32, usize)> {
    let (raw, len) = decompress_u32(data)?;
    let magnitude = (raw >> 1) as i32;
    let value = if raw & 1 == 0 {
        magnitude
    } else {
        // A negative value: the encoding kept 6, 13 or 28 bits of two's complement.
        let sign_extension: u32 = match len {
            1 => 0xFFFF_FFC0,
            2 => 0xFFFF_E000,
            _ => 0xF000_0000,
        };
        (magnitude as u32 | sign_extension) as i32
    };
    Some((value, len))
}

/// The `#Strings` heap: NUL-terminated UTF-8 identifiers.
#[derive(Clone, Copy, Debug, Default)]
pub struct StringsHeap<'a> {
    data: &'a [u8],
}

impl<'a> StringsHeap<'a> {
    /// Wraps the heap's bytes.
    pub fn new(data: &'a [u8]) -> Self {
        StringsHeap { data }
    }

    /// The string at `index` (0 is the empty string).
    ///
    /// ```
    /// use clr_heap::metadata::StringsHeap;
    /// let heap = StringsHeap::new(b"\0Object\0System\0");
    /// assert_eq!(heap.get(1)?, "Object");
    /// assert_eq!(heap.get(0)?, "");
    /// assert!(heap.get(99).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get(&self, index: u32) -> Result<Cow<'a, str>> {
        let bad = || MetadataError::BadHeapIndex { heap: "#Strings", index, size: self.data.len() as u32 };
        if index == 0 && self.data.is_empty() {
            return Ok(Cow::Borrowed(""));
        }
        let rest = self.data.get(index as usize..).filter(|r| !r.is_empty()).ok_or_else(bad)?;
        // A string not terminated before the heap ends is corrupt, not "the rest of the heap".
        let end = rest.iter().position(|&c| c == 0).ok_or_else(bad)?;
        Ok(String::from_utf8_lossy(&rest[..end]))
    }

    /// Size of the heap in bytes.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// True for an empty (or absent) heap.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

/// The `#Blob` heap: byte strings, each preceded by its compressed length.
#[derive(Clone, Copy, Debug, Default)]
pub struct BlobHeap<'a> {
    data: &'a [u8],
    name: &'static str,
}

impl<'a> BlobHeap<'a> {
    /// Wraps the bytes of a blob-like heap (`#Blob` or `#US`), `name` names it in errors.
    pub fn new(data: &'a [u8], name: &'static str) -> Self {
        BlobHeap { data, name }
    }

    /// The blob at `index` (index 0 is the empty blob).
    ///
    /// ```
    /// use clr_heap::metadata::BlobHeap;
    /// let heap = BlobHeap::new(&[0, 2, 0x06, 0x08, 5], "#Blob");
    /// assert_eq!(heap.get(1)?, &[0x06, 0x08]);
    /// assert!(heap.get(4).is_err()); // claims 5 bytes, 0 remain
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get(&self, index: u32) -> Result<&'a [u8]> {
        let bad = || MetadataError::BadHeapIndex { heap: self.name, index, size: self.data.len() as u32 };
        if index == 0 && self.data.is_empty() {
            return Ok(&[]);
        }
        let rest = self.data.get(index as usize..).ok_or_else(bad)?;
        let (len, used) = decompress_u32(rest).ok_or_else(bad)?;
        rest.get(used..used.saturating_add(len as usize)).ok_or_else(bad)
    }

    /// Size of the heap in bytes.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// True for an empty (or absent) heap.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

/// The `#US` heap: string literals of `ldstr`, as UTF-16LE blobs.
#[derive(Clone, Copy, Debug, Default)]
pub struct UserStringsHeap<'a> {
    blobs: BlobHeap<'a>,
}

impl<'a> UserStringsHeap<'a> {
    /// Wraps the heap's bytes.
    pub fn new(data: &'a [u8]) -> Self {
        UserStringsHeap { blobs: BlobHeap::new(data, "#US") }
    }

    /// The string at heap offset `index`, decoded from UTF-16 (unpaired
    /// surrogates become U+FFFD). The final byte of each entry is a flag,
    /// not text, and is ignored.
    ///
    /// ```
    /// use clr_heap::metadata::UserStringsHeap;
    /// let heap = UserStringsHeap::new(&[0, 5, b'h', 0, b'i', 0, 0]);
    /// assert_eq!(heap.get(1)?, "hi");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get(&self, index: u32) -> Result<String> {
        let blob = self.blobs.get(index)?;
        let text = &blob[..blob.len() & !1];
        let units = text.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]]));
        Ok(char::decode_utf16(units).map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER)).collect())
    }
}

/// The `#GUID` heap: 16-byte GUIDs addressed by 1-based index.
#[derive(Clone, Copy, Debug, Default)]
pub struct GuidHeap<'a> {
    data: &'a [u8],
}

impl<'a> GuidHeap<'a> {
    /// Wraps the heap's bytes.
    pub fn new(data: &'a [u8]) -> Self {
        GuidHeap { data }
    }

    /// The GUID numbered `index` in its on-disk byte order; `None` for index 0 (no GUID).
    pub fn get(&self, index: u32) -> Result<Option<[u8; 16]>> {
        if index == 0 {
            return Ok(None);
        }
        let start = (index as usize - 1).saturating_mul(16);
        let bytes = self.data.get(start..start.saturating_add(16)).ok_or(MetadataError::BadHeapIndex {
            heap: "#GUID",
            index,
            size: (self.data.len() / 16) as u32,
        })?;
        let mut g = [0u8; 16];
        g.copy_from_slice(bytes);
        Ok(Some(g))
    }
}

/// Formats a GUID stored in its Windows byte order (three little-endian
/// groups, then eight bytes) the way .NET prints it.
///
/// ```
/// use clr_heap::metadata::format_guid;
/// let g = [0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff];
/// assert_eq!(format_guid(&g), "00112233-4455-6677-8899-aabbccddeeff");
/// ```
pub fn format_guid(g: &[u8; 16]) -> String {
    let d1 = u32::from_le_bytes([g[0], g[1], g[2], g[3]]);
    let d2 = u16::from_le_bytes([g[4], g[5]]);
    let d3 = u16::from_le_bytes([g[6], g[7]]);
    format!(
        "{d1:08x}-{d2:04x}-{d3:04x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
        g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]
    )
}
