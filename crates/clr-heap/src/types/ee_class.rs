//! EEClass field counts and the raw FieldDescs of a type (reference §3.1, §3.2).
//!
//! The counts live after the fixed part of the EEClass
//! (`EEClass + m_cbFixedEEClassFields`), plain `u32[11]` or, when
//! `m_fFieldsArePacked`, a bit stream of (5-bit length − 1, value) groups.
//! A FieldDesc is `{m_pMTOfEnclosingClass, dword1, dword2}` with the bit
//! fields of §3.2; the .NET Framework lineage has an extra
//! `m_isContextLocal` bit (remoting) that shifts the upper fields.

use super::system::TypeSystem;
use crate::error::{ClrError, Result};
use crate::runtime::Family;
use crate::types::method_table::MethodTableInfo;

/// Index of each count in the packed-fields array (`EEClassFieldId`).
const NUM_INSTANCE_FIELDS: usize = 0;
const NUM_STATIC_FIELDS: usize = 2;
const NUM_THREAD_STATIC_FIELDS: usize = 6;
/// Number of packable fields.
const PACKED_COUNT: usize = 11;
/// Largest plausible fixed EEClass part (the biggest subclass is far smaller).
const MAX_FIXED_SIZE: u8 = 0xF0;
/// A type declares at most 65535 fields (metadata RIDs of one TypeDef are bounded this way in practice).
const MAX_FIELDS: u32 = 0xFFFF;

/// The field counts of an EEClass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FieldCounts {
    /// Instance fields, inherited ones included.
    pub instance: u32,
    /// Static fields introduced by this class (thread statics included).
    pub statics: u32,
    /// Thread-static fields introduced by this class.
    pub thread_statics: u32,
}

/// A FieldDesc as stored, decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawFieldDesc {
    /// Its address.
    pub address: u64,
    /// `m_pMTOfEnclosingClass`, decoded.
    pub enclosing_mt: u64,
    /// The Field token (`0x04000000 | rid`).
    pub token: u32,
    /// `m_isStatic`.
    pub is_static: bool,
    /// `m_isThreadLocal`.
    pub is_thread_static: bool,
    /// `m_isRVA`: the static lives in the image.
    pub is_rva: bool,
    /// `m_dwOffset`: instance fields from after the MethodTable pointer.
    pub offset: u32,
    /// `m_type`: the field's `CorElementType` (enums as their underlying type).
    pub element_type: u8,
}

