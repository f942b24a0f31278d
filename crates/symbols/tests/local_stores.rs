//! Local symbol stores and directories: two- and three-tier (`index2.txt`)
//! layouts, compressed entries expanded into the cache, `file.ptr` to a
//! local file, WinDbg's directory layouts, `cache*` copies, and no network
//! without `Access::Fetch`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use support::build;
use support::server::Server;
use support::{TempDir, tree};
use symbols::store::{Access, Locator};
use symbols::{Key, SymbolPath};

fn locate(path: &str, key: &Key) -> symbols::store::Lookup {
    Locator::new(SymbolPath::parse(path).unwrap(), Access::Offline).with_default_cache(None).locate(key)
}

#[test]
fn store_layouts_directories_and_caches() {
    if !build::toolchain() {
        return;
    }
    let tmp = TempDir::new("local");
    let b = build::build(&tmp.path().join("src"), "t", build::SOURCE);
    let pdb = std::fs::read(&b.pdb).unwrap();
    let key = Key::pdb("t.pdb", b.guid, b.age).unwrap();
    let idx = build::index(&b);
    let put = |rel: &str, bytes: &[u8]| {
        let p = tmp.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    };
    // Three-tier store: found under its first tier only because of index2.txt.
    put("three/index2.txt", b"");
    put(&format!("three/t/t.pdb/{idx}/t.pdb"), &pdb);
    let look = locate(&format!("srv*{}", tmp.path().join("three").display()), &key);
    assert!(look.found.is_some(), "{:?}", look.attempts);
    std::fs::remove_file(tmp.path().join("three/index2.txt")).unwrap();
    assert!(locate(&format!("srv*{}", tmp.path().join("three").display()), &key).found.is_none());

    // A compressed entry in a local store is expanded into the cache, never
    // into the store.
    put(&format!("cabstore/t.pdb/{idx}/t.pd_"), &build::cab("t.pdb", &pdb));
    let cache = tmp.path().join("c1");
    let look = locate(&format!("srv*{}*{}", cache.display(), tmp.path().join("cabstore").display()), &key);
    let f = look.found.expect("expanded");
    assert_eq!(f.path, cache.join("t.pdb").join(&idx).join("t.pdb"));
    assert_eq!(std::fs::read(&f.path).unwrap(), pdb);
    assert_eq!(tree(&tmp.path().join("cabstore")), vec![format!("t.pdb/{idx}/t.pd_")]);

    // file.ptr in a local store may point to a local file (relative to the store).
    put(&format!("ptrstore/t.pdb/{idx}/file.ptr"), b"PATH:../src/t.pdb");
    let look = locate(&format!("srv*{}", tmp.path().join("ptrstore").display()), &key);
    assert!(look.found.is_some(), "{:?}", look.attempts);

    // WinDbg's directory layouts, and cache* keeping what later elements find.
    put("dir/symbols/pdb/t.pdb", &pdb);
    let c2 = tmp.path().join("c2");
    let look = locate(&format!("cache*{};{}", c2.display(), tmp.path().join("dir").display()), &key);
    assert_eq!(look.found.expect("found").path, c2.join("t.pdb").join(&idx).join("t.pdb"));

    // Another build under the same name is refused with the reason.
    let other =
        build::build(&tmp.path().join("other"), "t", "__declspec(dllexport) int o(void) { return 1; }\n");
    let look = locate(&tmp.path().join("other").display().to_string(), &key);
    assert!(look.found.is_none());
    assert!(look.attempts.iter().any(|a| a.outcome.contains("GUID/age")), "{:?}", look.attempts);
    drop(other);

    // Offline: a server in the path is reported, not asked.
    let srv = Server::start(Default::default());
    let c3 = tmp.path().join("c3");
    let look = locate(&format!("srv*{}*{}", c3.display(), srv.url), &key);
    assert_eq!(look.not_asked, vec![srv.url.clone()]);
    assert!(srv.requests().is_empty());
    assert!(!c3.exists());
}
