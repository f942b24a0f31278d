//! The reader against an assembly compiled by `mcs` from the C# below, so
//! that every name, field type and method signature asserted here is one
//! this test wrote itself.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use clr_heap::metadata::{Metadata, SigType, TableId, Token, Version};
use common::*;
use std::path::PathBuf;
use std::sync::OnceLock;

const SOURCE: &str = r#"
using System;
using System.Collections.Generic;
using System.Reflection;
[assembly: AssemblyVersion("1.2.3.4")]
namespace Clrscope.Fixture {
    public enum Color : byte { Red = 1, Green = 2 }
    public struct Point { public int X; public int Y; }
    public class Outer<T> {
        public T Value;
        public Inner<string> Nested;
        public class Inner<U> { public T First; public U Second; public Dictionary<T, U> Map; }
    }
    public unsafe class Kinds {
        public const int Answer = 42;
        public static readonly string Greeting = "hello";
        [ThreadStatic] public static int PerThread;
        public readonly long Ticks;
        public bool Flag; public char C; public sbyte I1; public byte U1; public short I2; public ushort U2;
        public int I4; public uint U4; public long I8; public ulong U8; public float R4; public double R8;
        public IntPtr Ip; public UIntPtr Up; public decimal Dec; public object Obj; public string Str;
        public int[] Array1; public int[,] Array2; public string[][] Jagged; public int* Pointer;
        public Point Pt; public Point? MaybePt; public Color Col; public List<string> Names;
        public Dictionary<string, List<int>> Index; public Outer<int>.Inner<string> Deep;
        public Action<int> Callback; public volatile int Vol;
        public void M1(int a, ref int b, out string c, params object[] rest) { c = null; }
        public static T M2<T>(T x, List<T> xs) { return x; }
        public int M3(Point p, Point* pp, int[,] grid, Outer<string>.Inner<int> o) { return 0; }
        public string Literal() { return "hello"; }
    }
}
namespace Clrscope.Fixture.Deeper { public class A { public class B { public class C { public int Z; } } } }
public class GlobalType { public int G; }
"#;

