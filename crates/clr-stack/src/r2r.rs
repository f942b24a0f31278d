//! ReadyToRun images (reference §7.3): code address → MethodDef, from the
//! image's own tables, with no runtime structure beyond the `Module` that
//! names the metadata.
//!
//! The CLI header's `ManagedNativeHeader` points at `READYTORUN_HEADER`
//! (`RTR`), whose sections include `RuntimeFunctions` (102: sorted
//! `RUNTIME_FUNCTION`s, RVAs from the image base) and `MethodDefEntryPoints`
//! (103: a NativeArray indexed by MethodDef RID − 1 whose entries start with
//! the method's first runtime-function index). Inverting the array maps a
//! runtime function back to its method; the functions after a method's entry
//! up to the next method's entry are its funclets and cold parts.
//!
//! Generic instantiations (`InstanceMethodEntryPoints`, a NativeHashtable)
//! are not decoded: a function that is not a MethodDef's entry is credited
//! to the preceding entry's method (right for funclets and cold code, wrong
//! for an instantiation) and flagged `exact: false`, so a stack shows it as
//! uncertain.

use crate::code_map::{CodeInfo, CodeKind, GcInfoAt, RuntimeFunction};
use crate::method::MethodName;
use crate::native_array::{NativeArray, Section};
use clr_heap::metadata::TableId;
use clr_heap::pe::{FnSource, ImageSource, Layout, PeImage};
use clr_heap::types::{ImageRoute, TypeSystem};

/// `READYTORUN_SIGNATURE` ('RTR').
const SIGNATURE: u32 = 0x0052_5452;
const SECTION_RUNTIME_FUNCTIONS: u32 = 102;
const SECTION_METHODDEF_ENTRY_POINTS: u32 = 103;
/// Sections in a header (real images have ~20).
const MAX_SECTIONS: u32 = 256;
/// Largest runtime-function table read (CoreLib has ~30k entries).
const MAX_FUNCTIONS: u32 = 4 << 20;

/// A ReadyToRun image's code tables.
#[derive(Debug)]
pub struct R2rImage {
    base: u64,
    end: u64,
    module: u64,
    /// `(begin, end or 0, unwind)` RVAs, sorted by begin.
    functions: Vec<(u32, u32, u32)>,
    /// `(first runtime function, MethodDef RID)`, sorted by function.
    entries: Vec<(u32, u32)>,
    /// The image file, when the dump lacks the image's pages.
    file: Option<(Vec<u8>, PeImage)>,
    /// A 64-bit process (x64 GC info follows the unwind data).
    x64: bool,
}

impl R2rImage {
    /// Reads the tables of the image at `[base, end)` whose runtime `Module` is `module`.
    pub fn open(types: &TypeSystem, base: u64, end: u64, module: u64) -> Result<R2rImage, String> {
        let rt = types.runtime();
        let info = types.module(module).map_err(|e| format!("Module {module:#x}: {e}"))?;
        let md = info.metadata().map_err(|e| e.to_string())?;
        let rows = md.tables().rows(TableId::MethodDef);
        let mem = rt.dump.memory();
        let dump_src = FnSource(|o: u64, b: &mut [u8]| {
            mem.read_into(base.wrapping_add(o), b).map_err(|e| e.to_string())
        });
        let entry_size = if rt.layout.ptr == 8 { 12 } else { 8 };
        let from_dump = PeImage::parse(&dump_src, Layout::Mapped)
            .map_err(|e| e.to_string())
            .and_then(|img| tables(&img, &dump_src, entry_size, rows));
        let (functions, entries, file) = match from_dump {
            Ok((f, e)) => (f, e, None),
            Err(dump_err) => {
                // A heap-only dump leaves image pages out: the same file on disk has the same tables.
                let Ok(ImageRoute::File { path }) = &info.route else {
                    return Err(format!("image in the dump: {dump_err}; no file of {}", info.simple_name));
                };
                let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
                let img = PeImage::parse(bytes.as_slice(), Layout::File).map_err(|e| e.to_string())?;
                let (f, e) = tables(&img, bytes.as_slice(), entry_size, rows)
                    .map_err(|e| format!("image in the dump: {dump_err}; {}: {e}", path.display()))?;
                (f, e, Some((bytes, img)))
            }
        };
        Ok(R2rImage { base, end, module, functions, entries, file, x64: rt.layout.ptr == 8 })
    }

    /// `len` bytes at `addr` from the image file, when the dump lacked the
    /// image and its file was read instead (unwind data of precompiled code).
    pub fn file_bytes(&self, addr: u64, len: u32) -> Option<Vec<u8>> {
        let (bytes, img) = self.file.as_ref()?;
        let rva = u32::try_from(addr.checked_sub(self.base)?).ok()?;
        img.read(bytes.as_slice(), rva, len, "image bytes").ok()
    }

    /// Number of runtime functions.
    pub fn function_count(&self) -> usize {
        self.functions.len()
    }

    /// Number of methods with an entry point.
    pub fn method_count(&self) -> usize {
        self.entries.len()
    }

