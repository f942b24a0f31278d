//! Objects and values (`!dumpobj`): an object's type, size and every
//! instance field decoded; strings; values of any type at any address.

use super::fields::{FieldInfo, FieldShape, Special, TypeKind};
use super::system::TypeSystem;
use super::value::{DateTimeKind, FieldValue, Value, decimal_text};
use crate::error::{ClrError, Result};
use std::rc::Rc;

/// Structs nest inside structs at most this deep when shown inline.
const MAX_STRUCT_DEPTH: u32 = 8;
/// Longest string decoded (UTF-16 code units): 256 Mi characters is beyond any real string.
const MAX_STRING_CHARS: u64 = 1 << 28;

/// An object as `!dumpobj` shows it.
#[derive(Debug, Clone)]
pub struct ObjectInfo {
    /// Its address.
    pub address: u64,
    /// Its MethodTable.
    pub mt: u64,
    /// The EEClass.
    pub ee_class: u64,
    /// Its type's name.
    pub type_name: String,
    /// What kind of type.
    pub kind: TypeKind,
    /// Size on the heap (aligned as the GC steps over it).
    pub size: u64,
    /// Generation (0–2; 3 LOH; 4 POH), when the address is on the GC heap.
    pub generation: Option<u8>,
    /// Path of the module defining the type.
    pub module_path: Option<String>,
    /// Every instance field with its value, base classes' first.
    pub fields: Vec<FieldValue>,
    /// For strings: the text.
    pub string: Option<String>,
    /// For boxed value types: the value.
    pub boxed: Option<Value>,
}

