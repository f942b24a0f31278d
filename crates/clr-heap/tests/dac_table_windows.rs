//! The DAC table route on real Windows runtimes: the
//! `COREXTERNALDATAACCESSRESOURCE` resource of coreclr.dll 3.1.23 (x64, x86)
//! and 2.1.30 (x86) read from disk, and from the Windows dumps when the
//! fixture script has made them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use clr_heap::globals::dac_table::{
    DacTableError, RuntimeVersion, TableSource, Target, read_dac_table, read_dac_table_from_pe_file,
};
use dump_format::Dump;
use std::path::{Path, PathBuf};

fn generated() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/generated")
}

fn require() -> bool {
    std::env::var_os("CLRSCOPE_REQUIRE_FIXTURES").is_some()
}

fn skip(what: &str) {
    assert!(!require(), "CLRSCOPE_REQUIRE_FIXTURES is set but {what}");
    eprintln!("skipped: {what}");
}

struct Runtime {
    dir: &'static str,
    version_dir: &'static str,
    target: Target,
    file_version: [u16; 4],
    globals: u32,
    vptrs: u32,
}

const RUNTIMES: &[Runtime] = &[
    Runtime {
        dir: "dotnetcore2-3.1.23-win-x64",
        version_dir: "3.1.23",
        target: Target::WindowsX64,
        file_version: [4, 700, 22, 11601],
        globals: 121,
        vptrs: 73,
    },
    Runtime {
        dir: "dotnetcore2-3.1.23-win-x86",
        version_dir: "3.1.23",
        target: Target::WindowsX86,
        file_version: [4, 700, 22, 11601],
        globals: 121,
        vptrs: 73,
    },
    Runtime {
        dir: "dotnetcore2-2.1.23-win-x86",
        version_dir: "2.1.30",
        target: Target::WindowsX86,
        file_version: [4, 6, 30411, 1],
        globals: 131,
        vptrs: 76,
    },
];

fn coreclr_path(r: &Runtime) -> PathBuf {
    generated()
        .join(".runtimes")
        .join(r.dir)
        .join("dotnetcore2/bin/shared/Microsoft.NETCore.App")
        .join(r.version_dir)
        .join("coreclr.dll")
}

#[test]
fn resource_counts_equal_the_name_lists() {
    for r in RUNTIMES {
        let path = coreclr_path(r);
        let Ok(bytes) = std::fs::read(&path) else {
            skip(&format!("{} is missing (run fixtures/generate)", path.display()));
            continue;
        };
        let name = path.display().to_string();
        let t = read_dac_table_from_pe_file(&bytes, &name, 0, None).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(t.target, r.target, "{name}");
        assert_eq!(t.version.file_version, r.file_version, "{name}");
        assert_eq!((t.num_globals, t.num_vptrs), (r.globals, r.vptrs), "{name}");
        assert_eq!(t.entries.len() + t.functions.len(), r.globals as usize, "{name}: every global is set");
        assert_eq!(t.vtables.len(), r.vptrs as usize);
        assert!(t.unset.is_empty(), "{name}: unset {:?}", t.unset);
        assert_eq!(t.source, TableSource::Resource { in_dump: false });
        // id[0] is the PE timestamp (checked by the route), id[1..] are zero.
        assert_eq!(t.table_id.map(|id| id[1..] == [0, 0, 0]), Some(true));
        // With base 0 the addresses are the RVAs.
        for e in &t.entries {
            assert_eq!(e.address, u64::from(e.rva));
        }
        for name in
            ["ThreadStore::s_pThreadStore", "g_pFreeObjectMethodTable", "g_gcDacGlobals", "g_pStringClass"]
        {
            assert!(t.address(name).is_some(), "{name}");
        }
        assert!(t.function("ThePreStub").is_some());
        assert!(t.vtable("InlinedCallFrame").is_some());
        eprintln!("{}: {} ({})", path.display(), t.names_from, t.version);
    }
}

