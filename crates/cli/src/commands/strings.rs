//! `clrscope strings` (duplicates and longest strings) and `dumpheap
//! --strings` (the value histogram), over the library's `StringStats`.

use super::Ctx;
use crate::args::DumpheapArgs;
use crate::exit::{CliError, ExitCode};
use crate::output::{Table, jhex};
use crate::progress::Progress;
use clr_heap::strings::{StringGroup, StringStats};
use clr_heap::types::TypeSystem;
use serde::Serialize;

#[derive(Serialize)]
struct Row {
    value: String,
    length: u64,
    count: u64,
    total_size: u64,
    wasted: u64,
    example: String,
}

fn row(g: &StringGroup) -> Row {
    Row {
        value: g.value.clone(),
        length: g.length,
        count: g.count,
        total_size: g.total_size,
        wasted: g.wasted(),
        example: jhex(g.example),
    }
}

fn collect(ctx: &Ctx) -> Result<StringStats, CliError> {
    let rt = ctx.runtime()?;
    let ts = TypeSystem::new(&rt);
    let mut progress = Progress::new("reading strings");
    let stats = StringStats::collect(&rt, &ts, |d, t| progress.update(d, t))?;
    if stats.unreadable.0 > 0 {
        ctx.warn(format!(
            "{} strings could not be read (first: {})",
            stats.unreadable.0,
            stats.unreadable.1.clone().unwrap_or_default()
        ));
    }
    Ok(stats)
}

/// Shows a string on one line: control characters escaped, long ones cut.
fn shown(v: &str) -> String {
    let mut out: String = v.chars().take(100).flat_map(char::escape_debug).collect();
    if v.chars().count() > 100 {
        out.push('…');
    }
    out
}

#[derive(Serialize)]
struct Body {
    strings: u64,
    distinct: usize,
    wasted_bytes: u64,
    duplicates: Vec<Row>,
    longest: Vec<Row>,
}

/// `strings`: the most wasteful duplicates and the longest strings.
pub fn run(ctx: &Ctx, top: usize) -> Result<ExitCode, CliError> {
    let stats = collect(ctx)?;
    let mut dups: Vec<&StringGroup> = stats.groups.iter().filter(|g| g.count > 1).collect();
    dups.sort_by(|a, b| b.wasted().cmp(&a.wasted()).then(a.value.cmp(&b.value)));
    let mut longest: Vec<&StringGroup> = stats.groups.iter().collect();
    longest.sort_by(|a, b| b.length.cmp(&a.length).then(a.value.cmp(&b.value)));
    let body = Body {
        strings: stats.strings,
        distinct: stats.groups.len(),
        wasted_bytes: dups.iter().map(|g| g.wasted()).sum(),
        duplicates: dups.iter().take(top).map(|g| row(g)).collect(),
        longest: longest.iter().take(top).map(|g| row(g)).collect(),
    };
    ctx.finish("strings", &body, || {
        let mut s = format!(
            "{} strings, {} distinct values; duplicates waste {} bytes\n\nDuplicate strings (most bytes wasted first):\n",
            body.strings, body.distinct, body.wasted_bytes
        );
        let mut t = Table::new(&[">Count", ">TotalSize", ">Wasted", "String Value"]);
        for r in &body.duplicates {
            t.row(vec![r.count.to_string(), r.total_size.to_string(), r.wasted.to_string(), shown(&r.value)]);
        }
        s.push_str(&t.render());
        s.push_str("\nLongest strings:\n");
        let mut t = Table::new(&[">Length", ">Count", "Example", "String Value"]);
        for r in &body.longest {
            t.row(vec![r.length.to_string(), r.count.to_string(), r.example.clone(), shown(&r.value)]);
        }
        s.push_str(&t.render());
        s
    })
}

#[derive(Serialize)]
struct Histogram {
    statistics: Vec<Row>,
    total_strings: u64,
}

/// `dumpheap --strings`: every value with its count, ascending by total size.
pub fn run_histogram(ctx: &Ctx, a: &DumpheapArgs) -> Result<ExitCode, CliError> {
    let stats = collect(ctx)?;
    let mut groups: Vec<&StringGroup> = stats
        .groups
        .iter()
        .filter(|g| a.min.is_none_or(|m| g.total_size / g.count.max(1) >= m))
        .filter(|g| a.max.is_none_or(|m| g.total_size / g.count.max(1) <= m))
        .collect();
    groups.sort_by(|x, y| x.total_size.cmp(&y.total_size).then(x.value.cmp(&y.value)));
    let body =
        Histogram { statistics: groups.iter().map(|g| row(g)).collect(), total_strings: stats.strings };
    ctx.finish("dumpheap", &body, || {
        let mut t = Table::new(&[">Count", ">TotalSize", "String Value"]);
        for r in &body.statistics {
            t.row(vec![r.count.to_string(), r.total_size.to_string(), shown(&r.value)]);
        }
        let mut s = t.render();
        s.push_str(&format!("Total {} strings\n", body.total_strings));
        s
    })
}
