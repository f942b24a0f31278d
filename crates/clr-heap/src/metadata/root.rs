//! The metadata root (`BSJB`) and its stream headers, ECMA-335 §II.24.2.1–2.

use super::error::{MetadataError, Result};
use dump_format::read::Bytes;
use std::borrow::Cow;

/// The signature that starts every metadata root: "BSJB" read as a little-endian u32.
pub const METADATA_SIGNATURE: u32 = 0x424A_5342;

/// One stream: a heap or the tables.
#[derive(Clone, Copy, Debug)]
pub struct Stream<'a> {
    /// Name as written, e.g. `#~`, `#Strings`.
    pub name: &'a str,
    /// Offset of the stream from the metadata root.
    pub offset: u32,
    /// The stream's bytes.
    pub data: &'a [u8],
}

/// The parsed metadata root.
#[derive(Clone, Debug)]
pub struct Root<'a> {
    /// Major version of the root format (1).
    pub major_version: u16,
    /// Minor version of the root format (1).
    pub minor_version: u16,
    /// The runtime version the image was built for, e.g. `v4.0.30319`.
    pub version: Cow<'a, str>,
    /// Reserved flags word.
    pub flags: u16,
    /// The streams in header order.
    pub streams: Vec<Stream<'a>>,
}

/// The standard caps stream names at 32 characters; with the NUL and padding
/// a name field never exceeds this.
const MAX_NAME_FIELD: usize = 36;
/// The smallest stream header: offset, size and a 4-byte padded name.
const MIN_STREAM_HEADER: usize = 12;

impl<'a> Root<'a> {
    /// Parses the root at the start of `data`.
    ///
    /// ```
    /// use clr_heap::metadata::Root;
    /// let mut blob = b"BSJB\x01\x00\x01\x00\0\0\0\0\x04\0\0\0v4\0\0\0\0\x01\0".to_vec();
    /// blob.extend_from_slice(&[0x20, 0, 0, 0, 0, 0, 0, 0]); // offset 0x20, size 0
    /// blob.extend_from_slice(b"#US\0");
    /// let root = Root::parse(&blob)?;
    /// assert_eq!(root.version, "v4");
    /// assert_eq!(root.streams[0].name, "#US");
    /// assert!(Root::parse(&blob[..20]).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parse(data: &'a [u8]) -> Result<Root<'a>> {
        let b = Bytes::new(data, 0, "metadata root");
        let sig = b.u32(0)?;
        if sig != METADATA_SIGNATURE {
            return Err(MetadataError::corrupt(
                "metadata root",
                0,
                format!("signature is {sig:#010x}, not BSJB ({METADATA_SIGNATURE:#010x})"),
            ));
        }
        let major_version = b.u16(4)?;
        let minor_version = b.u16(6)?;
        let version_len = b.u32(12)? as usize;
        // The standard limits the padded version string to 256 bytes.
        if version_len > 256 {
            return Err(MetadataError::corrupt(
                "metadata root version length",
                12,
                format!("{version_len} bytes (at most 256 allowed)"),
            ));
        }
        let raw = b.slice(16, version_len)?;
        let end = raw.iter().position(|&c| c == 0).unwrap_or(raw.len());
        let version = String::from_utf8_lossy(&raw[..end]);
        let mut off = 16 + version_len;
        let flags = b.u16(off)?;
        let count = usize::from(b.u16(off + 2)?);
        off += 4;
        // Every header takes at least 12 bytes: refuse counts the blob cannot hold
        // before the vector grows.
        if count.saturating_mul(MIN_STREAM_HEADER) > data.len().saturating_sub(off) {
            return Err(MetadataError::corrupt(
                "metadata root stream count",
                off as u64 - 2,
                format!(
                    "{count} stream headers cannot fit in the {} bytes left",
                    data.len() - off.min(data.len())
                ),
            ));
        }
        let mut streams = Vec::with_capacity(count);
        for i in 0..count {
            let header = off;
            let offset = b.u32(off)?;
            let size = b.u32(off + 4)?;
            let name_field = b.slice(off + 8, MAX_NAME_FIELD.min(data.len().saturating_sub(off + 8)))?;
            let Some(nul) = name_field.iter().position(|&c| c == 0) else {
                return Err(MetadataError::corrupt(
                    "metadata stream header",
                    (off + 8) as u64,
                    format!("name of stream {i} is not NUL-terminated within 32 characters"),
                ));
            };
            let name = std::str::from_utf8(&name_field[..nul]).map_err(|_| {
                MetadataError::corrupt("metadata stream header", (off + 8) as u64, "stream name is not ASCII")
            })?;
            off += 8 + (nul + 1).next_multiple_of(4);
            let data = b.slice(offset as usize, size as usize).map_err(|_| {
                MetadataError::corrupt(
                    format!("stream {name}"),
                    header as u64,
                    format!(
                        "offset {offset:#x} + size {size:#x} lies beyond the {:#x}-byte metadata",
                        data.len()
                    ),
                )
            })?;
            streams.push(Stream { name, offset, data });
        }
        Ok(Root { major_version, minor_version, version, flags, streams })
    }

    /// The first stream called `name`.
    pub fn stream(&self, name: &str) -> Option<Stream<'a>> {
        self.streams.iter().find(|s| s.name == name).copied()
    }
}
