//! ELF notes (`Elf_Nhdr` + owner name + descriptor): the walk over a
//! `PT_NOTE` segment and the names of the note types a core carries.

use super::segments::{PT_NOTE, Segment};
use crate::error::Error;
use crate::model::Warning;
use crate::read::Bytes;

/// `NT_PRSTATUS`: one thread's status and general registers.
pub const NT_PRSTATUS: u32 = 1;
/// `NT_PRFPREG` (also called `NT_FPREGSET`): floating-point registers.
pub const NT_PRFPREG: u32 = 2;
/// `NT_PRPSINFO`: process name, arguments, ids.
pub const NT_PRPSINFO: u32 = 3;
/// `NT_TASKSTRUCT`.
pub const NT_TASKSTRUCT: u32 = 4;
/// `NT_AUXV`: the auxiliary vector.
pub const NT_AUXV: u32 = 6;
/// `NT_SIGINFO`: the `siginfo_t` of the signal that caused the dump.
pub const NT_SIGINFO: u32 = 0x5349_4749;
/// `NT_FILE`: the file-backed mappings.
pub const NT_FILE: u32 = 0x4649_4c45;
/// `NT_PRXFPREG`: i386 extended FP registers (`user_fxsr_struct`).
pub const NT_PRXFPREG: u32 = 0x46e6_2b7f;
/// `NT_386_TLS`: i386 TLS descriptors.
pub const NT_386_TLS: u32 = 0x200;
/// `NT_386_IOPERM`: i386 I/O permission bitmap.
pub const NT_386_IOPERM: u32 = 0x201;
/// `NT_X86_XSTATE`: x86 XSAVE extended state.
pub const NT_X86_XSTATE: u32 = 0x202;
/// `NT_X86_SHSTK`: x86 shadow stack state.
pub const NT_X86_SHSTK: u32 = 0x204;
/// `NT_GNU_BUILD_ID` (owner `GNU`): the build id of an image.
pub const NT_GNU_BUILD_ID: u32 = 3;

/// Where one note lies in the file. The index keeps these so typed access
/// decodes a note only when asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteEntry {
    /// Owner name (`CORE`, `LINUX`, `GNU`, …), without the NUL.
    pub owner: String,
    /// `n_type`.
    pub kind: u32,
    /// File offset of the note header.
    pub offset: u64,
    /// File offset of the descriptor.
    pub desc_offset: u64,
    /// Size of the descriptor.
    pub desc_len: u64,
}

impl NoteEntry {
    /// The note type's name: `NT_PRSTATUS`, `NT_GNU_BUILD_ID`, … or
    /// `Unknown(0x…)` followed by the owner.
    pub fn name(&self) -> String {
        note_name(&self.owner, self.kind)
    }
}

/// One note read from a window: owner, type and descriptor bytes.
#[derive(Clone, Copy)]
pub struct Note<'a> {
    /// Owner name, without the NUL.
    pub owner: &'a [u8],
    /// `n_type`.
    pub kind: u32,
    /// The descriptor, keeping its absolute file offset for errors.
    pub desc: Bytes<'a>,
    /// Window offset of the note header.
    pub header_offset: usize,
}

impl std::fmt::Debug for Note<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Note")
            .field("owner", &String::from_utf8_lossy(self.owner))
            .field("kind", &self.kind)
            .field("desc_offset", &self.desc.file_offset(0))
            .field("desc_len", &self.desc.len())
            .finish()
    }
}

/// The name of note type `kind` from `owner`. The same number means
/// different things for different owners (`GNU` 3 is a build id, `CORE` 3 is
/// `NT_PRPSINFO`), so the owner decides the table.
///
/// ```
/// use dump_format::elf::notes::note_name;
/// assert_eq!(note_name("CORE", 1), "NT_PRSTATUS");
/// assert_eq!(note_name("GNU", 3), "NT_GNU_BUILD_ID");
/// assert_eq!(note_name("XYZ", 7), "Unknown(0x7) owner XYZ");
/// ```
pub fn note_name(owner: &str, kind: u32) -> String {
    let known = match owner {
        "CORE" | "LINUX" => match kind {
            NT_PRSTATUS => Some("NT_PRSTATUS"),
            NT_PRFPREG => Some("NT_PRFPREG"),
            NT_PRPSINFO => Some("NT_PRPSINFO"),
            NT_TASKSTRUCT => Some("NT_TASKSTRUCT"),
            NT_AUXV => Some("NT_AUXV"),
            NT_SIGINFO => Some("NT_SIGINFO"),
            NT_FILE => Some("NT_FILE"),
            NT_PRXFPREG => Some("NT_PRXFPREG"),
            NT_386_TLS => Some("NT_386_TLS"),
            NT_386_IOPERM => Some("NT_386_IOPERM"),
            NT_X86_XSTATE => Some("NT_X86_XSTATE"),
            NT_X86_SHSTK => Some("NT_X86_SHSTK"),
            0x400 => Some("NT_ARM_VFP"),
            0x401 => Some("NT_ARM_TLS"),
            0x402 => Some("NT_ARM_HW_BREAK"),
            0x403 => Some("NT_ARM_HW_WATCH"),
            0x404 => Some("NT_ARM_SYSTEM_CALL"),
            0x405 => Some("NT_ARM_SVE"),
            0x406 => Some("NT_ARM_PAC_MASK"),
            0x409 => Some("NT_ARM_TAGGED_ADDR_CTRL"),
            0x40a => Some("NT_ARM_PAC_ENABLED_KEYS"),
            _ => None,
        },
        "GNU" => match kind {
            1 => Some("NT_GNU_ABI_TAG"),
            2 => Some("NT_GNU_HWCAP"),
            NT_GNU_BUILD_ID => Some("NT_GNU_BUILD_ID"),
            4 => Some("NT_GNU_GOLD_VERSION"),
            5 => Some("NT_GNU_PROPERTY_TYPE_0"),
            _ => None,
        },
        _ => None,
    };
    match known {
        Some(n) => n.to_string(),
        None => format!("Unknown({kind:#x}) owner {owner}"),
    }
}

