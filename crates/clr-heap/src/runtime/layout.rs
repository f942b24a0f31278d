//! Data-structure layouts per runtime family, as data.
//!
//! Every offset here is a *candidate* taken from the reference
//! (`shared/reference/clr-internals.md`, section given with each group); none
//! is trusted until the invariants in [`crate::gc`] and [`crate::types`] hold
//! on the dump at hand, and `runtime --diagnostics` prints each one with its
//! source and the checks that used it.

use super::discover::{Flavor, RuntimeModule};

/// The layout families (reference §0.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// .NET Framework 4.5–4.8 (`clr.dll`).
    Desktop4,
    /// CoreCLR 2.x and 3.x (self-relative pointers in MethodTable/EEClass/FieldDesc).
    Core2to3,
    /// .NET 5 and 6 (as Core2to3, plus the pinned object heap).
    Core5to6,
    /// .NET 7 and 8: plain pointers everywhere (dotnet/runtime#57707), the
    /// canonical-MT tag is bit 0, and 64-bit GCs use regions by default.
    Core7to8,
    /// .NET 9 and later: the runtime describes its own layouts in the
    /// `DotNetRuntimeContractDescriptor` (reference §5.7 (b)).
    Core9Plus,
}

impl Family {
    /// Stable name.
    pub fn name(self) -> &'static str {
        match self {
            Family::Desktop4 => "F4 (.NET Framework 4.5-4.8)",
            Family::Core2to3 => "C31 (CoreCLR 2.x/3.x)",
            Family::Core5to6 => "C5/6 (.NET 5/6)",
            Family::Core7to8 => "C7/8 (.NET 7/8)",
            Family::Core9Plus => "C9+ (.NET 9 and later)",
        }
    }

    /// The family of a runtime module, from its file version.
    pub fn of(rt: &RuntimeModule) -> Option<Family> {
        let Some(v) = rt.file_version else {
            // Without the binary's own version, the install folder's product version.
            let major = rt.product_version.as_deref()?.split('.').next()?.parse::<u32>().ok()?;
            return match (rt.flavor, major) {
                (Flavor::Core, 2 | 3) => Some(Family::Core2to3),
                (Flavor::Core, 5 | 6) => Some(Family::Core5to6),
                (Flavor::Core, 7 | 8) => Some(Family::Core7to8),
                (Flavor::Core, 9..) => Some(Family::Core9Plus),
                _ => None,
            };
        };
        let [a, b, _, _] = v.0;
        match rt.flavor {
            Flavor::Desktop if a == 4 => Some(Family::Desktop4),
            Flavor::Core if a == 4 && b >= 6 => Some(Family::Core2to3),
            Flavor::Core if a == 5 || a == 6 => Some(Family::Core5to6),
            Flavor::Core if a == 7 || a == 8 => Some(Family::Core7to8),
            Flavor::Core if a >= 9 => Some(Family::Core9Plus),
            _ => None,
        }
    }

    /// Whether MethodTable/EEClass/FieldDesc are *expected* to use
    /// self-relative pointers (reference §2.1). Only a candidate: builds
    /// without NGEN support use plain pointers, so [`Layout::relative`] is
    /// calibrated on the dump.
    pub fn relative_pointers_expected(self) -> bool {
        matches!(self, Family::Core2to3 | Family::Core5to6)
    }
}

/// MethodTable header offsets (reference §2.1).
#[derive(Debug, Clone, Copy)]
pub struct MethodTableLayout {
    /// `m_dwFlags` (u32).
    pub flags: u64,
    /// `m_BaseSize` (u32).
    pub base_size: u64,
    /// `m_wFlags2` (u16).
    pub flags2: u64,
    /// `m_wToken` (u16).
    pub token: u64,
    /// `m_wNumVirtuals` (u16).
    pub num_virtuals: u64,
    /// `m_wNumInterfaces` (u16).
    pub num_interfaces: u64,
    /// `m_pParentMethodTable`.
    pub parent: u64,
    /// `m_pLoaderModule` (relative in C31/C5-6).
    pub loader_module: u64,
    /// union `m_pEEClass` / `m_pCanonMT` (low-bit tagged).
    pub ee_class: u64,
    /// union `m_pPerInstInfo` / `m_ElementTypeHnd` / multipurpose slot 1.
    pub per_inst_info: u64,
    /// union `m_pInterfaceMap` / multipurpose slot 2.
    pub interface_map: u64,
    /// `sizeof(MethodTable)`.
    pub size: u64,
}

