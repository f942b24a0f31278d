//! TypeDefs, TypeRefs and their names the way SOS and ClrMD print them:
//! `Namespace.Outer+Inner`, generic arity suffix kept (``List`1``).

use super::Metadata;
use super::error::{MetadataError, Result};
use super::schema::{CodedIndex, TableId};
use super::token::Token;
use std::borrow::Cow;
use std::ops::Range;

/// `TypeAttributes` bits (ECMA-335 §II.23.1.15) the analyser needs.
pub mod type_flags {
    /// Mask of the visibility bits.
    pub const VISIBILITY_MASK: u32 = 0x0000_0007;
    /// Visibility values ≥ this one mean "nested".
    pub const NESTED_PUBLIC: u32 = 0x0000_0002;
    /// Mask of the layout bits.
    pub const LAYOUT_MASK: u32 = 0x0000_0018;
    /// Layout: sequential.
    pub const SEQUENTIAL_LAYOUT: u32 = 0x0000_0008;
    /// Layout: explicit (FieldLayout gives offsets).
    pub const EXPLICIT_LAYOUT: u32 = 0x0000_0010;
    /// The type is an interface.
    pub const INTERFACE: u32 = 0x0000_0020;
    /// The type is abstract.
    pub const ABSTRACT: u32 = 0x0000_0080;
    /// The type is sealed.
    pub const SEALED: u32 = 0x0000_0100;
}

/// The depth at which a chain of enclosing types is declared cyclic: real
/// code nests a handful of levels, a corrupt NestedClass table can loop.
const MAX_NESTING: usize = 64;

/// One TypeDef row (§II.22.37), names resolved, member lists as ranges.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeDefRow<'a> {
    /// The row's 1-based number (token `0x02000000 | rid`).
    pub rid: u32,
    /// `TypeAttributes`; see [`type_flags`].
    pub flags: u32,
    /// Simple name, with its generic arity suffix (``List`1``).
    pub name: Cow<'a, str>,
    /// Namespace (empty for nested types and the `<Module>` type).
    pub namespace: Cow<'a, str>,
    /// Base type: TypeDef, TypeRef or TypeSpec; null for `System.Object`,
    /// interfaces and `<Module>`.
    pub extends: Token,
    /// Positions of its fields in the Field list (through FieldPtr when
    /// present; [`Metadata::fields_of`] resolves that).
    pub fields: Range<u32>,
    /// Positions of its methods in the MethodDef list (through MethodPtr when present).
    pub methods: Range<u32>,
}

impl TypeDefRow<'_> {
    /// True when the visibility bits say the type is nested in another.
    pub fn is_nested(&self) -> bool {
        self.flags & type_flags::VISIBILITY_MASK >= type_flags::NESTED_PUBLIC
    }

    /// True for interfaces.
    pub fn is_interface(&self) -> bool {
        self.flags & type_flags::INTERFACE != 0
    }
}

