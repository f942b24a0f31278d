//! Hand-built MINIDUMPs for cases no fixture has: WOW64 context recovery,
//! Wine's RVA-0 memory descriptors, every MiscInfo revision, contexts that
//! do not fit, comments and unknown streams.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use dump_format::{Arch, Dump, ThreadContext};

/// A tiny MINIDUMP writer: blobs are appended after the header and a
/// directory reserved for `streams` entries.
struct Writer {
    buf: Vec<u8>,
    dir: Vec<(u32, u32, u32)>,
}

impl Writer {
    fn new(streams: usize) -> Writer {
        Writer { buf: vec![0; 32 + 12 * streams], dir: Vec::new() }
    }

    fn blob(&mut self, b: &[u8]) -> u32 {
        while self.buf.len() % 8 != 0 {
            self.buf.push(0);
        }
        let rva = self.buf.len() as u32;
        self.buf.extend_from_slice(b);
        rva
    }

    fn string(&mut self, s: &str) -> u32 {
        let units: Vec<u8> = s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        let mut b = (units.len() as u32).to_le_bytes().to_vec();
        b.extend_from_slice(&units);
        b.extend_from_slice(&[0, 0]);
        self.blob(&b)
    }

    fn stream(&mut self, kind: u32, b: &[u8]) {
        let rva = self.blob(b);
        self.dir.push((kind, b.len() as u32, rva));
    }

    fn finish(mut self) -> Vec<u8> {
        let n = self.dir.len() as u32;
        let mut h = b"MDMP".to_vec();
        for v in [0xa793u32, n, 32, 0, 1_600_000_000] {
            h.extend_from_slice(&v.to_le_bytes());
        }
        h.extend_from_slice(&0u64.to_le_bytes());
        self.buf[..32].copy_from_slice(&h);
        for (i, (k, size, rva)) in self.dir.iter().enumerate() {
            let o = 32 + 12 * i;
            self.buf[o..o + 4].copy_from_slice(&k.to_le_bytes());
            self.buf[o + 4..o + 8].copy_from_slice(&size.to_le_bytes());
            self.buf[o + 8..o + 12].copy_from_slice(&rva.to_le_bytes());
        }
        self.buf
    }
}

fn put32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_le_bytes());
}

fn put64(b: &mut [u8], off: usize, v: u64) {
    b[off..off + 8].copy_from_slice(&v.to_le_bytes());
}

fn system_info(arch: u16) -> Vec<u8> {
    let mut s = vec![0u8; 56];
    s[0..2].copy_from_slice(&arch.to_le_bytes());
    s[6] = 4;
    put32(&mut s, 8, 10);
    put32(&mut s, 16, 19041);
    put32(&mut s, 20, 2);
    s
}

fn x86_context(esp: u32, eip: u32) -> Vec<u8> {
    let mut c = vec![0u8; 0x2cc];
    put32(&mut c, 0, 0x1003f);
    put32(&mut c, 180, esp + 0x20); // ebp
    put32(&mut c, 184, eip);
    put32(&mut c, 196, esp);
    c
}

fn x64_context(rsp: u64, rip: u64) -> Vec<u8> {
    let mut c = vec![0u8; 0x4d0];
    put32(&mut c, 48, 0x10001f);
    put64(&mut c, 152, rsp);
    put64(&mut c, 248, rip);
    c
}

/// `(start, rva, size)` memory descriptors as a MemoryList stream.
fn memory_list(ranges: &[(u64, u32, u32)]) -> Vec<u8> {
    let mut s = (ranges.len() as u32).to_le_bytes().to_vec();
    for &(start, rva, size) in ranges {
        s.extend_from_slice(&start.to_le_bytes());
        s.extend_from_slice(&size.to_le_bytes());
        s.extend_from_slice(&rva.to_le_bytes());
    }
    s
}

/// MINIDUMP_THREAD entries: (id, teb, stack start, stack size, stack rva, context size, context rva).
fn thread_list(threads: &[(u32, u64, u64, u32, u32, u32, u32)]) -> Vec<u8> {
    let mut s = (threads.len() as u32).to_le_bytes().to_vec();
    for &(id, teb, start, size, rva, csize, crva) in threads {
        let mut t = vec![0u8; 48];
        put32(&mut t, 0, id);
        put64(&mut t, 16, teb);
        put64(&mut t, 24, start);
        put32(&mut t, 32, size);
        put32(&mut t, 36, rva);
        put32(&mut t, 40, csize);
        put32(&mut t, 44, crva);
        s.extend_from_slice(&t);
    }
    s
}

