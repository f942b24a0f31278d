//! `clrscope requests DUMP` (alias `aspxpages`): one row per ASP.NET request
//! (System.Web `HttpContext`, Kestrel request), like NetExt `!whttp` /
//! PSSCOR `!aspxpages`; `--holding TYPE` / `--top N`: what each in-flight
//! request's thread keeps reachable from its stack.

use super::Ctx;
use crate::exit::{CliError, ExitCode};
use crate::output::{Table, hex_ptr, jhex};
use aspnet::holding::Holding;
use aspnet::scan::HeapScan;
use aspnet::{Found, Request};
use clr_heap::types::TypeSystem;
use serde::Serialize;

/// The options of `requests`.
pub struct Filter {
    /// Only requests not finished.
    pub running: bool,
    /// Only requests a thread is executing.
    pub with_thread: bool,
    /// Only this status code.
    pub status: Option<i32>,
    /// Only this verb (case-insensitive).
    pub verb: Option<String>,
    /// Count objects of this type reachable from each in-flight request's stack.
    pub holding: Option<String>,
    /// The N types holding the most bytes reachable from each in-flight request's stack.
    pub top: Option<usize>,
}

impl From<&crate::args::RequestsArgs> for Filter {
    fn from(a: &crate::args::RequestsArgs) -> Self {
        Filter {
            running: a.running,
            with_thread: a.with_thread,
            status: a.status,
            verb: a.verb.clone(),
            holding: a.holding.clone(),
            top: a.top,
        }
    }
}

impl Filter {
    fn keeps(&self, r: &Request) -> bool {
        (!self.running || !r.finished())
            && (!self.with_thread || r.thread.is_some())
            && self.status.is_none_or(|s| r.status_code == Some(s))
            && self.verb.as_ref().is_none_or(|v| r.verb.as_ref().is_some_and(|x| x.eq_ignore_ascii_case(v)))
    }
}

#[derive(Serialize)]
pub(super) struct ThreadJson {
    object: String,
    managed_id: Option<u32>,
    os_id: Option<u32>,
    note: Option<String>,
}

#[derive(Serialize)]
pub(super) struct TimeoutJson {
    fields: &'static str,
    seconds: Option<i64>,
    ticks: Option<i64>,
    start_utc_ticks: Option<i64>,
    enforced: Option<bool>,
    state: Option<i32>,
}

#[derive(Serialize)]
struct TypeCount {
    mt: String,
    #[serde(rename = "type")]
    type_name: String,
    objects: u64,
    bytes: u64,
}

#[derive(Serialize)]
struct HoldingJson {
    objects: Option<u64>,
    bytes: Option<u64>,
    reached_objects: u64,
    reached_bytes: u64,
    roots: u64,
    stack_bytes: u64,
    top: Vec<TypeCount>,
}

/// One request as JSON (shared with `request`).
#[derive(Serialize)]
pub(super) struct RequestJson {
    context: String,
    flavor: &'static str,
    verb: Option<String>,
    path: Option<String>,
    query_string: Option<String>,
    url: Option<String>,
    full_url: Option<String>,
    raw_url: Option<String>,
    status_code: Option<i32>,
    completed: Option<bool>,
    finish_pipeline_request_called: Option<bool>,
    ended: Option<bool>,
    finished: bool,
    start_time: Option<String>,
    start_utc_ticks: Option<u64>,
    worker_start_time: Option<String>,
    running_seconds: Option<f64>,
    timeout: Option<TimeoutJson>,
    thread: Option<ThreadJson>,
    awaiting_async: bool,
    session: Option<String>,
    session_id: Option<String>,
    session_locked: Option<bool>,
    errors: Vec<String>,
    notes: Vec<String>,
    /// Only with `--holding` / `--top`: what the thread's stack reaches (null: not scanned).
    #[serde(skip_serializing_if = "Option::is_none")]
    holding: Option<Option<HoldingJson>>,
    /// Only with `--holding` / `--top`: why an in-flight request was not scanned.
    #[serde(skip_serializing_if = "Option::is_none")]
    holding_error: Option<Option<String>>,
}

