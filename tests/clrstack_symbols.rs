//! Native frames in `clrstack` are named from the runtime's own symbols
//! (libcoreclr.so's symbol table, found at the path the dump recorded and
//! checked by build id), demangled as debuggers print them.

use testkit::{arg, clrscope};

#[test]
fn native_runtime_frames_are_named() {
    for name in ["linux-x64-3.1-wks", "linux-x64-3.1-svr"] {
        let Some(dir) = testkit::generated(name) else { continue };
        let run =
            clrscope(&["clrstack".into(), arg(&testkit::dump_file(&dir)), "--all".into(), "--json".into()]);
        assert_eq!(run.code, 0, "{name}: {}", run.stderr);
        let text = run.stdout;
        // The sleeping threads wait in the runtime's Thread::UserSleep.
        assert!(text.contains("libcoreclr.so!Thread::UserSleep(int)+0x"), "{name}: no named UserSleep frame");
        assert!(!text.contains("libcoreclr.so!_ZN"), "{name}: a mangled name was printed");
    }
}
