//! PE images: headers, sections, data directories, and what lies behind
//! them — the CLI header and the metadata ([`CliHeader`], `pe/cli.rs`) and
//! resources by type and name ([`PeImage::find_resource`], `pe/resources.rs`).
//!
//! An image is read either in its **mapped** layout, as the loader put it
//! in memory (offset from the image base == RVA), or in its **file** layout
//! (RVAs translated through the section table). Bytes come through
//! [`ImageSource`], so they can come from a file on disk, from a slice, or
//! from dump memory that may be only partly captured: a range the source
//! cannot supply becomes [`PeError::Unavailable`] naming the RVA.
//!
//! Every count and size read from the image is checked against the PE
//! limits and against `SizeOfImage` before anything is allocated from it.

mod cli;
mod resources;

pub use cli::{CliHeader, DebugEntry};
use dump_format::read::Bytes;
pub use resources::{RT_RCDATA, RT_VERSION, ResourceData, ResourceKey};

/// How the image's bytes are laid out in the source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// As loaded in memory: the source's offset 0 is the image base and RVA == offset.
    Mapped,
    /// As stored on disk: RVAs are translated through the section table.
    File,
}

/// Where the bytes of an image come from.
pub trait ImageSource {
    /// Fills `buf` with the bytes at `offset` (from the image base in the
    /// mapped layout, from the file start in the file layout), or says why
    /// it cannot (e.g. "not captured in the dump").
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), String>;
}

impl ImageSource for [u8] {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), String> {
        let src = usize::try_from(offset)
            .ok()
            .and_then(|o| self.get(o..o.checked_add(buf.len())?))
            .ok_or_else(|| format!("only {:#x} bytes are available", self.len()))?;
        buf.copy_from_slice(src);
        Ok(())
    }
}

/// An [`ImageSource`] from a closure, e.g. over dump memory:
///
/// ```no_run
/// use clr_heap::pe::{FnSource, Layout, PeImage};
/// # fn read_memory(_a: u64, _b: &mut [u8]) -> Result<(), String> { Ok(()) }
/// let base = 0x7ff8_1234_0000u64;
/// let source = FnSource(|offset: u64, buf: &mut [u8]| read_memory(base + offset, buf));
/// let image = PeImage::parse(&source, Layout::Mapped)?;
/// # Ok::<(), clr_heap::pe::PeError>(())
/// ```
pub struct FnSource<F>(pub F);

impl<F: Fn(u64, &mut [u8]) -> Result<(), String>> ImageSource for FnSource<F> {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), String> {
        (self.0)(offset, buf)
    }
}

/// What can go wrong while reading an image.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PeError {
    /// The source could not supply a range (e.g. a page missing from the dump).
    #[error("{what} at RVA {rva:#x} (+{len:#x}) is not available: {reason}")]
    Unavailable {
        /// What was being read.
        what: &'static str,
        /// Its RVA.
        rva: u32,
        /// Bytes requested.
        len: u32,
        /// The source's explanation.
        reason: String,
    },
    /// A header field is impossible.
    #[error("{what} at RVA {rva:#x} is corrupt: {reason}")]
    Corrupt {
        /// What was being read.
        what: &'static str,
        /// Its RVA.
        rva: u32,
        /// Why it cannot be right.
        reason: String,
    },
    /// In the file layout, an RVA that no section stores on disk.
    #[error("{what} at RVA {rva:#x} (+{len:#x}) is not stored in any section of the file")]
    NotInFile {
        /// What was being read.
        what: &'static str,
        /// Its RVA.
        rva: u32,
        /// Bytes requested.
        len: u32,
    },
    /// Data directory 14 is empty: a native image, not a .NET assembly.
    #[error("the image has no CLI header (data directory 14 is empty): not a .NET assembly")]
    NotManaged,
    /// The resource directory has no entry for the resource asked for.
    #[error("no such resource: {detail}")]
    NoResource {
        /// Which level of the resource tree lacked the entry, or that there is no tree.
        detail: String,
    },
}

