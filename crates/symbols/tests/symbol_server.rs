//! Symbol lookups against a symbol server on 127.0.0.1 serving real PDBs
//! (built here by clang + lld-link) as plain, compressed (`.pd_`) and
//! `file.ptr` entries; then every way a download can go wrong.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use dump_format::ModuleRecord;
use dump_format::model::DebugId;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use support::build::{self, Built};
use support::server::{Reply, Server};
use support::{TempDir, tree};
use symbols::http::HttpOptions;
use symbols::store::{Access, Locator, Lookup};
use symbols::{Key, SymbolPath, Symbolizer};

const BASE: u64 = 0x1_8000_0000;

fn fast() -> HttpOptions {
    HttpOptions {
        connect_timeout: Duration::from_secs(2),
        response_timeout: Duration::from_millis(700),
        total_timeout: Duration::from_secs(5),
        attempts: 2,
        max_bytes: 64 << 20,
        progress: false,
    }
}

fn locator(path: &str, access: Access) -> Locator {
    Locator::new(SymbolPath::parse(path).expect("symbol path"), access)
        .with_http_options(fast())
        .with_default_cache(None)
}

fn module(b: &Built) -> ModuleRecord {
    ModuleRecord {
        path: r"C:\app\t.dll".into(),
        base: BASE,
        size: u64::from(b.size_of_image),
        timestamp: Some(b.timestamp),
        checksum: None,
        file_version: None,
        product_version: None,
        debug_id: Some(DebugId::Pdb70 { pdb_name: r"C:\build\obj\t.pdb".into(), guid: b.guid, age: b.age }),
    }
}

fn key(b: &Built) -> Key {
    Key::pdb("t.pdb", b.guid, b.age).expect("key")
}

fn outcomes(l: &Lookup) -> String {
    l.attempts.iter().map(|a| format!("{}: {}", a.place, a.outcome)).collect::<Vec<_>>().join("\n")
}

