//! `clrscope analyze`: SOS's command language, as users type it, gives the
//! same answers as the clrscope commands it maps to.

use testkit::{arg, clrscope};

fn analyze(dump: &std::path::Path, commands: &[&str]) -> testkit::Run {
    let mut a: Vec<std::ffi::OsString> = vec!["analyze".into(), arg(dump)];
    for c in commands {
        a.push("-c".into());
        a.push((*c).into());
    }
    a.push("-c".into());
    a.push("exit".into());
    clrscope(&a)
}

#[test]
fn sos_commands_match_clrscope_commands() {
    let Some(dir) = testkit::generated("linux-x64-3.1-wks") else { return };
    let dump = testkit::dump_file(&dir);
    let session = analyze(&dump, &["!dumpheap -stat"]);
    assert_eq!(session.code, 0, "{}", session.stderr);
    let direct = clrscope(&["dumpheap".into(), arg(&dump), "--stat".into()]);
    assert_eq!(session.stdout, direct.stdout);

    let addr = clrscope(&[
        "dumpheap".into(),
        arg(&dump),
        "--type".into(),
        "Shop.Models.AllKinds".into(),
        "--short".into(),
    ]);
    let addr = addr.stdout.lines().next().unwrap_or_default().to_string();
    let session = analyze(&dump, &[&format!("!do {addr}"), "!eeheap -gc"]);
    let direct_do = clrscope(&["do".into(), arg(&dump), addr.clone().into()]);
    let direct_ee = clrscope(&["eeheap".into(), arg(&dump), "--gc".into()]);
    assert_eq!(session.stdout, format!("{}{}", direct_do.stdout, direct_ee.stdout));
}

#[test]
fn unknown_commands_are_reported_and_the_session_goes_on() {
    let dump = testkit::third_party_dir().join("rmd-test.dmp");
    let s = analyze(&dump, &["!nosuch", "lm"]);
    assert!(s.stderr.contains("unknown command '!nosuch'"), "{}", s.stderr);
    assert!(s.stdout.contains("test_app.exe"), "{}", s.stdout);
    assert_eq!(s.code, 1, "the session reports that a command failed");
}
