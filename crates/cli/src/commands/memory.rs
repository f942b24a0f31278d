//! `clrscope memory`: an `!address -summary` style view of the memory map.

use super::Ctx;
use crate::exit::{CliError, ExitCode};
use crate::output::{Table, hex_ptr, human_size, jhex};
use dump_format::model::RegionInfo;
use serde::Serialize;
use std::collections::BTreeMap;

const MEM_COMMIT: u32 = 0x1000;
const MEM_RESERVE: u32 = 0x2000;
const MEM_FREE: u32 = 0x10000;
const MEM_PRIVATE: u32 = 0x20000;
const MEM_MAPPED: u32 = 0x40000;
const MEM_IMAGE: u32 = 0x100_0000;

fn state_name(s: Option<u32>) -> String {
    match s {
        Some(MEM_COMMIT) => "MEM_COMMIT".into(),
        Some(MEM_RESERVE) => "MEM_RESERVE".into(),
        Some(MEM_FREE) => "MEM_FREE".into(),
        Some(v) => format!("{v:#x}"),
        None => "unknown".into(),
    }
}

fn kind_name(k: Option<u32>) -> String {
    match k {
        Some(MEM_PRIVATE) => "MEM_PRIVATE".into(),
        Some(MEM_MAPPED) => "MEM_MAPPED".into(),
        Some(MEM_IMAGE) => "MEM_IMAGE".into(),
        Some(0) | None => "".into(),
        Some(v) => format!("{v:#x}"),
    }
}

/// Windows `PAGE_*` protection as WinDbg spells it.
fn protect_name(p: Option<u32>) -> String {
    let Some(p) = p else { return "unknown".into() };
    if p == 0 {
        return "".into();
    }
    let base = match p & 0xff {
        0x01 => "PAGE_NOACCESS",
        0x02 => "PAGE_READONLY",
        0x04 => "PAGE_READWRITE",
        0x08 => "PAGE_WRITECOPY",
        0x10 => "PAGE_EXECUTE",
        0x20 => "PAGE_EXECUTE_READ",
        0x40 => "PAGE_EXECUTE_READWRITE",
        0x80 => "PAGE_EXECUTE_WRITECOPY",
        _ => return format!("{p:#x}"),
    };
    let mut s = base.to_string();
    for (bit, name) in [(0x100, "PAGE_GUARD"), (0x200, "PAGE_NOCACHE"), (0x400, "PAGE_WRITECOMBINE")] {
        if p & bit != 0 {
            s.push_str(" | ");
            s.push_str(name);
        }
    }
    s
}

/// What a region is used for, as far as the dump tells.
fn usage(ctx: &Ctx, r: &RegionInfo) -> &'static str {
    let end = r.base.saturating_add(r.size);
    if r.state == Some(MEM_FREE) {
        return "Free";
    }
    let threads = ctx.dump.threads();
    if threads.iter().any(|t| t.stack.is_some_and(|(s, n)| s < end && s.saturating_add(n) > r.base)) {
        return "Stack";
    }
    if threads.iter().any(|t| t.teb.is_some_and(|teb| teb >= r.base && teb < end)) {
        return "TEB";
    }
    if r.kind == Some(MEM_IMAGE) || ctx.dump.module_at(r.base).is_some() {
        return "Image";
    }
    if r.kind == Some(MEM_MAPPED) || r.mapped_file.is_some() {
        return "MappedFile";
    }
    "<unknown>"
}

#[derive(Serialize)]
struct Region {
    #[serde(skip)]
    start: u64,
    base: String,
    size: u64,
    usage: &'static str,
    state: String,
    #[serde(rename = "type")]
    kind: String,
    protect: String,
    captured: u64,
    mapped_file: Option<String>,
}

#[derive(Serialize, Clone)]
struct Group {
    name: String,
    regions: usize,
    size: u64,
}

#[derive(Serialize)]
struct Body {
    source: &'static str,
    usage: Vec<Group>,
    types: Vec<Group>,
    states: Vec<Group>,
    protections: Vec<Group>,
    largest_free: Option<Region>,
    busy_bytes: u64,
    captured_bytes: u64,
    regions: Option<Vec<Region>>,
}

