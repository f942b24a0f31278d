//! The runtime model's entry point: [`Runtime`] (ClrMD's `ClrRuntime`).
//!
//! Opening one finds the runtime module, picks the layout family, collects
//! the runtime's globals by every route that works, reads the GC's own
//! description of its heap, and records what was found and every check in
//! [`Diagnostics`]. What cannot be found is reported with the reason — never
//! guessed.

pub mod diagnostics;
pub mod discover;
pub mod layout;
mod verify;

pub use diagnostics::Diagnostics;
pub use discover::{Flavor, RuntimeModule, Version, find_runtime};
pub use layout::{Family, Layout};

use crate::error::{ClrError, Result};
use crate::gc::dacvars::GcDacVars;
use crate::gc::heap::GcHeap;
use crate::gc::walk::{HeapWalk, MtCache};
use crate::globals::{Globals, Route, dac_table, elf_symbols};
use dump_format::Dump;
use dump_format::model::OsFamily;
use std::path::PathBuf;

/// Where to look for files the dump does not contain.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Directories that may hold the runtime binary (libcoreclr.so, coreclr.dll, clr.dll).
    pub runtime_dirs: Vec<PathBuf>,
    /// Directories that may hold assemblies whose images are missing from the dump.
    pub assembly_dirs: Vec<PathBuf>,
    /// Ignore the runtime's own tables (GcDacVars) and find the heap by
    /// segment signature scan only: the route used when no table is
    /// reachable; tests use it to prove that route on dumps with tables.
    pub ignore_tables: bool,
}

/// A CLR runtime found in a dump.
pub struct Runtime<'d> {
    /// The dump.
    pub dump: &'d Dump,
    /// The runtime module and its version.
    pub module: RuntimeModule,
    /// The layout family.
    pub family: Family,
    /// The candidate layout (validated by the checks in `diagnostics`).
    pub layout: Layout,
    /// The runtime's globals.
    pub globals: Globals,
    /// The GC's debugger table, when found.
    pub gc_vars: Option<GcDacVars>,
    /// The GC heap, or why it could not be read.
    pub heap: std::result::Result<GcHeap, String>,
    /// What was found, how, and every check.
    pub diagnostics: Diagnostics,
    /// Options the runtime was opened with.
    pub options: Options,
}

