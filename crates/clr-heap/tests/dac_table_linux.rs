//! The DAC table route on the real Linux dumps (CoreCLR 3.1.23, x64):
//! `g_dacTable` located through libcoreclr.so's `.symtab`, values read from
//! the core, names checked against the ELF symbols of the same variables.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use clr_heap::globals::dac_table::{
    DacTableError, RuntimeVersion, TableSource, Target, read_dac_table, read_dac_table_with_version,
};
use clr_heap::globals::elf_symbols::{RuntimeBinary, mangle_variable, mangle_vtable};
use clr_heap::runtime::discover::{find_sccsid, sccsid_in_dump};
use dump_format::{Dump, ModuleRecord};
use std::path::{Path, PathBuf};

fn generated() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/generated")
}

fn require() -> bool {
    std::env::var_os("CLRSCOPE_REQUIRE_FIXTURES").is_some()
}

/// The Linux dumps present; skips (or fails under CLRSCOPE_REQUIRE_FIXTURES) when none.
fn linux_dumps() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = ["linux-x64-3.1-wks", "linux-x64-3.1-svr", "linux-x64-3.1-wks-withheap"]
        .iter()
        .map(|d| generated().join(d).join("core"))
        .filter(|p| p.is_file())
        .collect();
    v.sort();
    if v.is_empty() {
        assert!(
            !require(),
            "CLRSCOPE_REQUIRE_FIXTURES is set but no Linux dump is in {}",
            generated().display()
        );
        eprintln!("skipped: no Linux dumps in {} (run fixtures/generate)", generated().display());
    }
    v
}

fn coreclr(dump: &Dump) -> ModuleRecord {
    dump.modules()
        .iter()
        .find(|m| m.file_name() == "libcoreclr.so")
        .cloned()
        .expect("libcoreclr.so in the module list")
}

/// The MethodTable the process recorded for `type_name` in `truth.json`
/// (the first `"type": "<name>",` followed by an `"mt"`), read without a
/// JSON parser; `None` also when the record names an assembly other than
/// System.Private.CoreLib (2.1's public Thread type lives in
/// System.Threading.Thread.dll and wraps CoreLib's RuntimeThread, which is
/// what `g_pThreadClass` holds there).
fn truth_mt(truth: &str, type_name: &str) -> Option<u64> {
    let key = format!("\"type\": \"{type_name}\",");
    let mut rest = truth;
    while let Some(i) = rest.find(&key) {
        rest = &rest[i + key.len()..];
        let window = &rest[..rest.len().min(300)];
        if let Some(j) = window.find("\"mt\": \"0x") {
            if window[..j].contains("\"assembly\": ")
                && !window[..j].contains("\"assembly\": \"System.Private.CoreLib\"")
            {
                return None;
            }
            let hex: String = window[j + 9..].chars().take_while(char::is_ascii_hexdigit).collect();
            return u64::from_str_radix(&hex, 16).ok();
        }
    }
    None
}

/// `g_pThreadClass` and `g_pStringClass` hold the MethodTables the process
/// itself recorded for System.Threading.Thread and System.String.
fn check_class_globals(
    mem: &dump_format::Memory<'_>,
    table: &clr_heap::globals::dac_table::DacTable,
    dir: &Path,
) {
    let Ok(truth) = std::fs::read_to_string(dir.join("truth.json")) else { return };
    for (var, ty) in [("g_pThreadClass", "System.Threading.Thread"), ("g_pStringClass", "System.String")] {
        let Some(want) = truth_mt(&truth, ty) else {
            eprintln!("  {ty}: no CoreLib MT in truth.json, {var} not compared");
            continue;
        };
        let at = table.address(var).unwrap_or_else(|| panic!("{var}"));
        assert_eq!(mem.ptr(at).expect("captured"), want, "{var} in {}", dir.display());
    }
}

