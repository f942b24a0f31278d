//! Decoded values of fields and array elements, and how they print.

use super::fields::FieldInfo;
use std::fmt;
use std::rc::Rc;

/// `DateTime.Kind`, from the top two bits of `_dateData`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateTimeKind {
    /// `DateTimeKind.Unspecified`.
    Unspecified,
    /// `DateTimeKind.Utc`.
    Utc,
    /// `DateTimeKind.Local` (also the ambiguous-DST local encoding).
    Local,
}

impl DateTimeKind {
    /// The name .NET prints.
    pub fn name(self) -> &'static str {
        match self {
            DateTimeKind::Unspecified => "Unspecified",
            DateTimeKind::Utc => "Utc",
            DateTimeKind::Local => "Local",
        }
    }
}

/// A value read from the dump.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A null reference.
    Null,
    /// `bool`.
    Bool(bool),
    /// `char` (a UTF-16 code unit).
    Char(u16),
    /// `sbyte`.
    I8(i8),
    /// `byte`.
    U8(u8),
    /// `short`.
    I16(i16),
    /// `ushort`.
    U16(u16),
    /// `int`.
    I32(i32),
    /// `uint`.
    U32(u32),
    /// `long`.
    I64(i64),
    /// `ulong`.
    U64(u64),
    /// `float`.
    F32(f32),
    /// `double`.
    F64(f64),
    /// `IntPtr` / `UIntPtr` (pointer-sized).
    NativeInt(u64),
    /// An unmanaged or function pointer.
    Pointer(u64),
    /// `decimal`: the 16 bytes as stored and the invariant text (`-12345.6789`).
    Decimal {
        /// The bytes in memory.
        raw: [u8; 16],
        /// `decimal.ToString(CultureInfo.InvariantCulture)`.
        text: String,
    },
    /// `System.Guid` (bytes in memory order).
    Guid([u8; 16]),
    /// `System.DateTime`.
    DateTime {
        /// Ticks (100 ns since 0001-01-01).
        ticks: u64,
        /// The kind bits.
        kind: DateTimeKind,
        /// The raw `_dateData`.
        raw: u64,
    },
    /// `System.TimeSpan` ticks.
    TimeSpan(i64),
    /// An enum value.
    Enum {
        /// The enum type.
        type_name: String,
        /// The value as its underlying type.
        value: Box<Value>,
        /// `ToString()` of the value (member name(s), else the number).
        name: String,
    },
    /// A string reference, with its text.
    String {
        /// The string object.
        address: u64,
        /// Its text (or why it cannot be read).
        value: Result<String, String>,
    },
    /// A non-string object reference.
    Object {
        /// The object.
        address: u64,
        /// Its MethodTable.
        mt: u64,
        /// Its type's name.
        type_name: String,
    },
    /// A struct shown inline with its fields.
    Struct {
        /// The struct type.
        type_name: String,
        /// Its MethodTable.
        mt: u64,
        /// Its fields.
        fields: Vec<FieldValue>,
    },
    /// A reference to something that is not a valid object.
    BadReference {
        /// The reference.
        address: u64,
        /// Why it is not an object.
        reason: String,
    },
    /// The value could not be read or decoded.
    Unavailable(String),
}

/// A field with its value.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldValue {
    /// The field.
    pub field: Rc<FieldInfo>,
    /// Where its value is.
    pub address: u64,
    /// The value.
    pub value: Value,
}

impl Value {
    /// The integer value of an integral, char, bool or enum value.
    pub fn as_i128(&self) -> Option<i128> {
        Some(match self {
            Value::Bool(b) => i128::from(*b),
            Value::Char(v) => i128::from(*v),
            Value::I8(v) => i128::from(*v),
            Value::U8(v) => i128::from(*v),
            Value::I16(v) => i128::from(*v),
            Value::U16(v) => i128::from(*v),
            Value::I32(v) => i128::from(*v),
            Value::U32(v) => i128::from(*v),
            Value::I64(v) => i128::from(*v),
            Value::U64(v) | Value::NativeInt(v) | Value::Pointer(v) => i128::from(*v),
            Value::Enum { value, .. } => return value.as_i128(),
            _ => return None,
        })
    }