/// MINIDUMP_MODULE entries: (base, size, name rva).
fn module_list(modules: &[(u64, u32, u32)]) -> Vec<u8> {
    let mut s = (modules.len() as u32).to_le_bytes().to_vec();
    for &(base, size, name) in modules {
        let mut m = vec![0u8; 108];
        put64(&mut m, 0, base);
        put32(&mut m, 8, size);
        put32(&mut m, 20, name);
        s.extend_from_slice(&m);
    }
    s
}

/// A WOW64 dump: three threads, the first with a good 32-bit context, the
/// second without its TEB captured, the third with ESP off its stack.
fn wow64_dump() -> Vec<u8> {
    const TEB1: u64 = 0x7ffd_e000_0000;
    const TEB2: u64 = 0x7ffd_e001_0000; // its TEB is not captured
    const TEB3: u64 = 0x7ffd_e002_0000; // its 32-bit ESP is off its stack
    let mut w = Writer::new(4);
    w.stream(7, &system_info(9));
    let exe = w.string("C:\\app\\app32.exe");
    let cpu = w.string("C:\\Windows\\System32\\wow64cpu.dll");
    w.stream(4, &module_list(&[(0x40_0000, 0x1_0000, exe), (0x7ff8_0000_0000, 0x1_0000, cpu)]));

    // Thread 1 and 3: TEB64 with TlsSlots[1] → CPU area; TEB32 with the stack bounds.
    let mut ranges = Vec::new();
    for (teb, area, esp) in [(TEB1, 0x30_0000u64, 0x1f_f000u32), (TEB3, 0x31_0000, 0x5000_0000)] {
        let mut teb64 = vec![0u8; 0x1490];
        put64(&mut teb64, 0x1488, area);
        ranges.push((teb, w.blob(&teb64), teb64.len() as u32));
        let mut teb32 = vec![0u8; 0x10];
        put32(&mut teb32, 4, 0x20_0000); // StackBase
        put32(&mut teb32, 8, 0x1f_0000); // StackLimit
        ranges.push((teb + 0x2000, w.blob(&teb32), 0x10));
        let mut cpu_area = vec![0u8; 4];
        cpu_area.extend_from_slice(&x86_context(esp, 0x40_1234));
        ranges.push((area, w.blob(&cpu_area), cpu_area.len() as u32));
    }
    let stack = w.blob(&[0xaa; 0x100]);
    ranges.push((0x1f_f000, stack, 0x100));
    w.stream(5, &memory_list(&ranges));
    let ctx = x64_context(0x7ff_f000, 0x7ff8_0000_1000);
    let c1 = w.blob(&ctx);
    w.stream(
        3,
        &thread_list(&[
            (1, TEB1, 0x7ff_f000, 0, 0, ctx.len() as u32, c1),
            (2, TEB2, 0x7ff_f000, 0, 0, ctx.len() as u32, c1),
            (3, TEB3, 0x7ff_f000, 0, 0, ctx.len() as u32, c1),
        ]),
    );
    w.finish()
}

#[test]
fn wow64_threads_get_their_32_bit_context() {
    let dump = Dump::from_bytes(wow64_dump()).unwrap();
    assert!(dump.system().wow64);
    assert_eq!(dump.arch(), Arch::X86);
    assert_eq!(dump.memory().pointer_size(), 4);
    let t = dump.threads();
    let Some(ThreadContext::X86(r)) = t[0].context else { panic!("thread 1: {:?}", t[0].context_note) };
    assert_eq!((r.eip, r.esp, r.ebp), (0x40_1234, 0x1f_f000, 0x1f_f020));
    assert_eq!(t[1].context, None);
    assert_eq!(t[1].context_note.as_deref(), Some("WOW64: 32-bit context not captured"));
    assert_eq!(t[2].context, None);
    assert!(
        t[2].context_note.as_deref().unwrap().starts_with("WOW64: 32-bit context rejected"),
        "{:?}",
        t[2]
    );
    // The 64-bit context stays reachable through typed access.
    let md = dump.minidump().unwrap();
    let raw = md.thread_list().unwrap();
    let c64 = md.context_at(raw[0].context, Arch::X64).unwrap();
    assert_eq!(c64.instruction_pointer(), 0x7ff8_0000_1000);
}

