//! Every third-party MINIDUMP fixture opens and agrees with the facts its
//! `catalog.json` entry records.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use dump_format::{Arch, Dump, Format};
use serde_json::Value;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures/third-party");

fn catalog() -> Vec<Value> {
    let text = std::fs::read_to_string(format!("{DIR}/catalog.json")).expect("catalog.json");
    let v: Value = serde_json::from_str(&text).expect("catalog.json parses");
    v.as_array().expect("catalog is a list").iter().filter(|e| e["format"] == "MINIDUMP").cloned().collect()
}

fn arch_of(text: &str) -> Arch {
    // "x86(0)", "x64(amd64)(9)": the last parenthesised number is the
    // PROCESSOR_ARCHITECTURE code.
    let code = text.rsplit('(').next().and_then(|s| s.trim_end_matches(')').parse::<u16>().ok());
    match code {
        Some(0) => Arch::X86,
        Some(9) => Arch::X64,
        Some(5) => Arch::Arm,
        Some(12) => Arch::Arm64,
        other => panic!("unexpected arch text {text} ({other:?})"),
    }
}

fn hex(v: &Value) -> u64 {
    let s = v.as_str().expect("hex string");
    u64::from_str_radix(s.trim_start_matches("0x"), 16).expect("hex")
}

#[test]
fn catalog_facts_hold_for_every_minidump() {
    let entries = catalog();
    assert!(entries.len() >= 15, "expected the MINIDUMP fixtures, found {}", entries.len());
    for e in &entries {
        let file = e["file"].as_str().expect("file");
        let dump = Dump::open(format!("{DIR}/{file}")).unwrap_or_else(|err| panic!("{file}: {err}"));
        let ctx = |what: &str| format!("{file}: {what}");
        assert_eq!(dump.format(), Format::Minidump, "{}", ctx("format"));
        let md = dump.minidump().expect("typed access");

        // Header facts.
        assert_eq!(u64::from(md.header().version), hex(&e["version"]), "{}", ctx("version"));
        assert_eq!(md.header().flags, hex(&e["flags"]), "{}", ctx("flags"));
        let names: Vec<Value> = md.header().flag_names().into_iter().map(Value::from).collect();
        assert_eq!(Value::from(names), e["flag_names"], "{}", ctx("flag names"));
        assert_eq!(dump.process().dump_time.map(|t| t.secs), e["timestamp"].as_i64(), "{}", ctx("dump time"));

        // Streams: type names and sizes, in directory order. The catalog
        // leaves out the `Unused` (type 0) entries writers pad the directory
        // with; `streams()` lists every entry.
        let streams: Vec<String> = dump
            .streams()
            .iter()
            .filter(|s| s.kind != 0)
            .map(|s| format!("{}({})", s.name, s.size))
            .collect();
        let want: Vec<String> = e["streams"]
            .as_array()
            .expect("streams")
            .iter()
            .map(|s| s.as_str().unwrap_or("").to_string())
            .collect();
        assert_eq!(streams, want, "{}", ctx("streams"));

        // System.
        let sys = dump.system();
        assert_eq!(sys.arch, arch_of(e["arch"].as_str().expect("arch")), "{}", ctx("arch"));
        assert!(!sys.wow64, "{}", ctx("no fixture is WOW64"));
        assert_eq!(sys.cpu_count.map(u64::from), e["ncpu"].as_u64(), "{}", ctx("ncpu"));
        let os = e["os"].as_str().expect("os");
        let version = os.split_whitespace().nth(1).expect("os version");
        assert_eq!(sys.os_version.as_deref(), Some(version), "{}", ctx("os version"));
        let csd = os.split("csd='").nth(1).map(|s| s.trim_end_matches('\'')).unwrap_or("");
        if !csd.is_empty() {
            assert_eq!(sys.os_detail.as_deref(), Some(csd), "{}", ctx("csd"));
        }

        // Process.
        assert_eq!(dump.process().pid.map(u64::from), e["pid"].as_u64(), "{}", ctx("pid"));
        if let Some(size) = e["miscinfo_size"].as_u64() {
            assert_eq!(u64::from(md.misc_info().expect("misc").size_of_info), size, "{}", ctx("misc size"));
        }
        if let Some(cmd) = e["linux_cmdline"].as_str() {
            assert_eq!(dump.process().command_line.as_deref(), Some(cmd.trim_end()), "{}", ctx("cmdline"));
        }

        // Threads, names.
        assert_eq!(
            dump.threads().len() as u64,
            e["threads"].as_u64().expect("threads"),
            "{}",
            ctx("threads")
        );
        if let Some(names) = e["thread_names"].as_array() {
            for pair in names {
                let tid = pair[0].as_u64().expect("tid") as u32;
                let name = pair[1].as_str().expect("name");
                let t = dump
                    .threads()
                    .iter()
                    .find(|t| t.id == tid)
                    .unwrap_or_else(|| panic!("{file}: tid {tid}"));
                assert_eq!(t.name.as_deref().unwrap_or(""), name, "{}", ctx("thread name"));
            }
        }
        for t in dump.threads() {
            // Every fixture has decodable x86/x64 contexts.
            assert!(t.context.is_some(), "{file}: thread {} has no context: {:?}", t.id, t.context_note);
        }

        // Modules.
        assert_eq!(
            dump.modules().len() as u64,
            e["module_count"].as_u64().expect("modules"),
            "{}",
            ctx("modules")
        );
        assert_eq!(
            dump.modules().first().map(|m| m.path.as_str()),
            e["main_module"].as_str(),
            "{}",
            ctx("main module")
        );
        assert_eq!(
            dump.unloaded_modules().len() as u64,
            e["unloaded_modules"].as_u64().unwrap_or(0),
            "{}",
            ctx("unloaded modules")
        );

        // Exception.
        match e.get("exception") {
            Some(x) => {
                let got = dump.exception().unwrap_or_else(|| panic!("{file}: exception"));
                assert_eq!(
                    u64::from(got.thread_id),
                    x["tid"].as_u64().expect("tid"),
                    "{}",
                    ctx("exception tid")
                );
                assert_eq!(u64::from(got.code), hex(&x["code"]), "{}", ctx("exception code"));
            }
            None => assert!(dump.exception().is_none(), "{}", ctx("no exception")),
        }

        // Memory.
        assert_eq!(
            dump.memory().captured_bytes(),
            e["memory_bytes_total"].as_u64().expect("bytes"),
            "{}",
            ctx("captured bytes")
        );
        if let Some(ml) = e.get("memorylist") {
            let list = md.memory_list().expect("memory list");
            assert_eq!(list.len() as u64, ml["ranges"].as_u64().expect("ranges"), "{}", ctx("ranges"));
        }
        assert_eq!(
            dump.regions().len() as u64,
            e["memoryinfo_entries"].as_u64().unwrap_or(0),
            "{}",
            ctx("memoryinfo entries")
        );
        assert!(dump.warnings().is_empty(), "{file}: unexpected warnings {:?}", dump.warnings());
    }
}

