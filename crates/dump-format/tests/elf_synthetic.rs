//! Small ELF cores built here, byte by byte, for the cases the real
//! fixtures do not have: files that are not cores, broken notes, 8-byte note
//! alignment, the `PN_XNUM` escape, hostile counts, fault signals, unknown
//! machines and the protection mapping.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use dump_format::elf::notes::{NT_AUXV, NT_FILE, NT_PRPSINFO, NT_PRSTATUS, NT_SIGINFO};
use dump_format::{Arch, Dump, Error, ReadError};

/// A 64-bit little-endian core under construction.
struct Core {
    e_type: u16,
    machine: u16,
    notes: Vec<(&'static str, u32, Vec<u8>)>,
    note_align: u64,
    /// (vaddr, memsz, bytes in the file, p_flags)
    loads: Vec<(u64, u64, Vec<u8>, u32)>,
    xnum: bool,
}

impl Core {
    fn new() -> Self {
        Core { e_type: 4, machine: 62, notes: Vec::new(), note_align: 4, loads: Vec::new(), xnum: false }
    }

    fn note(mut self, owner: &'static str, kind: u32, desc: Vec<u8>) -> Self {
        self.notes.push((owner, kind, desc));
        self
    }

    fn load(mut self, vaddr: u64, memsz: u64, bytes: Vec<u8>, flags: u32) -> Self {
        self.loads.push((vaddr, memsz, bytes, flags));
        self
    }

    fn note_bytes(&self) -> Vec<u8> {
        let a = self.note_align as usize;
        let mut out = Vec::new();
        for (owner, kind, desc) in &self.notes {
            let name: Vec<u8> = owner.bytes().chain([0]).collect();
            out.extend((name.len() as u32).to_le_bytes());
            out.extend((desc.len() as u32).to_le_bytes());
            out.extend(kind.to_le_bytes());
            out.extend(&name);
            out.resize(out.len().next_multiple_of(a), 0);
            out.extend(desc);
            out.resize(out.len().next_multiple_of(a), 0);
        }
        out
    }

