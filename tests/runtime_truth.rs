//! `clrscope runtime` on every dump: the runtime and version are identified,
//! the GC mode and heap count are the ones the process reported, the routes
//! to the runtime's globals agree, and non-.NET dumps say so cleanly.

use serde_json::Value;
use testkit::{arg, catalog, clrscope, third_party_dir};

fn run_runtime(path: &std::path::Path, extra: &[std::ffi::OsString]) -> testkit::Run {
    let mut args: Vec<std::ffi::OsString> =
        vec!["runtime".into(), arg(path), "--json".into(), "--diagnostics".into()];
    args.extend(extra.iter().cloned());
    clrscope(&args)
}

#[test]
fn generated_dumps_identify_runtime_and_gc_mode() {
    for name in [
        "linux-x64-3.1-wks",
        "linux-x64-3.1-svr",
        "linux-x64-3.1-wks-withheap",
        "win-x64-3.1-own",
        "win-x64-3.1-dbghelp",
        "win-x86-3.1-own",
        "win-x86-3.1-dbghelp",
        "win-x86-2.1-own",
        "win-x86-2.1-dbghelp",
    ] {
        let Some(dir) = testkit::generated(name) else { continue };
        let truth: Value = testkit::truth(&dir);
        let run = run_runtime(&testkit::dump_file(&dir), &[]);
        assert_eq!(run.code, 0, "{name}: {}", run.stderr);
        let j = run.json();
        assert_eq!(j["flavor"], ".NET Core", "{name}");
        // The process's runtime directory is `…/Microsoft.NETCore.App/<version>/`
        // (Environment.Version says 4.0.30319.42000 on 2.x, so it is not used).
        let rd = truth["runtime"]["runtime_directory"].as_str().unwrap_or("");
        let version = rd.trim_end_matches(['/', '\\']).rsplit(['/', '\\']).next().unwrap_or("?");
        assert_eq!(j["product"], version, "{name}: product version");
        let server = truth["gc"]["server"].as_bool().unwrap_or(false);
        assert_eq!(j["gc_mode"], if server { "server" } else { "workstation" }, "{name}");
        assert_eq!(j["heaps"], truth["gc"]["heap_count"], "{name}: heap count");
        let checks = j["checks"].as_array().cloned().unwrap_or_default();
        let failed: Vec<&Value> = checks.iter().filter(|c| c["passed"] == false).collect();
        assert!(failed.is_empty(), "{name}: failed checks {failed:#?}");
        // Both routes ran and agreed where they overlap (Linux: ELF symbols and DAC table).
        if name.starts_with("linux") {
            assert!(
                checks
                    .iter()
                    .any(|c| c["name"].as_str().is_some_and(|n| n.contains("DAC globals table agrees"))),
                "{name}: the DAC table was not cross-checked against the symbols"
            );
        }
    }
}

#[test]
fn third_party_dotnet_core_2_triage_dump_is_identified() {
    let run = run_runtime(&third_party_dir().join("symstore-triagedump.core"), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let j = run.json();
    assert_eq!(j["flavor"], ".NET Core");
    assert_eq!(j["product"], "2.0.0-preview3-25510-01");
    // The dump is a triage dump and the runtime binary is not on this machine:
    // the model says exactly that, and invents nothing.
    let err = j["model_error"].as_str().unwrap_or("");
    assert!(err.contains("libcoreclr.so"), "{err}");
}

#[test]
fn non_dotnet_dumps_say_no_runtime() {
    for entry in catalog() {
        let file = entry["file"].as_str().unwrap_or_default();
        if file == "symstore-triagedump.core" {
            continue;
        }
        let run = run_runtime(&third_party_dir().join(file), &[]);
        assert_eq!(run.code, 3, "{file}: {}", run.stdout);
        assert!(run.stderr.contains("no .NET runtime in this dump"), "{file}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{file}: printed {}", run.stdout);
    }
}