#[test]
fn plain_compressed_and_pointer_entries_resolve_to_functions_and_lines() {
    if !build::toolchain() {
        return;
    }
    let tmp = TempDir::new("serve");
    let b = build::build(&tmp.path().join("src"), "t", build::SOURCE);
    let pdb = std::fs::read(&b.pdb).expect("pdb");
    let idx = build::index(&b);
    let mut routes = HashMap::new();
    routes.insert(format!("/plain/t.pdb/{idx}/t.pdb"), Reply::Body(pdb.clone()));
    routes.insert(format!("/cab/t.pdb/{idx}/t.pd_"), Reply::Body(build::cab("t.pdb", &pdb)));
    routes.insert("/blobs/t.pdb".into(), Reply::Body(pdb.clone()));
    let mut prefixes = vec!["plain", "cab", "ptr"];
    let gcab = tmp.path().join("gcab.pd_");
    let made_by_gcab = std::process::Command::new("gcab")
        .current_dir(b.pdb.parent().expect("dir"))
        .args(["-c", "-z"])
        .arg(&gcab)
        .arg("t.pdb")
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if made_by_gcab {
        routes.insert(
            format!("/gcab/t.pdb/{idx}/t.pd_"),
            Reply::Body(std::fs::read(&gcab).expect("gcab output")),
        );
        prefixes.push("gcab");
    }
    let srv = Server::start(routes);
    // The pointer names another URL of the same server.
    srv.route(
        format!("/ptr/t.pdb/{idx}/file.ptr"),
        Reply::Body(format!("PATH:{}/blobs/t.pdb\r\n", srv.url).into_bytes()),
    );

    for prefix in &prefixes {
        let cache = tmp.path().join(format!("cache-{prefix}"));
        let loc = locator(&format!("srv*{}*{}/{prefix}", cache.display(), srv.url), Access::Fetch);
        let look = loc.locate(&key(&b));
        let found = look.found.clone().unwrap_or_else(|| panic!("{prefix}: not found:\n{}", outcomes(&look)));
        assert_eq!(found.path, cache.join("t.pdb").join(&idx).join("t.pdb"), "{prefix}");
        assert_eq!(std::fs::read(&found.path).expect("cached"), pdb, "{prefix}: cached bytes differ");
        assert!(found.source.contains(&srv.url), "{prefix}: {}", found.source);
        assert_eq!(tree(&cache), vec![format!("t.pdb/{idx}/t.pdb")], "{prefix}: only the file in the cache");
    }

    // The cache alone answers now: offline, and the server is not asked.
    let before = srv.requests().len();
    let cache = tmp.path().join("cache-plain");
    let offline = locator(&format!("srv*{}*{}/plain", cache.display(), srv.url), Access::Offline);
    assert!(offline.locate(&key(&b)).found.is_some());
    assert_eq!(srv.requests().len(), before, "an offline lookup contacted the server");

    // Names and lines, against the DLL's exports and llvm-pdbutil's lines.
    let m = module(&b);
    let sym = Symbolizer::new(std::slice::from_ref(&m), &offline);
    assert_eq!(b.exports.len(), 2);
    for (name, rva) in &b.exports {
        let s = sym.symbolize(BASE + u64::from(*rva) + 1).expect("in module");
        assert_eq!(
            (s.module.as_str(), s.function.as_deref(), s.offset),
            ("t", Some(name.as_str()), 1),
            "{s}"
        );
        let (file, _) = s.file_line.clone().expect("line information");
        assert!(file.ends_with("t.c"), "{s}");
    }
    eprintln!("servers: {prefixes:?}; lines from llvm-pdbutil: {:?}", b.lines);
    match &b.lines {
        Some(rows) => {
            assert!(rows.len() >= 5, "{rows:?}");
            for (rva, line) in rows {
                let s = sym.symbolize(BASE + u64::from(*rva)).expect("in module");
                assert_eq!(s.file_line.as_ref().map(|f| f.1), Some(*line), "rva {rva:#x}: {s}");
            }
        }
        None => {
            // Without llvm-pdbutil: the source says where the bodies are.
            let add = b.exports.iter().find(|e| e.0 == "add_numbers").expect("export").1;
            let s = sym.symbolize(BASE + u64::from(add)).expect("in module");
            assert_eq!(s.file_line.map(|f| f.1), Some(2));
        }
    }
    let outside = sym.symbolize(BASE + u64::from(b.size_of_image) - 1).expect("in module");
    assert_eq!(outside.function, None, "{outside}");
    assert!(sym.symbolize(BASE - 1).is_none());
}