/// Rounds `n` up to `align` (a power of two), or `None` on overflow.
fn align_up(n: usize, align: usize) -> Option<usize> {
    n.checked_add(align - 1).map(|v| v & !(align - 1))
}

/// Walks the notes of one window (a `PT_NOTE` segment in the file, or a note
/// segment read from process memory). Padding is 4 bytes, or 8 when the
/// segment says `p_align` 8 (the newer GNU property notes).
///
/// A note whose sizes run past the window ends the walk: the notes before it
/// are returned with the error, never bytes of the wrong note.
pub fn walk(window: Bytes<'_>, align: u64) -> (Vec<Note<'_>>, Option<Error>) {
    let align = if align == 8 { 8 } else { 4 };
    let mut out = Vec::new();
    let mut off = 0usize;
    // Each step moves at least 12 bytes forward, so the loop ends.
    while off < window.len() {
        // Zero padding after the last note is not a note.
        if window.len() - off < 12 && window.data()[off..].iter().all(|&b| b == 0) {
            break;
        }
        match one(window, off, align) {
            Ok((note, next)) => {
                out.push(note);
                off = next;
            }
            Err(e) => return (out, Some(e)),
        }
    }
    (out, None)
}

/// Reads the note at `off`; returns it and the offset of the next one.
fn one(window: Bytes<'_>, off: usize, align: usize) -> Result<(Note<'_>, usize), Error> {
    let namesz = window.u32(off)? as usize;
    let descsz = window.u32(off + 4)? as usize;
    let kind = window.u32(off + 8)?;
    let bad = |why: &str| {
        Error::corrupt(
            "note header",
            window.file_offset(off),
            format!("{why} (namesz {namesz}, descsz {descsz}, type {kind:#x})"),
        )
    };
    let name_off = off + 12;
    let name = window
        .slice(name_off, namesz)
        .map_err(|_| bad("the owner name runs past the end of the note segment"))?;
    let desc_off = align_up(name_off + namesz, align).ok_or_else(|| bad("size overflow"))?;
    let desc = window
        .sub(desc_off, descsz, "note descriptor")
        .map_err(|_| bad("the descriptor runs past the end of the note segment"))?;
    let next = align_up(desc_off + descsz, align).ok_or_else(|| bad("size overflow"))?;
    let owner = match name.iter().position(|&b| b == 0) {
        Some(n) => &name[..n],
        None => name,
    };
    let note = Note { owner, kind, desc, header_offset: off };
    Ok((note, next.max(off + 12)))
}

/// Walks every `PT_NOTE` segment of the file and records where each note is.
/// Problems (a segment past the end of the file, a broken note) become
/// warnings; the notes read before them are kept.
pub fn index(data: &[u8], segments: &[Segment], warnings: &mut Vec<Warning>) -> Vec<NoteEntry> {
    let mut out = Vec::new();
    let file = Bytes::new(data, 0, "PT_NOTE segment");
    // Damaged program headers can point many PT_NOTE entries at the same
    // large range; walking at most the file's size in total keeps the work
    // and the index linear in the file.
    let mut budget = data.len() as u64;
    for seg in segments.iter().filter(|s| s.p_type == PT_NOTE) {
        let start = usize::try_from(seg.offset).unwrap_or(usize::MAX);
        let avail = data.len().saturating_sub(start) as u64;
        let len = seg.filesz.min(avail);
        if len > budget {
            warnings.push(Warning::new(format!(
                "PT_NOTE segment {} and later ones not read: the note segments add up to more than the file",
                seg.index
            )));
            break;
        }
        budget -= len;
        if len < seg.filesz {
            warnings.push(Warning::new(format!(
                "PT_NOTE segment {} at file offset {:#x} is {:#x} bytes but the file holds {len:#x} of them (truncated dump)",
                seg.index, seg.offset, seg.filesz
            )));
        }
        let Ok(window) = file.sub(start.min(data.len()), len as usize, "PT_NOTE segment") else {
            continue;
        };
        let (notes, err) = walk(window, seg.align);
        for n in notes {
            out.push(NoteEntry {
                owner: String::from_utf8_lossy(n.owner).into_owned(),
                kind: n.kind,
                offset: window.file_offset(n.header_offset),
                desc_offset: n.desc.file_offset(0),
                desc_len: n.desc.len() as u64,
            });
        }
        if let Some(e) = err {
            warnings.push(Warning::new(format!("note walk of PT_NOTE segment {} stopped: {e}", seg.index)));
        }
    }
    out
}