    fn build(&self) -> Vec<u8> {
        let phnum = 1 + self.loads.len();
        let notes = self.note_bytes();
        let notes_off = 64 + 56 * phnum;
        let mut data_off = notes_off + notes.len();
        let mut f = vec![0u8; 64];
        f[..7].copy_from_slice(b"\x7fELF\x02\x01\x01");
        f[16..18].copy_from_slice(&self.e_type.to_le_bytes());
        f[18..20].copy_from_slice(&self.machine.to_le_bytes());
        f[32..40].copy_from_slice(&64u64.to_le_bytes());
        f[52..54].copy_from_slice(&64u16.to_le_bytes());
        f[54..56].copy_from_slice(&56u16.to_le_bytes());
        let ph = |f: &mut Vec<u8>, t: u32, fl: u32, off: usize, va: u64, fs: usize, ms: u64, al: u64| {
            for v in [t, fl] {
                f.extend(v.to_le_bytes());
            }
            for v in [off as u64, va, 0, fs as u64, ms, al] {
                f.extend(v.to_le_bytes());
            }
        };
        ph(&mut f, 4, 0, notes_off, 0, notes.len(), 0, self.note_align);
        for (va, ms, bytes, fl) in &self.loads {
            ph(&mut f, 1, *fl, data_off, *va, bytes.len(), *ms, 0x1000);
            data_off += bytes.len();
        }
        f.extend(&notes);
        for (_, _, bytes, _) in &self.loads {
            f.extend(bytes);
        }
        if self.xnum {
            // e_phnum = PN_XNUM; section header 0 holds the count in sh_info.
            let shoff = f.len() as u64;
            f[40..48].copy_from_slice(&shoff.to_le_bytes());
            f[56..58].copy_from_slice(&0xffffu16.to_le_bytes());
            f[58..60].copy_from_slice(&64u16.to_le_bytes());
            f[60..62].copy_from_slice(&1u16.to_le_bytes());
            let mut sh = vec![0u8; 64];
            sh[44..48].copy_from_slice(&(phnum as u32).to_le_bytes());
            f.extend(sh);
        } else {
            f[56..58].copy_from_slice(&(phnum as u16).to_le_bytes());
        }
        f
    }
}

/// An x86-64 `NT_PRSTATUS` for thread `tid` with `cursig`, `rip` and `rsp`.
fn prstatus(tid: u32, cursig: u16, rip: u64, rsp: u64) -> Vec<u8> {
    let mut d = vec![0u8; 336];
    d[12..14].copy_from_slice(&cursig.to_le_bytes());
    d[32..36].copy_from_slice(&tid.to_le_bytes());
    d[48..56].copy_from_slice(&3u64.to_le_bytes()); // utime 3 s
    d[56..64].copy_from_slice(&500_000u64.to_le_bytes()); // + 0.5 s
    let reg =
        |d: &mut Vec<u8>, i: usize, v: u64| d[112 + 8 * i..120 + 8 * i].copy_from_slice(&v.to_le_bytes());
    reg(&mut d, 16, rip);
    reg(&mut d, 19, rsp);
    reg(&mut d, 10, 0xaaaa); // rax
    d
}

/// A 64-bit `NT_PRPSINFO`.
fn prpsinfo(pid: u32, fname: &str, args: &str) -> Vec<u8> {
    let mut d = vec![0u8; 136];
    d[24..28].copy_from_slice(&pid.to_le_bytes());
    d[40..40 + fname.len()].copy_from_slice(fname.as_bytes());
    d[56..56 + args.len()].copy_from_slice(args.as_bytes());
    d
}

/// A 64-bit `NT_FILE` with `(start, end, pages, path)` entries.
fn nt_file(entries: &[(u64, u64, u64, &str)]) -> Vec<u8> {
    let mut d = Vec::new();
    d.extend((entries.len() as u64).to_le_bytes());
    d.extend(4096u64.to_le_bytes());
    for (s, e, o, _) in entries {
        for v in [s, e, o] {
            d.extend(v.to_le_bytes());
        }
    }
    for (_, _, _, p) in entries {
        d.extend(p.bytes().chain([0]));
    }
    d
}

fn basic() -> Core {
    Core::new()
        .note("CORE", NT_PRSTATUS, prstatus(100, 0, 0x1000, 0x7000_0100))
        .note("CORE", NT_PRPSINFO, prpsinfo(100, "app", "./app --x "))
        .note("CORE", NT_PRSTATUS, prstatus(101, 0, 0x1004, 0x7000_0800))
        .load(0x1000, 0x1000, vec![0x90; 0x100], 5)
        .load(0x7000_0000, 0x1000, vec![0x11; 0x1000], 6)
}

#[test]
fn a_minimal_core_opens() {
    let d = Dump::from_bytes(basic().build()).unwrap();
    assert_eq!(d.arch(), Arch::X64);
    assert!(d.warnings().is_empty(), "{:?}", d.warnings());
    assert_eq!(d.threads().iter().map(|t| t.id).collect::<Vec<_>>(), [100, 101]);
    let t = &d.threads()[0];
    assert_eq!(t.user_time, Some(std::time::Duration::from_millis(3500)));
    assert_eq!(t.stack, Some((0x7000_0000, 0x1000)));
    assert_eq!(d.process().command_line.as_deref(), Some("./app --x"));
    assert_eq!(d.exception(), None, "no signal anywhere");
    // p_memsz 0x1000 > p_filesz 0x100: the tail is not written, never zeros.
    assert_eq!(d.memory().u8(0x10ff), Ok(0x90));
    assert_eq!(d.memory().u8(0x1100), Err(ReadError::NotWritten { address: 0x1100 }));
    assert_eq!(d.regions()[0].captured, 0x100);
    assert_eq!(d.regions()[0].protect, Some(0x20), "r-x is PAGE_EXECUTE_READ");
    assert_eq!(d.regions()[1].protect, Some(0x04), "rw- is PAGE_READWRITE");
    assert_eq!(d.regions()[1].kind, Some(0x2_0000), "anonymous memory is MEM_PRIVATE");
    assert_eq!(d.streams().last().unwrap().name, "PT_LOAD (2 segments)");
}

#[test]
fn elf_files_that_are_not_cores_are_named() {
    for (e_type, what) in [(3u16, "shared object"), (2, "executable"), (1, "relocatable")] {
        let mut c = basic();
        c.e_type = e_type;
        let err = Dump::from_bytes(c.build()).unwrap_err();
        assert!(matches!(err, Error::UnknownFormat { .. }), "{err}");
        let msg = err.to_string();
        assert!(msg.contains(what) && msg.contains("not a core dump"), "{msg}");
    }
    let mut be = basic().build();
    be[5] = 2;
    assert!(Dump::from_bytes(be).unwrap_err().to_string().contains("big-endian"));
    let mut bad_class = basic().build();
    bad_class[4] = 9;
    assert!(matches!(Dump::from_bytes(bad_class), Err(Error::Corrupt { .. })));
}

#[test]
fn other_machines_are_accepted_without_registers() {
    let mut c = basic();
    c.machine = 243; // RISC-V
    let d = Dump::from_bytes(c.build()).unwrap();
    assert_eq!(d.arch(), Arch::Other(243));
    assert_eq!(d.threads().len(), 2);
    assert!(d.threads().iter().all(|t| t.context.is_none() && t.context_note.is_some()));
}

#[test]
fn a_broken_note_ends_the_walk_and_keeps_the_notes_before_it() {
    let mut bytes = basic().build();
    // The third note's header: descsz far past the segment end.
    let d = Dump::from_bytes(bytes.clone()).unwrap();
    let third = d.elf().unwrap().note_entries()[2].offset as usize;
    bytes[third + 4..third + 8].copy_from_slice(&0x7fff_fff0u32.to_le_bytes());
    let d = Dump::from_bytes(bytes).unwrap();
    assert_eq!(d.elf().unwrap().note_entries().len(), 2);
    assert_eq!(d.threads().len(), 1, "the thread before the broken note is kept");
    assert_eq!(d.process().name.as_deref(), Some("app"));
    let w = &d.warnings()[0].message;
    assert!(w.contains("note walk") && w.contains(&format!("{third:#x}")), "{w}");
}

#[test]
fn notes_aligned_to_eight_bytes_are_read() {
    let mut c = basic().note("GNU", 5, vec![1, 2, 3, 4, 5]).note(
        "CORE",
        NT_AUXV,
        vec![6, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0],
    );
    c.note_align = 8;
    let d = Dump::from_bytes(c.build()).unwrap();
    assert!(d.warnings().is_empty(), "{:?}", d.warnings());
    let names: Vec<String> = d.elf().unwrap().note_entries().iter().map(|n| n.name()).collect();
    assert_eq!(names[3..], ["NT_GNU_PROPERTY_TYPE_0", "NT_AUXV"]);
    let auxv = d.elf().unwrap().auxv().unwrap();
    assert_eq!((auxv[0].name(), auxv[0].value), (Some("AT_PAGESZ"), 0x1000));
}

#[test]
fn unknown_notes_are_named_with_their_owner() {
    let d = Dump::from_bytes(basic().note("ACME", 0x1234, vec![0; 4]).build()).unwrap();
    let s = d.streams().iter().find(|s| s.kind == 0x1234).unwrap();
    assert_eq!((s.name.as_str(), s.size), ("Unknown(0x1234) owner ACME", 4));
}

#[test]
fn the_pn_xnum_escape_gives_the_real_segment_count() {
    let mut c = basic();
    c.xnum = true;
    let d = Dump::from_bytes(c.build()).unwrap();
    assert_eq!(d.elf().unwrap().segments().len(), 3);
    assert_eq!(d.regions().len(), 2);
    assert_eq!(d.memory().u8(0x7000_0000), Ok(0x11));
}

#[test]
fn a_hostile_file_note_count_allocates_nothing() {
    let mut desc = nt_file(&[(0x1000, 0x2000, 0, "/bin/app")]);
    desc[..8].copy_from_slice(&u64::MAX.to_le_bytes());
    let d = Dump::from_bytes(basic().note("CORE", NT_FILE, desc).build()).unwrap();
    let err = d.elf().unwrap().mapped_files().unwrap_err();
    assert!(matches!(err, Error::Truncated { ref what, .. } if what == "NT_FILE note"), "{err}");
    assert!(d.modules().is_empty());
    assert!(d.warnings().iter().any(|w| w.message.contains("NT_FILE")), "{:?}", d.warnings());
    // A count the note can hold but with too few names: an error too.
    let mut desc = nt_file(&[(0x1000, 0x2000, 0, "/bin/app"), (0x7000_0000, 0x7000_1000, 0, "/x")]);
    desc[..8].copy_from_slice(&2u64.to_le_bytes());
    let n = desc.len();
    desc.truncate(n - 3); // drop the second name
    let d = Dump::from_bytes(basic().note("CORE", NT_FILE, desc).build()).unwrap();
    assert!(d.elf().unwrap().mapped_files().is_err());
}

#[test]
fn modules_group_mappings_and_regions_name_their_files() {
    let files = nt_file(&[
        (0x1000, 0x2000, 0, "/bin/app"),
        (0x7000_0000, 0x7000_1000, 0, "/data/file.bin"),
        (0x3000, 0x5000, 2, "/bin/app"),
    ]);
    let mut image = vec![0u8; 0x100];
    image[..4].copy_from_slice(b"\x7fELF");
    let c = Core::new()
        .note("CORE", NT_PRSTATUS, prstatus(7, 0, 0x1000, 0x10))
        .note("CORE", NT_FILE, files)
        .load(0x1000, 0x1000, image, 5)
        .load(0x7000_0000, 0x1000, vec![1; 16], 4);
    let d = Dump::from_bytes(c.build()).unwrap();
    let m: Vec<(&str, u64, u64)> = d.modules().iter().map(|m| (m.path.as_str(), m.base, m.size)).collect();
    assert_eq!(m, [("/bin/app", 0x1000, 0x4000), ("/data/file.bin", 0x7000_0000, 0x1000)]);
    assert_eq!(d.regions()[0].mapped_file.as_deref(), Some("/bin/app"));
    assert_eq!(d.regions()[0].kind, Some(0x100_0000), "an ELF image is MEM_IMAGE");
    assert_eq!(d.regions()[1].kind, Some(0x4_0000), "a data file is MEM_MAPPED");
    assert_eq!(d.regions()[1].protect, Some(0x02));
    assert_eq!(d.threads()[0].stack, None, "no segment holds the stack pointer");
}

#[test]
fn a_fault_signal_gives_its_address_and_thread() {
    let mut si = vec![0u8; 128];
    si[0..4].copy_from_slice(&11i32.to_le_bytes()); // SIGSEGV
    si[8..12].copy_from_slice(&1i32.to_le_bytes()); // SEGV_MAPERR
    si[16..24].copy_from_slice(&0xdead_beefu64.to_le_bytes());
    let c = Core::new()
        .note("CORE", NT_PRSTATUS, prstatus(1, 0, 0x1000, 0))
        .note("CORE", NT_PRSTATUS, prstatus(2, 11, 0x2000, 0))
        .note("CORE", NT_SIGINFO, si);
    let d = Dump::from_bytes(c.build()).unwrap();
    let ex = d.exception().unwrap();
    assert_eq!((ex.thread_id, ex.code, ex.flags, ex.address), (2, 11, 1, 0xdead_beef));
    assert_eq!(ex.context.map(|c| c.instruction_pointer()), Some(0x2000));
    // Without NT_SIGINFO: the first thread's pr_cursig.
    let c = Core::new().note("CORE", NT_PRSTATUS, prstatus(5, 6, 0x1000, 0));
    let ex = Dump::from_bytes(c.build()).unwrap().exception().cloned().unwrap();
    assert_eq!((ex.thread_id, ex.code, ex.address), (5, 6, 0));
}

#[test]
fn a_segment_past_the_end_of_the_file_is_kept_and_warned() {
    let mut bytes = basic().build();
    bytes.truncate(bytes.len() - 0x200);
    let d = Dump::from_bytes(bytes).unwrap();
    assert!(d.warnings().iter().any(|w| w.message.contains("truncated by 512 bytes")), "{:?}", d.warnings());
    assert_eq!(d.regions().len(), 2);
    assert_eq!(d.memory().u8(0x7000_0000), Ok(0x11));
    assert!(matches!(d.memory().u8(0x7000_0f00), Err(ReadError::Corrupt { .. })));
}

#[test]
fn a_cut_program_header_table_keeps_its_whole_entries() {
    let bytes = basic().build();
    let cut = 64 + 56 * 2 + 10; // the third entry is cut
    let d = Dump::from_bytes(bytes[..cut].to_vec()).unwrap();
    assert_eq!(d.elf().unwrap().segments().len(), 2);
    assert!(d.warnings().iter().any(|w| w.message.contains("2 of 3 entries")), "{:?}", d.warnings());
    assert!(Dump::from_bytes(bytes[..40].to_vec()).is_err(), "a cut ELF header is an error");
}

#[test]
fn many_note_segments_over_the_same_bytes_are_walked_once() {
    // 4000 PT_NOTE headers, each covering the whole file: the walk is
    // bounded by the file's size, not by segments × size.
    let n = 4000usize;
    let len = 64 + 56 * n;
    let mut f = vec![0u8; 64];
    f[..7].copy_from_slice(b"\x7fELF\x02\x01\x01");
    f[16..18].copy_from_slice(&4u16.to_le_bytes());
    f[18..20].copy_from_slice(&62u16.to_le_bytes());
    f[32..40].copy_from_slice(&64u64.to_le_bytes());
    f[54..56].copy_from_slice(&56u16.to_le_bytes());
    f[56..58].copy_from_slice(&(n as u16).to_le_bytes());
    for _ in 0..n {
        let mut ph = vec![0u8; 56];
        ph[0..4].copy_from_slice(&4u32.to_le_bytes());
        ph[32..40].copy_from_slice(&(len as u64).to_le_bytes());
        f.extend(ph);
    }
    let start = std::time::Instant::now();
    let d = Dump::from_bytes(f).unwrap();
    assert!(d.elf().unwrap().note_entries().len() <= len / 12);
    assert!(d.warnings().iter().any(|w| w.message.contains("more than the file")));
    assert!(start.elapsed() < std::time::Duration::from_secs(2));
}