/// An RVA and a size.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DataDirectory {
    /// Relative virtual address.
    pub rva: u32,
    /// Size in bytes.
    pub size: u32,
}

impl DataDirectory {
    /// True when the directory is absent.
    pub fn is_empty(&self) -> bool {
        self.rva == 0 || self.size == 0
    }
}

/// A section header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    /// Name, e.g. `.text`.
    pub name: String,
    /// Size in memory.
    pub virtual_size: u32,
    /// RVA of the section.
    pub virtual_address: u32,
    /// Bytes stored in the file.
    pub raw_size: u32,
    /// File offset of those bytes.
    pub raw_pointer: u32,
    /// `IMAGE_SCN_*` flags.
    pub characteristics: u32,
}

impl Section {
    /// True for code: `IMAGE_SCN_CNT_CODE` or `IMAGE_SCN_MEM_EXECUTE`.
    pub fn is_code(&self) -> bool {
        self.characteristics & (SCN_CNT_CODE | SCN_MEM_EXECUTE) != 0
    }
}

/// `IMAGE_FILE_MACHINE_I386`.
pub const MACHINE_I386: u16 = 0x14c;
/// `IMAGE_FILE_MACHINE_AMD64`.
pub const MACHINE_AMD64: u16 = 0x8664;

/// The headers of a PE image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeImage {
    /// The layout the source was read in.
    pub layout: Layout,
    /// `IMAGE_FILE_MACHINE_*` (0x14c x86, 0x8664 x64, 0xaa64 arm64; ReadyToRun
    /// images xor it with an OS-specific value).
    pub machine: u16,
    /// COFF time stamp (with `SizeOfImage`, the symbol-server key of the image).
    pub timestamp: u32,
    /// COFF characteristics.
    pub characteristics: u16,
    /// PE32+ (64-bit optional header).
    pub is_pe32_plus: bool,
    /// Preferred image base.
    pub image_base: u64,
    /// Size of the mapped image.
    pub size_of_image: u32,
    /// Size of the headers (mapped and on disk alike).
    pub size_of_headers: u32,
    /// The data directories (at most 16).
    pub data_directories: Vec<DataDirectory>,
    /// The section table.
    pub sections: Vec<Section>,
    /// The CLI header, when directory 14 is present.
    pub cli: Option<CliHeader>,
}

/// The PE format's own limit on sections.
const MAX_SECTIONS: u16 = 96;
/// The number of data directories the PE format defines.
const MAX_DIRECTORIES: u32 = 16;
const SCN_CNT_CODE: u32 = 0x20;
const SCN_MEM_EXECUTE: u32 = 0x2000_0000;
// Data directory numbers.
const DIR_EXCEPTION: usize = 3;
const DIR_DEBUG: usize = 6;
const DIR_CLI: usize = 14;

fn read_vec(
    src: &(impl ImageSource + ?Sized),
    offset: u64,
    len: u32,
    what: &'static str,
    rva: u32,
) -> Result<Vec<u8>, PeError> {
    let mut buf = vec![0u8; len as usize];
    src.read_at(offset, &mut buf).map_err(|reason| PeError::Unavailable { what, rva, len, reason })?;
    Ok(buf)
}

pub(crate) fn corrupt(what: &'static str, rva: u32, reason: impl Into<String>) -> PeError {
    PeError::Corrupt { what, rva, reason: reason.into() }
}

/// Reads a field of a header buffer; the buffers are read at their full
/// size first, so a failure here means the header is shorter than its kind.
pub(crate) fn field<T>(r: dump_format::Result<T>, what: &'static str, rva: u32) -> Result<T, PeError> {
    r.map_err(|e| corrupt(what, rva, e.to_string()))
}

pub(crate) fn dir(b: &Bytes<'_>, off: usize, what: &'static str, rva: u32) -> Result<DataDirectory, PeError> {
    Ok(DataDirectory { rva: field(b.u32(off), what, rva)?, size: field(b.u32(off + 4), what, rva)? })
}