/// Runs the command.
pub fn run(ctx: &Ctx, list: bool) -> Result<ExitCode, CliError> {
    let d = ctx.dump;
    // Without a memory map (MemoryInfoList), the captured ranges are all we know.
    let (source, infos): (&'static str, Vec<RegionInfo>) = if d.regions().is_empty() {
        let infos = d
            .memory()
            .regions()
            .iter()
            .map(|r| RegionInfo {
                base: r.start,
                allocation_base: None,
                size: r.mem_len,
                state: None,
                kind: None,
                protect: None,
                allocation_protect: None,
                captured: r.file_len.min(r.mem_len),
                mapped_file: None,
            })
            .collect();
        ("captured-ranges", infos)
    } else {
        ("memory-map", d.regions().to_vec())
    };
    let regions: Vec<Region> = infos
        .iter()
        .map(|r| Region {
            start: r.base,
            base: jhex(r.base),
            size: r.size,
            usage: usage(ctx, r),
            state: state_name(r.state),
            kind: kind_name(r.kind),
            protect: protect_name(r.protect),
            captured: r.captured,
            mapped_file: r.mapped_file.clone(),
        })
        .collect();
    let group = |key: &dyn Fn(&Region) -> Option<String>| {
        let mut m: BTreeMap<String, (usize, u64)> = BTreeMap::new();
        for r in &regions {
            if let Some(k) = key(r) {
                let e = m.entry(k).or_default();
                e.0 += 1;
                e.1 = e.1.saturating_add(r.size);
            }
        }
        let mut v: Vec<Group> =
            m.into_iter().map(|(name, (regions, size))| Group { name, regions, size }).collect();
        v.sort_by(|a, b| b.size.cmp(&a.size).then(a.name.cmp(&b.name)));
        v
    };
    let busy = |r: &Region| r.usage != "Free";
    let usage_g = group(&|r| Some(r.usage.to_string()));
    let types = group(&|r| (busy(r) && !r.kind.is_empty()).then(|| r.kind.clone()));
    let states = group(&|r| (r.state != "unknown").then(|| r.state.clone()));
    let protections =
        group(&|r| (r.state == "MEM_COMMIT" && !r.protect.is_empty()).then(|| r.protect.clone()));
    let busy_bytes: u64 = regions.iter().filter(|r| busy(r)).fold(0u64, |a, r| a.saturating_add(r.size));
    let largest_free = regions
        .iter()
        .enumerate()
        .filter(|(_, r)| r.usage == "Free")
        .max_by_key(|(_, r)| r.size)
        .map(|(i, _)| i);
    let captured_bytes = d.memory().captured_bytes();
    let mut body = Body {
        source,
        usage: usage_g,
        types,
        states,
        protections,
        largest_free: None,
        busy_bytes,
        captured_bytes,
        regions: None,
    };
    let mut regions = regions;
    if let Some(i) = largest_free {
        body.largest_free = Some(regions.swap_remove(i));
    }
    if list {
        if let Some(lf) = body.largest_free.take() {
            regions.push(lf);
            regions.sort_by_key(|r| r.start);
        }
        body.regions = Some(regions);
    }
    ctx.finish("memory", &body, || render(ctx, &body))
}

fn render(ctx: &Ctx, b: &Body) -> String {
    let p = ctx.ptr();
    let mut s = String::new();
    if b.source == "captured-ranges" {
        s.push_str("The dump has no memory map (MemoryInfoList): only the captured ranges are listed.\n\n");
    }
    if let Some(list) = &b.regions {
        let mut t = Table::new(&[
            "BaseAddress",
            "EndAddress+1",
            ">RegionSize",
            "Usage",
            "Type",
            "State",
            "Protect",
            ">Captured",
            "File",
        ]);
        for r in list {
            t.row(vec![
                hex_ptr(r.start, p),
                hex_ptr(r.start.saturating_add(r.size), p),
                format!("{:#x}", r.size),
                r.usage.to_string(),
                r.kind.clone(),
                r.state.clone(),
                r.protect.clone(),
                format!("{:#x}", r.captured),
                r.mapped_file.clone().unwrap_or_default(),
            ]);
        }
        s.push_str(&t.render());
        return s;
    }
    let total: u64 = b.usage.iter().fold(0u64, |a, g| a.saturating_add(g.size));
    let pct = |n: u64, d: u64| {
        if d == 0 { "-".to_string() } else { format!("{:.2}%", n as f64 * 100.0 / d as f64) }
    };
    let section = |title: &str, groups: &[Group], busy_only: bool, s: &mut String| {
        s.push_str(&format!("--- {title}\n"));
        let mut t = Table::new(&["", ">RgnCount", ">Total Size", "", ">%ofBusy", ">%ofTotal"]);
        for g in groups {
            let busy = if busy_only || g.name != "Free" && g.name != "MEM_FREE" {
                pct(g.size, b.busy_bytes)
            } else {
                String::new()
            };
            t.row(vec![
                g.name.clone(),
                g.regions.to_string(),
                format!("{:#x}", g.size),
                format!("({})", human_size(g.size)),
                busy,
                pct(g.size, total),
            ]);
        }
        s.push_str(&t.render());
        s.push('\n');
    };
    section("Usage Summary", &b.usage, false, &mut s);
    if !b.types.is_empty() {
        section("Type Summary (for busy)", &b.types, true, &mut s);
    }
    if !b.states.is_empty() {
        section("State Summary", &b.states, false, &mut s);
    }
    if !b.protections.is_empty() {
        section("Protect Summary (for commit)", &b.protections, true, &mut s);
    }
    match &b.largest_free {
        Some(r) => s.push_str(&format!(
            "Largest free region: Base {} - Size {:#x} ({})\n",
            r.base,
            r.size,
            human_size(r.size)
        )),
        None => s.push_str("Largest free region: unknown (the dump records no free regions)\n"),
    }
    s.push_str(&format!(
        "Captured in the dump: {} ({} bytes)\n",
        human_size(b.captured_bytes),
        b.captured_bytes
    ));
    s
}
