//! Static fields of non-generic types (reference §3.3): through the
//! module's `DomainLocalModule` (DLM). GC statics (references and boxed
//! structs) live in the slots `DLM.m_pGCStatics` points to; the others
//! inside the DLM itself; the FieldDesc offset is from that base.
//!
//! Neither `Module.m_ModuleID` (the DLM pointer on .NET Core) nor
//! `DLM.m_pGCStatics` has a trusted offset, so both are *calibrated* on a
//! static whose value is known in every process: `System.String.Empty`
//! must be a zero-length `System.String`. Statics this cannot reach are
//! reported as unresolvable, never guessed: thread statics, statics of
//! generic instantiations and other dynamic-statics types, RVA statics of
//! images not mapped in the dump.

use super::fields::{FieldInfo, FieldShape, TypeInfo, TypeKind};
use super::module::ImageRoute;
use super::system::TypeSystem;
use super::value::{FieldValue, Value};
use crate::error::{ClrError, Result};
use std::rc::Rc;

/// How far into `Module` the calibration looks for `m_ModuleID` (bytes).
const MODULE_SCAN: u64 = 0x800;
/// How far into the DLM it looks for `m_pGCStatics` (pointers).
const DLM_SCAN: u64 = 8;
/// `enum_flag_StaticsMask` of the low MethodTable flags: non-zero means dynamic statics.
const STATICS_MASK: u32 = 0x0006;

/// The calibrated statics offsets: `Module.m_ModuleID`, `DLM.m_pGCStatics`.
#[derive(Debug, Default, Clone, Copy)]
pub struct StaticsCalibration {
    /// `None`: not tried yet; `Some(None)`: tried and failed.
    found: Option<Option<(u64, u64)>>,
}

impl TypeSystem<'_> {
    /// The value of static field `field` of type `t`, or why it cannot be
    /// resolved ([`ClrError::Unsupported`]).
    pub fn static_value(&self, t: &TypeInfo, field: &Rc<FieldInfo>) -> Result<FieldValue> {
        let unsupported = |why: &str| Err(ClrError::Unsupported(format!("{}.{}: {why}", t.name, field.name)));
        if !field.is_static {
            return unsupported("not a static field");
        }
        if field.is_thread_static {
            return unsupported("thread statics live in each thread's storage, which is not read");
        }
        let info = &t.method_table;
        if info.component_size() == 0 && info.raw_flags & STATICS_MASK != 0 {
            return unsupported("the type has dynamic statics (generic instantiation or emitted type)");
        }
        if field.is_rva {
            let module = t.module.as_ref().and_then(|m| match &m.route {
                Ok(ImageRoute::DumpMapped { base }) => Some(*base),
                _ => None,
            });
            return match module {
                Some(base) => {
                    let value = self.static_at(field, base.wrapping_add(u64::from(field.offset)), false);
                    Ok(FieldValue {
                        field: field.clone(),
                        address: base.wrapping_add(u64::from(field.offset)),
                        value,
                    })
                }
                None => unsupported("an RVA static of an image not mapped in the dump"),
            };
        }
        let module =
            t.module.as_ref().ok_or_else(|| ClrError::Unsupported(format!("{}: no module", t.name)))?;
        let (module_id_off, gc_off) = self.statics_offsets().ok_or_else(|| {
            ClrError::Unsupported(format!(
                "{}.{}: the statics layout could not be calibrated",
                t.name, field.name
            ))
        })?;
        let dlm = self.ptr(module.address.wrapping_add(module_id_off))?;
        let gc =
            matches!(field.shape, FieldShape::Reference | FieldShape::Struct(_) | FieldShape::Special(_));
        let base = if gc { self.ptr(dlm.wrapping_add(gc_off))? } else { dlm };
        if base == 0 {
            return unsupported("the statics are not allocated (class not initialised)");
        }
        let address = base.wrapping_add(u64::from(field.offset));
        Ok(FieldValue { field: field.clone(), address, value: self.static_at(field, address, gc) })
    }

    /// Decodes a static at `address`; GC statics of value types are boxed.
    fn static_at(&self, field: &Rc<FieldInfo>, address: u64, gc: bool) -> Value {
        if !gc || matches!(field.shape, FieldShape::Reference) {
            return self.decode_field(field, address, 0);
        }
        // A boxed struct: the slot holds the box; the value is its data.
        match self.ptr(address) {
            Ok(0) => Value::Null,
            Ok(boxed) => match self.object_mt(boxed) {
                Ok(mt) => self.value_of_type(mt, boxed.wrapping_add(self.layout.ptr), 0),
                Err(e) => Value::BadReference { address: boxed, reason: e.to_string() },
            },
            Err(e) => Value::Unavailable(e.to_string()),
        }
    }

    /// Finds (once) `Module.m_ModuleID` and `DLM.m_pGCStatics` by the
    /// `String.Empty` rule of the module documentation.
    fn statics_offsets(&self) -> Option<(u64, u64)> {
        if let Some(v) = self.statics.get().found {
            return v;
        }
        let found = self.calibrate_statics();
        self.statics.set(StaticsCalibration { found: Some(found) });
        found
    }

    fn calibrate_statics(&self) -> Option<(u64, u64)> {
        let name = "statics: Module.m_ModuleID and DomainLocalModule.m_pGCStatics located by String.Empty";
        let string = self.type_info(self.well_known.string).ok()?;
        let Some(empty) = string.static_fields.iter().find(|f| f.name == "Empty") else {
            self.check(name, false, "System.String has no static field Empty");
            return None;
        };
        let module = string.module.as_ref()?.address;
        let p = self.layout.ptr;
        let is_empty_string = |slot: u64| {
            self.ptr(slot).ok().filter(|&o| o != 0).is_some_and(|o| {
                self.object_mt(o).is_ok_and(|mt| mt == self.well_known.string)
                    && self.u32(o.wrapping_add(p)).ok() == Some(0)
            })
        };
        let mut hits = Vec::new();
        for k in 2..MODULE_SCAN / p {
            let Ok(dlm) = self.ptr(module.wrapping_add(k * p)) else { continue };
            if dlm == 0 || self.mem.readable_len(dlm) < DLM_SCAN * p {
                continue;
            }
            for j in 0..DLM_SCAN {
                if let Ok(gc) = self.ptr(dlm.wrapping_add(j * p)) {
                    if gc != 0 && is_empty_string(gc.wrapping_add(u64::from(empty.offset))) {
                        hits.push((k * p, j * p));
                    }
                }
            }
        }
        match hits.as_slice() {
            [(m, g)] => {
                self.check(
                    name,
                    true,
                    format!("Module+{m:#x} → DLM, DLM+{g:#x} → GC statics; String.Empty is \"\""),
                );
                Some((*m, *g))
            }
            [] => {
                self.check(name, false, "no (Module, DLM) offset pair reaches an empty String.Empty");
                None
            }
            many => {
                self.check(name, false, format!("ambiguous: {many:x?}"));
                None
            }
        }
    }

    /// Every static field of the type at `mt` with its value or why it has none.
    pub fn statics(&self, mt: u64) -> Result<Vec<(Rc<FieldInfo>, Result<FieldValue>)>> {
        let t = self.type_info(mt)?;
        if matches!(t.kind, TypeKind::Array | TypeKind::Free) {
            return Ok(Vec::new());
        }
        Ok(t.static_fields.iter().map(|f| (f.clone(), self.static_value(&t, f))).collect())
    }
}
