//! Just enough PE to find a resource: headers, section table, and a
//! three-level resource-directory walk (type → name → language), over the
//! image as mapped in dump memory or as a file on disk.
//!
//! The walk follows exactly three fixed levels and never revisits a
//! directory, so a directory that points back at itself cannot loop; every
//! offset is checked against the resource directory's size and every count
//! against the bytes that hold it before anything is allocated.

use super::error::{DacTableError, malformed};
use dump_format::Memory;
use std::borrow::Cow;

/// `RT_RCDATA`.
pub const RT_RCDATA: u32 = 10;
/// `RT_VERSION`.
pub const RT_VERSION: u32 = 16;
/// The DAC table's resource name (CoreCLR `src/inc/daccess.h`).
pub const DAC_RESOURCE_NAME: &str = "COREXTERNALDATAACCESSRESOURCE";

/// `IMAGE_FILE_MACHINE_I386`.
pub const MACHINE_I386: u16 = 0x14c;
/// `IMAGE_FILE_MACHINE_AMD64`.
pub const MACHINE_AMD64: u16 = 0x8664;

const MAX_HEADER_OFFSET: u32 = 1 << 20;
const MAX_SECTIONS: u16 = 96;
const MAX_DIR_ENTRIES: u32 = 4096;
const MAX_RESOURCE_DIR: u32 = 64 << 20;
const SCN_CNT_CODE: u32 = 0x20;
const SCN_MEM_EXECUTE: u32 = 0x2000_0000;

/// Bytes of an image addressed by RVA.
pub(super) trait ImageBytes {
    /// `len` bytes at `rva`; `what` names them in errors.
    fn read_rva(&self, rva: u64, len: usize, what: &'static str) -> Result<Cow<'_, [u8]>, DacTableError>;
    /// The module or file name, for errors.
    fn module(&self) -> &str;
}

/// The image as the process mapped it, read from dump memory.
pub(super) struct MemoryImage<'a> {
    pub mem: Memory<'a>,
    pub base: u64,
    pub module: &'a str,
}

impl ImageBytes for MemoryImage<'_> {
    fn read_rva(&self, rva: u64, len: usize, what: &'static str) -> Result<Cow<'_, [u8]>, DacTableError> {
        let address = self
            .base
            .checked_add(rva)
            .ok_or_else(|| malformed(self.module, what, format!("RVA {rva:#x}"), "address overflows"))?;
        self.mem.read(address, len as u64).map_err(|source| DacTableError::Memory {
            module: self.module.to_string(),
            what,
            address,
            source,
        })
    }
    fn module(&self) -> &str {
        self.module
    }
}

/// The image as a file on disk: RVAs go through the section table.
pub(super) struct FileImage<'a> {
    pub data: &'a [u8],
    pub headers: Option<PeHeaders>,
    pub module: &'a str,
}

impl FileImage<'_> {
    fn offset_of(&self, rva: u64, len: usize, what: &'static str) -> Result<usize, DacTableError> {
        let bad = |reason: &str| malformed(self.module, what, format!("RVA {rva:#x}"), reason.to_string());
        let Some(h) = &self.headers else {
            // Before the section table is known only the headers are read,
            // and they sit at the same offsets in the file.
            return usize::try_from(rva).map_err(|_| bad("RVA too large"));
        };
        if rva < u64::from(h.size_of_headers) {
            return usize::try_from(rva).map_err(|_| bad("RVA too large"));
        }
        let s = h.section_of(rva).ok_or_else(|| bad("RVA is in no section"))?;
        let within = rva - u64::from(s.virtual_address);
        if within + len as u64 > u64::from(s.raw_size) {
            return Err(bad("range extends past the section's data in the file"));
        }
        usize::try_from(u64::from(s.raw_offset) + within).map_err(|_| bad("offset too large"))
    }
}

