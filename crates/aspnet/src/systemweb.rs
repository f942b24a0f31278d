//! System.Web's request objects (reference §10): `HttpContext` →
//! `HttpRequest`, `HttpResponse`, the worker request, session; every
//! column of `requests` from the fields NetExt and PSSCOR read (§10.7),
//! the worker request's eagerly filled fields first.

use crate::collections::{self, text_of};
use crate::fields::Reader;
use crate::request::{Flavor, Request, Timeout, TimeoutFields};
use crate::thread::map_thread;
use clr_heap::types::Value;
use clr_stack::Threads;

/// `SessionStateUtility.SESSION_KEY`: the session's key in `HttpContext._items`.
pub const SESSION_KEY: &str = "AspSession";

/// Reads the `HttpContext` at `ctx`. Never fails: what cannot be read is
/// `None` with a note.
pub fn read_context(r: &Reader, threads: Result<&Threads, &str>, ctx: u64) -> Request {
    let mut notes = Vec::new();
    if let Some(e) = r.fields_error(ctx) {
        notes.push(format!("the HttpContext's fields are unreadable: {e}"));
    }
    let request = r.reference(ctx, &["_request"]);
    let response = r.reference(ctx, &["_response"]);
    let wr = r.reference(ctx, &["_wr"]).or_else(|| request.and_then(|q| r.reference(q, &["_wr"])));
    let worker = wr.map(|w| (w, r.type_name(w).unwrap_or_default()));
    let on_wr = |names: &[&str]| wr.and_then(|w| r.string(w, names));
    let on_req = |names: &[&str]| request.and_then(|q| r.string(q, names));
    let vpath = |names: &[&str]| {
        request.and_then(|q| r.reference(q, names)).and_then(|p| r.string(p, &["_virtualPath"]))
    };

    // IIS7WorkerRequest fills _httpVerb/_path/_queryString when the request
    // starts; ISAPIWorkerRequest names the verb _method; HttpRequest's own
    // fields are lazy and only a fallback.
    let verb = on_wr(&["_httpVerb", "_method"])
        .or_else(|| on_req(&["_httpMethod", "_requestType"]))
        .or_else(|| request.and_then(|q| verb_enum(r, q)));
    let path = on_wr(&["_path"]).or_else(|| vpath(&["_path"])).or_else(|| vpath(&["_filePath"]));
    let full_url = on_wr(&["_cacheUrl"]).or_else(|| {
        request.and_then(|q| r.reference(q, &["_url"])).and_then(|u| r.string(u, &["m_String", "_string"]))
    });
    let query_string = on_wr(&["_queryString"])
        .or_else(|| on_req(&["_queryStringText"]))
        .or_else(|| full_url.as_deref().map(|u| u.split_once('?').map_or("", |(_, q)| q).to_string()));
    if verb.is_none() {
        notes.push("no verb in the worker request or HttpRequest".into());
    }
    if path.is_none() {
        notes.push("no path in the worker request or HttpRequest".into());
    }
    let on_resp = |names: &[&str]| response.and_then(|p| r.int(p, names));
    let thread = r.reference(ctx, &["_thread"]).map(|t| map_thread(r, threads, t));
    let items = r.reference(ctx, &["_items"]);
    let session = items.and_then(|i| find_key(r, i, SESSION_KEY));
    let container = session.and_then(|s| r.reference(s, &["_container"]));
    let mut req = Request {
        context: ctx,
        flavor: Flavor::SystemWeb,
        request,
        response,
        worker,
        verb,
        path,
        query_string,
        full_url,
        raw_url: on_req(&["_rawUrl"]),
        status_code: on_resp(&["_statusCode"]).map(|v| v as i32),
        completed: on_resp(&["_completed"]).map(|v| v != 0),
        pipeline_finished: r.boolean(ctx, &["_finishPipelineRequestCalled"]),
        ended: on_resp(&["_ended"]).map(|v| v != 0),
        started: r.datetime(ctx, &["_utcTimestamp"]),
        worker_started: wr.and_then(|w| r.datetime(w, &["_startTime"])),
        timeout: timeout(r, ctx),
        thread,
        session,
        session_id: container.and_then(|c| r.string(c, &["_id"])),
        session_locked: None,
        errors: errors(r, ctx),
        notes,
    };
    if req.started.is_none() {
        req.notes.push("no _utcTimestamp: start and running time unknown".into());
    }
    if let Some(c) = container {
        let read_only = r.boolean(c, &["_isReadonly"]);
        req.session_locked = read_only.map(|ro| !ro && !req.finished());
    }
    req
}

/// `HttpRequest._httpVerb` (the `HttpVerb` enum) when it names a verb.
fn verb_enum(r: &Reader, request: u64) -> Option<String> {
    match r.field(request, &["_httpVerb"])? {
        Value::Enum { name, .. }
            if name != "Unparsed" && name != "Unknown" && !name.starts_with(char::is_numeric) =>
        {
            Some(name)
        }
        _ => None,
    }
}

/// The timeout fields, 4.5+ first (reference §10.1).
fn timeout(r: &Reader, ctx: u64) -> Option<Timeout> {
    let int = |n: &str| r.int(ctx, &[n]).map(|v| v as i64);
    if r.has_field(ctx, "_timeoutTicks") {
        return Some(Timeout {
            fields: TimeoutFields::Net45,
            ticks: int("_timeoutTicks"),
            start_ticks: int("_timeoutStartTimeUtcTicks"),
            enforced: r.boolean(ctx, &["_threadAbortOnTimeout"]),
            state: int("_timeoutState").map(|v| v as i32),
        });
    }
    if r.has_field(ctx, "_timeout") {
        return Some(Timeout {
            fields: TimeoutFields::Net40,
            ticks: r.timespan(ctx, &["_timeout"]),
            start_ticks: r.datetime(ctx, &["_timeoutStartTime"]).map(|d| d.ticks as i64),
            enforced: r.boolean(ctx, &["_timeoutSet"]),
            state: None,
        });
    }
    None
}

/// The exceptions in `HttpContext._errors` (an ArrayList).
fn errors(r: &Reader, ctx: u64) -> Vec<u64> {
    let Some(list) = r.reference(ctx, &["_errors"]) else { return Vec::new() };
    collections::array_list(r, list)
        .unwrap_or_default()
        .iter()
        .filter_map(Value::reference)
        .filter(|&a| a != 0)
        .collect()
}

/// The object stored under the string key `key` in a collection.
pub fn find_key(r: &Reader, coll: u64, key: &str) -> Option<u64> {
    let entries = collections::entries(r, coll).ok()?;
    entries
        .iter()
        .find(|e| text_of(&e.key) == key && matches!(e.key, Value::String { .. }))?
        .value
        .reference()
}