impl TypeSystem<'_> {
    /// The object at `address` with all its instance fields.
    pub fn object(&self, address: u64) -> Result<ObjectInfo> {
        let mt = self.object_mt(address)?;
        let t = self.type_info(mt)?;
        let (size, generation) = self.size_and_generation(address, &t.method_table)?;
        let fields = t.instance_fields.iter().map(|f| self.field_value(address, f, false)).collect();
        let string = if t.kind == TypeKind::String { Some(self.string_at(address)?) } else { None };
        let boxed = matches!(t.kind, TypeKind::Struct | TypeKind::Enum | TypeKind::Primitive)
            .then(|| self.value_of_type(mt, address.wrapping_add(self.layout.ptr), 0));
        Ok(ObjectInfo {
            address,
            mt,
            ee_class: t.method_table.ee_class,
            type_name: t.name.clone(),
            kind: t.kind,
            size,
            generation,
            module_path: t.module.as_ref().map(|m| m.path()),
            fields,
            string,
            boxed,
        })
    }

    /// The validated MethodTable of the object at `address` (mark bits masked).
    pub fn object_mt(&self, address: u64) -> Result<u64> {
        let mt = self.ptr(address)? & self.layout.mt_mask();
        let bad = |reason: String| ClrError::Invalid { what: "object", address, reason };
        let info =
            self.method_table(mt).map_err(|e| bad(format!("its MethodTable {mt:#x} is not valid: {e}")))?;
        // Interfaces and other size-less types have no instances.
        if !self.is_free(mt) && !info.plausible(&self.layout) {
            return Err(bad(format!(
                "its MethodTable {mt:#x} has an impossible instance size {:#x}",
                info.base_size
            )));
        }
        Ok(mt)
    }

    fn size_and_generation(&self, address: u64, info: &super::MethodTableInfo) -> Result<(u64, Option<u8>)> {
        let segment = self.rt.heap.as_ref().ok().and_then(|h| h.segment_of(address));
        let align = segment.map_or(self.layout.ptr, |s| s.kind.alignment(self.layout.ptr));
        let size = crate::gc::walk::object_size(&self.mem, &self.layout, info, address, align)
            .map_err(|reason| ClrError::Invalid { what: "object", address, reason })?;
        Ok((size, segment.map(|s| s.generation_of(address))))
    }

    /// The text of the string object at `address`. Lengths the dump cannot
    /// hold are an error, not an allocation.
    pub fn string_at(&self, address: u64) -> Result<String> {
        let mt = self.object_mt(address)?;
        let info = self.method_table(mt)?;
        if !info.is_string_like() || (self.well_known.string != 0 && mt != self.well_known.string) {
            return Err(ClrError::Invalid {
                what: "string",
                address,
                reason: format!("its type {} is not System.String", self.type_name(mt).unwrap_or_default()),
            });
        }
        let len = u64::from(self.u32(address.wrapping_add(self.layout.ptr))?);
        let chars = address.wrapping_add(self.layout.ptr + 4);
        if len > MAX_STRING_CHARS || self.mem.readable_len(chars) < 2 * len {
            return Err(ClrError::Invalid {
                what: "string",
                address,
                reason: format!("length {len} does not fit in the dump's memory at {chars:#x}"),
            });
        }
        let bytes = self.mem.read(chars, 2 * len).map_err(|source| ClrError::Read {
            what: format!("characters of string {address:#x}"),
            source,
        })?;
        let units: Vec<u16> = bytes.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
        Ok(String::from_utf16_lossy(&units))
    }

    /// The value of field `f` of the object at `base` (`interior`: `base` is
    /// the start of an unboxed struct's data instead).
    pub fn field_value(&self, base: u64, f: &Rc<FieldInfo>, interior: bool) -> FieldValue {
        self.field_value_at_depth(base, f, interior, 0)
    }

    fn field_value_at_depth(&self, base: u64, f: &Rc<FieldInfo>, interior: bool, depth: u32) -> FieldValue {
        let address = base.wrapping_add(u64::from(f.offset) + if interior { 0 } else { self.layout.ptr });
        FieldValue { field: f.clone(), address, value: self.decode_field(f, address, depth) }
    }

    /// The value of field `f` stored at `address` (structs inline).
    pub(crate) fn decode_field(&self, f: &FieldInfo, address: u64, depth: u32) -> Value {
        match &f.shape {
            FieldShape::Primitive => self.primitive(f.element_type, address),
            FieldShape::Pointer => self.ptr(address).map_or_else(unavailable, Value::Pointer),
            FieldShape::Reference => self.reference_at(address),
            FieldShape::Special(s) => self.special(*s, address),
            FieldShape::Enum(e) => {
                let raw = self.primitive(f.element_type, address);
                enum_value(&e.type_name, raw, |v, s| e.name_of(v, s))
            }
            FieldShape::Struct(Ok(mt)) => self.value_of_type(*mt, address, depth + 1),
            FieldShape::Struct(Err(why)) => Value::Unavailable(why.clone()),
        }
    }

    /// The value of type `th` stored at `address` (an array element, a
    /// boxed value's data, a struct field): references are read as
    /// pointers, value types decoded in place.
    pub fn value_at(&self, th: u64, address: u64) -> Value {
        if th & 2 != 0 {
            // TypeDescs name arrays, pointers and generic variables: all pointer-sized.
            return self.reference_at(address);
        }
        match self.method_table(th) {
            Ok(i) if i.is_value_type() => self.value_of_type(th, address, 0),
            Ok(_) => self.reference_at(address),
            Err(e) => Value::Unavailable(e.to_string()),
        }
    }

    /// A value type's value at `address` (its unboxed data).
    pub(crate) fn value_of_type(&self, mt: u64, address: u64, depth: u32) -> Value {
        if depth > MAX_STRUCT_DEPTH {
            return Value::Unavailable(format!("structs nest deeper than {MAX_STRUCT_DEPTH}"));
        }
        let t = match self.type_info(mt) {
            Ok(t) => t,
            Err(e) => return Value::Unavailable(e.to_string()),
        };
        if let Some(s) = Special::of(&t.name) {
            return self.special(s, address);
        }
        match t.kind {
            TypeKind::Primitive => self.primitive(t.norm_type, address),
            TypeKind::Enum => {
                let raw = self.primitive(t.norm_type, address);
                match &t.enum_info {
                    Some(e) => enum_value(&t.name, raw, |v, s| e.name_of(v, s)),
                    None => raw,
                }
            }
            _ => Value::Struct {
                type_name: t.name.clone(),
                mt,
                fields: t
                    .instance_fields
                    .iter()
                    .map(|f| self.field_value_at_depth(address, f, true, depth))
                    .collect(),
            },
        }
    }

    /// The object reference stored at `address`.
    pub fn reference_at(&self, address: u64) -> Value {
        match self.ptr(address) {
            Ok(0) => Value::Null,
            Ok(obj) => self.reference(obj),
            Err(e) => Value::Unavailable(e.to_string()),
        }
    }

    /// A reference to `obj`, typed.
    pub fn reference(&self, obj: u64) -> Value {
        let mt = match self.object_mt(obj) {
            Ok(mt) => mt,
            Err(e) => return Value::BadReference { address: obj, reason: e.to_string() },
        };
        if mt == self.well_known.string && mt != 0 {
            return Value::String { address: obj, value: self.string_at(obj).map_err(|e| e.to_string()) };
        }
        match self.type_name(mt) {
            Ok(type_name) => Value::Object { address: obj, mt, type_name },
            Err(e) => Value::BadReference { address: obj, reason: e.to_string() },
        }
    }

    /// A primitive of `CorElementType` `et` at `address`.
    pub fn primitive(&self, et: u8, address: u64) -> Value {
        let width = match et {
            0x18 | 0x19 => self.layout.ptr,
            other => super::enums::width(other),
        };
        if width == 0 {
            return Value::Unavailable(format!("element type {et:#x} is not a primitive"));
        }
        let mut b = [0u8; 8];
        if let Err(e) = self.mem.read_into(address, &mut b[..width as usize]) {
            return Value::Unavailable(e.to_string());
        }
        let u = u64::from_le_bytes(b);
        match et {
            0x02 => Value::Bool(u != 0),
            0x03 => Value::Char(u as u16),
            0x04 => Value::I8(u as i8),
            0x05 => Value::U8(u as u8),
            0x06 => Value::I16(u as i16),
            0x07 => Value::U16(u as u16),
            0x08 => Value::I32(u as i32),
            0x09 => Value::U32(u as u32),
            0x0A => Value::I64(u as i64),
            0x0B => Value::U64(u),
            0x0C => Value::F32(f32::from_bits(u as u32)),
            0x0D => Value::F64(f64::from_bits(u)),
            // IntPtr is signed: a 32-bit -1 is -1, as `ToInt64()` says; UIntPtr is not.
            0x18 if width == 4 => Value::NativeInt(u as u32 as i32 as i64 as u64),
            _ => Value::NativeInt(u),
        }
    }

    fn special(&self, s: Special, address: u64) -> Value {
        let mut raw = [0u8; 16];
        let len = if matches!(s, Special::Decimal | Special::Guid) { 16 } else { 8 };
        if let Err(e) = self.mem.read_into(address, &mut raw[..len]) {
            return Value::Unavailable(e.to_string());
        }
        let mut w = [0u8; 8];
        w.copy_from_slice(&raw[..8]);
        let word = u64::from_le_bytes(w);
        match s {
            Special::Decimal => match decimal_text(&raw) {
                Some(text) => Value::Decimal { raw, text },
                None => Value::Unavailable(format!("flags {:02x?} are not a decimal's", &raw[..4])),
            },
            Special::Guid => Value::Guid(raw),
            Special::TimeSpan => Value::TimeSpan(word as i64),
            Special::DateTime => {
                let kind = match word >> 62 {
                    0 => DateTimeKind::Unspecified,
                    1 => DateTimeKind::Utc,
                    _ => DateTimeKind::Local,
                };
                Value::DateTime { ticks: word & 0x3FFF_FFFF_FFFF_FFFF, kind, raw: word }
            }
        }
    }
}

fn unavailable(e: ClrError) -> Value {
    Value::Unavailable(e.to_string())
}

/// Wraps an enum's underlying value with its type and member name.
fn enum_value(type_name: &str, raw: Value, name_of: impl Fn(u64, i64) -> String) -> Value {
    let Some(v) = raw.as_i128() else { return raw };
    Value::Enum { type_name: type_name.to_string(), name: name_of(v as u64, v as i64), value: Box::new(raw) }
}