    /// The referenced object's address, for references (0 for null).
    pub fn reference(&self) -> Option<u64> {
        match self {
            Value::Null => Some(0),
            Value::String { address, .. }
            | Value::Object { address, .. }
            | Value::BadReference { address, .. } => Some(*address),
            _ => None,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Char(c) => match char::from_u32(u32::from(*c)) {
                Some(ch) if !ch.is_control() => write!(f, "'{ch}' ({c})"),
                _ => write!(f, "{c}"),
            },
            Value::F32(v) => write!(f, "{v}"),
            Value::F64(v) => write!(f, "{v}"),
            Value::NativeInt(v) | Value::Pointer(v) => write!(f, "{v:#x}"),
            Value::Decimal { text, .. } => f.write_str(text),
            Value::Guid(g) => f.write_str(&crate::metadata::format_guid(g)),
            Value::DateTime { ticks, kind, .. } => write!(f, "{ticks} ticks ({})", kind.name()),
            Value::TimeSpan(t) => write!(f, "{t} ticks"),
            Value::Enum { value, name, .. } => write!(f, "{value} ({name})"),
            Value::String { address, value: Ok(s) } => write!(f, "{address:#x} {s:?}"),
            Value::String { address, value: Err(e) } => write!(f, "{address:#x} <string: {e}>"),
            Value::Object { address, type_name, .. } => write!(f, "{address:#x} ({type_name})"),
            Value::Struct { type_name, fields, .. } => {
                write!(f, "{type_name} {{ ")?;
                for (i, fv) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{} = {}", fv.field.name, fv.value)?;
                }
                f.write_str(" }")
            }
            Value::BadReference { address, reason } => write!(f, "{address:#x} <invalid: {reason}>"),
            Value::Unavailable(why) => write!(f, "<unavailable: {why}>"),
            other => match other.as_i128() {
                Some(v) => write!(f, "{v}"),
                None => f.write_str("?"),
            },
        }
    }
}

/// `decimal` as .NET's invariant `ToString()`: the 96-bit mantissa with
/// `scale` digits after the point (trailing zeros kept), `None` when the
/// flags are not a decimal's.
pub fn decimal_text(raw: &[u8; 16]) -> Option<String> {
    let flags = u32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]);
    let hi = u32::from_le_bytes([raw[4], raw[5], raw[6], raw[7]]);
    let mut lo = [0u8; 8];
    lo.copy_from_slice(&raw[8..16]);
    let scale = (flags >> 16) & 0xFF;
    // Only the scale and sign bits may be set, and the scale is at most 28.
    if flags & 0x7F00_FFFF != 0 || scale > 28 {
        return None;
    }
    let mantissa = (u128::from(hi) << 64) | u128::from(u64::from_le_bytes(lo));
    let mut digits = mantissa.to_string();
    let scale = scale as usize;
    if scale > 0 {
        if digits.len() <= scale {
            digits = "0".repeat(scale + 1 - digits.len()) + &digits;
        }
        digits.insert(digits.len() - scale, '.');
    }
    if flags & 0x8000_0000 != 0 && mantissa != 0 {
        digits.insert(0, '-');
    }
    Some(digits)
}

#[cfg(test)]
mod tests {
    use super::decimal_text;

    fn raw(hex: &str) -> [u8; 16] {
        let mut r = [0u8; 16];
        for (i, b) in r.iter_mut().enumerate() {
            *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap_or(0);
        }
        r
    }

    #[test]
    fn decimals_print_as_dotnet_does() {
        assert_eq!(decimal_text(&raw("000004800000000015cd5b0700000000")).as_deref(), Some("-12345.6789"));
        assert_eq!(decimal_text(&raw("0000020000000000cf07000000000000")).as_deref(), Some("19.99"));
        assert_eq!(decimal_text(&raw("00000000000000000300000000000000")).as_deref(), Some("3"));
        assert_eq!(decimal_text(&raw("00000300000000000500000000000000")).as_deref(), Some("0.005"));
        assert_eq!(decimal_text(&raw("0000ff00000000000100000000000000")), None);
    }
}
