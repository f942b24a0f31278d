//! Damaged metadata — truncated at many offsets, bytes flipped in the root,
//! the stream headers, the tables header, the tables and the heaps — must
//! give errors, never a panic, in bounded time.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use clr_heap::metadata::{Metadata, SigStyle, TableId, Token};
use common::*;
use std::path::Path;
use std::time::{Duration, Instant};

/// Asks a damaged blob everything a caller would, ignoring the answers:
/// the point is that asking returns. The walk is capped so that damage
/// that makes lists huge cannot make the test slow.
fn interrogate(md: &Metadata) {
    let _ = md.assembly();
    let _ = md.module_name();
    let _ = md.mvid();
    let _ = md.core_library_name();
    let _ = md.user_string(Token(0x7000_0001));
    let types = md.rows(TableId::TypeDef).min(150);
    for rid in 1..=types {
        let _ = md.full_type_name(rid);
        let _ = md.generic_params(Token::new(TableId::TypeDef, rid));
        if let Ok(fields) = md.fields_of(rid) {
            for f in fields.into_iter().take(20) {
                let _ = md.field_type_name(f);
                let _ = md.field_owner(f);
            }
        }
        if let Ok(methods) = md.methods_of(rid) {
            for m in methods.into_iter().take(20) {
                let _ = md.method_display_name(m);
                let _ = md.params_of(m);
            }
        }
    }
    for rid in 1..=md.rows(TableId::TypeRef).min(100) {
        let _ = md.type_ref_full_name(rid);
        let _ = md.defining_assembly(Token::new(TableId::TypeRef, rid));
    }
    for rid in 1..=md.rows(TableId::TypeSpec).min(100) {
        let _ = md.type_name(Token::new(TableId::TypeSpec, rid), SigStyle::Field, Default::default());
    }
    for t in TableId::ALL {
        let n = md.rows(t);
        for rid in [0, 1, n / 2, n, n + 1] {
            let _ = md.tables().row(t, rid);
        }
    }
}

fn blob() -> Option<Vec<u8>> {
    // System.dll: large enough to have every common table, small enough to walk often.
    let path = fixture(Path::new(MONO_SYSTEM), "apt-get install -y mono-mcs")?;
    Some(metadata_of(&path))
}

/// Offsets of the interesting headers: root, stream headers, tables header.
fn header_span(md: &Metadata) -> (usize, usize) {
    let tables = md.root().stream("#~").unwrap();
    let end = tables.offset as usize + 24 + 4 * md.tables().valid.count_ones() as usize;
    (tables.offset as usize, end)
}

#[test]
fn truncation_anywhere_is_an_error() {
    let Some(full) = blob() else { return };
    let started = Instant::now();
    let (tables_start, tables_header_end) = header_span(&Metadata::parse(&full).unwrap());
    // Every offset through the root, stream headers and tables header; then a stride.
    let cuts = (0..tables_header_end + 8).chain((tables_header_end..full.len()).step_by(997));
    let mut parsed = 0;
    for cut in cuts {
        match Metadata::parse(&full[..cut]) {
            Ok(md) => {
                parsed += 1;
                interrogate(&md);
            }
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    }
    // Every stream lies within the blob: a cut before the end of the last one must fail.
    assert_eq!(parsed, 0, "a truncated blob parsed (tables at {tables_start:#x})");
    assert!(started.elapsed() < Duration::from_secs(60), "took {:?}", started.elapsed());
}

#[test]
fn flipped_header_bytes_are_errors_or_harmless() {
    let Some(full) = blob() else { return };
    let started = Instant::now();
    let (_, header_end) = header_span(&Metadata::parse(&full).unwrap());
    let mut damaged = full.clone();
    let mut errors = 0;
    for pos in 0..header_end {
        for mask in [0x01u8, 0x10, 0x80, 0xFF] {
            damaged[pos] ^= mask;
            match Metadata::parse(&damaged) {
                Ok(md) => interrogate(&md),
                Err(_) => errors += 1,
            }
            damaged[pos] ^= mask;
        }
    }
    assert!(errors > 0);
    assert!(started.elapsed() < Duration::from_secs(120), "took {:?}", started.elapsed());
}

#[test]
fn flipped_table_and_heap_bytes_never_panic() {
    let Some(full) = blob() else { return };
    let started = Instant::now();
    let (_, header_end) = header_span(&Metadata::parse(&full).unwrap());
    // A fixed-seed generator: the same damage on every run.
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..300 {
        let mut damaged = full.clone();
        for _ in 0..8 {
            let pos = header_end + (next() as usize) % (damaged.len() - header_end);
            damaged[pos] = next() as u8;
        }
        if let Ok(md) = Metadata::parse(&damaged) {
            interrogate(&md);
        }
    }
    assert!(started.elapsed() < Duration::from_secs(120), "took {:?}", started.elapsed());
}

#[test]
fn hostile_signatures_are_errors() {
    use clr_heap::metadata::{decode_field_sig, decode_method_sig, decode_type_spec};
    // Nesting beyond any real type.
    let mut deep = vec![0x06];
    deep.extend(std::iter::repeat_n(0x0F, 10_000));
    deep.push(0x08);
    assert!(decode_field_sig(&deep, 0).is_err());
    // A count the blob cannot hold must not allocate: GENERICINST with 2^28 args.
    assert!(decode_type_spec(&[0x15, 0x12, 0x05, 0xCF, 0xFF, 0xFF, 0xFF], 0).is_err());
    assert!(decode_method_sig(&[0x00, 0xDF, 0xFF, 0xFF, 0xFF, 0x01], 0).is_err());
    // Unknown element types, bad tags, empty blobs.
    assert!(decode_field_sig(&[0x06, 0x99], 0).is_err());
    assert!(decode_field_sig(&[0x06, 0x12, 0x03], 0).is_err());
    assert!(decode_field_sig(&[], 0).is_err());
    assert!(decode_method_sig(&[0x06, 0x08], 0).is_err());
    let e = decode_field_sig(&[0x06, 0x1D], 0x1234).unwrap_err().to_string();
    assert!(e.contains("0x1234"), "{e}");
}
