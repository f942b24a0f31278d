//! Opening an ELF core: the index, then the neutral records (system,
//! process, threads, modules, exception, memory map, streams) built from it.
//!
//! Only the header and the program header table can make opening fail; a
//! damaged note becomes a [`Warning`] and the records it would have filled
//! stay empty.

use super::file_note::MappedFile;
use super::header::{EM_386, EM_X86_64, FileHeader};
use super::modules::{self, Module};
use super::notes::{self, NT_PRSTATUS, NT_SIGINFO};
use super::segments::{self, PT_LOAD, Segment};
use super::siginfo::SIGSTOP;
use super::{ElfCore, Index, PrStatus, SigInfo, auxv};
use crate::dump::Loaded;
use crate::error::{Error, Result};
use crate::memory::{AddressSpace, Memory, Region};
use crate::model::*;
use std::collections::HashMap;

/// Windows `MEM_COMMIT`: every `PT_LOAD` was mapped in the process.
const MEM_COMMIT: u32 = 0x1000;
/// Windows `MEM_PRIVATE`: anonymous memory.
const MEM_PRIVATE: u32 = 0x2_0000;
/// Windows `MEM_MAPPED`: a mapped data file.
const MEM_MAPPED: u32 = 0x4_0000;
/// Windows `MEM_IMAGE`: a mapped executable image.
const MEM_IMAGE: u32 = 0x100_0000;

/// Parses the core in `data` into the records [`crate::Dump`] serves.
pub(crate) fn load(data: &[u8]) -> Result<Loaded> {
    let header = FileHeader::parse(data)?;
    let mut warnings = Vec::new();
    let segments = segments::parse(data, &header, &mut warnings)?;
    let notes = notes::index(data, &segments, &mut warnings);
    let index = Index { header, segments, notes };
    let core = ElfCore::new(data, &index);

    let memory = memory_regions(data.len() as u64, core.segments(), &mut warnings);
    let mut loaded = Loaded {
        system: Some(SystemSummary {
            arch: header.arch(),
            wow64: false,
            os: OsFamily::Linux,
            // Nothing in a core says the kernel version; unknown, not invented.
            os_version: None,
            os_detail: None,
            cpu_count: None,
        }),
        process: process_info(&core, &mut warnings),
        streams: streams(&core),
        ..Loaded::default()
    };

    let (statuses, siginfos) = thread_notes(&core, &mut warnings);
    let mut loads: Vec<&Segment> = core.load_segments().collect();
    loads.sort_by_key(|s| s.vaddr);
    loaded.threads = statuses.iter().map(|s| thread_record(s, &header, &loads)).collect();
    loaded.exception = exception(&statuses, &siginfos, &loaded.threads);

    let files = match core.mapped_files() {
        Ok(f) => f.files,
        Err(Error::Missing { .. }) => Vec::new(),
        Err(e) => {
            warnings.push(Warning::new(format!("modules unknown: {e}")));
            Vec::new()
        }
    };
    let entry = core.auxv().ok().and_then(|a| a.iter().find(|e| e.key == auxv::AT_ENTRY).map(|e| e.value));
    let space = AddressSpace::new(memory.clone());
    let mem = Memory::new(data, &space, header.arch().pointer_size());
    let mods = modules::build(&files, &mem, entry);
    loaded.regions = regions(core.load_segments(), &files, &mods);
    loaded.modules = mods.into_iter().map(|m| m.record).collect();
    loaded.memory = memory;
    loaded.warnings = warnings;
    loaded.elf = Some(index);
    Ok(loaded)
}

