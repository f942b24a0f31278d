//! Benchmark of the roots: the one marking pass (`dumpheap --live --stat`:
//! the index's walk tallies every object, the marks give the live part), and
//! `gcroot` of an object deep in the leaked list including that pass,
//! against the plain `dumpheap --stat` walk of the same dump; phases and the
//! memory the index, marks and reverse edges hold.
//!
//! Run: `cargo bench --bench roots [-- DUMP]`. Default dump: the large
//! generated fixture (`fixtures/generate --large`), else the workstation one.

use clr_heap::Runtime;
use clr_heap::gc::stat::HeapStat;
use clr_heap::types::TypeSystem;
use clr_stack::Threads;
use clr_stack::roots::RootSet;
use dump_format::Dump;
use std::time::Instant;

fn main() {
    let Some(path) = testkit::bench_dump() else {
        eprintln!("no dump: run fixtures/generate [--large]");
        return;
    };
    // The target: the last leaked DTO (deep in the 10.5 M-element list), from the truth.
    let truth: serde_json::Value = path
        .parent()
        .and_then(|d| std::fs::read_to_string(d.join("truth.json")).ok())
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default();
    let target = truth["objects"]["leaked-dto-last"]["address"]
        .as_str()
        .and_then(|s| u64::from_str_radix(s.trim_start_matches("0x"), 16).ok());
    println!("dump: {}", path.display());
    let Ok(dump) = Dump::open(&path) else { return };
    // Best warm round of each side: the ratio of the two minimums.
    let (mut best_stat, mut best_live, mut best_gcroot) = (f64::MAX, f64::MAX, f64::MAX);
    for round in 0..4 {
        let t = Instant::now();
        let Ok(rt) = Runtime::open(&dump, &Default::default()) else { return };
        let Ok(stat) = HeapStat::collect(&rt, &mut rt.mt_cache(), |_| true, |_, _| {}) else { return };
        let walk = t.elapsed();

        let t = Instant::now();
        let Ok(rt) = Runtime::open(&dump, &Default::default()) else { return };
        let types = TypeSystem::new(&rt);
        let Ok(threads) = Threads::read(&types) else { return };
        let Ok(mut set) = RootSet::collect(&types, &threads) else { return };
        let live = set.liveness.stats.live;
        let t3 = Instant::now();
        let live_stat = set.stat(rt.mt_cache().free_mt(), true);
        let live_tally = t3.elapsed();
        let live_walk = t.elapsed();
        let live_phases: Vec<String> =
            set.timings.iter().map(|(n, d)| format!("{n} {:.0} ms", d.as_secs_f64() * 1e3)).collect();
        // gcroot: its own session (the marking also counts incoming references).
        let t2 = Instant::now();
        let Ok(rt) = Runtime::open(&dump, &Default::default()) else { return };
        let types = TypeSystem::new(&rt);
        let Ok(threads) = Threads::read(&types) else { return };
        let Ok(mut set) = RootSet::collect_with(&types, &threads, true) else { return };
        let roots = target.map(|a| set.paths_to(a).len());
        let gcroot = t2.elapsed();
        let phases: Vec<String> =
            set.timings.iter().map(|(n, d)| format!("{n} {:.0} ms", d.as_secs_f64() * 1e3)).collect();
        println!(
            "round {round}: dumpheap --stat {:.3} s ({} objects); dumpheap --live --stat {:.3} s ({live} live, {} counted, {:.1}x); \
             gcroot {:.3} s ({roots:?} roots)",
            walk.as_secs_f64(),
            stat.objects,
            live_walk.as_secs_f64(),
            live_stat.objects,
            live_walk.as_secs_f64() / walk.as_secs_f64(),
            gcroot.as_secs_f64(),
        );
        println!(
            "    --live --stat phases: {}, live statistics {:.0} ms",
            live_phases.join(", "),
            live_tally.as_secs_f64() * 1e3
        );
        println!("    gcroot phases: {}", phases.join(", "));
        if round > 0 {
            best_stat = best_stat.min(walk.as_secs_f64());
            best_live = best_live.min(live_walk.as_secs_f64());
            best_gcroot = best_gcroot.min(gcroot.as_secs_f64());
        }
        if round == 0 {
            println!(
                "    memory: heap index {} MB, marks {} MB, reverse edges {} MB",
                set.liveness.index.memory_bytes() >> 20,
                set.liveness.marks.memory_bytes() >> 20,
                set.paths().memory_bytes() >> 20
            );
        }
    }
    println!(
        "best warm round: dumpheap --stat {best_stat:.3} s, dumpheap --live --stat {best_live:.3} s ({:.1}x), gcroot {best_gcroot:.3} s",
        best_live / best_stat
    );
}
