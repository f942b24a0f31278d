//! Output *format* pinned with insta snapshots (not truth: the truth tests
//! are `cli_third_party.rs` and the fixture tests). A change of layout shows
//! up here as a snapshot diff to review with `cargo insta review`.

use testkit::{arg, clrscope, third_party_dir};

fn text(cmd: &[&str], file: &str) -> String {
    let mut args: Vec<std::ffi::OsString> = cmd.iter().map(|s| s.into()).collect();
    args.push(arg(&third_party_dir().join(file)));
    let run = clrscope(&args);
    assert_eq!(run.code, 0, "{cmd:?} {file}: {}", run.stderr);
    run.stdout
}

#[test]
fn info_text() {
    insta::assert_snapshot!("info_rmd_test", text(&["info"], "rmd-test.dmp"));
    insta::assert_snapshot!("info_elf_thread_crash", text(&["info"], "lldb-thread_crash-linux-x86_64.core"));
}

#[test]
fn threads_text() {
    insta::assert_snapshot!(
        "threads_thread_name_list",
        text(&["threads", "--native"], "bp-thread_name_list.dmp")
    );
    insta::assert_snapshot!("threads_elf_i386", text(&["threads", "--native"], "lldb-gcore-linux-i386.core"));
}

#[test]
fn runaway_text() {
    insta::assert_snapshot!("runaway_elf", text(&["runaway"], "lldb-thread_crash-linux-x86_64.core"));
}

#[test]
fn modules_text() {
    insta::assert_snapshot!("modules_rmd_test", text(&["modules"], "rmd-test.dmp"));
}

#[test]
fn memory_text() {
    insta::assert_snapshot!("memory_summary_cet", text(&["memory"], "bp-tiny-exe-with-cet-xsave.dmp"));
}

#[test]
fn exception_text() {
    insta::assert_snapshot!("exception_av_x86", text(&["exception"], "bp-ascii_read_av.dmp"));
    insta::assert_snapshot!("exception_json_av_x64", {
        let run = clrscope(&[
            "exception".into(),
            arg(&third_party_dir().join("bp-write_av_non_canonical.dmp")),
            "--json".into(),
        ]);
        // The dump path differs per machine: pin everything else.
        let mut j = run.json();
        j["dump"] = "DUMP".into();
        serde_json::to_string_pretty(&j).unwrap_or_default()
    });
}
