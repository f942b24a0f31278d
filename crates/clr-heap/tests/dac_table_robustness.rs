//! Damaged inputs: the DAC table route must answer with an error (or a
//! table whose counts are still checked), never panic, loop or allocate
//! from a hostile count.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use clr_heap::globals::dac_table::{DacTableError, read_dac_table_from_pe_file};
use clr_heap::globals::elf_symbols::RuntimeBinary;
use std::path::{Path, PathBuf};

fn runtimes() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/generated/.runtimes")
}

fn load(rel: &str) -> Option<Vec<u8>> {
    let path = runtimes().join(rel);
    match std::fs::read(&path) {
        Ok(b) => Some(b),
        Err(_) => {
            assert!(
                std::env::var_os("CLRSCOPE_REQUIRE_FIXTURES").is_none(),
                "CLRSCOPE_REQUIRE_FIXTURES is set but {} is missing",
                path.display()
            );
            eprintln!("skipped: {} is missing", path.display());
            None
        }
    }
}

const X64: &str =
    "dotnetcore2-3.1.23-win-x64/dotnetcore2/bin/shared/Microsoft.NETCore.App/3.1.23/coreclr.dll";
const LINUX: &str =
    "dotnetcore2-3.1.23-linux-x64/dotnetcore2/bin/shared/Microsoft.NETCore.App/3.1.23/libcoreclr.so";

fn u16_at(b: &[u8], o: usize) -> usize {
    usize::from(u16::from_le_bytes([b[o], b[o + 1]]))
}
fn u32_at(b: &[u8], o: usize) -> usize {
    u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]) as usize
}
fn put32(b: &mut [u8], o: usize, v: u32) {
    b[o..o + 4].copy_from_slice(&v.to_le_bytes());
}

/// File offsets of: the resource directory, its size, and the DAC table's
/// data entry — found by the test's own minimal PE walk.
struct Layout {
    rsrc: usize,
    rsrc_size: usize,
    data_entry: usize,
    table: usize,
}

fn layout(b: &[u8]) -> Layout {
    let nt = u32_at(b, 0x3c);
    let nsec = u16_at(b, nt + 6);
    let opt = nt + 24;
    let dirs = opt + if u16_at(b, opt) == 0x20b { 112 } else { 96 };
    let (rva, size) = (u32_at(b, dirs + 16), u32_at(b, dirs + 20));
    let secs = opt + u16_at(b, nt + 20);
    let off = |r: usize| {
        (0..nsec)
            .map(|i| secs + i * 40)
            .find_map(|s| {
                let (va, vs, raw) = (u32_at(b, s + 12), u32_at(b, s + 8), u32_at(b, s + 20));
                (r >= va && r < va + vs).then(|| r - va + raw)
            })
            .expect("RVA in a section")
    };
    let rsrc = off(rva);
    let entry = |dir: usize, pick: &dyn Fn(usize) -> bool| {
        let n = u16_at(b, rsrc + dir + 12) + u16_at(b, rsrc + dir + 14);
        (0..n)
            .map(|i| rsrc + dir + 16 + i * 8)
            .find(|&e| pick(u32_at(b, e)))
            .map(|e| u32_at(b, e + 4) & 0x7fff_ffff)
            .expect("entry")
    };
    let types = entry(0, &|n| n == 10);
    let names = entry(types, &|n| {
        n & 0x8000_0000 != 0 && {
            let s = rsrc + (n & 0x7fff_ffff);
            u16_at(b, s) == 29 && b[s + 2] == b'C'
        }
    });
    let data = entry(names, &|_| true);
    let data_entry = rsrc + data;
    Layout { rsrc, rsrc_size: size, data_entry, table: off(u32_at(b, data_entry)) }
}

#[test]
fn flipped_resource_directory_bytes_never_panic() {
    let Some(mut b) = load(X64) else { return };
    let l = layout(&b);
    let span = l.rsrc_size.min(0x400);
    let (mut errors, mut oks) = (0, 0);
    for i in 0..span {
        for mask in [0xff_u8, 0x80, 0x01] {
            b[l.rsrc + i] ^= mask;
            match read_dac_table_from_pe_file(&b, "flipped coreclr.dll", 0, None) {
                // A flip in a field the walk does not use: the counts and
                // section checks still hold.
                Ok(t) => {
                    assert_eq!((t.num_globals, t.num_vptrs), (121, 73));
                    oks += 1;
                }
                Err(_) => errors += 1,
            }
            b[l.rsrc + i] ^= mask;
        }
    }
    assert!(errors > 0, "no flip was noticed");
    eprintln!("{span} bytes × 3 masks: {errors} errors, {oks} harmless");
}

