//! Damaged MINIDUMPs: every fixture cut short at many offsets, and with
//! bytes overwritten in its header, directory, stream headers and counts.
//! Opening must give an error or a partial answer, and everything a caller
//! can then ask — neutral records, typed streams, memory reads — must
//! answer: never a panic, never a hang.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use dump_format::Dump;
use std::time::{Duration, Instant};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures/third-party");
/// Files up to this size are cut every 64 bytes; larger ones at spread offsets.
const SMALL: usize = 128 << 10;
const SPREAD_CUTS: usize = 300;
const MUTATIONS_PER_FILE: usize = 1000;

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

fn fixtures() -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(DIR)
        .expect("fixture directory")
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let bytes = std::fs::read(e.path()).ok()?;
            bytes.starts_with(b"MDMP").then(|| (e.file_name().to_string_lossy().into_owned(), bytes))
        })
        .collect();
    out.sort();
    out
}

/// Opens `bytes` and, if that works, asks everything a caller can ask.
fn exercise(bytes: Vec<u8>) {
    let Ok(d) = Dump::from_bytes(bytes) else { return };
    let _ = (d.system(), d.process(), d.exception(), d.warnings(), d.handles(), d.comments());
    let _ = (d.unloaded_modules().len(), d.streams().len(), d.regions().len());
    let mem = d.memory();
    for t in d.threads() {
        if let Some(c) = t.context {
            let _ = c.registers();
            let _ = mem.read(c.stack_pointer(), 256);
        }
        if let Some((start, len)) = t.stack {
            let _ = mem.read(start, len.min(4096));
        }
    }
    for m in d.modules().iter().take(64) {
        let _ = (m.file_name(), m.debug_id.as_ref().map(|id| id.key()));
        let _ = mem.read(m.base, 64);
        let _ = d.module_at(m.base);
    }
    for r in mem.regions().iter().take(64) {
        let _ = mem.read(r.start, r.mem_len.min(512));
        let _ = mem.u64(r.end().wrapping_sub(4));
        let _ = mem.readable_len(r.start);
    }
    let _ = mem.captured_bytes();
    let md = d.minidump().expect("a MINIDUMP has typed access");
    let _ = (md.header().flag_names(), md.directory().len());
    let _ = (md.system_info(), md.misc_info(), md.thread_list(), md.thread_info_list());
    let _ = (md.thread_names(), md.module_list(), md.unloaded_module_list());
    let _ = (md.memory_list(), md.memory64_list(), md.memory_info_list(), md.exception());
    let _ = (md.handle_data(), md.comments(), md.system_memory_info(), md.process_vm_counters());
    for e in md.directory() {
        let _ = md.stream(e.kind);
    }
}

/// Runs `exercise`, naming the damage when it panics.
fn check(name: &str, damage: &str, bytes: Vec<u8>) {
    let r = std::panic::catch_unwind(|| exercise(bytes));
    assert!(r.is_ok(), "{name}: panicked after {damage}");
}

/// Offsets worth damaging: header, directory entries, and the first bytes of
/// every stream (counts, header sizes, first entries).
fn hot_spots(bytes: &[u8]) -> Vec<usize> {
    let mut spots: Vec<usize> = (0..32).collect();
    let rd = |o: usize| bytes.get(o..o + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
    let (Some(count), Some(dir)) = (rd(8), rd(12)) else { return spots };
    for i in 0..count.min(64) {
        let e = dir + 12 * i;
        spots.extend(e..e + 12);
        if let (Some(size), Some(rva)) = (rd(e + 4), rd(e + 8)) {
            spots.extend(rva..rva + size.min(64));
        }
    }
    spots.retain(|&o| o < bytes.len());
    spots
}

#[test]
fn truncated_minidumps_never_panic() {
    let start = Instant::now();
    for (name, bytes) in fixtures() {
        let cuts: Vec<usize> = if bytes.len() <= SMALL {
            (0..bytes.len()).step_by(64).collect()
        } else {
            (0..SPREAD_CUTS).map(|i| i * bytes.len() / SPREAD_CUTS).collect()
        };
        for cut in cuts {
            check(&name, &format!("truncation at {cut}"), bytes[..cut].to_vec());
        }
    }
    assert!(start.elapsed() < Duration::from_secs(20), "took {:?}", start.elapsed());
}

#[test]
fn mutated_minidumps_never_panic() {
    let start = Instant::now();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for (name, bytes) in fixtures() {
        let spots = hot_spots(&bytes);
        for n in 0..MUTATIONS_PER_FILE {
            let mut m = bytes.clone();
            let at = spots[rng.below(spots.len())];
            // Either one random byte, or a whole u32 set to a boundary value.
            let damage = if n % 2 == 0 {
                let v = rng.next() as u8;
                m[at] = v;
                format!("byte {at} := {v:#x} (mutation {n})")
            } else {
                let specials = [0u32, 1, 0x7fff_ffff, 0xffff_ffff, 0x8000_0000, bytes.len() as u32, 0x1000];
                let v = specials[rng.below(specials.len())];
                for (i, b) in v.to_le_bytes().iter().enumerate() {
                    if let Some(slot) = m.get_mut(at + i) {
                        *slot = *b;
                    }
                }
                format!("u32 at {at} := {v:#x} (mutation {n})")
            };
            check(&name, &damage, m);
        }
    }
    assert!(start.elapsed() < Duration::from_secs(20), "took {:?}", start.elapsed());
}
