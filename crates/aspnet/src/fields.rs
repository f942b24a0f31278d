//! Fields of managed objects by name, through the type system: every offset
//! comes from the dump's own FieldDescs (`TypeSystem::type_info`), never
//! from a table in this crate.

use clr_heap::types::{DateTimeKind, TypeSystem, Value};

/// `DateTime._dateData` keeps the Kind in its top two bits (reference §10.7).
pub const TICKS_MASK: u64 = 0x3FFF_FFFF_FFFF_FFFF;

/// Typed reads of named fields.
#[derive(Clone, Copy)]
pub struct Reader<'t, 'a> {
    /// The type system every read goes through.
    pub types: &'t TypeSystem<'a>,
}

impl<'t, 'a> Reader<'t, 'a> {
    /// A reader over `types`.
    pub fn new(types: &'t TypeSystem<'a>) -> Self {
        Reader { types }
    }

    /// The type name of the object at `obj`, when it is a valid object.
    pub fn type_name(&self, obj: u64) -> Option<String> {
        let mt = self.types.object_mt(obj).ok()?;
        self.types.type_name(mt).ok()
    }

    /// Why the object's fields cannot be read (`None` when they can).
    pub fn fields_error(&self, obj: u64) -> Option<String> {
        let mt = match self.types.object_mt(obj) {
            Ok(mt) => mt,
            Err(e) => return Some(e.to_string()),
        };
        self.types.type_info(mt).err().map(|e| e.to_string())
    }

    /// Whether the object's type (base classes included) declares `name`.
    pub fn has_field(&self, obj: u64, name: &str) -> bool {
        let Ok(mt) = self.types.object_mt(obj) else { return false };
        self.types.type_info(mt).is_ok_and(|t| t.instance_fields.iter().any(|f| f.name == name))
    }

    /// The value of the first of `names` the object's type declares; `None`
    /// when `obj` is not a valid object or declares none of them. The most
    /// derived declaration wins (System.Web declares `_traceId` twice).
    pub fn field(&self, obj: u64, names: &[&str]) -> Option<Value> {
        if obj == 0 {
            return None;
        }
        let mt = self.types.object_mt(obj).ok()?;
        let t = self.types.type_info(mt).ok()?;
        for name in names {
            if let Some(f) = t.instance_fields.iter().rev().find(|f| f.name == *name) {
                return Some(self.types.field_value(obj, f, false).value);
            }
        }
        None
    }

    /// A non-null object reference held by a field.
    pub fn reference(&self, obj: u64, names: &[&str]) -> Option<u64> {
        self.field(obj, names)?.reference().filter(|&a| a != 0)
    }

    /// A string field's text (`None` for null, missing or unreadable).
    pub fn string(&self, obj: u64, names: &[&str]) -> Option<String> {
        match self.field(obj, names)? {
            Value::String { value: Ok(s), .. } => Some(s),
            _ => None,
        }
    }

    /// An integral, bool, char or enum field as a number.
    pub fn int(&self, obj: u64, names: &[&str]) -> Option<i128> {
        self.field(obj, names)?.as_i128()
    }

    /// A bool field.
    pub fn boolean(&self, obj: u64, names: &[&str]) -> Option<bool> {
        match self.field(obj, names)? {
            Value::Bool(b) => Some(b),
            other => other.as_i128().map(|v| v != 0),
        }
    }

    /// A `DateTime` field: ticks (Kind bits masked) and Kind.
    pub fn datetime(&self, obj: u64, names: &[&str]) -> Option<DateTime> {
        datetime_of(&self.field(obj, names)?)
    }

    /// A `TimeSpan` field's ticks.
    pub fn timespan(&self, obj: u64, names: &[&str]) -> Option<i64> {
        match self.field(obj, names)? {
            Value::TimeSpan(t) => Some(t),
            Value::Struct { fields, .. } => fields
                .iter()
                .find(|f| f.field.name == "_ticks")
                .and_then(|f| f.value.as_i128())
                .map(|v| v as i64),
            _ => None,
        }
    }

    /// Follows a chain of reference fields (`["_request", "_url"]`).
    pub fn path(&self, obj: u64, chain: &[&[&str]]) -> Option<u64> {
        chain.iter().try_fold(obj, |o, names| self.reference(o, names))
    }
}

/// A `DateTime` read from the dump.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTime {
    /// Ticks (100 ns since 0001-01-01), Kind bits masked.
    pub ticks: u64,
    /// The Kind bits.
    pub kind: DateTimeKind,
}

impl DateTime {
    /// ISO 8601 in UTC with the full tick precision (`2024-03-01T08:00:00.1234567Z`);
    /// the Kind is not applied (Local values print their local clock reading).
    pub fn iso(&self) -> String {
        let rel = self.ticks as i128 - i128::from(crate::request::UNIX_EPOCH_TICKS);
        let secs = rel.div_euclid(10_000_000) as i64;
        let frac = rel.rem_euclid(10_000_000);
        let day = dump_format::model::UnixTime { secs, nanos: 0 }.to_rfc3339();
        format!("{}.{frac:07}Z", day.trim_end_matches('Z'))
    }
}

/// A decoded `DateTime` value (structs decoded field by field included).
pub fn datetime_of(v: &Value) -> Option<DateTime> {
    match v {
        Value::DateTime { ticks, kind, .. } => Some(DateTime { ticks: ticks & TICKS_MASK, kind: *kind }),
        Value::Struct { fields, .. } => {
            let raw = fields.iter().find(|f| f.field.name == "_dateData" || f.field.name == "dateData")?;
            let raw = raw.value.as_i128()? as u64;
            let kind = match raw >> 62 {
                1 => DateTimeKind::Utc,
                0 => DateTimeKind::Unspecified,
                _ => DateTimeKind::Local,
            };
            Some(DateTime { ticks: raw & TICKS_MASK, kind })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::DateTime;
    use clr_heap::types::DateTimeKind;

    #[test]
    fn iso_keeps_ticks() {
        let d = DateTime { ticks: 639_311_822_905_379_533, kind: DateTimeKind::Utc };
        assert_eq!(d.iso(), "2026-11-25T05:44:50.5379533Z");
    }
}
