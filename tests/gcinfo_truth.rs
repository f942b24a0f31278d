//! Precise stack roots from GC info (`clr_stack::gcinfo`,
//! `clr_stack::stack_roots`) on real dumps. The decoding proves itself on
//! every x64 generated dump: nearly every managed frame decodes, a caller
//! frame's return address is one of its method's call sites, and every live
//! slot that is not a byref holds null or an object start — a frame failing
//! any of these would fall back to the conservative scan and is counted.
//! The frames a caught exception left on the stack (between a catch funclet
//! and its parent) are recognised as unwound; the liveness the truth
//! requires is in `roots_truth.rs`.

use clr_heap::Runtime;
use clr_heap::roots::RootKind;
use clr_heap::types::TypeSystem;
use clr_stack::Threads;
use clr_stack::roots::RootSet;

fn check(name: &str) {
    let Some((dir, truth, dump)) = testkit::open_generated(name) else { return };
    let rt = Runtime::open(&dump, &testkit::clr_options(&dir)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let types = TypeSystem::new(&rt);
    let threads = Threads::read(&types).unwrap_or_else(|e| panic!("{name}: {e}"));
    let set = RootSet::collect(&types, &threads).unwrap_or_else(|e| panic!("{name}: {e}"));
    let s = &set.stack;
    eprintln!("{name}: {s:#?}");
    let precise =
        set.liveness.roots.iter().filter(|r| matches!(r.kind, RootKind::Stack { conservative: false, .. }));
    let precise = precise.count();
    if rt.layout.ptr != 8 {
        assert_eq!((s.precise, precise), (0, 0), "{name}: x86 GC info is not decoded");
        return;
    }
    // Frames fall back where the dump lacks what precision needs: a heap-only
    // dump has no code or GC info, and Linux native frames (unwound through
    // frame pointers) do not give back the callee-saved registers a caller's
    // live register slot needs. Dumps with their code: most frames precise.
    let live_frames = s.frames - s.unwound;
    if !name.ends_with("-withheap") {
        assert!(
            s.precise * 5 >= live_frames * 4,
            "{name}: {} of {live_frames} frames precise: {:#?}",
            s.precise,
            s.reasons
        );
    }
    assert!(
        !s.reasons.iter().any(|r| r.contains("not an object") || r.contains("call sites")),
        "{name}: a decoded frame failed its checks: {:#?}",
        s.reasons
    );
    assert!(precise > 0, "{name}: no precise stack root");
    // The thread that caught a PaymentException sleeps in its catch block:
    // the throwing frames below the handler's parent are unwound.
    let caught = truth["threads"].as_array().into_iter().flatten().any(|t| t["name"] == "ErrorReporter");
    if caught {
        assert!(s.unwound >= 2, "{name}: the ErrorReporter's unwound frames not recognised: {s:#?}");
    }
}

testkit::test_each_generated_dump!(check);
