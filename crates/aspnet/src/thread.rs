//! `HttpContext._thread` (a `System.Threading.Thread`) → the runtime's
//! managed thread, its managed and OS id.
//!
//! The runtime's `Thread::m_ExposedObject` is the `System.Threading.Thread`
//! itself on CoreCLR 3.x and .NET Framework; on CoreCLR 2.x it is an
//! `Internal.Runtime.Augments.RuntimeThread`, which the program's `Thread`
//! wraps in `_runtimeThread`. Both are matched.

use crate::fields::Reader;
use crate::request::ThreadRef;
use clr_stack::Threads;

/// The managed id field across versions.
const MANAGED_ID: [&str; 2] = ["_managedThreadId", "m_ManagedThreadId"];

/// Maps the Thread object `obj`; `threads` is the runtime's thread list, or
/// why it could not be read.
pub fn map_thread(r: &Reader, threads: Result<&Threads, &str>, obj: u64) -> ThreadRef {
    let inner = r.reference(obj, &["_runtimeThread"]);
    let own_id = || {
        r.int(obj, &MANAGED_ID)
            .or_else(|| inner.and_then(|i| r.int(i, &MANAGED_ID)))
            .and_then(|v| u32::try_from(v).ok())
    };
    let threads = match threads {
        Ok(t) => t,
        Err(why) => {
            return ThreadRef {
                object: obj,
                managed_id: own_id(),
                os_id: None,
                note: Some(format!("the runtime's thread list is unreadable: {why}")),
            };
        }
    };
    let found = threads
        .threads
        .iter()
        .find(|t| t.thread_object.is_some_and(|o| o == obj || Some(o) == inner))
        .or_else(|| own_id().and_then(|id| threads.by_managed_id(id)));
    match found {
        Some(t) => ThreadRef {
            object: obj,
            managed_id: t.managed_id.or_else(own_id),
            os_id: if t.is_dead() { None } else { t.os_id },
            note: t.is_dead().then(|| "the thread has ended".to_string()),
        },
        None => ThreadRef {
            object: obj,
            managed_id: own_id(),
            os_id: None,
            note: Some("no runtime thread exposes this Thread object".into()),
        },
    }
}
