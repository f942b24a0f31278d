//! Opening a MINIDUMP: the header and directory (fatal when damaged), then
//! each small table into the container-neutral records. Every stream is read
//! on its own; one that fails adds a [`Warning`] and the rest still load.

use super::context::{CONTEXT_AMD64, CONTEXT_I386, X64_CONTEXT_SIZE, X86_CONTEXT_SIZE};
use super::{Index, Location, Minidump, StreamType, wow64};
use crate::arch::Arch;
use crate::dump::Loaded;
use crate::error::{Error, Result};
use crate::memory::{AddressSpace, Memory, Region};
use crate::model::*;
use std::collections::HashMap;
use std::time::Duration;

/// Collects warnings; an absent stream is not one (most dumps lack most streams).
struct Warnings(Vec<Warning>);

impl Warnings {
    fn ok<T>(&mut self, r: Result<T>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(Error::Missing { .. }) => None,
            Err(e) => {
                self.0.push(Warning::new(e));
                None
            }
        }
    }

    fn push(&mut self, msg: String) {
        self.0.push(Warning::new(msg));
    }
}

/// Parses a MINIDUMP held in `data` into the neutral records.
pub(crate) fn load(data: &[u8]) -> Result<Loaded> {
    let index = Index::parse(data)?;
    let mut loaded = Loaded::default();
    fill(&mut loaded, Minidump::new(data, &index));
    loaded.minidump = Some(index);
    Ok(loaded)
}

fn fill(l: &mut Loaded, md: Minidump<'_>) {
    let mut w = Warnings(Vec::new());
    l.streams = md
        .directory()
        .iter()
        .map(|e| StreamInfo {
            kind: e.kind.0,
            name: e.kind.name(),
            size: e.location.size.into(),
            offset: e.location.rva.into(),
        })
        .collect();
    let sys = w.ok(md.system_info());
    let native = match &sys {
        Some(s) => s.arch(),
        None => guess_arch(&md),
    };
    let misc = w.ok(md.misc_info());

    l.modules = modules(&md, &mut w);
    l.unloaded_modules = unloaded_modules(&md, &mut w);
    l.memory = memory_regions(&md, &mut w);
    l.threads = threads(&md, native, &mut w);
    l.regions = regions(&md, &l.memory, &mut w);

    // WOW64 needs process memory (PE headers, TEBs): a temporary address space.
    let mut wow = false;
    if native == Arch::X64 {
        let space = AddressSpace::new(l.memory.clone());
        let mem = Memory::new(md.data(), &space, 8);
        wow = wow64::detect(&l.modules, &mem);
        if wow {
            wow64::recover(&mut l.threads, &mem, &l.modules, &l.regions);
        }
    }
    let arch = if wow { Arch::X86 } else { native };
    l.exception = exception(&md, native, wow, &mut w);
    if let Some(h) = w.ok(md.handle_data()) {
        if h.bad_names > 0 {
            w.push(format!("HandleData stream: {} handle names could not be read", h.bad_names));
        }
        l.handles = h
            .handles
            .into_iter()
            .map(|h| HandleRecord {
                handle: h.handle,
                type_name: h.type_name,
                object_name: h.object_name,
                attributes: h.attributes,
                granted_access: h.granted_access,
                handle_count: h.handle_count,
                pointer_count: h.pointer_count,
            })
            .collect();
    }
    l.comments = w.ok(md.comments()).unwrap_or_default();

    l.system = Some(SystemSummary {
        arch,
        wow64: wow,
        os: sys.as_ref().map_or(OsFamily::Other(0), |s| s.os()),
        os_version: sys.as_ref().map(|s| s.version_text()),
        os_detail: sys
            .as_ref()
            .and_then(|s| s.csd_version.clone())
            .filter(|s| !s.is_empty())
            .or_else(|| misc.as_ref().and_then(|m| m.build_string.clone()))
            .filter(|s| !s.is_empty()),
        cpu_count: sys.as_ref().map(|s| s.number_of_processors.into()),
    });
    l.process = ProcessInfo {
        pid: misc.as_ref().and_then(|m| m.process_id),
        name: l.modules.first().map(|m| m.file_name().to_string()),
        command_line: md.stream(StreamType::LINUX_CMD_LINE).map(|b| {
            let text = String::from_utf8_lossy(b.data()).replace('\0', " ");
            text.trim_end().to_string()
        }),
        create_time: misc
            .as_ref()
            .and_then(|m| m.process_create_time)
            .and_then(|t| UnixTime::from_secs(t.into())),
        dump_time: UnixTime::from_secs(md.header().time_date_stamp.into()),
        user_time: misc.as_ref().and_then(|m| m.process_user_time).map(|t| Duration::from_secs(t.into())),
        kernel_time: misc.as_ref().and_then(|m| m.process_kernel_time).map(|t| Duration::from_secs(t.into())),
    };
    l.warnings = w.0;
}

