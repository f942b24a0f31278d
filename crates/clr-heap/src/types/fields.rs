//! [`TypeInfo`]: a type with its module and fields, built once per
//! MethodTable from the EEClass's FieldDescs (layout) and the module's
//! metadata (names, declared types).

use super::ee_class::{FieldCounts, RawFieldDesc};
use super::enums::EnumInfo;
use super::handle::{TypeHandle, is_generic};
use super::module::ModuleInfo;
use super::system::TypeSystem;
use crate::error::{ClrError, Result};
use crate::metadata::{TableId, Token};
use crate::types::method_table::MethodTableInfo;
use std::rc::Rc;

/// Longest parent chain accepted (real hierarchies are a dozen deep).
const MAX_PARENTS: usize = 64;

/// `CorElementType` values the field decoder distinguishes.
pub mod cor {
    /// `ELEMENT_TYPE_PTR`.
    pub const PTR: u8 = 0x0F;
    /// `ELEMENT_TYPE_VALUETYPE`.
    pub const VALUETYPE: u8 = 0x11;
    /// `ELEMENT_TYPE_CLASS`.
    pub const CLASS: u8 = 0x12;
    /// `ELEMENT_TYPE_FNPTR`.
    pub const FNPTR: u8 = 0x1B;
}

/// What kind of type a MethodTable describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeKind {
    /// A reference type.
    Class,
    /// An interface.
    Interface,
    /// A struct.
    Struct,
    /// An enum.
    Enum,
    /// A primitive (`System.Int32`, `System.IntPtr`, …).
    Primitive,
    /// `System.String`.
    String,
    /// An array type.
    Array,
    /// The free-space type.
    Free,
}

/// The value-type structs decoded by name rather than by their fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Special {
    /// `System.Decimal`.
    Decimal,
    /// `System.Guid`.
    Guid,
    /// `System.DateTime`.
    DateTime,
    /// `System.TimeSpan`.
    TimeSpan,
}

impl Special {
    /// The special struct of that full name.
    pub fn of(name: &str) -> Option<Special> {
        Some(match name {
            "System.Decimal" => Special::Decimal,
            "System.Guid" => Special::Guid,
            "System.DateTime" => Special::DateTime,
            "System.TimeSpan" => Special::TimeSpan,
            _ => return None,
        })
    }
}

/// How a field's bytes are decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldShape {
    /// A primitive, by the FieldDesc's element type.
    Primitive,
    /// An object reference.
    Reference,
    /// An unmanaged or function pointer.
    Pointer,
    /// An enum (FieldDescs store the underlying primitive).
    Enum(Rc<EnumInfo>),
    /// Decimal, Guid, DateTime, TimeSpan.
    Special(Special),
    /// Any other struct; its MethodTable when resolvable, else why not.
    Struct(std::result::Result<u64, String>),
}

/// One field of a type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldInfo {
    /// Name from metadata.
    pub name: String,
    /// Field token (`0x04……`).
    pub token: u32,
    /// Name of the type that declares it.
    pub declaring_type: String,
    /// MethodTable of the declaring type (the exact one, for generics).
    pub declaring_mt: u64,
    /// `CorElementType` from the FieldDesc (enums as their underlying type).
    pub element_type: u8,
    /// `m_dwOffset`: from after the MethodTable pointer for instance fields
    /// (SOS's offset is this + pointer size); from the statics base for statics.
    pub offset: u32,
    /// Static field.
    pub is_static: bool,
    /// `[ThreadStatic]`.
    pub is_thread_static: bool,
    /// Static whose data is in the image (RVA).
    pub is_rva: bool,
    /// Declared type, generic arguments substituted.
    pub type_name: String,
    /// The declared type's TypeHandle, when resolvable.
    pub type_handle: Option<u64>,
    /// How to decode the value.
    pub shape: FieldShape,
    /// Address of the FieldDesc.
    pub field_desc: u64,
}

/// A type: name, module, layout and fields.
#[derive(Debug, Clone)]
pub struct TypeInfo {
    /// Its MethodTable.
    pub mt: u64,
    /// Name as SOS prints it.
    pub name: String,
    /// The MethodTable header.
    pub method_table: MethodTableInfo,
    /// Its module (arrays: the element type's), when found.
    pub module: Option<Rc<ModuleInfo>>,
    /// TypeDef token (`0x02……`), 0 for arrays and the free type.
    pub token: u32,
    /// Generic arguments (TypeHandles).
    pub generic_args: Vec<u64>,
    /// What kind of type.
    pub kind: TypeKind,
    /// `EEClass.m_NormType`.
    pub norm_type: u8,
    /// EEClass field counts.
    pub counts: FieldCounts,
    /// Instance fields, base classes' first.
    pub instance_fields: Vec<Rc<FieldInfo>>,
    /// Static fields this type declares (thread statics included, flagged).
    pub static_fields: Vec<Rc<FieldInfo>>,
    /// The enum's members, for enums.
    pub enum_info: Option<Rc<EnumInfo>>,
}

