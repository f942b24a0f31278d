//! What a module needs from a symbol store, and where a store keeps it.
//!
//! A store file lives at `name/INDEX/name` (SymStore's two-tier layout, which
//! WinDbg's caches share), or under a first tier of the name's first two
//! characters when the store root has `index2.txt`. The index is:
//! PDB 7.0 `GUIDAGE` (GUID uppercase without dashes, age in hex), PDB 2.0
//! `SIGNATUREAGE`, PE image `TIMESTAMPSizeOfImage` (8 uppercase digits, then
//! the size in lowercase hex) and, per the SSQP key conventions, ELF
//! `elf-buildid-<hex>` for the image and `elf-buildid-sym-<hex>` under the
//! name `_.debug` for its stripped-off symbols.

use crate::error::Result;
use crate::names::{file_name_of, safe_component};
use dump_format::ModuleRecord;
use dump_format::model::{DebugId, guid_text};

/// The identity of one file in a symbol store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    /// A PDB 7.0 file (CodeView RSDS).
    Pdb {
        /// The PDB's file name (directories dropped).
        name: String,
        /// The GUID in file order (as `DebugId::Pdb70` holds it).
        guid: [u8; 16],
        /// The age the image records.
        age: u32,
    },
    /// A PDB 2.0 file (CodeView NB10).
    Pdb20 {
        /// The PDB's file name.
        name: String,
        /// Its timestamp signature.
        signature: u32,
        /// Its age.
        age: u32,
    },
    /// A PE image (`.dll`, `.exe`) by link timestamp and `SizeOfImage`.
    Pe {
        /// The image's file name.
        name: String,
        /// `TimeDateStamp` of the COFF header.
        timestamp: u32,
        /// `SizeOfImage` of the optional header.
        size_of_image: u32,
    },
    /// An ELF image by GNU build id.
    Elf {
        /// The image's file name.
        name: String,
        /// The build id bytes.
        build_id: Vec<u8>,
    },
    /// The ELF debug file (`.debug`, `.dbg`) stripped off an image.
    ElfDebug {
        /// The image's build id.
        build_id: Vec<u8>,
    },
}

impl Key {
    /// A PDB 7.0 key; `pdb_name` may be the full path the linker wrote.
    ///
    /// ```
    /// use symbols::Key;
    /// let k = Key::pdb(r"C:\out\Foo.pdb", [0x11; 16], 2)?;
    /// assert_eq!(k.store_path(), "Foo.pdb/11111111111111111111111111111111" .to_string() + "2/Foo.pdb");
    /// # Ok::<(), symbols::Error>(())
    /// ```
    pub fn pdb(pdb_name: &str, guid: [u8; 16], age: u32) -> Result<Key> {
        Ok(Key::Pdb { name: file_name_of(pdb_name)?.to_string(), guid, age })
    }

    /// An ELF image key; `path` may be the module's full path.
    ///
    /// ```
    /// use symbols::Key;
    /// let k = Key::elf("/usr/lib/libfoo.so", vec![0xab, 0xcd])?;
    /// assert_eq!(k.index(), format!("elf-buildid-abcd{}", "0".repeat(36)));
    /// # Ok::<(), symbols::Error>(())
    /// ```
    pub fn elf(path: &str, build_id: Vec<u8>) -> Result<Key> {
        Ok(Key::Elf { name: file_name_of(path)?.to_string(), build_id })
    }

    /// The keys a dumped module can be looked up by, best first: its PDB
    /// (or ELF debug file) for symbols, then the image itself. Empty when
    /// the dump recorded no identity; an error when the recorded name is not
    /// a usable file name (e.g. `..`).
    pub fn for_module(m: &ModuleRecord) -> Result<Vec<Key>> {
        let mut keys = Vec::new();
        match &m.debug_id {
            Some(DebugId::Pdb70 { pdb_name, guid, age }) => keys.push(Key::pdb(pdb_name, *guid, *age)?),
            Some(DebugId::Pdb20 { pdb_name, signature, age }) => keys.push(Key::Pdb20 {
                name: file_name_of(pdb_name)?.to_string(),
                signature: *signature,
                age: *age,
            }),
            Some(DebugId::BuildId(id)) => {
                // The image first: unstripped (libcoreclr.so ships its
                // .symtab) it is all that is needed, and it is on disk more often.
                keys.push(Key::elf(&m.path, id.clone())?);
                keys.push(Key::ElfDebug { build_id: id.clone() });
            }
            None => {}
        }
        if let (Some(ts), true) = (m.timestamp, m.size <= u64::from(u32::MAX)) {
            keys.push(Key::Pe {
                name: file_name_of(&m.path)?.to_string(),
                timestamp: ts,
                size_of_image: m.size as u32,
            });
        }
        Ok(keys)
    }

