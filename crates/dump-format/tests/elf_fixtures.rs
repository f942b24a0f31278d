//! The third-party ELF cores open and say what their catalog entries say;
//! registers, NT_FILE and PT_LOAD values agree with `gdb`/`llvm-readelf`
//! (checked by hand once, encoded here); the memory reader behaves on them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use dump_format::context::ThreadContext;
use dump_format::elf::segments::PT_LOAD;
use dump_format::model::DebugId;
use dump_format::{Arch, Dump, Format, ReadError};
use serde_json::Value;
use std::collections::BTreeMap;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures/third-party");

fn open(name: &str) -> Dump {
    Dump::open(format!("{DIR}/{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn catalog() -> Vec<Value> {
    let text = std::fs::read_to_string(format!("{DIR}/catalog.json")).expect("catalog.json");
    let v: Value = serde_json::from_str(&text).expect("catalog.json parses");
    v.as_array().expect("catalog is an array").clone()
}

#[test]
fn every_catalogued_elf_core_matches_its_entry() {
    let elf: Vec<Value> = catalog().into_iter().filter(|e| e["format"] == "ELF").collect();
    assert_eq!(elf.len(), 3, "the catalog lists three ELF cores");
    for e in &elf {
        let name = e["file"].as_str().expect("file");
        let d = open(name);
        assert_eq!(d.format(), Format::ElfCore, "{name}");
        assert_eq!(d.bytes().len() as u64, e["size"].as_u64().expect("size"), "{name}");
        let core = d.elf().expect("typed ELF access");
        assert_eq!(u64::from(core.header().e_type), e["e_type"].as_u64().expect("e_type"));
        let (machine, arch) = match e["machine"].as_str().expect("machine") {
            "i386" => (3, Arch::X86),
            "x86_64" => (62, Arch::X64),
            m => panic!("{name}: unexpected machine {m}"),
        };
        assert_eq!(core.header().machine, machine, "{name}");
        assert_eq!(d.arch(), arch, "{name}");
        assert_eq!(d.system().os.name(), "linux");
        assert_eq!(d.system().os_version, None, "{name}: nothing in a core says the version");

        // Threads and process.
        assert_eq!(d.threads().len() as u64, e["threads"].as_u64().expect("threads"), "{name}");
        assert!(d.threads().iter().all(|t| t.context.is_some()), "{name}: every thread has registers");
        assert_eq!(d.process().name.as_deref(), e["process"].as_str(), "{name}");
        let ps = core.prpsinfo().expect("NT_PRPSINFO");
        assert_eq!(ps.psargs, e["psargs"].as_str().expect("psargs"), "{name}");
        let trimmed = e["psargs"].as_str().expect("psargs").trim_end();
        assert_eq!(d.process().command_line.as_deref(), (!trimmed.is_empty()).then_some(trimmed));

        // Segments.
        let loads: Vec<_> = core.load_segments().collect();
        assert_eq!(loads.len() as u64, e["pt_load"].as_u64().expect("pt_load"), "{name}");
        let filesz: u64 = loads.iter().map(|s| s.filesz).sum();
        assert_eq!(filesz, e["pt_load_filesz"].as_u64().expect("pt_load_filesz"), "{name}");
        assert_eq!(d.regions().len(), loads.len(), "{name}: one region per PT_LOAD");
        assert_eq!(d.memory().captured_bytes(), filesz, "{name}");
        assert!(d.warnings().is_empty(), "{name}: {:?}", d.warnings());

        // Notes by type, as `info` lists them.
        let mut counts: BTreeMap<String, u64> = BTreeMap::new();
        for n in core.note_entries() {
            *counts.entry(n.name()).or_default() += 1;
        }
        let want: BTreeMap<String, u64> = e["notes"]
            .as_object()
            .expect("notes")
            .iter()
            .map(|(k, v)| (k.clone(), v.as_u64().expect("count")))
            .collect();
        assert_eq!(counts, want, "{name}");
        let note_streams = d.streams().iter().filter(|s| !s.name.starts_with("PT_LOAD")).count();
        assert_eq!(note_streams, core.note_entries().len(), "{name}");
        let summary = d.streams().last().expect("PT_LOAD summary");
        assert_eq!((summary.kind, summary.size), (PT_LOAD, filesz), "{name}");

        // Mapped files and modules.
        let mapped = e["mapped_files_count"].as_u64().expect("mapped_files_count");
        assert_eq!(d.modules().len() as u64, mapped, "{name}");
        if mapped == 0 {
            assert!(core.mapped_files().is_err(), "{name}: no NT_FILE");
        }
        for f in e["interesting_files"].as_array().expect("interesting_files") {
            let f = f.as_str().expect("path");
            assert!(d.modules().iter().any(|m| m.path == f), "{name}: module {f} missing");
        }
    }
}

#[test]
fn i386_gcore_registers_agree_with_gdb() {
    let d = open("lldb-gcore-linux-i386.core");
    // `gdb -batch -ex 'thread apply all info registers eip esp ebp eax' -c …`
    let want = [
        (5586, 0xf771_cc99, 0xffb7_c2b0, 0xf0, 0xffff_fe00),
        (5588, 0x0804_8b20, 0xf771_7270, 0xf771_72a8, 1),
        (5589, 0x0804_8a94, 0xf771_32a4, 0xf771_32a8, 0x0804_c090),
    ];
    assert_eq!(d.threads().len(), want.len());
    for (t, (id, eip, esp, ebp, eax)) in d.threads().iter().zip(want) {
        assert_eq!(t.id, id);
        let Some(ThreadContext::X86(r)) = t.context else { panic!("x86 context") };
        assert_eq!((r.eip, r.esp, r.ebp, r.eax), (eip, esp, ebp, eax), "thread {id}");
        assert_eq!((r.cs, r.ss, r.ds, r.gs), (0x23, 0x2b, 0x2b, 0x63), "thread {id}");
    }
    let core = d.elf().expect("elf");
    let st: Vec<_> = core.prstatus().collect::<Result<_, _>>().expect("prstatus");
    let regs = st[0].named_regs(3);
    assert!(regs.contains(&("orig_eax", 0xf0)));
    // gcore of a live process: every thread was stopped (SIGSTOP in
    // NT_SIGINFO) but none was receiving a signal; gdb reports no signal.
    assert!(st.iter().all(|s| s.cursig == 0));
    assert!(core.siginfo().all(|s| s.expect("siginfo").signo == 19));
    assert_eq!(d.exception(), None);
    assert_eq!(d.process().pid, Some(5586));
    let auxv = core.auxv().expect("auxv");
    let page = auxv.iter().find(|a| a.name() == Some("AT_PAGESZ")).expect("AT_PAGESZ");
    assert_eq!(page.value, 0x1000);
    // The one PT_LOAD (the vDSO, `readelf -l`): 0xf771c000, 0x2000 bytes at 0xf6c, R E.
    let r = &d.regions()[0];
    assert_eq!((r.base, r.size, r.captured, r.protect), (0xf771_c000, 0x2000, 0x2000, Some(0x20)));
    // No thread's stack pointer is in it.
    assert!(d.threads().iter().all(|t| t.stack.is_none()));
}

#[test]
fn x86_64_thread_crash_agrees_with_gdb_and_readelf() {
    let d = open("lldb-thread_crash-linux-x86_64.core");
    // gdb: `Program terminated with signal SIGILL`; threads LWP 5250, 5222, 5249.
    let want = [
        (5250, 0x7fc2_9434_a53f, 0x7fc2_9501_6de8, 0x7fc2_9501_6e90, 0x7fc2_9501_7700),
        (5222, 0x40_0cf2, 0x7ffe_323a_9640, 0x7ffe_323a_9680, 0x7fc2_94ff_f740),
        (5249, 0x40_0cec, 0x7fc2_9501_ee30, 0x7fc2_9501_ee70, 0x7fc2_9501_f700),
    ];
    for (t, (id, rip, rsp, rbp, fs_base)) in d.threads().iter().zip(want) {
        assert_eq!(t.id, id);
        let Some(ThreadContext::X64(r)) = t.context else { panic!("x64 context") };
        assert_eq!((r.rip, r.rsp, r.rbp, r.fs_base), (rip, rsp, rbp, fs_base), "thread {id}");
        assert_eq!((r.cs, r.ss), (0x33, 0x2b));
        let (lo, size) = t.stack.expect("stack segment");
        assert!(rsp >= lo && rsp < lo + size, "thread {id}");
    }
    assert_eq!(d.threads()[1].stack, Some((0x7ffe_323a_4000, 0x8000)));
    let ex = d.exception().expect("SIGILL");
    assert_eq!((ex.thread_id, ex.code), (5250, 4));
    // Sent with tgkill (si_code SI_TKILL) by pid 5222, uid 1000: no fault address.
    assert_eq!(ex.flags as i32, -6);
    assert_eq!(ex.address, 0);
    let si = d.elf().expect("elf").siginfo().next().expect("one").expect("siginfo");
    assert_eq!(si.sender_pid(), Some(5222));
    assert_eq!(d.process().pid, Some(5222));

    // NT_FILE, as `llvm-readelf -n` prints it.
    let nt = d.elf().expect("elf").mapped_files().expect("NT_FILE");
    assert_eq!((nt.files.len(), nt.page_size), (26, 4096));
    let libc = &nt.files[4];
    assert_eq!((libc.start, libc.end, libc.file_offset_pages), (0x7fc2_9412_f000, 0x7fc2_9432_f000, 0x1bd));
    assert_eq!(libc.path, "/lib/x86_64-linux-gnu/libc-2.24.so");
    let last = nt.files.last().expect("last");
    assert_eq!((last.start, last.file_offset_pages), (0x7fc2_9502_4000, 0x25));
    assert_eq!(last.path, "/lib/x86_64-linux-gnu/ld-2.24.so");
    // Modules: grouped by path; the executable (AT_ENTRY 0x400910) first.
    let m = &d.modules()[0];
    assert!(m.path.ends_with("/thread_crash/a.out"));
    assert_eq!((m.base, m.size), (0x40_0000, 0x20_4000));
    let libc = d.modules().iter().find(|m| m.file_name() == "libc-2.24.so").expect("libc");
    assert_eq!((libc.base, libc.end()), (0x7fc2_93f7_2000, 0x7fc2_9433_5000));
    // Nothing of the images was captured, so no build ids.
    assert!(d.modules().iter().all(|m| m.debug_id.is_none()));

    // PT_LOADs, as `readelf -l` prints them: 40 of them, the first at
    // 0x400000 (0 bytes in the file, 0x3000 in memory, R E).
    let loads: Vec<_> = d.elf().expect("elf").load_segments().copied().collect();
    assert_eq!(loads.len(), 40);
    assert_eq!(
        (loads[0].vaddr, loads[0].filesz, loads[0].memsz, loads[0].flags_text().as_str()),
        (0x40_0000, 0, 0x3000, "r-x")
    );
    let vsys = loads.last().expect("vsyscall");
    assert_eq!((vsys.offset, vsys.vaddr, vsys.filesz), (0x7000, 0xffff_ffff_ff60_0000, 0x1000));
    let r0 = &d.regions()[0];
    assert_eq!(r0.protect, Some(0x20));
    assert_eq!(r0.kind, Some(0x100_0000), "the executable is MEM_IMAGE");
    assert_eq!(r0.mapped_file.as_deref(), Some(m.path.as_str()));
    let heap = d.regions().iter().find(|r| r.base == 0x216_f000).expect("heap");
    assert_eq!((heap.kind, heap.protect, heap.mapped_file.as_deref()), (Some(0x2_0000), Some(0x04), None));
    let guard = d.regions().iter().find(|r| r.base == 0x7fc2_9412_f000).expect("guard");
    assert_eq!(guard.protect, Some(0x01), "---p maps to PAGE_NOACCESS");
}

#[test]
fn dotnet_core_agrees_with_gdb() {
    let d = open("symstore-triagedump.core");
    // gdb: `Program terminated with signal SIGABRT`; 7 LWPs from 23468.
    let ids: Vec<u32> = d.threads().iter().map(|t| t.id).collect();
    assert_eq!(ids, [23468, 23470, 23471, 23472, 23473, 23474, 23475]);
    let ips: Vec<u64> =
        d.threads().iter().filter_map(|t| t.context).map(|c| c.instruction_pointer()).collect();
    assert_eq!(
        &ips[..5],
        [0x7f79_eb1f_8ed9, 0x7f79_ea6f_8389, 0x7f79_ea6f_8389, 0x7f79_ea6f_0c5d, 0x7f79_eb1f_57be]
    );
    assert_eq!(d.threads()[0].context.map(|c| c.stack_pointer()), Some(0x7fff_f918_ec10));
    // createdump writes no NT_SIGINFO: the signal comes from pr_cursig.
    let ex = d.exception().expect("SIGABRT");
    assert_eq!((ex.thread_id, ex.code, ex.address), (23468, 6, 0));
    assert_eq!(d.process().pid, Some(23468));
    assert_eq!(d.process().command_line, None);

    let main = &d.modules()[0];
    assert_eq!((main.path.as_str(), main.base), ("/usr/share/dotnet/dotnet", 0x40_0000));
    let key = |file: &str| {
        let m = d.modules().iter().find(|m| m.file_name() == file).unwrap_or_else(|| panic!("{file}"));
        match &m.debug_id {
            Some(DebugId::BuildId(b)) => {
                assert_eq!(b.len(), 20, "{file}: a SHA-1 build id");
                m.debug_id.as_ref().map(DebugId::key)
            }
            other => panic!("{file}: {other:?}"),
        }
    };
    assert_eq!(key("libcoreclr.so").as_deref(), Some("8f39a52a756311ab365090bfe9edef7ee8c44503"));
    assert_eq!(key("dotnet").as_deref(), Some("0daf3f635a7a5bbeebafca9e882cbf1d6753a4bc"));
    // Managed assemblies are PE files: no build id, but MEM_IMAGE.
    let corelib =
        d.modules().iter().find(|m| m.file_name() == "System.Private.CoreLib.dll").expect("corelib");
    assert_eq!(corelib.debug_id, None);
    let r = d.regions().iter().find(|r| r.base == corelib.base).expect("corelib region");
    assert_eq!(r.kind, Some(0x100_0000));
    let z = d.regions().iter().find(|r| r.mapped_file.as_deref() == Some("/dev/zero")).expect("/dev/zero");
    assert_eq!(z.kind, Some(0x4_0000), "a mapped non-image file is MEM_MAPPED");
}

#[test]
fn reads_span_adjacent_segments() {
    let d = open("lldb-thread_crash-linux-x86_64.core");
    // `readelf -l`: 0x7ffe323af000 (0x2000 at 0x3000) and 0x7ffe323b1000
    // (0x2000 at 0x5000) are adjacent in memory and in the file.
    let mem = d.memory();
    let got = mem.read(0x7ffe_323b_0ff8, 16).expect("read across two PT_LOADs");
    assert_eq!(&got[..], &d.bytes()[0x4ff8..0x5008]);

    // The .NET core: every pair of adjacent captured segments, whether or
    // not their bytes are back to back in the file.
    let d = open("symstore-triagedump.core");
    let mut loads: Vec<_> = d.elf().expect("elf").load_segments().copied().collect();
    loads.sort_by_key(|s| s.vaddr);
    let mut pairs = 0;
    for w in loads.windows(2) {
        let (a, b) = (w[0], w[1]);
        if a.end() != b.vaddr || a.filesz != a.memsz || b.filesz == 0 || a.filesz < 8 {
            continue;
        }
        let got = d.memory().read(b.vaddr - 8, 16).expect("stitched read");
        let file = d.bytes();
        let a_tail = &file[(a.offset + a.filesz - 8) as usize..(a.offset + a.filesz) as usize];
        let b_head = &file[b.offset as usize..b.offset as usize + 8];
        assert_eq!(&got[..8], a_tail);
        assert_eq!(&got[8..], b_head);
        pairs += 1;
    }
    assert!(pairs > 0, "the .NET core has adjacent captured segments");
}

#[test]
fn unwritten_and_uncaptured_memory_are_told_apart() {
    let d = open("lldb-thread_crash-linux-x86_64.core");
    let mem = d.memory();
    // 0x400000: p_filesz 0, p_memsz 0x3000 — mapped but not written.
    assert_eq!(mem.u32(0x40_0010), Err(ReadError::NotWritten { address: 0x40_0010 }));
    assert!(matches!(mem.read(0x40_2ff0, 32), Err(ReadError::NotWritten { .. })));
    // Below every segment, and in the hole between 0x403000 and 0x602000.
    assert!(matches!(mem.u64(0x1000), Err(ReadError::NotCaptured { address: 0x1000, .. })));
    assert!(matches!(mem.u8(0x50_0000), Err(ReadError::NotCaptured { .. })));
    // A captured read still works: the vsyscall page.
    assert_eq!(mem.u8(0xffff_ffff_ff60_0000).ok(), Some(d.bytes()[0x7000]));

    let d = open("symstore-triagedump.core");
    // 0x401000: p_offset 0, p_filesz 0, p_memsz 0x13000 (createdump's
    // uncaptured part of the executable's text).
    assert!(matches!(d.memory().u64(0x40_1000), Err(ReadError::NotWritten { .. })));
    // A read from the captured page into the unwritten one.
    assert_eq!(d.memory().read(0x40_0ff8, 16), Err(ReadError::NotWritten { address: 0x40_1000 }));
    assert_eq!(&d.memory().read(0x40_0000, 4).expect("ELF header")[..], b"\x7fELF");
}
