//! A mutation-based fuzz test of the whole stack (container parsers, the
//! address-space reader and every CLI command), runnable on the stable
//! toolchain. Each iteration takes a real dump, damages it (flipped bytes,
//! overwritten counts, truncation, spliced regions) and runs every command
//! on it in-process: any panic or hang fails the test. Damaged input must
//! give an error or a partial answer — exit codes 0, 2, 4 or 5 — nothing else.
//!
//! `CLRSCOPE_FUZZ_ITERS=N cargo test --release --test mutation_fuzz` runs
//! longer campaigns; the default keeps CI fast.

use std::time::{Duration, Instant};
use testkit::{Rng, catalog, clrscope, third_party_dir};

fn mutate(rng: &mut Rng, data: &mut Vec<u8>) {
    let n = data.len();
    if n < 8 {
        return;
    }
    match rng.below(5) {
        // Flip bytes anywhere in the first 4 KiB (headers, directories, notes).
        0 => {
            for _ in 0..1 + rng.below(8) {
                let i = rng.below(n.min(4096));
                data[i] ^= 1 << rng.below(8);
            }
        }
        // Overwrite a 32-bit word with an extreme value (counts, sizes, RVAs).
        1 => {
            let i = rng.below(n.min(4096).saturating_sub(4)) & !3;
            let v: u32 = [0, 1, 0x7fff_ffff, 0xffff_ffff, 0x8000_0000, 0x1000_0000][rng.below(6)];
            data[i..i + 4].copy_from_slice(&v.to_le_bytes());
        }
        // Truncate.
        2 => data.truncate(rng.below(n)),
        // Copy one range over another (duplicated headers, overlapping regions).
        3 => {
            let len = 1 + rng.below(256.min(n / 2));
            let (a, b) = (rng.below(n.saturating_sub(len)), rng.below(n.saturating_sub(len)));
            let chunk = data[a..a + len].to_vec();
            data[b..b + len].copy_from_slice(&chunk);
        }
        // Random bytes anywhere.
        _ => {
            for _ in 0..1 + rng.below(64) {
                let i = rng.below(n);
                data[i] = rng.next() as u8;
            }
        }
    }
}

#[test]
fn damaged_dumps_never_panic_or_hang() {
    let iters: usize = std::env::var("CLRSCOPE_FUZZ_ITERS").ok().and_then(|v| v.parse().ok()).unwrap_or(1500);
    let files: Vec<(String, Vec<u8>)> = catalog()
        .iter()
        .filter_map(|e| e["file"].as_str().map(str::to_string))
        .filter_map(|f| std::fs::read(third_party_dir().join(&f)).ok().map(|d| (f, d)))
        .collect();
    assert!(!files.is_empty());
    let dir = std::env::temp_dir().join(format!("clrscope-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let commands: &[&[&str]] = &[
        &["info"],
        &["threads", "--native"],
        &["runaway"],
        &["modules", "--unloaded"],
        &["memory"],
        &["exception"],
        &["triage"],
    ];
    let mut rng = Rng(0x00c0_ffee_d00d_f00d);
    let started = Instant::now();
    for i in 0..iters {
        let (name, original) = &files[rng.below(files.len())];
        let mut data = original.clone();
        for _ in 0..1 + rng.below(3) {
            if data.is_empty() {
                break;
            }
            mutate(&mut rng, &mut data);
        }
        let path = dir.join(format!("case-{i}.dmp"));
        std::fs::write(&path, &data).unwrap_or_else(|e| panic!("{e}"));
        for cmd in commands {
            let mut args: Vec<std::ffi::OsString> = cmd.iter().map(|s| s.into()).collect();
            args.push(path.clone().into_os_string());
            args.push("--json".into());
            let t = Instant::now();
            let run = clrscope(&args);
            assert!(
                matches!(run.code, 0 | 2 | 4 | 5),
                "iteration {i} ({name}) {cmd:?}: exit {} {}",
                run.code,
                run.stderr
            );
            assert!(
                t.elapsed() < Duration::from_secs(5),
                "iteration {i} ({name}) {cmd:?} took {:?}",
                t.elapsed()
            );
        }
        let _ = std::fs::remove_file(&path);
    }
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!("{iters} damaged dumps, {} commands each, in {:?}", commands.len(), started.elapsed());
}