/// One memory region per `PT_LOAD`. Bytes past `p_filesz` are left out of
/// the region's file part, so the reader reports them as not written rather
/// than zeros; a segment running past the end of the file is kept (the
/// reader reports the missing part as corrupt) and the truncation is warned.
fn memory_regions(file_size: u64, segs: &[Segment], warnings: &mut Vec<Warning>) -> Vec<Region> {
    let mut out = Vec::new();
    let mut data_end = 0u64;
    let mut oversized = 0usize;
    for s in segs.iter().filter(|s| s.p_type == PT_LOAD) {
        if s.filesz > s.memsz {
            oversized += 1;
        }
        let file_len = s.filesz.min(s.memsz);
        if file_len > 0 {
            data_end = data_end.max(s.offset.saturating_add(file_len));
        }
        out.push(Region { start: s.vaddr, mem_len: s.memsz, file_offset: s.offset, file_len });
    }
    if data_end > file_size {
        warnings.push(Warning::new(format!(
            "the dump is truncated by {} bytes: PT_LOAD segments extend to file offset {data_end:#x} but the file ends at {file_size:#x}; reads there report corrupt memory",
            data_end - file_size
        )));
    }
    if oversized > 0 {
        warnings.push(Warning::new(format!(
            "{oversized} PT_LOAD segments have p_filesz > p_memsz; the bytes past p_memsz are ignored"
        )));
    }
    out
}

/// Process facts from `NT_PRPSINFO`.
fn process_info(core: &ElfCore<'_>, warnings: &mut Vec<Warning>) -> ProcessInfo {
    let mut p = ProcessInfo::default();
    match core.prpsinfo() {
        Ok(ps) => {
            p.pid = Some(ps.pid);
            p.name = Some(ps.fname).filter(|n| !n.is_empty());
            // The kernel joins the arguments with spaces and leaves one at
            // the end; the raw text stays available through `prpsinfo()`.
            let args = ps.psargs.trim_end();
            p.command_line = (!args.is_empty()).then(|| args.to_string());
        }
        Err(Error::Missing { .. }) => warnings.push(Warning::new(
            "the core has no NT_PRPSINFO note: process id, name and command line are unknown",
        )),
        Err(e) => warnings.push(Warning::new(format!("process facts unknown: {e}"))),
    }
    p
}

/// The decoded `NT_PRSTATUS` notes in order, and the `NT_SIGINFO` notes
/// each with the index of the thread whose `NT_PRSTATUS` precedes it (the
/// kernel writes the signal's info after the dumping thread's status; `gcore`
/// writes one after every thread's).
fn thread_notes(
    core: &ElfCore<'_>,
    warnings: &mut Vec<Warning>,
) -> (Vec<PrStatus>, Vec<(Option<usize>, SigInfo)>) {
    let h = core.header();
    let mut statuses = Vec::new();
    let mut siginfos = Vec::new();
    for n in core.notes() {
        if n.owner != b"CORE" && n.owner != b"LINUX" {
            continue;
        }
        match n.kind {
            NT_PRSTATUS => match PrStatus::parse(n.desc, h.class, h.machine) {
                Ok(s) => statuses.push(s),
                Err(e) => warnings.push(Warning::new(format!("a thread is missing: {e}"))),
            },
            NT_SIGINFO => match SigInfo::parse(n.desc, h.class) {
                Ok(s) => siginfos.push((statuses.len().checked_sub(1), s)),
                Err(e) => warnings.push(Warning::new(format!("signal info unknown: {e}"))),
            },
            _ => {}
        }
    }
    (statuses, siginfos)
}

/// The neutral thread record of one `NT_PRSTATUS`. The stack is the
/// `PT_LOAD` segment holding the stack pointer (`loads` sorted by address).
fn thread_record(s: &PrStatus, h: &FileHeader, loads: &[&Segment]) -> ThreadRecord {
    let mut t = ThreadRecord::new(s.pid);
    t.context = s.context;
    if t.context.is_none() {
        t.context_note = Some(match h.machine {
            EM_X86_64 | EM_386 => {
                format!("the registers of machine {} in a {:?} core are not decoded", h.machine, h.class)
            }
            m => format!("registers of ELF machine {m} are not decoded"),
        });
    }
    t.user_time = s.user_time;
    t.kernel_time = s.system_time;
    if let Some(sp) = s.context.map(|c| c.stack_pointer()) {
        let i = loads.partition_point(|l| l.vaddr <= sp);
        t.stack = i
            .checked_sub(1)
            .and_then(|i| loads.get(i))
            .filter(|l| l.contains(sp))
            .map(|l| (l.vaddr, l.memsz));
    }
    t
}

