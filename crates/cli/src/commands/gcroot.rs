//! `clrscope gcroot DUMP ADDR [--all]`: who keeps an object alive, like SOS
//! `!gcroot`. Sections `Thread <osid>:`, `HandleTable:`, `Finalizer Queue:`,
//! `Statics:`; each root's shortest chain `->  addr Type`; footer
//! `Found N unique roots.` By default a conservative stack root that repeats
//! an object already listed for its thread is left out, and so is a handle
//! whose chain runs through a static's slot (the static is listed instead);
//! `--all` lists every root.

use super::Ctx;
use super::names::Namer;
use crate::exit::{CliError, ExitCode};
use crate::output::{hex_ptr, jhex};
use crate::progress::Phases;
use clr_heap::roots::{RootKind, RootPath};
use clr_heap::types::TypeSystem;
use clr_stack::Threads;
use clr_stack::roots::RootSet;
use serde::Serialize;
use std::collections::HashSet;

#[derive(Serialize)]
struct Link {
    address: String,
    #[serde(rename = "type")]
    type_name: String,
}

#[derive(Serialize)]
struct RootRow {
    kind: &'static str,
    /// The reference's address (stack slot, handle, queue slot, static slot); null for a register.
    address: Option<String>,
    os_id: Option<String>,
    managed_id: Option<u32>,
    register: Option<&'static str>,
    conservative: bool,
    handle_kind: Option<&'static str>,
    static_type: Option<String>,
    static_field: Option<String>,
    chain: Vec<Link>,
}

#[derive(Serialize)]
struct Body {
    target: String,
    live: Option<bool>,
    roots: Vec<RootRow>,
    unique_roots: usize,
    all: bool,
}

/// Opens the runtime, the threads and the roots, and marks the heap once;
/// failed checks become warnings.
pub fn root_set<'m>(
    ctx: &Ctx,
    types: &TypeSystem<'m>,
    for_paths: bool,
) -> Result<(Threads, RootSet<'m>), CliError> {
    let threads = Threads::read(types)?;
    let mut phases = Phases::default();
    let set =
        RootSet::collect_with_progress(types, &threads, for_paths, &mut |p, d, t| phases.update(p, d, t))?;
    drop(phases);
    for c in set.diagnostics.failures() {
        ctx.warn(format!("root check failed: {} ({})", c.name, c.detail));
    }
    for (what, r) in [
        ("handle table", set.handles.as_ref().err()),
        ("finalization queue", set.finalizer_queue.as_ref().err()),
    ] {
        if let Some(e) = r {
            ctx.warn(format!("{what} not read: {e}; its roots are missing"));
        }
    }
    Ok((threads, set))
}

/// Runs the command.
pub fn run(ctx: &Ctx, target: u64, all: bool) -> Result<ExitCode, CliError> {
    let rt = ctx.runtime()?;
    let types = TypeSystem::new(&rt);
    let (_threads, mut set) = root_set(ctx, &types, true)?;
    let live = set.liveness.is_live(target);
    if live.is_none() {
        return Err(CliError::NotFound(format!(
            "{target:#x} is not the address of an object on the GC heap"
        )));
    }
    let mut paths = set.paths_to(target);
    if !all {
        paths = unique(&mut set, paths);
    }
    paths.sort_by_key(|p| (set.liveness.roots[p.root].kind.section(), p.root));
    let mut namer = Namer::new(&rt);
    let mut name = |a: u64| match set.liveness.refs.mt_of(a) {
        Some(mt) => namer.name(mt),
        None => "<unreadable>".into(),
    };
    let roots: Vec<RootRow> = paths
        .iter()
        .map(|p| {
            let r = &set.liveness.roots[p.root];
            let chain = p.chain.iter().map(|&a| Link { address: jhex(a), type_name: name(a) }).collect();
            let mut row = RootRow {
                kind: "",
                address: (r.address != 0).then(|| jhex(r.address)),
                os_id: None,
                managed_id: None,
                register: None,
                conservative: false,
                handle_kind: None,
                static_type: None,
                static_field: None,
                chain,
            };
            match &r.kind {
                RootKind::Stack { os_id, managed_id, register, conservative } => {
                    row.kind = "stack";
                    row.os_id = Some(format!("{os_id:#x}"));
                    row.managed_id = *managed_id;
                    row.register = *register;
                    row.conservative = *conservative;
                }
                RootKind::Handle(k) => {
                    row.kind = "handle";
                    row.handle_kind = Some(k.name());
                }
                RootKind::FinalizerQueue => row.kind = "finalizer_queue",
                RootKind::Static { type_name, field } => {
                    row.kind = "static";
                    row.static_type = Some(type_name.clone());
                    row.static_field = Some(field.clone());
                }
            }
            row
        })
        .collect();
    let body = Body { target: jhex(target), live, unique_roots: roots.len(), roots, all };
    ctx.finish("gcroot", &body, || render(ctx.ptr(), &body))
}

