//! The symbols crate's view of libcoreclr.so on the generated Linux dumps:
//! with the runtime folder as the symbol path, the module's symbol file is
//! found (build id verified), the runtime's globals from its symbol table
//! equal what clr-heap found by its own routes, and code addresses name
//! their functions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use symbols::module::ModuleSymbols;
use symbols::store::{Access, Locator};
use symbols::{Key, SymbolPath, Symbolizer};

/// Data globals the runtime model reads (dacvars.h names).
const GLOBALS: &[&str] = &[
    "g_pStringClass",
    "g_pObjectClass",
    "g_pFreeObjectMethodTable",
    "g_pArrayClass",
    "g_gcDacGlobals",
    "g_pFinalizerThread",
    "g_pThreadClass",
    "g_pExceptionClass",
    "ThreadStore::s_pThreadStore",
    "SystemDomain::m_pSystemDomain",
    "AppDomain::m_pTheAppDomain",
    "SyncBlockCache::s_pSyncBlockCache",
    "ExecutionManager::m_CodeRangeList",
    "StubManager::g_pFirstManager",
];

fn runtime_dir(dir: &std::path::Path) -> PathBuf {
    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("info.json")).expect("info.json"))
            .expect("json");
    dir.join(info["runtime_dir"].as_str().expect("runtime_dir"))
}

#[test]
fn libcoreclr_globals_from_the_symbol_path_equal_clr_heaps() {
    for name in ["linux-x64-3.1-wks", "linux-x64-3.1-svr"] {
        let Some(dir) = testkit::generated(name) else { continue };
        let dump = dump_format::Dump::open(dir.join("core")).expect("open dump");
        let rt = clr_heap::Runtime::open(&dump, &testkit::clr_options(&dir)).expect("runtime");
        let coreclr =
            dump.modules().iter().find(|m| m.file_name() == "libcoreclr.so").expect("libcoreclr.so");

        let rdir = runtime_dir(&dir);
        let path = SymbolPath::parse(&rdir.display().to_string()).expect("path");
        let loc = Locator::new(path, Access::Offline).with_default_cache(None);
        let keys = Key::for_module(coreclr).expect("keys");
        let look = loc.locate(&keys[0]);
        let found = look.found.expect("libcoreclr.so found in the runtime folder");
        assert_eq!(found.path, rdir.join("libcoreclr.so"), "{name}");

        let syms = ModuleSymbols::load(coreclr, &loc).expect("symbols");
        let mut compared = 0;
        for g in GLOBALS {
            let Some(want) = rt.globals.address(g) else { continue };
            assert_eq!(syms.address_of(g), Some(want), "{name}: {g}");
            compared += 1;
        }
        eprintln!("{name}: {compared} globals equal");
        assert!(compared >= 10, "{name}: only {compared} globals known to clr-heap");

        // Code: an exported function's address names it.
        let sym = Symbolizer::new(dump.modules(), &loc);
        let init = syms.address_of("coreclr_initialize").expect("coreclr_initialize");
        let s = sym.symbolize(init + 4).expect("inside libcoreclr.so");
        assert_eq!(s.to_string(), "libcoreclr.so!coreclr_initialize+0x4", "{name}");
    }
}
