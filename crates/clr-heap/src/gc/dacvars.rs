//! `GcDacVars`: the table the GC fills for its debugger (reference §5.2).
//!
//! `g_gcDacGlobals` points to `{u8 major; u8 minor; [pad]; size_t
//! generation_size; [size_t total_generation_count (v2+)]; then one pointer per
//! variable}` — each entry is the *address* of the GC variable. The entry
//! names per version come from `gcinterface.dacvars.def`.

use crate::error::{ClrError, ReadContext, Result};
use dump_format::Memory;

/// Version-1 entries (CoreCLR 2.0–3.1), in order.
const V1: &[&str] = &[
    "build_variant",
    "built_with_svr",
    "gc_global_mechanisms",
    "generation_table",
    "max_gen",
    "mark_array",
    "current_c_gc_state",
    "ephemeral_heap_segment",
    "saved_sweep_ephemeral_seg",
    "saved_sweep_ephemeral_start",
    "background_saved_lowest_address",
    "background_saved_highest_address",
    "alloc_allocated",
    "next_sweep_obj",
    "oom_info",
    "finalize_queue",
    "internal_root_array",
    "internal_root_array_index",
    "heap_analyze_success",
    "n_heaps",
    "g_heaps",
    "gc_structures_invalid_cnt",
    "interesting_data_per_heap",
    "compact_reasons_per_heap",
    "expand_mechanisms_per_heap",
    "interesting_mechanism_bits_per_heap",
    "handle_table_map",
];

/// The decoded table.
#[derive(Debug, Clone)]
pub struct GcDacVars {
    /// Where the table is.
    pub address: u64,
    /// Major version.
    pub major: u8,
    /// Minor version.
    pub minor: u8,
    /// `sizeof(generation)`.
    pub generation_size: u64,
    /// Number of generations in the table (4 before .NET 5: gen0–2 and LOH).
    pub total_generation_count: u64,
    entries: Vec<(&'static str, u64)>,
}

impl GcDacVars {
    /// Reads the table at `address` (the value of `g_gcDacGlobals`).
    pub fn read(mem: &Memory, address: u64) -> Result<GcDacVars> {
        let p = mem.pointer_size() as u64;
        let what = || format!("GcDacVars at {address:#x}");
        let major = mem.u8(address).what(what)?;
        let minor = mem.u8(address + 1).what(what)?;
        if major != 1 {
            return Err(ClrError::Unsupported(format!(
                "GcDacVars version {major}.{minor} at {address:#x} (only version 1, CoreCLR 2.x/3.x, is read so far)"
            )));
        }
        let generation_size = mem.ptr(address + p).what(what)?;
        if !(0x40..=0x400).contains(&generation_size) || generation_size % p != 0 {
            return Err(ClrError::Invalid {
                what: "GcDacVars",
                address,
                reason: format!("generation_size {generation_size:#x} is not a plausible sizeof(generation)"),
            });
        }
        let mut entries = Vec::with_capacity(V1.len());
        for (i, name) in V1.iter().enumerate() {
            let v = mem.ptr(address + 2 * p + i as u64 * p).what(what)?;
            entries.push((*name, v));
        }
        Ok(GcDacVars { address, major, minor, generation_size, total_generation_count: 4, entries })
    }

    /// Address of the GC variable `name` (0 when the GC left it out, e.g.
    /// per-heap variables of a server GC).
    pub fn var(&self, name: &str) -> Option<u64> {
        self.entries.iter().find(|e| e.0 == name).map(|e| e.1).filter(|&v| v != 0)
    }

    /// All entries, for diagnostics.
    pub fn entries(&self) -> &[(&'static str, u64)] {
        &self.entries
    }
}
