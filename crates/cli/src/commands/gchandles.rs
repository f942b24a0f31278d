//! `clrscope gchandles DUMP [--stat]`: the GC handle table, like SOS
//! `!gchandles`: every handle in use with its type and target, then the
//! targets per type and the handles per kind.

use super::Ctx;
use super::names::Namer;
use crate::exit::{CliError, ExitCode};
use crate::output::{Table, hex_ptr, jhex};
use clr_heap::gc::walk::object_size;
use clr_heap::roots::handles::read_handles;
use clr_heap::runtime::Diagnostics;
use clr_heap::types::TypeSystem;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Serialize)]
struct HandleRow {
    handle: String,
    kind: &'static str,
    strong: bool,
    object: String,
    size: Option<u64>,
    #[serde(rename = "type")]
    type_name: String,
    secondary: Option<String>,
}

#[derive(Serialize)]
struct StatRow {
    mt: String,
    count: u64,
    total_size: u64,
    name: String,
}

#[derive(Serialize)]
struct Body {
    handles: Option<Vec<HandleRow>>,
    statistics: Vec<StatRow>,
    kinds: BTreeMap<&'static str, u64>,
    total: usize,
}

/// Runs the command.
pub fn run(ctx: &Ctx, stat: bool) -> Result<ExitCode, CliError> {
    let rt = ctx.runtime()?;
    let types = TypeSystem::new(&rt);
    let mut diag = Diagnostics::default();
    let handles = read_handles(&rt, &mut diag).map_err(CliError::NotFound)?;
    for c in diag.failures() {
        ctx.warn(format!("handle table check failed: {} ({})", c.name, c.detail));
    }
    let mem = rt.dump.memory();
    let mut namer = Namer::new(&rt);
    let mut rows = Vec::new();
    let mut per: BTreeMap<u64, (u64, u64)> = BTreeMap::new();
    let mut kinds: BTreeMap<&'static str, u64> = BTreeMap::new();
    for h in &handles {
        *kinds.entry(h.kind.name()).or_default() += 1;
        let mt = types.object_mt(h.object).ok();
        let size = mt.and_then(|mt| {
            let info = types.method_table(mt).ok()?;
            let seg = rt.heap.as_ref().ok()?.segment_of(h.object)?;
            object_size(&mem, &rt.layout, &info, h.object, seg.kind.alignment(rt.layout.ptr)).ok()
        });
        if let Some(mt) = mt {
            let e = per.entry(mt).or_default();
            e.0 += 1;
            e.1 += size.unwrap_or(0);
        }
        rows.push(HandleRow {
            handle: jhex(h.address),
            kind: h.kind.name(),
            strong: h.kind.is_strong(),
            object: jhex(h.object),
            size,
            type_name: mt.map_or_else(|| "<not an object>".into(), |mt| namer.name(mt)),
            secondary: (h.secondary != 0).then(|| jhex(h.secondary)),
        });
    }
    let mut statistics: Vec<StatRow> = per
        .into_iter()
        .map(|(mt, (count, total_size))| StatRow { mt: jhex(mt), count, total_size, name: namer.name(mt) })
        .collect();
    statistics.sort_by_key(|r| (r.total_size, r.count));
    let body = Body { total: rows.len(), handles: (!stat).then_some(rows), statistics, kinds };
    ctx.finish("gchandles", &body, || render(ctx.ptr(), &body))
}

fn render(p: usize, b: &Body) -> String {
    let hex = |s: &str| hex_ptr(u64::from_str_radix(s.trim_start_matches("0x"), 16).unwrap_or(0), p);
    let mut s = String::new();
    if let Some(rows) = &b.handles {
        let mut t = Table::new(&[">Handle", "Type", ">Object", ">Size", ">Data", "Type"]);
        for r in rows {
            t.row(vec![
                hex(&r.handle),
                r.kind.to_string(),
                hex(&r.object),
                r.size.map(|v| v.to_string()).unwrap_or_default(),
                r.secondary.as_deref().map(hex).unwrap_or_default(),
                r.type_name.clone(),
            ]);
        }
        s.push_str(&t.render());
        s.push('\n');
    }
    s.push_str("Statistics:\n");
    let mut t = Table::new(&[">MT", ">Count", ">TotalSize", "Class Name"]);
    for r in &b.statistics {
        t.row(vec![hex(&r.mt), r.count.to_string(), r.total_size.to_string(), r.name.clone()]);
    }
    s.push_str(&t.render());
    s.push_str(&format!("Total {} objects\n\nHandles:\n", b.total));
    for (k, n) in &b.kinds {
        s.push_str(&format!("    {:<22}{n}\n", format!("{} handles:", k)));
    }
    s
}
