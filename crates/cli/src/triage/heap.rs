//! The heap by type, named, and its free space.

use crate::triage::evidence::ser_hex;
use clr_heap::Runtime;
use clr_heap::gc::stat::HeapStat;
use clr_heap::types::TypeSystem;
use serde::Serialize;

/// One type's objects on the heap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TypeRow {
    /// SOS-style name (`<unknown type: …>` when it cannot be read).
    pub name: String,
    /// The MethodTable.
    #[serde(serialize_with = "ser_hex")]
    pub mt: u64,
    /// Objects.
    pub count: u64,
    /// Bytes.
    pub bytes: u64,
    /// The first objects of the type in heap order (at most [`SAMPLES`]).
    #[serde(skip)]
    pub samples: Vec<u64>,
}

/// Objects remembered per type, to find a live one to root.
pub const SAMPLES: usize = 8;

/// The heap of one dump.
#[derive(Debug, Clone, Default, Serialize)]
pub struct HeapTypes {
    /// Every type (free space excluded), biggest first.
    pub types: Vec<TypeRow>,
    /// Objects (free space excluded).
    pub objects: u64,
    /// Bytes of objects (free space excluded).
    pub bytes: u64,
    /// Bytes of free space between objects.
    pub free_bytes: u64,
    /// Free blocks large enough for `dumpheap`'s fragmentation list.
    pub free_blocks: u64,
    /// The largest such block.
    pub largest_free_block: u64,
    /// Objects the walk could not read (reported, skipped).
    pub invalid: u64,
}

impl HeapTypes {
    /// Walks the heap once and names every type.
    pub fn collect(rt: &Runtime, types: &TypeSystem) -> clr_heap::Result<HeapTypes> {
        let mut cache = rt.mt_cache();
        let free_mt = cache.free_mt();
        let mut samples: std::collections::HashMap<u64, Vec<u64>> = std::collections::HashMap::new();
        let stat = HeapStat::collect(
            rt,
            &mut cache,
            |o| {
                let v = samples.entry(o.mt).or_default();
                if v.len() < SAMPLES {
                    v.push(o.address);
                }
                true
            },
            |_, _| {},
        )?;
        let mut out = HeapTypes { invalid: stat.invalid.len() as u64, ..Default::default() };
        for t in &stat.types {
            if Some(t.mt) == free_mt {
                out.free_bytes = out.free_bytes.saturating_add(t.total_size);
                continue;
            }
            out.objects = out.objects.saturating_add(t.count);
            out.bytes = out.bytes.saturating_add(t.total_size);
            let name = types.type_name(t.mt).unwrap_or_else(|e| format!("<unknown type: {e}>"));
            let samples = samples.remove(&t.mt).unwrap_or_default();
            out.types.push(TypeRow { name, mt: t.mt, count: t.count, bytes: t.total_size, samples });
        }
        out.free_blocks = stat.fragments.len() as u64;
        out.largest_free_block = stat.fragments.iter().map(|f| f.size).max().unwrap_or(0);
        out.types.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(b.count.cmp(&a.count)).then(a.name.cmp(&b.name)));
        Ok(out)
    }

    /// Free space as a share of the heap (objects + free), in percent.
    pub fn fragmentation_percent(&self) -> f64 {
        let all = self.bytes.saturating_add(self.free_bytes);
        if all == 0 { 0.0 } else { self.free_bytes as f64 * 100.0 / all as f64 }
    }

    /// The `n` types with most objects.
    pub fn top_by_count(&self, n: usize) -> Vec<TypeRow> {
        let mut v = self.types.clone();
        v.sort_by(|a, b| b.count.cmp(&a.count).then(b.bytes.cmp(&a.bytes)).then(a.name.cmp(&b.name)));
        v.truncate(n);
        v
    }

    /// Objects and bytes per type name (one name can have several MethodTables,
    /// e.g. a type loaded in two contexts; a diff compares by name).
    pub fn by_name(&self) -> std::collections::BTreeMap<&str, (u64, u64)> {
        let mut m = std::collections::BTreeMap::new();
        for t in &self.types {
            let e = m.entry(t.name.as_str()).or_insert((0u64, 0u64));
            e.0 = e.0.saturating_add(t.count);
            e.1 = e.1.saturating_add(t.bytes);
        }
        m
    }
}