    /// The file name in the store (`_.debug` for ELF debug files).
    pub fn file_name(&self) -> &str {
        match self {
            Key::Pdb { name, .. }
            | Key::Pdb20 { name, .. }
            | Key::Pe { name, .. }
            | Key::Elf { name, .. } => name,
            Key::ElfDebug { .. } => "_.debug",
        }
    }

    /// The index directory between the two names.
    pub fn index(&self) -> String {
        match self {
            Key::Pdb { guid, age, .. } => format!("{}{age:X}", guid_text(guid, false)),
            Key::Pdb20 { signature, age, .. } => format!("{signature:08X}{age:X}"),
            Key::Pe { timestamp, size_of_image, .. } => format!("{timestamp:08X}{size_of_image:x}"),
            Key::Elf { build_id, .. } => format!("elf-buildid-{}", ssqp_hex(build_id)),
            Key::ElfDebug { build_id } => format!("elf-buildid-sym-{}", ssqp_hex(build_id)),
        }
    }

    /// `name/INDEX/name`, the path under a two-tier store or cache.
    pub fn store_path(&self) -> String {
        format!("{0}/{1}/{0}", self.file_name(), self.index())
    }

    /// The path components under a store root: `[name, INDEX, name]`, with
    /// the first tier (`na`, the name's first two characters) when the store
    /// has `index2.txt`. The name is checked again, so a hand-built key with
    /// a hostile name fails here rather than on the file system.
    pub fn components(&self, three_tier: bool) -> Result<Vec<String>> {
        let name = safe_component(self.file_name())?.to_string();
        let mut v = Vec::with_capacity(4);
        if three_tier {
            // Windows drops a trailing dot: `t.pdb`'s tier `t.` is the directory `t`.
            let tier: String = name.chars().take(2).collect();
            v.push(tier.trim_end_matches(['.', ' ']).to_string());
        }
        v.extend([name.clone(), self.index(), name]);
        Ok(v)
    }

    /// The name of the compressed variant (`foo.pd_`, `foo.dl_`): the last
    /// character replaced by `_`. ELF entries are never stored compressed.
    pub fn compressed_name(&self) -> Option<String> {
        match self {
            Key::Elf { .. } | Key::ElfDebug { .. } => None,
            _ => {
                let n = self.file_name();
                let mut cut = n.char_indices().last()?.0;
                if cut == 0 {
                    cut = n.len();
                }
                Some(format!("{}_", &n[..cut]))
            }
        }
    }

    /// What this key describes, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Key::Pdb { .. } | Key::Pdb20 { .. } => "pdb",
            Key::Pe { .. } => "image",
            Key::Elf { .. } => "elf image",
            Key::ElfDebug { .. } => "elf debug",
        }
    }
}

/// Build ids in SSQP keys are lowercase hex, zero-padded to 20 bytes.
fn ssqp_hex(id: &[u8]) -> String {
    let mut s: String = id.iter().map(|b| format!("{b:02x}")).collect();
    while s.len() < 40 {
        s.push('0');
    }
    s
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.store_path())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_conventions() {
        // SSQP key-convention examples.
        let guid =
            [0xF6, 0x72, 0x7B, 0x49, 0x0A, 0x39, 0xFC, 0x44, 0x87, 0x8E, 0x5A, 0x2D, 0x63, 0xB6, 0xCC, 0x4B];
        let k = Key::pdb("Foo.pdb", guid, 1).unwrap(); // ok: unit test on literal input
        assert_eq!(k.store_path(), "Foo.pdb/497B72F6390A44FC878E5A2D63B6CC4B1/Foo.pdb");
        assert_eq!(k.compressed_name().as_deref(), Some("Foo.pd_"));
        let pe = Key::Pe { name: "Foo.exe".into(), timestamp: 0x542d574e, size_of_image: 0xc2000 };
        assert_eq!(pe.index(), "542D574Ec2000");
        let id: Vec<u8> = vec![
            0x18, 0x0a, 0x37, 0x3d, 0x6a, 0xfb, 0xab, 0xf0, 0xeb, 0x1f, 0x09, 0xbe, 0x1b, 0xc4, 0x5b, 0xd7,
        ];
        assert_eq!(
            Key::ElfDebug { build_id: id }.store_path(),
            "_.debug/elf-buildid-sym-180a373d6afbabf0eb1f09be1bc45bd700000000/_.debug"
        );
        assert_eq!(k.components(true).unwrap()[0], "Fo"); // ok: unit test on literal input
    }

    #[test]
    fn hostile_recorded_names() {
        // Directories of a recorded path are dropped, as debuggers do; what is
        // left must still be a plain name.
        assert_eq!(Key::pdb(r"..\..\x.pdb", [0; 16], 1).unwrap().file_name(), "x.pdb"); // ok: unit test on literal input
        assert!(Key::pdb(r"x\..", [0; 16], 1).is_err());
        assert!(Key::pdb("", [0; 16], 1).is_err());
        let hand = Key::Pe { name: "../../evil".into(), timestamp: 1, size_of_image: 2 };
        assert!(hand.components(false).is_err());
    }
}
