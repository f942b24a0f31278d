//! `clrscope request DUMP ADDR`: everything one ASP.NET request holds —
//! the `requests` row, headers, form, cookies, server variables, content,
//! items, errors, the response and the session id (NetExt `!whttp ADDR`).

use super::Ctx;
use super::requests::{RequestJson, request_json, running_text, timeout_text};
use crate::exit::{CliError, ExitCode};
use crate::output::{hex_ptr, jhex};
use aspnet::collections::{Entry, text_of};
use aspnet::detail::read_detail;
use aspnet::session::boxed_value;
use aspnet::{Reader, scan};
use clr_heap::types::{TypeSystem, Value};
use clr_stack::Threads;
use serde::Serialize;

#[derive(Serialize)]
struct Pair {
    key: String,
    value: String,
    address: Option<String>,
    #[serde(rename = "type")]
    type_name: Option<String>,
}

#[derive(Serialize)]
struct CollectionJson {
    name: &'static str,
    address: String,
    entries: Vec<Pair>,
    error: Option<String>,
}

#[derive(Serialize)]
struct ErrorJson {
    address: String,
    #[serde(rename = "type")]
    type_name: String,
    message: Option<String>,
}

#[derive(Serialize)]
struct ResponseJson {
    status_code: Option<i32>,
    sub_status: Option<i32>,
    status_description: Option<String>,
    content_type: Option<String>,
    charset: Option<String>,
    redirect_location: Option<String>,
    headers_written: Option<bool>,
    headers: Vec<String>,
}

#[derive(Serialize)]
struct Body {
    request: RequestJson,
    http_request: Option<String>,
    http_response: Option<String>,
    worker_request: Option<String>,
    worker_request_type: Option<String>,
    headers: Vec<Pair>,
    content_type: Option<String>,
    content_length: Option<i64>,
    path_translated: Option<String>,
    collections: Vec<CollectionJson>,
    items: Vec<Pair>,
    items_error: Option<String>,
    errors: Vec<ErrorJson>,
    response: ResponseJson,
}

/// An entry with its value as text: boxed values unboxed, strings as text.
fn pair(r: &Reader, e: &Entry) -> Pair {
    let (address, type_name) = match &e.value {
        Value::Object { address, type_name, .. } => (Some(jhex(*address)), Some(type_name.clone())),
        Value::String { address, .. } => (Some(jhex(*address)), Some("System.String".into())),
        _ => (None, None),
    };
    let value = boxed_value(r, &e.value).map_or_else(|| text_of(&e.value), |b| text_of(&b));
    Pair { key: e.key_text(), value, address, type_name }
}

fn flag(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "true",
        Some(false) => "false",
        None => "?",
    }
}

