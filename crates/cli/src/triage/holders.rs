//! What keeps the biggest types alive: for a live sample object of each, the
//! roots that reach it and the shortest chain from each (`gcroot`).

use crate::triage::evidence::ser_hex;
use clr_heap::roots::RootKind;
use clr_heap::types::TypeSystem;
use clr_stack::roots::RootSet;
use serde::Serialize;

/// Roots reported per sample object.
pub const MAX_ROOTS: usize = 4;
/// Objects of a chain reported (the rest are elided).
const MAX_CHAIN: usize = 12;

/// One root of a sample object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RootFact {
    /// `static`, `stack`, `handle`, `finalizer_queue`.
    pub kind: &'static str,
    /// `static Shop.Services.OrderCache.s_all`, `stack of thread 7 (OS 0x2f07)`, …
    pub description: String,
    /// For stack roots: the thread.
    pub managed_id: Option<u32>,
    /// For stack roots: the OS thread.
    pub os_id: Option<u32>,
    /// Found by scanning the stack word by word (the slot may be dead).
    pub conservative: bool,
    /// Type names from the root's object to the sample.
    pub chain: Vec<String>,
}

/// What roots one type's sample object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Holder {
    /// The type.
    pub type_name: String,
    /// The live sample.
    #[serde(serialize_with = "ser_hex")]
    pub sample: u64,
    /// Its roots: statics and handles first, then stacks (at most [`MAX_ROOTS`]).
    pub roots: Vec<RootFact>,
    /// Roots found in all.
    pub root_count: usize,
}

/// The roots of the first live object among `samples`.
pub fn holder(types: &TypeSystem, set: &mut RootSet, type_name: &str, samples: &[u64]) -> Option<Holder> {
    // the last live sample: the first object of a type is often also held by
    // a static of its own (a "first seen" field), which says little
    let sample = samples.iter().rev().copied().find(|&a| set.liveness.is_live(a) == Some(true))?;
    let mut paths = set.paths_to(sample);
    // Stack roots by how directly they hold the object (a short chain is
    // the story: the request's own list, not a register holding the module's
    // statics), precise before conservative at equal length.
    let section = |set: &RootSet, i: usize| {
        set.liveness.roots.get(i).map_or((9, false), |r| match r.kind {
            RootKind::Static { .. } => (0, false),
            RootKind::Handle(_) => (1, false),
            RootKind::Stack { conservative, .. } => (2, conservative),
            RootKind::FinalizerQueue => (4, false),
        })
    };
    paths.sort_by_key(|p| {
        let (s, conservative) = section(set, p.root);
        (s, p.chain.len(), conservative)
    });
    let root_count = paths.len();
    let name = |a: u64| {
        types
            .object_mt(a)
            .and_then(|mt| types.type_name(mt))
            .unwrap_or_else(|e| format!("<unknown type: {e}>"))
    };
    // at most two statics or handles, then one root per thread whose stack reaches it
    let mut picked = Vec::new();
    let mut threads_seen = Vec::new();
    for p in &paths {
        let Some(r) = set.liveness.roots.get(p.root) else { continue };
        let keep = match &r.kind {
            RootKind::Stack { os_id, .. } => {
                let new = !threads_seen.contains(os_id);
                threads_seen.push(*os_id);
                new
            }
            _ => picked.len() < 2,
        };
        if keep && picked.len() < MAX_ROOTS {
            picked.push(p);
        }
    }
    let roots = picked
        .into_iter()
        .filter_map(|p| {
            let r = set.liveness.roots.get(p.root)?;
            let mut chain: Vec<String> = p.chain.iter().take(MAX_CHAIN).map(|&a| name(a)).collect();
            if p.chain.len() > MAX_CHAIN {
                chain.push(format!("… {} more", p.chain.len() - MAX_CHAIN));
            }
            let (kind, description, managed_id, os_id, conservative) = match &r.kind {
                RootKind::Static { type_name, field } => {
                    ("static", format!("static {type_name}.{field}"), None, None, false)
                }
                RootKind::Stack { os_id, managed_id, register, conservative } => {
                    let who = match managed_id {
                        Some(m) => format!("thread {m} (OS {os_id:#x})"),
                        None => format!("OS thread {os_id:#x}"),
                    };
                    let at = match register {
                        Some(reg) => format!("register {reg}"),
                        None => format!("stack slot {:#x}", r.address),
                    };
                    ("stack", format!("{at} of {who}"), *managed_id, Some(*os_id), *conservative)
                }
                RootKind::Handle(k) => {
                    ("handle", format!("{} handle {:#x}", k.name(), r.address), None, None, false)
                }
                RootKind::FinalizerQueue => {
                    ("finalizer_queue", "the finalizer queue (f-reachable)".into(), None, None, false)
                }
            };
            Some(RootFact { kind, description, managed_id, os_id, conservative, chain })
        })
        .collect();
    Some(Holder { type_name: type_name.to_string(), sample, roots, root_count })
}
