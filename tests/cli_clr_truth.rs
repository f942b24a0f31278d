//! The CLR commands end to end (`dumpheap`, `do`, `da`, `strings` with
//! `--json`) against the truth each process recorded. The library's own
//! tests go deeper; these prove what a user of the command line sees.

use serde_json::Value;
use std::collections::HashMap;
use testkit::{arg, clrscope};

const DUMPS: &[&str] =
    &["linux-x64-3.1-wks", "linux-x64-3.1-svr", "win-x64-3.1-own", "win-x86-3.1-own", "win-x86-2.1-dbghelp"];

fn run_json(dir: &std::path::Path, args: &[&str]) -> Value {
    // `COMMAND DUMP [ARGS…]`, as a user types it.
    let mut a: Vec<std::ffi::OsString> = vec![args[0].into(), arg(&testkit::dump_file(dir))];
    a.extend(args[1..].iter().map(|s| s.into()));
    a.push("--json".into());
    for rd in testkit::clr_options(dir).runtime_dirs {
        a.push("--runtime-dir".into());
        a.push(rd.into_os_string());
    }
    a.push("--assembly-dir".into());
    a.push(dir.as_os_str().to_os_string());
    let run = clrscope(&a);
    assert_eq!(run.code, 0, "{args:?} on {}: {}", dir.display(), run.stderr);
    run.json()
}

fn truth(dir: &std::path::Path) -> Value {
    testkit::truth(&dir)
}

fn hex(v: &Value) -> u64 {
    v.as_str().and_then(|s| u64::from_str_radix(s.trim_start_matches("0x"), 16).ok()).unwrap_or(u64::MAX)
}

#[test]
fn dumpheap_stat_counts_every_app_type() {
    for name in DUMPS {
        let Some(dir) = testkit::generated(name) else { continue };
        let t = truth(&dir);
        let j = run_json(&dir, &["dumpheap", "--stat"]);
        let by_name: HashMap<String, u64> = j["statistics"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| (r["name"].as_str().unwrap_or("").to_string(), r["count"].as_u64().unwrap_or(0)))
            .collect();
        let mut checked = 0;
        for ty in t["types"].as_array().into_iter().flatten() {
            if ty["count_semantics"] != "exact" || ty["mt"].is_null() {
                continue;
            }
            let tname = ty["type"].as_str().unwrap_or("");
            assert_eq!(
                by_name.get(tname).copied().unwrap_or(0),
                ty["count"].as_u64().unwrap_or(0),
                "{name}: {tname}"
            );
            checked += 1;
        }
        assert!(checked >= 20, "{name}: {checked}");
    }
}

/// Compares one truth field with the `do --json` field of the same name.
fn same_value(truth: &Value, got: &Value) -> bool {
    let v = &got["value"];
    match truth["kind"].as_str() {
        Some("int") | Some("bool") => v == &truth["value"] || v.as_str() == truth["value"].as_str(),
        Some("string") => v["string"] == truth["string"],
        Some("null") => v.is_null(),
        Some("object") => hex(&v["address"]) == hex(&truth["address"]),
        Some("enum") => v["value"] == truth["value"],
        Some("decimal") => v["decimal"] == truth["value"],
        _ => true, // the library tests cover the other kinds field by field
    }
}

#[test]
fn dumpobj_shows_truth_fields() {
    for name in DUMPS {
        let Some(dir) = testkit::generated(name) else { continue };
        let t = truth(&dir);
        let mut checked = 0;
        let objects =
            t["objects"].as_object().into_iter().flatten().filter(|(_, o)| o.get("array").is_none());
        for (oname, o) in objects.take(60) {
            let j = run_json(&dir, &["do", o["address"].as_str().unwrap_or("0")]);
            assert_eq!(j["name"], o["type"], "{name} {oname}");
            let fields = j["fields"].as_array().cloned().unwrap_or_default();
            for tf in o["fields"].as_array().into_iter().flatten() {
                let Some(got) = fields
                    .iter()
                    .find(|f| f["name"] == tf["name"] && f["declaring_type"] == tf["declaring_type"])
                else {
                    panic!("{name} {oname}: field {} missing", tf["name"]);
                };
                assert!(same_value(tf, got), "{name} {oname}.{}: truth {tf} vs {got}", tf["name"]);
                checked += 1;
            }
        }
        assert!(checked > 100, "{name}: only {checked} fields checked");
    }
}

