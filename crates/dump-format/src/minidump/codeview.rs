//! CodeView records: how a module names its debug information (RSDS → PDB
//! 7.0, NB10 → PDB 2.0, Breakpad's `BpEL` → ELF build id).

use crate::error::{Error, Result};
use crate::model::DebugId;
use crate::read::Bytes;

/// `RSDS` as a little-endian u32.
const RSDS: u32 = 0x5344_5352;
/// `NB10`.
const NB10: u32 = 0x3031_424e;
/// Breakpad's ELF build-id record: bytes `LEpB` (`MD_CVINFOELF_SIGNATURE`).
const BPEL: u32 = 0x4270_454c;
/// The same four bytes in the other order, written by some tools.
const BPEL_SWAPPED: u32 = 0x4c45_7042;

/// Longest PDB name read from a record.
const MAX_PDB_NAME: usize = 4096;

/// Decodes a CodeView record. `Ok(None)` for a record of a kind this reader
/// does not know (e.g. an old `NB09`), an error for a known kind too short
/// to hold its fields.
///
/// ```
/// use dump_format::{minidump::parse_codeview, model::DebugId, read::Bytes};
/// let mut rec = b"LEpB".to_vec();
/// rec.extend_from_slice(&[0xde, 0xad]);
/// let id = parse_codeview(Bytes::new(&rec, 0, "cv"))?;
/// assert_eq!(id, Some(DebugId::BuildId(vec![0xde, 0xad])));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn parse_codeview(b: Bytes<'_>) -> Result<Option<DebugId>> {
    let sig = b.u32(0)?;
    Ok(Some(match sig {
        RSDS => DebugId::Pdb70 { guid: b.guid(4)?, age: b.u32(20)?, pdb_name: b.cstr(24, MAX_PDB_NAME)? },
        NB10 => DebugId::Pdb20 { signature: b.u32(8)?, age: b.u32(12)?, pdb_name: b.cstr(16, MAX_PDB_NAME)? },
        BPEL | BPEL_SWAPPED => {
            let id = b.rest(4)?.data();
            if id.is_empty() {
                return Err(Error::corrupt(
                    "CodeView ELF build-id record",
                    b.file_offset(0),
                    "the build id is empty",
                ));
            }
            DebugId::BuildId(id.to_vec())
        }
        _ => return Ok(None),
    }))
}
