//! Fields, methods, parameters and generic parameters of a type, through
//! the `*Ptr` indirection tables when an unoptimised (`#-`) stream has them.

use super::error::Result;
use super::rows::{FieldRow, GenericParamRow, MethodRow};
use super::schema::TableId;
use super::signature::{MethodSig, SigType, decode_field_sig, decode_method_sig};
use super::{Metadata, MetadataError};

/// `FieldAttributes` bits (ECMA-335 §II.23.1.5).
pub mod field_flags {
    /// Mask of the accessibility bits.
    pub const ACCESS_MASK: u16 = 0x0007;
    /// Accessibility: private.
    pub const PRIVATE: u16 = 0x0001;
    /// Accessibility: public.
    pub const PUBLIC: u16 = 0x0006;
    /// One value per type, not per instance.
    pub const STATIC: u16 = 0x0010;
    /// Assigned only in a constructor (`readonly`).
    pub const INIT_ONLY: u16 = 0x0020;
    /// A compile-time constant (`const`): no storage at run time.
    pub const LITERAL: u16 = 0x0040;
    /// Not serialised.
    pub const NOT_SERIALIZED: u16 = 0x0080;
    /// Initial data in the image (FieldRVA).
    pub const HAS_FIELD_RVA: u16 = 0x0100;
    /// A default value in the Constant table.
    pub const HAS_DEFAULT: u16 = 0x8000;
}

/// `MethodAttributes` bits (ECMA-335 §II.23.1.10).
pub mod method_flags {
    /// Mask of the accessibility bits.
    pub const ACCESS_MASK: u16 = 0x0007;
    /// Accessibility: public.
    pub const PUBLIC: u16 = 0x0006;
    /// No `this`.
    pub const STATIC: u16 = 0x0010;
    /// Cannot be overridden.
    pub const FINAL: u16 = 0x0020;
    /// Dispatched through the vtable.
    pub const VIRTUAL: u16 = 0x0040;
    /// Takes a new vtable slot.
    pub const NEW_SLOT: u16 = 0x0100;
    /// No body.
    pub const ABSTRACT: u16 = 0x0400;
    /// A P/Invoke (ImplMap row).
    pub const PINVOKE_IMPL: u16 = 0x2000;
}

impl FieldRow<'_> {
    /// `static` field.
    pub fn is_static(&self) -> bool {
        self.flags & field_flags::STATIC != 0
    }

    /// `const` field: a Constant row, no storage in objects or statics.
    pub fn is_literal(&self) -> bool {
        self.flags & field_flags::LITERAL != 0
    }

    /// `readonly` field.
    pub fn is_init_only(&self) -> bool {
        self.flags & field_flags::INIT_ONLY != 0
    }

    /// Initial data at an RVA of the image.
    pub fn has_rva(&self) -> bool {
        self.flags & field_flags::HAS_FIELD_RVA != 0
    }
}

impl MethodRow<'_> {
    /// `static` method.
    pub fn is_static(&self) -> bool {
        self.flags & method_flags::STATIC != 0
    }

    /// `virtual` method.
    pub fn is_virtual(&self) -> bool {
        self.flags & method_flags::VIRTUAL != 0
    }

    /// `abstract` method (no body).
    pub fn is_abstract(&self) -> bool {
        self.flags & method_flags::ABSTRACT != 0
    }
}

impl<'a> Metadata<'a> {
    /// Maps list position `pos` through `ptr` when that table is present.
    fn through_ptr(&self, ptr: TableId, pos: u32) -> Result<u32> {
        if self.rows(ptr) == 0 {
            return Ok(pos);
        }
        Ok(self.tables().row(ptr, pos)?.col(0))
    }

    /// Field rids of TypeDef `typedef_rid`, in declaration order.
    pub fn fields_of(&self, typedef_rid: u32) -> Result<Vec<u32>> {
        let range = self.type_def(typedef_rid)?.fields;
        range.map(|pos| self.through_ptr(TableId::FieldPtr, pos)).collect()
    }

    /// MethodDef rids of TypeDef `typedef_rid`, in declaration order.
    pub fn methods_of(&self, typedef_rid: u32) -> Result<Vec<u32>> {
        let range = self.type_def(typedef_rid)?.methods;
        range.map(|pos| self.through_ptr(TableId::MethodPtr, pos)).collect()
    }

    /// Param rids of MethodDef `method_rid` (sequence 0, when present, is
    /// the return value; sequences can have gaps for unnamed parameters).
    pub fn params_of(&self, method_rid: u32) -> Result<Vec<u32>> {
        let range = self.member_list(TableId::MethodDef, method_rid, 5, TableId::Param, TableId::ParamPtr)?;
        range.map(|pos| self.through_ptr(TableId::ParamPtr, pos)).collect()
    }

    /// The TypeDef that declares Field `field_rid`.
    pub fn field_owner(&self, field_rid: u32) -> Result<Option<u32>> {
        self.list_owner(field_rid, 4, TableId::Field, TableId::FieldPtr)
    }

    /// The TypeDef that declares MethodDef `method_rid`.
    pub fn method_owner(&self, method_rid: u32) -> Result<Option<u32>> {
        self.list_owner(method_rid, 5, TableId::MethodDef, TableId::MethodPtr)
    }

    fn list_owner(&self, rid: u32, col: usize, target: TableId, ptr: TableId) -> Result<Option<u32>> {
        let t = self.tables();
        // With an indirection table the member's list position must be found first.
        let pos = if t.rows(ptr) > 0 {
            let mut found = None;
            for p in 1..=t.rows(ptr) {
                if t.row(ptr, p)?.col(0) == rid {
                    found = Some(p);
                    break;
                }
            }
            match found {
                Some(p) => p,
                None => return Ok(None),
            }
        } else if rid == 0 || rid > t.rows(target) {
            return Err(MetadataError::NoSuchRow { table: target, rid, rows: t.rows(target) });
        } else {
            rid
        };
        // List starts never decrease, so the owner is the last TypeDef whose
        // start is ≤ pos, skipping back over empty lists that share a start.
        let (mut lo, mut hi) = (1u32, t.rows(TableId::TypeDef) + 1);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if t.row(TableId::TypeDef, mid)?.col(col) <= pos {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        Ok((lo > 1).then_some(lo - 1))
    }

    /// The decoded signature of Field `rid`.
    pub fn field_signature(&self, rid: u32) -> Result<SigType> {
        let index = self.tables().row(TableId::Field, rid)?.col(2);
        decode_field_sig(self.blobs().get(index)?, index)
    }

    /// The decoded signature of MethodDef `rid`.
    pub fn method_signature(&self, rid: u32) -> Result<MethodSig> {
        let index = self.tables().row(TableId::MethodDef, rid)?.col(4);
        decode_method_sig(self.blobs().get(index)?, index)
    }

    /// Generic parameters of a TypeDef or MethodDef token, ordered by number.
    pub fn generic_params(&self, owner: super::Token) -> Result<Vec<GenericParamRow<'a>>> {
        // TypeOrMethodDef coded index: tag 0 TypeDef, tag 1 MethodDef.
        let tag = match owner.table() {
            Some(TableId::TypeDef) => 0,
            Some(TableId::MethodDef) => 1,
            _ => return Err(MetadataError::WrongToken { token: owner.0, expected: "TypeDef or MethodDef" }),
        };
        let key = (owner.rid() << 1) | tag;
        let range = self.tables().equal_range(TableId::GenericParam, 2, key)?;
        let mut params = range.map(|rid| self.generic_param(rid)).collect::<Result<Vec<_>>>()?;
        params.sort_by_key(|p| p.number);
        Ok(params)
    }
}
