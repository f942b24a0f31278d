//! The facts of one dump, read once, owned (no borrow of the dump remains).

use crate::triage::heap::HeapTypes;
use crate::triage::holders::{Holder, holder};
use crate::triage::locks::LockFacts;
use crate::triage::threads::{ExceptionFact, ThreadFacts};
use clr_heap::Runtime;
use clr_heap::types::TypeSystem;
use clr_stack::Threads;
use clr_stack::roots::RootSet;
use dump_format::Dump;
use serde::Serialize;

/// Types whose roots a triage snapshot looks up (the biggest by bytes).
pub const HOLDER_TYPES: usize = 3;

/// How much to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Depth {
    /// Heap by type and threads with stacks (what `diff` compares).
    Heap,
    /// Also roots, monitors and the finalization queue (what `triage` reports).
    #[default]
    Full,
}

/// The process and the dump.
#[derive(Debug, Clone, Serialize)]
pub struct DumpFacts {
    /// `windows`, `linux`, …
    pub os: String,
    /// `x64`, `x86`, …
    pub arch: String,
    /// Process id.
    pub pid: Option<u32>,
    /// Process name or command line.
    pub process: Option<String>,
    /// When the dump was written (RFC 3339).
    pub dump_time: Option<String>,
    /// The .NET runtime (`.NET Core 3.1.23`), when found.
    pub runtime: Option<String>,
}

/// The dump's exception record: what crashed the process.
#[derive(Debug, Clone, Serialize)]
pub struct Crash {
    /// Exception code (Windows) or signal.
    pub code: u32,
    /// Its name, when known.
    pub name: Option<&'static str>,
    /// The faulting OS thread.
    pub os_id: u32,
    /// The faulting address.
    pub address: u64,
    /// The record carries signal details (Linux `NT_SIGINFO`) or parameters:
    /// without them a Linux `SIGABRT` is createdump's mark on every dump it
    /// writes, not evidence of a crash.
    pub details: bool,
    /// The managed exception of the faulting thread, when it has one.
    pub managed: Option<ExceptionFact>,
}

impl Crash {
    /// Only createdump's mark: a Linux `SIGABRT` without signal details and
    /// without a managed exception on the thread (createdump writes it into
    /// every core, crash or not).
    pub fn is_createdump_mark(&self, os: &str) -> bool {
        os == "linux" && self.code == 6 && !self.details && self.managed.is_none()
    }
}

/// The finalizer's state.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FinalizerFacts {
    /// Objects ready for finalization (f-reachable): the backlog.
    pub ready: u64,
    /// Objects registered for finalization, not yet unreachable.
    pub registered: u64,
    /// The backlog by type, most first (at most 10).
    pub ready_types: Vec<(String, u64)>,
}

/// Everything `triage` and `diff` need from one dump.
#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    /// The process and the dump.
    pub dump: DumpFacts,
    /// The exception record.
    pub crash: Option<Crash>,
    /// The heap, or why it could not be read.
    pub heap: Result<HeapTypes, String>,
    /// Every thread.
    pub threads: Vec<ThreadFacts>,
    /// ASP.NET requests, or why they could not be read.
    pub requests: Result<Vec<crate::triage::requests::RequestFact>, String>,
    /// Monitors and deadlocks (not read at [`Depth::Heap`]).
    pub locks: Option<Result<LockFacts, String>>,
    /// Roots of the biggest types.
    pub holders: Vec<Holder>,
    /// The finalization queue (not read at [`Depth::Heap`]).
    pub finalizer: Option<Result<FinalizerFacts, String>>,
    /// What could not be read, in words.
    pub notes: Vec<String>,
}

impl Snapshot {
    /// Reads `dump` ([`Depth::Full`]).
    pub fn take(dump: &Dump, options: &clr_heap::Options) -> Snapshot {
        Self::read(dump, options, Depth::Full)
    }

    /// Reads `dump` to `depth`, opening its runtime (with the threads'
    /// allocation contexts, so the heap walk skips them exactly). Never
    /// fails: what cannot be read is a note.
    pub fn read(dump: &Dump, options: &clr_heap::Options, depth: Depth) -> Snapshot {
        match Runtime::open(dump, options) {
            Ok(mut rt) => {
                let contexts = Threads::read(&TypeSystem::new(&rt)).map(|t| t.alloc_contexts());
                if let Ok(c) = contexts {
                    rt.add_alloc_contexts(c);
                }
                Self::from_runtime(dump, &rt, depth)
            }
            Err(e) => Self::without_runtime(dump, &e.to_string()),
        }
    }