#[test]
fn native_x64_dump_is_not_wow64() {
    let mut w = Writer::new(3);
    w.stream(7, &system_info(9));
    let exe = w.string("C:\\app\\app64.exe");
    w.stream(4, &module_list(&[(0x1_4000_0000, 0x1_0000, exe)]));
    let ctx = x64_context(0x1000, 0x1_4000_1000);
    let c = w.blob(&ctx);
    w.stream(3, &thread_list(&[(7, 0x7ffd_0000_0000, 0x1000, 0, 0, ctx.len() as u32, c)]));
    let dump = Dump::from_bytes(w.finish()).unwrap();
    assert!(!dump.system().wow64);
    assert_eq!(dump.arch(), Arch::X64);
    assert_eq!(dump.threads()[0].context.unwrap().instruction_pointer(), 0x1_4000_1000);
}

#[test]
fn wine_rva_zero_is_not_captured_memory() {
    let mut w = Writer::new(3);
    w.stream(7, &system_info(0));
    let data = w.blob(&[0x11; 0x40]);
    w.stream(5, &memory_list(&[(0x1000, 0, 0x100), (0x2000, data, 0x40), (0x3000, 0xfff_0000, 0x10)]));
    let ctx = x86_context(0x1010, 0x2000);
    let c = w.blob(&ctx);
    w.stream(3, &thread_list(&[(9, 0x7ffd_f000, 0x1000, 0x100, 0, ctx.len() as u32, c)]));
    let dump = Dump::from_bytes(w.finish()).unwrap();
    let mem = dump.memory();
    assert!(mem.u8(0x1000).is_err(), "RVA 0 must not read as the file header");
    assert!(mem.u8(0x3000).is_err(), "an RVA past the file is not data");
    assert_eq!(mem.u32(0x2000).unwrap(), 0x1111_1111);
    assert_eq!(mem.captured_bytes(), 0x40);
    assert_eq!(dump.threads()[0].stack, Some((0x1000, 0x100)));
    let warnings: Vec<String> = dump.warnings().iter().map(|w| w.message.clone()).collect();
    assert!(warnings.iter().filter(|m| m.contains("not captured")).count() >= 3, "{warnings:?}");
}

fn misc(size: usize, flags1: u32) -> Vec<u8> {
    let mut m = vec![0u8; size];
    put32(&mut m, 0, size as u32);
    put32(&mut m, 4, flags1);
    put32(&mut m, 8, 4242);
    put32(&mut m, 12, 1_500_000_000);
    put32(&mut m, 16, 7);
    put32(&mut m, 20, 3);
    if size >= 232 {
        put32(&mut m, 44, 0x2000); // integrity
        put32(&mut m, 52, 1); // protected
        put32(&mut m, 60, (-60i32) as u32); // bias
        for (i, u) in "W. Europe".encode_utf16().enumerate() {
            m[64 + 2 * i..66 + 2 * i].copy_from_slice(&u.to_le_bytes());
        }
    }
    if size >= 832 {
        for (i, u) in "10.0.19041.1".encode_utf16().enumerate() {
            m[232 + 2 * i..234 + 2 * i].copy_from_slice(&u.to_le_bytes());
        }
    }
    if size >= 1364 {
        put32(&mut m, 1360, 0xc00c1e);
    }
    m
}

#[test]
fn every_misc_info_revision() {
    for size in [24usize, 44, 232, 832, 1364] {
        let all = 0x1 | 0x2 | 0x4 | 0x10 | 0x40 | 0x80 | 0x100 | 0x200;
        let mut w = Writer::new(2);
        w.stream(7, &system_info(9));
        w.stream(15, &misc(size, all));
        let dump = Dump::from_bytes(w.finish()).unwrap();
        let p = dump.process();
        assert_eq!(p.pid, Some(4242), "size {size}");
        assert_eq!(p.create_time.map(|t| t.secs), Some(1_500_000_000));
        assert_eq!(p.user_time, Some(std::time::Duration::from_secs(7)));
        assert_eq!(p.dump_time.map(|t| t.secs), Some(1_600_000_000));
        let m = dump.minidump().unwrap().misc_info().unwrap();
        assert_eq!(m.processor_power.is_some(), size >= 44, "size {size}");
        assert_eq!(m.process_integrity_level, (size >= 232).then_some(0x2000));
        assert_eq!(m.protected_process, (size >= 232).then_some(1));
        assert_eq!(
            m.time_zone.as_ref().map(|t| (t.bias, t.standard_name.as_str())),
            (size >= 232).then_some((-60, "W. Europe"))
        );
        assert_eq!(m.build_string.as_deref(), (size >= 832).then_some("10.0.19041.1"));
        assert_eq!(m.process_cookie, (size >= 1364).then_some(0xc00c1e));
        assert!(dump.warnings().is_empty(), "{:?}", dump.warnings());
    }
    // Validity bits clear: nothing is taken from the stream.
    let mut w = Writer::new(1);
    w.stream(15, &misc(232, 0));
    let dump = Dump::from_bytes(w.finish()).unwrap();
    assert_eq!(dump.process().pid, None);
    assert_eq!(dump.minidump().unwrap().misc_info().unwrap().time_zone, None);
}