/// The JSON form of `r` (running time against `now`, dump ticks).
pub(super) fn request_json(r: &Request, now: Option<u64>) -> RequestJson {
    RequestJson {
        context: jhex(r.context),
        flavor: r.flavor.name(),
        verb: r.verb.clone(),
        path: r.path.clone(),
        query_string: r.query_string.clone(),
        url: r.url(),
        full_url: r.full_url.clone(),
        raw_url: r.raw_url.clone(),
        status_code: r.status_code,
        completed: r.completed,
        finish_pipeline_request_called: r.pipeline_finished,
        ended: r.ended,
        finished: r.finished(),
        start_time: r.started.map(|d| d.iso()),
        start_utc_ticks: r.started.map(|d| d.ticks),
        worker_start_time: r.worker_started.map(|d| d.iso()),
        running_seconds: r.running_ticks(now).map(|t| t as f64 / 1e7),
        timeout: r.timeout.map(|t| TimeoutJson {
            fields: match t.fields {
                aspnet::TimeoutFields::Net45 => "4.5+",
                aspnet::TimeoutFields::Net40 => "4.0",
            },
            seconds: t.seconds(),
            ticks: t.ticks,
            start_utc_ticks: t.start_ticks,
            enforced: t.enforced,
            state: t.state,
        }),
        thread: r.thread.as_ref().map(|t| ThreadJson {
            object: jhex(t.object),
            managed_id: t.managed_id,
            os_id: t.os_id,
            note: t.note.clone(),
        }),
        awaiting_async: r.awaiting_async(),
        session: r.session.map(jhex),
        session_id: r.session_id.clone(),
        session_locked: r.session_locked,
        errors: r.errors.iter().map(|&e| jhex(e)).collect(),
        notes: r.notes.clone(),
        holding: None,
        holding_error: None,
    }
}

#[derive(Serialize)]
struct RuntimeJson {
    address: String,
    app_id: Option<String>,
    app_path: Option<String>,
    app_virtual_path: Option<String>,
    active_requests: Option<i64>,
    first_request: Option<String>,
    shutting_down: Option<bool>,
    shutdown_reason: Option<String>,
}

#[derive(Serialize)]
struct Body {
    dump_time: Option<String>,
    http_runtimes: Vec<RuntimeJson>,
    core_http_contexts: usize,
    holding_type: Option<String>,
    holding_mts: Vec<String>,
    requests: Vec<RequestJson>,
}

/// Text cells shared with `request`: running time and timeout.
pub(super) fn running_text(r: &Request, now: Option<u64>) -> String {
    if r.finished() {
        return "Finished".into();
    }
    if !r.completion_known() {
        return "?".into();
    }
    match r.running_ticks(now) {
        Some(t) if t >= 0 => {
            let s = t / 10_000_000;
            format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
        }
        Some(t) => format!("-{}s (clock skew)", -t / 10_000_000),
        None => "?".into(),
    }
}

pub(super) fn timeout_text(r: &Request) -> String {
    match r.timeout {
        Some(t) if t.enforced == Some(false) => "Not set".into(),
        Some(t) => t.seconds().map_or("?".into(), |s| format!("{s} Sec")),
        None => "-".into(),
    }
}

/// Runs the command.
pub fn run(ctx: &Ctx, f: &Filter) -> Result<ExitCode, CliError> {
    let rt = ctx.runtime()?;
    let types = TypeSystem::new(&rt);
    let want_reach = f.holding.is_some() || f.top.is_some();
    let scan = HeapScan::collect(&types, want_reach)?;
    if scan.invalid > 0 {
        ctx.warn(format!("the heap walk met {} invalid objects (see `dumpheap`)", scan.invalid));
    }
    let found = aspnet::find(&types, &scan);
    if let Some(e) = &found.threads_error {
        ctx.warn(format!("managed threads unreadable ({e}): OS ids unknown"));
    }
    let now = aspnet::dump_ticks(ctx.dump);
    if now.is_none() {
        ctx.warn("the dump records no time of writing: running times are unknown (start times are shown)");
    }
    if let Some(n) =
        found.requests.iter().flat_map(|r| &r.notes).find(|n| n.contains("fields are unreadable"))
    {
        ctx.warn(format!("{n} (a heap-only dump may need --assembly-dir / --runtime-dir)"));
    }
    let rows: Vec<&Request> = found.requests.iter().filter(|r| f.keeps(r)).collect();
    let mts = f.holding.as_deref().map(|t| scan.matching_mts(t)).unwrap_or_default();
    if let Some(t) = &f.holding {
        if mts.is_empty() {
            ctx.warn(format!("no object of a type named {t:?} is on the heap"));
        }
    }
    let held: Vec<Option<Result<Holding, String>>> = if want_reach {
        super::requests_held::held_by(&types, &scan, &rows)
    } else {
        rows.iter().map(|_| None).collect()
    };
    let top_n = f.top.unwrap_or(0);
    let name = |mt: u64| scan.names.get(&mt).cloned().unwrap_or_default();
    let mut body = Body {
        dump_time: ctx.dump.process().dump_time.map(|t| t.to_rfc3339()),
        http_runtimes: found.runtimes.iter().map(runtime_json).collect(),
        core_http_contexts: found.core_contexts,
        holding_type: f.holding.clone(),
        holding_mts: mts.iter().map(|&m| jhex(m)).collect(),
        requests: Vec::new(),
    };
    for (r, h) in rows.iter().zip(&held) {
        let mut j = request_json(r, now);
        if want_reach {
            j.holding_error = Some(h.as_ref().and_then(|h| h.as_ref().err().cloned()));
            j.holding = Some(h.as_ref().and_then(|h| h.as_ref().ok()).map(|h| {
                let (o, b) = h.of(&mts);
                HoldingJson {
                    objects: f.holding.as_ref().map(|_| o),
                    bytes: f.holding.as_ref().map(|_| b),
                    reached_objects: h.reached,
                    reached_bytes: h.reached_bytes,
                    roots: h.roots,
                    stack_bytes: h.stack_bytes,
                    top: h
                        .top(top_n)
                        .into_iter()
                        .map(|(mt, objects, bytes)| TypeCount {
                            mt: jhex(mt),
                            type_name: name(mt),
                            objects,
                            bytes,
                        })
                        .collect(),
                }
            }));
        }
        body.requests.push(j);
    }
    let text = || text(ctx, &found, &rows, &held, f, &mts, now, &name);
    ctx.finish("requests", &body, text)
}

