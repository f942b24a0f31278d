//! MethodTable: the runtime's per-type structure every object points to
//! (reference §2). Reading one is cheap; *trusting* one takes the EEClass
//! round trip: the MethodTable's EEClass must point back to it (or to its
//! canonical MethodTable, which points to the same EEClass).

use crate::runtime::layout::Layout;
use dump_format::Memory;

bitflags::bitflags! {
    /// The high bits of `m_dwFlags` (reference §2.4).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct MtFlags: u32 {
        /// `enum_flag_HasFinalizer`.
        const HAS_FINALIZER = 0x0010_0000;
        /// `enum_flag_ContainsPointers`: a GC descriptor precedes the MethodTable.
        const CONTAINS_POINTERS = 0x0100_0000;
        /// `enum_flag_Collectible`.
        const COLLECTIBLE = 0x1000_0000;
        /// `enum_flag_HasComponentSize`: arrays, strings and the free type.
        const HAS_COMPONENT_SIZE = 0x8000_0000;
    }
}

/// Category bits of `m_dwFlags` (mask 0x000F0000).
const CATEGORY_MASK: u32 = 0x000F_0000;
const ARRAY_MASK: u32 = 0x000C_0000;
const ARRAY: u32 = 0x0008_0000;
const SZ_ARRAY_BIT: u32 = 0x0002_0000;
const VALUE_TYPE: u32 = 0x0004_0000;
const INTERFACE: u32 = 0x000C_0000;

/// What a MethodTable says, read once and cached by address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MethodTableInfo {
    /// Its address.
    pub address: u64,
    /// Raw `m_dwFlags`.
    pub raw_flags: u32,
    /// `m_BaseSize`: the size of an instance with no components, header included.
    pub base_size: u32,
    /// `m_wFlags2`.
    pub flags2: u16,
    /// `m_wToken`: the TypeDef RID.
    pub token_rid: u16,
    /// Parent MethodTable (0 for System.Object, interfaces and the free type).
    pub parent: u64,
    /// The EEClass (resolved through the canonical MethodTable when needed).
    pub ee_class: u64,
    /// The canonical MethodTable (itself unless this is a generic instantiation or array).
    pub canonical: u64,
    /// Raw `m_pLoaderModule` slot value, decoded.
    pub loader_module: u64,
    /// The PerInstInfo / ElementTypeHandle slot.
    pub per_inst_info: u64,
}