#[test]
fn table_entries_equal_elf_symbols() {
    for path in linux_dumps() {
        let dump = Dump::open(&path).expect("dump opens");
        let clr = coreclr(&dump);
        let table = read_dac_table(&dump, &clr, None).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(table.target, Target::LinuxX64);
        assert_eq!(table.version.file_version, [4, 700, 22, 11601]);
        assert_eq!(table.source, TableSource::ElfSymbol { file: PathBuf::from(&clr.path) });
        assert_eq!((table.num_globals, table.num_vptrs), (109, 68));
        // Linux fills variables and vtables only; the five fn__ slots stay 0.
        assert_eq!(table.entries.len(), 104, "{}", path.display());
        assert_eq!(table.unset.len(), 5, "unset: {:?}", table.unset);
        assert_eq!(table.vtables.len(), 68);

        // Independent check, through the symbol table rather than the
        // route's own cross-check: ≥ 5 well-known variables sit where the
        // table says.
        let elf = RuntimeBinary::read(Path::new(&clr.path)).expect("ELF parses");
        let names = [
            "ThreadStore::s_pThreadStore",
            "g_pFreeObjectMethodTable",
            "g_gcDacGlobals",
            "g_pStringClass",
            "g_pObjectClass",
            "SystemDomain::m_pSystemDomain",
            "g_pGCHeap",
            "g_pFinalizerThread",
            "ExecutionManager::m_CodeRangeList",
            "g_pSyncTable",
        ];
        for name in names {
            let sym = elf.symbol(&mangle_variable(name)).unwrap_or_else(|| panic!("symbol of {name}"));
            let addr = table.address(name).unwrap_or_else(|| panic!("{name} in the table"));
            assert_eq!(addr, clr.base + sym.value - elf.load_start, "{name}");
        }
        for class in ["Thread", "InlinedCallFrame", "HelperMethodFrame", "GCFrame", "PEFile"] {
            let sym = elf.symbol(&mangle_vtable(class)).unwrap_or_else(|| panic!("vtable symbol of {class}"));
            assert_eq!(table.vtable(class), Some(clr.base + sym.value + 16 - elf.load_start), "{class}");
        }
        // The route itself compared every entry that has a symbol.
        assert!(table.symbol_checked >= 150, "only {} entries cross-checked", table.symbol_checked);
        eprintln!(
            "{}: {} variables, {} vtables, {} checked against .symtab",
            path.display(),
            table.entries.len(),
            table.vtables.len(),
            table.symbol_checked
        );
    }
}

#[test]
fn variables_hold_runtime_objects() {
    for path in linux_dumps() {
        let dump = Dump::open(&path).expect("dump opens");
        let clr = coreclr(&dump);
        let table = read_dac_table(&dump, &clr, None).expect("table");
        let mem = dump.memory();

        let free_var = table.address("g_pFreeObjectMethodTable").expect("g_pFreeObjectMethodTable");
        let free_mt = mem.ptr(free_var).expect("variable captured");
        assert_ne!(free_mt, 0);
        // Free-object MT: HasComponentSize, component size 1; base size 0x18 on x64.
        assert_eq!(mem.u32(free_mt).expect("MT flags"), 0x8000_0001, "{}", path.display());
        assert_eq!(mem.u32(free_mt + 4).expect("MT base size"), 0x18);

        let ts_var = table.address("ThreadStore::s_pThreadStore").expect("s_pThreadStore");
        let ts = mem.ptr(ts_var).expect("variable captured");
        assert_ne!(ts, 0);
        assert!(mem.u64(ts).is_ok(), "ThreadStore at {ts:#x} is not in committed memory");

        // g_gcDacGlobals points at GcDacVars: major version 1 or 2 in its first byte.
        check_class_globals(&mem, &table, path.parent().expect("dump dir"));

        let gc = mem.ptr(table.address("g_gcDacGlobals").expect("g_gcDacGlobals")).expect("captured");
        assert!(matches!(mem.u8(gc).expect("GcDacVars"), 1 | 2));
    }
}

#[test]
fn version_string_is_found_in_memory_and_file() {
    for path in linux_dumps() {
        let dump = Dump::open(&path).expect("dump opens");
        let clr = coreclr(&dump);
        let v = sccsid_in_dump(&dump, &clr).expect("@(#)Version in the module's memory");
        assert_eq!(v.file_version, [4, 700, 22, 11601]);
        assert_eq!(v.commit.as_deref(), Some("0dee78f90fc80c0fa4390ac1ba519c679bd503a4"));
        let file = std::fs::read(&clr.path).expect("runtime binary");
        assert_eq!(find_sccsid(&file), Some(v));
    }
}

#[test]
fn unknown_version_is_an_error_not_a_guess() {
    for path in linux_dumps().into_iter().take(1) {
        let dump = Dump::open(&path).expect("dump opens");
        let clr = coreclr(&dump);
        let v = RuntimeVersion::new([5, 0, 21, 52210]);
        match read_dac_table_with_version(&dump, &clr, None, Some(&v)) {
            Err(DacTableError::UnsupportedVersion { version, target, known, .. }) => {
                assert_eq!(version, "5.0.21.52210");
                assert_eq!(target, "Linux x64");
                assert!(known.iter().any(|k| k.contains("3.1")));
            }
            other => panic!("expected UnsupportedVersion, got {other:?}"),
        }
    }
}

#[test]
fn wrong_runtime_file_is_rejected() {
    let windows = generated()
        .join(".runtimes/dotnetcore2-3.1.23-win-x64/dotnetcore2/bin/shared/Microsoft.NETCore.App/3.1.23/coreclr.dll");
    for path in linux_dumps().into_iter().take(1) {
        let dump = Dump::open(&path).expect("dump opens");
        let clr = coreclr(&dump);
        // A PE file where an ELF is expected, and a file that does not exist.
        if windows.is_file() {
            assert!(read_dac_table(&dump, &clr, Some(&windows)).is_err());
        }
        let missing = Path::new("/nonexistent/libcoreclr.so");
        match read_dac_table(&dump, &clr, Some(missing)) {
            Err(DacTableError::File { path, .. }) => assert_eq!(path, missing),
            other => panic!("expected a File error, got {other:?}"),
        }
    }
}