/// EEClass offsets (reference §3.1).
#[derive(Debug, Clone, Copy)]
pub struct EeClassLayout {
    /// `m_pMethodTable` back pointer (relative in C31).
    pub method_table: u64,
    /// `m_pFieldDescList` (relative in F4 and C31).
    pub field_desc_list: u64,
    /// `m_dwAttrClass` (TypeDef flags).
    pub attr_class: u64,
    /// `m_NormType` (u8 CorElementType).
    pub norm_type: u64,
    /// `m_fFieldsArePacked` (u8).
    pub fields_are_packed: u64,
    /// `m_cbFixedEEClassFields` (u8).
    pub fixed_fields_size: u64,
}

/// GC structure offsets (reference §5.2–5.4).
#[derive(Debug, Clone, Copy)]
pub struct GcLayout {
    /// `heap_segment` fields, in pointer units: allocated, committed, reserved, used, mem, flags, next.
    pub seg_allocated: u64,
    /// `committed`.
    pub seg_committed: u64,
    /// `reserved`.
    pub seg_reserved: u64,
    /// `used`.
    pub seg_used: u64,
    /// `mem` (first object).
    pub seg_mem: u64,
    /// `flags`.
    pub seg_flags: u64,
    /// `next`.
    pub seg_next: u64,
    /// `generation.allocation_context.alloc_ptr`.
    pub gen_alloc_ptr: u64,
    /// `generation.allocation_context.alloc_limit`.
    pub gen_alloc_limit: u64,
    /// `generation.start_segment`.
    pub gen_start_segment: u64,
    /// `generation.allocation_start`.
    pub gen_allocation_start: u64,
}

/// Every layout the model uses, for one runtime family and pointer size.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    /// The family.
    pub family: Family,
    /// Pointer size in bytes.
    pub ptr: u64,
    /// True for Windows builds (COM interop fields present).
    pub windows: bool,
    /// MethodTable.
    pub mt: MethodTableLayout,
    /// EEClass.
    pub ee_class: EeClassLayout,
    /// GC.
    pub gc: GcLayout,
    /// `sizeof(FieldDesc)`.
    pub field_desc_size: u64,
    /// Object header size (sync block word + padding).
    pub object_header: u64,
    /// Minimum object size.
    pub min_object: u64,
    /// Whether the pointer fields that may be self-relative are (calibrated).
    pub relative: bool,
}

impl Layout {
    /// The candidate layout for `family` on a target with `ptr`-byte pointers.
    pub fn new(family: Family, ptr: u64, windows: bool) -> Layout {
        let p = ptr;
        let x64 = p == 8;
        let mt = MethodTableLayout {
            flags: 0,
            base_size: 4,
            flags2: 8,
            token: 0xA,
            num_virtuals: 0xC,
            num_interfaces: 0xE,
            parent: 0x10,
            loader_module: 0x10 + p,
            ee_class: 0x10 + 3 * p,
            per_inst_info: 0x10 + 4 * p,
            interface_map: 0x10 + 5 * p,
            size: 0x10 + 6 * p,
        };
        // EEClass: m_pGuidInfo, m_rpOptionalFields, m_pMethodTable, m_pFieldDescList,
        // m_pChunks, a union (pointer-sized with COM interop on Windows, else u32),
        // m_pccwTemplate (Windows only), then the DWORD/byte fields.
        let after_chunks = 5 * p;
        let attr = if windows { after_chunks + 2 * p } else { after_chunks + 4 };
        let ee_class = EeClassLayout {
            method_table: 2 * p,
            field_desc_list: 3 * p,
            attr_class: attr,
            norm_type: attr + 8,
            fields_are_packed: attr + 9,
            fixed_fields_size: attr + 10,
        };
        // generation: alloc_context {alloc_ptr, alloc_limit, i64 alloc_bytes,
        // i64 alloc_bytes_loh, gc_reserved_1, gc_reserved_2, i32 alloc_count},
        // then start_segment and allocation_start.
        let ctx_size = if x64 { 0x38 } else { 0x28 };
        let gc = GcLayout {
            seg_allocated: 0,
            seg_committed: p,
            seg_reserved: 2 * p,
            seg_used: 3 * p,
            seg_mem: 4 * p,
            seg_flags: 5 * p,
            seg_next: 6 * p,
            gen_alloc_ptr: 0,
            gen_alloc_limit: p,
            gen_start_segment: ctx_size,
            gen_allocation_start: ctx_size + p,
        };
        Layout {
            family,
            ptr,
            windows,
            mt,
            ee_class,
            gc,
            field_desc_size: if x64 { 16 } else { 12 },
            object_header: p,
            min_object: 3 * p,
            relative: family.relative_pointers_expected(),
        }
    }

