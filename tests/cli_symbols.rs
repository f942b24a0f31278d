//! `clrscope symbols`: what each module needs and where the symbol path has
//! it, on the generated dumps; no network without `--fetch`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use testkit::{arg, clrscope, generated};

#[test]
fn linux_modules_found_in_the_runtime_folder() {
    let Some(dir) = generated("linux-x64-3.1-wks") else { return };
    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("info.json")).unwrap()).unwrap();
    let rd = dir.join(info["runtime_dir"].as_str().unwrap());
    let run = clrscope(&[
        "symbols".into(),
        arg(&dir.join("core")),
        "--symbol-path".into(),
        rd.as_os_str().to_os_string(),
        "--json".into(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let j = run.json();
    assert_eq!(j["command"], "symbols");
    let mods = j["modules"].as_array().unwrap();
    let coreclr = mods.iter().find(|m| m["module"].as_str().unwrap().ends_with("/libcoreclr.so")).unwrap();
    assert_eq!(coreclr["status"], "found");
    assert_eq!(coreclr["path"].as_str().unwrap(), rd.join("libcoreclr.so").display().to_string());
    assert!(coreclr["key"].as_str().unwrap().starts_with("libcoreclr.so/elf-buildid-"), "{coreclr}");
    // Managed assemblies mapped by the runtime carry no ELF identity.
    assert!(mods.iter().any(|m| m["status"] == "no_id"));
    assert!(mods.iter().all(|m| m["status"] != "error"), "{mods:?}");
}

#[test]
fn windows_pdbs_are_on_the_server_but_not_asked_without_fetch() {
    let Some(dir) = generated("win-x64-3.1-own") else { return };
    let cache = std::env::temp_dir().join(format!("clrscope-cli-symbols-{}", std::process::id()));
    // An address nothing listens on: asking it would fail loudly.
    let path = format!("srv*{}*http://127.0.0.1:9", cache.display());
    let run =
        clrscope(&["symbols".into(), arg(&testkit::dump_file(&dir)), "--symbol-path".into(), path.into()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("dotnet.pdb/"), "{}", run.stdout);
    assert!(run.stdout.contains("on server?"), "{}", run.stdout);
    assert!(!run.stdout.contains("connection"), "{}", run.stdout);
    assert!(!cache.exists(), "an offline run created the cache");

    let bad =
        clrscope(&["symbols".into(), arg(&testkit::dump_file(&dir)), "--symbol-path".into(), "srv*".into()]);
    assert_eq!(bad.code, 1);
    assert!(bad.stderr.contains("name it"), "{}", bad.stderr);
}