/// The signal that caused the dump. With `NT_SIGINFO`: its signal number is
/// the code, its `si_code` the flags, its first union word the one
/// parameter, and `si_addr` the address for a kernel-raised fault (a sent
/// signal has the sender's pid there, not an address: address 0). The
/// thread is the first with a non-zero `pr_cursig` (else the first thread).
/// Without `NT_SIGINFO`, the first thread's `pr_cursig` if non-zero.
/// A `SIGSTOP` in `NT_SIGINFO` with no thread receiving a signal is not an
/// exception (see below).
fn exception(
    statuses: &[PrStatus],
    siginfos: &[(Option<usize>, SigInfo)],
    threads: &[ThreadRecord],
) -> Option<ExceptionInfo> {
    let crashed = statuses.iter().position(|s| s.cursig != 0);
    let ti = crashed.unwrap_or(0);
    let si = siginfos.iter().find(|(t, _)| *t == Some(ti)).or_else(|| siginfos.first()).map(|(_, s)| *s);
    let thread = threads.get(ti);
    let base = |code: u32| ExceptionInfo {
        thread_id: thread.map_or(0, |t| t.id),
        code,
        flags: 0,
        address: 0,
        parameters: Vec::new(),
        nested_record: 0,
        context: thread.and_then(|t| t.context),
    };
    // A SIGSTOP that no thread is receiving is the stop of a debugger
    // attaching to write the core (gdb's `gcore`), not why the process died.
    let stop_only = crashed.is_none() && si.is_some_and(|s| s.signo == SIGSTOP);
    match si {
        Some(si) if si.signo != 0 && !stop_only => Some(ExceptionInfo {
            flags: si.code as u32,
            address: si.fault_address().unwrap_or(0),
            parameters: vec![si.union_word],
            ..base(si.signo as u32)
        }),
        _ => {
            let first = statuses.first()?;
            (first.cursig != 0).then(|| base(first.cursig.into()))
        }
    }
}

/// The memory map: one entry per `PT_LOAD`, with the `NT_FILE` mapping that
/// covers its start. File-backed memory is `MEM_IMAGE` when the file is an
/// executable image (ELF or PE header, else by name), otherwise `MEM_MAPPED`;
/// the rest is `MEM_PRIVATE`.
fn regions<'a>(
    loads: impl Iterator<Item = &'a Segment>,
    files: &[MappedFile],
    mods: &[Module],
) -> Vec<RegionInfo> {
    let mut sorted: Vec<&MappedFile> = files.iter().collect();
    sorted.sort_by_key(|f| f.start);
    let image: HashMap<&str, bool> = mods.iter().map(|m| (m.record.path.as_str(), m.is_image())).collect();
    loads
        .map(|s| {
            let i = sorted.partition_point(|f| f.start <= s.vaddr);
            let file = i.checked_sub(1).and_then(|i| sorted.get(i)).filter(|f| f.contains(s.vaddr));
            let kind = match file {
                Some(f) if image.get(f.path.as_str()).copied().unwrap_or(false) => MEM_IMAGE,
                Some(_) => MEM_MAPPED,
                None => MEM_PRIVATE,
            };
            RegionInfo {
                base: s.vaddr,
                allocation_base: None,
                size: s.memsz,
                state: Some(MEM_COMMIT),
                kind: Some(kind),
                protect: Some(s.windows_protect()),
                allocation_protect: None,
                captured: s.filesz.min(s.memsz),
                mapped_file: file.map(|f| f.path.clone()),
            }
        })
        .collect()
}

/// One entry per note (type, name, descriptor size and offset), then one
/// summary of the `PT_LOAD` segments (kind `PT_LOAD`, total bytes in the
/// file, offset of the first one with bytes).
fn streams(core: &ElfCore<'_>) -> Vec<StreamInfo> {
    let mut out: Vec<StreamInfo> = core
        .note_entries()
        .iter()
        .map(|n| StreamInfo { kind: n.kind, name: n.name(), size: n.desc_len, offset: n.desc_offset })
        .collect();
    let loads: Vec<&Segment> = core.load_segments().collect();
    if !loads.is_empty() {
        out.push(StreamInfo {
            kind: PT_LOAD,
            name: format!("PT_LOAD ({} segments)", loads.len()),
            size: loads.iter().map(|s| s.filesz).fold(0u64, u64::saturating_add),
            offset: loads.iter().find(|s| s.filesz > 0).map_or(0, |s| s.offset),
        });
    }
    out
}
