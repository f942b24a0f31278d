//! `clrstack --all --json` against the truth each process recorded: for
//! every parked thread the truth's chain of methods (outermost first)
//! appears in order on its stack; the deadlocked threads show the Monitor
//! wait under the method truth names; the finalizer shows
//! `FinalizerBlocker.Finalize`. Prints how many frames are certain and how
//! many are marked.

use serde_json::Value;
use testkit::{arg, clrscope};

fn run_json(dir: &std::path::Path, args: &[&str]) -> Value {
    let mut a: Vec<std::ffi::OsString> = vec![args[0].into(), arg(&testkit::dump_file(dir))];
    a.extend(args[1..].iter().map(|s| s.into()));
    a.push("--json".into());
    for rd in testkit::clr_options(dir).runtime_dirs {
        a.push("--runtime-dir".into());
        a.push(rd.clone().into_os_string());
        a.push("--assembly-dir".into());
        a.push(rd.into_os_string());
    }
    a.push("--assembly-dir".into());
    a.push(dir.as_os_str().to_os_string());
    let run = clrscope(&a);
    assert_eq!(run.code, 0, "{args:?} on {}: {}", dir.display(), run.stderr);
    run.json()
}

/// The managed methods of a stack, outermost first (the truth's order).
fn methods(thread: &Value) -> Vec<String> {
    let mut v: Vec<String> = thread["frames"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["method"].as_str().map(String::from))
        .collect();
    v.reverse();
    v
}

/// Whether `want` appears in `have` in order (not necessarily adjacent).
fn in_order(have: &[String], want: &[&str]) -> bool {
    let mut it = have.iter();
    want.iter().all(|w| it.any(|h| h == w))
}

fn check(name: &str) {
    let Some(dir) = testkit::generated(name) else { return };
    let truth: Value = testkit::truth(&dir);
    let j = run_json(&dir, &["clrstack", "--all"]);
    let by_id = |id: u64| {
        j["threads"].as_array().into_iter().flatten().find(|t| t["managed_id"].as_u64() == Some(id))
    };
    let (mut threads, mut chains_full) = (0, 0);
    for t in truth["threads"].as_array().into_iter().flatten() {
        if t["alive"] != true {
            continue;
        }
        let role = t["role"].as_str().unwrap_or("?");
        let id = t["managed_id"].as_u64().unwrap_or(0);
        let st = by_id(id).unwrap_or_else(|| panic!("{name}: {role}: managed thread {id} has no stack"));
        let have = methods(st);
        let app: Vec<&str> =
            t["app_frames"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        assert!(in_order(&have, &app), "{name}: {role}: app frames {app:?} not in order in {have:?}");
        let all: Vec<&str> = t["frames"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        if in_order(&have, &all) {
            chains_full += 1;
        } else {
            eprintln!("{name}: {role}: full truth chain {all:?} not all found in {have:?}");
        }
        let blocked = t["blocked_in"].as_str().unwrap_or("");
        if blocked == "System.Threading.Monitor.Enter" {
            // The wait is native (JIT_MonEnter → AwareLock): a runtime Frame
            // sits right above the innermost app frame.
            let frames = st["frames"].as_array().cloned().unwrap_or_default();
            let innermost_app = frames.iter().position(|f| f["method"].as_str() == app.last().copied());
            let frame_below =
                innermost_app.is_some_and(|i| frames[..i].iter().any(|f| f["kind"] == "runtime_frame"));
            assert!(frame_below, "{name}: {role}: no runtime Frame under {:?}", app.last());
        }
        if role == "finalizer" {
            assert!(
                have.iter().any(|m| m == "Shop.Infra.FinalizerBlocker.Finalize"),
                "{name}: finalizer: {have:?}"
            );
        }
        threads += 1;
    }
    assert!(threads >= 10, "{name}: only {threads} truth threads checked");
    let (certain, marked) =
        (j["frames_certain"].as_u64().unwrap_or(0), j["frames_marked"].as_u64().unwrap_or(0));
    eprintln!(
        "{name}: {threads} threads: app chains in order on all, full chains on {chains_full}; frames {certain} certain, {marked} marked"
    );
}

testkit::test_each_generated_dump!(check);
