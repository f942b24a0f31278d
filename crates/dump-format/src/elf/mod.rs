//! Linux ELF core container (`ET_CORE`).
//!
//! A core is an ELF header, a program header table, `PT_NOTE` segments
//! holding notes (threads' registers, process info, mapped files, auxv,
//! signal info) and `PT_LOAD` segments holding process memory.
//!
//! Opening a core ([`load`]) reads the header, the program headers and the
//! location of every note into an [`Index`], and decodes the notes the
//! neutral records need. [`ElfCore`] gives typed, lazy access to everything
//! else: each accessor decodes its note when called and names the note and
//! file offset in its errors.
//!
//! One file per concept: [`header`], [`segments`], [`notes`], [`prstatus`],
//! [`prpsinfo`], [`file_note`], [`auxv`], [`siginfo`], [`modules`]; `load`
//! assembles the neutral records.

pub mod auxv;
pub mod file_note;
pub mod header;
mod load;
pub mod modules;
pub mod notes;
pub mod prpsinfo;
pub mod prstatus;
pub mod segments;
pub mod siginfo;

pub use auxv::AuxvEntry;
pub use file_note::{FileNote, MappedFile};
pub use header::{Class, FileHeader};
pub use notes::{Note, NoteEntry};
pub use prpsinfo::PrPsInfo;
pub use prstatus::PrStatus;
pub use segments::Segment;
pub use siginfo::SigInfo;

pub(crate) use load::load;

use crate::error::{Error, Result};
use crate::read::Bytes;

/// What opening an ELF core keeps: the header, every program header and
/// where each note is. Notes are decoded again on demand by [`ElfCore`].
#[derive(Debug, Default)]
pub struct Index {
    pub(crate) header: FileHeader,
    pub(crate) segments: Vec<Segment>,
    pub(crate) notes: Vec<NoteEntry>,
}

/// Typed, lazy access to an ELF core's segments and notes.
///
/// ```no_run
/// let dump = dump_format::Dump::open("core.1234")?;
/// if let Some(core) = dump.elf() {
///     for t in core.prstatus() {
///         let t = t?;
///         println!("thread {} cursig {}", t.pid, t.cursig);
///     }
///     for f in core.mapped_files()?.files {
///         println!("{:#x}-{:#x} {}", f.start, f.end, f.path);
///     }
/// }
/// # Ok::<(), dump_format::Error>(())
/// ```
#[derive(Clone, Copy)]
pub struct ElfCore<'a> {
    data: &'a [u8],
    index: &'a Index,
}

impl std::fmt::Debug for ElfCore<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ElfCore")
            .field("header", &self.index.header)
            .field("segments", &self.index.segments.len())
            .field("notes", &self.index.notes.len())
            .finish()
    }
}

impl<'a> ElfCore<'a> {
    pub(crate) fn new(data: &'a [u8], index: &'a Index) -> Self {
        ElfCore { data, index }
    }

    /// The ELF header's facts.
    pub fn header(&self) -> &'a FileHeader {
        &self.index.header
    }

    /// Every program header, in file order (`PT_LOAD`, `PT_NOTE`, …).
    pub fn segments(&self) -> &'a [Segment] {
        &self.index.segments
    }

    /// The `PT_LOAD` segments, in file order.
    pub fn load_segments(&self) -> impl Iterator<Item = &'a Segment> + 'a {
        self.index.segments.iter().filter(|s| s.p_type == segments::PT_LOAD)
    }

    /// Where every note is, in file order.
    pub fn note_entries(&self) -> &'a [NoteEntry] {
        &self.index.notes
    }

    /// Every note with its descriptor bytes, in file order.
    pub fn notes(&self) -> impl Iterator<Item = Note<'a>> + 'a {
        let data = self.data;
        self.index.notes.iter().filter_map(move |e| note_of(data, e))
    }

    /// The descriptors of the notes of type `kind` from the core's owners
    /// (`CORE`/`LINUX`), in file order.
    fn core_notes(&self, kind: u32) -> impl Iterator<Item = Bytes<'a>> + 'a {
        self.notes()
            .filter(move |n| n.kind == kind && (n.owner == b"CORE" || n.owner == b"LINUX"))
            .map(|n| n.desc)
    }

    /// Every `NT_PRSTATUS` (one per thread), decoded one by one so a bad one
    /// does not hide the others.
    pub fn prstatus(&self) -> impl Iterator<Item = Result<PrStatus>> + 'a {
        let h = self.index.header;
        self.core_notes(notes::NT_PRSTATUS).map(move |d| PrStatus::parse(d, h.class, h.machine))
    }

    /// The `NT_PRPSINFO` note.
    pub fn prpsinfo(&self) -> Result<PrPsInfo> {
        let d =
            self.core_notes(notes::NT_PRPSINFO).next().ok_or(Error::Missing { what: "NT_PRPSINFO note" })?;
        PrPsInfo::parse(d, self.index.header.class)
    }

    /// The `NT_FILE` note: the file-backed mappings.
    pub fn mapped_files(&self) -> Result<FileNote> {
        let d = self.core_notes(notes::NT_FILE).next().ok_or(Error::Missing { what: "NT_FILE note" })?;
        FileNote::parse(d, self.index.header.class)
    }

    /// The `NT_AUXV` note: the auxiliary vector.
    pub fn auxv(&self) -> Result<Vec<AuxvEntry>> {
        let d = self.core_notes(notes::NT_AUXV).next().ok_or(Error::Missing { what: "NT_AUXV note" })?;
        auxv::parse(d, self.index.header.class)
    }

    /// Every `NT_SIGINFO` note (the kernel writes one; `gcore` one per thread).
    pub fn siginfo(&self) -> impl Iterator<Item = Result<SigInfo>> + 'a {
        let class = self.index.header.class;
        self.core_notes(notes::NT_SIGINFO).map(move |d| SigInfo::parse(d, class))
    }
}

/// The descriptor bytes of an indexed note (`None` only if the index does not
/// match the data, which `load` rules out).
fn note_of<'a>(data: &'a [u8], e: &'a NoteEntry) -> Option<Note<'a>> {
    let off = usize::try_from(e.desc_offset).ok()?;
    let len = usize::try_from(e.desc_len).ok()?;
    let desc = Bytes::new(data, 0, "note descriptor").sub(off, len, "note descriptor").ok()?;
    Some(Note {
        owner: e.owner.as_bytes(),
        kind: e.kind,
        desc,
        header_offset: usize::try_from(e.offset).unwrap_or(usize::MAX),
    })
}