impl<'d> Runtime<'d> {
    /// Finds and opens the runtime of `dump`.
    ///
    /// ```no_run
    /// let dump = dump_format::Dump::open("core.1234")?;
    /// let rt = clr_heap::runtime::Runtime::open(&dump, &Default::default())?;
    /// println!("{} {}", rt.module.flavor.name(), rt.module.product());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(dump: &'d Dump, options: &Options) -> Result<Runtime<'d>> {
        Self::open_with_layout(dump, options, |_| {})
    }

    /// As [`Runtime::open`], with the candidate layout changed by `tweak`
    /// before anything is read: the tests use it to prove that a wrong offset
    /// is caught by the checks instead of producing invented answers.
    pub fn open_with_layout(
        dump: &'d Dump,
        options: &Options,
        tweak: impl FnOnce(&mut Layout),
    ) -> Result<Runtime<'d>> {
        let module = find_runtime(dump)?;
        let mut diag = Diagnostics::default();
        diag.found(
            format!("{} runtime {} ({})", module.flavor.name(), module.product(), module.module.path),
            format!("module list; version from {}", module.version_source),
        );
        let family = Family::of(&module).ok_or_else(|| {
            ClrError::Unsupported(format!(
                "{} with file version {} has no known layout family",
                module.module.file_name(),
                module.file_version.map(|v| v.to_string()).unwrap_or_else(|| "unknown".into())
            ))
        })?;
        if family == Family::Core9Plus {
            // Its layouts are not the 2.x-8 ones; they must come from the
            // runtime's contract descriptor, which is not read yet.
            return Err(ClrError::Unsupported(format!(
                "{} {}: .NET 9+ layouts come from the runtime's contract descriptor, which clrscope does not read yet",
                module.module.file_name(),
                module.product()
            )));
        }
        let windows = dump.system().os == OsFamily::Windows;
        let mut layout = Layout::new(family, dump.arch().pointer_size() as u64, windows);
        tweak(&mut layout);
        diag.found(format!("layout family {}", family.name()), "runtime file version");

        let mut globals = Globals::default();
        let mut tried = Vec::new();
        // The runtime binary is read once, for both routes that need it.
        let mut binary = None;
        if !windows {
            match elf_symbols::load(&module.module, &options.runtime_dirs) {
                Ok(bin) => {
                    let how = format!("{}", bin.path.display());
                    globals.merge(Route::ElfSymbols, bin.globals(module.module.base), &mut diag);
                    diag.found("runtime symbols", how);
                    binary = Some(bin);
                }
                Err(e) => tried.push(format!("ELF symbols: {e}")),
            }
        }
        let version = module.runtime_version();
        let table = match &binary {
            Some(bin) => dac_table::read_dac_table_with_binary(dump, &module.module, bin, version.as_ref()),
            None => {
                let runtime_file = elf_symbols::candidates(&module.module, &options.runtime_dirs)
                    .into_iter()
                    .find(|p| p.is_file());
                dac_table::read_dac_table_with_version(
                    dump,
                    &module.module,
                    runtime_file.as_deref(),
                    version.as_ref(),
                )
            }
        };
        drop(binary);
        match table {
            Ok(table) => {
                let found = table.entries.iter().map(|e| (e.name.to_string(), e.address));
                globals.merge(Route::DacTable, found, &mut diag);
            }
            Err(e) => tried.push(format!("DAC table: {e}")),
        }
        for t in &tried {
            diag.check("globals route", false, t.clone());
        }

        let mem = dump.memory();
        calibrate_pointers(dump, &globals, &mut layout, &mut diag);
        let mut gc_vars = None;
        let tables = if options.ignore_tables { None } else { globals.address("g_gcDacGlobals") };
        let heap = match tables {
            None if options.ignore_tables => {
                Err("the runtime tables are ignored (ignore_tables)".to_string())
            }
            None => Err(format!(
                "g_gcDacGlobals not found ({})",
                if tried.is_empty() { "no route named it".into() } else { tried.join("; ") }
            )),
            Some(var) => match mem.ptr(var) {
                Err(e) => Err(format!("g_gcDacGlobals at {var:#x}: {e}")),
                Ok(table) => match GcDacVars::read(&mem, table) {
                    Err(e) => Err(e.to_string()),
                    Ok(v) => {
                        let h = GcHeap::read(&mem, &layout, &v, &mut diag).map_err(|e| e.to_string());
                        gc_vars = Some(v);
                        h
                    }
                },
            },
        };
        let heap = match heap {
            Ok(h) => Ok(h),
            Err(table_error) => {
                // No table: the heap by signature scan, each step validated.
                let free = globals.address("g_pFreeObjectMethodTable").and_then(|v| mem.ptr(v).ok());
                let mut cache = MtCache::new(free.filter(|&f| f != 0));
                let scanned = crate::gc::scan::scan_segments(&mem, &layout, &mut cache);
                match GcHeap::from_scan(&mem, &layout, &scanned, &mut cache, &mut diag) {
                    Ok(h) => {
                        diag.check("GC heap from the runtime tables", false, table_error);
                        Ok(h)
                    }
                    Err(e) => Err(format!("{table_error}; signature scan: {e}")),
                }
            }
        };
        if globals.is_empty() && heap.is_err() {
            return Err(ClrError::GlobalsNotFound { tried });
        }
        let mut rt = Runtime {
            dump,
            module,
            family,
            layout,
            globals,
            gc_vars,
            heap,
            diagnostics: diag,
            options: options.clone(),
        };
        rt.cross_check();
        Ok(rt)
    }

    /// Adds allocation contexts known from elsewhere (each managed thread's
    /// `m_alloc_context`, read by `clr-stack`): the heap walk then skips them
    /// exactly instead of recognising them by their zero fill. Contexts that
    /// lie outside every small-object segment are ignored.
    pub fn add_alloc_contexts(&mut self, contexts: impl IntoIterator<Item = (u64, u64)>) {
        let Ok(heap) = self.heap.as_mut() else { return };
        let mut added = 0;
        for (ptr, limit) in contexts {
            let inside = heap.segments.iter().any(|s| ptr >= s.start && limit <= s.committed && ptr < limit);
            if inside && !heap.alloc_contexts.contains(&(ptr, limit)) {
                heap.alloc_contexts.push((ptr, limit));
                added += 1;
            }
        }
        self.diagnostics
            .found(format!("{added} thread allocation contexts"), "the managed threads' m_alloc_context");
    }

    /// The free-space MethodTable, from `g_pFreeObjectMethodTable`.
    pub fn free_mt(&self) -> Option<u64> {
        let var = self.globals.address("g_pFreeObjectMethodTable")?;
        self.dump.memory().ptr(var).ok().filter(|&v| v != 0)
    }

    /// A MethodTable cache primed with what the runtime's globals tell.
    pub fn mt_cache(&self) -> MtCache {
        MtCache::new(self.free_mt())
    }

    /// Walks the GC heap; `Err` when the heap could not be read.
    pub fn walk<'a>(&'a self, cache: &'a mut MtCache) -> Result<HeapWalk<'a, 'd>> {
        let heap = self.heap.as_ref().map_err(|e| ClrError::Unsupported(format!("GC heap: {e}")))?;
        Ok(HeapWalk::new(self.dump.memory(), &self.layout, heap, cache))
    }
}

/// Decides whether the runtime stores the EEClass → MethodTable back pointer
/// (and its siblings) as plain or self-relative pointers: the reference says
/// relative for CoreCLR 2.x–6, but only NGEN-capable builds do that. The
/// round trip of well-known MethodTables decides.
fn calibrate_pointers(dump: &Dump, globals: &Globals, layout: &mut Layout, diag: &mut Diagnostics) {
    let mem = dump.memory();
    let samples: Vec<u64> = ["g_pStringClass", "g_pObjectClass", "g_pExceptionClass"]
        .iter()
        .filter_map(|n| globals.address(n))
        .filter_map(|v| mem.ptr(v).ok())
        .filter(|&mt| mt != 0)
        .collect();
    if samples.is_empty() {
        diag.check(
            "pointer kind calibration",
            false,
            "no well-known MethodTable to calibrate on; keeping the family's expectation",
        );
        return;
    }
    let expected = layout.relative;
    for relative in [expected, !expected] {
        layout.relative = relative;
        let ok = samples.iter().all(|&mt| {
            crate::types::method_table::MethodTableInfo::read(&mem, layout, mt)
                .is_some_and(|i| crate::types::method_table::round_trip(&mem, layout, &i))
        });
        if ok {
            diag.check(
                "EEClass back pointers round-trip",
                true,
                format!(
                    "{} pointers on {} well-known MethodTables{}",
                    if relative { "self-relative" } else { "plain" },
                    samples.len(),
                    if relative == expected {
                        String::new()
                    } else {
                        " (the family's candidate failed)".into()
                    }
                ),
            );
            return;
        }
    }
    layout.relative = expected;
    diag.check(
        "EEClass back pointers round-trip",
        false,
        "neither plain nor self-relative pointers round-trip",
    );
}
