//! Roots and liveness (`clr_heap::roots`, `clr_stack::roots`) against the
//! truth the process recorded, on every generated dump: each truth GC handle
//! is found with its kind and target; the leaking DTO list is rooted from
//! its static; in-flight request stand-ins are rooted only from their
//! threads' stacks; every object the truth names is live, and the
//! finalizer-pending objects are alive only through the finalization queue
//! (the objects the truth says became unreachable); the deadlocked threads
//! are reported as a deadlock over the right lock objects.

use clr_heap::Runtime;
use clr_heap::roots::{HandleKind, RootKind};
use clr_heap::types::TypeSystem;
use clr_stack::Threads;
use clr_stack::roots::RootSet;
use serde_json::Value;

use testkit::hex;

fn kind_of(truth: &str) -> Option<HandleKind> {
    Some(match truth {
        "Normal" => HandleKind::Strong,
        "Weak" => HandleKind::WeakShort,
        "WeakTrackResurrection" => HandleKind::WeakLong,
        "Pinned" => HandleKind::Pinned,
        _ => return None,
    })
}

fn check(name: &str) {
    let Some((dir, truth, dump)) = testkit::open_generated(name) else { return };
    let rt = Runtime::open(&dump, &testkit::clr_options(&dir)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let types = TypeSystem::new(&rt);
    let threads = Threads::read(&types).unwrap_or_else(|e| panic!("{name}: {e}"));
    let t0 = std::time::Instant::now();
    let mut set = RootSet::collect(&types, &threads).unwrap_or_else(|e| panic!("{name}: {e}"));
    for c in &set.diagnostics.checks {
        eprintln!("{name}: {} {} — {}", if c.passed { "ok  " } else { "FAIL" }, c.name, c.detail);
    }
    eprintln!("{name}: {:?} statics {:?} in {:?}", set.liveness.stats, set.statics, t0.elapsed());
    let failed: Vec<_> = set.diagnostics.failures().map(|c| c.name.clone()).collect();
    assert!(failed.is_empty(), "{name}: failed root checks {failed:?}");

    // Every truth handle, with its kind and target.
    let handles = set.handles.as_ref().unwrap_or_else(|e| panic!("{name}: handles: {e}"));
    for h in truth["gc_handles"].as_array().into_iter().flatten() {
        let hname = h["name"].as_str().unwrap_or("?");
        let addr = hex(&h["handle_address"]).unwrap_or(0);
        let found = handles.iter().find(|x| x.address == addr);
        match hex(&h["target"]["address"]) {
            None => assert!(found.is_none(), "{name}: {hname}: a dead handle's slot is empty"),
            Some(target) => {
                let f = found.unwrap_or_else(|| panic!("{name}: {hname}: handle {addr:#x} not found"));
                assert_eq!(Some(f.kind), h["kind"].as_str().and_then(kind_of), "{name}: {hname}: kind");
                assert_eq!(f.object, target, "{name}: {hname}: target");
            }
        }
    }
    let objects = &truth["objects"];
    let obj = |k: &str| hex(&objects[k]["address"]).unwrap_or_else(|| panic!("{name}: no object {k}"));

    // The leak: List<OrderDto> rooted from Shop.Services.OrderCache.s_all.
    let list = obj("leak-list");
    let paths = set.paths_to(list);
    let from_static = paths.iter().any(|p| {
        let r = &set.liveness.roots[p.root];
        matches!(&r.kind, RootKind::Static { type_name, field } if type_name == "Shop.Services.OrderCache" && field == "s_all")
            && p.chain == [list]
    });
    assert!(
        from_static,
        "{name}: leak-list not rooted from OrderCache.s_all: {:?}",
        paths.iter().map(|p| (&set.liveness.roots[p.root], p.chain.len())).collect::<Vec<_>>()
    );
    let dto = obj("leaked-dto-last");
    assert!(
        set.paths_to(dto).iter().any(|p| p.chain.contains(&list)),
        "{name}: last DTO not through the list"
    );

    // In-flight requests: only their own thread's stack roots them — apart
    // from the fixture's own bookkeeping statics, which hold every object the
    // truth names (`Shop.Program.s_named`, `s_verify`), every request
    // (`Shop.Web.Requests.All`) and the first instance of every app type
    // (`Shop.Infra.Census.First`). Chains through those are set aside.
    const BOOKKEEPING: &[(&str, &str)] = &[
        ("Shop.Program", "s_named"),
        ("Shop.Program", "s_verify"),
        ("Shop.Web.Requests", "All"),
        ("Shop.Infra.Census", "First"),
    ];
    let mut census: Vec<u64> = set
        .liveness
        .roots
        .iter()
        .filter(|r| matches!(&r.kind, RootKind::Static { type_name, field } if BOOKKEEPING.contains(&(type_name.as_str(), field.as_str()))))
        .map(|r| r.object)
        .collect();
    assert!(census.len() >= 3, "{name}: bookkeeping statics not all found: {census:x?}");
    // Their lists' item arrays too: a stale stack slot may hold one.
    for o in census.clone() {
        set.liveness.refs.for_each(o, |_, v| census.push(v));
    }
    let mut requests = 0;
    for r in truth["asp_net"]["requests"].as_array().into_iter().flatten() {
        let Some(os) = r["thread"]["os_id"].as_u64() else { continue };
        let rname = r["name"].as_str().unwrap_or("?");
        let ctx = hex(&r["context"]["address"]).unwrap_or(0);
        let paths = set.paths_to(ctx);
        let own = |k: &RootKind| matches!(k, RootKind::Stack { os_id, .. } if u64::from(*os_id) == os);
        assert!(
            paths.iter().any(|p| own(&set.liveness.roots[p.root].kind)),
            "{name}: {rname}: not rooted from its thread {os:#x}"
        );
        // Stack roots are conservative (every stack word that is an object start):
        // a stale slot on another thread's stack may also reach the request, and
        // is reported as conservative. What must never root it is anything else.
        let conservative = |k: &RootKind| matches!(k, RootKind::Stack { conservative: true, .. });
        let others: Vec<_> = paths
            .iter()
            .filter(|p| {
                let k = &set.liveness.roots[p.root].kind;
                !own(k) && !conservative(k) && !p.chain.iter().any(|o| census.contains(o))
            })
            .map(|p| (&set.liveness.roots[p.root], &p.chain))
            .collect();
        assert!(others.is_empty(), "{name}: {rname}: also rooted by {others:x?}");
        requests += 1;
    }
    assert_eq!(requests, 4, "{name}: in-flight requests");

    // Liveness: everything the truth names is live; finalizer-pending objects
    // only through the f-reachable queue.
    let mut named = 0;
    for (k, o) in objects.as_object().into_iter().flatten() {
        let Some(a) = hex(&o["address"]) else { continue };
        assert_eq!(set.liveness.is_live(a), Some(true), "{name}: object {k} at {a:#x} not live");
        named += 1;
    }
    let fin = &truth["finalization"];
    for p in fin["pending"].as_array().into_iter().flatten() {
        let a = hex(&p["address"]).unwrap_or(0);
        assert_eq!(set.liveness.is_live(a), Some(true), "{name}: pending {a:#x} not live");
        let paths: Vec<_> =
            set.paths_to(a).into_iter().filter(|p| !p.chain.iter().any(|o| census.contains(o))).collect();
        assert!(
            !paths.is_empty()
                && paths.iter().all(|p| set.liveness.roots[p.root].kind == RootKind::FinalizerQueue),
            "{name}: pending {a:#x} rooted by {:?}",
            paths.iter().map(|p| &set.liveness.roots[p.root]).collect::<Vec<_>>()
        );
    }
    // The deadlock: two threads, each waiting to enter the lock the other owns.
    let monitors = clr_stack::monitors::Monitors::read(&rt, &threads, &set.liveness.index)
        .unwrap_or_else(|e| panic!("{name}: monitors: {e}"));
    for c in &monitors.diagnostics.checks {
        eprintln!("{name}: {} {} — {}", if c.passed { "ok  " } else { "FAIL" }, c.name, c.detail);
    }
    let os = |t: usize| threads.threads[t].os_id.map(u64::from);
    for m in &monitors.monitors {
        eprintln!(
            "{name}: syncblk {} {:#x} obj {:#x} state {:#x} held {} rec {} owner {:?} enter {:?} wait {:?}",
            m.block.index,
            m.block.address,
            m.block.object,
            m.block.lock_state,
            m.block.monitor_held(),
            m.block.recursion,
            m.owner.and_then(os),
            m.enter_waiters.iter().map(|&t| os(t)).collect::<Vec<_>>(),
            m.wait_waiters.iter().map(|&t| os(t)).collect::<Vec<_>>()
        );
    }
    let locks = truth["locks"].as_array().cloned().unwrap_or_default();
    let lock = |n: &str| locks.iter().find(|l| l["name"] == n).cloned().unwrap_or_default();
    let (stock, order) = (lock("deadlock-stock-lock"), lock("deadlock-order-lock"));
    assert_eq!(monitors.deadlocks.len(), 1, "{name}: deadlocks {:?}", monitors.deadlocks);
    let mut got: Vec<(Option<u64>, u64, Option<u64>)> = monitors.deadlocks[0]
        .edges
        .iter()
        .map(|&(t, m)| {
            let mon = &monitors.monitors[m];
            (os(t), mon.block.object, mon.owner.and_then(os))
        })
        .collect();
    got.sort();
    let mut want = vec![
        (
            order["enter_waiters"][0]["os_id"].as_u64(),
            hex(&order["address"]).unwrap_or(0),
            order["owner"]["os_id"].as_u64(),
        ),
        (
            stock["enter_waiters"][0]["os_id"].as_u64(),
            hex(&stock["address"]).unwrap_or(0),
            stock["owner"]["os_id"].as_u64(),
        ),
    ];
    want.sort();
    assert_eq!(got, want, "{name}: deadlock (waiter, lock object, owner)");
    let failed: Vec<_> = monitors.diagnostics.failures().map(|c| c.name.clone()).collect();
    assert!(failed.is_empty(), "{name}: failed monitor checks {failed:?}");

    // Every instance of an app type is reachable or finalizer-pending (the
    // truth's exact counts): the live statistics count each one. The leaked
    // list's array (200,000 elements) is marked in pieces, so this proves the
    // piecewise reading reaches every element.
    let free_mt = rt.mt_cache().free_mt();
    let live = set.stat(free_mt, true);
    let mut exact = 0;
    for ty in truth["types"].as_array().into_iter().flatten() {
        let Some(mt) = hex(&ty["mt"]).filter(|_| ty["count_semantics"] == "exact") else { continue };
        let got = live.types.iter().find(|t| t.mt == mt).map_or(0, |t| t.count);
        assert_eq!(Some(got), ty["count"].as_u64(), "{name}: live {}", ty["type"]);
        exact += 1;
    }
    assert!(exact >= 20, "{name}: only {exact} exact types");

    eprintln!(
        "{name}: {named} named objects live; {} pending only f-reachable",
        fin["pending"].as_array().map_or(0, |v| v.len())
    );
}

/// `COMMAND DUMP [ARGS…] --json` through the CLI, as a user types it.
fn cli(dir: &std::path::Path, args: &[&str]) -> Value {
    let mut a: Vec<std::ffi::OsString> = vec![args[0].into(), testkit::arg(&testkit::dump_file(dir))];
    a.extend(args[1..].iter().map(|s| s.into()));
    a.push("--json".into());
    // A heap-only dump lacks the images: the app's folder and the runtime's
    // (System.Private.CoreLib.dll) are where a user points --assembly-dir.
    let opts = testkit::clr_options(dir);
    for rd in opts.runtime_dirs {
        a.push("--runtime-dir".into());
        a.push(rd.into_os_string());
    }
    for ad in opts.assembly_dirs {
        a.push("--assembly-dir".into());
        a.push(ad.into_os_string());
    }
    let run = testkit::clrscope(&a);
    assert_eq!(run.code, 0, "{args:?} on {}: {}", dir.display(), run.stderr);
    run.json()
}

/// The CLI prints what the library found: `gcroot` names the static,
/// `syncblk` the deadlock, `gchandles` the truth's handles, `fq` the
/// pending objects as ready for finalization.
fn check_cli(name: &str) {
    let Some(dir) = testkit::generated(name) else { return };
    let truth: Value = testkit::truth(&dir);
    let list = truth["objects"]["leak-list"]["address"].as_str().unwrap_or("0");
    let g = cli(&dir, &["gcroot", list]);
    assert!(
        g["roots"].as_array().into_iter().flatten().any(|r| r["static_field"] == "s_all"
            && r["static_type"] == "Shop.Services.OrderCache"
            && r["chain"][0]["address"] == list),
        "{name}: gcroot {g}"
    );
    let sb = cli(&dir, &["syncblk"]);
    assert_eq!(sb["deadlocks"].as_array().map(|d| d.len()), Some(1), "{name}: syncblk {sb}");
    let mut objs: Vec<String> = sb["deadlocks"][0]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|w| w["waits_for"].as_str().map(str::to_string))
        .collect();
    objs.sort();
    let locks = truth["locks"].as_array().cloned().unwrap_or_default();
    let mut want: Vec<String> = locks
        .iter()
        .filter(|l| l["name"].as_str().is_some_and(|n| n.starts_with("deadlock-")))
        .filter_map(|l| l["address"].as_str().map(str::to_string))
        .collect();
    want.sort();
    assert_eq!(objs, want, "{name}: deadlock lock objects");
    let h = cli(&dir, &["gchandles"]);
    for th in truth["gc_handles"].as_array().into_iter().flatten().filter(|t| !t["target"].is_null()) {
        assert!(
            h["handles"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|x| x["handle"] == th["handle_address"] && x["object"] == th["target"]["address"]),
            "{name}: gchandles lacks {}",
            th["name"]
        );
    }
    let fq = cli(&dir, &["finalizequeue"]);
    let ready: Vec<&Value> = fq["ready"].as_array().into_iter().flatten().map(|r| &r["object"]).collect();
    for p in truth["finalization"]["pending"].as_array().into_iter().flatten() {
        assert!(ready.contains(&&p["address"]), "{name}: fq: {} not ready for finalization", p["address"]);
    }
}

testkit::test_each_generated_dump!(check);

mod cli_output {
    use super::check_cli;
    testkit::test_each_generated_dump!(check_cli);
}
