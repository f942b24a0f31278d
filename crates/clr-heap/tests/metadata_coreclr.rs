//! The reader against `System.Private.CoreLib.dll` of .NET Core 3.1, from the
//! runtimes the fixture script unpacks into `fixtures/generated/.runtimes/`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use clr_heap::metadata::Metadata;
use clr_heap::pe::{Layout, PeImage};
use common::*;
use std::path::PathBuf;

const LINUX_X64: &str = "dotnetcore2-3.1.23-linux-x64/dotnetcore2/bin/shared/Microsoft.NETCore.App/3.1.23/System.Private.CoreLib.dll";
const WIN_X64: &str = "dotnetcore2-3.1.23-win-x64/dotnetcore2/bin/shared/Microsoft.NETCore.App/3.1.23/System.Private.CoreLib.dll";
const WIN_X86: &str = "dotnetcore2-3.1.23-win-x86/dotnetcore2/bin/shared/Microsoft.NETCore.App/3.1.23/System.Private.CoreLib.dll";

/// The Linux runtime is what `fixtures/generate` always unpacks: required
/// under `CLRSCOPE_REQUIRE_FIXTURES`. The Windows ones are checked when present.
fn corelib(rel: &str, required: bool) -> Option<PathBuf> {
    let path = runtimes_dir().join(rel);
    if required {
        return fixture(&path, "run fixtures/generate");
    }
    if !path.is_file() {
        eprintln!("skipping optional {}: not unpacked", path.display());
    }
    path.is_file().then_some(path)
}

fn check_corelib(path: &std::path::Path, expect_pe32_plus: bool) {
    let file = std::fs::read(path).unwrap();
    let image = PeImage::parse(file.as_slice(), Layout::File).unwrap();
    assert_eq!(image.is_pe32_plus, expect_pe32_plus);
    let cli = image.cli.unwrap();
    assert_eq!((cli.major_runtime_version, cli.minor_runtime_version), (2, 5));
    // The shipped CoreLib is ReadyToRun: its header starts with "RTR".
    let rtr = image.ready_to_run_header_rva().expect("CoreLib 3.1 is ReadyToRun");
    assert_eq!(image.read(file.as_slice(), rtr, 4, "RTR header").unwrap(), b"RTR\0");
    assert!(!image.exception_directory().is_empty() || !expect_pe32_plus, "x64 R2R code has unwind data");
    let blob = image.metadata_slice(&file).unwrap();
    assert_eq!(image.read_metadata(file.as_slice()).unwrap(), blob);
    let md = Metadata::parse(blob).unwrap();

    let asm = md.assembly().unwrap().unwrap();
    assert_eq!(asm.name, "System.Private.CoreLib");
    assert_eq!(asm.version.to_string(), "4.0.0.0");
    assert_eq!(md.module_name().unwrap(), "System.Private.CoreLib.dll");
    assert_eq!(md.core_library_name().unwrap().unwrap(), "System.Private.CoreLib");

    // Names below were read from this very metadata (and agree with the
    // runtime's own field lists in clr-internals.md §9.1).
    let string = md.find_type_def("System", "String").unwrap().unwrap();
    assert_eq!(field_names(&md, string), ["_stringLength", "_firstChar", "Empty"]);
    let exception = md.find_type_def("System", "Exception").unwrap().unwrap();
    let fields = field_names(&md, exception);
    for want in ["_message", "_innerException", "_stackTrace", "_stackTraceString", "_HResult", "_xcode"] {
        assert!(fields.iter().any(|f| f == want), "System.Exception lacks {want}: {fields:?}");
    }
    let types: Vec<(String, String)> = md
        .fields_of(exception)
        .unwrap()
        .into_iter()
        .map(|f| (md.field(f).unwrap().name.into_owned(), md.field_type_name(f).unwrap()))
        .collect();
    for want in [
        ("_message", "System.String"),
        ("_innerException", "System.Exception"),
        ("_stackTrace", "System.Object"),
        ("_HResult", "System.Int32"),
    ] {
        assert!(types.iter().any(|(n, t)| (n.as_str(), t.as_str()) == want), "{want:?} not in {types:?}");
    }
    let thread = type_rid(&md, "System.Threading.Thread");
    let principal = md
        .fields_of(thread)
        .unwrap()
        .into_iter()
        .find(|&f| md.field(f).unwrap().name == "s_asyncLocalPrincipal");
    assert_eq!(
        md.field_type_name(principal.unwrap()).unwrap(),
        "System.Threading.AsyncLocal`1[[System.Security.Principal.IPrincipal, System.Private.CoreLib]]"
    );
    // The frame SOS prints for a thread blocked in Monitor.Wait.
    let monitor = type_rid(&md, "System.Threading.Monitor");
    let methods: Vec<String> =
        md.methods_of(monitor).unwrap().into_iter().map(|m| md.method_display_name(m).unwrap()).collect();
    for want in [
        "System.Threading.Monitor.ObjWait(Boolean, Int32, System.Object)",
        "System.Threading.Monitor.ReliableEnter(System.Object, Boolean ByRef)",
        "System.Threading.Monitor.Wait(System.Object, System.TimeSpan)",
    ] {
        assert!(methods.iter().any(|m| m == want), "{want} not in {methods:?}");
    }
    assert!(walk_everything(&md) > 25_000);
}

#[test]
fn corelib_31_linux_x64() {
    let Some(path) = corelib(LINUX_X64, true) else { return };
    check_corelib(&path, true);
}

#[test]
fn corelib_31_windows() {
    if let Some(path) = corelib(WIN_X64, false) {
        check_corelib(&path, true);
    }
    if let Some(path) = corelib(WIN_X86, false) {
        check_corelib(&path, false);
    }
}