impl ImageBytes for FileImage<'_> {
    fn read_rva(&self, rva: u64, len: usize, what: &'static str) -> Result<Cow<'_, [u8]>, DacTableError> {
        let off = self.offset_of(rva, len, what)?;
        off.checked_add(len).and_then(|end| self.data.get(off..end)).map(Cow::Borrowed).ok_or_else(|| {
            malformed(
                self.module,
                what,
                format!("file offset {off:#x}"),
                format!("needs {len} bytes, file has {}", self.data.len()),
            )
        })
    }
    fn module(&self) -> &str {
        self.module
    }
}

/// One section header.
#[derive(Debug, Clone)]
pub struct Section {
    /// Name, NUL-padded.
    pub name: [u8; 8],
    /// RVA.
    pub virtual_address: u32,
    /// Size in memory.
    pub virtual_size: u32,
    /// File offset of its data.
    pub raw_offset: u32,
    /// Size of its data in the file.
    pub raw_size: u32,
    /// `IMAGE_SCN_*` flags.
    pub characteristics: u32,
}

impl Section {
    /// True for code (`CNT_CODE` or `MEM_EXECUTE`).
    pub fn is_code(&self) -> bool {
        self.characteristics & (SCN_CNT_CODE | SCN_MEM_EXECUTE) != 0
    }

    /// The name as text.
    pub fn name(&self) -> String {
        let end = self.name.iter().position(|&b| b == 0).unwrap_or(8);
        String::from_utf8_lossy(&self.name[..end]).into_owned()
    }
}

/// The PE header fields this route uses.
#[derive(Debug, Clone)]
pub struct PeHeaders {
    /// `IMAGE_FILE_HEADER.Machine`.
    pub machine: u16,
    /// `IMAGE_FILE_HEADER.TimeDateStamp`.
    pub timestamp: u32,
    /// `SizeOfImage`.
    pub size_of_image: u32,
    /// `SizeOfHeaders`.
    pub size_of_headers: u32,
    /// Resource data directory (RVA, size).
    pub resources: (u32, u32),
    /// The section table.
    pub sections: Vec<Section>,
}

fn u16_at(b: &[u8], off: usize) -> u16 {
    b.get(off..off + 2).map_or(0, |s| u16::from_le_bytes([s[0], s[1]]))
}