    /// The method whose precompiled code contains `ip`.
    pub fn lookup(&self, ip: u64, types: &TypeSystem) -> Option<CodeInfo> {
        if ip < self.base || ip >= self.end {
            return None;
        }
        let rva = u32::try_from(ip - self.base).ok()?;
        let i = self.functions.partition_point(|f| f.0 <= rva).checked_sub(1)?;
        let (b, e, u) = self.functions[i];
        let next = self.functions.get(i + 1).map_or(u32::MAX, |f| f.0);
        if (e != 0 && rva >= e) || rva >= next {
            return None;
        }
        let k = self.entries.partition_point(|x| x.0 <= i as u32).checked_sub(1)?;
        let (first, rid) = self.entries[k];
        let method = name(types, self.module, rid);
        let start = self.base + u64::from(self.functions.get(first as usize)?.0);
        let unwind = Some(RuntimeFunction { base: self.base, begin: b, end: e, unwind: u });
        // The GC info follows the main function's unwind data (x64; x86's differs).
        let gc_info = self
            .x64
            .then(|| self.functions.get(first as usize))
            .flatten()
            .map(|f| GcInfoAt::AfterUnwind { base: self.base, unwind: f.2 });
        Some(CodeInfo {
            start,
            kind: CodeKind::ReadyToRun,
            method,
            unwind,
            exact: first as usize == i,
            gc_info,
        })
    }
}

type Tables = (Vec<(u32, u32, u32)>, Vec<(u32, u32)>);

fn tables(
    img: &PeImage,
    src: &(impl ImageSource + ?Sized),
    entry_size: u32,
    rows: u32,
) -> Result<Tables, String> {
    let hdr_rva =
        img.cli.map(|c| c.managed_native_header).filter(|d| !d.is_empty()).ok_or("no ReadyToRun header")?;
    let rd =
        |rva: u32, len: u32, what: &'static str| img.read(src, rva, len, what).map_err(|e| e.to_string());
    let h = rd(hdr_rva.rva, 16, "READYTORUN_HEADER")?;
    let u32_at = |b: &[u8], o: usize| b.get(o..o + 4).map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]));
    if u32_at(&h, 0) != Some(SIGNATURE) {
        return Err(format!("no RTR signature at RVA {:#x}", hdr_rva.rva));
    }
    let n = u32_at(&h, 12).unwrap_or(0).min(MAX_SECTIONS);
    let secs = rd(hdr_rva.rva + 16, n * 12, "READYTORUN_SECTIONs")?;
    let find = |ty: u32| {
        (0..n as usize).find_map(|i| {
            (u32_at(&secs, i * 12) == Some(ty))
                .then(|| (u32_at(&secs, i * 12 + 4), u32_at(&secs, i * 12 + 8)))
        })
    };
    let (Some(Some(rf_rva)), Some(rf_size)) =
        find(SECTION_RUNTIME_FUNCTIONS).map_or((None, None), |x| (Some(x.0), x.1))
    else {
        return Err("no RuntimeFunctions section".into());
    };
    let count = (rf_size / entry_size).min(MAX_FUNCTIONS);
    let raw = rd(rf_rva, count * entry_size, "RuntimeFunctions")?;
    let functions: Vec<(u32, u32, u32)> = raw
        .chunks_exact(entry_size as usize)
        .map(|c| {
            let w = |o| u32_at(c, o).unwrap_or(0);
            if entry_size == 12 { (w(0), w(4), w(8)) } else { (w(0), 0, w(4)) }
        })
        .collect();
    if functions.windows(2).any(|w| w[0].0 >= w[1].0) {
        return Err("RuntimeFunctions are not sorted".into());
    }
    let Some((Some(ep_rva), Some(ep_size))) = find(SECTION_METHODDEF_ENTRY_POINTS) else {
        return Err("no MethodDefEntryPoints section".into());
    };
    let bytes = rd(ep_rva, ep_size, "MethodDefEntryPoints")?;
    let section = Section { rva: ep_rva, bytes: &bytes };
    let array = NativeArray::new(&section, ep_rva).ok_or("MethodDefEntryPoints header unreadable")?;
    let mut entries = Vec::new();
    for rid in 1..=rows {
        if let Some(index) = array.get(rid - 1).and_then(|o| section.method_entry(o))
            && (index as usize) < functions.len()
        {
            entries.push((index, rid));
        }
    }
    entries.sort_unstable();
    Ok((functions, entries))
}

/// Names MethodDef `rid` of the module at `module` from its metadata (the
/// MethodDesc is not needed: the token and the module are the identity).
pub fn name(types: &TypeSystem, module: u64, rid: u32) -> Result<MethodName, String> {
    let info = types.module(module).map_err(|e| e.to_string())?;
    let md = info.metadata().map_err(|e| e.to_string())?;
    let owner = md.method_owner(rid).map_err(|e| e.to_string())?.ok_or("MethodDef without owner")?;
    let display = md.method_display_name(rid).map_err(|e| e.to_string())?;
    let short = md.method(rid).map_err(|e| e.to_string())?.name.to_string();
    let type_name = md.full_type_name(owner).map_err(|e| e.to_string())?;
    Ok(MethodName {
        method_desc: 0,
        method_table: 0,
        token: 0x0600_0000 | rid,
        module: info.simple_name.clone(),
        qualified: format!("{type_name}.{short}"),
        display,
    })
}
