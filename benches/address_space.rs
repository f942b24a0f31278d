//! Benchmark of the container layer's hot paths: opening a dump, and
//! pointer-sized reads through the address space (the heap walker's inner
//! loop). Plain `std::time` harness: no benchmark framework to compile.
//!
//! Run: `cargo bench --bench address_space [-- DUMP]` (defaults to the
//! largest generated fixture, else the largest third-party dump).

use dump_format::Dump;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

fn default_dump() -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    for dir in [testkit::generated_dir(), testkit::third_party_dir()] {
        let Ok(rd) = std::fs::read_dir(&dir) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                for f in ["core", "dump.dmp"] {
                    if p.join(f).is_file() {
                        candidates.push(p.join(f));
                    }
                }
            } else if p.extension().is_some_and(|x| x == "dmp" || x == "core") {
                candidates.push(p);
            }
        }
    }
    candidates.into_iter().max_by_key(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
}

fn main() {
    let path =
        std::env::args().skip(1).find(|a| !a.starts_with("--")).map(PathBuf::from).or_else(default_dump);
    let Some(path) = path else {
        eprintln!("no dump to benchmark");
        return;
    };
    println!("dump: {} ({} bytes)", path.display(), std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0));

    let t = Instant::now();
    let mut opens = 0u32;
    while t.elapsed().as_millis() < 500 {
        black_box(Dump::open(&path).map(|d| d.threads().len()).ok());
        opens += 1;
    }
    println!("open+parse: {:.3} ms", t.elapsed().as_secs_f64() * 1e3 / f64::from(opens));

    let Ok(dump) = Dump::open(&path) else {
        eprintln!("cannot open");
        return;
    };
    let mem = dump.memory();
    let ps = mem.pointer_size() as u64;
    let captured = mem.captured_bytes();

    // Sequential pointer reads over every captured byte, as a heap walk does.
    let t = Instant::now();
    let (mut reads, mut sum) = (0u64, 0u64);
    for r in mem.regions() {
        let end = r.start + r.file_len.min(r.mem_len);
        let mut a = r.start;
        while a + ps <= end {
            if let Ok(v) = mem.ptr(a) {
                sum = sum.wrapping_add(v);
            }
            reads += 1;
            a += ps;
        }
    }
    let el = t.elapsed().as_secs_f64();
    println!(
        "sequential ptr reads: {reads} in {:.3} s = {:.1} M reads/s, {:.1} ns/read ({:.0} MB/s)",
        el,
        reads as f64 / el / 1e6,
        el * 1e9 / reads.max(1) as f64,
        captured as f64 / el / 1e6
    );

    // The plain sequential read of the same bytes, for comparison.
    let t = Instant::now();
    let mut plain = 0u64;
    for r in mem.regions() {
        if let Ok(s) = mem.slice(r.start, r.file_len.min(r.mem_len)) {
            for c in s.chunks_exact(ps as usize) {
                let mut b = [0u8; 8];
                b[..c.len()].copy_from_slice(c);
                plain = plain.wrapping_add(u64::from_le_bytes(b));
            }
        }
    }
    let el2 = t.elapsed().as_secs_f64();
    println!(
        "plain slice scan: {:.3} s ({:.0} MB/s); reader overhead {:.1}x",
        el2,
        captured as f64 / el2 / 1e6,
        el / el2.max(1e-9)
    );

    // Random reads (binary search dominates).
    let regions = mem.regions();
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let n = 2_000_000u64;
    let t = Instant::now();
    for _ in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let r = &regions[(x % regions.len().max(1) as u64) as usize];
        let a = r.start + (x >> 20) % r.mem_len.max(1);
        black_box(mem.ptr(a & !(ps - 1)).ok());
    }
    let el = t.elapsed().as_secs_f64();
    println!("random ptr reads: {:.1} ns/read over {} regions", el * 1e9 / n as f64, regions.len());
    black_box((sum, plain));
}