fn u32_at(b: &[u8], off: usize) -> u32 {
    b.get(off..off + 4).map_or(0, |s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

impl PeHeaders {
    /// Reads the DOS, NT and optional headers and the section table.
    pub(super) fn parse(img: &dyn ImageBytes) -> Result<PeHeaders, DacTableError> {
        let module = img.module().to_string();
        let bad = |what: &'static str, at: u64, reason: &str| {
            malformed(&module, what, format!("RVA {at:#x}"), reason)
        };
        let dos = img.read_rva(0, 64, "DOS header")?;
        if dos.get(0..2) != Some(b"MZ") {
            return Err(bad("DOS header", 0, "no MZ signature"));
        }
        let nt = u32_at(&dos, 0x3c);
        if nt > MAX_HEADER_OFFSET {
            return Err(bad("DOS header", 0x3c, &format!("e_lfanew {nt:#x} is implausible")));
        }
        let nt = u64::from(nt);
        let fh = img.read_rva(nt, 24, "NT headers")?;
        if fh.get(0..4) != Some(b"PE\0\0") {
            return Err(bad("NT headers", nt, "no PE signature"));
        }
        let machine = u16_at(&fh, 4);
        let nsections = u16_at(&fh, 6);
        let timestamp = u32_at(&fh, 8);
        let opt_size = u16_at(&fh, 20);
        if nsections > MAX_SECTIONS {
            return Err(bad(
                "file header",
                nt + 4,
                &format!("{nsections} sections (at most {MAX_SECTIONS})"),
            ));
        }
        let opt_at = nt + 24;
        let opt = img.read_rva(opt_at, usize::from(opt_size), "optional header")?;
        let (dirs_at, count_at) = match u16_at(&opt, 0) {
            0x10b => (96usize, 92usize),
            0x20b => (112, 108),
            m => return Err(bad("optional header", opt_at, &format!("unknown magic {m:#x}"))),
        };
        if opt.len() < dirs_at {
            return Err(bad("optional header", opt_at, "too short for its magic"));
        }
        let size_of_image = u32_at(&opt, 56);
        let size_of_headers = u32_at(&opt, 60);
        let ndirs = u32_at(&opt, count_at) as usize;
        let resources = if ndirs > 2 && opt.len() >= dirs_at + 24 {
            (u32_at(&opt, dirs_at + 16), u32_at(&opt, dirs_at + 20))
        } else {
            (0, 0)
        };
        let sec_at = opt_at + u64::from(opt_size);
        let table = img.read_rva(sec_at, usize::from(nsections) * 40, "section table")?;
        let sections = table
            .chunks_exact(40)
            .map(|s| {
                let mut name = [0u8; 8];
                name.copy_from_slice(&s[..8]);
                Section {
                    name,
                    virtual_size: u32_at(s, 8),
                    virtual_address: u32_at(s, 12),
                    raw_size: u32_at(s, 16),
                    raw_offset: u32_at(s, 20),
                    characteristics: u32_at(s, 36),
                }
            })
            .collect();
        Ok(PeHeaders { machine, timestamp, size_of_image, size_of_headers, resources, sections })
    }

    /// The section holding `rva`.
    pub fn section_of(&self, rva: u64) -> Option<&Section> {
        self.sections.iter().find(|s| {
            let start = u64::from(s.virtual_address);
            let len = u64::from(s.virtual_size.max(s.raw_size));
            rva >= start && rva < start + len
        })
    }
}

/// A resource's data: RVA and size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceData {
    /// RVA of the bytes.
    pub rva: u32,
    /// Their size.
    pub size: u32,
}

/// How a level of the walk picks its entry.
enum Pick<'n> {
    Id(u32),
    Name(&'n str),
    First,
}

/// Finds the resource of `type_id` named `name` (any name when `None`),
/// first language.
pub(super) fn find_resource(
    img: &dyn ImageBytes,
    h: &PeHeaders,
    type_id: u32,
    name: Option<&str>,
) -> Result<ResourceData, DacTableError> {
    let module = img.module().to_string();
    let (root, size) = h.resources;
    if root == 0 || size == 0 {
        return Err(DacTableError::ResourceNotFound {
            module,
            detail: "the image has no resource directory".into(),
        });
    }
    if size > MAX_RESOURCE_DIR {
        return Err(malformed(
            &module,
            "resource directory",
            format!("RVA {root:#x}"),
            format!("size {size:#x}"),
        ));
    }
    let walk = Walk { img, root: u64::from(root), size: u64::from(size), module: &module };
    let (is_dir, types) = walk.pick(0, Pick::Id(type_id), "type")?;
    if !is_dir {
        return Err(walk.bad(0, "type entry is not a directory"));
    }
    let second = match name {
        Some(n) => Pick::Name(n),
        None => Pick::First,
    };
    let (is_dir, names) = walk.pick(types, second, "name")?;
    if !is_dir {
        return Err(walk.bad(types, "name entry is not a directory"));
    }
    let (is_dir, data) = walk.pick(names, Pick::First, "language")?;
    if is_dir {
        return Err(walk.bad(names, "language entry is a directory, not data"));
    }
    let entry = walk.read(data, 16, "resource data entry")?;
    Ok(ResourceData { rva: u32_at(&entry, 0), size: u32_at(&entry, 4) })
}

struct Walk<'a> {
    img: &'a dyn ImageBytes,
    root: u64,
    size: u64,
    module: &'a str,
}

