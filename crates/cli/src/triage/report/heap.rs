//! Heap findings: the biggest types with what roots them and the request
//! holding them, and the free space.

use super::{Finding, Severity, count, request_on, size};
use crate::triage::evidence::{Evidence, hex};
use crate::triage::snapshot::Snapshot;

/// Types listed by size.
const TOP_TYPES: usize = 3;

pub(super) fn heap(s: &Snapshot, f: &mut Vec<Finding>) {
    let Ok(h) = &s.heap else { return };
    for t in h.types.iter().take(TOP_TYPES) {
        let share = if h.bytes == 0 { 0.0 } else { t.bytes as f64 * 100.0 / h.bytes as f64 };
        let mut details = Vec::new();
        let mut evidence = vec![
            Evidence::new("dumpheap", &["--stat"]),
            Evidence::new("dumpheap", &["--type", &t.name, "--short"]),
        ];
        if let Some(hd) = s.holders.iter().find(|x| x.type_name == t.name) {
            details.push(format!(
                "{} roots reach {} (a live {}); the shortest from each:",
                hd.root_count,
                hex(hd.sample),
                t.name
            ));
            for r in &hd.roots {
                let who = r.managed_id.and_then(|m| s.threads.iter().find(|t| t.managed_id == Some(m)));
                let inm = who.and_then(|w| w.top_app_frame()).map_or(String::new(), |a| format!(" in {a}"));
                let name = who.and_then(|w| w.name.as_ref()).map_or(String::new(), |n| format!(" \"{n}\""));
                if let Some(req) = request_on(s, r.managed_id) {
                    details.push(format!(
                        "held by request {} (thread {})",
                        req.label(),
                        r.managed_id.map_or("?".into(), |m| m.to_string())
                    ));
                    evidence.push(Evidence::new("requests", &["--holding", &t.name]));
                }
                details.push(format!(
                    "rooted by {}{name}{inm}{}: {}",
                    r.description,
                    if r.conservative { " (conservative)" } else { "" },
                    r.chain.join(" → ")
                ));
            }
            evidence.push(Evidence::new("gcroot", &[&hex(hd.sample)]));
        }
        f.push(Finding {
            severity: if share >= 25.0 { Severity::Warning } else { Severity::Info },
            topic: "heap",
            title: format!(
                "{}: {} objects, {} ({share:.0}% of the heap)",
                t.name,
                count(t.count),
                size(t.bytes)
            ),
            details,
            evidence,
        });
    }
    let frag = h.fragmentation_percent();
    f.push(Finding {
        severity: if frag >= 25.0 && h.free_bytes >= 16 << 20 { Severity::Warning } else { Severity::Info },
        topic: "fragmentation",
        title: if h.free_blocks == 0 {
            format!("Free space: {} ({frag:.1}% of the heap), no block large enough for dumpheap's fragmentation list", size(h.free_bytes))
        } else {
            format!(
                "Free space: {} ({frag:.1}% of the heap); {} blocks in dumpheap's fragmentation list, the largest {}",
                size(h.free_bytes),
                count(h.free_blocks),
                size(h.largest_free_block)
            )
        },
        details: vec![format!("{} objects, {} in all", count(h.objects), size(h.bytes))],
        evidence: vec![Evidence::new("dumpheap", &["--stat"]), Evidence::new("eeheap", &[])],
    });
}
