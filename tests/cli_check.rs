//! `clrscope check`: rules chosen to pass pass, rules chosen to fail fail
//! (exit code 6), a broken rules file is a usage error naming the problem.

use testkit::{arg, clrscope};

fn check(dump: &std::path::Path, rules: &str) -> testkit::Run {
    let rules = testkit::root().join("tests/data").join(rules);
    clrscope(&["check".into(), arg(dump), "--rules".into(), arg(&rules), "--json".into()])
}

#[test]
fn rules_pass_and_fail_as_chosen() {
    for name in ["linux-x64-3.1-wks", "win-x64-3.1-own", "win-x86-2.1-own"] {
        let Some(dir) = testkit::generated(name) else { continue };
        let dump = testkit::dump_file(&dir);
        let pass = check(&dump, "rules-pass.toml");
        assert_eq!(pass.code, 0, "{name}: {}", pass.stdout);
        let j = pass.json();
        assert_eq!(j["passed"], true);
        assert_eq!(j["rules"].as_array().map(Vec::len), Some(5), "{name}");
        let fail = check(&dump, "rules-fail.toml");
        assert_eq!(fail.code, 6, "{name}: {}", fail.stdout);
        let j = fail.json();
        assert_eq!(j["passed"], false);
        assert!(j["rules"].as_array().into_iter().flatten().all(|r| r["passed"] == false), "{name}");
        assert_eq!(j["rules"][0]["measured"], "200005", "{name}: the measured value is printed");
    }
}

#[test]
fn broken_rules_are_usage_errors() {
    let dir = std::env::temp_dir().join(format!("clrscope-rules-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let bad = dir.join("bad.toml");
    let _ = std::fs::write(&bad, "[[rule]]\nmax_count = 3\n");
    let dump = testkit::third_party_dir().join("symstore-triagedump.core");
    let run = clrscope(&["check".into(), arg(&dump), "--rules".into(), arg(&bad)]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("rule 1") && run.stderr.contains("need `type`"), "{}", run.stderr);
    let typo = dir.join("typo.toml");
    let _ = std::fs::write(&typo, "[[rule]]\ntype = \"X\"\nmax_cuont = 3\n");
    let run = clrscope(&["check".into(), arg(&dump), "--rules".into(), arg(&typo)]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("max_cuont"), "{}", run.stderr);
    let _ = std::fs::remove_dir_all(&dir);
}
