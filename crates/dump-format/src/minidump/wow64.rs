//! WOW64: a 32-bit process dumped by a 64-bit writer.
//!
//! Such a dump says AMD64 in SystemInfo and holds each thread's *64-bit*
//! context (the WOW64 layer's own state, usually inside `wow64cpu.dll`),
//! which is useless for walking the 32-bit stack. The 32-bit context lives in
//! process memory: the 64-bit TEB's `TlsSlots[1]` (`WOW64_TLS_CPURESERVED`,
//! TEB64 offset 0x1488) points at the WOW64 CPU area, and the x86 `CONTEXT`
//! starts 4 bytes into it. The 32-bit TEB follows the 64-bit one at +0x2000;
//! its `NtTib.StackBase` (+4) and `StackLimit` (+8) bound the 32-bit stack.

use super::context::{X86_CONTEXT_SIZE, decode_context};
use super::memory_info::MEM_COMMIT;
use crate::arch::Arch;
use crate::context::ThreadContext;
use crate::memory::Memory;
use crate::model::{ModuleRecord, RegionInfo, ThreadRecord};
use crate::read::Bytes;

/// Offset of `TlsSlots[1]` in the 64-bit TEB.
const TEB64_CPURESERVED_SLOT: u64 = 0x1480 + 8;
/// Offset of the x86 `CONTEXT` in the WOW64 CPU area (after Flags and Machine).
const CPU_AREA_CONTEXT: u64 = 4;
/// Distance from the 64-bit TEB to the 32-bit TEB.
const TEB32_FROM_TEB64: u64 = 0x2000;
/// `IMAGE_FILE_MACHINE_I386`.
const MACHINE_I386: u16 = 0x14c;
/// `IMAGE_FILE_MACHINE_AMD64`.
const MACHINE_AMD64: u16 = 0x8664;

/// The note on a WOW64 thread whose 32-bit context is not in the dump.
pub(crate) const NOT_CAPTURED: &str = "WOW64: 32-bit context not captured";

/// True when an AMD64 dump is of a 32-bit process: the main module's PE
/// header (when captured) says i386, or the WOW64 layer's DLLs are loaded.
pub(crate) fn detect(modules: &[ModuleRecord], mem: &Memory<'_>) -> bool {
    if let Some(main) = modules.first() {
        match pe_machine(mem, main.base) {
            Some(MACHINE_I386) => return true,
            Some(MACHINE_AMD64) => return false,
            _ => {}
        }
    }
    modules.iter().any(|m| {
        let n = m.file_name().to_ascii_lowercase();
        n == "wow64.dll" || n == "wow64cpu.dll" || n == "wow64win.dll"
    })
}

/// The `Machine` field of the PE image at `base`, when its headers are captured.
fn pe_machine(mem: &Memory<'_>, base: u64) -> Option<u16> {
    if mem.u16(base).ok()? != 0x5a4d {
        return None; // no "MZ"
    }
    let e_lfanew = u64::from(mem.u32(base.checked_add(0x3c)?).ok()?);
    if e_lfanew > 0x1000 {
        return None; // headers live in the first page; anything else is junk
    }
    let nt = base.checked_add(e_lfanew)?;
    (mem.u32(nt).ok()? == 0x4550).then_some(())?; // "PE\0\0"
    mem.u16(nt.checked_add(4)?).ok()
}

/// Replaces each thread's 64-bit context with its 32-bit one, validated;
/// a thread without a usable 32-bit context gets `context: None` and a note.
pub(crate) fn recover(
    threads: &mut [ThreadRecord],
    mem: &Memory<'_>,
    modules: &[ModuleRecord],
    regions: &[RegionInfo],
) {
    for t in threads.iter_mut() {
        let found = t.teb.and_then(|teb| context32(mem, teb));
        let (context, note) = match found {
            None => (None, Some(NOT_CAPTURED.to_string())),
            Some(c) => match validate(&c, t, mem, modules, regions) {
                Ok(()) => (Some(c), None),
                Err(why) => (None, Some(format!("WOW64: 32-bit context rejected: {why}"))),
            },
        };
        t.context = context;
        t.context_note = note;
    }
}

/// The x86 CONTEXT from the WOW64 CPU area of the thread whose 64-bit TEB is `teb`.
fn context32(mem: &Memory<'_>, teb: u64) -> Option<ThreadContext> {
    let area = mem.u64(teb.checked_add(TEB64_CPURESERVED_SLOT)?).ok()?;
    let at = area.checked_add(CPU_AREA_CONTEXT)?;
    let raw = mem.read(at, X86_CONTEXT_SIZE as u64).ok()?;
    decode_context(Bytes::new(&raw, 0, "WOW64 x86 CONTEXT"), Arch::X86).ok()
}

/// ESP inside the 32-bit stack, EIP inside a module or committed memory.
fn validate(
    c: &ThreadContext,
    t: &ThreadRecord,
    mem: &Memory<'_>,
    modules: &[ModuleRecord],
    regions: &[RegionInfo],
) -> Result<(), String> {
    let (sp, ip) = (c.stack_pointer(), c.instruction_pointer());
    let teb32 = t.teb.and_then(|teb| teb.checked_add(TEB32_FROM_TEB64));
    let stack = teb32.and_then(|teb32| {
        let base = u64::from(mem.u32(teb32.checked_add(4)?).ok()?);
        let limit = u64::from(mem.u32(teb32.checked_add(8)?).ok()?);
        (limit < base).then_some((limit, base))
    });
    let sp_ok = match stack {
        Some((limit, base)) => sp >= limit && sp <= base,
        // No 32-bit TEB captured: the stack pointer must at least point at
        // captured memory.
        None => mem.region_of(sp).is_some(),
    };
    if !sp_ok {
        return Err(format!("ESP {sp:#x} is outside the thread's 32-bit stack"));
    }
    let in_module = modules.iter().any(|m| ip >= m.base && ip < m.end());
    let in_committed = regions
        .iter()
        .any(|r| r.state == Some(MEM_COMMIT) && ip >= r.base && ip < r.base.saturating_add(r.size));
    if !(in_module || in_committed) {
        return Err(format!("EIP {ip:#x} is neither in a module nor in committed memory"));
    }
    Ok(())
}
