//! Every command on every third-party dump: the answers agree with the
//! catalog's facts (written by the people who made the dumps, checked with
//! other tools), and every command's JSON has its documented envelope.

use serde_json::Value;
use testkit::{arg, catalog, clrscope, third_party_dir};

fn expected_arch(entry: &Value) -> &'static str {
    let a = entry["arch"].as_str().or(entry["machine"].as_str()).unwrap_or("");
    if a.starts_with("x86(") || a == "i386" {
        "x86"
    } else if a.starts_with("x64") || a == "x86_64" {
        "x64"
    } else {
        panic!("catalog arch {a} not mapped")
    }
}

#[test]
fn info_agrees_with_catalog() {
    for entry in catalog() {
        let file = entry["file"].as_str().unwrap_or_default();
        let path = third_party_dir().join(file);
        let run = clrscope(&["info".into(), arg(&path), "--json".into()]);
        assert_eq!(run.code, 0, "{file}: {}", run.stderr);
        let j = run.json();
        assert_eq!(j["command"], "info", "{file}");
        assert_eq!(j["schema"], 1, "{file}");
        assert_eq!(j["arch"], expected_arch(&entry), "{file}");
        assert_eq!(j["counts"]["threads"], entry["threads"], "{file}: thread count");
        match entry["format"].as_str() {
            Some("MINIDUMP") => {
                assert_eq!(j["container"], "minidump", "{file}");
                assert_eq!(j["counts"]["modules"], entry["module_count"], "{file}: module count");
                assert_eq!(
                    j["counts"]["captured_bytes"], entry["memory_bytes_total"],
                    "{file}: captured bytes"
                );
                if let Some(pid) = entry.get("pid") {
                    assert_eq!(&j["process"]["pid"], pid, "{file}: pid");
                }
                match entry.get("exception") {
                    Some(e) => {
                        let code = u32::from_str_radix(
                            e["code"].as_str().unwrap_or("").trim_start_matches("0x"),
                            16,
                        )
                        .unwrap_or(u32::MAX);
                        assert_eq!(j["exception"]["code"], format!("{code:#010x}"), "{file}: exception code");
                        assert_eq!(j["exception"]["thread_id"], e["tid"], "{file}: exception thread");
                    }
                    None => assert!(j["exception"].is_null(), "{file}: no exception expected"),
                }
                // The first module is the executable: the process name.
                let main = entry["main_module"].as_str().unwrap_or_default();
                let short = main.rsplit(['/', '\\']).next().unwrap_or(main);
                assert_eq!(j["process"]["name"], short, "{file}: process name");
            }
            Some("ELF") => {
                assert_eq!(j["container"], "elf-core", "{file}");
                assert_eq!(j["process"]["name"], entry["process"], "{file}: process name");
            }
            other => panic!("{file}: unknown format {other:?}"),
        }
    }
}

#[test]
fn every_command_answers_every_dump() {
    let commands: &[&[&str]] = &[
        &["info"],
        &["threads", "--native"],
        &["runaway"],
        &["modules", "--unloaded"],
        &["memory"],
        &["memory", "--regions"],
        &["exception"],
    ];
    for entry in catalog() {
        let file = entry["file"].as_str().unwrap_or_default();
        let path = third_party_dir().join(file);
        for cmd in commands {
            for json in [false, true] {
                let mut args: Vec<std::ffi::OsString> = cmd.iter().map(|s| s.into()).collect();
                args.push(arg(&path));
                if json {
                    args.push("--json".into());
                }
                let run = clrscope(&args);
                // 5 = the dump has no answer (no exception stream, no thread times).
                assert!(run.code == 0 || run.code == 5, "{file} {cmd:?}: exit {} {}", run.code, run.stderr);
                if run.code == 5 {
                    assert!(run.stderr.contains("clrscope: error:"), "{file} {cmd:?}: {}", run.stderr);
                    continue;
                }
                if json {
                    let j = run.json();
                    assert_eq!(j["command"], cmd[0], "{file}");
                    assert!(j["warnings"].is_array(), "{file}");
                } else {
                    assert!(!run.stdout.is_empty(), "{file} {cmd:?}: empty output");
                }
            }
        }
    }
}

#[test]
fn threads_match_catalog_thread_names() {
    for entry in catalog() {
        let Some(names) = entry["thread_names"].as_array() else { continue };
        let file = entry["file"].as_str().unwrap_or_default();
        let run = clrscope(&[
            "threads".into(),
            "--native".into(),
            "--json".into(),
            arg(&third_party_dir().join(file)),
        ]);
        let j = run.json();
        for pair in names {
            let (id, name) = (&pair[0], pair[1].as_str().unwrap_or(""));
            let t = j["threads"].as_array().and_then(|ts| ts.iter().find(|t| &t["id"] == id));
            let t = t.unwrap_or_else(|| panic!("{file}: thread {id} missing"));
            let got = t["name"].as_str().unwrap_or("");
            assert_eq!(got, name, "{file}: name of thread {id}");
        }
    }
}

#[test]
fn exit_codes_are_the_documented_ones() {
    let missing = clrscope(&["info", "/nonexistent/clrscope-test.dmp"]);
    assert_eq!(missing.code, 2, "{}", missing.stderr);
    assert!(missing.stderr.contains("/nonexistent/clrscope-test.dmp"));
    let not_a_dump = clrscope(&["info".into(), arg(&third_party_dir().join("catalog.json"))]);
    assert_eq!(not_a_dump.code, 2);
    assert!(not_a_dump.stderr.contains("not a memory dump"), "{}", not_a_dump.stderr);
    let usage = clrscope(&["no-such-command"]);
    assert_eq!(usage.code, 1);
    let managed = clrscope(&["threads".into(), arg(&third_party_dir().join("rmd-test.dmp"))]);
    assert_eq!(managed.code, 3, "a dump without a .NET runtime has no managed threads: {}", managed.stderr);
    let no_exc =
        clrscope(&["exception".into(), arg(&third_party_dir().join("bp-tiny-exe-with-cet-xsave.dmp"))]);
    assert_eq!(no_exc.code, 5, "{}", no_exc.stdout);
}
