//! Address → `module!function+0xoffset [file @ line]` over a dump's
//! modules, loading each module's symbols on first use (a stack touches a
//! handful of the hundreds of modules a process has).

use crate::module::ModuleSymbols;
use crate::store::Locator;
use dump_format::ModuleRecord;
use std::cell::OnceCell;

/// A symbolized address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symbol {
    /// The module's name as debuggers print it (`coreclr`, `libcoreclr.so`).
    pub module: String,
    /// The function, when the module's symbols name one.
    pub function: Option<String>,
    /// Bytes past the function's start (or past the module's base without one).
    pub offset: u64,
    /// Source file and line, when the symbols have line information.
    pub file_line: Option<(String, u32)>,
}

impl std::fmt::Display for Symbol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.function {
            Some(func) => write!(f, "{}!{func}+{:#x}", self.module, self.offset)?,
            None => write!(f, "{}+{:#x}", self.module, self.offset)?,
        }
        if let Some((file, line)) = &self.file_line {
            write!(f, " [{file} @ {line}]")?;
        }
        Ok(())
    }
}

struct Entry {
    record: ModuleRecord,
    symbols: OnceCell<Option<ModuleSymbols>>,
}

/// Symbolizes addresses of one dumped process.
///
/// ```no_run
/// use symbols::{SymbolPath, store::{Access, Locator}, Symbolizer};
/// let dump = dump_format::Dump::open("core")?;
/// let loc = Locator::new(SymbolPath::from_env()?, Access::Offline);
/// let s = Symbolizer::new(dump.modules(), &loc);
/// if let Some(sym) = s.symbolize(0x7f00_1234_5678) {
///     println!("{sym}"); // libcoreclr.so!Thread::DoAppropriateWait+0x1a
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Symbolizer<'l> {
    locator: &'l Locator,
    modules: Vec<Entry>,
}

impl<'l> Symbolizer<'l> {
    /// A symbolizer over `modules` (any order; overlapping records keep the
    /// first by base).
    pub fn new(modules: &[ModuleRecord], locator: &'l Locator) -> Symbolizer<'l> {
        let mut modules: Vec<Entry> =
            modules.iter().map(|m| Entry { record: m.clone(), symbols: OnceCell::new() }).collect();
        modules.sort_by_key(|e| e.record.base);
        Symbolizer { locator, modules }
    }

    /// The module holding `addr`, its symbols loaded (or `None` when there
    /// are none to be found).
    pub fn module_at(&self, addr: u64) -> Option<(&ModuleRecord, Option<&ModuleSymbols>)> {
        let i = self.modules.partition_point(|e| e.record.base <= addr).checked_sub(1)?;
        let e = &self.modules[i];
        if addr >= e.record.end() {
            return None;
        }
        let syms = e.symbols.get_or_init(|| ModuleSymbols::load(&e.record, self.locator).ok());
        Some((&e.record, syms.as_ref()))
    }

    /// Names `addr`: `None` outside every module; `module+0xoffset` in a
    /// module without symbols or between its functions.
    pub fn symbolize(&self, addr: u64) -> Option<Symbol> {
        let (m, syms) = self.module_at(addr)?;
        let module = display_name(m.file_name());
        if let Some(hit) = syms.and_then(|s| s.lookup(addr)) {
            return Some(Symbol {
                module,
                function: Some(hit.name.to_string()),
                offset: hit.offset,
                file_line: hit.file_line.map(|(f, l)| (f.to_string(), l)),
            });
        }
        Some(Symbol { module, function: None, offset: addr - m.base, file_line: None })
    }
}

/// WinDbg names PE modules without their extension (`coreclr`); ELF
/// modules keep their file name (`libcoreclr.so`), as SOS on Linux does.
fn display_name(file: &str) -> String {
    let lower = file.to_ascii_lowercase();
    for ext in [".dll", ".exe", ".sys"] {
        if lower.ends_with(ext) {
            return file[..file.len() - ext.len()].to_string();
        }
    }
    file.to_string()
}
