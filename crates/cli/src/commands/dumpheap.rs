//! `clrscope dumpheap`: objects on the GC heap, like SOS `!dumpheap`.

use super::Ctx;
use super::names::Namer;
use crate::args::DumpheapArgs;
use crate::exit::{CliError, ExitCode};
use crate::output::{Table, hex_ptr, jhex};
use crate::progress::Progress;
use clr_heap::gc::stat::{HeapStat, TypeStat};
use serde::Serialize;

#[derive(Serialize)]
struct StatRow {
    mt: String,
    count: u64,
    total_size: u64,
    name: String,
}

#[derive(Serialize)]
struct ObjectRow {
    address: String,
    mt: String,
    size: u64,
    generation: u8,
    free: bool,
}

#[derive(Serialize)]
struct Fragment {
    address: String,
    size: u64,
    followed_by: Option<String>,
    followed_by_type: Option<String>,
}

#[derive(Serialize)]
struct Body {
    objects: Option<Vec<ObjectRow>>,
    statistics: Vec<StatRow>,
    total_objects: u64,
    total_bytes: u64,
    fragmentation: Vec<Fragment>,
    invalid_objects: Vec<(String, String)>,
}

/// `1234567` → `1,234,567`, as current SOS prints totals.
fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Runs the command.
pub fn run(ctx: &Ctx, a: &DumpheapArgs) -> Result<ExitCode, CliError> {
    let rt = ctx.runtime()?;
    // --live/--dead: the one marking pass over every root (see gcroot).
    let types = clr_heap::types::TypeSystem::new(&rt);
    let mut roots =
        if a.live || a.dead { Some(super::gcroot::root_set(ctx, &types, false)?.1) } else { None };
    let mut namer = Namer::new(&rt);
    let mut cache = rt.mt_cache();
    let free_mt = cache.free_mt();
    // `--live/--dead --stat` alone: the root set's index walk already counted
    // every object, so the statistics come from it and the marks (one walk).
    let only_liveness = a.stat
        && a.type_name.is_none()
        && a.mt.is_none()
        && a.min.is_none()
        && a.max.is_none()
        && a.generation.is_none();
    if let Some(set) = roots.as_mut().filter(|_| only_liveness) {
        let stat = set.stat(free_mt, a.live);
        return finish(ctx, a, &mut namer, free_mt, stat, None);
    }
    // Filters that need only the walk's facts run inside it; the type-name
    // filter needs names, computed once per MethodTable.
    let mut type_ok: std::collections::HashMap<u64, bool> = Default::default();
    let want_list = !a.stat;
    let mut listed: Vec<ObjectRow> = Vec::new();
    let mut progress = Progress::new("walking the GC heap");
    let stat = {
        let keep = |o: &clr_heap::gc::ObjectRef| {
            // Free space is neither live nor dead.
            let ok = roots
                .as_ref()
                .is_none_or(|r| Some(o.mt) != free_mt && r.liveness.is_live(o.address) == Some(a.live))
                && a.mt.is_none_or(|m| m == o.mt)
                && a.min.is_none_or(|m| o.size >= m)
                && a.max.is_none_or(|m| o.size <= m)
                && a.generation.is_none_or(|g| g == o.generation)
                && match &a.type_name {
                    None => true,
                    Some(sub) => {
                        *type_ok.entry(o.mt).or_insert_with(|| namer.name(o.mt).contains(sub.as_str()))
                    }
                };
            if ok && want_list {
                listed.push(ObjectRow {
                    address: jhex(o.address),
                    mt: jhex(o.mt),
                    size: o.size,
                    generation: o.generation,
                    free: Some(o.mt) == free_mt,
                });
            }
            ok
        };
        HeapStat::collect(&rt, &mut cache, keep, |d, t| progress.update(d, t))?
    };
    drop(progress);
    finish(ctx, a, &mut namer, free_mt, stat, want_list.then_some(listed))
}

/// Names, sorts and prints the statistics (and the listed objects).
fn finish(
    ctx: &Ctx,
    a: &DumpheapArgs,
    namer: &mut Namer,
    free_mt: Option<u64>,
    stat: HeapStat,
    listed: Option<Vec<ObjectRow>>,
) -> Result<ExitCode, CliError> {
    if !stat.invalid.is_empty() {
        ctx.warn(format!(
            "{} invalid objects on the heap (first at {:#x}: {}); the walk resynchronised after each",
            stat.invalid.len(),
            stat.invalid[0].0,
            stat.invalid[0].1
        ));
    }
    let mut types: Vec<TypeStat> = stat.types.clone();
    if a.bycount {
        types.sort_by_key(|t| (t.count, t.total_size, t.mt));
    } else {
        types.sort_by_key(|t| (t.total_size, t.count, t.mt));
    }
    let name_of =
        |namer: &mut Namer, mt: u64| if Some(mt) == free_mt { "Free".to_string() } else { namer.name(mt) };
    let statistics: Vec<StatRow> = types
        .iter()
        .map(|t| StatRow {
            mt: jhex(t.mt),
            count: t.count,
            total_size: t.total_size,
            name: name_of(namer, t.mt),
        })
        .collect();
    let fragmentation: Vec<Fragment> = stat
        .fragments
        .iter()
        .map(|f| Fragment {
            address: jhex(f.address),
            size: f.size,
            followed_by: f.followed_by.map(|o| jhex(o.address)),
            followed_by_type: f.followed_by.map(|o| name_of(namer, o.mt)),
        })
        .collect();
    let body = Body {
        objects: listed,
        statistics,
        total_objects: stat.objects,
        total_bytes: stat.bytes,
        fragmentation,
        invalid_objects: stat.invalid.iter().map(|(a, r)| (jhex(*a), r.clone())).collect(),
    };
    ctx.finish("dumpheap", &body, || render(ctx, a, &body, &stat))
}

fn render(ctx: &Ctx, a: &DumpheapArgs, b: &Body, stat: &HeapStat) -> String {
    let p = ctx.ptr();
    let mut s = String::new();
    let hex = |v: &str| hex_ptr(u64::from_str_radix(v.trim_start_matches("0x"), 16).unwrap_or(0), p);
    if let Some(objs) = &b.objects {
        if a.short {
            for o in objs {
                s.push_str(&hex(&o.address));
                s.push('\n');
            }
            return s;
        }
        let mut t = Table::new(&[">Address", ">MT", ">Size", ""]);
        for o in objs {
            t.row(vec![
                hex(&o.address),
                hex(&o.mt),
                o.size.to_string(),
                if o.free { "Free".into() } else { String::new() },
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
    s.push_str(&format!(
        "Total {} objects, {} bytes\n",
        thousands(b.total_objects),
        thousands(b.total_bytes)
    ));
    if !b.fragmentation.is_empty() {
        s.push_str("\nFragmented blocks larger than 0.5 MB:\n");
        let mut t = Table::new(&[">Address", ">Size", "Followed By"]);
        for f in &b.fragmentation {
            let follow = match (&f.followed_by, &f.followed_by_type) {
                (Some(addr), Some(ty)) => format!("{} {ty}", hex(addr)),
                _ => "(end of segment)".into(),
            };
            t.row(vec![hex(&f.address), format!("{:.1}MB", f.size as f64 / 1048576.0), follow]);
        }
        s.push_str(&t.render());
    }
    let _ = stat;
    s
}
