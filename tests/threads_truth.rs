//! Managed threads (`clr-stack`) against the truth the process recorded:
//! every truth thread is in the runtime's thread list with its managed id,
//! OS id and Thread object; the finalizer is marked; the dead thread is dead;
//! names and last thrown exceptions are the truth's.

use clr_heap::Runtime;
use clr_heap::types::TypeSystem;
use clr_stack::{SpecialThread, Threads};
use dump_format::Dump;
use serde_json::Value;

use testkit::hex;

fn check(name: &str) {
    let Some((dir, truth, dump)) = testkit::open_generated(name) else { return };
    let rt = Runtime::open(&dump, &testkit::clr_options(&dir)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let types = TypeSystem::new(&rt);
    let threads = Threads::read(&types).unwrap_or_else(|e| panic!("{name}: {e}"));
    for c in &threads.diagnostics.checks {
        eprintln!("{name}: {} {} — {}", if c.passed { "ok  " } else { "FAIL" }, c.name, c.detail);
    }
    eprintln!("{name}: layout {:x?}, counts {:?}", threads.layout, threads.counts());
    let failed: Vec<_> = threads.diagnostics.failures().map(|c| c.name.clone()).collect();
    assert!(failed.is_empty(), "{name}: failed thread checks {failed:?}");
    assert_eq!(threads.counts().thread_count as usize, threads.threads.len(), "{name}: ThreadCount");

    let mut checked = 0;
    for t in truth["threads"].as_array().into_iter().flatten() {
        let role = t["role"].as_str().unwrap_or("?");
        let id = t["managed_id"].as_u64().unwrap_or(0) as u32;
        let th = threads
            .by_managed_id(id)
            .unwrap_or_else(|| panic!("{name}: {role}: no managed thread with id {id}"));
        let alive = t["alive"].as_bool().unwrap_or(true);
        assert_eq!(th.is_dead(), !alive, "{name}: {role}: dead");
        if alive {
            assert_eq!(th.os_id.map(u64::from), t["os_id"].as_u64(), "{name}: {role}: OS id");
            assert!(th.dump_thread.is_some(), "{name}: {role}: not mapped to a dump thread");
        }
        let want_obj = hex(&t["thread_object"]["address"]);
        if th.thread_object != want_obj {
            // CoreCLR 2.x: the runtime's object is an Internal.Runtime.Augments.RuntimeThread,
            // wrapped by the System.Threading.Thread the program sees (its `_runtimeThread`).
            let wrapped = want_obj.and_then(|o| types.object(o).ok()).and_then(|o| {
                o.fields.iter().find(|f| f.field.name == "_runtimeThread").and_then(|f| f.value.reference())
            });
            assert_eq!(th.thread_object, wrapped, "{name}: {role}: Thread object (nor its _runtimeThread)");
        }
        let want_name = t["name"].as_str().map(str::to_string);
        assert_eq!(th.name.clone().ok().flatten(), want_name, "{name}: {role}: name");
        if role == "finalizer" {
            assert!(th.special.contains(&SpecialThread::Finalizer), "{name}: finalizer not marked");
        }
        if t["is_threadpool"].as_bool() == Some(true) {
            assert!(
                th.special.contains(&SpecialThread::ThreadpoolWorker),
                "{name}: {role}: not a pool worker"
            );
        }
        if let Some(ex) = t["last_thrown_exception"].as_str() {
            let want = truth["exceptions"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|e| e["name"].as_str() == Some(ex))
                .and_then(|e| hex(&e["address"]));
            assert_eq!(th.last_thrown, want, "{name}: {role}: last thrown exception");
        }
        checked += 1;
    }
    assert!(checked >= 12, "{name}: only {checked} truth threads");
    let fin = threads.threads.iter().filter(|t| t.special.contains(&SpecialThread::Finalizer)).count();
    assert_eq!(fin, 1, "{name}: finalizer threads");
    eprintln!("{name}: {checked} truth threads equal; {} runtime threads", threads.threads.len());
}

testkit::test_each_generated_dump!(check);

/// A .NET Core 2.0 triage dump whose runtime binary is absent: an error, no invented threads.
#[test]
fn third_party_triage_dump_without_runtime() {
    let path = testkit::third_party_dir().join("symstore-triagedump.core");
    if !path.is_file() {
        eprintln!("skipping: {} missing", path.display());
        return;
    }
    let dump = Dump::open(&path).unwrap_or_else(|e| panic!("{e}"));
    match Runtime::open(&dump, &Default::default()) {
        Err(e) => eprintln!("runtime: {e}"),
        Ok(rt) => {
            let types = TypeSystem::new(&rt);
            match Threads::read(&types) {
                Err(e) => eprintln!("threads: {e}"),
                Ok(t) => {
                    panic!("threads invented without the runtime's globals: {} threads", t.threads.len())
                }
            }
        }
    }
}

/// `clrscope threads --json`: the envelope, every truth thread by managed
/// id with its OS id and Thread object; `threads` text has SOS's header.
#[test]
fn cli_threads() {
    for name in ["linux-x64-3.1-wks", "win-x86-3.1-own"] {
        let Some(dir) = testkit::generated(name) else { continue };
        let truth: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("truth.json")).unwrap_or_default())
                .unwrap_or(Value::Null);
        let dump = testkit::arg(&testkit::dump_file(&dir));
        let run = testkit::clrscope(&["threads".into(), dump.clone(), "--json".into()]);
        assert_eq!(run.code, 0, "{name}: {}", run.stderr);
        let j = run.json();
        assert_eq!(j["command"], "threads");
        let rows = j["threads"].as_array().cloned().unwrap_or_default();
        assert_eq!(j["counts"]["thread_count"].as_u64(), Some(rows.len() as u64), "{name}");
        for t in truth["threads"].as_array().into_iter().flatten() {
            let row = rows
                .iter()
                .find(|r| r["managed_id"] == t["managed_id"])
                .unwrap_or_else(|| panic!("{name}: no row for {}", t["role"]));
            assert_eq!(row["dead"].as_bool(), t["alive"].as_bool().map(|a| !a), "{name}: {}", t["role"]);
            if t["alive"].as_bool() == Some(true) {
                assert_eq!(row["os_id"], t["os_id"], "{name}: {}", t["role"]);
            }
            if t["role"] == "finalizer" {
                assert_eq!(row["special"][0], "(Finalizer)", "{name}");
            }
        }
        let text = testkit::clrscope(&["clrthreads".into(), dump]);
        assert_eq!(text.code, 0, "{name}: {}", text.stderr);
        for needle in ["ThreadCount:", "DeadThread:", "ThreadOBJ", "GC Alloc Context", "(Finalizer)", "XXXX"]
        {
            assert!(text.stdout.contains(needle), "{name}: no {needle:?} in\n{}", text.stdout);
        }
    }
}

/// The third-party triage dump without its runtime binary: exit code 3 and
/// the reason, no table.
#[test]
fn cli_threads_without_runtime_binary() {
    let path = testkit::third_party_dir().join("symstore-triagedump.core");
    if !path.is_file() {
        return;
    }
    let run = testkit::clrscope(&["threads".into(), testkit::arg(&path)]);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(run.stderr.contains("runtime"), "{}", run.stderr);
}