#[test]
fn directory_pointing_at_itself_terminates() {
    let Some(mut b) = load(X64) else { return };
    let l = layout(&b);
    // Make every root entry a subdirectory that is the root itself.
    let n = u16_at(&b, l.rsrc + 12) + u16_at(&b, l.rsrc + 14);
    for i in 0..n {
        put32(&mut b, l.rsrc + 16 + i * 8 + 4, 0x8000_0000);
    }
    assert!(read_dac_table_from_pe_file(&b, "cyclic", 0, None).is_err());
}

#[test]
fn truncated_table_is_an_error() {
    let Some(orig) = load(X64) else { return };
    let l = layout(&orig);
    // Resource sizes too small for the header, or for the announced entries.
    for size in [0u32, 4, 23, 24, 25, 24 + 4 * 100, 24 + 4 * (121 + 73) - 1] {
        let mut b = orig.clone();
        put32(&mut b, l.data_entry + 4, size);
        match read_dac_table_from_pe_file(&b, "short table", 0, None) {
            Err(DacTableError::Malformed { .. }) => {}
            other => panic!("size {size}: expected Malformed, got {other:?}"),
        }
    }
    // Hostile counts: nothing is allocated from them.
    for (g, v) in [(u32::MAX, u32::MAX), (u32::MAX, 0), (121, u32::MAX - 120)] {
        let mut b = orig.clone();
        put32(&mut b, l.table, g);
        put32(&mut b, l.table + 4, v);
        assert!(read_dac_table_from_pe_file(&b, "hostile counts", 0, None).is_err(), "{g} {v}");
    }
    // Counts that fit the resource but not the list: refused, not shifted.
    let mut b = orig.clone();
    put32(&mut b, l.table, 120);
    put32(&mut b, l.table + 4, 74);
    assert!(matches!(
        read_dac_table_from_pe_file(&b, "shifted", 0, None),
        Err(DacTableError::CountMismatch { found_globals: 120, .. })
    ));
    // An entry pointing outside the image.
    let mut b = orig.clone();
    put32(&mut b, l.table + 24, 0x7fff_0000);
    assert!(matches!(
        read_dac_table_from_pe_file(&b, "wild entry", 0, None),
        Err(DacTableError::Inconsistent { .. })
    ));
    // The file cut in the middle of the table, and at every header boundary.
    for cut in [l.table + 30, l.rsrc + 20, 0x200, 0x80, 0x40, 2, 0] {
        assert!(read_dac_table_from_pe_file(&orig[..cut], "cut", 0, None).is_err(), "cut at {cut:#x}");
    }
}

#[test]
fn damaged_elf_headers_never_panic() {
    let Some(mut b) = load(LINUX) else { return };
    let parse = |b: &[u8], name: &str| RuntimeBinary::parse(Path::new(name), b.to_vec());
    assert!(parse(&b, "libcoreclr.so").expect("parses").symbol("g_dacTable").is_some());
    // Every byte of the ELF header and the first program headers.
    for i in 0..0x100 {
        for mask in [0xff_u8, 0x80, 0x10] {
            b[i] ^= mask;
            if let Ok(elf) = parse(&b, "flipped") {
                let _ = elf.symbol("g_dacTable");
            }
            b[i] ^= mask;
        }
    }
    // The section header table's own bytes (symbol-table offsets, sizes, links).
    let shoff = u64::from_le_bytes(b[0x28..0x30].try_into().expect("8 bytes")) as usize;
    for i in (0..40 * 64).step_by(3) {
        b[shoff + i] ^= 0xff;
        if let Ok(elf) = parse(&b, "flipped") {
            let _ = elf.symbol("g_dacTable");
        }
        b[shoff + i] ^= 0xff;
    }
    for cut in [0usize, 10, 63, 64, 0x1000, b.len() / 2, b.len() - 1] {
        if let Ok(elf) = parse(&b[..cut], "cut") {
            let _ = elf.symbol("g_dacTable");
        }
    }
}
