//! Validation of the type layer's layout candidates on types whose shape is
//! known (reference §1.4, §3.2, §9.1), run once before the first type is
//! built and recorded in the diagnostics, pass or fail.

use super::fields::{FieldShape, TypeInfo};
use super::system::TypeSystem;

/// `ELEMENT_TYPE_CHAR`, `ELEMENT_TYPE_I4`.
const CHAR: u8 = 0x03;
const I4: u8 = 0x08;

impl TypeSystem<'_> {
    /// Checks the FieldDesc bit layout and EEClass counts on `System.String`
    /// (`_stringLength` at SOS offset ptr, `_firstChar` at ptr + 4) and
    /// `System.Exception` (`_message`, a reference), and `m_NormType` on a
    /// string (`ELEMENT_TYPE_STRING`).
    pub(crate) fn validate_well_known(&self) {
        if self.validated.replace(true) {
            return;
        }
        let ptr = self.layout.ptr as u32;
        let wk = self.well_known;
        let name = "FieldDesc bit layout on System.String";
        match self.type_info(wk.string) {
            Ok(t) => {
                let len = field(&t, "_stringLength").or_else(|| field(&t, "m_stringLength"));
                let first = field(&t, "_firstChar").or_else(|| field(&t, "m_firstChar"));
                let ok = t.counts.instance == 2
                    && len.is_some_and(|f| f.0 == 0 && f.1 == I4)
                    && first.is_some_and(|f| f.0 == 4 && f.1 == CHAR);
                self.check(
                    name,
                    ok,
                    format!(
                        "{} instance fields; length (offset, type) {:?}, first char {:?} (SOS offsets = + {ptr})",
                        t.counts.instance, len, first
                    ),
                );
            }
            Err(e) => self.check(name, false, format!("System.String at {:#x}: {e}", wk.string)),
        }
        let name = "System.Exception has a reference field _message";
        match self.type_info(wk.exception) {
            Ok(t) => {
                let msg = t.instance_fields.iter().find(|f| f.name == "_message");
                self.check(
                    name,
                    msg.is_some_and(|f| f.shape == FieldShape::Reference && f.type_name == "System.String"),
                    format!(
                        "{} instance fields; _message {:?}",
                        t.instance_fields.len(),
                        msg.map(|f| (f.offset + ptr, &f.type_name))
                    ),
                );
            }
            Err(e) => self.check(name, false, format!("System.Exception at {:#x}: {e}", wk.exception)),
        }
    }
}

/// `(m_dwOffset, element type)` of the instance field `name`.
fn field(t: &TypeInfo, name: &str) -> Option<(u32, u8)> {
    t.instance_fields.iter().find(|f| f.name == name).map(|f| (f.offset, f.element_type))
}
