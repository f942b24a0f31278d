//! Code address → method (reference §7.1, §7.3), without the DAC.
//!
//! The runtime registers every range of managed code in
//! `ExecutionManager::m_CodeRangeList`, a list of `RangeSection`s: JIT code
//! heaps (`RANGE_SECTION_CODEHEAP`, pointing at their `HeapList`) and
//! ReadyToRun images (`RANGE_SECTION_READYTORUN`, pointing at their
//! `Module`). An address inside a code heap is resolved through the heap's
//! nibble map ([`nibble`](crate::nibble)) to the method's first instruction;
//! the code header before it names the MethodDesc. An address inside a
//! ReadyToRun image is resolved through the image's own tables
//! ([`r2r`](crate::r2r)).
//!
//! Every offset is a candidate: the `RangeSection` layout is accepted only
//! when the whole list satisfies its invariants (ordered bounds, known
//! flags, the jit manager an object of the runtime), and the code header
//! shape (indirect `RealCodeHeader*` on 64-bit, in-place on x86) only when
//! its MethodDesc names a method. Each decision is in [`CodeMap::diagnostics`].

use crate::method::{MethodName, Methods};
use crate::nibble::HeapList;
use crate::objects::global_ptr;
use crate::r2r::R2rImage;
use clr_heap::runtime::Diagnostics;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

/// Longest `RangeSection` list followed.
const MAX_RANGES: usize = 4096;
/// `RANGE_SECTION_CODEHEAP`.
const CODEHEAP: u32 = 0x2;
/// `RANGE_SECTION_READYTORUN`.
const READYTORUN: u32 = 0x4;
/// `STUB_CODE_BLOCK_LAST`: header values up to this mark stubs, not methods.
const STUB_LAST: u64 = 0xF;

/// A registered range of managed code.
#[derive(Debug, Clone)]
pub struct CodeRange {
    /// First address.
    pub low: u64,
    /// End (exclusive).
    pub high: u64,
    /// `RangeSection.flags`.
    pub flags: u32,
    /// The `HeapList` (code heap) or `Module` (ReadyToRun image).
    pub owner: u64,
}

/// Where a method's code came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeKind {
    /// Compiled at run time into a code heap.
    Jit,
    /// Precompiled in a ReadyToRun image.
    ReadyToRun,
}

/// A `RUNTIME_FUNCTION` with the base its RVAs are relative to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuntimeFunction {
    /// The base (image base, or the code heap's `HeapList`).
    pub base: u64,
    /// Start RVA.
    pub begin: u32,
    /// End RVA (0 when the table has none: x86 ReadyToRun).
    pub end: u32,
    /// RVA of the `UNWIND_INFO` (x64) or GC info (x86).
    pub unwind: u32,
}

/// What is known about one code address.
#[derive(Debug, Clone)]
pub struct CodeInfo {
    /// The method's first instruction.
    pub start: u64,
    /// JIT or precompiled.
    pub kind: CodeKind,
    /// The method, or why it could not be named.
    pub method: Result<MethodName, String>,
    /// The unwind entry covering the address, when the platform has one.
    pub unwind: Option<RuntimeFunction>,
    /// False when the address lies in a precompiled function that is not a
    /// method's entry (a funclet, cold code — or a generic instantiation
    /// whose table is not decoded): the method is then a neighbour's guess.
    pub exact: bool,
    /// Where the method's GC info is (x64 only; [`crate::gcinfo`]).
    pub gc_info: Option<GcInfoAt>,
}

/// Where a method's GC info blob is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GcInfoAt {
    /// JIT'd code: the address `RealCodeHeader.phdrJitGCInfo` holds.
    Address(u64),
    /// ReadyToRun code: right after the `UNWIND_INFO` of the method's main
    /// function (image base and the unwind data's RVA).
    AfterUnwind {
        /// The image base.
        base: u64,
        /// RVA of the main function's `UNWIND_INFO`.
        unwind: u32,
    },
}

/// How the JIT's code header is laid out (calibrated).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Header {
    /// `*(start - ptr)` is a `RealCodeHeader*`; the MethodDesc is slot `md_slot`.
    Indirect { md_slot: u64 },
    /// The `RealCodeHeader` sits before the code; its last slot, at `start - ptr`, is the MethodDesc.
    Direct,
}