#[test]
fn typed_streams_read_where_present() {
    for e in catalog() {
        let file = e["file"].as_str().expect("file");
        let dump = Dump::open(format!("{DIR}/{file}")).expect("open");
        let md = dump.minidump().expect("minidump");
        let has = |name: &str| {
            e["streams"].as_array().is_some_and(|s| {
                s.iter().any(|v| v.as_str().is_some_and(|v| v.starts_with(&format!("{name}("))))
            })
        };
        if has("SystemMemoryInfo") {
            let s = md.system_memory_info().unwrap_or_else(|err| panic!("{file}: {err}"));
            assert_eq!(s.basic.page_size, 4096, "{file}");
            assert_eq!(s.performance.len(), 78);
        }
        if has("ProcessVmCounters") {
            let c = md.process_vm_counters().unwrap_or_else(|err| panic!("{file}: {err}"));
            assert!(c.working_set_size > 0, "{file}");
        }
        if has("HandleData") {
            let h = md.handle_data().unwrap_or_else(|err| panic!("{file}: {err}"));
            assert!(!h.handles.is_empty(), "{file}");
            assert_eq!(h.handles.len(), dump.handles().len());
            assert!(dump.handles().iter().any(|h| h.type_name.is_some()), "{file}: handle type names");
        }
        if has("MiscInfo") {
            let m = md.misc_info().expect("misc");
            if m.size_of_info >= 832 {
                assert!(m.build_string.is_some() || m.flags1 & 0x100 == 0, "{file}: build string");
            }
        }
        assert!(md.stream(dump_format::minidump::StreamType::SYSTEM_INFO).is_some());
        assert!(md.comments().expect("comments").is_empty());
    }
}
