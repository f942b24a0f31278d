//! Damaged ELF cores: every fixture cut short at many offsets, and with
//! bytes flipped in the ELF header, the program headers and the note
//! headers. Opening must give an error or a partial answer, and everything
//! a caller can then ask must answer — never a panic, never a hang.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use dump_format::{Dump, ReadError};
use std::time::{Duration, Instant};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures/third-party");
const CORES: [&str; 3] =
    ["lldb-gcore-linux-i386.core", "lldb-thread_crash-linux-x86_64.core", "symstore-triagedump.core"];

/// Deterministic xorshift64*, so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Opens `bytes` and, if that works, asks everything a caller can ask.
fn exercise(bytes: Vec<u8>) {
    let Ok(d) = Dump::from_bytes(bytes) else { return };
    let _ = (d.system(), d.process(), d.exception(), d.warnings(), d.handles(), d.comments());
    let mem = d.memory();
    for t in d.threads() {
        if let Some(c) = t.context {
            let _ = c.registers();
            let _ = mem.read(c.stack_pointer(), 256);
            let _ = mem.ptr(c.instruction_pointer());
        }
    }
    for m in d.modules() {
        let _ = (m.file_name(), m.debug_id.as_ref().map(|id| id.key()));
        let _ = mem.read(m.base, 64);
        let _ = d.module_at(m.base);
    }
    for r in d.regions().iter().take(32) {
        let _ = mem.read(r.base, 64);
        let _ = mem.read(r.base.wrapping_add(r.size).wrapping_sub(8), 16);
        let _ = mem.readable_len(r.base);
    }
    let _ = d.streams().iter().map(|s| s.name.len()).sum::<usize>();
    let _ = mem.captured_bytes();
    let core = d.elf().expect("an ELF core has typed access");
    let _ = (core.header(), core.segments().len(), core.load_segments().count());
    let _ = core.notes().map(|n| n.desc.len()).sum::<usize>();
    for s in core.prstatus().flatten() {
        let _ = s.named_regs(core.header().machine);
    }
    for s in core.siginfo().flatten() {
        let _ = (s.fault_address(), s.sender_pid());
    }
    let _ = core.prpsinfo();
    let _ = core.mapped_files().map(|f| f.files.len());
    let _ = core.auxv().map(|a| a.iter().filter_map(|e| e.name()).count());
}

/// File offsets of the structures worth damaging: the ELF header, the
/// program header table and every note header.
fn targets(data: &[u8]) -> Vec<(usize, usize)> {
    let d = Dump::from_bytes(data.to_vec()).expect("the fixture opens");
    let core = d.elf().expect("elf");
    let h = core.header();
    let mut t = vec![(0, if h.class.word() == 8 { 64 } else { 52 })];
    t.push((h.phoff as usize, h.phnum as usize * usize::from(h.phentsize)));
    t.extend(core.note_entries().iter().map(|n| (n.offset as usize, 12)));
    t
}

#[test]
fn truncated_cores_never_panic() {
    let start = Instant::now();
    for name in CORES {
        let data = std::fs::read(format!("{DIR}/{name}")).expect(name);
        let mut cuts: Vec<usize> = if data.len() <= 64 << 10 {
            (0..data.len()).step_by(64).collect()
        } else {
            // Dense over the headers and notes, spread over the memory.
            let dense = 0x1_0000.min(data.len());
            let mut v: Vec<usize> = (0..dense).step_by(251).collect();
            v.extend((0..200).map(|i| dense + (data.len() - dense) / 200 * i));
            v
        };
        cuts.extend([1, 4, 5, 17, 51, 52, 63, 64, data.len() - 1]);
        for cut in cuts {
            let cut = cut.min(data.len());
            exercise(data[..cut].to_vec());
        }
        // A truncation inside the memory keeps the dump and says so.
        let d = Dump::from_bytes(data.clone()).expect("opens");
        let end = d.elf().expect("elf").load_segments().map(|s| s.offset + s.filesz).max().expect("loads");
        let d = Dump::from_bytes(data[..end as usize - 100].to_vec()).expect("opens");
        assert!(d.warnings().iter().any(|w| w.message.contains("truncated by 100 bytes")), "{name}");
        let last = d.elf().expect("elf").load_segments().find(|s| s.offset + s.filesz == end).copied();
        let last = last.expect("the last segment");
        let addr = last.vaddr + last.filesz - 50;
        assert!(matches!(d.memory().u8(addr), Err(ReadError::Corrupt { .. })), "{name}");
        assert!(d.memory().u8(addr - 51).is_ok(), "{name}: the bytes before the cut are kept");
    }
    assert!(start.elapsed() < Duration::from_secs(20), "took {:?}", start.elapsed());
}

#[test]
fn flipped_header_bytes_never_panic() {
    let start = Instant::now();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for name in CORES {
        let data = std::fs::read(format!("{DIR}/{name}")).expect(name);
        let targets = targets(&data);
        let rounds = if data.len() > 1 << 20 { 150 } else { 400 };
        for _ in 0..rounds {
            let mut bytes = data.clone();
            // One to four damaged bytes, each in a header chosen at random.
            for _ in 0..1 + rng.below(4) {
                let (off, len) = targets[rng.below(targets.len())];
                let i = off + rng.below(len);
                if let Some(b) = bytes.get_mut(i) {
                    *b = match rng.below(4) {
                        0 => 0xff,
                        1 => 0,
                        _ => rng.next() as u8,
                    };
                }
            }
            exercise(bytes);
        }
    }
    assert!(start.elapsed() < Duration::from_secs(20), "took {:?}", start.elapsed());
}
