//! ASP.NET requests (`aspnet`, `requests`, `session`) against the truth the
//! process recorded: every stand-in `HttpContext` with its verb, URL, query
//! string, status, completion, thread (managed and OS id), timestamps,
//! timeout and a running time equal to dump time − `_utcTimestamp`; session
//! items equal; `requests --holding Shop.Models.OrderDto` names the leaking
//! request and the number of DTOs it leaked.

use aspnet::scan::HeapScan;
use aspnet::session::read_session;
use aspnet::{Reader, Request};
use clr_heap::Runtime;
use clr_heap::types::{TypeSystem, Value};
use serde_json::Value as J;
use std::path::Path;

use testkit::hex;

fn check(name: &str) {
    let Some((dir, truth, dump)) = testkit::open_generated(name) else { return };
    let rt = Runtime::open(&dump, &testkit::clr_options(&dir)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let types = TypeSystem::new(&rt);
    let scan = HeapScan::collect(&types, false).unwrap_or_else(|e| panic!("{name}: {e}"));
    let found = aspnet::find(&types, &scan);
    assert!(found.threads_error.is_none(), "{name}: {:?}", found.threads_error);
    let asp = &truth["asp_net"];
    let want = asp["requests"].as_array().cloned().unwrap_or_default();
    assert!(want.len() >= 10, "{name}: truth lists {} requests", want.len());
    assert_eq!(found.requests.len(), want.len(), "{name}: one request per HttpContext");
    assert_eq!(found.core_contexts, 0, "{name}: no ASP.NET Core objects in the fixture");
    assert!(found.requests.iter().all(|r| r.flavor == aspnet::Flavor::SystemWeb), "{name}: Kestrel requests");
    let starts: Vec<u64> = found.requests.iter().filter_map(|r| r.started.map(|s| s.ticks)).collect();
    assert!(starts.windows(2).all(|w| w[0] <= w[1]), "{name}: not sorted by start time");

    let rts: Vec<u64> = found.runtimes.iter().map(|h| h.address).collect();
    assert_eq!(rts, vec![hex(&asp["http_runtime"]["address"]).unwrap_or(0)], "{name}: HttpRuntime");
    assert_eq!(
        found.runtimes[0].active_requests,
        asp["active_request_count"].as_i64(),
        "{name}: active requests"
    );

    let now = aspnet::dump_ticks(&dump);
    let r = Reader::new(&types);
    for t in &want {
        let rn = t["name"].as_str().unwrap_or("?");
        let ctx = hex(&t["context"]["address"]).unwrap_or(0);
        let q = found
            .requests
            .iter()
            .find(|q| q.context == ctx)
            .unwrap_or_else(|| panic!("{name}: {rn}: not found"));
        check_request(name, rn, t, q, now);
        check_session(name, rn, t, &r, q);
        let errors: Vec<u64> = t["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| truth["exceptions"].as_array()?.iter().find(|x| x["name"] == *e))
            .filter_map(|x| hex(&x["address"]))
            .collect();
        assert_eq!(q.errors, errors, "{name}: {rn}: _errors");
    }
    eprintln!("{name}: {} requests equal the truth; dump time {now:?}", want.len());
    check_holding(name, &dir, &truth);
}

fn check_request(name: &str, rn: &str, t: &J, q: &Request, now: Option<u64>) {
    let s = |k: &str| t[k].as_str().map(str::to_string);
    assert_eq!(q.verb, s("verb"), "{name}: {rn}: verb");
    assert_eq!(q.path, s("path"), "{name}: {rn}: path");
    assert_eq!(q.query_string, s("query_string"), "{name}: {rn}: query string");
    assert_eq!(q.full_url, s("url"), "{name}: {rn}: url");
    assert_eq!(q.raw_url, s("raw_url"), "{name}: {rn}: raw url");
    let (path, query) = (s("path").unwrap_or_default(), s("query_string").unwrap_or_default());
    let url = if query.is_empty() { path } else { format!("{path}?{query}") };
    assert_eq!(q.url(), Some(url), "{name}: {rn}: path?query");
    assert_eq!(q.status_code.map(i64::from), t["status_code"].as_i64(), "{name}: {rn}: status");
    assert_eq!(q.completed, t["completed"].as_bool(), "{name}: {rn}: completed");
    assert_eq!(q.ended, t["ended"].as_bool(), "{name}: {rn}: ended");
    assert_eq!(q.pipeline_finished, t["finish_pipeline_request_called"].as_bool(), "{name}: {rn}: pipeline");
    let in_flight = t["in_flight"].as_bool().unwrap_or(false);
    assert_eq!(q.finished(), !in_flight, "{name}: {rn}: finished");
    assert_eq!(
        q.started.map(|d| d.ticks),
        t["utc_timestamp"]["ticks"].as_u64(),
        "{name}: {rn}: _utcTimestamp"
    );
    assert_eq!(
        q.worker_started.map(|d| d.ticks),
        t["start_time"]["ticks"].as_u64(),
        "{name}: {rn}: _startTime"
    );
    let to = q.timeout.unwrap_or_else(|| panic!("{name}: {rn}: no timeout"));
    assert_eq!(to.fields, aspnet::TimeoutFields::Net45, "{name}: {rn}: timeout fields");
    assert_eq!(to.ticks, t["timeout_ticks"].as_i64(), "{name}: {rn}: timeout");
    assert_eq!(to.start_ticks, t["timeout_start_utc_ticks"].as_i64(), "{name}: {rn}: timeout start");
    assert_eq!(to.state.map(i64::from), t["timeout_state"].as_i64(), "{name}: {rn}: timeout state");
    assert_eq!(to.enforced, t["thread_abort_on_timeout"].as_bool(), "{name}: {rn}: thread abort");
    assert_eq!(to.seconds(), Some(110), "{name}: {rn}: timeout seconds");
    // Running time: dump time − _utcTimestamp (Kind bits masked), only while in flight.
    let ts = t["utc_timestamp"]["ticks"].as_u64().unwrap_or(0);
    let running = q.running_ticks(now);
    match (in_flight, now) {
        (true, Some(n)) => {
            assert_eq!(running, Some(n as i64 - ts as i64), "{name}: {rn}: running");
            assert!(running.is_some_and(|r| r > 0), "{name}: {rn}: started after the dump: {running:?}");
        }
        _ => assert_eq!(running, None, "{name}: {rn}: running (finished or no dump time)"),
    }
    match t["thread"].as_object() {
        None => assert_eq!(q.thread, None, "{name}: {rn}: thread"),
        Some(th) => {
            let got = q.thread.as_ref().unwrap_or_else(|| panic!("{name}: {rn}: no thread"));
            assert_eq!(got.managed_id.map(u64::from), th["managed_id"].as_u64(), "{name}: {rn}: managed id");
            assert_eq!(got.os_id.map(u64::from), th["os_id"].as_u64(), "{name}: {rn}: OS id");
        }
    }
}

fn check_session(name: &str, rn: &str, t: &J, r: &Reader, q: &Request) {
    let want = &t["session"];
    if want.is_null() {
        assert_eq!(q.session, None, "{name}: {rn}: session");
        return;
    }
    assert_eq!(q.session, hex(&want["session_state"]["address"]), "{name}: {rn}: session object");
    assert_eq!(q.session_id.as_deref(), want["id"].as_str(), "{name}: {rn}: session id");
    assert_eq!(
        q.session_locked,
        Some(!q.finished()),
        "{name}: {rn}: writable session locked while in flight"
    );
    let s = read_session(r, q.context).unwrap_or_else(|e| panic!("{name}: {rn}: {e}"));
    assert_eq!(s.id.as_deref(), want["id"].as_str(), "{name}: {rn}: session id");
    assert_eq!(s.timeout_minutes, want["timeout_minutes"].as_i64(), "{name}: {rn}: session timeout");
    assert_eq!(s.mode.as_deref(), want["mode"].as_str(), "{name}: {rn}: session mode");
    let items = want["items"].as_array().cloned().unwrap_or_default();
    let keys: Vec<&str> = s.items.iter().map(|i| i.key.as_str()).collect();
    let want_keys: Vec<&str> = items.iter().filter_map(|i| i["key"].as_str()).collect();
    assert_eq!(keys, want_keys, "{name}: {rn}: session keys");
    for (got, w) in s.items.iter().zip(&items) {
        let v = &w["value"];
        let key = &got.key;
        match v["kind"].as_str() {
            Some("string") => match &got.value {
                Value::String { address, value: Ok(text) } => {
                    assert_eq!(Some(*address), hex(&v["address"]), "{name}: {rn}: {key}");
                    assert_eq!(Some(text.as_str()), v["string"].as_str(), "{name}: {rn}: {key}");
                }
                other => panic!("{name}: {rn}: {key}: {other:?} is not a string"),
            },
            Some("object") => {
                let Value::Object { address, type_name, .. } = &got.value else {
                    panic!("{name}: {rn}: {key}: {:?} is not an object", got.value)
                };
                assert_eq!(Some(*address), hex(&v["address"]), "{name}: {rn}: {key}: address");
                assert_eq!(Some(type_name.as_str()), v["type"].as_str(), "{name}: {rn}: {key}: type");
                let boxed = &v["boxed"];
                match boxed["kind"].as_str() {
                    Some("int") => {
                        let b = got.boxed.as_ref().and_then(Value::as_i128).map(|x| x as i64);
                        assert_eq!(b, boxed["value"].as_i64(), "{name}: {rn}: {key}: boxed");
                    }
                    Some("guid") => {
                        let text = got.boxed.as_ref().map(|b| b.to_string());
                        assert_eq!(text.as_deref(), boxed["value"].as_str(), "{name}: {rn}: {key}: boxed");
                    }
                    _ => assert!(boxed.is_null() == got.boxed.is_none(), "{name}: {rn}: {key}: boxed"),
                }
            }
            other => panic!("{name}: {rn}: {key}: truth kind {other:?} not checked"),
        }
    }
}

/// The CLI's options for a generated dump (as `testkit::clr_options` builds them).
fn dirs(dir: &Path) -> Vec<std::ffi::OsString> {
    let o = testkit::clr_options(dir);
    let mut v = Vec::new();
    for d in &o.runtime_dirs {
        v.extend(["--runtime-dir".into(), d.as_os_str().to_os_string()]);
    }
    for d in &o.assembly_dirs {
        v.extend(["--assembly-dir".into(), d.as_os_str().to_os_string()]);
    }
    v
}

fn check_holding(name: &str, dir: &Path, truth: &J) {
    let leak = truth["generator"]["leak_count"].as_u64().unwrap_or(0);
    let leaking = truth["asp_net"]["requests"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["thread"]["role"] == "request-leak")
        .unwrap_or_else(|| panic!("{name}: no request runs on the request-leak thread"));
    let url = leaking["raw_url"].as_str().unwrap_or("?");
    let mut args = dirs(dir);
    let dump = testkit::arg(&testkit::dump_file(dir));
    args.extend(["requests".into(), dump.clone(), "--holding".into(), "Shop.Models.OrderDto".into()]);
    let text = testkit::clrscope(&args);
    assert_eq!(text.code, 0, "{name}: {}", text.stderr);
    let most = text.stdout.lines().find(|l| l.starts_with("Most Shop.Models.OrderDto:")).unwrap_or("");
    assert!(
        most.contains(url) && most.contains(&format!("holds {leak} objects")),
        "{name}: {most:?}\n{}",
        text.stdout
    );
    args.insert(0, "--json".into());
    let j = testkit::clrscope(&args).json();
    let reqs = j["requests"].as_array().cloned().unwrap_or_default();
    let best = reqs
        .iter()
        .max_by_key(|r| r["holding"]["objects"].as_u64().unwrap_or(0))
        .unwrap_or_else(|| panic!("{name}: no request in {j}"));
    assert_eq!(best["context"], leaking["context"]["address"], "{name}: the leaking request");
    assert_eq!(best["url"].as_str(), Some(url), "{name}: its URL");
    assert_eq!(best["holding"]["objects"].as_u64(), Some(leak), "{name}: DTOs from its stack");
    for r in &reqs {
        let done = r["finished"].as_bool().unwrap_or(false);
        assert_eq!(r["holding"].is_null(), done, "{name}: {}: scanned iff in flight", r["context"]);
    }
    eprintln!("{name}: {url} holds {leak} OrderDto from its stack");
    // The session command reads the same items through the CLI.
    let sleep =
        truth["asp_net"]["requests"].as_array().into_iter().flatten().find(|r| !r["session"].is_null());
    if let Some(s) = sleep {
        let mut a = dirs(dir);
        let ctx = s["context"]["address"].as_str().unwrap_or("0");
        a.extend(["--json".into(), "session".into(), dump, "--request".into(), ctx.into()]);
        let j = testkit::clrscope(&a).json();
        let keys: Vec<&J> = j["items"].as_array().into_iter().flatten().map(|i| &i["key"]).collect();
        let want: Vec<&J> =
            s["session"]["items"].as_array().into_iter().flatten().map(|i| &i["key"]).collect();
        assert_eq!(keys, want, "{name}: session --request keys");
    }
}

testkit::test_each_generated_dump!(check);
