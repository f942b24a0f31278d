//! The 32-byte `MINIDUMP_HEADER` at the start of every MINIDUMP.

use crate::error::{Error, Result};
use crate::read::Bytes;

/// `MDMP` read as a little-endian u32.
pub const SIGNATURE: u32 = 0x504d_444d;
/// The low 16 bits of `Version` in every MINIDUMP (`MINIDUMP_VERSION`).
pub const VERSION_MAGIC: u16 = 0xa793;
/// Size of `MINIDUMP_HEADER` in bytes.
pub const HEADER_SIZE: usize = 32;

/// The `MINIDUMP_HEADER`: where the directory is and when the dump was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Header {
    /// `Version`: low 16 bits are `0xa793`, high 16 bits are writer-specific.
    pub version: u32,
    /// `NumberOfStreams`: entries in the stream directory.
    pub stream_count: u32,
    /// `StreamDirectoryRva`: file offset of the directory.
    pub directory_rva: u32,
    /// `CheckSum` (almost always zero).
    pub checksum: u32,
    /// `TimeDateStamp`: when the dump was written, in Unix seconds.
    pub time_date_stamp: u32,
    /// `Flags`: the `MINIDUMP_TYPE` the writer was asked for.
    pub flags: u64,
}

/// Names of the `MINIDUMP_TYPE` bits, lowest first.
const FLAG_NAMES: [&str; 25] = [
    "WithDataSegs",
    "WithFullMemory",
    "WithHandleData",
    "FilterMemory",
    "ScanMemory",
    "WithUnloadedModules",
    "WithIndirectlyReferencedMemory",
    "FilterModulePaths",
    "WithProcessThreadData",
    "WithPrivateReadWriteMemory",
    "WithoutOptionalData",
    "WithFullMemoryInfo",
    "WithThreadInfo",
    "WithCodeSegs",
    "WithoutAuxiliaryState",
    "WithFullAuxiliaryState",
    "WithPrivateWriteCopyMemory",
    "IgnoreInaccessibleMemory",
    "WithTokenInformation",
    "WithModuleHeaders",
    "FilterTriage",
    "WithAvxXStateContext",
    "WithIptTrace",
    "ScanInaccessiblePartialPages",
    "FilterWriteCombinedMemory",
];

impl Header {
    /// Parses the header. A wrong signature or version is fatal: without it
    /// nothing else in the file can be trusted to be a MINIDUMP.
    ///
    /// ```
    /// use dump_format::minidump::Header;
    /// let mut h = [0u8; 32];
    /// h[..4].copy_from_slice(b"MDMP");
    /// h[4..8].copy_from_slice(&0xa793u32.to_le_bytes());
    /// assert_eq!(Header::parse(&h)?.stream_count, 0);
    /// assert!(Header::parse(&h[..16]).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parse(data: &[u8]) -> Result<Header> {
        let b = Bytes::new(data, 0, "MINIDUMP header");
        b.slice(0, HEADER_SIZE)?;
        let signature = b.u32(0)?;
        if signature != SIGNATURE {
            return Err(Error::corrupt(
                "MINIDUMP header",
                0,
                format!("signature {signature:#010x} is not 'MDMP'"),
            ));
        }
        let version = b.u32(4)?;
        if version as u16 != VERSION_MAGIC {
            return Err(Error::corrupt(
                "MINIDUMP header",
                4,
                format!("version {version:#010x} does not end in 0xa793"),
            ));
        }
        Ok(Header {
            version,
            stream_count: b.u32(8)?,
            directory_rva: b.u32(12)?,
            checksum: b.u32(16)?,
            time_date_stamp: b.u32(20)?,
            flags: b.u64(24)?,
        })
    }

    /// The names of the set `MINIDUMP_TYPE` flags (`WithFullMemory`, …);
    /// unknown bits as `0x…`.
    pub fn flag_names(&self) -> Vec<String> {
        (0..64)
            .filter(|bit| self.flags & (1u64 << bit) != 0)
            .map(|bit| match FLAG_NAMES.get(bit) {
                Some(n) => (*n).to_string(),
                None => format!("{:#x}", 1u64 << bit),
            })
            .collect()
    }
}