/// The code ranges of a runtime, ready for lookups.
pub struct CodeMap<'m, 't, 'a> {
    methods: &'m Methods<'t, 'a>,
    ranges: Vec<CodeRange>,
    heaps: RefCell<HashMap<u64, Option<HeapList>>>,
    images: RefCell<HashMap<u64, Rc<Result<R2rImage, String>>>>,
    header: Cell<Option<Header>>,
    diag: RefCell<Diagnostics>,
}

impl<'m, 't, 'a> CodeMap<'m, 't, 'a> {
    /// Reads `ExecutionManager::m_CodeRangeList` of the methods' runtime.
    ///
    /// ```no_run
    /// let dump = dump_format::Dump::open("core")?;
    /// let rt = clr_heap::Runtime::open(&dump, &Default::default())?;
    /// let types = clr_heap::types::TypeSystem::new(&rt);
    /// let methods = clr_stack::Methods::new(&types);
    /// let code = clr_stack::CodeMap::new(&methods);
    /// if let Some(info) = code.lookup(0x7f23_1234_5678) {
    ///     println!("{:?}", info.method.map(|m| m.display));
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(methods: &'m Methods<'t, 'a>) -> Self {
        let mut diag = Diagnostics::default();
        let ranges = read_ranges(methods, &mut diag);
        CodeMap {
            methods,
            ranges,
            heaps: RefCell::default(),
            images: RefCell::default(),
            header: Cell::new(None),
            diag: RefCell::new(diag),
        }
    }

    /// The registered code ranges.
    pub fn ranges(&self) -> &[CodeRange] {
        &self.ranges
    }

    /// What was found and every check run so far.
    pub fn diagnostics(&self) -> Diagnostics {
        self.diag.borrow().clone()
    }

