//! Metadata tokens → runtime types: which module defines a type a signature
//! names, and its MethodTable when the runtime loaded it.
//!
//! * **TypeRef → defining module**: by full name among the modules opened so
//!   far, the referenced assembly first; type forwarding (`mscorlib`,
//!   `System.Runtime` → `System.Private.CoreLib`) needs no special case.
//! * **TypeDef → MethodTable**: the module's `m_TypeDefToMethodTableMap`, a
//!   `LookupMap` `{pNext, pTable, dwCount, supportedFlags}` whose table is
//!   indexed by RID. Its offset inside `Module` differs between builds, so it
//!   is *calibrated*: the one offset at which the table holds the known
//!   MethodTables of `System.Object`, `System.String`, `System.Exception` and
//!   `System.Enum` at their RIDs. No offset is assumed.

use super::module::ModuleInfo;
use super::system::TypeSystem;
use crate::metadata::{TableId, Token};
use std::rc::Rc;

/// How far into `Module` the calibration looks for the map (bytes).
const MODULE_SCAN: u64 = 0x800;
/// Longest `pNext` chain followed.
const MAX_MAP_BLOCKS: usize = 64;
/// Low bits of a map entry that are flags, not address.
const ENTRY_FLAGS: u64 = 3;

/// The calibrated TypeDef map: offset of `pTable` in `Module`, and whether
/// its entries are self-relative (NGEN-capable builds store them so).
#[derive(Debug, Default)]
pub struct MapCalibration {
    /// `None`: not tried yet; `Some(None)`: tried and failed.
    typedef_table: Option<Option<(u64, bool)>>,
}

/// A type a token names, resolved to the module defining it.
#[derive(Debug, Clone)]
pub struct ResolvedType {
    /// The defining module.
    pub module: Rc<ModuleInfo>,
    /// Its TypeDef RID there.
    pub rid: u32,
    /// The type's MethodTable, when the runtime has loaded it.
    pub mt: Option<u64>,
}

