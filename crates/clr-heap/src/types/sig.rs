//! Declared types of fields, from metadata signatures, named the way the
//! runtime would name the loaded type: generic parameters replaced by the
//! instantiation's arguments (`T[]` of `List<string>` is `System.String[]`)
//! and generic arguments qualified with the assembly that really defines
//! them (forwarders resolved), as in `!dumpobj`'s field types.

use super::module::ModuleInfo;
use super::name::{MAX_NAME_DEPTH, array_suffix};
use super::system::TypeSystem;
use crate::error::{ClrError, Result};
use crate::metadata::{Metadata, SigType, TableId, Token, decode_type_spec};
use std::rc::Rc;

/// Where a signature type leads at run time.
#[derive(Debug, Clone, Default)]
pub struct SigTarget {
    /// The type's TypeHandle, when known (generic arguments; loaded TypeDefs).
    pub type_handle: Option<u64>,
    /// The defining module and TypeDef, for named types.
    pub def: Option<(Rc<ModuleInfo>, u32)>,
}

impl TypeSystem<'_> {
    /// The name of signature type `ty` read in `module`, with `Var(n)` = `inst[n]`.
    pub fn sig_type_name(&self, module: &Rc<ModuleInfo>, ty: &SigType, inst: &[u64]) -> Result<String> {
        let md = module.metadata()?;
        self.sig_name(module, &md, ty, inst, 0)
    }

    fn sig_name(
        &self,
        module: &Rc<ModuleInfo>,
        md: &Metadata,
        ty: &SigType,
        inst: &[u64],
        depth: u32,
    ) -> Result<String> {
        if depth > MAX_NAME_DEPTH {
            return Err(deep(module));
        }
        let md_err = |e: crate::metadata::MetadataError| ClrError::Metadata {
            module: module.simple_name.clone(),
            reason: e.to_string(),
        };
        Ok(match ty {
            SigType::Class(t) | SigType::ValueType(t) => match t.table() {
                Some(TableId::TypeSpec) => {
                    let spec = type_spec(md, *t).map_err(md_err)?;
                    self.sig_name(module, md, &spec, inst, depth + 1)?
                }
                _ => md.type_def_or_ref_name(*t).map_err(md_err)?,
            },
            SigType::GenericInst { base, args } => {
                let mut out = self.sig_name(module, md, base, inst, depth + 1)?;
                out.push('[');
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push('[');
                    out.push_str(&self.sig_name(module, md, a, inst, depth + 1)?);
                    out.push_str(", ");
                    out.push_str(&self.sig_assembly(module, md, a, inst, depth + 1)?);
                    out.push(']');
                }
                out.push(']');
                out
            }
            SigType::SzArray(e) => self.sig_name(module, md, e, inst, depth + 1)? + "[]",
            SigType::Array { element, rank, .. } => {
                self.sig_name(module, md, element, inst, depth + 1)? + &array_suffix(false, (*rank).min(32))
            }
            SigType::Ptr(e) => self.sig_name(module, md, e, inst, depth + 1)? + "*",
            SigType::ByRef(e) => self.sig_name(module, md, e, inst, depth + 1)? + "&",
            SigType::Var(n) => match inst.get(*n as usize) {
                Some(&th) => self.name_of_th(th, depth + 1)?,
                None => format!("!{n}"),
            },
            SigType::MVar(n) => format!("!!{n}"),
            SigType::FnPtr(_) => "FNPTR".into(),
            SigType::Modified { inner, .. } | SigType::Pinned(inner) => {
                self.sig_name(module, md, inner, inst, depth + 1)?
            }
            other => {
                md.format_type(other, crate::metadata::SigStyle::Field, Default::default()).map_err(md_err)?
            }
        })
    }

    /// The simple name of the assembly defining signature type `ty`.
    fn sig_assembly(
        &self,
        module: &Rc<ModuleInfo>,
        md: &Metadata,
        ty: &SigType,
        inst: &[u64],
        depth: u32,
    ) -> Result<String> {
        if depth > MAX_NAME_DEPTH {
            return Err(deep(module));
        }
        let core = || self.core_module().map(|m| m.simple_name.clone()).unwrap_or_default();
        Ok(match ty {
            SigType::Class(t) | SigType::ValueType(t) => match t.table() {
                Some(TableId::TypeSpec) => match type_spec(md, *t) {
                    Ok(spec) => self.sig_assembly(module, md, &spec, inst, depth + 1)?,
                    Err(_) => module.simple_name.clone(),
                },
                _ => match self.resolve_token(module, *t) {
                    Some(r) => r.module.simple_name.clone(),
                    // Not found among the modules known: metadata's own answer.
                    None => md
                        .defining_assembly(*t)
                        .ok()
                        .flatten()
                        .map(|s| s.into_owned())
                        .unwrap_or_else(|| module.simple_name.clone()),
                },
            },
            SigType::GenericInst { base: e, .. }
            | SigType::SzArray(e)
            | SigType::Array { element: e, .. }
            | SigType::Ptr(e)
            | SigType::ByRef(e)
            | SigType::Modified { inner: e, .. }
            | SigType::Pinned(e) => self.sig_assembly(module, md, e, inst, depth + 1)?,
            SigType::Var(n) => match inst.get(*n as usize) {
                Some(&th) => self.assembly_of_th(th, depth + 1)?,
                None => core(),
            },
            _ => core(),
        })
    }

    /// Where signature type `ty` (read in `module`) leads: its TypeHandle
    /// when known, and its defining TypeDef for named types.
    pub fn sig_target(&self, module: &Rc<ModuleInfo>, ty: &SigType, inst: &[u64]) -> SigTarget {
        match ty {
            SigType::Var(n) => SigTarget { type_handle: inst.get(*n as usize).copied(), def: None },
            SigType::Class(t) | SigType::ValueType(t) if !t.is(TableId::TypeSpec) => {
                match self.resolve_token(module, *t) {
                    Some(r) => SigTarget { type_handle: r.mt, def: Some((r.module, r.rid)) },
                    None => SigTarget::default(),
                }
            }
            SigType::Class(t) | SigType::ValueType(t) => {
                let spec = module.metadata().ok().and_then(|md| type_spec(&md, *t).ok());
                spec.map(|s| self.sig_target(module, &s, inst)).unwrap_or_default()
            }
            SigType::Modified { inner, .. } => self.sig_target(module, inner, inst),
            // A generic instantiation's MethodTable is not reachable from the
            // metadata alone; its definition still names it.
            SigType::GenericInst { base, .. } => {
                SigTarget { type_handle: None, def: self.sig_target(module, base, inst).def }
            }
            _ => SigTarget::default(),
        }
    }
}

fn type_spec(md: &Metadata, t: Token) -> crate::metadata::Result<SigType> {
    let index = md.tables().row(TableId::TypeSpec, t.rid())?.col(0);
    decode_type_spec(md.blobs().get(index)?, index)
}

fn deep(module: &ModuleInfo) -> ClrError {
    ClrError::Metadata {
        module: module.simple_name.clone(),
        reason: format!("a signature nests deeper than {MAX_NAME_DEPTH} levels"),
    }
}
