//! Native x64 code on Windows: the `RUNTIME_FUNCTION`s of the module's
//! exception directory (`.pdata`), read from the image as mapped in the
//! dump. A module whose directory was not captured has no entries; its
//! frames are then crossed by the runtime's explicit Frames or by scanning.

use crate::code_map::RuntimeFunction;
use clr_heap::pe::{FnSource, Layout, PeImage};
use dump_format::Dump;
use std::cell::RefCell;
use std::collections::HashMap;

/// Largest exception directory read (entries of 12 bytes).
const MAX_PDATA: u32 = 64 << 20;

/// `(begin, end, unwind)` RVAs of one module's `.pdata`, sorted.
type Table = Vec<(u32, u32, u32)>;

/// A module's file and its parsed headers.
type ImageFile = std::rc::Rc<(Vec<u8>, PeImage)>;

/// Per-module `.pdata` tables, read on first use.
#[derive(Default)]
pub struct NativeUnwind {
    tables: RefCell<HashMap<u64, Table>>,
    files: RefCell<HashMap<u64, Option<ImageFile>>>,
    dirs: Vec<std::path::PathBuf>,
}

impl NativeUnwind {
    /// Also looks for a module's file in `dirs` when its image is not in the
    /// dump (heap-only dumps leave read-only image pages out).
    pub fn with_dirs(dirs: Vec<std::path::PathBuf>) -> Self {
        NativeUnwind { tables: RefCell::default(), files: RefCell::default(), dirs }
    }

    /// The `.pdata` entry covering `ip`, when its module and table are in the dump.
    pub fn lookup(&self, dump: &Dump, ip: u64) -> Option<RuntimeFunction> {
        let m = dump.modules().iter().find(|m| ip >= m.base && ip < m.end())?;
        let base = m.base;
        let mut tables = self.tables.borrow_mut();
        let t = tables.entry(base).or_insert_with(|| {
            read(dump, base)
                .or_else(|| self.file(base, m.file_name()).and_then(|f| table(&f.1, f.0.as_slice())))
                .unwrap_or_default()
        });
        let rva = u32::try_from(ip - base).ok()?;
        let i = t.partition_point(|e| e.0 <= rva).checked_sub(1)?;
        let (b, e, u) = t[i];
        (rva < e).then_some(RuntimeFunction { base, begin: b, end: e, unwind: u })
    }
}

impl NativeUnwind {
    /// The file of the module at `base` (same name in one of the dirs; the RVAs are the same).
    fn file(&self, base: u64, name: &str) -> Option<ImageFile> {
        let mut files = self.files.borrow_mut();
        files
            .entry(base)
            .or_insert_with(|| {
                let name = name.rsplit(['\\', '/']).next()?;
                let bytes = self.dirs.iter().find_map(|d| std::fs::read(d.join(name)).ok())?;
                let img = PeImage::parse(bytes.as_slice(), Layout::File).ok()?;
                Some(std::rc::Rc::new((bytes, img)))
            })
            .clone()
    }

    /// `len` bytes at `addr` from the file of the module holding it, when
    /// its pages are not in the dump (unwind data of heap-only dumps).
    pub fn file_bytes(&self, dump: &Dump, addr: u64, len: u32) -> Option<Vec<u8>> {
        let m = dump.modules().iter().find(|m| addr >= m.base && addr < m.end())?;
        let f = self.file(m.base, m.file_name())?;
        let rva = u32::try_from(addr - m.base).ok()?;
        f.1.read(f.0.as_slice(), rva, len, "image bytes").ok()
    }
}

fn read(dump: &Dump, base: u64) -> Option<Table> {
    let mem = dump.memory();
    let src =
        FnSource(|o: u64, b: &mut [u8]| mem.read_into(base.wrapping_add(o), b).map_err(|e| e.to_string()));
    let img = PeImage::parse(&src, Layout::Mapped).ok()?;
    table(&img, &src)
}

fn table(img: &PeImage, src: &(impl clr_heap::pe::ImageSource + ?Sized)) -> Option<Table> {
    let d = img.exception_directory();
    if d.is_empty() || d.size > MAX_PDATA {
        return None;
    }
    let raw = img.read(src, d.rva, d.size - d.size % 12, ".pdata").ok()?;
    let w = |c: &[u8], o: usize| u32::from_le_bytes([c[o], c[o + 1], c[o + 2], c[o + 3]]);
    let mut v: Vec<(u32, u32, u32)> = raw.chunks_exact(12).map(|c| (w(c, 0), w(c, 4), w(c, 8))).collect();
    v.sort_unstable();
    Some(v)
}