    /// The OS-level facts of a dump whose runtime could not be opened (`why`).
    pub fn without_runtime(dump: &Dump, why: &str) -> Snapshot {
        let mut snap = Self::base(dump);
        snap.notes.push(format!("no .NET runtime read: {why}"));
        snap.heap = Err(why.to_string());
        snap.threads = crate::triage::threads::collect(dump, None, None).0;
        snap
    }

    fn base(dump: &Dump) -> Snapshot {
        let sys = dump.system();
        let proc_ = dump.process();
        Snapshot {
            dump: DumpFacts {
                os: format!("{:?}", sys.os).to_lowercase(),
                arch: sys.arch.name().to_string(),
                pid: proc_.pid,
                process: proc_.name.clone().or_else(|| proc_.command_line.clone()),
                dump_time: proc_.dump_time.map(|t| t.to_rfc3339()),
                runtime: None,
            },
            crash: dump.exception().map(|e| Crash {
                code: e.code,
                name: code_name(e.code),
                os_id: e.thread_id,
                address: e.address,
                details: !e.parameters.is_empty(),
                managed: None,
            }),
            heap: Err("no .NET runtime".into()),
            threads: Vec::new(),
            requests: Ok(Vec::new()),
            locks: None,
            holders: Vec::new(),
            finalizer: None,
            notes: Vec::new(),
        }
    }

    /// Reads `dump` through its opened runtime `rt`.
    pub fn from_runtime(dump: &Dump, rt: &Runtime, depth: Depth) -> Snapshot {
        let mut snap = Self::base(dump);
        snap.dump.runtime = Some(format!("{} {}", rt.module.flavor.name(), rt.module.product()));
        let types = TypeSystem::new(rt);
        snap.heap = HeapTypes::collect(rt, &types).map_err(|e| e.to_string());
        let threads = Threads::read(&types).map_err(|e| e.to_string());
        let (facts, note) = crate::triage::threads::collect(dump, Some(&types), threads.as_ref().ok());
        snap.threads = facts;
        snap.notes.extend(note);
        if let Err(e) = &threads {
            snap.notes.push(format!("managed threads unreadable: {e}"));
        }
        if let Some(c) = &mut snap.crash {
            c.managed =
                snap.threads.iter().find(|t| t.os_id == Some(c.os_id)).and_then(|t| t.exception.clone());
        }
        snap.requests = crate::triage::requests::collect(dump, &types);
        let Ok(threads) = threads else { return snap };
        if depth == Depth::Heap {
            return snap;
        }
        let mut phases = crate::progress::Phases::default();
        let set =
            RootSet::collect_with_progress(&types, &threads, false, &mut |p, d, t| phases.update(p, d, t));
        drop(phases);
        match set {
            Ok(mut set) => {
                snap.locks = Some(crate::triage::locks::collect(&types, &threads, &set.liveness.index));
                snap.finalizer = Some(finalizer_facts(&types, &set));
                if let Ok(heap) = &snap.heap {
                    for t in heap.types.iter().take(HOLDER_TYPES) {
                        if let Some(h) = holder(&types, &mut set, &t.name, &t.samples) {
                            snap.holders.push(h);
                        }
                    }
                }
            }
            Err(e) => snap.notes.push(format!("roots unreadable: {e}")),
        }
        snap
    }
}

fn finalizer_facts(types: &TypeSystem, set: &RootSet) -> Result<FinalizerFacts, String> {
    let q = set.finalizer_queue.as_ref().map_err(|e| e.clone())?;
    let mut f = FinalizerFacts::default();
    let mut by_type: std::collections::BTreeMap<String, u64> = Default::default();
    for e in q {
        if e.ready {
            f.ready += 1;
            let name = types
                .object_mt(e.object)
                .and_then(|mt| types.type_name(mt))
                .unwrap_or_else(|_| "<unknown type>".into());
            *by_type.entry(name).or_default() += 1;
        } else {
            f.registered += 1;
        }
    }
    let mut v: Vec<(String, u64)> = by_type.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v.truncate(10);
    f.ready_types = v;
    Ok(f)
}

/// Names of the exception codes and signals a crash dump commonly records.
pub fn code_name(code: u32) -> Option<&'static str> {
    Some(match code {
        0xC000_0005 => "access violation",
        0xC000_00FD => "stack overflow",
        0xE043_4352 => ".NET exception",
        0xE043_4F4D => ".NET exception (CLR 2)",
        0x8000_0003 => "breakpoint",
        0xC000_0409 => "stack buffer overrun (fail fast)",
        0xC000_0374 => "heap corruption",
        0xC000_0094 => "integer divide by zero",
        0x8000_0002 => "datatype misalignment",
        6 => "SIGABRT",
        11 => "SIGSEGV",
        7 => "SIGBUS",
        4 => "SIGILL",
        8 => "SIGFPE",
        _ => return None,
    })
}
