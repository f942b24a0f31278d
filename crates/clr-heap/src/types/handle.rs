//! TypeHandles, generic instantiations, the module of a type and the rank
//! of an array type (reference §2.5, §1.5).

use super::system::TypeSystem;
use crate::error::{ClrError, Result};
use crate::types::method_table::MethodTableInfo;

/// `enum_flag_GenericsMask` of the low flags (only without component size).
const GENERICS_MASK: u32 = 0x30;
/// `enum_flag_HasPerInstInfo` of `m_wFlags2`.
const HAS_PER_INST_INFO: u16 = 0x01;
/// `enum_flag_HasModuleOverride` of `m_wFlags2`.
const HAS_MODULE_OVERRIDE: u16 = 0x10;
/// The multipurpose-slot flags below ModuleOverride (reference §2.5).
const LOWER_SLOT_FLAGS: u16 = 0x0F;
/// Vtable slots per indirection chunk.
const VTABLE_SLOTS_PER_CHUNK: u64 = 8;
/// Real types have a handful of generic parameters and dictionaries; more is corrupt.
const MAX_TYPE_ARGS: u16 = 64;

/// `CorElementType` values of TypeDescs (reference §2.5).
pub mod element_type {
    /// `ELEMENT_TYPE_PTR`.
    pub const PTR: u8 = 0x0F;
    /// `ELEMENT_TYPE_BYREF`.
    pub const BYREF: u8 = 0x10;
    /// `ELEMENT_TYPE_VAR`.
    pub const VAR: u8 = 0x13;
    /// `ELEMENT_TYPE_ARRAY`.
    pub const ARRAY: u8 = 0x14;
    /// `ELEMENT_TYPE_FNPTR`.
    pub const FNPTR: u8 = 0x1B;
    /// `ELEMENT_TYPE_SZARRAY`.
    pub const SZARRAY: u8 = 0x1D;
    /// `ELEMENT_TYPE_MVAR`.
    pub const MVAR: u8 = 0x1E;
}

/// What a TypeHandle points to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeHandle {
    /// A MethodTable.
    MethodTable(u64),
    /// A TypeDesc (bit 1 of the handle set): arrays named by a TypeDesc,
    /// pointers, by-refs, generic variables, function pointers.
    TypeDesc {
        /// The TypeDesc's address (tag removed).
        address: u64,
        /// Its `CorElementType` (low byte of `m_typeAndFlags`).
        kind: u8,
        /// `ParamTypeDesc.m_TemplateMT` (array TypeDescs) or 0.
        template: u64,
        /// `ParamTypeDesc.m_Arg`: the element / pointee type handle, or 0.
        arg: u64,
    },
}