#[test]
fn version_outside_the_known_lines_is_refused() {
    let r = &RUNTIMES[0];
    let path = coreclr_path(r);
    let Ok(bytes) = std::fs::read(&path) else {
        return skip(&format!("{} is missing", path.display()));
    };
    let name = path.display().to_string();
    // .NET Framework 4.8's clr.dll numbers, and .NET 5's.
    for v in [[4, 8, 4515, 0], [5, 0, 21, 52210]] {
        match read_dac_table_from_pe_file(&bytes, &name, 0, Some(&RuntimeVersion::new(v))) {
            Err(DacTableError::UnsupportedVersion { target, known, .. }) => {
                assert_eq!(target, "Windows x64");
                assert_eq!(known.len(), 4);
            }
            other => panic!("expected UnsupportedVersion, got {other:?}"),
        }
    }
    // The 2.1 line's list on a 3.1 binary: the header counts refuse it.
    let wrong = RuntimeVersion::new([4, 6, 30411, 1]);
    let x86 = std::fs::read(coreclr_path(&RUNTIMES[1])).unwrap_or_default();
    if !x86.is_empty() {
        match read_dac_table_from_pe_file(&x86, "coreclr.dll (3.1 x86)", 0, Some(&wrong)) {
            Err(DacTableError::CountMismatch { found_globals: 121, expected_globals: 131, .. }) => {}
            other => panic!("expected CountMismatch, got {other:?}"),
        }
    }
}

/// The Windows dumps made by the fixture script (`win*/dump.dmp`).
fn windows_dumps() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(generated())
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().starts_with("win"))
                .map(|e| e.path().join("dump.dmp"))
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
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
fn windows_dumps_name_their_globals() {
    let dumps = windows_dumps();
    if dumps.is_empty() {
        return skip(&format!("no Windows dumps (win*/dump.dmp) in {}", generated().display()));
    }
    for path in dumps {
        let dump = Dump::open(&path).expect("dump opens");
        let Some(clr) = dump.modules().iter().find(|m| m.file_name().eq_ignore_ascii_case("coreclr.dll"))
        else {
            panic!("{}: no coreclr.dll module", path.display());
        };
        // The runtime file on disk, for the case the resource pages are not
        // in the dump: the fixture runtime of the same build.
        let file = RUNTIMES.iter().map(coreclr_path).find(|p| {
            std::fs::read(p).is_ok_and(|b| {
                read_dac_table_from_pe_file(&b, "", 0, None)
                    .is_ok_and(|t| clr.timestamp.is_none_or(|ts| t.table_id.is_some_and(|id| id[0] == ts)))
            })
        });
        let t =
            read_dac_table(&dump, clr, file.as_deref()).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if t.source == (TableSource::Resource { in_dump: false }) {
            // The resource pages were not captured: without the file the
            // route must say so, naming both attempts.
            match read_dac_table(&dump, clr, None) {
                Err(DacTableError::BothFailed { in_dump, .. }) => assert!(in_dump.is_not_captured()),
                other => panic!("{}: expected BothFailed, got {other:?}", path.display()),
            }
        }
        let mem = dump.memory();
        let ptr = mem.pointer_size() as u64;
        eprintln!("{}: {} source {:?}", path.display(), t.names_from, t.source);
        assert_eq!(t.target, if ptr == 8 { Target::WindowsX64 } else { Target::WindowsX86 });

        // A dump without the runtime's data pages (`withheap`: private
        // memory only) names the variables but cannot show their values.
        let full = std::fs::read_to_string(path.with_file_name("info.json"))
            .is_ok_and(|s| s.contains("\"dump_kind\": \"full\""));
        let free_var = t.address("g_pFreeObjectMethodTable").expect("free MT variable");
        let free = match mem.ptr(free_var) {
            Ok(p) => p,
            Err(e) if !full => {
                eprintln!("  variable values not captured in this dump kind ({e}); names only");
                continue;
            }
            Err(e) => panic!("{}: g_pFreeObjectMethodTable at {free_var:#x}: {e}", path.display()),
        };
        assert_eq!(mem.u32(free).expect("MT flags"), 0x8000_0001, "{}", path.display());
        assert_eq!(u64::from(mem.u32(free + 4).expect("base size")), 3 * ptr);

        let ts =
            mem.ptr(t.address("ThreadStore::s_pThreadStore").expect("s_pThreadStore")).expect("captured");
        assert_ne!(ts, 0);
        assert!(mem.u32(ts).is_ok(), "ThreadStore at {ts:#x} not captured");

        // Windows-only globals that name the module itself.
        check_class_globals(&mem, &t, path.parent().expect("dump dir"));

        let base_var = t.address("g_runtimeLoadedBaseAddress").expect("Windows-only variable");
        assert_eq!(mem.ptr(base_var).expect("captured"), clr.base, "g_runtimeLoadedBaseAddress");
        let size_var = t.address("g_runtimeVirtualSize").expect("Windows-only variable");
        assert_eq!(mem.ptr(size_var).expect("captured"), clr.size, "g_runtimeVirtualSize");
    }
}