impl MethodTableInfo {
    /// Reads the header at `mt`; `None` when it is not readable.
    pub fn read(mem: &Memory, layout: &Layout, mt: u64) -> Option<MethodTableInfo> {
        let m = &layout.mt;
        let hdr = mem.read(mt, m.size).ok()?;
        let u32_at = |o: u64| {
            hdr.get(o as usize..o as usize + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        };
        let u16_at = |o: u64| hdr.get(o as usize..o as usize + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
        let ptr_at = |o: u64| -> Option<u64> {
            let b = hdr.get(o as usize..(o + layout.ptr) as usize)?;
            let mut w = [0u8; 8];
            w[..b.len()].copy_from_slice(b);
            Some(u64::from_le_bytes(w))
        };
        let union = ptr_at(m.ee_class)?;
        let (ee_class, canonical) = resolve_ee_class(mem, layout, mt, union)?;
        let raw_module = ptr_at(m.loader_module)?;
        let loader_module =
            if layout.relative { relative(mt + m.loader_module, raw_module, layout.ptr) } else { raw_module };
        Some(MethodTableInfo {
            address: mt,
            raw_flags: u32_at(m.flags)?,
            base_size: u32_at(m.base_size)?,
            flags2: u16_at(m.flags2)?,
            token_rid: u16_at(m.token)?,
            parent: ptr_at(m.parent)?,
            ee_class,
            canonical,
            loader_module,
            per_inst_info: ptr_at(m.per_inst_info)?,
        })
    }

    /// The high flags.
    pub fn flags(&self) -> MtFlags {
        MtFlags::from_bits_truncate(self.raw_flags)
    }

    /// Size of one array element / string character (0 when no components).
    pub fn component_size(&self) -> u32 {
        if self.flags().contains(MtFlags::HAS_COMPONENT_SIZE) { self.raw_flags & 0xFFFF } else { 0 }
    }

    /// An array type (SZ or multi-dimensional).
    pub fn is_array(&self) -> bool {
        self.raw_flags & ARRAY_MASK == ARRAY
    }

    /// A single-dimensional, zero-based array (`T[]`).
    pub fn is_sz_array(&self) -> bool {
        self.is_array() && self.raw_flags & SZ_ARRAY_BIT != 0
    }

    /// `System.String` by shape: components of two bytes, not an array.
    pub fn is_string_like(&self) -> bool {
        self.flags().contains(MtFlags::HAS_COMPONENT_SIZE) && !self.is_array() && self.component_size() == 2
    }

    /// A value type (struct, enum, primitive).
    pub fn is_value_type(&self) -> bool {
        self.raw_flags & ARRAY_MASK == VALUE_TYPE
    }

    /// An interface.
    pub fn is_interface(&self) -> bool {
        self.raw_flags & CATEGORY_MASK & ARRAY_MASK == INTERFACE
    }

    /// The shape of the free-space type (reference §1.6): components of one
    /// byte, array base size, no EEClass, no parent.
    pub fn looks_free(&self, layout: &Layout) -> bool {
        self.component_size() == 1
            && u64::from(self.base_size) == 2 * layout.ptr + layout.object_header
            && self.ee_class == 0
            && self.parent == 0
    }

    /// Plausible as the type of a heap object: sizes in range and aligned.
    pub fn plausible(&self, layout: &Layout) -> bool {
        let b = u64::from(self.base_size);
        let aligned = b % layout.ptr == 0 || self.is_string_like();
        b >= 2 * layout.ptr + 4 && b < (1 << 27) && aligned
    }
}

/// Decodes the EEClass / canonical-MT union (reference §2.2): tag 0 is the
/// EEClass; tags 1 and 2 point to the canonical MethodTable (whose union must
/// then be an EEClass); tag 3 points to a cell holding the canonical MT.
/// Returns `(ee_class, canonical_mt)`; `(0, mt)` for a NULL union (the free type).
fn resolve_ee_class(mem: &Memory, layout: &Layout, mt: u64, union: u64) -> Option<(u64, u64)> {
    if union == 0 {
        return Some((0, mt));
    }
    let tag = union & 3;
    let p = union & !3;
    let canon = match tag {
        0 => return Some((p, mt)),
        3 => mem.ptr(p).ok()?,
        _ => p,
    };
    let cu = mem.ptr(canon + layout.mt.ee_class).ok()?;
    (cu & 3 == 0 && cu != 0).then_some((cu, canon))
}

/// A self-relative pointer: the target is the field's own address plus the
/// stored value; a stored 0 means NULL (reference §2.1).
pub fn relative(field_address: u64, stored: u64, ptr: u64) -> u64 {
    if stored == 0 {
        return 0;
    }
    let stored = if ptr == 4 { stored as u32 as i32 as i64 as u64 } else { stored };
    let v = field_address.wrapping_add(stored);
    if ptr == 4 { v & 0xFFFF_FFFF } else { v }
}

/// The EEClass round trip (reference §2.2, §12.4): the EEClass's
/// `m_pMethodTable` is this MethodTable or its canonical one — or a
/// MethodTable sharing the same EEClass (arrays of reference types share one).
pub fn round_trip(mem: &Memory, layout: &Layout, info: &MethodTableInfo) -> bool {
    if info.ee_class == 0 {
        return false;
    }
    let field = info.ee_class + layout.ee_class.method_table;
    let Ok(stored) = mem.ptr(field) else { return false };
    let back = if layout.relative { relative(field, stored, layout.ptr) } else { stored };
    if back == info.address || back == info.canonical {
        return true;
    }
    MethodTableInfo::read(mem, layout, back).is_some_and(|other| other.ee_class == info.ee_class)
}
