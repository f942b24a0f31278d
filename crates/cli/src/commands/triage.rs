//! `clrscope triage DUMP [--html FILE]`: the whole investigation on one
//! page, most important first, each finding with the command that shows its
//! evidence. The findings are `crate::triage::report`; this file only formats them
//! (and `crate::html` draws the page).

use super::Ctx;
use crate::exit::{CliError, ExitCode};
use crate::output::Table;
use crate::triage::report::{Report, Severity, count, size};
use crate::triage::snapshot::{Depth, Snapshot};
use std::path::Path;

/// Types in the text's heap table.
const TOP_TYPES: usize = 10;

/// Runs the command.
pub fn run(ctx: &Ctx, html: Option<&Path>) -> Result<ExitCode, CliError> {
    let snap = match ctx.runtime() {
        Ok(rt) => Snapshot::from_runtime(ctx.dump, &rt, Depth::Full),
        Err(CliError::Clr(e)) => Snapshot::without_runtime(ctx.dump, &e.to_string()),
        Err(e) => return Err(e),
    };
    for n in &snap.notes {
        ctx.warn(n.clone());
    }
    let report = crate::triage::report::triage(snap);
    let dump = ctx.path.display().to_string();
    if let Some(file) = html {
        std::fs::write(file, crate::html::page(&report, &dump))?;
    }
    ctx.finish("triage", &report, || text(&report, &dump, html))
}

fn mark(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "!!",
        Severity::Warning => " !",
        Severity::Info => " -",
    }
}

fn text(r: &Report, dump: &str, html: Option<&Path>) -> String {
    let s0 = &r.snapshot;
    let mut s = format!(
        "Triage of {dump}: {} {} pid {}{}{}\n\n",
        s0.dump.os,
        s0.dump.arch,
        s0.dump.pid.map_or("?".into(), |p| p.to_string()),
        s0.dump.runtime.as_ref().map_or(String::new(), |r| format!(", {r}")),
        s0.dump.dump_time.as_ref().map_or(String::new(), |t| format!(", dumped {t}")),
    );
    if s0.crash.as_ref().is_none_or(|c| c.is_createdump_mark(&s0.dump.os)) {
        s.push_str(" - No crash evident (no exception record, or only createdump's SIGABRT mark): a dump of a running process (a hang or memory investigation).\n\n");
    }
    for f in &r.findings {
        s.push_str(&format!("{} {}\n", mark(f.severity), f.title));
        for d in &f.details {
            s.push_str(&format!("     {d}\n"));
        }
        for e in &f.evidence {
            s.push_str(&format!("     → {}\n", e.line(dump)));
        }
        s.push('\n');
    }
    if let Ok(h) = &s0.heap {
        s.push_str(&format!("Heap: {} objects, {}; top types by size:\n", count(h.objects), size(h.bytes)));
        let mut t = Table::new(&[">Count", ">TotalSize", "Class Name"]);
        for ty in h.types.iter().take(TOP_TYPES) {
            t.row(vec![count(ty.count), count(ty.bytes), ty.name.clone()]);
        }
        s.push_str(&t.render());
        s.push_str("Top types by count:\n");
        let mut t = Table::new(&[">Count", ">TotalSize", "Class Name"]);
        for ty in h.top_by_count(TOP_TYPES) {
            t.row(vec![count(ty.count), count(ty.bytes), ty.name.clone()]);
        }
        s.push_str(&t.render());
    }
    if let Some(file) = html {
        s.push_str(&format!("\nHTML report: {}\n", file.display()));
    }
    s
}