impl<'a> Metadata<'a> {
    /// TypeDef row `rid`.
    pub fn type_def(&self, rid: u32) -> Result<TypeDefRow<'a>> {
        let row = self.tables().row(TableId::TypeDef, rid)?;
        Ok(TypeDefRow {
            rid,
            flags: row.col(0),
            name: self.strings().get(row.col(1))?,
            namespace: self.strings().get(row.col(2))?,
            extends: row.coded(3, CodedIndex::TypeDefOrRef)?,
            fields: self.member_list(TableId::TypeDef, rid, 4, TableId::Field, TableId::FieldPtr)?,
            methods: self.member_list(TableId::TypeDef, rid, 5, TableId::MethodDef, TableId::MethodPtr)?,
        })
    }

    /// The range of list positions that row `rid` of `owner` owns through its
    /// list column `col`: from its own start to the next row's start (or the
    /// end of the target table). Positions index `ptr` when that indirection
    /// table is present, else `target`.
    pub(crate) fn member_list(
        &self,
        owner: TableId,
        rid: u32,
        col: usize,
        target: TableId,
        ptr: TableId,
    ) -> Result<Range<u32>> {
        let t = self.tables();
        let list = if t.rows(ptr) > 0 { ptr } else { target };
        let limit = t.rows(list) + 1;
        let row = t.row(owner, rid)?;
        let start = row.col(col);
        let end = if rid < t.rows(owner) { t.row(owner, rid + 1)?.col(col) } else { limit };
        // Writers point an empty list at the next one, possibly one past the
        // end; anything else out of order is corruption.
        if start == 0 || start > end || end > limit {
            return Err(MetadataError::corrupt(
                format!("{owner} row {rid}"),
                row.offset,
                format!("{list} list {start}..{end} is not within 1..={limit}"),
            ));
        }
        Ok(start..end)
    }

    /// The TypeDef that `typedef_rid` is nested in, from the NestedClass
    /// table (sorted by nested type, so a binary search).
    pub fn enclosing_class(&self, typedef_rid: u32) -> Result<Option<u32>> {
        let t = self.tables();
        match t.find(TableId::NestedClass, 0, typedef_rid)? {
            Some(row) => Ok(Some(t.row(TableId::NestedClass, row)?.col(1))),
            None => Ok(None),
        }
    }

    /// The full name of TypeDef `rid` as SOS and ClrMD print it:
    /// `Namespace.Name`, nested types joined by `+` after their enclosing
    /// types (``System.Collections.Generic.Dictionary`2+Entry``); generic
    /// arity suffixes are kept, no instantiation is added.
    pub fn full_type_name(&self, rid: u32) -> Result<String> {
        let mut chain = vec![self.type_def(rid)?];
        let mut current = rid;
        while let Some(outer) = self.enclosing_class(current)? {
            if chain.len() >= MAX_NESTING || chain.iter().any(|t| t.rid == outer) {
                return Err(MetadataError::corrupt(
                    "NestedClass table",
                    0,
                    format!("the enclosing classes of TypeDef {rid} form a cycle or nest past {MAX_NESTING}"),
                ));
            }
            chain.push(self.type_def(outer)?);
            current = outer;
        }
        let mut name = String::new();
        for (i, t) in chain.iter().rev().enumerate() {
            if i == 0 {
                push_qualified(&mut name, &t.namespace, &t.name);
            } else {
                name.push('+');
                name.push_str(&t.name);
            }
        }
        Ok(name)
    }

    /// The full name of TypeRef `rid`: `Namespace.Name`, or
    /// `Outer+Inner` when its resolution scope is another TypeRef.
    pub fn type_ref_full_name(&self, rid: u32) -> Result<String> {
        let mut parts = Vec::new();
        let mut current = rid;
        loop {
            let r = self.type_ref(current)?;
            let scope = r.resolution_scope;
            parts.push(r);
            if !scope.is(TableId::TypeRef) || scope.is_null() {
                break;
            }
            if parts.len() >= MAX_NESTING || parts.iter().any(|p| p.rid == scope.rid()) {
                return Err(MetadataError::corrupt(
                    "TypeRef table",
                    0,
                    format!("the resolution scopes of TypeRef {rid} form a cycle"),
                ));
            }
            current = scope.rid();
        }
        let mut name = String::new();
        for (i, r) in parts.iter().rev().enumerate() {
            if i == 0 {
                push_qualified(&mut name, &r.namespace, &r.name);
            } else {
                name.push('+');
                name.push_str(&r.name);
            }
        }
        Ok(name)
    }

    /// The scope a TypeRef finally resolves in, after walking out of nested
    /// TypeRefs: a Module, ModuleRef or AssemblyRef token (null when absent,
    /// which ECMA-335 uses for ExportedType lookups).
    pub fn type_ref_scope(&self, rid: u32) -> Result<Token> {
        let mut current = rid;
        for _ in 0..MAX_NESTING {
            let scope = self.type_ref(current)?.resolution_scope;
            if !scope.is(TableId::TypeRef) || scope.is_null() {
                return Ok(scope);
            }
            current = scope.rid();
        }
        Err(MetadataError::corrupt("TypeRef table", 0, format!("TypeRef {rid} nests too deep")))
    }

    /// The full name of a TypeDef or TypeRef token (see
    /// [`Metadata::type_name`] for TypeSpecs too).
    pub fn type_def_or_ref_name(&self, token: Token) -> Result<String> {
        match token.table() {
            Some(TableId::TypeDef) => self.full_type_name(token.rid()),
            Some(TableId::TypeRef) => self.type_ref_full_name(token.rid()),
            _ => Err(MetadataError::WrongToken { token: token.0, expected: "TypeDef or TypeRef" }),
        }
    }

    /// The first top-level TypeDef called `namespace.name`.
    pub fn find_type_def(&self, namespace: &str, name: &str) -> Result<Option<u32>> {
        for rid in 1..=self.rows(TableId::TypeDef) {
            let row = self.tables().row(TableId::TypeDef, rid)?;
            if self.strings().get(row.col(1))? == name && self.strings().get(row.col(2))? == namespace {
                let t = self.type_def(rid)?;
                if !t.is_nested() {
                    return Ok(Some(rid));
                }
            }
        }
        Ok(None)
    }

    /// The TypeDef whose [full name](Metadata::full_type_name) is `full`
    /// (e.g. ``System.Collections.Generic.Dictionary`2+Entry``).
    pub fn find_type_by_full_name(&self, full: &str) -> Result<Option<u32>> {
        let simple = full.rsplit(['.', '+']).next().unwrap_or(full);
        for rid in 1..=self.rows(TableId::TypeDef) {
            let row = self.tables().row(TableId::TypeDef, rid)?;
            if self.strings().get(row.col(1))? == simple && self.full_type_name(rid)? == full {
                return Ok(Some(rid));
            }
        }
        Ok(None)
    }
}

fn push_qualified(out: &mut String, namespace: &str, name: &str) {
    if !namespace.is_empty() {
        out.push_str(namespace);
        out.push('.');
    }
    out.push_str(name);
}