impl PeImage {
    /// Reads and validates the headers, the section table and the CLI header.
    pub fn parse(src: &(impl ImageSource + ?Sized), layout: Layout) -> Result<PeImage, PeError> {
        let dos = read_vec(src, 0, 64, "DOS header", 0)?;
        if &dos[..2] != b"MZ" {
            return Err(corrupt("DOS header", 0, "no MZ signature"));
        }
        let nt = u32::from_le_bytes([dos[60], dos[61], dos[62], dos[63]]);
        if !(64..0x1000_0000).contains(&nt) {
            return Err(corrupt("DOS header", 60, format!("e_lfanew {nt:#x} is implausible")));
        }
        let coff = read_vec(src, u64::from(nt), 24, "PE signature and COFF header", nt)?;
        if &coff[..4] != b"PE\0\0" {
            return Err(corrupt("PE signature", nt, "not PE\\0\\0"));
        }
        let c = Bytes::new(&coff, u64::from(nt), "COFF header");
        let machine = field(c.u16(4), "COFF header", nt)?;
        let section_count = field(c.u16(6), "COFF header", nt)?;
        let timestamp = field(c.u32(8), "COFF header", nt)?;
        let opt_size = field(c.u16(20), "COFF header", nt)?;
        let characteristics = field(c.u16(22), "COFF header", nt)?;
        if section_count > MAX_SECTIONS {
            return Err(corrupt(
                "COFF header",
                nt,
                format!("{section_count} sections (at most {MAX_SECTIONS})"),
            ));
        }
        let opt_rva = nt + 24;
        let opt = read_vec(src, u64::from(opt_rva), u32::from(opt_size), "optional header", opt_rva)?;
        let o = Bytes::new(&opt, u64::from(opt_rva), "optional header");
        let magic = field(o.u16(0), "optional header", opt_rva)?;
        let (is_pe32_plus, image_base, count_off) = match magic {
            0x10b => (false, u64::from(field(o.u32(28), "optional header", opt_rva)?), 92),
            0x20b => (true, field(o.u64(24), "optional header", opt_rva)?, 108),
            m => {
                return Err(corrupt(
                    "optional header",
                    opt_rva,
                    format!("magic {m:#x} is neither PE32 nor PE32+"),
                ));
            }
        };
        let size_of_image = field(o.u32(56), "optional header", opt_rva)?;
        let size_of_headers = field(o.u32(60), "optional header", opt_rva)?;
        // The loader honours at most 16 directories, whatever the count says.
        let dir_count = field(o.u32(count_off), "optional header", opt_rva)?.min(MAX_DIRECTORIES);
        let data_directories = (0..dir_count as usize)
            .map(|i| dir(&o, count_off + 4 + i * 8, "data directory", opt_rva))
            .collect::<Result<Vec<_>, _>>()?;
        let sec_rva = opt_rva + u32::from(opt_size);
        let table =
            read_vec(src, u64::from(sec_rva), u32::from(section_count) * 40, "section table", sec_rva)?;
        let sections = table
            .chunks_exact(40)
            .map(|s| {
                let u = |o: usize| u32::from_le_bytes([s[o], s[o + 1], s[o + 2], s[o + 3]]);
                let end = s[..8].iter().position(|&b| b == 0).unwrap_or(8);
                Section {
                    name: String::from_utf8_lossy(&s[..end]).into_owned(),
                    virtual_size: u(8),
                    virtual_address: u(12),
                    raw_size: u(16),
                    raw_pointer: u(20),
                    characteristics: u(36),
                }
            })
            .collect();
        let mut image = PeImage {
            layout,
            machine,
            timestamp,
            characteristics,
            is_pe32_plus,
            image_base,
            size_of_image,
            size_of_headers,
            data_directories,
            sections,
            cli: None,
        };
        let cli_dir = image.directory(DIR_CLI);
        if !cli_dir.is_empty() {
            image.cli = Some(image.read_cli_header(src, cli_dir)?);
        }
        Ok(image)
    }

    /// Data directory `index` (empty when the image has fewer).
    pub fn directory(&self, index: usize) -> DataDirectory {
        self.data_directories.get(index).copied().unwrap_or_default()
    }

