//! Benchmark of the heap walk behind `dumpheap --stat`: objects per second
//! single-threaded, against a plain sequential read of the same heap bytes in
//! the same run, and the memory the walk allocates.
//!
//! Run: `cargo bench --bench heap_walk [-- DUMP]`. Default dump: the large
//! generated fixture (`fixtures/generate --large`), else the workstation one.

use clr_heap::Runtime;
use clr_heap::gc::stat::HeapStat;
use dump_format::Dump;
use std::hint::black_box;
use std::time::Instant;

fn status(key: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(key)).map(|l| l[key.len()..].trim().to_string()))
        .unwrap_or_else(|| "?".into())
}

fn main() {
    let Some(path) = testkit::bench_dump() else {
        eprintln!("no dump: run fixtures/generate [--large]");
        return;
    };
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!("dump: {} ({:.0} MB)", path.display(), size as f64 / 1e6);
    let Ok(dump) = Dump::open(&path) else { return };
    let t = Instant::now();
    let Ok(rt) = Runtime::open(&dump, &Default::default()) else {
        eprintln!("no runtime");
        return;
    };
    println!("runtime open: {:.1} ms", t.elapsed().as_secs_f64() * 1e3);
    let Ok(heap) = rt.heap.as_ref() else { return };
    let heap_bytes = heap.total_size();

    // Plain sequential read of the same bytes: the floor for any walk.
    let mem = dump.memory();
    let plain = |label: &str| {
        let t = Instant::now();
        let mut sum = 0u64;
        for s in &heap.segments {
            if let Ok(b) = mem.slice(s.start, s.len()) {
                for c in b.chunks_exact(8) {
                    sum = sum
                        .wrapping_add(u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]));
                }
            }
        }
        black_box(sum);
        let el = t.elapsed().as_secs_f64();
        println!("{label}: {:.3} s ({:.0} MB/s)", el, heap_bytes as f64 / el / 1e6);
        el
    };
    plain("plain read of the heap bytes (cold)");
    let plain_s = plain("plain read of the heap bytes (warm)");
    // Reading the same bytes the ordinary way: copied out, chunk by chunk.
    let copy_s = {
        let t = Instant::now();
        let mut buf = vec![0u8; 64 << 20];
        for s in &heap.segments {
            let mut a = s.start;
            while a < s.end {
                let n = (s.end - a).min(buf.len() as u64);
                if let Ok(b) = mem.slice(a, n) {
                    buf[..n as usize].copy_from_slice(b);
                }
                black_box(&buf);
                a += n;
            }
        }
        let el = t.elapsed().as_secs_f64();
        println!("copying the heap bytes out (warm): {:.3} s ({:.0} MB/s)", el, heap_bytes as f64 / el / 1e6);
        el
    };

    // The walk alone (no statistics), to see where the time goes.
    let mut walk_best = f64::MAX;
    for _ in 0..3 {
        let mut cache = rt.mt_cache();
        let t = Instant::now();
        let Ok(walk) = rt.walk(&mut cache) else { return };
        black_box(walk.count());
        walk_best = walk_best.min(t.elapsed().as_secs_f64());
    }
    println!("walk only: {:.3} s", walk_best);

    let mut best = f64::MAX;
    let mut objects = 0;
    for _ in 0..3 {
        let mut cache = rt.mt_cache();
        let t = Instant::now();
        let Ok(stat) = HeapStat::collect(&rt, &mut cache, |_| true, |_, _| {}) else { return };
        best = best.min(t.elapsed().as_secs_f64());
        objects = stat.objects;
    }
    println!(
        "dumpheap --stat walk: {objects} objects in {:.3} s = {:.1} M objects/s; {:.2}x the summing scan, {:.2}x the copy",
        best,
        objects as f64 / best / 1e6,
        best / plain_s,
        best / copy_s
    );
    println!(
        "memory: peak RSS {} (includes the mapped dump pages the walk touched), anonymous RSS now {}, dump {:.0} MB",
        status("VmHWM:"),
        status("RssAnon:"),
        size as f64 / 1e6
    );
}
