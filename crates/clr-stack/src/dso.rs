//! Objects referenced from a thread's stack and registers (SOS `!dso`,
//! reference §8.2): every register and every pointer-sized word of
//! `[SP, stack end)` whose value is the address of a valid object on the GC
//! heap — inside a segment, and its MethodTable passing the type system's
//! round trip. Like SOS this is a conservative scan: a dead slot that still
//! holds an object address is listed too.

use clr_heap::types::TypeSystem;
use dump_format::ThreadRecord;

/// Most words scanned per thread (a 16 MiB stack of 8-byte words).
const MAX_WORDS: u64 = 2 << 20;

/// Where a reference was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Slot {
    /// A register, by name (`rax`, `esi`, …).
    Register(&'static str),
    /// A stack address.
    Stack(u64),
}

/// One object found on a stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackObject {
    /// Where the reference is.
    pub slot: Slot,
    /// The object.
    pub address: u64,
    /// Its MethodTable.
    pub method_table: u64,
    /// Its type, or why it has no name.
    pub type_name: Result<String, String>,
}

/// Scans `t`'s registers and the stack range `[lo, hi)` for object references.
///
/// ```no_run
/// let dump = dump_format::Dump::open("core")?;
/// let rt = clr_heap::Runtime::open(&dump, &Default::default())?;
/// let types = clr_heap::types::TypeSystem::new(&rt);
/// let t = &dump.threads()[0];
/// let sp = t.context.map(|c| c.stack_pointer()).unwrap_or(0);
/// for o in clr_stack::dso::stack_objects(&types, t, (sp, sp + 0x10000)) {
///     println!("{:?} {:#x} {:?}", o.slot, o.address, o.type_name);
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn stack_objects(types: &TypeSystem, t: &ThreadRecord, (lo, hi): (u64, u64)) -> Vec<StackObject> {
    let rt = types.runtime();
    let Ok(heap) = rt.heap.as_ref() else { return Vec::new() };
    let mem = rt.dump.memory();
    let p = rt.layout.ptr;
    let object = |slot: Slot, v: u64| {
        if v % p != 0 || heap.segment_of(v).is_none() {
            return None;
        }
        let mt = types.object_mt(v).ok()?;
        if types.is_free(mt) {
            return None;
        }
        let type_name = types.type_name(mt).map_err(|e| e.to_string());
        Some(StackObject { slot, address: v, method_table: mt, type_name })
    };
    let mut out: Vec<StackObject> = Vec::new();
    if let Some(c) = &t.context {
        out.extend(c.registers().into_iter().filter_map(|(name, v)| object(Slot::Register(name), v)));
    }
    let end = hi.min(lo.saturating_add(MAX_WORDS * p));
    let mut a = lo.next_multiple_of(p);
    while a < end {
        match mem.ptr(a) {
            Ok(v) => out.extend(object(Slot::Stack(a), v)),
            // An uncaptured page ends the captured stack.
            Err(_) => break,
        }
        a += p;
    }
    out
}
