//! Enum types: their members from metadata (literal fields and their
//! Constant rows) and `Enum.ToString()`-style names of values, `[Flags]`
//! combinations included (`Read, Admin`).

use crate::metadata::{Metadata, TableId, Token};

/// `HasConstant` coded index: tag bits and the Field tag.
const HAS_CONSTANT_BITS: u32 = 2;
/// `HasCustomAttribute` coded index: tag bits and the TypeDef tag.
const HAS_CUSTOM_ATTRIBUTE_BITS: u32 = 5;
const HAS_CUSTOM_ATTRIBUTE_TYPEDEF: u32 = 3;
/// Members listed at most (a real enum has a few hundred at the very most).
const MAX_MEMBERS: usize = 4096;

/// An enum type as metadata declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumInfo {
    /// The enum's full name.
    pub type_name: String,
    /// Its underlying `CorElementType` (`0x08` for `int`, …).
    pub underlying: u8,
    /// `[Flags]` is applied.
    pub flags: bool,
    /// Members in declaration order: value (as the raw bits, zero-extended) and name.
    pub members: Vec<(u64, String)>,
}

impl EnumInfo {
    /// Reads the enum TypeDef `rid`; `None` when it is not an enum.
    pub fn read(md: &Metadata, rid: u32) -> Option<EnumInfo> {
        let td = md.type_def(rid).ok()?;
        let base = md.type_def_or_ref_name(td.extends).ok()?;
        if base != "System.Enum" {
            return None;
        }
        let mut underlying = None;
        let mut members = Vec::new();
        for f in md.fields_of(rid).ok()?.into_iter().take(MAX_MEMBERS) {
            let row = md.field(f).ok()?;
            if !row.is_static() {
                // `value__`: the one instance field, of the underlying type.
                underlying = md.field_signature(f).ok().and_then(|s| primitive_code(&s));
                continue;
            }
            if let Some(v) = constant(md, f) {
                members.push((v, row.name.into_owned()));
            }
        }
        let type_name = md.full_type_name(rid).ok()?;
        Some(EnumInfo { type_name, underlying: underlying?, flags: has_flags(md, rid), members })
    }

    /// `Enum.ToString()` of `value`: the member's name, for `[Flags]` the
    /// names of the bits (ascending), else the number.
    pub fn name_of(&self, value: u64, signed: i64) -> String {
        let width = width(self.underlying);
        let mask = if width >= 8 { u64::MAX } else { (1u64 << (width * 8)) - 1 };
        let v = value & mask;
        if let Some((_, n)) = self.members.iter().find(|(m, _)| m & mask == v) {
            return n.clone();
        }
        if self.flags && v != 0 {
            let mut sorted: Vec<&(u64, String)> =
                self.members.iter().filter(|(m, _)| m & mask != 0).collect();
            sorted.sort_by_key(|(m, _)| std::cmp::Reverse(m & mask));
            let mut rest = v;
            let mut names = Vec::new();
            for (m, n) in sorted {
                let m = m & mask;
                if rest & m == m {
                    rest &= !m;
                    names.push(n.as_str());
                }
            }
            if rest == 0 {
                names.reverse();
                return names.join(", ");
            }
        }
        if is_signed(self.underlying) { signed.to_string() } else { v.to_string() }
    }
}

/// The Constant value of Field `rid`, zero-extended.
fn constant(md: &Metadata, field: u32) -> Option<u64> {
    let key = field << HAS_CONSTANT_BITS;
    let range = md.tables().equal_range(TableId::Constant, 1, key).ok()?;
    let row = md.constant(range.start).ok().filter(|_| !range.is_empty())?;
    let mut b = [0u8; 8];
    let n = row.value.len().min(8);
    b[..n].copy_from_slice(&row.value[..n]);
    Some(u64::from_le_bytes(b))
}

/// Whether TypeDef `rid` carries `System.FlagsAttribute`.
fn has_flags(md: &Metadata, rid: u32) -> bool {
    let key = rid << HAS_CUSTOM_ATTRIBUTE_BITS | HAS_CUSTOM_ATTRIBUTE_TYPEDEF;
    let Ok(range) = md.tables().equal_range(TableId::CustomAttribute, 0, key) else { return false };
    range.into_iter().any(|ca| {
        let Ok(row) = md.custom_attribute(ca) else { return false };
        let class = match row.constructor.table() {
            Some(TableId::MemberRef) => md.member_ref(row.constructor.rid()).map(|m| m.class).ok(),
            Some(TableId::MethodDef) => {
                md.method_owner(row.constructor.rid()).ok().flatten().map(|t| Token::new(TableId::TypeDef, t))
            }
            _ => None,
        };
        class.and_then(|c| md.type_def_or_ref_name(c).ok()).as_deref() == Some("System.FlagsAttribute")
    })
}

fn primitive_code(sig: &crate::metadata::SigType) -> Option<u8> {
    use crate::metadata::SigType as S;
    Some(match sig {
        S::Boolean => 0x02,
        S::Char => 0x03,
        S::I1 => 0x04,
        S::U1 => 0x05,
        S::I2 => 0x06,
        S::U2 => 0x07,
        S::I4 => 0x08,
        S::U4 => 0x09,
        S::I8 => 0x0A,
        S::U8 => 0x0B,
        S::I => 0x18,
        S::U => 0x19,
        _ => return None,
    })
}

/// Bytes of a primitive `CorElementType` (0 for non-primitives).
pub(crate) fn width(et: u8) -> u64 {
    match et {
        0x02 | 0x04 | 0x05 => 1,
        0x03 | 0x06 | 0x07 => 2,
        0x08 | 0x09 | 0x0C => 4,
        0x0A | 0x0B | 0x0D => 8,
        _ => 0,
    }
}

/// Signed integer `CorElementType`s.
pub(crate) fn is_signed(et: u8) -> bool {
    matches!(et, 0x04 | 0x06 | 0x08 | 0x0A | 0x18)
}