/// Runs the command.
pub fn run(ctx: &Ctx, address: u64) -> Result<ExitCode, CliError> {
    let rt = ctx.runtime()?;
    let types = TypeSystem::new(&rt);
    let r = Reader::new(&types);
    let name = r
        .type_name(address)
        .ok_or_else(|| CliError::NotFound(format!("{address:#x} is not a valid object")))?;
    let threads = Threads::read(&types).map_err(|e| e.to_string());
    if let Err(e) = &threads {
        ctx.warn(format!("managed threads unreadable ({e}): OS ids unknown"));
    }
    let req = if name == scan::HTTP_CONTEXT {
        aspnet::systemweb::read_context(&r, threads.as_ref().map_err(String::as_str), address)
    } else if name.starts_with("Microsoft.AspNetCore.Server.Kestrel.") {
        aspnet::core::read_kestrel(&r, address)
    } else {
        return Err(CliError::NotFound(format!(
            "{address:#x} is a {name}, not a System.Web.HttpContext or Kestrel request (see `requests`)"
        )));
    };
    let now = aspnet::dump_ticks(ctx.dump);
    let d = read_detail(&r, req);
    let q = &d.request;
    let body = Body {
        request: request_json(q, now),
        http_request: q.request.map(jhex),
        http_response: q.response.map(jhex),
        worker_request: q.worker.as_ref().map(|w| jhex(w.0)),
        worker_request_type: q.worker.as_ref().map(|w| w.1.clone()),
        headers: d
            .headers
            .iter()
            .map(|(k, v)| Pair { key: k.clone(), value: v.clone(), address: None, type_name: None })
            .collect(),
        content_type: d.content_type.clone(),
        content_length: d.content_length,
        path_translated: d.path_translated.clone(),
        collections: d
            .collections
            .iter()
            .map(|c| CollectionJson {
                name: c.name,
                address: jhex(c.address),
                entries: c
                    .entries
                    .as_ref()
                    .map(|e| e.iter().map(|e| pair(&r, e)).collect())
                    .unwrap_or_default(),
                error: c.entries.as_ref().err().cloned(),
            })
            .collect(),
        items: d.items.as_ref().map(|e| e.iter().map(|e| pair(&r, e)).collect()).unwrap_or_default(),
        items_error: d.items.as_ref().err().cloned(),
        errors: d
            .errors
            .iter()
            .map(|(a, t, m)| ErrorJson { address: jhex(*a), type_name: t.clone(), message: m.clone() })
            .collect(),
        response: ResponseJson {
            status_code: d.response.status_code,
            sub_status: d.response.sub_status,
            status_description: d.response.status_description.clone(),
            content_type: d.response.content_type.clone(),
            charset: d.response.charset.clone(),
            redirect_location: d.response.redirect_location.clone(),
            headers_written: d.response.headers_written,
            headers: d.response.headers.clone(),
        },
    };
    let p = ctx.ptr();
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "?".into());
    let text = || {
        let mut s = String::new();
        let mut line = |k: &str, v: String| s += &format!("{k:<18}{v}\n");
        line("HttpContext:", hex_ptr(q.context, p));
        line("Flavor:", q.flavor.name().into());
        line("Verb:", opt(&q.verb));
        line("Url:", q.url().unwrap_or("?".into()));
        line("Full URL:", opt(&q.full_url));
        line("Raw URL:", opt(&q.raw_url));
        line("Status:", q.status_code.map_or("?".into(), |v| v.to_string()));
        let completed = format!(
            "{} (response _completed {}, _ended {}, _finishPipelineRequestCalled {})",
            if q.finished() { "yes" } else { "no" },
            flag(q.completed),
            flag(q.ended),
            flag(q.pipeline_finished)
        );
        line("Completed:", completed);
        line("Start (UTC):", q.started.map_or("?".into(), |d| d.iso()));
        line("Running:", running_text(q, now));
        line("Timeout:", timeout_text(q));
        let thread = q.thread.as_ref().map_or("none".into(), |t| {
            format!(
                "managed {} / OS {} (Thread {})",
                t.managed_id.map_or("?".into(), |v| v.to_string()),
                t.os_id.map_or("-".into(), |v| format!("{v:#x}")),
                hex_ptr(t.object, p)
            )
        });
        line("Thread:", thread);
        line(
            "Session:",
            q.session_id.clone().map_or("none".into(), |id| {
                format!("{id} (HttpSessionState {})", q.session.map_or("?".into(), |a| hex_ptr(a, p)))
            }),
        );
        line("Content-Type:", opt(&d.content_type));
        line("Content-Length:", d.content_length.map_or("?".into(), |v| v.to_string()));
        line("Path translated:", opt(&d.path_translated));
        if let Some(w) = &q.worker {
            line("Worker request:", format!("{} {}", hex_ptr(w.0, p), w.1));
        }
        let mut section = |title: &str, pairs: Vec<(String, String)>| {
            s += &format!("{title}:\n");
            if pairs.is_empty() {
                s += "  (none)\n";
            }
            for (k, v) in pairs {
                s += &format!("  {k}: {v}\n");
            }
        };
        section("Request headers", d.headers.clone());
        for c in &d.collections {
            let pairs = match &c.entries {
                Ok(e) => e
                    .iter()
                    .map(|e| {
                        let p = pair(&r, e);
                        (p.key, p.value)
                    })
                    .collect(),
                Err(err) => vec![("error".into(), err.clone())],
            };
            section(&format!("HttpRequest.{}", c.name), pairs);
        }
        let items = match &d.items {
            Ok(e) => e
                .iter()
                .map(|e| {
                    let p = pair(&r, e);
                    (p.key, p.value)
                })
                .collect(),
            Err(err) => vec![("error".into(), err.clone())],
        };
        section("Items", items);
        let errors = d
            .errors
            .iter()
            .map(|(a, t, m)| (hex_ptr(*a, p), format!("{t} {}", m.as_deref().unwrap_or(""))))
            .collect();
        section("Errors", errors);
        let rs = &d.response;
        let mut resp = vec![
            (
                "Status".into(),
                format!(
                    "{} {}",
                    rs.status_code.map_or("?".into(), |v| v.to_string()),
                    rs.status_description.as_deref().unwrap_or("")
                ),
            ),
            ("Content-Type".into(), format!("{} charset {}", opt(&rs.content_type), opt(&rs.charset))),
        ];
        if let Some(l) = &rs.redirect_location {
            resp.push(("Location".into(), l.clone()));
        }
        resp.extend(rs.headers.iter().map(|h| ("Header".to_string(), h.clone())));
        section("Response", resp);
        for n in &q.notes {
            s += &format!("note: {n}\n");
        }
        s
    };
    ctx.finish("request", &body, text)
}
