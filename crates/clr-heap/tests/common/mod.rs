#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Shared helpers of the metadata tests: finding real assemblies in place,
//! and the skip-or-fail rule for missing fixtures.
#![allow(dead_code)] // each test file uses a different subset

use clr_heap::metadata::{Metadata, TableId, Token};
use clr_heap::pe::{Layout, PeImage};
use std::path::{Path, PathBuf};

/// Debian's mono class libraries.
pub const MONO_MSCORLIB: &str = "/usr/lib/mono/4.5/mscorlib.dll";
/// Debian's mono System.dll.
pub const MONO_SYSTEM: &str = "/usr/lib/mono/4.5/System.dll";

/// True when a missing fixture must fail the test rather than skip it.
pub fn fixtures_required() -> bool {
    std::env::var_os("CLRSCOPE_REQUIRE_FIXTURES").is_some()
}

/// `Some(path)` when `path` exists; otherwise skips (prints why) or, when
/// `CLRSCOPE_REQUIRE_FIXTURES` is set, fails with `hint`.
pub fn fixture(path: &Path, hint: &str) -> Option<PathBuf> {
    if path.is_file() {
        return Some(path.to_path_buf());
    }
    if fixtures_required() {
        panic!("fixture {} is missing: {hint}", path.display());
    }
    eprintln!("skipping: fixture {} is missing ({hint})", path.display());
    None
}

/// A tool on PATH, under the same skip-or-fail rule.
pub fn tool(name: &str, hint: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join(name))
        .find(|p| p.is_file());
    if found.is_none() {
        if fixtures_required() {
            panic!("tool {name} is missing: {hint}");
        }
        eprintln!("skipping: tool {name} is missing ({hint})");
    }
    found
}

/// The metadata blob of the assembly file at `path` (file layout).
pub fn metadata_of(path: &Path) -> Vec<u8> {
    let file = std::fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let image =
        PeImage::parse(file.as_slice(), Layout::File).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    image.read_metadata(file.as_slice()).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `fixtures/generated/.runtimes/`, where the fixture script unpacks .NET runtimes.
pub fn runtimes_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/generated/.runtimes")
}

/// The first file called `name` under `dir` whose path contains `needle`
/// (depth-limited walk, sorted for determinism).
pub fn find_file(dir: &Path, name: &str, needle: &str, depth: u32) -> Option<PathBuf> {
    let mut entries: Vec<_> = std::fs::read_dir(dir).ok()?.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in &entries {
        if p.is_file() && p.file_name().is_some_and(|n| n == name) && p.to_string_lossy().contains(needle) {
            return Some(p.clone());
        }
    }
    if depth == 0 {
        return None;
    }
    entries.iter().filter(|p| p.is_dir()).find_map(|p| find_file(p, name, needle, depth - 1))
}

/// The TypeDef called `full` (as `Metadata::full_type_name` prints it), or a panic.
pub fn type_rid(md: &Metadata, full: &str) -> u32 {
    md.find_type_by_full_name(full).expect("metadata readable").unwrap_or_else(|| panic!("no TypeDef {full}"))
}

/// Names of the fields of a type, in declaration order.
pub fn field_names(md: &Metadata, td: u32) -> Vec<String> {
    md.fields_of(td)
        .expect("fields")
        .into_iter()
        .map(|f| md.field(f).expect("field").name.into_owned())
        .collect()
}

/// Row count of a table.
pub fn rows(md: &Metadata, t: TableId) -> u32 {
    md.rows(t)
}

/// Every TypeDef, Field, MethodDef, TypeRef, MemberRef, TypeSpec and
/// AssemblyRef of `md` can be read, named and (for signatures) decoded.
pub fn walk_everything(md: &Metadata) -> usize {
    let mut named = 0;
    for rid in 1..=md.rows(TableId::TypeDef) {
        md.full_type_name(rid).unwrap();
        for f in md.fields_of(rid).unwrap() {
            md.field_type_name(f).unwrap_or_else(|e| panic!("field {f}: {e}"));
            named += 1;
        }
        for m in md.methods_of(rid).unwrap() {
            md.method_display_name(m).unwrap_or_else(|e| panic!("method {m}: {e}"));
            md.params_of(m).unwrap();
            named += 1;
        }
    }
    for rid in 1..=md.rows(TableId::TypeRef) {
        md.type_ref_full_name(rid).unwrap();
    }
    for rid in 1..=md.rows(TableId::TypeSpec) {
        md.type_name(
            Token::new(TableId::TypeSpec, rid),
            clr_heap::metadata::SigStyle::Field,
            Default::default(),
        )
        .unwrap_or_else(|e| panic!("TypeSpec {rid}: {e}"));
    }
    for rid in 1..=md.rows(TableId::MemberRef) {
        let m = md.member_ref(rid).unwrap();
        if m.signature.first() == Some(&0x06) {
            clr_heap::metadata::decode_field_sig(m.signature, 0).unwrap();
        } else {
            clr_heap::metadata::decode_method_sig(m.signature, 0).unwrap();
        }
    }
    for rid in 1..=md.rows(TableId::MethodSpec) {
        let s = md.method_spec(rid).unwrap();
        clr_heap::metadata::decode_method_spec(s.instantiation, 0).unwrap();
    }
    for rid in 1..=md.rows(TableId::AssemblyRef) {
        md.assembly_ref_name(rid).unwrap();
    }
    named
}
