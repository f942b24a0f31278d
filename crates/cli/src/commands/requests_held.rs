//! The leak → request part of `requests`: what each in-flight request's
//! thread keeps reachable from its stack (`--holding TYPE`, `--top N`).

use crate::output::{Table, hex_ptr, human_size};
use aspnet::Request;
use aspnet::holding::{Holding, Marker};
use aspnet::scan::HeapScan;
use clr_heap::types::TypeSystem;
use clr_stack::stack::StackWalker;
use clr_stack::stack_roots::{PreciseStats, precise_thread_roots};
use clr_stack::{CodeMap, Methods, Threads};

/// Reachability from each in-flight request's thread (None: not in flight or no thread).
pub(super) fn held_by(
    types: &TypeSystem,
    scan: &HeapScan,
    rows: &[&Request],
) -> Vec<Option<Result<Holding, String>>> {
    let Some(index) = scan.index.as_ref() else { return rows.iter().map(|_| None).collect() };
    let mut marker = Marker::new(types.runtime(), index);
    // The thread's roots by gcroot's rule: precise where GC info decodes.
    let dump = types.runtime().dump;
    let threads = Threads::read(types).ok();
    let methods = Methods::new(types);
    let code = CodeMap::new(&methods);
    let mut walker = StackWalker::new(&code);
    rows.iter()
        .map(|r| {
            if r.finished() {
                return None;
            }
            let Some(os) = r.thread.as_ref().and_then(|t| t.os_id) else {
                return Some(Err("no live OS thread runs it".into()));
            };
            let managed = threads.as_ref().and_then(|ts| ts.threads.iter().find(|t| t.os_id == Some(os)));
            let record = dump.threads().iter().find(|t| t.id == os);
            let (Some(t), Some(d)) = (managed, record) else {
                return Some(marker.reach(os, r.thread.as_ref().and_then(|t| t.managed_id)));
            };
            let (mut roots, mut stats) = (Vec::new(), PreciseStats::default());
            let scanned = precise_thread_roots(&code, &mut walker, d, t, os, index, &mut roots, &mut stats);
            Some(marker.reach_from(os, &roots, scanned))
        })
        .collect()
}

/// Per in-flight request: the `n` types holding the most bytes from its stack.
pub(super) fn top_text(
    rows: &[&Request],
    held: &[Option<Result<Holding, String>>],
    n: usize,
    p: usize,
    name: &dyn Fn(u64) -> String,
) -> String {
    let mut out = String::new();
    for (r, h) in rows.iter().zip(held) {
        let Some(Ok(h)) = h else { continue };
        out += &format!(
            "\nReachable from the stack of {} ({} {}): {} objects, {}\n",
            hex_ptr(r.context, p),
            r.verb.as_deref().unwrap_or("NA"),
            r.url().unwrap_or_default(),
            h.reached,
            human_size(h.reached_bytes)
        );
        let mut t = Table::new(&[">Count", ">TotalSize", "Class Name"]);
        for (mt, c, b) in h.top(n) {
            t.row(vec![c.to_string(), b.to_string(), name(mt)]);
        }
        out += &t.render();
    }
    out
}

/// The request holding the most of `ty`, named with its URL and thread.
pub(super) fn summary(
    ty: &str,
    rows: &[&Request],
    held: &[Option<Result<Holding, String>>],
    mts: &[u64],
    p: usize,
) -> String {
    let mut out = String::new();
    for (r, h) in rows.iter().zip(held) {
        if let Some(Err(e)) = h {
            out += &format!("{}: not scanned: {e}\n", hex_ptr(r.context, p));
        }
    }
    let best = rows
        .iter()
        .zip(held)
        .filter_map(|(r, h)| Some((r, h.as_ref()?.as_ref().ok()?.of(mts))))
        .max_by_key(|(_, (c, b))| (*b, *c));
    match best {
        Some((r, (c, b))) if c > 0 => {
            let th = r.thread.as_ref();
            out += &format!(
                "Most {ty}: {} {} (HttpContext {}, thread {} / OS {}) holds {c} objects, {b} bytes ({}) reachable from its stack.\n",
                r.verb.as_deref().unwrap_or("NA"),
                r.url().unwrap_or_default(),
                hex_ptr(r.context, p),
                th.and_then(|t| t.managed_id).map_or("?".into(), |v| v.to_string()),
                th.and_then(|t| t.os_id).map_or("?".into(), |v| format!("{v:#x}")),
                human_size(b)
            );
        }
        _ => out += &format!("No in-flight request's stack reaches a {ty}.\n"),
    }
    out += "Roots: gcroot's rule — each managed frame's live slots from its GC info (x64), every other stack word and register that is exactly an object's start (conservative: a dead slot counts too).\n";
    out
}