    /// Directory 3: the exception directory (`.pdata` unwind entries on x64/arm64).
    pub fn exception_directory(&self) -> DataDirectory {
        self.directory(DIR_EXCEPTION)
    }

    /// Directory 6: the debug directory (CodeView PDB ids, embedded PDBs).
    pub fn debug_directory(&self) -> DataDirectory {
        self.directory(DIR_DEBUG)
    }

    /// Directory 14: the CLI header.
    pub fn cli_directory(&self) -> DataDirectory {
        self.directory(DIR_CLI)
    }

    /// The section whose memory holds `rva` (its extent in memory is the
    /// larger of its virtual and stored sizes).
    pub fn section_at(&self, rva: u32) -> Option<&Section> {
        self.sections.iter().find(|s| {
            let start = u64::from(s.virtual_address);
            let len = u64::from(s.virtual_size.max(s.raw_size));
            (start..start + len).contains(&u64::from(rva))
        })
    }

    /// The source offset of `len` bytes at `rva`, checked to lie inside the
    /// image (mapped) or inside one section's stored bytes or the headers (file).
    pub fn rva_to_offset(&self, rva: u32, len: u32, what: &'static str) -> Result<u64, PeError> {
        let end = u64::from(rva) + u64::from(len);
        match self.layout {
            Layout::Mapped if end <= u64::from(self.size_of_image) => Ok(u64::from(rva)),
            Layout::Mapped => {
                Err(corrupt(what, rva, format!("+{len:#x} ends past SizeOfImage {:#x}", self.size_of_image)))
            }
            Layout::File => {
                if end <= u64::from(self.size_of_headers) {
                    return Ok(u64::from(rva));
                }
                self.sections
                    .iter()
                    .find(|s| {
                        // Bytes past VirtualSize are file padding; a VirtualSize
                        // of 0 (old linkers) means "the raw size".
                        let stored =
                            if s.virtual_size == 0 { s.raw_size } else { s.raw_size.min(s.virtual_size) };
                        let start = u64::from(s.virtual_address);
                        u64::from(rva) >= start && end <= start + u64::from(stored)
                    })
                    .map(|s| u64::from(s.raw_pointer) + u64::from(rva - s.virtual_address))
                    .ok_or(PeError::NotInFile { what, rva, len })
            }
        }
    }

    /// Copies `len` bytes at `rva` out of the source (`len` ≤ `SizeOfImage`).
    pub fn read(
        &self,
        src: &(impl ImageSource + ?Sized),
        rva: u32,
        len: u32,
        what: &'static str,
    ) -> Result<Vec<u8>, PeError> {
        if len > self.size_of_image {
            return Err(corrupt(
                what,
                rva,
                format!("{len:#x} bytes exceed SizeOfImage {:#x}", self.size_of_image),
            ));
        }
        let offset = self.rva_to_offset(rva, len, what)?;
        read_vec(src, offset, len, what, rva)
    }

    /// A copy of the metadata blob (starting at `BSJB`), ready for
    /// [`Metadata::parse`](crate::metadata::Metadata::parse).
    pub fn read_metadata(&self, src: &(impl ImageSource + ?Sized)) -> Result<Vec<u8>, PeError> {
        let md = self.cli.ok_or(PeError::NotManaged)?.metadata;
        self.read(src, md.rva, md.size, "metadata")
    }

    /// The metadata blob borrowed from a whole image held in memory, without copying.
    pub fn metadata_slice<'s>(&self, image: &'s [u8]) -> Result<&'s [u8], PeError> {
        let md = self.cli.ok_or(PeError::NotManaged)?.metadata;
        let offset = self.rva_to_offset(md.rva, md.size, "metadata")?;
        usize::try_from(offset).ok().and_then(|o| image.get(o..o.checked_add(md.size as usize)?)).ok_or_else(
            || PeError::Unavailable {
                what: "metadata",
                rva: md.rva,
                len: md.size,
                reason: format!("the image holds only {:#x} bytes", image.len()),
            },
        )
    }
}