#[test]
fn failures_are_clear_and_nothing_leaves_the_cache() {
    if !build::toolchain() {
        return;
    }
    let tmp = TempDir::new("fail");
    let b = build::build(&tmp.path().join("src"), "t", build::SOURCE);
    let other = build::build(
        &tmp.path().join("other"),
        "t",
        "__declspec(dllexport) int other(void) { return 42; }\n",
    );
    assert_ne!(b.guid, other.guid);
    let pdb = std::fs::read(&b.pdb).expect("pdb");
    let idx = build::index(&b);
    let wrong_age_idx = format!("{}{:X}", &idx[..32], b.age + 1);
    let mut bad_cab = build::cab("t.pdb", &pdb);
    let n = bad_cab.len();
    bad_cab[n - 10] ^= 0x55;
    let evil = format!("clrscope-evil-{}.pdb", std::process::id());
    let e = |p: &str, f: &str| format!("/{p}/t.pdb/{idx}/{f}");
    let routes: HashMap<String, Reply> = [
        (e("trunc", "t.pdb"), Reply::Truncated { body: pdb[..100].to_vec(), announced: pdb.len() }),
        (e("wrong", "t.pdb"), Reply::Body(std::fs::read(&other.pdb).expect("other pdb"))),
        (format!("/wrongage/t.pdb/{wrong_age_idx}/t.pdb"), Reply::Body(pdb.clone())),
        (e("badcab", "t.pd_"), Reply::Body(bad_cab)),
        (e("slow", "t.pdb"), Reply::Slow(Duration::from_secs(20))),
        (e("err500", "t.pdb"), Reply::Status(500)),
        (e("ptrabs", "file.ptr"), Reply::Body(b"PATH:/etc/passwd".to_vec())),
        (e("ptrrel", "file.ptr"), Reply::Body(br"PATH:..\..\x".to_vec())),
        (e("ptrmsg", "file.ptr"), Reply::Body(b"MSG: withheld by policy".to_vec())),
        (e("cabdotdot", "t.pd_"), Reply::Body(build::cab(&format!("../../{evil}"), &pdb))),
        (e("cababs", "t.pd_"), Reply::Body(build::cab(&format!("/tmp/{evil}"), &pdb))),
        (e("cabslash", "t.pd_"), Reply::Body(build::cab(&format!("sub/{evil}"), &pdb))),
    ]
    .into_iter()
    .collect();
    let srv = Server::start(routes);
    let cases: &[(&str, &str, bool)] = &[
        ("e404", "absent (404)", false),
        ("trunc", "truncated body: 100 of", true),
        ("wrong", "GUID/age is", false),
        ("badcab", "Checksum error", false),
        ("slow", "timed out", true),
        ("err500", "HTTP 500 (after 2 tries)", true),
        ("ptrabs", "refused: a server may not make clrscope read local files", false),
        ("ptrrel", "refused: a server may not make clrscope read local files", false),
        ("ptrmsg", "withheld by policy", false),
        ("cabdotdot", "expected \"t.pdb\"", false),
        ("cababs", "expected \"t.pdb\"", false),
        ("cabslash", "expected \"t.pdb\"", false),
    ];
    for (prefix, want, retried) in cases {
        let cache = tmp.path().join("caches").join(prefix);
        let loc = locator(&format!("srv*{}*{}/{prefix}", cache.display(), srv.url), Access::Fetch);
        let t0 = Instant::now();
        let look = loc.locate(&key(&b));
        assert!(look.found.is_none(), "{prefix}: found {:?}", look.found);
        let text = outcomes(&look);
        eprintln!("{prefix}: {text}");
        assert!(text.contains(want), "{prefix}: expected {want:?} in:\n{text}");
        assert!(t0.elapsed() < Duration::from_secs(10), "{prefix}: took {:?}", t0.elapsed());
        let asked = srv.requests().iter().filter(|r| r.starts_with(&format!("/{prefix}/"))).count();
        if *retried {
            assert!(asked >= 2, "{prefix}: not retried ({asked} requests)");
        }
    }
    // Wrong age: the right PDB served under the URL of another age.
    let cache = tmp.path().join("caches").join("wrongage");
    let loc = locator(&format!("srv*{}*{}/wrongage", cache.display(), srv.url), Access::Fetch);
    let aged = Key::pdb("t.pdb", b.guid, b.age + 1).expect("key");
    let look = loc.locate(&aged);
    assert!(look.found.is_none() && outcomes(&look).contains("GUID/age"), "{}", outcomes(&look));

    // A hostile name built by hand never reaches the server or the disk.
    let before = srv.requests().len();
    for name in ["..", "../../evil.pdb", r"..\..\x", "/abs/x.pdb", "a/b"] {
        let k = Key::Pdb { name: name.into(), guid: b.guid, age: b.age };
        let look = loc.locate(&k);
        assert!(look.found.is_none());
        assert!(outcomes(&look).contains("unsafe file name"), "{name}: {}", outcomes(&look));
    }
    assert_eq!(srv.requests().len(), before, "a hostile name was requested");
    // A recorded path's directories are dropped, as debuggers do.
    assert_eq!(Key::pdb(r"..\..\t.pdb", b.guid, b.age).expect("key").file_name(), "t.pdb");

    // Nothing but the sources in the tree: no partial, unverified or
    // renamed-by-the-server file anywhere, inside or outside the caches.
    let files: Vec<String> =
        tree(tmp.path()).into_iter().filter(|f| !f.starts_with("src/") && !f.starts_with("other/")).collect();
    assert!(files.is_empty(), "left behind: {files:?}");
    for p in [tmp.path().parent().map(|p| p.join(&evil)), Some(std::path::PathBuf::from("/tmp").join(&evil))]
        .into_iter()
        .flatten()
    {
        assert!(!p.exists(), "{} written", p.display());
    }
}
