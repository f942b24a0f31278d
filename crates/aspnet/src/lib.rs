//! # aspnet — ASP.NET requests and sessions in a dump
//!
//! What MEX `!aspxpagesext`, NetExt `!whttp` and PSSCOR `!aspxpages` show,
//! on any OS and without the DAC, plus the step they leave to the user:
//! which request holds the memory.
//!
//! * [`scan::HeapScan`] — one heap walk finds System.Web `HttpContext`s and
//!   `HttpRuntime`s and Kestrel's request objects by type name (and, when
//!   asked, indexes every object start: `clr_heap::roots::HeapIndex`);
//! * [`find`] — one [`Request`] per context: verb, URL, status, completed,
//!   timeout, start and running time, thread (managed and OS id), session;
//!   every field by name through `clr-heap`'s type system (offsets from the
//!   dump's FieldDescs); sorted by start time;
//! * [`detail::read_detail`] — everything one request holds;
//!   [`session::read_session`] — InProc session items;
//! * [`holding`] — objects of a type reachable from each request thread's
//!   stack, through the roots modules (`clr_stack::stack_roots` stack
//!   roots, `clr_heap::roots` object index, references and marking).
//!
//! ```no_run
//! let dump = dump_format::Dump::open("core")?;
//! let rt = clr_heap::Runtime::open(&dump, &Default::default())?;
//! let types = clr_heap::types::TypeSystem::new(&rt);
//! let scan = aspnet::scan::HeapScan::collect(&types, false)?;
//! let found = aspnet::find(&types, &scan);
//! for r in &found.requests {
//!     println!("{:#x} {:?} {:?} finished={}", r.context, r.verb, r.url(), r.finished());
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod collections;
pub mod core;
pub mod detail;
pub mod fields;
pub mod holding;
pub mod request;
pub mod scan;
pub mod session;
pub mod systemweb;
pub mod thread;

pub use fields::{DateTime, Reader};
pub use request::{Flavor, Request, ThreadRef, Timeout, TimeoutFields, dump_ticks};

use clr_heap::types::TypeSystem;
use clr_stack::Threads;

/// `System.Web.HttpRuntime`: the application's state (reference §10.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRuntimeInfo {
    /// The object.
    pub address: u64,
    /// `_appDomainAppId`.
    pub app_id: Option<String>,
    /// `_appDomainAppPath`.
    pub app_path: Option<String>,
    /// `_appDomainAppVPath._virtualPath`.
    pub app_virtual_path: Option<String>,
    /// `_activeRequestCount`.
    pub active_requests: Option<i64>,
    /// `_firstRequestStartTime`.
    pub first_request: Option<DateTime>,
    /// `_shutdownInProgress`.
    pub shutting_down: Option<bool>,
    /// `_shutdownReason` (enum name).
    pub shutdown_reason: Option<String>,
    /// `_shutDownMessage`.
    pub shutdown_message: Option<String>,
}

/// Everything [`find`] found.
#[derive(Debug, Clone)]
pub struct Found {
    /// The requests, oldest first (unknown start times last).
    pub requests: Vec<Request>,
    /// The `HttpRuntime` objects (one per AppDomain).
    pub runtimes: Vec<HttpRuntimeInfo>,
    /// `DefaultHttpContext` objects (ASP.NET Core), counted.
    pub core_contexts: usize,
    /// Why the runtime's thread list could not be read (threads then carry
    /// only what the Thread objects say).
    pub threads_error: Option<String>,
    /// The runtime's threads, when readable.
    pub threads: Option<Threads>,
}

/// Reads every request the heap scan found.
pub fn find(types: &TypeSystem, scan: &scan::HeapScan) -> Found {
    let r = Reader::new(types);
    let threads = Threads::read(types).map_err(|e| e.to_string());
    let tref = threads.as_ref().map_err(String::as_str);
    let mut requests: Vec<Request> =
        scan.contexts.iter().map(|&c| systemweb::read_context(&r, tref, c)).collect();
    requests.extend(scan.kestrel.iter().map(|&k| core::read_kestrel(&r, k)));
    requests.sort_by_key(|q| (q.started.is_none(), q.started.map(|s| s.ticks), q.context));
    let runtimes = scan.runtimes.iter().map(|&a| http_runtime(&r, a)).collect();
    let (threads, threads_error) = match threads {
        Ok(t) => (Some(t), None),
        Err(e) => (None, Some(e)),
    };
    Found { requests, runtimes, core_contexts: scan.core_contexts.len(), threads_error, threads }
}

/// Reads one `HttpRuntime`.
pub fn http_runtime(r: &Reader, a: u64) -> HttpRuntimeInfo {
    HttpRuntimeInfo {
        address: a,
        app_id: r.string(a, &["_appDomainAppId"]),
        app_path: r.string(a, &["_appDomainAppPath"]),
        app_virtual_path: r
            .reference(a, &["_appDomainAppVPath"])
            .and_then(|v| r.string(v, &["_virtualPath"])),
        active_requests: r.int(a, &["_activeRequestCount"]).map(|v| v as i64),
        first_request: r.datetime(a, &["_firstRequestStartTime"]),
        shutting_down: r.boolean(a, &["_shutdownInProgress"]),
        shutdown_reason: match r.field(a, &["_shutdownReason"]) {
            Some(clr_heap::types::Value::Enum { name, .. }) => Some(name),
            _ => None,
        },
        shutdown_message: r.string(a, &["_shutDownMessage"]),
    }
}
