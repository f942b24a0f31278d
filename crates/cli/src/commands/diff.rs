//! `clrscope diff A B`: two dumps of the same process (take them a minute
//! apart): heap growth by type, new and vanished types, threads that neither
//! ran nor moved (hung). The comparison itself is `crate::triage::diff`.

use super::Ctx;
use crate::exit::{CliError, ExitCode};
use crate::output::Table;
use crate::triage::diff::{Change, Diff};
use crate::triage::report::{count, size};
use crate::triage::snapshot::{Depth, Snapshot};
use dump_format::Dump;
use serde::Serialize;
use std::path::Path;

/// Types printed in the text output (JSON has them all).
const TEXT_ROWS: usize = 25;

#[derive(Serialize)]
struct Body<'a> {
    later: String,
    #[serde(flatten)]
    diff: &'a Diff,
}

/// Runs the command: `ctx.dump` is A (earlier), `later` is B.
pub fn run(ctx: &Ctx, later: &Path) -> Result<ExitCode, CliError> {
    let b_dump =
        Dump::open(later).map_err(|source| CliError::Dump { path: later.display().to_string(), source })?;
    let a = snapshot(ctx, ctx.dump)?;
    let b = Snapshot::read(&b_dump, &ctx.opts.clr, Depth::Heap);
    for n in a
        .notes
        .iter()
        .map(|n| format!("{}: {n}", ctx.path.display()))
        .chain(b.notes.iter().map(|n| format!("{}: {n}", later.display())))
    {
        ctx.warn(n);
    }
    let d = crate::triage::diff::diff(&a, &b);
    for n in &d.notes {
        ctx.warn(n.clone());
    }
    let body = Body { later: later.display().to_string(), diff: &d };
    ctx.finish("diff", &body, || text(&d))
}

/// The first dump's snapshot through the context (its runtime warnings included).
fn snapshot(ctx: &Ctx, dump: &Dump) -> Result<Snapshot, CliError> {
    match ctx.runtime() {
        Ok(rt) => Ok(Snapshot::from_runtime(dump, &rt, Depth::Heap)),
        Err(CliError::Clr(e)) => Ok(Snapshot::without_runtime(dump, &e.to_string())),
        Err(e) => Err(e),
    }
}

fn signed(n: i64) -> String {
    let mag = count(n.unsigned_abs());
    if n < 0 { format!("-{mag}") } else { format!("+{mag}") }
}

fn signed_size(n: i64) -> String {
    let mag = size(n.unsigned_abs());
    if n < 0 { format!("-{mag}") } else { format!("+{mag}") }
}

fn text(d: &Diff) -> String {
    let mut s = String::new();
    match &d.heap_error {
        Some(e) => s.push_str(&format!("Heap: not compared ({e})\n")),
        None => {
            let h = &d.heap;
            s.push_str(&format!(
                "Heap: {} objects, {} ({} free space)\n\n",
                signed(h.objects_delta),
                signed_size(h.bytes_delta),
                signed_size(h.free_delta)
            ));
            let mut t = Table::new(&[">Count", ">Before", ">After", ">Bytes", "Change", "Class Name"]);
            for c in h.changes.iter().take(TEXT_ROWS) {
                t.row(vec![
                    signed(c.count_delta),
                    count(c.count_before),
                    count(c.count_after),
                    signed_size(c.bytes_delta),
                    change(c.change).into(),
                    c.name.clone(),
                ]);
            }
            s.push_str(&t.render());
            if h.changes.len() > TEXT_ROWS {
                s.push_str(&format!(
                    "… {} more types changed (--json lists all)\n",
                    h.changes.len() - TEXT_ROWS
                ));
            }
            let new: Vec<&str> =
                h.changes.iter().filter(|c| c.change == Change::New).map(|c| c.name.as_str()).collect();
            let gone: Vec<&str> =
                h.changes.iter().filter(|c| c.change == Change::Vanished).map(|c| c.name.as_str()).collect();
            s.push_str(&format!(
                "\nNew types: {}\n",
                if new.is_empty() { "none".into() } else { new.join(", ") }
            ));
            s.push_str(&format!(
                "Vanished types: {}\n",
                if gone.is_empty() { "none".into() } else { gone.join(", ") }
            ));
        }
    }
    s.push_str(&format!("\nHung threads (same stack, no CPU time between the dumps): {}\n", d.hung.len()));
    for h in &d.hung {
        let cpu = h.cpu_seconds.map_or("CPU time not recorded".into(), |c| format!("{c:.2} s CPU"));
        let at = match (&h.waiting_in, &h.app_frame) {
            (Some(w), Some(a)) => format!("in {w}, from {a}"),
            (Some(w), None) => format!("in {w}"),
            (None, Some(a)) => format!("in {a}"),
            (None, None) => format!("{} frames", h.frames),
        };
        s.push_str(&format!("  {}  {at}  ({cpu})\n", h.label));
    }
    if !d.moved.is_empty() {
        s.push_str(&format!("Threads that ran or moved: {}\n", d.moved.join(", ")));
    }
    if !d.started.is_empty() {
        s.push_str(&format!("Threads only in the later dump: {}\n", d.started.join(", ")));
    }
    if !d.ended.is_empty() {
        s.push_str(&format!("Threads only in the earlier dump: {}\n", d.ended.join(", ")));
    }
    s.push_str(&format!("\nRequests in flight in both dumps: {}\n", d.requests_in_both.len()));
    for r in &d.requests_in_both {
        s.push_str(&format!("  {r}\n"));
    }
    s
}

fn change(c: Change) -> &'static str {
    match c {
        Change::Grown => "grown",
        Change::Shrunk => "shrunk",
        Change::New => "new",
        Change::Vanished => "vanished",
    }
}