    /// The namer underneath.
    pub fn methods(&self) -> &'m Methods<'t, 'a> {
        self.methods
    }

    /// Whether `ip` lies in a registered range of managed code.
    pub fn is_managed(&self, ip: u64) -> bool {
        self.range_of(ip).is_some()
    }

    fn range_of(&self, ip: u64) -> Option<&CodeRange> {
        self.ranges.iter().find(|r| ip >= r.low && ip < r.high)
    }

    /// The method whose code contains `ip`, or `None` when `ip` is not
    /// inside a method of a registered range (stubs included).
    pub fn lookup(&self, ip: u64) -> Option<CodeInfo> {
        let r = self.range_of(ip)?.clone();
        if r.flags & READYTORUN != 0 {
            let image = self.image(&r);
            return match &*image {
                Ok(img) => img.lookup(ip, self.methods.types()),
                Err(_) => None,
            };
        }
        if r.flags & CODEHEAP == 0 {
            return None;
        }
        let heap = self.heap(r.owner)?;
        let start = heap.method_start(&self.methods.types().runtime().dump.memory(), ip)?;
        let (md, real) = self.method_desc(start)?;
        let method = self.methods.name(md);
        let unwind = real.and_then(|h| self.jit_unwind(h, r.low, ip));
        let gc_info = real.and_then(|h| self.jit_gc_info(h));
        Some(CodeInfo { start, kind: CodeKind::Jit, method, unwind, exact: true, gc_info })
    }

    /// `len` bytes at `addr` of a ReadyToRun image that was read from its
    /// file because the dump lacks its pages.
    pub fn image_bytes(&self, addr: u64, len: u32) -> Option<Vec<u8>> {
        let r = self.range_of(addr)?.clone();
        if r.flags & READYTORUN == 0 {
            return None;
        }
        self.image(&r).as_ref().as_ref().ok()?.file_bytes(addr, len)
    }

    fn heap(&self, at: u64) -> Option<HeapList> {
        if let Some(h) = self.heaps.borrow().get(&at) {
            return *h;
        }
        let rt = self.methods.types().runtime();
        let h = HeapList::read(&rt.dump.memory(), rt.layout.ptr, at);
        self.diag.borrow_mut().check(
            format!("HeapList {at:#x}: mapBase = startAddress rounded down to a page, map readable"),
            h.is_some(),
            h.map(|h| format!("{h:x?}")).unwrap_or_else(|| "invalid".into()),
        );
        self.heaps.borrow_mut().insert(at, h);
        h
    }

    /// The MethodDesc of the method starting at `start` and its
    /// `RealCodeHeader` (when indirect), the header shape calibrated on the
    /// first method whose MethodDesc names a method.
    fn method_desc(&self, start: u64) -> Option<(u64, Option<u64>)> {
        let rt = self.methods.types().runtime();
        let mem = rt.dump.memory();
        let p = rt.layout.ptr;
        let slot = mem.ptr(start.wrapping_sub(p)).ok()?;
        if slot <= STUB_LAST {
            return None;
        }
        let via = |h: Header| match h {
            Header::Indirect { md_slot } => {
                mem.ptr(slot.wrapping_add(md_slot * p)).ok().map(|md| (md, Some(slot)))
            }
            Header::Direct => Some((slot, None)),
        };
        if let Some(h) = self.header.get() {
            return via(h);
        }
        for h in [Header::Indirect { md_slot: 3 }, Header::Indirect { md_slot: 4 }, Header::Direct] {
            if let Some((md, real)) = via(h)
                && let Ok(m) = self.methods.name(md)
            {
                self.header.set(Some(h));
                self.diag.borrow_mut().check(
                    format!("code header {h:?}: the MethodDesc before the code names a method"),
                    true,
                    format!("code at {start:#x}: {}", m.display),
                );
                return Some((md, real));
            }
        }
        None
    }

    /// `RealCodeHeader.phdrJitGCInfo` (the slot before the MethodDesc's) on x64.
    fn jit_gc_info(&self, real: u64) -> Option<GcInfoAt> {
        let rt = self.methods.types().runtime();
        let (mem, p) = (rt.dump.memory(), rt.layout.ptr);
        let Some(Header::Indirect { md_slot }) = self.header.get() else { return None };
        if p != 8 {
            return None;
        }
        mem.ptr(real.wrapping_add((md_slot - 1) * p)).ok().filter(|&a| a != 0).map(GcInfoAt::Address)
    }

    /// Up to `max` bytes of the GC info blob at `at` (its size is not
    /// recorded: the decoder stops where the blob does), from the dump or,
    /// for a ReadyToRun image the dump left out, from the image file.
    pub fn gc_info_bytes(&self, at: GcInfoAt, max: u64) -> Result<Vec<u8>, String> {
        let rt = self.methods.types().runtime();
        let mem = rt.dump.memory();
        let read = |addr: u64, len: u64| -> Result<Vec<u8>, String> {
            let n = mem.readable_len(addr).min(len);
            if n == len {
                return mem.read(addr, n).map(|b| b.to_vec()).map_err(|e| e.to_string());
            }
            // The dump holds less than asked (a core keeps some of an image's
            // pages): the image file when it is one, shorter windows near its end.
            let mut want = len;
            while want >= 64 && want > n {
                if let Some(b) = self.image_bytes(addr, want as u32) {
                    return Ok(b);
                }
                want /= 4;
            }
            if n > 0 {
                return mem.read(addr, n).map(|b| b.to_vec()).map_err(|e| e.to_string());
            }
            Err(format!("GC info at {addr:#x}: not in the dump or its image"))
        };
        match at {
            GcInfoAt::Address(a) => read(a, max),
            GcInfoAt::AfterUnwind { base, unwind } => {
                let ui = base.wrapping_add(u64::from(unwind));
                let head = read(ui, 4)?;
                let count = u64::from(*head.get(2).ok_or("UNWIND_INFO: short")?);
                // Header, codes, the personality routine's RVA; 4-aligned.
                read(ui + (4 + 2 * count + 4).next_multiple_of(4), max)
            }
        }
    }

    /// The JIT's own unwind entry for `ip`: `RealCodeHeader.unwindInfos[]`
    /// after `nUnwindInfos`, RVAs relative to the code range's start.
    fn jit_unwind(&self, real: u64, base: u64, ip: u64) -> Option<RuntimeFunction> {
        let rt = self.methods.types().runtime();
        let (mem, p) = (rt.dump.memory(), rt.layout.ptr);
        let Some(Header::Indirect { md_slot }) = self.header.get() else { return None };
        let count_at = real.wrapping_add((md_slot + 1) * p);
        let count = mem.u32(count_at).ok()?;
        let rva = u32::try_from(ip.checked_sub(base)?).ok()?;
        // Methods have a handful of funclets; a large count is not a header.
        for i in 0..count.min(64) {
            let e = count_at.wrapping_add(4 + 12 * u64::from(i));
            let (b, en, u) = (mem.u32(e).ok()?, mem.u32(e + 4).ok()?, mem.u32(e + 8).ok()?);
            if rva >= b && rva < en {
                return Some(RuntimeFunction { base, begin: b, end: en, unwind: u });
            }
        }
        None
    }

    fn image(&self, r: &CodeRange) -> Rc<Result<R2rImage, String>> {
        if let Some(i) = self.images.borrow().get(&r.low) {
            return i.clone();
        }
        let img = Rc::new(R2rImage::open(self.methods.types(), r.low, r.high, r.owner));
        let detail = match &*img {
            Ok(i) => format!("{} runtime functions, {} methods", i.function_count(), i.method_count()),
            Err(e) => e.clone(),
        };
        self.diag.borrow_mut().check(format!("ReadyToRun image at {:#x}", r.low), img.is_ok(), detail);
        self.images.borrow_mut().insert(r.low, img.clone());
        img
    }
}