/// Compiles SOURCE once per test run into a fresh temporary directory.
fn fixture_dll() -> Option<&'static PathBuf> {
    static DLL: OnceLock<Option<PathBuf>> = OnceLock::new();
    DLL.get_or_init(|| {
        let mcs = tool("mcs", "apt-get install -y mono-mcs")?;
        let dir = std::env::temp_dir().join(format!("clrscope-metadata-mcs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let cs = dir.join("fixture.cs");
        std::fs::write(&cs, SOURCE).unwrap();
        let dll = dir.join("fixture.dll");
        let out = std::process::Command::new(mcs)
            .args(["-unsafe", "-target:library", "-nologo"])
            .arg(format!("-out:{}", dll.display()))
            .arg(&cs)
            .output()
            .unwrap();
        assert!(out.status.success(), "mcs failed: {}", String::from_utf8_lossy(&out.stdout));
        Some(dll)
    })
    .as_ref()
}

fn with_metadata(f: impl FnOnce(&Metadata)) {
    let Some(dll) = fixture_dll() else { return };
    let blob = metadata_of(dll);
    let md = Metadata::parse(&blob).unwrap();
    f(&md);
}

fn field_types(md: &Metadata, td: u32) -> Vec<(String, String)> {
    md.fields_of(td)
        .unwrap()
        .into_iter()
        .map(|f| (md.field(f).unwrap().name.into_owned(), md.field_type_name(f).unwrap()))
        .collect()
}

#[test]
fn assembly_and_module_identity() {
    with_metadata(|md| {
        let asm = md.assembly().unwrap().unwrap();
        assert_eq!(asm.name, "fixture");
        assert_eq!(asm.version, Version { major: 1, minor: 2, build: 3, revision: 4 });
        assert_eq!(asm.to_string(), "fixture, Version=1.2.3.4, Culture=neutral");
        assert_eq!(md.module_name().unwrap(), "fixture.dll");
        assert!(md.mvid().unwrap().is_some());
        assert!(md.version().starts_with("v4.0"));
        let refs: Vec<_> = (1..=md.rows(TableId::AssemblyRef))
            .map(|r| md.assembly_ref_name(r).unwrap().name.into_owned())
            .collect();
        assert_eq!(refs, ["mscorlib"]);
        assert_eq!(md.core_library_name().unwrap().unwrap(), "mscorlib");
        // Both ldstr sites and the static initialiser share one #US entry.
        assert_eq!(md.user_string(Token(0x7000_0001)).unwrap(), "hello");
        assert!(md.user_string(Token(0x0200_0001)).is_err());
    });
}

#[test]
fn type_names_nesting_and_generics() {
    with_metadata(|md| {
        let names: Vec<String> =
            (1..=md.rows(TableId::TypeDef)).map(|r| md.full_type_name(r).unwrap()).collect();
        assert_eq!(
            names,
            [
                "<Module>",
                "Clrscope.Fixture.Color",
                "Clrscope.Fixture.Point",
                "Clrscope.Fixture.Outer`1",
                "Clrscope.Fixture.Outer`1+Inner`1",
                "Clrscope.Fixture.Kinds",
                "Clrscope.Fixture.Deeper.A",
                "Clrscope.Fixture.Deeper.A+B",
                "Clrscope.Fixture.Deeper.A+B+C",
                "GlobalType",
            ]
        );
        let inner = type_rid(md, "Clrscope.Fixture.Outer`1+Inner`1");
        let outer = type_rid(md, "Clrscope.Fixture.Outer`1");
        assert_eq!(md.enclosing_class(inner).unwrap(), Some(outer));
        assert_eq!(md.enclosing_class(outer).unwrap(), None);
        let c = type_rid(md, "Clrscope.Fixture.Deeper.A+B+C");
        let b = md.enclosing_class(c).unwrap().unwrap();
        assert_eq!(md.full_type_name(b).unwrap(), "Clrscope.Fixture.Deeper.A+B");
        let td = md.type_def(inner).unwrap();
        assert_eq!((td.name.as_ref(), td.namespace.as_ref()), ("Inner`1", ""));
        assert!(td.is_nested());
        // A nested generic type re-declares its outer type's parameters.
        let params: Vec<_> = md
            .generic_params(Token::new(TableId::TypeDef, inner))
            .unwrap()
            .into_iter()
            .map(|p| (p.number, p.name.into_owned()))
            .collect();
        assert_eq!(params, [(0, "T".to_string()), (1, "U".to_string())]);
        // Base types: enum, struct, class.
        let base =
            |full: &str| md.type_def_or_ref_name(md.type_def(type_rid(md, full)).unwrap().extends).unwrap();
        assert_eq!(base("Clrscope.Fixture.Color"), "System.Enum");
        assert_eq!(base("Clrscope.Fixture.Point"), "System.ValueType");
        assert_eq!(base("GlobalType"), "System.Object");
        assert_eq!(
            md.find_type_def("Clrscope.Fixture", "Kinds").unwrap(),
            Some(type_rid(md, "Clrscope.Fixture.Kinds"))
        );
        assert_eq!(md.find_type_def("", "Inner`1").unwrap(), None, "nested types are not top-level");
    });
}

#[test]
fn field_names_flags_and_types() {
    with_metadata(|md| {
        let kinds = type_rid(md, "Clrscope.Fixture.Kinds");
        let expected = [
            ("Answer", "System.Int32"),
            ("Greeting", "System.String"),
            ("PerThread", "System.Int32"),
            ("Ticks", "System.Int64"),
            ("Flag", "System.Boolean"),
            ("C", "System.Char"),
            ("I1", "System.SByte"),
            ("U1", "System.Byte"),
            ("I2", "System.Int16"),
            ("U2", "System.UInt16"),
            ("I4", "System.Int32"),
            ("U4", "System.UInt32"),
            ("I8", "System.Int64"),
            ("U8", "System.UInt64"),
            ("R4", "System.Single"),
            ("R8", "System.Double"),
            ("Ip", "System.IntPtr"),
            ("Up", "System.UIntPtr"),
            ("Dec", "System.Decimal"),
            ("Obj", "System.Object"),
            ("Str", "System.String"),
            ("Array1", "System.Int32[]"),
            ("Array2", "System.Int32[,]"),
            ("Jagged", "System.String[][]"),
            ("Pointer", "System.Int32*"),
            ("Pt", "Clrscope.Fixture.Point"),
            ("MaybePt", "System.Nullable`1[[Clrscope.Fixture.Point, fixture]]"),
            ("Col", "Clrscope.Fixture.Color"),
            ("Names", "System.Collections.Generic.List`1[[System.String, mscorlib]]"),
            (
                "Index",
                "System.Collections.Generic.Dictionary`2[[System.String, mscorlib],[System.Collections.Generic.List`1[[System.Int32, mscorlib]], mscorlib]]",
            ),
            ("Deep", "Clrscope.Fixture.Outer`1+Inner`1[[System.Int32, mscorlib],[System.String, mscorlib]]"),
            ("Callback", "System.Action`1[[System.Int32, mscorlib]]"),
            ("Vol", "System.Int32"),
        ];
        let got = field_types(md, kinds);
        let got: Vec<(&str, &str)> = got.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        assert_eq!(got, expected);

        let by_name = |name: &str| {
            let rid = md
                .fields_of(kinds)
                .unwrap()
                .into_iter()
                .find(|&f| md.field(f).unwrap().name == name)
                .unwrap();
            (rid, md.field(rid).unwrap())
        };
        let (_, answer) = by_name("Answer");
        assert!(answer.is_literal() && answer.is_static() && !answer.is_init_only());
        let (_, greeting) = by_name("Greeting");
        assert!(greeting.is_static() && greeting.is_init_only() && !greeting.is_literal());
        let (_, ticks) = by_name("Ticks");
        assert!(!ticks.is_static() && ticks.is_init_only());
        let (vol, _) = by_name("Vol");
        match md.field_signature(vol).unwrap() {
            SigType::Modified { required: true, modifier, inner } => {
                assert_eq!(*inner, SigType::I4);
                assert_eq!(
                    md.type_def_or_ref_name(modifier).unwrap(),
                    "System.Runtime.CompilerServices.IsVolatile"
                );
            }
            other => panic!("volatile field signature decoded as {other:?}"),
        }
        let (array2, _) = by_name("Array2");
        match md.field_signature(array2).unwrap() {
            SigType::Array { rank: 2, sizes, lower_bounds, .. } => {
                assert!(sizes.is_empty());
                assert_eq!(lower_bounds, [0, 0], "mcs writes explicit zero lower bounds");
            }
            other => panic!("int[,] decoded as {other:?}"),
        }
        // Owner lookup, used to name a FieldDesc's type from its token.
        let (answer_rid, _) = by_name("Answer");
        assert_eq!(md.field_owner(answer_rid).unwrap(), Some(kinds));

        // Generic parameters print by name within their type.
        let inner = type_rid(md, "Clrscope.Fixture.Outer`1+Inner`1");
        assert_eq!(
            field_types(md, inner),
            [
                ("First".to_string(), "T".to_string()),
                ("Second".to_string(), "U".to_string()),
                ("Map".to_string(), "System.Collections.Generic.Dictionary`2[[T],[U]]".to_string()),
            ]
        );
        let color = type_rid(md, "Clrscope.Fixture.Color");
        assert_eq!(field_names(md, color), ["value__", "Red", "Green"]);
        assert_eq!(md.field_type_name(md.fields_of(color).unwrap()[0]).unwrap(), "System.Byte");
    });
}

#[test]
fn method_signatures_as_clrstack_prints_them() {
    with_metadata(|md| {
        let kinds = type_rid(md, "Clrscope.Fixture.Kinds");
        let names: Vec<String> =
            md.methods_of(kinds).unwrap().into_iter().map(|m| md.method_display_name(m).unwrap()).collect();
        assert_eq!(
            names,
            [
                "Clrscope.Fixture.Kinds..ctor()",
                "Clrscope.Fixture.Kinds.M1(Int32, Int32 ByRef, System.String ByRef, System.Object[])",
                "Clrscope.Fixture.Kinds.M2(T, System.Collections.Generic.List`1<T>)",
                "Clrscope.Fixture.Kinds.M3(Clrscope.Fixture.Point, Clrscope.Fixture.Point*, Int32[,], Clrscope.Fixture.Outer`1+Inner`1<System.String,Int32>)",
                "Clrscope.Fixture.Kinds.Literal()",
                "Clrscope.Fixture.Kinds..cctor()",
            ]
        );
        let methods = md.methods_of(kinds).unwrap();
        let m2 = md.method_signature(methods[2]).unwrap();
        assert!(m2.calling_convention.is_generic() && !m2.calling_convention.has_this());
        assert_eq!(m2.generic_param_count, 1);
        assert_eq!(m2.return_type, SigType::MVar(0));
        let m1 = md.method_signature(methods[1]).unwrap();
        assert!(m1.calling_convention.has_this());
        assert_eq!(m1.return_type, SigType::Void);
        assert_eq!(m1.params.len(), 4);
        let m1_row = md.method(methods[1]).unwrap();
        assert!(!m1_row.is_static() && m1_row.rva != 0);
        let params: Vec<_> = md
            .params_of(methods[1])
            .unwrap()
            .into_iter()
            .map(|p| md.param(p).unwrap().name.into_owned())
            .collect();
        assert_eq!(params, ["a", "b", "c", "rest"]);
        assert_eq!(md.method_owner(methods[3]).unwrap(), Some(kinds));
    });
}

#[test]
fn type_refs_and_their_scopes() {
    with_metadata(|md| {
        let mut found = Vec::new();
        for rid in 1..=md.rows(TableId::TypeRef) {
            let name = md.type_ref_full_name(rid).unwrap();
            let scope = md.type_ref_scope(rid).unwrap();
            assert!(scope.is(TableId::AssemblyRef), "{name} resolves in {scope}");
            let asm = md.defining_assembly(Token::new(TableId::TypeRef, rid)).unwrap().unwrap();
            found.push(format!("[{asm}]{name}"));
        }
        for want in [
            "[mscorlib]System.Object",
            "[mscorlib]System.Enum",
            "[mscorlib]System.Collections.Generic.List`1",
            "[mscorlib]System.Runtime.CompilerServices.IsVolatile",
        ] {
            assert!(found.iter().any(|f| f == want), "{want} not among {found:?}");
        }
    });
}