impl TypeSystem<'_> {
    /// Decodes a TypeHandle value.
    pub fn type_handle(&self, th: u64) -> Result<TypeHandle> {
        if th == 0 {
            return Err(ClrError::Invalid { what: "TypeHandle", address: 0, reason: "NULL".into() });
        }
        if th & 2 == 0 {
            return Ok(TypeHandle::MethodTable(th));
        }
        let address = th & !3;
        let flags = self.mem.u32(address).map_err(|source| ClrError::Read {
            what: format!("TypeDesc.m_typeAndFlags at {address:#x}"),
            source,
        })?;
        let kind = flags as u8;
        // ParamTypeDesc: the u32 is padded to a pointer, then template MT, then the argument.
        let (template, arg) = match kind {
            element_type::ARRAY | element_type::SZARRAY | element_type::PTR | element_type::BYREF => {
                // m_TemplateMT is a RelativeFixupPointer where the layout is relative (seen on 2.1 x86).
                (
                    self.maybe_relative(address.wrapping_add(self.layout.ptr))?,
                    self.ptr(address.wrapping_add(2 * self.layout.ptr))?,
                )
            }
            _ => (0, 0),
        };
        Ok(TypeHandle::TypeDesc { address, kind, template, arg })
    }

    /// The generic arguments of an instantiated type, as TypeHandles (empty
    /// for non-generic types): from the last dictionary of `PerInstInfo`,
    /// whose count sits in the `GenericsDictInfo` just before it.
    pub fn instantiation(&self, info: &MethodTableInfo) -> Result<Vec<u64>> {
        if !is_generic(info) {
            return Ok(Vec::new());
        }
        let bad =
            |reason: String| ClrError::Invalid { what: "generic dictionary", address: info.address, reason };
        if info.flags2 & HAS_PER_INST_INFO == 0 || info.per_inst_info == 0 {
            return Err(bad("a generic instantiation without PerInstInfo".into()));
        }
        let pi = info.per_inst_info;
        let num_dicts = self.u16(pi.wrapping_sub(4))?;
        let num_args = self.u16(pi.wrapping_sub(2))?;
        if num_dicts == 0 || num_dicts > MAX_TYPE_ARGS || num_args == 0 || num_args > MAX_TYPE_ARGS {
            return Err(bad(format!(
                "GenericsDictInfo says {num_dicts} dictionaries, {num_args} parameters"
            )));
        }
        let dict = self.ptr(pi.wrapping_add(u64::from(num_dicts - 1) * self.layout.ptr))?;
        if dict == 0 {
            return Err(bad("the type's own dictionary is NULL".into()));
        }
        (0..u64::from(num_args)).map(|i| self.ptr(dict.wrapping_add(i * self.layout.ptr))).collect()
    }

    /// The runtime `Module` that defines a non-array type (reference §2.5
    /// `GetModule`): the loader module for plain types; for generic
    /// instantiations the canonical MethodTable's module override slot when
    /// it has one, else its loader module.
    pub fn module_of(&self, info: &MethodTableInfo) -> Result<u64> {
        if !is_generic(info) && info.component_size() == 0 {
            return Ok(info.loader_module);
        }
        let canon = if info.canonical != info.address { self.method_table(info.canonical)? } else { *info };
        if canon.flags2 & HAS_MODULE_OVERRIDE == 0 {
            return Ok(canon.loader_module);
        }
        let slot = self.multipurpose_slot(&canon, HAS_MODULE_OVERRIDE)?;
        // A RelativeFixupPointer in C31 (relative when the layout is), plain before.
        let mut module = self.maybe_relative(slot)?;
        if module & 1 != 0 {
            module = self.ptr(module & !1)?;
        }
        Ok(module)
    }

    /// Address of the multipurpose slot of `flag` (reference §2.5): slots are
    /// given first come first served in flag order; the two fixed slots sit in
    /// the header, the others after the vtable indirection chunks.
    fn multipurpose_slot(&self, info: &MethodTableInfo, flag: u16) -> Result<u64> {
        let lower = info.flags2 & (flag - 1) & LOWER_SLOT_FLAGS;
        // With only InterfaceMap below, the first fixed slot is still free.
        let index = if lower == 0x02 { 0 } else { u64::from(lower.count_ones()) };
        let m = &self.layout.mt;
        Ok(match index {
            0 => info.address.wrapping_add(m.per_inst_info),
            1 => info.address.wrapping_add(m.interface_map),
            _ => {
                let virtuals = u64::from(self.u16(info.address.wrapping_add(m.num_virtuals))?);
                let chunks = virtuals.div_ceil(VTABLE_SLOTS_PER_CHUNK);
                info.address.wrapping_add(m.size + (chunks + index - 2) * self.layout.ptr)
            }
        })
    }

    /// Rank of an array type: 1 for `T[]`; for multi-dimensional arrays the
    /// base size holds a length and a lower bound (two u32) per dimension
    /// beyond `ARRAYBASE_BASESIZE` (reference §1.5).
    pub fn array_rank(&self, info: &MethodTableInfo) -> Result<u32> {
        if info.is_sz_array() {
            return Ok(1);
        }
        let extra = u64::from(info.base_size).checked_sub(self.array_base_size());
        match extra {
            Some(e) if e > 0 && e % 8 == 0 && e / 8 <= 32 => Ok((e / 8) as u32),
            _ => Err(ClrError::Invalid {
                what: "array MethodTable",
                address: info.address,
                reason: format!("base size {:#x} gives no whole rank", info.base_size),
            }),
        }
    }

    /// `ARRAYBASE_BASESIZE`: header, MethodTable, length (padded on 64-bit).
    pub(crate) fn array_base_size(&self) -> u64 {
        if self.layout.ptr == 8 { 24 } else { 12 }
    }

    pub(crate) fn u16(&self, addr: u64) -> Result<u16> {
        self.mem.u16(addr).map_err(|source| ClrError::Read { what: format!("u16 at {addr:#x}"), source })
    }
}

/// A generic instantiation (not an array, string or the free type).
pub(crate) fn is_generic(info: &MethodTableInfo) -> bool {
    info.component_size() == 0 && info.raw_flags & 0x8000_0000 == 0 && info.raw_flags & GENERICS_MASK != 0
}
