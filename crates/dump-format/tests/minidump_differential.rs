//! Differential test: on every MINIDUMP fixture, this crate and the
//! independent `minidump` crate (rust-minidump) must agree on threads,
//! modules, memory ranges and the exception record.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use dump_format::model::{DebugId, OsFamily};
use dump_format::{Dump, Format};
use minidump::{
    MinidumpException, MinidumpMiscInfo, MinidumpModuleList, MinidumpSystemInfo, MinidumpThreadList, Module,
};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures/third-party");

fn minidump_fixtures() -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(DIR)
        .expect("fixture directory")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| std::fs::read(p).is_ok_and(|b| b.starts_with(b"MDMP")))
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    out.sort();
    out
}

#[test]
fn agrees_with_rust_minidump() {
    let files = minidump_fixtures();
    assert!(files.len() >= 15, "found {} MINIDUMP fixtures", files.len());
    for path in &files {
        let bytes = std::fs::read(path).expect("read");
        let ours = Dump::from_bytes(bytes.clone()).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(ours.format(), Format::Minidump);
        let theirs =
            minidump::Minidump::read(&bytes[..]).unwrap_or_else(|e| panic!("{path}: rust-minidump: {e}"));
        threads(path, &ours, &theirs);
        modules(path, &ours, &theirs);
        memory(path, &ours, &theirs);
        exception(path, &ours, &theirs);
    }
}

fn threads(path: &str, ours: &Dump, theirs: &minidump::Minidump<'_, &[u8]>) {
    let list: MinidumpThreadList<'_> = theirs.get_stream().expect("thread list");
    let sys: MinidumpSystemInfo = theirs.get_stream().expect("system info");
    let misc: Option<MinidumpMiscInfo> = theirs.get_stream().ok();
    assert_eq!(ours.threads().len(), list.threads.len(), "{path}: thread count");
    for (a, b) in ours.threads().iter().zip(&list.threads) {
        assert_eq!(a.id, b.raw.thread_id, "{path}: thread id");
        let stack = (b.raw.stack.memory.data_size > 0)
            .then(|| (b.raw.stack.start_of_memory_range, u64::from(b.raw.stack.memory.data_size)));
        assert_eq!(a.stack, stack, "{path}: thread {} stack", a.id);
        let ip_b = b.context(&sys, misc.as_ref()).map(|c| c.get_instruction_pointer());
        let ip_a = a.context.map(|c| c.instruction_pointer());
        assert_eq!(ip_a, ip_b, "{path}: thread {} instruction pointer", a.id);
        let sp_b = b.context(&sys, misc.as_ref()).map(|c| c.get_stack_pointer());
        assert_eq!(a.context.map(|c| c.stack_pointer()), sp_b, "{path}: thread {} sp", a.id);
    }
}

fn modules(path: &str, ours: &Dump, theirs: &minidump::Minidump<'_, &[u8]>) {
    let list: MinidumpModuleList = theirs.get_stream().expect("module list");
    let theirs: Vec<_> = list.iter().collect();
    assert_eq!(ours.modules().len(), theirs.len(), "{path}: module count");
    let versioned_os = matches!(ours.system().os, OsFamily::Windows | OsFamily::Apple);
    for (a, b) in ours.modules().iter().zip(theirs) {
        let name = &a.path;
        assert_eq!(*name, b.code_file(), "{path}: module name");
        assert_eq!(a.base, b.base_address(), "{path}: {name} base");
        assert_eq!(a.size, b.size(), "{path}: {name} size");
        if let (true, Some(v)) = (versioned_os, b.version()) {
            let ours = a.file_version.map(|v| format!("{}.{}.{}.{}", v[0], v[1], v[2], v[3]));
            assert_eq!(ours.as_deref(), Some(&*v), "{path}: {name} version");
        }
        match &a.debug_id {
            Some(id @ DebugId::Pdb70 { pdb_name, .. }) => {
                let their_id = b.debug_identifier().expect("their debug id").breakpad().to_string();
                assert_eq!(id.key().to_uppercase(), their_id.to_uppercase(), "{path}: {name} PDB id");
                assert_eq!(Some(pdb_name.as_str()), b.debug_file().as_deref(), "{path}: {name} PDB name");
            }
            Some(DebugId::Pdb20 { pdb_name, .. }) => {
                assert_eq!(Some(pdb_name.as_str()), b.debug_file().as_deref(), "{path}: {name} PDB name");
            }
            Some(id @ DebugId::BuildId(bytes)) => {
                if bytes.iter().any(|&x| x != 0) {
                    let code = b.code_identifier().expect("their code id").to_string();
                    assert_eq!(id.key(), code.to_lowercase(), "{path}: {name} build id");
                }
            }
            None => assert!(b.debug_identifier().is_none(), "{path}: {name}: they found a debug id"),
        }
    }
}

fn memory(path: &str, ours: &Dump, theirs: &minidump::Minidump<'_, &[u8]>) {
    let mut a: Vec<(u64, u64)> = ours.memory().regions().iter().map(|r| (r.start, r.mem_len)).collect();
    let mut b: Vec<(u64, u64)> = theirs
        .get_memory()
        .map(|m| m.iter().map(|r| (r.base_address(), r.size())).filter(|r| r.1 > 0).collect())
        .unwrap_or_default();
    a.sort();
    b.sort();
    assert_eq!(a, b, "{path}: memory ranges");
    // Same bytes at the start of every range.
    if let Some(list) = theirs.get_memory() {
        for r in list.iter() {
            let n = r.size().min(64);
            if n == 0 {
                continue;
            }
            let got = ours.memory().read(r.base_address(), n).expect("read");
            assert_eq!(&*got, &r.bytes()[..n as usize], "{path}: bytes at {:#x}", r.base_address());
        }
    }
}

fn exception(path: &str, ours: &Dump, theirs: &minidump::Minidump<'_, &[u8]>) {
    let sys: MinidumpSystemInfo = theirs.get_stream().expect("system info");
    let misc: Option<MinidumpMiscInfo> = theirs.get_stream().ok();
    let theirs: Option<MinidumpException<'_>> = theirs.get_stream().ok();
    let (Some(a), Some(b)) = (ours.exception(), theirs.as_ref()) else {
        assert_eq!(ours.exception().is_some(), theirs.is_some(), "{path}: exception presence");
        return;
    };
    let r = &b.raw.exception_record;
    assert_eq!(a.thread_id, b.raw.thread_id, "{path}: exception thread");
    assert_eq!(a.code, r.exception_code, "{path}: exception code");
    assert_eq!(a.flags, r.exception_flags, "{path}: exception flags");
    assert_eq!(a.address, r.exception_address, "{path}: exception address");
    assert_eq!(a.nested_record, r.exception_record, "{path}: nested record");
    let n = (r.number_parameters as usize).min(15);
    assert_eq!(a.parameters, r.exception_information[..n], "{path}: exception parameters");
    let ip_b = b.context(&sys, misc.as_ref()).map(|c| c.get_instruction_pointer());
    assert_eq!(a.context.map(|c| c.instruction_pointer()), ip_b, "{path}: exception context ip");
}