impl TypeSystem<'_> {
    /// Resolves a TypeDef or TypeRef token of `module` to the defining
    /// module and TypeDef (TypeSpecs and other tokens: `None`).
    pub fn resolve_token(&self, module: &Rc<ModuleInfo>, token: Token) -> Option<ResolvedType> {
        let (m, rid) = match token.table() {
            Some(TableId::TypeDef) => (module.clone(), token.rid()),
            Some(TableId::TypeRef) => self.resolve_type_ref(module, token.rid())?,
            _ => return None,
        };
        let mt = self.typedef_mt(&m, rid);
        Some(ResolvedType { module: m, rid, mt })
    }

    /// The MethodTable of the non-generic type called `full_name`
    /// (``Namespace.Outer+Inner``), searched in the modules opened so far
    /// and the core library; `None` when not found or not loaded.
    pub fn find_type(&self, full_name: &str) -> Option<u64> {
        let mut modules = self.modules();
        modules.extend(self.core_module());
        modules.into_iter().find_map(|m| {
            let rid = m.metadata().ok()?.find_type_by_full_name(full_name).ok()??;
            self.typedef_mt(&m, rid)
        })
    }

    /// The module and TypeDef a TypeRef of `module` names.
    fn resolve_type_ref(&self, module: &Rc<ModuleInfo>, rid: u32) -> Option<(Rc<ModuleInfo>, u32)> {
        let key = (module.address, rid);
        if let Some(hit) = self.type_refs.borrow().get(&key) {
            return hit.and_then(|(m, r)| Some((self.module(m).ok()?, r)));
        }
        let found = self.search_type_ref(module, rid);
        self.type_refs.borrow_mut().insert(key, found.as_ref().map(|(m, r)| (m.address, *r)));
        found
    }

    fn search_type_ref(&self, module: &Rc<ModuleInfo>, rid: u32) -> Option<(Rc<ModuleInfo>, u32)> {
        let md = module.metadata().ok()?;
        let name = md.type_ref_full_name(rid).ok()?;
        let scope =
            md.defining_assembly(Token::new(TableId::TypeRef, rid)).ok().flatten().map(|s| s.into_owned());
        let mut candidates = self.modules();
        if let Some(core) = self.core_module() {
            if !candidates.iter().any(|m| m.address == core.address) {
                candidates.push(core);
            }
        }
        // The referenced assembly first, then every other module known.
        candidates.sort_by_key(|m| scope.as_deref() != Some(m.simple_name.as_str()));
        candidates.into_iter().find_map(|m| {
            let found = m.metadata().ok()?.find_type_by_full_name(&name).ok()??;
            Some((m, found))
        })
    }

    /// The MethodTable of TypeDef `rid` of `module`, when loaded.
    pub fn typedef_mt(&self, module: &ModuleInfo, rid: u32) -> Option<u64> {
        let (offset, relative) = self.typedef_map_offset()?;
        let mut table = self.ptr(module.address.wrapping_add(offset)).ok()?;
        let mut count = u64::from(self.u32(module.address.wrapping_add(offset + self.layout.ptr)).ok()?);
        let mut next = self.ptr(module.address.wrapping_add(offset - self.layout.ptr)).ok()?;
        let mut index = u64::from(rid);
        for _ in 0..MAX_MAP_BLOCKS {
            if index < count {
                let mt = self.map_entry(table.wrapping_add(index.wrapping_mul(self.layout.ptr)), relative)?;
                return (mt != 0 && self.method_table(mt).is_ok_and(|i| u32::from(i.token_rid) == rid))
                    .then_some(mt);
            }
            if next == 0 {
                return None;
            }
            index -= count;
            table = self.ptr(next.wrapping_add(self.layout.ptr)).ok()?;
            count = u64::from(self.u32(next.wrapping_add(2 * self.layout.ptr)).ok()?);
            next = self.ptr(next).ok()?;
        }
        None
    }

    /// A map entry: a MethodTable pointer, plain or self-relative, flags in its low bits.
    fn map_entry(&self, at: u64, relative: bool) -> Option<u64> {
        let v = self.ptr(at).ok()?;
        let v = if relative { super::method_table::relative(at, v, self.layout.ptr) } else { v };
        Some(v & !ENTRY_FLAGS)
    }

    /// Finds (once) the offset of the TypeDef map's table pointer in `Module`.
    fn typedef_map_offset(&self) -> Option<(u64, bool)> {
        if let Some(v) = self.maps.borrow().typedef_table {
            return v;
        }
        let found = self.calibrate_typedef_map();
        self.maps.borrow_mut().typedef_table = Some(found);
        found
    }

    fn calibrate_typedef_map(&self) -> Option<(u64, bool)> {
        let name = "Module.m_TypeDefToMethodTableMap located by known MethodTables";
        let wk = self.well_known;
        let pairs: Vec<(u64, u64, u32)> = [wk.object, wk.string, wk.exception, wk.enum_class]
            .into_iter()
            .filter(|&mt| mt != 0)
            .filter_map(|mt| self.method_table(mt).ok())
            .map(|i| (i.loader_module, i.address, u32::from(i.token_rid)))
            .collect();
        let Some(&(module, _, _)) = pairs.first() else {
            self.check(name, false, "no well-known MethodTable to calibrate with");
            return None;
        };
        if pairs.len() < 2 || pairs.iter().any(|p| p.0 != module) {
            self.check(
                name,
                false,
                format!("{} well-known MethodTables, not all in one module", pairs.len()),
            );
            return None;
        }
        let p = self.layout.ptr;
        // The runtime's pointer kind first; the other only if it finds nothing.
        let mut hits = Vec::new();
        for relative in [self.layout.relative, !self.layout.relative] {
            hits = (2..MODULE_SCAN / p)
                .map(|k| k * p)
                .filter(|&off| {
                    let Ok(table) = self.ptr(module.wrapping_add(off)) else { return false };
                    let Ok(count) = self.u32(module.wrapping_add(off + p)) else { return false };
                    table != 0
                        && pairs.iter().all(|&(_, mt, rid)| {
                            rid < count
                                && self.map_entry(table.wrapping_add(u64::from(rid) * p), relative)
                                    == Some(mt)
                        })
                })
                .map(|off| (off, relative))
                .collect();
            if !hits.is_empty() {
                break;
            }
        }
        match hits.as_slice() {
            [(off, relative)] => {
                let kind = if *relative { "self-relative" } else { "plain" };
                let n = pairs.len();
                let detail = format!(
                    "table pointer at Module+{off:#x}, {kind} entries: {n} known types at their RIDs"
                );
                self.check(name, true, detail);
                Some((*off, *relative))
            }
            [] => {
                self.check(name, false, format!("no offset below {MODULE_SCAN:#x} holds the known types"));
                None
            }
            many => {
                self.check(name, false, format!("ambiguous: offsets {many:x?} all match"));
                None
            }
        }
    }
}
