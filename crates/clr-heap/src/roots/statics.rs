//! Static reference fields of loaded types as roots. In .NET Core the GC
//! statics live in pinned `object[]`s held by handles, so the marking would
//! find their objects anyway; naming them lets `gcroot` say *which static*
//! holds a chain (`Shop.Services.OrderCache.s_all`) instead of "a pinned
//! handle to an object[]".
//!
//! Types are found through each module's TypeDef → MethodTable map (loaded
//! types only); modules are those of every MethodTable the heap walk
//! validated. Thread statics and statics of generic instantiations are not
//! reachable this way (said in the returned note).

use super::{Root, RootKind};
use crate::metadata::TableId;
use crate::types::{FieldShape, TypeSystem};
use std::collections::BTreeSet;

/// Types with metadata rows beyond this are not scanned (a corrupt count).
const MAX_TYPEDEFS: u32 = 1 << 20;

/// What the statics scan covered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StaticsScan {
    /// Modules scanned.
    pub modules: usize,
    /// Loaded types with static reference fields.
    pub types: usize,
    /// Static reference fields whose value could not be resolved.
    pub unresolved: usize,
}

/// Every non-null static reference of the loaded types of `modules`.
pub fn static_roots(ts: &TypeSystem, modules: impl IntoIterator<Item = u64>) -> (Vec<Root>, StaticsScan) {
    let mut scan = StaticsScan::default();
    let mut roots = Vec::new();
    let mut set: BTreeSet<u64> = modules.into_iter().filter(|&m| m != 0).collect();
    set.extend(ts.modules().iter().map(|m| m.address));
    for m in set {
        let Ok(module) = ts.module(m) else { continue };
        let Ok(md) = module.metadata() else { continue };
        scan.modules += 1;
        let rows = md.rows(TableId::TypeDef).min(MAX_TYPEDEFS);
        for rid in 1..=rows {
            let Some(mt) = ts.typedef_mt(&module, rid) else { continue };
            let Ok(t) = ts.type_info(mt) else { continue };
            let fields: Vec<_> = t
                .static_fields
                .iter()
                .filter(|f| {
                    !f.is_thread_static
                        && !f.is_rva
                        && matches!(
                            f.shape,
                            FieldShape::Reference | FieldShape::Struct(_) | FieldShape::Special(_)
                        )
                })
                .collect();
            if fields.is_empty() {
                continue;
            }
            scan.types += 1;
            for f in fields {
                let Ok(v) = ts.static_value(&t, f) else {
                    scan.unresolved += 1;
                    continue;
                };
                // The slot holds the reference (a boxed struct's box for struct statics).
                let Ok(object) = ts.runtime().dump.memory().ptr(v.address) else { continue };
                if object != 0 {
                    roots.push(Root {
                        kind: RootKind::Static { type_name: t.name.clone(), field: f.name.clone() },
                        address: v.address,
                        object,
                    });
                }
            }
        }
    }
    (roots, scan)
}
