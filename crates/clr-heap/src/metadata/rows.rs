//! Typed rows of the tables later work reads, each with a `Metadata`
//! getter that resolves heap indexes (strings, blobs, GUIDs) and coded
//! indexes (to [`Token`]s). Tables without a typed row are still readable
//! through [`Tables::row`](super::Tables::row).
//!
//! The rows are declared with a small macro so that each table is one line
//! per column, next to its ECMA-335 section, and cannot drift from the
//! column numbers of [`columns`](super::columns).

use super::Metadata;
use super::error::Result;
use super::schema::{CodedIndex, TableId};
use super::token::Token;
use std::borrow::Cow;
use std::marker::PhantomData;

macro_rules! col_ty {
    (u16) => { u16 };
    (u32) => { u32 };
    (str) => { Cow<'a, str> };
    (blob) => { &'a [u8] };
    (guid) => { Option<[u8; 16]> };
    (rid) => { u32 };
    (coded) => { Token };
}

macro_rules! col_val {
    ($md:ident, $row:ident, $i:literal, u16) => {
        $row.col($i) as u16
    };
    ($md:ident, $row:ident, $i:literal, u32) => {
        $row.col($i)
    };
    ($md:ident, $row:ident, $i:literal, str) => {
        $md.strings().get($row.col($i))?
    };
    ($md:ident, $row:ident, $i:literal, blob) => {
        $md.blobs().get($row.col($i))?
    };
    ($md:ident, $row:ident, $i:literal, guid) => {
        $md.guids().get($row.col($i))?
    };
    ($md:ident, $row:ident, $i:literal, rid) => {
        $row.col($i)
    };
    ($md:ident, $row:ident, $i:literal, coded $kind:ident) => {
        $row.coded($i, CodedIndex::$kind)?
    };
}

macro_rules! rows {
    ($(
        $(#[$sm:meta])*
        $name:ident = $table:ident, $getter:ident {
            $( $(#[$fm:meta])* $field:ident : $kind:ident $($ck:ident)? @ $col:literal ),* $(,)?
        }
    )*) => {$(
        $(#[$sm])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct $name<'a> {
            /// The row's 1-based number.
            pub rid: u32,
            $( $(#[$fm])* pub $field: col_ty!($kind), )*
            _blob: PhantomData<&'a [u8]>,
        }

        impl<'a> Metadata<'a> {
            #[doc = concat!("Row `rid` (1-based) of the ", stringify!($table), " table, with its heap and coded indexes resolved.")]
            pub fn $getter(&self, rid: u32) -> Result<$name<'a>> {
                let row = self.tables().row(TableId::$table, rid)?;
                let _ = &row;
                Ok($name { rid, $( $field: col_val!(self, row, $col, $kind $($ck)?), )* _blob: PhantomData })
            }
        }
    )*};
}

rows! {
    /// Module (§II.22.30): the one row naming this module.
    ModuleRow = Module, module_row {
        /// Reserved, 0.
        generation: u16 @ 0,
        /// File name of the module, e.g. `mscorlib.dll`.
        name: str @ 1,
        /// The module version id: a GUID unique to each build.
        mvid: guid @ 2,
    }
    /// TypeRef (§II.22.38): a type defined elsewhere.
    TypeRefRow = TypeRef, type_ref {
        /// Module, ModuleRef, AssemblyRef, or TypeRef (the enclosing type of a nested type).
        resolution_scope: coded ResolutionScope @ 0,
        /// Simple name.
        name: str @ 1,
        /// Namespace (empty for nested types).
        namespace: str @ 2,
    }
    /// Field (§II.22.15).
    FieldRow = Field, field {
        /// `FieldAttributes`; see the `is_*` helpers.
        flags: u16 @ 0,
        /// Field name.
        name: str @ 1,
        /// Field signature blob (§II.23.2.4).
        signature: blob @ 2,
    }
    /// MethodDef (§II.22.26).
    MethodRow = MethodDef, method {
        /// RVA of the IL body (0 for abstract, runtime or P/Invoke methods).
        rva: u32 @ 0,
        /// `MethodImplAttributes`.
        impl_flags: u16 @ 1,
        /// `MethodAttributes`; see the `is_*` helpers.
        flags: u16 @ 2,
        /// Method name (`.ctor`, `.cctor` for constructors).
        name: str @ 3,
        /// Method signature blob (§II.23.2.1).
        signature: blob @ 4,
        /// First row of its parameters in Param (or ParamPtr).
        param_list: rid @ 5,
    }
    /// Param (§II.22.33).
    ParamRow = Param, param {
        /// `ParamAttributes`.
        flags: u16 @ 0,
        /// 0 for the return value, else the 1-based parameter position.
        sequence: u16 @ 1,
        /// Parameter name.
        name: str @ 2,
    }
    /// InterfaceImpl (§II.22.23).
    InterfaceImplRow = InterfaceImpl, interface_impl {
        /// The implementing TypeDef.
        class: rid @ 0,
        /// The interface (TypeDef, TypeRef or TypeSpec).
        interface: coded TypeDefOrRef @ 1,
    }
    /// MemberRef (§II.22.25): a field or method of another type.
    MemberRefRow = MemberRef, member_ref {
        /// TypeDef, TypeRef, ModuleRef, MethodDef or TypeSpec.
        class: coded MemberRefParent @ 0,
        /// Member name.
        name: str @ 1,
        /// Field or method signature blob.
        signature: blob @ 2,
    }
    /// Constant (§II.22.9): values of literal fields, defaults of parameters.
    ConstantRow = Constant, constant {
        /// `ELEMENT_TYPE_*` of the value (the padding byte is dropped).
        kind: u16 @ 0,
        /// Field, Param or Property.
        parent: coded HasConstant @ 1,
        /// The value's bytes, little-endian.
        value: blob @ 2,
    }
    /// CustomAttribute (§II.22.10).
    CustomAttributeRow = CustomAttribute, custom_attribute {
        /// The entity carrying the attribute.
        parent: coded HasCustomAttribute @ 0,
        /// The attribute's constructor (MethodDef or MemberRef).
        constructor: coded CustomAttributeType @ 1,
        /// The encoded arguments (§II.23.3).
        value: blob @ 2,
    }
    /// ClassLayout (§II.22.8): explicit packing and size.
    ClassLayoutRow = ClassLayout, class_layout {
        /// Packing (a power of two ≤ 128, or 0).
        packing_size: u16 @ 0,
        /// Size of the type's instances, or 0.
        class_size: u32 @ 1,
        /// The TypeDef.
        parent: rid @ 2,
    }
    /// FieldLayout (§II.22.16): explicit field offsets.
    FieldLayoutRow = FieldLayout, field_layout {
        /// Byte offset of the field in its instance.
        offset: u32 @ 0,
        /// The Field.
        field: rid @ 1,
    }
    /// StandAloneSig (§II.22.36): local variable and call-site signatures.
    StandAloneSigRow = StandAloneSig, stand_alone_sig {
        /// The signature blob.
        signature: blob @ 0,
    }
    /// EventMap (§II.22.12).
    EventMapRow = EventMap, event_map {
        /// The TypeDef.
        parent: rid @ 0,
        /// First of its events in Event (or EventPtr).
        event_list: rid @ 1,
    }
    /// Event (§II.22.13).
    EventRow = Event, event {
        /// `EventAttributes`.
        flags: u16 @ 0,
        /// Event name.
        name: str @ 1,
        /// The delegate type.
        event_type: coded TypeDefOrRef @ 2,
    }
    /// PropertyMap (§II.22.35).
    PropertyMapRow = PropertyMap, property_map {
        /// The TypeDef.
        parent: rid @ 0,
        /// First of its properties in Property (or PropertyPtr).
        property_list: rid @ 1,
    }
    /// Property (§II.22.34).
    PropertyRow = Property, property {
        /// `PropertyAttributes`.
        flags: u16 @ 0,
        /// Property name.
        name: str @ 1,
        /// Property signature blob (§II.23.2.5).
        signature: blob @ 2,
    }
    /// MethodSemantics (§II.22.28): getters, setters, adders…
    MethodSemanticsRow = MethodSemantics, method_semantics {
        /// `MethodSemanticsAttributes` (0x1 setter, 0x2 getter, 0x4 other, 0x8 add-on, 0x10 remove-on, 0x20 fire).
        semantics: u16 @ 0,
        /// The MethodDef.
        method: rid @ 1,
        /// The Event or Property.
        association: coded HasSemantics @ 2,
    }
    /// MethodImpl (§II.22.27): explicit interface implementations.
    MethodImplRow = MethodImpl, method_impl {
        /// The TypeDef.
        class: rid @ 0,
        /// The implementing method.
        body: coded MethodDefOrRef @ 1,
        /// The implemented declaration.
        declaration: coded MethodDefOrRef @ 2,
    }
    /// ModuleRef (§II.22.31).
    ModuleRefRow = ModuleRef, module_ref {
        /// Module (file) name.
        name: str @ 0,
    }
    /// TypeSpec (§II.22.39): a constructed type, as a signature.
    TypeSpecRow = TypeSpec, type_spec {
        /// The type signature blob.
        signature: blob @ 0,
    }
    /// ImplMap (§II.22.22): P/Invoke targets.
    ImplMapRow = ImplMap, impl_map {
        /// `PInvokeAttributes`.
        flags: u16 @ 0,
        /// The Field or MethodDef.
        member: coded MemberForwarded @ 1,
        /// Entry point name in the native module.
        import_name: str @ 2,
        /// The ModuleRef of the native library.
        import_scope: rid @ 3,
    }
    /// FieldRVA (§II.22.18): initial data of static fields.
    FieldRvaRow = FieldRva, field_rva {
        /// RVA of the data in the image.
        rva: u32 @ 0,
        /// The Field.
        field: rid @ 1,
    }
    /// Assembly (§II.22.2).
    AssemblyRow = Assembly, assembly_row {
        /// `AssemblyHashAlgorithm`.
        hash_alg_id: u32 @ 0,
        /// Version, major part.
        major: u16 @ 1,
        /// Version, minor part.
        minor: u16 @ 2,
        /// Version, build part.
        build: u16 @ 3,
        /// Version, revision part.
        revision: u16 @ 4,
        /// `AssemblyFlags`.
        flags: u32 @ 5,
        /// The full public key (empty when unsigned).
        public_key: blob @ 6,
        /// Simple name, e.g. `mscorlib`.
        name: str @ 7,
        /// Culture (empty for neutral).
        culture: str @ 8,
    }
    /// AssemblyRef (§II.22.5).
    AssemblyRefRow = AssemblyRef, assembly_ref {
        /// Version, major part.
        major: u16 @ 0,
        /// Version, minor part.
        minor: u16 @ 1,
        /// Version, build part.
        build: u16 @ 2,
        /// Version, revision part.
        revision: u16 @ 3,
        /// `AssemblyFlags` (0x1: the blob is a full public key, not a token).
        flags: u32 @ 4,
        /// Public key or its 8-byte token.
        public_key_or_token: blob @ 5,
        /// Simple name.
        name: str @ 6,
        /// Culture.
        culture: str @ 7,
        /// Hash of the referenced assembly (usually empty).
        hash_value: blob @ 8,
    }
    /// File (§II.22.19).
    FileRow = File, file {
        /// `FileAttributes`.
        flags: u32 @ 0,
        /// File name.
        name: str @ 1,
        /// Hash of the file.
        hash_value: blob @ 2,
    }
    /// ExportedType (§II.22.14): type forwarders and types of other modules.
    ExportedTypeRow = ExportedType, exported_type {
        /// `TypeAttributes`.
        flags: u32 @ 0,
        /// A hint: the TypeDef row in the target module.
        type_def_id: u32 @ 1,
        /// Simple name.
        name: str @ 2,
        /// Namespace.
        namespace: str @ 3,
        /// File, AssemblyRef (forwarder) or ExportedType (nested).
        implementation: coded Implementation @ 4,
    }
    /// ManifestResource (§II.22.24).
    ManifestResourceRow = ManifestResource, manifest_resource {
        /// Offset of the resource in the CLI header's resources.
        offset: u32 @ 0,
        /// `ManifestResourceAttributes`.
        flags: u32 @ 1,
        /// Resource name.
        name: str @ 2,
        /// Null (this file), File or AssemblyRef.
        implementation: coded Implementation @ 3,
    }
    /// NestedClass (§II.22.32).
    NestedClassRow = NestedClass, nested_class {
        /// The nested TypeDef.
        nested: rid @ 0,
        /// Its enclosing TypeDef.
        enclosing: rid @ 1,
    }
    /// GenericParam (§II.22.20).
    GenericParamRow = GenericParam, generic_param {
        /// 0-based position in the owner's parameter list.
        number: u16 @ 0,
        /// `GenericParamAttributes` (variance, constraints).
        flags: u16 @ 1,
        /// The TypeDef or MethodDef declaring it.
        owner: coded TypeOrMethodDef @ 2,
        /// Parameter name, e.g. `T`.
        name: str @ 3,
    }
    /// MethodSpec (§II.22.29): an instantiated generic method.
    MethodSpecRow = MethodSpec, method_spec {
        /// The generic MethodDef or MemberRef.
        method: coded MethodDefOrRef @ 0,
        /// The instantiation signature blob (§II.23.2.15).
        instantiation: blob @ 1,
    }
    /// GenericParamConstraint (§II.22.21).
    GenericParamConstraintRow = GenericParamConstraint, generic_param_constraint {
        /// The GenericParam.
        owner: rid @ 0,
        /// The constraint type.
        constraint: coded TypeDefOrRef @ 1,
    }
}
