//! # triage — one pass over a dump, ranked; two dumps compared
//!
//! The other crates answer one question each (`clr-heap`: what is on the
//! heap and what roots it; `clr-stack`: threads, stacks, exceptions,
//! monitors). This crate asks them all and keeps plain data:
//!
//! * [`Snapshot::take`] — the facts of one dump: heap by type (named),
//!   fragmentation, every thread with its CPU times, managed stack, blocking
//!   call and last exception, the dump's exception record, ASP.NET requests;
//! * [`report::triage`] — a [`Report`]: findings ranked most important
//!   first (crash, deadlocks, exceptions, blocked and busy threads, the
//!   biggest types and what roots them, fragmentation, the finalizer), each
//!   with the `clrscope` command that shows its evidence;
//! * [`diff::diff`] — two snapshots of the same process: heap growth by type,
//!   new and vanished types, threads that neither ran nor moved (hung),
//!   requests in flight in both.
//!
//! Everything here is composition: no dump structure is parsed in this crate.
//!
//! ```no_run
//! let a = dump_format::Dump::open("core.1")?;
//! let b = dump_format::Dump::open("core.2")?;
//! let depth = clrscope::triage::snapshot::Depth::Heap;
//! let sa = clrscope::triage::Snapshot::read(&a, &Default::default(), depth);
//! let sb = clrscope::triage::Snapshot::read(&b, &Default::default(), depth);
//! for g in clrscope::triage::diff::diff(&sa, &sb).heap.changes.iter().take(5) {
//!     println!("{:+} objects {:+} bytes {}", g.count_delta, g.bytes_delta, g.name);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod blocking;
pub mod diff;
pub mod evidence;
pub mod heap;
pub mod holders;
pub mod locks;
pub mod report;
pub mod requests;
pub mod snapshot;
pub mod threads;

pub use evidence::Evidence;
pub use report::{Finding, Report, Severity};
pub use snapshot::Snapshot;
