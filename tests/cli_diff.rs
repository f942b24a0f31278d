//! `clrscope diff`: the wks process dumped before and after its leak grew
//! (`linux-x64-3.1-wks` → `linux-x64-3.1-wks-later`): the growth per app
//! type equals the two truths' difference exactly; the parked threads are
//! hung, the thread that did the growing is not; the in-flight requests are
//! in flight in both.

use serde_json::Value;
use std::collections::BTreeMap;
use testkit::{arg, clrscope, dump_file};

fn truth(path: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap_or_default()).unwrap_or_default()
}

fn exact_counts(t: &Value) -> BTreeMap<String, i64> {
    t["types"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|x| x["count_semantics"] == "exact")
        .filter_map(|x| Some((x["type"].as_str()?.to_string(), x["count"].as_i64()?)))
        .collect()
}

#[test]
fn growth_per_app_type_equals_the_truths_difference() {
    let (Some(a), Some(b)) =
        (testkit::generated("linux-x64-3.1-wks"), testkit::generated("linux-x64-3.1-wks-later"))
    else {
        return;
    };
    let (earlier, later) = (truth(&b.join("truth-earlier.json")), truth(&b.join("truth.json")));
    assert_eq!(later["generator"]["phase"], "later");
    assert_eq!(
        earlier["generator"]["written_utc_ticks"],
        truth(&a.join("truth.json"))["generator"]["written_utc_ticks"],
        "truth-earlier.json is the first dump's truth"
    );
    let run = clrscope(&["diff".into(), arg(&dump_file(&a)), arg(&dump_file(&b)), "--json".into()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let j = run.json();
    assert_eq!(j["command"], "diff");
    let changes: BTreeMap<String, &Value> = j["changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| Some((c["name"].as_str()?.to_string(), c)))
        .collect();
    let (ce, cl) = (exact_counts(&earlier), exact_counts(&later));
    let mut grown = 0;
    for (name, after) in &cl {
        let before = ce.get(name).copied().unwrap_or(0);
        let want = after - before;
        match changes.get(name) {
            Some(c) => {
                assert_eq!(c["count_delta"].as_i64(), Some(want), "{name}: growth");
                assert_eq!(c["count_after"].as_i64(), Some(*after), "{name}: later count");
                assert_eq!(c["count_before"].as_i64(), Some(before), "{name}: earlier count");
                grown += 1;
            }
            None => assert_eq!(want, 0, "{name}: grew by {want} but diff reports no change"),
        }
    }
    assert_eq!(grown, 3, "OrderDto, AuditEntry and RetryTicket grew: {changes:?}");
    let dto = changes["Shop.Models.OrderDto"];
    assert_eq!(dto["count_delta"], 25000);
    assert_eq!(dto["bytes_delta"], 25000 * 64, "an OrderDto is 64 bytes on x64");
    assert_eq!(dto["change"], "grown");
    assert_eq!(changes["Shop.Services.RetryTicket"]["change"], "new");
    // biggest growth first
    let deltas: Vec<i64> =
        j["changes"].as_array().into_iter().flatten().filter_map(|c| c["bytes_delta"].as_i64()).collect();
    assert!(deltas.windows(2).all(|w| w[0] >= w[1]), "sorted by bytes grown: {deltas:?}");

    // threads: every parked truth thread is hung; the later-trigger moved
    let hung: Vec<u64> =
        j["hung"].as_array().into_iter().flatten().filter_map(|h| h["managed_id"].as_u64()).collect();
    for t in later["threads"].as_array().into_iter().flatten().filter(|t| t["alive"] == true) {
        let id = t["managed_id"].as_u64().unwrap_or(0);
        if t["role"] == "later-trigger" {
            assert!(!hung.contains(&id), "the thread that grew the leak is not hung");
            assert!(
                j["moved"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|m| m.as_str().is_some_and(|s| s.contains("LaterTrigger")))
            );
        } else {
            assert!(hung.contains(&id), "{}: managed thread {id} is hung ({hung:?})", t["role"]);
        }
    }
    let sleeping = j["hung"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|h| h["app_frame"] == "Shop.Controllers.HomeController.Sleep");
    assert!(sleeping.is_some_and(|h| h["waiting_in"] == "System.Threading.Thread.Sleep"), "{}", j["hung"]);

    // requests in flight in both: the four the truth says are in flight
    let inflight: Vec<String> = later["asp_net"]["requests"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["in_flight"] == true)
        .filter_map(|r| Some(format!("{} {}", r["verb"].as_str()?, r["path"].as_str()?)))
        .collect();
    assert_eq!(inflight.len(), 4);
    let both = j["requests_in_both"].as_array().cloned().unwrap_or_default();
    assert_eq!(both.len(), inflight.len(), "{both:?}");
    for r in &inflight {
        assert!(
            both.iter().any(|b| b.as_str().is_some_and(|s| s.starts_with(r.as_str()))),
            "{r} in {both:?}"
        );
    }

    // the text output leads with the growth table
    let text = clrscope(&["diff".into(), arg(&dump_file(&a)), arg(&dump_file(&b))]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert!(
        text.stdout.contains("+25,000") && text.stdout.contains("Shop.Models.OrderDto"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("New types: Shop.Services.RetryTicket"), "{}", text.stdout);
}

#[test]
fn a_dump_compared_with_itself_has_not_changed() {
    let Some(a) = testkit::generated("linux-x64-3.1-svr") else { return };
    let d = dump_file(&a);
    let run = clrscope(&["diff".into(), arg(&d), arg(&d), "--json".into()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let j = run.json();
    assert_eq!(j["changes"].as_array().map(Vec::len), Some(0));
    assert_eq!(j["bytes_delta"], 0);
    assert_eq!(j["moved"].as_array().map(Vec::len), Some(0), "{}", j["moved"]);
    assert!(j["hung"].as_array().is_some_and(|h| h.len() >= 10));
}

#[test]
fn a_missing_second_dump_is_an_unreadable_dump() {
    let Some(a) = testkit::generated("linux-x64-3.1-wks") else { return };
    let run = clrscope(&["diff".into(), arg(&dump_file(&a)), "/nonexistent/core".into()]);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("/nonexistent/core"), "{}", run.stderr);
}