fn runtime_json(h: &aspnet::HttpRuntimeInfo) -> RuntimeJson {
    RuntimeJson {
        address: jhex(h.address),
        app_id: h.app_id.clone(),
        app_path: h.app_path.clone(),
        app_virtual_path: h.app_virtual_path.clone(),
        active_requests: h.active_requests,
        first_request: h.first_request.map(|d| d.iso()),
        shutting_down: h.shutting_down,
        shutdown_reason: h.shutdown_reason.clone(),
    }
}

#[allow(clippy::too_many_arguments)]
fn text(
    ctx: &Ctx,
    found: &Found,
    rows: &[&Request],
    held: &[Option<Result<Holding, String>>],
    f: &Filter,
    mts: &[u64],
    now: Option<u64>,
    name: &dyn Fn(u64) -> String,
) -> String {
    let p = ctx.ptr();
    let mut out = String::new();
    for h in &found.runtimes {
        out += &format!(
            "HttpRuntime {}  app {}  path {}  active requests {}\n",
            hex_ptr(h.address, p),
            h.app_id.as_deref().unwrap_or("?"),
            h.app_path.as_deref().unwrap_or("?"),
            h.active_requests.map_or("?".into(), |v| v.to_string())
        );
    }
    if found.requests.is_empty() {
        out +=
            "No ASP.NET requests found (no System.Web.HttpContext or Kestrel request object on the heap).\n";
        return out;
    }
    let mut head = vec![
        "HttpContext",
        "Start (UTC)",
        "Completed",
        ">Timeout",
        ">Running",
        ">ThreadId",
        ">OSID",
        ">Status",
        "Verb",
        "Flags",
    ];
    if f.holding.is_some() {
        head.extend([">Held", ">HeldBytes"]);
    }
    head.push("Url");
    let mut t = Table::new(&head);
    for (r, h) in rows.iter().zip(held) {
        let th = r.thread.as_ref();
        let mut flags = String::new();
        flags += if r.session_locked == Some(true) { "S" } else { "" };
        flags += if r.awaiting_async() { "A" } else { "" };
        flags += if r.errors.is_empty() { "" } else { "E" };
        let mut row = vec![
            hex_ptr(r.context, p),
            r.started.map_or("?".into(), |d| d.iso()),
            match (r.finished(), r.completion_known()) {
                (true, _) => "yes".into(),
                (false, true) => "no".into(),
                (false, false) => "?".into(),
            },
            timeout_text(r),
            running_text(r, now),
            th.map_or("XXX".into(), |t| t.managed_id.map_or("?".into(), |v| v.to_string())),
            th.and_then(|t| t.os_id).map_or("-".into(), |v| format!("{v:x}")),
            r.status_code.map_or("?".into(), |v| v.to_string()),
            r.verb.clone().unwrap_or("NA".into()),
            if flags.is_empty() { "-".into() } else { flags },
        ];
        if f.holding.is_some() {
            let (c, b) = match h {
                Some(Ok(h)) => {
                    let (c, b) = h.of(mts);
                    (c.to_string(), b.to_string())
                }
                Some(Err(_)) => ("?".into(), "?".into()),
                None => ("-".into(), "-".into()),
            };
            row.extend([c, b]);
        }
        row.push(r.url().unwrap_or("?".into()));
        t.row(row);
    }
    out += &t.render();
    let in_flight = rows.iter().filter(|r| !r.finished()).count();
    let threaded = rows.iter().filter(|r| r.thread.is_some()).count();
    out += &format!(
        "{} request(s), {in_flight} in flight, {threaded} on a thread. Flags: S session lock held, A awaiting async work (no thread), E errors.\n",
        rows.len()
    );
    if found.core_contexts > 0 {
        out += &format!("{} ASP.NET Core DefaultHttpContext object(s) on the heap.\n", found.core_contexts);
    }
    if let Some(ty) = &f.holding {
        out += &super::requests_held::summary(ty, rows, held, mts, p);
    }
    if let Some(n) = f.top {
        out += &super::requests_held::top_text(rows, held, n, p, name);
    }
    out
}
