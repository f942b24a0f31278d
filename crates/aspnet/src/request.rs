//! The request model shared by System.Web and ASP.NET Core: one [`Request`]
//! per context object, with every column `requests` prints and where it
//! came from.

use crate::fields::DateTime;

/// Which ASP.NET wrote the objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// .NET Framework System.Web (`HttpContext`).
    SystemWeb,
    /// ASP.NET Core on Kestrel (`HttpProtocol` subclasses).
    Core,
}

impl Flavor {
    /// Short name for output.
    pub fn name(self) -> &'static str {
        match self {
            Flavor::SystemWeb => "System.Web",
            Flavor::Core => "ASP.NET Core",
        }
    }
}

/// Which generation of System.Web's timeout fields the context carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutFields {
    /// .NET 4.5+: `_timeoutTicks`, `_timeoutStartTimeUtcTicks`, `_threadAbortOnTimeout`.
    Net45,
    /// .NET 4.0: `_timeout` (TimeSpan), `_timeoutStartTime` (DateTime), `_timeoutSet`.
    Net40,
}

/// The request's execution timeout (reference §10.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeout {
    /// Which fields held it.
    pub fields: TimeoutFields,
    /// The timeout in ticks (`-1`: not yet read from configuration).
    pub ticks: Option<i64>,
    /// When the timeout clock started (UTC ticks; `-1`: not started).
    pub start_ticks: Option<i64>,
    /// Whether it applies (`_threadAbortOnTimeout` on 4.5+, `_timeoutSet` on 4.0): NetExt's "Not set" otherwise.
    pub enforced: Option<bool>,
    /// `_timeoutState` (4.5+): 0 non-cancelable, 1 cancelable, −1 canceled.
    pub state: Option<i32>,
}

impl Timeout {
    /// The timeout in whole seconds, when it is set and known.
    pub fn seconds(&self) -> Option<i64> {
        match (self.enforced, self.ticks) {
            (Some(false), _) => None,
            (_, Some(t)) if t >= 0 => Some(t / 10_000_000),
            _ => None,
        }
    }
}

/// The thread a request runs on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadRef {
    /// The `System.Threading.Thread` object (`HttpContext._thread`).
    pub object: u64,
    /// Managed thread id.
    pub managed_id: Option<u32>,
    /// OS thread id (`None` when the thread is dead or unknown).
    pub os_id: Option<u32>,
    /// Why the mapping to a runtime thread is incomplete, when it is.
    pub note: Option<String>,
}

/// One request, as `requests` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The context object (`HttpContext`, or Kestrel's `HttpProtocol` object).
    pub context: u64,
    /// Which ASP.NET.
    pub flavor: Flavor,
    /// `HttpContext._request`.
    pub request: Option<u64>,
    /// `HttpContext._response`.
    pub response: Option<u64>,
    /// `HttpContext._wr` (the worker request) and its type name.
    pub worker: Option<(u64, String)>,
    /// HTTP method.
    pub verb: Option<String>,
    /// Path (URI path incl. path info).
    pub path: Option<String>,
    /// Query string without `?`.
    pub query_string: Option<String>,
    /// The full URL as received (`IIS7WorkerRequest._cacheUrl`, `HttpRequest._url`).
    pub full_url: Option<String>,
    /// `HttpRequest._rawUrl`.
    pub raw_url: Option<String>,
    /// Response status code.
    pub status_code: Option<i32>,
    /// `HttpResponse._completed` (after the final flush).
    pub completed: Option<bool>,
    /// `HttpContext._finishPipelineRequestCalled`.
    pub pipeline_finished: Option<bool>,
    /// `HttpResponse._ended` (`Response.End`, redirects).
    pub ended: Option<bool>,
    /// `HttpContext._utcTimestamp`: when the context was created.
    pub started: Option<DateTime>,
    /// `HttpWorkerRequest._startTime`.
    pub worker_started: Option<DateTime>,
    /// The execution timeout.
    pub timeout: Option<Timeout>,
    /// The thread executing it now (`_thread`), `None` when none is.
    pub thread: Option<ThreadRef>,
    /// `HttpContext._items["AspSession"]` (an `HttpSessionState`).
    pub session: Option<u64>,
    /// The session's id, when there is one.
    pub session_id: Option<String>,
    /// In flight with a writable (not read-only) session: System.Web holds
    /// the session's exclusive lock for the whole request.
    pub session_locked: Option<bool>,
    /// Exceptions in `_errors`.
    pub errors: Vec<u64>,
    /// Facts that could not be read, and why.
    pub notes: Vec<String>,
}

impl Request {
    /// Finished as NetExt decides: the response completed or the pipeline
    /// finished.
    pub fn finished(&self) -> bool {
        self.completed == Some(true) || self.pipeline_finished == Some(true)
    }

    /// Whether completion is known at all (either flag was read).
    pub fn completion_known(&self) -> bool {
        self.completed.is_some() || self.pipeline_finished.is_some()
    }

    /// Known to be in flight, and no thread runs it: waiting for asynchronous work.
    pub fn awaiting_async(&self) -> bool {
        self.completion_known()
            && !self.finished()
            && self.thread.is_none()
            && self.flavor == Flavor::SystemWeb
    }

    /// Path and `?query` when there is a query string.
    pub fn url(&self) -> Option<String> {
        let path = self.path.as_deref()?;
        Some(match self.query_string.as_deref() {
            Some(q) if !q.is_empty() => format!("{path}?{q}"),
            _ => path.to_string(),
        })
    }

    /// How long it has been running at `dump_ticks` (UTC ticks): `None`
    /// when finished, or when the start or the dump time is unknown.
    pub fn running_ticks(&self, dump_ticks: Option<u64>) -> Option<i64> {
        if self.finished() {
            return None;
        }
        let start = self.started?.ticks;
        Some(dump_ticks? as i64 - start as i64)
    }
}

/// .NET ticks of 1970-01-01T00:00:00Z.
pub const UNIX_EPOCH_TICKS: u64 = 621_355_968_000_000_000;

/// The dump's write time as .NET UTC ticks, when the dump records it.
pub fn dump_ticks(dump: &dump_format::Dump) -> Option<u64> {
    let t = dump.process().dump_time?;
    let secs = u64::try_from(t.secs).ok()?;
    secs.checked_mul(10_000_000)?.checked_add(UNIX_EPOCH_TICKS)?.checked_add(u64::from(t.nanos / 100))
}