/// Without SystemInfo, the first thread's context says which CONTEXT it is.
fn guess_arch(md: &Minidump<'_>) -> Arch {
    let Some(t) = md.thread_list().ok().and_then(|t| t.into_iter().next()) else {
        return Arch::Other(0);
    };
    let Ok(b) = md.location(t.context, "thread CONTEXT") else {
        return Arch::Other(0);
    };
    if b.len() >= X64_CONTEXT_SIZE && b.u32(48).is_ok_and(|f| f & CONTEXT_AMD64 != 0) {
        Arch::X64
    } else if b.len() >= X86_CONTEXT_SIZE && b.u32(0).is_ok_and(|f| f & CONTEXT_I386 != 0) {
        Arch::X86
    } else {
        Arch::Other(0)
    }
}

fn modules(md: &Minidump<'_>, w: &mut Warnings) -> Vec<ModuleRecord> {
    let Some(list) = w.ok(md.module_list()) else {
        return Vec::new();
    };
    list.into_iter()
        .map(|m| {
            let path = m.name.unwrap_or_else(|e| {
                w.push(format!("module at {:#x}: {e}", m.base));
                String::new()
            });
            let debug_id = m.debug_id.unwrap_or_else(|e| {
                w.push(format!("module {path}: {e}"));
                None
            });
            ModuleRecord {
                base: m.base,
                size: m.size.into(),
                timestamp: Some(m.time_date_stamp),
                checksum: Some(m.checksum),
                file_version: m.version.file_version(),
                product_version: m.version.product_version(),
                debug_id,
                path,
            }
        })
        .collect()
}

fn unloaded_modules(md: &Minidump<'_>, w: &mut Warnings) -> Vec<ModuleRecord> {
    let Some(list) = w.ok(md.unloaded_module_list()) else {
        return Vec::new();
    };
    list.into_iter()
        .map(|m| ModuleRecord {
            path: m.name.unwrap_or_else(|e| {
                w.push(format!("unloaded module at {:#x}: {e}", m.base));
                String::new()
            }),
            base: m.base,
            size: m.size.into(),
            timestamp: Some(m.time_date_stamp),
            checksum: Some(m.checksum),
            file_version: None,
            product_version: None,
            debug_id: None,
        })
        .collect()
}

/// A region whose bytes are (at least partly) in the file, or `None` with a
/// warning. RVA 0 is never data: Wine writes it for memory it did not save.
fn region(list: &str, start: u64, size: u64, offset: u64, file_len: u64, w: &mut Warnings) -> Option<Region> {
    if size == 0 {
        return None;
    }
    if offset == 0 || offset >= file_len {
        w.push(format!(
            "{list}: range {start:#x}+{size:#x} has file offset {offset:#x} (not in the file): not captured"
        ));
        return None;
    }
    let have = (file_len - offset).min(size);
    if have < size {
        w.push(format!(
            "{list}: range {start:#x}+{size:#x} at file offset {offset:#x} is cut short by the end of the file ({have:#x} bytes present)"
        ));
    }
    Some(Region { start, mem_len: size, file_offset: offset, file_len: have })
}

fn memory_regions(md: &Minidump<'_>, w: &mut Warnings) -> Vec<Region> {
    let file_len = md.data().len() as u64;
    let mut out = Vec::new();
    for d in w.ok(md.memory_list()).unwrap_or_default() {
        let (size, rva) = (d.memory.size.into(), d.memory.rva.into());
        out.extend(region("MemoryList", d.start, size, rva, file_len, w));
    }
    for r in w.ok(md.memory64_list()).unwrap_or_default() {
        out.extend(region("Memory64List", r.start, r.size, r.file_offset, file_len, w));
    }
    out
}