impl TypeSystem<'_> {
    /// The field counts of the EEClass `ee_class`.
    pub fn field_counts(&self, ee_class: u64) -> Result<FieldCounts> {
        let e = &self.layout.ee_class;
        let read_u8 = |off: u64| {
            self.mem.u8(ee_class.wrapping_add(off)).map_err(|source| ClrError::Read {
                what: format!("EEClass {ee_class:#x} + {off:#x}"),
                source,
            })
        };
        let fixed = read_u8(e.fixed_fields_size)?;
        let packed = read_u8(e.fields_are_packed)?;
        if u64::from(fixed) < e.fixed_fields_size + 2 || fixed > MAX_FIXED_SIZE || packed > 1 {
            return Err(ClrError::Invalid {
                what: "EEClass",
                address: ee_class,
                reason: format!(
                    "m_cbFixedEEClassFields {fixed:#x} / m_fFieldsArePacked {packed} are impossible"
                ),
            });
        }
        let base = ee_class.wrapping_add(u64::from(fixed));
        let words: Vec<u32> = if packed == 0 {
            (0..PACKED_COUNT as u64).map(|i| self.u32(base.wrapping_add(4 * i))).collect::<Result<_>>()?
        } else {
            // 11 groups of at most 5 + 32 bits fit in 13 words.
            let raw: Vec<u32> =
                (0..13u64).map(|i| self.u32(base.wrapping_add(4 * i))).collect::<Result<_>>()?;
            unpack(&raw).ok_or_else(|| ClrError::Invalid {
                what: "EEClass packed fields",
                address: base,
                reason: "the bit stream runs past its words".into(),
            })?
        };
        Ok(FieldCounts {
            instance: words[NUM_INSTANCE_FIELDS],
            statics: words[NUM_STATIC_FIELDS],
            thread_statics: words[NUM_THREAD_STATIC_FIELDS],
        })
    }

    /// The FieldDescs a type introduces: `(instance − parent's instance) +
    /// statics` of them, contiguous from `EEClass.m_pFieldDescList`.
    pub fn field_descs(
        &self,
        info: &MethodTableInfo,
        parent_instance: u32,
    ) -> Result<(FieldCounts, Vec<RawFieldDesc>)> {
        let counts = self.field_counts(info.ee_class)?;
        let introduced = counts.instance.checked_sub(parent_instance).ok_or_else(|| ClrError::Invalid {
            what: "EEClass",
            address: info.ee_class,
            reason: format!("{} instance fields, fewer than the parent's {parent_instance}", counts.instance),
        })?;
        let total = introduced.checked_add(counts.statics).filter(|&t| t <= MAX_FIELDS).ok_or_else(|| {
            ClrError::Invalid {
                what: "EEClass",
                address: info.ee_class,
                reason: format!("{introduced} + {} fields is not a field count", counts.statics),
            }
        })?;
        if total == 0 {
            return Ok((counts, Vec::new()));
        }
        let list = self.maybe_relative(info.ee_class.wrapping_add(self.layout.ee_class.field_desc_list))?;
        let size = self.layout.field_desc_size;
        // The whole list must be in the dump before anything is allocated for it.
        let bytes = u64::from(total) * size;
        if self.mem.readable_len(list) < bytes {
            return Err(ClrError::Invalid {
                what: "FieldDesc list",
                address: list,
                reason: format!("{total} FieldDescs ({bytes:#x} bytes) are not all in the dump"),
            });
        }
        let descs = (0..u64::from(total))
            .map(|i| self.field_desc(list.wrapping_add(i * size)))
            .collect::<Result<Vec<_>>>()?;
        Ok((counts, descs))
    }

    /// Decodes the FieldDesc at `address`.
    pub fn field_desc(&self, address: u64) -> Result<RawFieldDesc> {
        let ptr = self.layout.ptr;
        let enclosing_mt = self.maybe_relative(address)?;
        let d1 = self.u32(address.wrapping_add(ptr))?;
        let d2 = self.u32(address.wrapping_add(ptr + 4))?;
        // Bits above isThreadLocal: F4 has isContextLocal at 26, shifting the rest up by one.
        let (rva_bit, full_mb_bit) = if self.layout.family == Family::Desktop4 { (27, 31) } else { (26, 30) };
        let mb = d1 & 0x00FF_FFFF;
        let rid = if d1 >> full_mb_bit & 1 != 0 { mb } else { mb & 0x1_FFFF };
        Ok(RawFieldDesc {
            address,
            enclosing_mt,
            token: 0x0400_0000 | rid,
            is_static: d1 >> 24 & 1 != 0,
            is_thread_static: d1 >> 25 & 1 != 0,
            is_rva: d1 >> rva_bit & 1 != 0,
            offset: d2 & 0x07FF_FFFF,
            element_type: (d2 >> 27) as u8,
        })
    }

    pub(crate) fn u32(&self, addr: u64) -> Result<u32> {
        self.mem.u32(addr).map_err(|source| ClrError::Read { what: format!("u32 at {addr:#x}"), source })
    }

    /// `EEClass.m_NormType`: the type's `CorElementType` (the underlying
    /// type for enums and primitives).
    pub fn norm_type(&self, ee_class: u64) -> Result<u8> {
        let at = ee_class.wrapping_add(self.layout.ee_class.norm_type);
        self.mem
            .u8(at)
            .map_err(|source| ClrError::Read { what: format!("EEClass.m_NormType at {at:#x}"), source })
    }
}

/// Decodes the packed-fields bit stream (LSB first within each u32).
fn unpack(words: &[u32]) -> Option<Vec<u32>> {
    let total_bits = words.len() * 32;
    let bit = |i: usize| -> Option<u32> { (i < total_bits).then(|| words[i / 32] >> (i % 32) & 1) };
    let read = |pos: usize, n: usize| -> Option<u32> {
        let mut v = 0u32;
        for k in 0..n {
            v |= bit(pos + k)? << k;
        }
        Some(v)
    };
    let mut out = Vec::with_capacity(PACKED_COUNT);
    let mut pos = 0;
    for _ in 0..PACKED_COUNT {
        let len = read(pos, 5)? as usize + 1;
        pos += 5;
        out.push(read(pos, len)?);
        pos += len;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::unpack;

    #[test]
    fn packed_stream_round_trip() {
        // Encode 11 values with minimal lengths, LSB first.
        let values = [3u32, 0, 1, 70000, 5, 0, 2, 0, 0, 9, 31];
        let mut bits = Vec::new();
        for v in values {
            let len = (32 - v.leading_zeros()).max(1) as usize;
            for k in 0..5 {
                bits.push((len as u32 - 1) >> k & 1);
            }
            for k in 0..len {
                bits.push(v >> k & 1);
            }
        }
        let mut words = vec![0u32; 13];
        for (i, b) in bits.iter().enumerate() {
            words[i / 32] |= b << (i % 32);
        }
        assert_eq!(unpack(&words), Some(values.to_vec()));
        assert_eq!(unpack(&[u32::MAX; 2]), None);
    }
}