/// The default selection: per thread, one root per object; handles whose
/// chain goes through a static's slot give way to that static.
fn unique(set: &mut RootSet, paths: Vec<RootPath>) -> Vec<RootPath> {
    let static_slots: HashSet<u64> = set
        .liveness
        .roots
        .iter()
        .filter(|r| matches!(r.kind, RootKind::Static { .. }))
        .map(|r| r.address)
        .collect();
    let mut seen: HashSet<(u32, u64)> = HashSet::new();
    let mut out = Vec::new();
    for p in paths {
        let r = &set.liveness.roots[p.root];
        match r.kind {
            RootKind::Stack { os_id, .. } if !seen.insert((os_id, r.object)) => continue,
            RootKind::Handle(_) => {
                let mut via_static = false;
                for w in p.chain.windows(2) {
                    set.liveness.refs.for_each(w[0], |slot, v| {
                        via_static |= v == w[1] && static_slots.contains(&slot);
                    });
                }
                if via_static {
                    continue;
                }
            }
            _ => {}
        }
        out.push(p);
    }
    out
}

fn render(p: usize, b: &Body) -> String {
    let hex = |s: &str| hex_ptr(u64::from_str_radix(s.trim_start_matches("0x"), 16).unwrap_or(0), p);
    let mut s = String::new();
    let mut section = String::new();
    for r in &b.roots {
        let head = match r.kind {
            "stack" => format!("Thread {}:", r.os_id.as_deref().unwrap_or("?").trim_start_matches("0x")),
            "handle" => "HandleTable:".into(),
            "finalizer_queue" => "Finalizer Queue:".into(),
            _ => "Statics:".into(),
        };
        if head != section {
            s.push_str(&head);
            s.push('\n');
            section = head;
        }
        let what = match r.kind {
            "stack" => {
                let c = if r.conservative { ", conservative" } else { "" };
                match r.register {
                    Some(reg) => format!("    {reg} (register{c})"),
                    None => format!("    {} (stack slot{c})", hex(r.address.as_deref().unwrap_or("0"))),
                }
            }
            "handle" => format!(
                "    {} ({} handle)",
                hex(r.address.as_deref().unwrap_or("0")),
                r.handle_kind.unwrap_or("?")
            ),
            "finalizer_queue" => {
                format!("    {} (ready for finalization)", hex(r.address.as_deref().unwrap_or("0")))
            }
            _ => format!(
                "    {} {}.{}",
                hex(r.address.as_deref().unwrap_or("0")),
                r.static_type.as_deref().unwrap_or("?"),
                r.static_field.as_deref().unwrap_or("?")
            ),
        };
        s.push_str(&what);
        s.push('\n');
        for l in &r.chain {
            s.push_str(&format!("        ->  {} {}\n", hex(&l.address), l.type_name));
        }
        s.push('\n');
    }
    s.push_str(&format!("Found {} unique roots.\n", b.unique_roots));
    s
}