#[test]
fn dumparray_shows_truth_elements() {
    for name in DUMPS {
        let Some(dir) = testkit::generated(name) else { continue };
        let t = truth(&dir);
        let mut checked = 0;
        for (oname, o) in t["objects"].as_object().into_iter().flatten() {
            let Some(arr) = o.get("array") else { continue };
            let j = run_json(&dir, &["da", o["address"].as_str().unwrap_or("0")]);
            assert_eq!(j["length"], arr["length"], "{name} {oname}");
            assert_eq!(j["rank"], arr["rank"], "{name} {oname}");
            let got = j["elements"].as_array().cloned().unwrap_or_default();
            for (i, e) in arr["elements"].as_array().into_iter().flatten().enumerate() {
                if matches!(e["kind"].as_str(), Some("int") | Some("bool")) {
                    assert_eq!(got[i]["value"], e["value"], "{name} {oname}[{i}]");
                    checked += 1;
                }
            }
        }
        assert!(checked > 20, "{name}: only {checked} elements checked");
    }
}

#[test]
fn strings_account_for_every_string() {
    for name in DUMPS.iter().take(2) {
        let Some(dir) = testkit::generated(name) else { continue };
        let stat = run_json(&dir, &["dumpheap", "--stat", "--type", "System.String"]);
        let strings_mt_count: u64 = stat["statistics"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["name"] == "System.String")
            .map(|r| r["count"].as_u64().unwrap_or(0))
            .sum();
        let j = run_json(&dir, &["strings", "--top", "5"]);
        assert_eq!(j["strings"].as_u64(), Some(strings_mt_count), "{name}");
        let hist = run_json(&dir, &["dumpheap", "--strings"]);
        let total: u64 = hist["statistics"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| r["count"].as_u64().unwrap_or(0))
            .sum();
        assert_eq!(total, strings_mt_count, "{name}: histogram counts");
    }
}

#[test]
fn dumpheap_filters_select_what_they_say() {
    let Some(dir) = testkit::generated("linux-x64-3.1-wks") else { return };
    let t = truth(&dir);
    let dto = t["types"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|ty| ty["type"] == "Shop.Models.OrderDto")
        .cloned()
        .unwrap_or_default();
    let mt = dto["mt"].as_str().unwrap_or("0");
    // --mt: only that MethodTable, and as many as truth counted.
    let j = run_json(&dir, &["dumpheap", "--mt", mt]);
    let objs = j["objects"].as_array().cloned().unwrap_or_default();
    assert_eq!(objs.len() as u64, dto["count"].as_u64().unwrap_or(0));
    assert!(objs.iter().all(|o| hex(&o["mt"]) == hex(&dto["mt"])));
    // --gen loh: only large-object-heap objects; --min/--max bound sizes.
    let loh = run_json(&dir, &["dumpheap", "--gen", "loh"]);
    let loh_objs = loh["objects"].as_array().cloned().unwrap_or_default();
    assert!(!loh_objs.is_empty() && loh_objs.iter().all(|o| o["generation"] == 3));
    let big = run_json(&dir, &["dumpheap", "--min", "85000", "--max", "200000"]);
    let sizes: Vec<u64> =
        big["objects"].as_array().into_iter().flatten().map(|o| o["size"].as_u64().unwrap_or(0)).collect();
    assert!(!sizes.is_empty() && sizes.iter().all(|s| (85_000..=200_000).contains(s)));
    // --type is a substring match on the name.
    let ty = run_json(&dir, &["dumpheap", "--stat", "--type", "OrderDto"]);
    assert!(
        ty["statistics"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|r| r["name"].as_str().unwrap_or("").contains("OrderDto"))
    );
}
