//! Is this file the one the key asks for? A store or a directory can hold
//! another build under the same name, and a wrong build gives wrong names
//! silently; every file found is checked before it is used or cached.

use crate::error::{Error, Result};
use crate::key::Key;
use dump_format::model::guid_text;
use std::io::Read;
use std::path::Path;

/// Checks the identity of the file at `path` against `key`.
pub fn verify(key: &Key, path: &Path) -> Result<()> {
    let mismatch = |what, found: String, expected: String| Error::Mismatch {
        path: path.to_path_buf(),
        what,
        found,
        expected,
    };
    match key {
        Key::Pdb { guid, age, .. } => {
            let id = crate::pdb::identity(path)?;
            if id.matches(guid, *age) {
                return Ok(());
            }
            let age_text = |a: Option<u32>| a.map_or("-".into(), |a| a.to_string());
            Err(mismatch(
                "GUID/age",
                format!("{} {}", guid_text(&id.guid, true), age_text(id.dbi_age.or(Some(id.info_age)))),
                format!("{} {age}", guid_text(guid, true)),
            ))
        }
        // PDB 2.0 (JG) files predate MSF 7.0; pdb2 cannot open them, so the
        // name and the store's index are all there is to go by.
        Key::Pdb20 { .. } => Ok(()),
        Key::Pe { timestamp, size_of_image, .. } => {
            let (ts, size) = pe_identity(path)?;
            if (ts, size) == (*timestamp, *size_of_image) {
                Ok(())
            } else {
                Err(mismatch(
                    "timestamp/size",
                    format!("{ts:08X}/{size:#x}"),
                    format!("{timestamp:08X}/{size_of_image:#x}"),
                ))
            }
        }
        Key::Elf { build_id, .. } | Key::ElfDebug { build_id } => {
            let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
            match crate::elf::build_id(path)? {
                Some(found) if found == *build_id => Ok(()),
                found => {
                    Err(mismatch("build id", found.as_deref().map_or("none".into(), hex), hex(build_id)))
                }
            }
        }
    }
}

/// `TimeDateStamp` and `SizeOfImage` of a PE image, read from its first 4 KiB.
///
/// ```no_run
/// let (ts, size) = symbols::verify::pe_identity("app.exe".as_ref())?;
/// # Ok::<(), symbols::Error>(())
/// ```
pub fn pe_identity(path: &Path) -> Result<(u32, u32)> {
    let mut head = Vec::with_capacity(4096);
    let f = std::fs::File::open(path).map_err(Error::io(path))?;
    f.take(4096).read_to_end(&mut head).map_err(Error::io(path))?;
    let bad =
        |reason: &str| Error::Parse { path: path.to_path_buf(), reason: format!("PE header: {reason}") };
    let u32_at = |o: usize| head.get(o..o + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    if head.get(..2) != Some(b"MZ") {
        return Err(bad("no MZ signature"));
    }
    let pe = u32_at(0x3c).ok_or_else(|| bad("truncated DOS header"))? as usize;
    if pe > 4096 - 0x60 || head.get(pe..pe + 4) != Some(b"PE\0\0") {
        return Err(bad("no PE signature in the first 4 KiB"));
    }
    let ts = u32_at(pe + 8).ok_or_else(|| bad("truncated COFF header"))?;
    // SizeOfImage sits at the same offset in PE32 and PE32+ optional headers.
    let size = u32_at(pe + 24 + 56).ok_or_else(|| bad("truncated optional header"))?;
    Ok((ts, size))
}
