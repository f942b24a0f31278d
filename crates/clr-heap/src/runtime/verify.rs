//! Cross-checks between routes: the heuristics run on every dump as a check
//! on what the runtime's tables said (and each disagreement is recorded).

use super::Runtime;
use crate::gc::HeapItem;
use crate::gc::scan::scan_segments;
use crate::types::method_table::MethodTableInfo;

/// How many objects the shape checks look at: enough to meet the free,
/// string and object types in any heap, cheap enough for every open.
const SAMPLE_OBJECTS: usize = 200_000;

impl Runtime<'_> {
    /// Runs the cheap heuristic checks on every open: each segment the GC
    /// lists has a segment header's signature, and the well-known
    /// MethodTables found by shape are the ones the globals name.
    pub(crate) fn cross_check(&mut self) {
        self.shape_checks();
    }

    /// The full signature scan of every captured page (it touches the whole
    /// dump, so it runs on request: `runtime --diagnostics`), compared with
    /// the GC's segment lists.
    pub fn deep_check(&mut self) {
        let mem = self.dump.memory();
        let mut cache = self.mt_cache();
        let Ok(heap) = self.heap.as_ref() else { return };
        let scanned = scan_segments(&mem, &self.layout, &mut cache);
        let listed: Vec<u64> = heap.segments.iter().map(|s| s.address).collect();
        let missing: Vec<String> = listed
            .iter()
            .filter(|a| !scanned.iter().any(|s| s.address == **a))
            .map(|a| format!("{a:#x}"))
            .collect();
        let extra: Vec<String> = scanned
            .iter()
            .filter(|s| s.allocated > s.start && !listed.contains(&s.address))
            .map(|s| format!("{:#x}", s.address))
            .collect();
        self.diagnostics.check(
            "segment signature scan finds the GC's segments",
            missing.is_empty(),
            if missing.is_empty() {
                format!("{} of {} segments found by their headers", listed.len(), listed.len())
            } else {
                format!("not found by scan: {}", missing.join(", "))
            },
        );
        if !extra.is_empty() {
            // Not a failure: freed or decommitted segments keep their headers.
            self.diagnostics.found(
                format!("{} segment-like headers not in the GC's lists", extra.len()),
                extra.join(", "),
            );
        }
    }

    fn shape_checks(&mut self) {
        let mem = self.dump.memory();
        if let Ok(heap) = self.heap.as_ref() {
            let mut cache = self.mt_cache();
            let bad: Vec<String> = heap
                .segments
                .iter()
                .filter(|s| !crate::gc::scan::has_signature(&mem, &self.layout, &mut cache, s.address))
                .map(|s| format!("{:#x}", s.address))
                .collect();
            self.diagnostics.check(
                "every listed segment has a segment header's signature",
                bad.is_empty(),
                if bad.is_empty() {
                    format!("{} segments", heap.segments.len())
                } else {
                    format!("not: {}", bad.join(", "))
                },
            );
        }
        let mut seen: Vec<MethodTableInfo> = Vec::new();
        let mut cache2 = self.mt_cache();
        let layout = self.layout;
        if let Ok(walk) = self.walk(&mut cache2) {
            let mut mts = std::collections::HashSet::new();
            for item in walk.take(SAMPLE_OBJECTS) {
                if let HeapItem::Object(o) = item {
                    mts.insert(o.mt);
                }
            }
            seen = mts.into_iter().filter_map(|mt| MethodTableInfo::read(&mem, &layout, mt)).collect();
        }
        let by_shape = |f: &dyn Fn(&MethodTableInfo) -> bool| -> Vec<u64> {
            seen.iter().filter(|i| f(i)).map(|i| i.address).collect()
        };
        let free = by_shape(&|i| i.looks_free(&layout));
        let string = by_shape(&|i| i.is_string_like() && i.ee_class != 0);
        for (what, global, found) in
            [("free", "g_pFreeObjectMethodTable", free), ("String", "g_pStringClass", string)]
        {
            let Some(var) = self.globals.address(global) else { continue };
            let Ok(table) = mem.ptr(var) else { continue };
            if found.is_empty() {
                continue; // no such object in the sample: nothing to compare
            }
            self.diagnostics.check(
                format!("{what} MethodTable by shape equals {global}"),
                found == [table],
                format!(
                    "shape: {}; {global}: {table:#x}",
                    found.iter().map(|a| format!("{a:#x}")).collect::<Vec<_>>().join(", ")
                ),
            );
        }
    }
}