impl TypeSystem<'_> {
    /// The type at `mt` with its fields (cached).
    pub fn type_info(&self, mt: u64) -> Result<Rc<TypeInfo>> {
        if let Some(t) = self.infos.borrow().get(&mt) {
            return Ok(t.clone());
        }
        self.validate_well_known();
        // Build from the root of the hierarchy down, so each type finds its parent built.
        let mut chain = vec![mt];
        let mut cur = self.method_table(mt)?;
        while cur.parent != 0 && !self.infos.borrow().contains_key(&cur.parent) {
            if chain.len() >= MAX_PARENTS || chain.contains(&cur.parent) {
                return Err(ClrError::Invalid {
                    what: "MethodTable",
                    address: mt,
                    reason: "the parent chain loops".into(),
                });
            }
            chain.push(cur.parent);
            cur = self.method_table(cur.parent)?;
        }
        let mut last = None;
        for &m in chain.iter().rev() {
            let t = Rc::new(self.build_type(m)?);
            self.infos.borrow_mut().insert(m, t.clone());
            last = Some(t);
        }
        last.ok_or_else(|| ClrError::Invalid {
            what: "MethodTable",
            address: mt,
            reason: "empty chain".into(),
        })
    }

    fn build_type(&self, mt: u64) -> Result<TypeInfo> {
        let info = self.method_table(mt)?;
        let name = self.type_name(mt)?;
        let empty = |kind, module| TypeInfo {
            mt,
            name: name.clone(),
            method_table: info,
            module,
            token: 0,
            generic_args: Vec::new(),
            kind,
            norm_type: 0,
            counts: FieldCounts::default(),
            instance_fields: Vec::new(),
            static_fields: Vec::new(),
            enum_info: None,
        };
        if self.is_free(mt) || info.ee_class == 0 {
            return Ok(empty(TypeKind::Free, None));
        }
        if info.is_array() {
            let module = self.defining_module(info.per_inst_info).ok();
            return Ok(empty(TypeKind::Array, module));
        }
        let module = self.module(self.module_of(&info)?)?;
        let md = module.metadata()?;
        let rid = u32::from(info.token_rid);
        let generic_args = self.instantiation(&info)?;
        let parent = if info.parent != 0 { Some(self.type_info(info.parent)?) } else { None };
        let (counts, descs) = self.field_descs(&info, parent.as_ref().map_or(0, |p| p.counts.instance))?;
        let mut instance_fields = parent.as_ref().map(|p| p.instance_fields.clone()).unwrap_or_default();
        let mut static_fields = Vec::new();
        for d in &descs {
            let f = Rc::new(self.field_info(&module, &md, &info, &name, &generic_args, d)?);
            if f.is_static { static_fields.push(f) } else { instance_fields.push(f) }
        }
        self.check_counts(&md, rid, &name, &descs, &info);
        let enum_info = if parent.as_ref().is_some_and(|p| p.mt == self.well_known.enum_class && p.mt != 0) {
            self.enum_info(&module, rid)
        } else {
            None
        };
        let kind = if info.is_string_like() {
            TypeKind::String
        } else if info.is_interface() {
            TypeKind::Interface
        } else if enum_info.is_some() {
            TypeKind::Enum
        } else if info.raw_flags & 0x000F_0000 == 0x0007_0000 {
            TypeKind::Primitive
        } else if info.is_value_type() {
            TypeKind::Struct
        } else {
            TypeKind::Class
        };
        Ok(TypeInfo {
            mt,
            name,
            method_table: info,
            module: Some(module),
            token: Token::new(TableId::TypeDef, rid).0,
            generic_args,
            kind,
            norm_type: self.norm_type(info.ee_class)?,
            counts,
            instance_fields,
            static_fields,
            enum_info,
        })
    }

    fn field_info(
        &self,
        module: &Rc<ModuleInfo>,
        md: &crate::metadata::Metadata,
        owner: &MethodTableInfo,
        owner_name: &str,
        inst: &[u64],
        d: &RawFieldDesc,
    ) -> Result<FieldInfo> {
        self.check(
            "FieldDesc.m_pMTOfEnclosingClass is the declaring (canonical) MethodTable",
            d.enclosing_mt == owner.canonical || d.enclosing_mt == owner.address,
            format!(
                "FieldDesc {:#x}: {:#x} for {owner_name} ({:#x})",
                d.address, d.enclosing_mt, owner.canonical
            ),
        );
        let md_err = |e: crate::metadata::MetadataError| ClrError::Metadata {
            module: module.simple_name.clone(),
            reason: format!("field token {:#x} of {owner_name}: {e}", d.token),
        };
        let rid = d.token & 0x00FF_FFFF;
        let row = md.field(rid).map_err(md_err)?;
        let owner_rid = md.field_owner(rid).map_err(md_err)?;
        self.check(
            "FieldDesc tokens name fields of the type's own TypeDef",
            owner_rid == Some(u32::from(owner.token_rid)) && row.is_static() == d.is_static,
            format!(
                "{owner_name}.{}: owner {owner_rid:?}, static {} / {}",
                row.name,
                row.is_static(),
                d.is_static
            ),
        );
        let sig = md.field_signature(rid).map_err(md_err)?;
        let type_name = self.sig_type_name(module, &sig, inst)?;
        let target = self.sig_target(module, &sig, inst);
        let shape = self.shape(d.element_type, &type_name, &target);
        Ok(FieldInfo {
            name: row.name.into_owned(),
            token: d.token,
            declaring_type: owner_name.to_string(),
            declaring_mt: owner.address,
            element_type: d.element_type,
            offset: d.offset,
            is_static: d.is_static,
            is_thread_static: d.is_thread_static,
            is_rva: d.is_rva,
            type_name,
            type_handle: target.type_handle,
            shape,
            field_desc: d.address,
        })
    }

    fn shape(&self, et: u8, type_name: &str, target: &super::sig::SigTarget) -> FieldShape {
        match et {
            cor::PTR | cor::FNPTR => FieldShape::Pointer,
            cor::VALUETYPE => match Special::of(type_name) {
                Some(s) => FieldShape::Special(s),
                None => FieldShape::Struct(match target.type_handle {
                    Some(th) if th & 2 == 0 => Ok(th),
                    _ => Err(format!("the MethodTable of {type_name} is not reachable from metadata")),
                }),
            },
            0x02..=0x0D | 0x18 | 0x19 => {
                let e = target.def.as_ref().and_then(|(m, rid)| self.enum_info(m, *rid));
                e.map_or(FieldShape::Primitive, FieldShape::Enum)
            }
            _ => FieldShape::Reference,
        }
    }

    /// The enum TypeDef `rid` of `module` (cached); `None` for non-enums.
    pub fn enum_info(&self, module: &ModuleInfo, rid: u32) -> Option<Rc<EnumInfo>> {
        let key = (module.address, rid);
        if let Some(e) = self.enums.borrow().get(&key) {
            return e.clone();
        }
        let e = module.metadata().ok().and_then(|md| EnumInfo::read(&md, rid)).map(Rc::new);
        self.enums.borrow_mut().insert(key, e.clone());
        e
    }

    /// The module defining a TypeHandle's type (arrays: the element's).
    fn defining_module(&self, th: u64) -> Result<Rc<ModuleInfo>> {
        let mut th = th;
        for _ in 0..MAX_PARENTS {
            match self.type_handle(th)? {
                TypeHandle::MethodTable(mt) => {
                    let info = self.method_table(mt)?;
                    if !info.is_array() {
                        return self.module(self.module_of(&info)?);
                    }
                    th = info.per_inst_info;
                }
                TypeHandle::TypeDesc { arg, template, .. } => th = if arg != 0 { arg } else { template },
            }
        }
        Err(ClrError::Invalid {
            what: "TypeHandle",
            address: th,
            reason: "element types nest too deep".into(),
        })
    }

    /// The EEClass counts against metadata: introduced instance fields are
    /// the TypeDef's non-static fields; statics its non-literal static ones.
    fn check_counts(
        &self,
        md: &crate::metadata::Metadata,
        rid: u32,
        name: &str,
        descs: &[RawFieldDesc],
        info: &MethodTableInfo,
    ) {
        if is_generic(info) && info.canonical != info.address {
            return; // Same EEClass as the canonical type, checked there.
        }
        let Ok(fields) = md.fields_of(rid) else { return };
        let rows: Vec<_> = fields.iter().filter_map(|&f| md.field(f).ok()).collect();
        let inst = rows.iter().filter(|r| !r.is_static()).count();
        let stat = rows.iter().filter(|r| r.is_static() && !r.is_literal()).count();
        let got_inst = descs.iter().filter(|d| !d.is_static).count();
        let got_stat = descs.len() - got_inst;
        self.check(
            "EEClass field counts match the TypeDef's fields",
            inst == got_inst && stat == got_stat,
            format!("{name}: {got_inst} instance / {got_stat} static FieldDescs; metadata {inst} / {stat}"),
        );
    }
}
