//! The reader against Debian's mono class libraries, read in place, and
//! cross-checked row by row against `monodis`, an independent reader.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use clr_heap::metadata::{Metadata, TableId, Token};
use common::*;
use std::path::Path;

fn mono(path: &str) -> Option<Vec<u8>> {
    let path = fixture(Path::new(path), "apt-get install -y mono-mcs")?;
    Some(metadata_of(&path))
}

#[test]
fn mscorlib_identity_and_core_types() {
    let Some(blob) = mono(MONO_MSCORLIB) else { return };
    let md = Metadata::parse(&blob).unwrap();
    let asm = md.assembly().unwrap().unwrap();
    assert_eq!(asm.to_string(), "mscorlib, Version=4.0.0.0, Culture=neutral");
    assert_eq!(md.module_name().unwrap(), "mscorlib.dll");
    assert_eq!(md.version(), "v4.0.30319");
    assert_eq!(md.core_library_name().unwrap().unwrap(), "mscorlib");

    let string = md.find_type_def("System", "String").unwrap().unwrap();
    let fields = field_names(&md, string);
    for want in ["_stringLength", "_firstChar", "Empty"] {
        assert!(fields.iter().any(|f| f == want), "System.String lacks {want}: {fields:?}");
    }
    let first_char =
        md.fields_of(string).unwrap().into_iter().find(|&f| md.field(f).unwrap().name == "_firstChar");
    assert_eq!(md.field_type_name(first_char.unwrap()).unwrap(), "System.Char");
    let object = md.find_type_def("System", "Object").unwrap().unwrap();
    assert!(md.type_def(object).unwrap().extends.is_null());
    assert_eq!(md.type_def_or_ref_name(md.type_def(string).unwrap().extends).unwrap(), "System.Object");

    let entry = type_rid(&md, "System.Collections.Generic.Dictionary`2+Entry");
    let dict = type_rid(&md, "System.Collections.Generic.Dictionary`2");
    assert_eq!(md.enclosing_class(entry).unwrap(), Some(dict));
    let entries = md.fields_of(dict).unwrap().into_iter().find(|&f| md.field(f).unwrap().name == "_entries");
    assert_eq!(
        md.field_type_name(entries.unwrap()).unwrap(),
        "System.Collections.Generic.Dictionary`2+Entry[[TKey],[TValue]][]"
    );
    assert!(walk_everything(&md) > 40_000);
}

#[test]
fn system_dll_references_mscorlib() {
    let Some(blob) = mono(MONO_SYSTEM) else { return };
    let md = Metadata::parse(&blob).unwrap();
    assert_eq!(md.assembly().unwrap().unwrap().name, "System");
    assert_eq!(md.core_library_name().unwrap().unwrap(), "mscorlib");
    let refs: Vec<String> = (1..=md.rows(TableId::AssemblyRef))
        .map(|r| md.assembly_ref_name(r).unwrap().name.into_owned())
        .collect();
    assert!(refs.iter().any(|r| r == "mscorlib"), "{refs:?}");
    // System.Object is referenced, not defined, here.
    assert_eq!(md.find_type_def("System", "Object").unwrap(), None);
    let object_ref =
        (1..=md.rows(TableId::TypeRef)).find(|&r| md.type_ref_full_name(r).unwrap() == "System.Object");
    let scope = md.type_ref_scope(object_ref.unwrap()).unwrap();
    assert_eq!(md.assembly_ref_name(scope.rid()).unwrap().name, "mscorlib");
    assert!(walk_everything(&md) > 10_000);
}

fn monodis(args: &[&str], path: &str) -> Option<String> {
    let bin = tool("monodis", "apt-get install -y mono-utils")?;
    let out = std::process::Command::new(bin).args(args).arg(path).output().unwrap();
    assert!(out.status.success(), "monodis {args:?} {path} failed");
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The coded TypeDefOrRef value monodis prints for `extends`.
fn encode_type_def_or_ref(t: Token) -> u32 {
    let tag = match t.table() {
        Some(TableId::TypeDef) => 0,
        Some(TableId::TypeRef) => 1,
        _ => 2,
    };
    if t.is_null() { 0 } else { (t.rid() << 2) | tag }
}

fn cross_check_with_monodis(path: &str) {
    let Some(blob) = mono(path) else { return };
    let md = Metadata::parse(&blob).unwrap();

    // --typedef: "N: Namespace.Outer/Inner (flist=F, mlist=M, flags=0xX, extends=0xE)"
    let Some(text) = monodis(&["--typedef"], path) else { return };
    let mut rows = 0;
    for line in text.lines().filter(|l| l.starts_with(|c: char| c.is_ascii_digit())) {
        let (rid, rest) = line.split_once(": ").unwrap();
        let rid: u32 = rid.parse().unwrap();
        let (name, tail) = rest.rsplit_once(" (").unwrap();
        let td = md.type_def(rid).unwrap();
        let ours =
            if rid == 1 { "(null)".to_string() } else { md.full_type_name(rid).unwrap().replace('+', "/") };
        assert_eq!(ours, name, "TypeDef {rid}");
        let expect = format!(
            "flist={}, mlist={}, flags={:#x}, extends={:#x})",
            td.fields.start,
            td.methods.start,
            td.flags,
            encode_type_def_or_ref(td.extends)
        );
        assert_eq!(tail, expect, "TypeDef {rid} ({name})");
        rows += 1;
    }
    assert_eq!(rows, md.rows(TableId::TypeDef));

    // --fields: "N: <type> <name>: <flags>"; names are quoted when unusual.
    let Some(text) = monodis(&["--fields"], path) else { return };
    let mut rows = 0;
    for line in text.lines().filter(|l| l.starts_with(|c: char| c.is_ascii_digit())) {
        let (rid, rest) = line.split_once(": ").unwrap();
        let rid: u32 = rid.parse().unwrap();
        let (decl, _flags) = rest.rsplit_once(": ").unwrap();
        let theirs = decl.rsplit(' ').next().unwrap().trim_matches('\'');
        assert_eq!(md.field(rid).unwrap().name, theirs, "Field {rid}: {line}");
        rows += 1;
    }
    assert_eq!(rows, md.rows(TableId::Field));

    // --method: "N: <cc> <ret> <name> (<params>)  (param: P impl_flags: …)"
    let Some(text) = monodis(&["--method"], path) else { return };
    let mut rows = 0;
    for line in text.lines().filter(|l| l.starts_with(|c: char| c.is_ascii_digit())) {
        let (rid, rest) = line.split_once(": ").unwrap();
        let rid: u32 = rid.parse().unwrap();
        let m = md.method(rid).unwrap();
        assert!(
            rest.contains(&format!(" {} (", m.name))
                || rest.contains(&format!(" '{}' (", m.name))
                || rest.contains(&format!("{}<", m.name)),
            "MethodDef {rid} {}: {line}",
            m.name
        );
        let param = rest.rsplit_once("(param: ").unwrap().1.split(' ').next().unwrap();
        assert_eq!(param, m.param_list.to_string(), "MethodDef {rid} param list: {line}");
        rows += 1;
    }
    assert_eq!(rows, md.rows(TableId::MethodDef));
}

#[test]
fn mscorlib_agrees_with_monodis() {
    cross_check_with_monodis(MONO_MSCORLIB);
}

#[test]
fn system_dll_agrees_with_monodis() {
    cross_check_with_monodis(MONO_SYSTEM);
}