/// `RangeSection` candidate layout: offsets of pnext, flags and the owner.
#[derive(Debug, Clone, Copy)]
struct RangeLayout {
    next: u64,
    flags: u64,
    owner: u64,
}

fn read_ranges(methods: &Methods, diag: &mut Diagnostics) -> Vec<CodeRange> {
    let rt = methods.types().runtime();
    let p = rt.layout.ptr;
    let Some(head) = global_ptr(rt, "ExecutionManager::m_CodeRangeList") else {
        diag.check("ExecutionManager::m_CodeRangeList", false, "the global is not known or NULL");
        return Vec::new();
    };
    // Every jit manager (EE, ReadyToRun, and on older runtimes the NGEN
    // one, which has no global here) is a C++ object of the runtime.
    let runtime = &rt.module.module;
    let mem = rt.dump.memory();
    let is_manager = |jit: u64| mem.ptr(jit).is_ok_and(|vt| vt >= runtime.base && vt < runtime.end());
    // {Low, High, pjit, pnext, pLastUsed, DWORD flags, pHeapListOrZapModule}
    let candidates = [RangeLayout { next: 3 * p, flags: 5 * p, owner: 6 * p }];
    for l in candidates {
        match walk_ranges(rt, head, l, &is_manager) {
            Ok(v) => {
                diag.check(
                    "RangeSection list: ordered bounds, known flags, jit manager is a runtime object",
                    true,
                    format!("{} ranges with layout {l:?}", v.len()),
                );
                return v;
            }
            Err(why) => diag.check("RangeSection list", false, format!("layout {l:?}: {why}")),
        }
    }
    Vec::new()
}

fn walk_ranges(
    rt: &clr_heap::Runtime,
    head: u64,
    l: RangeLayout,
    is_manager: &dyn Fn(u64) -> bool,
) -> Result<Vec<CodeRange>, String> {
    let mem = rt.dump.memory();
    let p = rt.layout.ptr;
    let mut out = Vec::new();
    let mut cur = head;
    while cur != 0 {
        if out.len() >= MAX_RANGES {
            return Err(format!("more than {MAX_RANGES} ranges (a cycle?)"));
        }
        let rd = |o: u64| mem.ptr(cur.wrapping_add(o)).map_err(|e| format!("RangeSection {cur:#x}: {e}"));
        let (low, high, jit) = (rd(0)?, rd(p)?, rd(2 * p)?);
        let flags = mem.u32(cur.wrapping_add(l.flags)).map_err(|e| e.to_string())?;
        if low >= high || flags > 7 || !is_manager(jit) {
            return Err(format!(
                "RangeSection {cur:#x}: low {low:#x} high {high:#x} flags {flags:#x} jit {jit:#x}"
            ));
        }
        out.push(CodeRange { low, high, flags, owner: rd(l.owner)? });
        cur = rd(l.next)?;
    }
    Ok(out)
}