fn filetime(t: u64) -> Option<UnixTime> {
    UnixTime::from_filetime(t)
}

fn ticks(t: u64) -> Duration {
    Duration::from_nanos(t.saturating_mul(100))
}

fn threads(md: &Minidump<'_>, arch: Arch, w: &mut Warnings) -> Vec<ThreadRecord> {
    let Some(list) = w.ok(md.thread_list()) else {
        return Vec::new();
    };
    let infos: HashMap<u32, _> =
        w.ok(md.thread_info_list()).unwrap_or_default().into_iter().map(|i| (i.thread_id, i)).collect();
    let mut names = HashMap::new();
    for n in w.ok(md.thread_names()).unwrap_or_default() {
        match n.name {
            Ok(s) => {
                names.insert(n.thread_id, s);
            }
            Err(e) => w.push(format!("thread {} name: {e}", n.thread_id)),
        }
    }
    let file_len = md.data().len() as u64;
    list.into_iter()
        .map(|t| {
            let mut r = ThreadRecord::new(t.thread_id);
            r.suspend_count = Some(t.suspend_count);
            r.priority = Some(t.priority);
            r.teb = (t.teb != 0).then_some(t.teb);
            let stack: Location = t.stack.memory;
            if stack.size > 0 {
                r.stack = Some((t.stack.start, stack.size.into()));
                if stack.rva == 0 || u64::from(stack.rva) >= file_len {
                    w.push(format!(
                        "thread {}: stack {:#x}+{:#x} has file offset {:#x} (not in the file): not captured",
                        t.thread_id, t.stack.start, stack.size, stack.rva
                    ));
                }
            }
            match md.context_at(t.context, arch) {
                Ok(c) => r.context = Some(c),
                Err(note) => r.context_note = Some(note),
            }
            r.name = names.remove(&t.thread_id);
            if let Some(i) = infos.get(&t.thread_id) {
                r.create_time = filetime(i.create_time);
                r.exit_time = filetime(i.exit_time);
                r.user_time = Some(ticks(i.user_time));
                r.kernel_time = Some(ticks(i.kernel_time));
            }
            r
        })
        .collect()
}

fn exception(md: &Minidump<'_>, native: Arch, wow: bool, w: &mut Warnings) -> Option<ExceptionInfo> {
    let e = w.ok(md.exception())?;
    if e.number_parameters as usize > super::exception::MAX_PARAMETERS {
        w.push(format!(
            "Exception stream: NumberParameters {} exceeds 15; only 15 are read",
            e.number_parameters
        ));
    }
    // A WOW64 writer may store the exception as the 32-bit context.
    let context = if wow {
        md.context_at(e.context, Arch::X86).or_else(|_| md.context_at(e.context, native))
    } else {
        md.context_at(e.context, native)
    };
    let context = match context {
        Ok(c) => Some(c),
        Err(note) => {
            if !e.context.is_empty() {
                w.push(format!("Exception stream context: {note}"));
            }
            None
        }
    };
    Some(ExceptionInfo {
        thread_id: e.thread_id,
        code: e.code,
        flags: e.flags,
        address: e.address,
        parameters: e.parameters,
        nested_record: e.nested_record,
        context,
    })
}

fn regions(md: &Minidump<'_>, memory: &[Region], w: &mut Warnings) -> Vec<RegionInfo> {
    let Some(list) = w.ok(md.memory_info_list()) else {
        return Vec::new();
    };
    let mut sorted: Vec<Region> = memory.to_vec();
    sorted.sort_by_key(|r| r.start);
    list.into_iter()
        .map(|m| {
            let end = m.base_address.saturating_add(m.region_size);
            // Captured bytes: overlap of this region with the memory ranges.
            let first = sorted.partition_point(|r| r.end() <= m.base_address);
            let captured = sorted[first..]
                .iter()
                .take_while(|r| r.start < end)
                .map(|r| r.end().min(end).saturating_sub(r.start.max(m.base_address)))
                .sum();
            RegionInfo {
                base: m.base_address,
                allocation_base: Some(m.allocation_base),
                size: m.region_size,
                state: Some(m.state),
                kind: Some(m.kind),
                protect: Some(m.protect),
                allocation_protect: Some(m.allocation_protect),
                captured,
                mapped_file: None,
            }
        })
        .collect()
}