    /// Mask for the low bits of an object's MethodTable pointer that the GC
    /// may use as mark bits (reference §1.2).
    pub fn mt_mask(&self) -> u64 {
        !(self.ptr - 1)
    }

    /// Every offset with its source, for `runtime --diagnostics`.
    pub fn describe(&self) -> Vec<(&'static str, u64, &'static str)> {
        let m = &self.mt;
        let e = &self.ee_class;
        let g = &self.gc;
        vec![
            ("MethodTable.m_BaseSize", m.base_size, "reference §2.1 [V-asm]"),
            ("MethodTable.m_wToken", m.token, "reference §2.1 [D]"),
            ("MethodTable.m_pParentMethodTable", m.parent, "reference §2.1 [V-asm]"),
            ("MethodTable.m_pLoaderModule", m.loader_module, "reference §2.1 [D]"),
            ("MethodTable.m_pEEClass", m.ee_class, "reference §2.1 [V-asm] x64"),
            ("MethodTable.m_pPerInstInfo", m.per_inst_info, "reference §2.1 [D]"),
            ("sizeof(MethodTable)", m.size, "reference §2.1 [D]"),
            ("EEClass.m_pMethodTable", e.method_table, "reference §3.1 [D]"),
            ("EEClass.m_pFieldDescList", e.field_desc_list, "reference §3.1 [D]"),
            ("EEClass.m_dwAttrClass", e.attr_class, "reference §3.1 [D]"),
            ("EEClass.m_NormType", e.norm_type, "reference §3.1 [D]"),
            ("EEClass.m_cbFixedEEClassFields", e.fixed_fields_size, "reference §3.1 [D]"),
            ("sizeof(FieldDesc)", self.field_desc_size, "reference §3.2 [V]"),
            ("heap_segment.mem", g.seg_mem, "reference §5.3 [V]"),
            ("heap_segment.next", g.seg_next, "reference §5.3 [V]"),
            ("generation.start_segment", g.gen_start_segment, "reference §5.4 [D]"),
            ("generation.allocation_start", g.gen_allocation_start, "reference §5.4 [D]"),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::discover::{RuntimeModule, Version};
    use dump_format::ModuleRecord;

    fn module(flavor: Flavor, file: Option<[u16; 4]>, product: Option<&str>) -> RuntimeModule {
        RuntimeModule {
            flavor,
            module: ModuleRecord {
                path: "coreclr.dll".into(),
                base: 0,
                size: 0,
                timestamp: None,
                checksum: None,
                file_version: None,
                product_version: None,
                debug_id: None,
            },
            file_version: file.map(Version),
            commit: None,
            version_source: "test",
            product_version: product.map(str::to_string),
        }
    }

    #[test]
    fn families_follow_the_runtime_version() {
        let f = |fl, v, p| Family::of(&module(fl, v, p));
        assert_eq!(f(Flavor::Core, Some([4, 700, 22, 11601]), None), Some(Family::Core2to3));
        assert_eq!(f(Flavor::Core, Some([4, 6, 30411, 1]), None), Some(Family::Core2to3));
        assert_eq!(f(Flavor::Core, Some([6, 0, 21, 0]), None), Some(Family::Core5to6));
        assert_eq!(f(Flavor::Core, Some([8, 0, 24, 0]), None), Some(Family::Core7to8));
        assert_eq!(f(Flavor::Core, Some([9, 0, 1, 0]), None), Some(Family::Core9Plus));
        assert_eq!(f(Flavor::Desktop, Some([4, 8, 4515, 0]), None), Some(Family::Desktop4));
        assert_eq!(f(Flavor::Core, None, Some("2.0.0-preview3-25510-01")), Some(Family::Core2to3));
        assert_eq!(f(Flavor::Core, None, None), None);
    }
}
