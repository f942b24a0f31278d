//! ASP.NET requests (`requests`), as plain facts: which are in flight, for
//! how long, on which thread.

use crate::triage::evidence::ser_hex;
use clr_heap::types::TypeSystem;
use dump_format::Dump;
use serde::Serialize;

/// One request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestFact {
    /// The context object (`HttpContext`).
    #[serde(serialize_with = "ser_hex")]
    pub context: u64,
    /// HTTP method.
    pub verb: Option<String>,
    /// Path and query.
    pub url: Option<String>,
    /// Response status.
    pub status_code: Option<i32>,
    /// Finished (response completed or pipeline finished).
    pub finished: bool,
    /// When it started (`HttpContext._utcTimestamp`), .NET UTC ticks.
    pub started_ticks: Option<u64>,
    /// Seconds it has been running at dump time (in-flight requests with a known start).
    pub running_seconds: Option<f64>,
    /// The executing thread's managed id.
    pub managed_id: Option<u32>,
    /// The executing thread's OS id.
    pub os_id: Option<u32>,
}

impl RequestFact {
    /// `POST /api/orders/import`.
    pub fn label(&self) -> String {
        format!("{} {}", self.verb.as_deref().unwrap_or("?"), self.url.as_deref().unwrap_or("?"))
    }
}

/// Every request on the heap, oldest first.
pub fn collect(dump: &Dump, types: &TypeSystem) -> Result<Vec<RequestFact>, String> {
    let scan = aspnet::scan::HeapScan::collect(types, false).map_err(|e| e.to_string())?;
    let found = aspnet::find(types, &scan);
    let now = aspnet::dump_ticks(dump);
    Ok(found
        .requests
        .iter()
        .map(|r| RequestFact {
            context: r.context,
            verb: r.verb.clone(),
            url: r.url(),
            status_code: r.status_code,
            finished: r.finished(),
            started_ticks: r.started.map(|d| d.ticks),
            running_seconds: r.running_ticks(now).map(|t| t as f64 / 1e7),
            managed_id: r.thread.as_ref().and_then(|t| t.managed_id),
            os_id: r.thread.as_ref().and_then(|t| t.os_id),
        })
        .collect())
}