impl Walk<'_> {
    fn bad(&self, off: u64, reason: &str) -> DacTableError {
        malformed(self.module, "resource directory", format!("RVA {:#x}", self.root + off), reason)
    }

    fn read(&self, off: u64, len: usize, what: &'static str) -> Result<Cow<'_, [u8]>, DacTableError> {
        if off + len as u64 > self.size {
            return Err(self.bad(off, &format!("{what} lies past the directory's {:#x} bytes", self.size)));
        }
        self.img.read_rva(self.root + off, len, what)
    }

    /// The entry of the directory at `off` chosen by `pick`: (is a
    /// subdirectory, offset of the subdirectory or data entry).
    fn pick(&self, off: u64, pick: Pick<'_>, level: &str) -> Result<(bool, u64), DacTableError> {
        let head = self.read(off, 16, "resource directory")?;
        let count = u32::from(u16_at(&head, 12)) + u32::from(u16_at(&head, 14));
        if count > MAX_DIR_ENTRIES {
            return Err(self.bad(off, &format!("{count} entries")));
        }
        let entries = self.read(off + 16, count as usize * 8, "resource directory entries")?;
        for e in entries.chunks_exact(8) {
            let (name, target) = (u32_at(e, 0), u32_at(e, 4));
            let hit = match pick {
                Pick::First => true,
                Pick::Id(id) => name & 0x8000_0000 == 0 && name == id,
                Pick::Name(want) => {
                    name & 0x8000_0000 != 0 && self.name_is(u64::from(name & 0x7fff_ffff), want)?
                }
            };
            if hit {
                let to = u64::from(target & 0x7fff_ffff);
                if to >= self.size {
                    return Err(
                        self.bad(off, &format!("{level} entry points to {to:#x}, outside the directory"))
                    );
                }
                return Ok((target & 0x8000_0000 != 0, to));
            }
        }
        let want = match pick {
            Pick::Id(id) => format!("type {id}"),
            Pick::Name(n) => format!("name {n}"),
            Pick::First => "any entry".into(),
        };
        Err(DacTableError::ResourceNotFound {
            module: self.module.to_string(),
            detail: format!("{level} level has no {want}"),
        })
    }

    /// Compares the counted UTF-16 string at `off` with `want` (ASCII,
    /// case-insensitive, as the loader does).
    fn name_is(&self, off: u64, want: &str) -> Result<bool, DacTableError> {
        let len = u16_at(&self.read(off, 2, "resource name")?, 0) as usize;
        if len != want.len() {
            return Ok(false);
        }
        let units = self.read(off + 2, len * 2, "resource name")?;
        Ok(units.chunks_exact(2).zip(want.bytes()).all(|(u, c)| {
            u16::from_le_bytes([u[0], u[1]]) == u16::from(c.to_ascii_uppercase())
                || u16::from_le_bytes([u[0], u[1]]) == u16::from(c.to_ascii_lowercase())
        }))
    }
}

/// The file version in the image's `VS_VERSIONINFO` (`VS_FIXEDFILEINFO`).
pub(super) fn file_version(img: &dyn ImageBytes, h: &PeHeaders) -> Result<[u16; 4], DacTableError> {
    let r = find_resource(img, h, RT_VERSION, None)?;
    let len = (r.size as usize).min(1024);
    let bytes = img.read_rva(u64::from(r.rva), len, "version resource")?;
    let at = (0..bytes.len().saturating_sub(16))
        .step_by(4)
        .find(|&i| u32_at(&bytes, i) == 0xFEEF_04BD)
        .ok_or_else(|| {
            malformed(
                img.module(),
                "version resource",
                format!("RVA {:#x}", r.rva),
                "no VS_FIXEDFILEINFO signature",
            )
        })?;
    let (ms, ls) = (u32_at(&bytes, at + 8), u32_at(&bytes, at + 12));
    Ok([(ms >> 16) as u16, ms as u16, (ls >> 16) as u16, ls as u16])
}
