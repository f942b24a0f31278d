//! `clrscope finalizequeue DUMP` (alias `fq`): the finalization queue, like
//! SOS `!finalizequeue`: per heap the objects registered for finalization
//! per generation and those ready for finalization (f-reachable: dead, kept
//! alive by the queue until the finalizer thread runs them), then the
//! statistics of all of them.

use super::Ctx;
use super::names::Namer;
use crate::exit::{CliError, ExitCode};
use crate::output::{Table, hex_ptr, jhex};
use clr_heap::roots::finalize::read_queue;
use clr_heap::runtime::Diagnostics;
use clr_heap::types::TypeSystem;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Serialize)]
struct Entry {
    slot: String,
    object: String,
    #[serde(rename = "type")]
    type_name: String,
    ready: bool,
    generation: Option<u8>,
    heap: usize,
}

#[derive(Serialize)]
struct StatRow {
    mt: String,
    count: u64,
    name: String,
}

#[derive(Serialize)]
struct Body {
    /// Per heap: registered objects per generation (0, 1, 2, 3 = LOH) and ready ones.
    heaps: Vec<BTreeMap<String, u64>>,
    ready: Vec<Entry>,
    registered: Vec<Entry>,
    statistics: Vec<StatRow>,
    total: usize,
}

/// Runs the command.
pub fn run(ctx: &Ctx) -> Result<ExitCode, CliError> {
    let rt = ctx.runtime()?;
    let types = TypeSystem::new(&rt);
    let mut diag = Diagnostics::default();
    let queue = read_queue(&rt, &mut diag).map_err(CliError::NotFound)?;
    for c in diag.failures() {
        ctx.warn(format!("finalization queue check failed: {} ({})", c.name, c.detail));
    }
    let mut namer = Namer::new(&rt);
    let mut heaps: Vec<BTreeMap<String, u64>> = Vec::new();
    let mut per: BTreeMap<u64, u64> = BTreeMap::new();
    let (mut ready, mut registered) = (Vec::new(), Vec::new());
    for e in &queue {
        if heaps.len() <= e.heap {
            heaps.resize(e.heap + 1, BTreeMap::new());
        }
        let key = e.generation.map_or_else(|| "ready".to_string(), |g| format!("generation {g}"));
        *heaps[e.heap].entry(key).or_default() += 1;
        let mt = types.object_mt(e.object).ok();
        if let Some(mt) = mt {
            *per.entry(mt).or_default() += 1;
        }
        let row = Entry {
            slot: jhex(e.slot),
            object: jhex(e.object),
            type_name: mt.map_or_else(|| "<not an object>".into(), |mt| namer.name(mt)),
            ready: e.ready,
            generation: e.generation,
            heap: e.heap,
        };
        if e.ready { ready.push(row) } else { registered.push(row) }
    }
    let mut statistics: Vec<StatRow> =
        per.into_iter().map(|(mt, count)| StatRow { mt: jhex(mt), count, name: namer.name(mt) }).collect();
    statistics.sort_by_key(|r| r.count);
    let body = Body { heaps, total: queue.len(), ready, registered, statistics };
    ctx.finish("finalizequeue", &body, || render(ctx.ptr(), &body))
}

fn render(p: usize, b: &Body) -> String {
    let hex = |s: &str| hex_ptr(u64::from_str_radix(s.trim_start_matches("0x"), 16).unwrap_or(0), p);
    let mut s = String::new();
    for (i, h) in b.heaps.iter().enumerate() {
        s.push_str(&format!("Heap {i}\n"));
        for g in 0..4 {
            let n = h.get(&format!("generation {g}")).copied().unwrap_or(0);
            s.push_str(&format!("generation {g} has {n} finalizable objects\n"));
        }
        let n = h.get("ready").copied().unwrap_or(0);
        s.push_str(&format!("Ready for finalization {n} objects\n"));
    }
    if !b.ready.is_empty() {
        s.push_str("\nReady for finalization (f-reachable):\n");
        let mut t = Table::new(&[">Address", "Type"]);
        for e in &b.ready {
            t.row(vec![hex(&e.object), e.type_name.clone()]);
        }
        s.push_str(&t.render());
    }
    s.push_str("\nStatistics for all finalizable objects (including all objects ready for finalization):\n");
    let mut t = Table::new(&[">MT", ">Count", "Class Name"]);
    for r in &b.statistics {
        t.row(vec![hex(&r.mt), r.count.to_string(), r.name.clone()]);
    }
    s.push_str(&t.render());
    s.push_str(&format!("Total {} objects\n", b.total));
    s
}