#[test]
fn contexts_that_do_not_fit_are_refused_with_a_reason() {
    let mut w = Writer::new(2);
    w.stream(7, &system_info(9));
    // x64-sized, but its ContextFlags say i386.
    let mut x86 = x64_context(0x1000, 0x2000);
    put32(&mut x86, 48, 0x1003f);
    let wrong_arch = w.blob(&x86);
    let short = w.blob(&x64_context(1, 2)[..0x200]);
    let mut big = x64_context(0x3000, 0x4000);
    big.extend_from_slice(&[0u8; 0x400]); // an XSTATE tail
    let big_rva = w.blob(&big);
    w.stream(
        3,
        &thread_list(&[
            (1, 0, 0, 0, 0, x86.len() as u32, wrong_arch),
            (2, 0, 0, 0, 0, 0x200, short),
            (3, 0, 0, 0, 0, big.len() as u32, big_rva),
            (4, 0, 0, 0, 0, 0x4d0, 0x7fff_0000),
        ]),
    );
    let dump = Dump::from_bytes(w.finish()).unwrap();
    let t = dump.threads();
    assert_eq!(t[0].context, None);
    assert!(t[0].context_note.as_deref().unwrap().contains("ContextFlags"), "{:?}", t[0].context_note);
    assert_eq!(t[1].context, None);
    assert!(t[1].context_note.as_deref().unwrap().contains("smaller"), "{:?}", t[1].context_note);
    assert_eq!(t[2].context.unwrap().instruction_pointer(), 0x4000);
    assert_eq!(t[3].context, None);
    assert!(t[3].context_note.is_some());
}

#[test]
fn comments_unknown_streams_and_exception_parameters() {
    let mut w = Writer::new(5);
    w.stream(7, &system_info(0));
    w.stream(10, b"hello from A\0junk");
    let wide: Vec<u8> = "wide \u{e9}".encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    w.stream(11, &wide);
    w.stream(0x1234_5678, &[1, 2, 3]);
    let mut exc = vec![0u8; 168];
    put32(&mut exc, 0, 77);
    put32(&mut exc, 8, 0xc000_0005);
    put64(&mut exc, 24, 0xdead);
    put32(&mut exc, 32, 99); // NumberParameters beyond 15
    put64(&mut exc, 40, 1);
    w.stream(6, &exc);
    let dump = Dump::from_bytes(w.finish()).unwrap();
    assert_eq!(dump.comments(), ["hello from A", "wide \u{e9}"]);
    let unknown = dump.streams().iter().find(|s| s.kind == 0x1234_5678).unwrap();
    assert_eq!((unknown.name.as_str(), unknown.size), ("Unknown(0x12345678)", 3));
    let e = dump.exception().unwrap();
    assert_eq!((e.thread_id, e.code, e.address, e.parameters.len()), (77, 0xc000_0005, 0xdead, 15));
    assert!(dump.warnings().iter().any(|w| w.message.contains("NumberParameters")));
}

#[test]
fn damaged_header_and_directory_are_fatal() {
    let mut w = Writer::new(1);
    w.stream(7, &system_info(0));
    let good = w.finish();
    let mut bad_sig = good.clone();
    bad_sig[4] = 0;
    assert!(Dump::from_bytes(bad_sig).is_err());
    let mut bad_dir = good.clone();
    put32(&mut bad_dir, 8, 0x1000_0000); // stream count far past the file
    let err = Dump::from_bytes(bad_dir).unwrap_err().to_string();
    assert!(err.contains("directory"), "{err}");
    assert!(Dump::from_bytes(good[..20].to_vec()).is_err());
}

#[test]
fn damaged_wow64_dump_never_panics() {
    // No fixture is WOW64, so the TEB and CPU-area walk gets its own damage run.
    let good = wow64_dump();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for cut in (0..good.len()).step_by(16) {
        let _ = Dump::from_bytes(good[..cut].to_vec()).map(|d| d.threads().len());
    }
    for _ in 0..2000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut m = good.clone();
        let at = (seed % m.len() as u64) as usize;
        m[at] = (seed >> 32) as u8;
        if let Ok(d) = Dump::from_bytes(m) {
            for t in d.threads() {
                let _ = (t.context.map(|c| c.registers()), &t.context_note);
            }
            let _ = d.memory().captured_bytes();
        }
    }
}
