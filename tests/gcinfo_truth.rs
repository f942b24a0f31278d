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

/// The real blobs of a dump's frames, damaged: decoding and queries end
/// with an answer or an error, never a panic (the dump is untrusted input).
#[test]
fn real_blobs_damaged_never_panic() {
    use clr_stack::gcinfo::GcInfo;
    use clr_stack::stack::{FrameKind, StackWalker};
    use clr_stack::{CodeMap, Methods};
    let Some((dir, _truth, dump)) = testkit::open_generated("linux-x64-3.1-wks") else { return };
    let rt = Runtime::open(&dump, &testkit::clr_options(&dir)).unwrap_or_else(|e| panic!("{e}"));
    let types = TypeSystem::new(&rt);
    let threads = Threads::read(&types).unwrap_or_else(|e| panic!("{e}"));
    let methods = Methods::new(&types);
    let code = CodeMap::new(&methods);
    let mut walker = StackWalker::new(&code);
    let mut blobs: Vec<Vec<u8>> = Vec::new();
    for t in &threads.threads {
        let Some(rec) = t.dump_thread.and_then(|i| dump.threads().get(i)) else { continue };
        for f in walker.walk(rec, t.frame.map(|fr| (t.address, fr))).frames {
            if let (FrameKind::Managed { .. }, Some(at)) = (&f.kind, f.gc_info) {
                if let Ok(b) = code.gc_info_bytes(at, 4096) {
                    if !blobs.contains(&b) {
                        blobs.push(b);
                    }
                }
            }
        }
    }
    assert!(blobs.len() >= 10, "only {} distinct GC info blobs", blobs.len());
    let mut rng = testkit::Rng(0x2545_F491_4F6C_DD1D);
    let mut next = move || rng.next();
    let (mut decoded, mut queries) = (0, 0);
    for round in 0..20_000usize {
        let mut blob = blobs[round % blobs.len()].clone();
        let len = blob.len().min(256) as u64;
        for _ in 0..1 + next() % 3 {
            let i = (next() % len) as usize;
            blob[i] ^= 1 << (next() % 8);
        }
        blob.truncate((next() % (len + 64)) as usize);
        let Ok(info) = GcInfo::decode(&blob) else { continue };
        decoded += 1;
        for _ in 0..4 {
            let offset = next() % info.code_length;
            if let Ok(live) = info.live_slots(&blob, offset, next() % 2 == 0, false) {
                assert!(live.len() <= info.slots.len());
                queries += 1;
            }
        }
    }
    eprintln!("{} blobs, {decoded} damaged ones still decoded, {queries} queries answered", blobs.len());
}
