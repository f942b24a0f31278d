//! Offsets of the native `Thread` (reference §6.2), each proven on the dump.
//!
//! Only `m_State`, `m_fPreemptiveGCDisabled`, `m_pFrame`, `m_dwLockCount`,
//! `m_ThreadId` and (x64) the allocation context are pinned by the runtime's
//! `asmconstants.h`; they are candidates checked against invariants. The
//! others are found by what they must hold on *this* dump:
//!
//! * `m_Link` — the list's links minus it are `Thread`s: `g_pFinalizerThread`
//!   is one of them and each starts with a vtable inside the runtime module;
//! * `m_OSThreadId` — the offset whose values are the dump's OS thread ids;
//! * `m_ExposedObject` — a handle to a `System.Threading.Thread` object whose
//!   `_DONT_USE_InternalThread` points back at this `Thread`;
//! * `m_LastThrownObjectHandle` — the first handle after it that holds
//!   `System.Exception`-derived objects;
//! * the allocation context — a pointer pair inside one GC segment.
//!
//! A field whose calibration fails is `None` and the failed check says why.

use crate::objects::Objects;
use clr_heap::runtime::Diagnostics;
use dump_format::Memory;
use std::collections::HashSet;

/// How far into a `Thread` the scans look (the 3.1 x64 `Thread` is ~0x600 bytes;
/// the fields scanned for sit in its first half).
const THREAD_SCAN: u64 = 0x800;
/// How far after `m_ExposedObject` `m_LastThrownObjectHandle` may sit.
const LAST_THROWN_WINDOW: u64 = 0x80;

/// The calibrated `Thread` layout: `None` for a field that could not be proven.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ThreadLayout {
    /// `m_Link` (the list stores the address of this field).
    pub link: u64,
    /// `m_State`.
    pub state: Option<u64>,
    /// `m_fPreemptiveGCDisabled` (1 = cooperative).
    pub preemptive_disabled: Option<u64>,
    /// `m_pFrame`.
    pub frame: Option<u64>,
    /// `m_dwLockCount`.
    pub lock_count: Option<u64>,
    /// `m_ThreadId` (the managed thread id).
    pub thread_id: Option<u64>,
    /// `m_OSThreadId`.
    pub os_id: Option<u64>,
    /// `m_ExposedObject`.
    pub exposed: Option<u64>,
    /// `m_LastThrownObjectHandle`.
    pub last_thrown: Option<u64>,
    /// `m_alloc_context.alloc_ptr` (`alloc_limit` follows it).
    pub alloc_context: Option<u64>,
}

/// The `asmconstants.h` candidates (reference §6.2 table): `(state,
/// preemptive, frame, lock count, thread id, alloc_ptr)`. `with_domain`:
/// the runtime still has `Thread::m_pDomain` before the lock count (.NET
/// Framework and CoreCLR 2.x; removed in 3.0), which moves what follows.
fn candidates(ptr: u64, with_domain: bool) -> (u64, u64, u64, u64, u64, Option<u64>) {
    match (ptr, with_domain) {
        (8, false) => (0x8, 0xC, 0x10, 0x20, 0x24, Some(0x58)),
        (8, true) => (0x8, 0xC, 0x10, 0x28, 0x2C, Some(0x60)),
        (_, false) => (0x4, 0x8, 0xC, 0x14, 0x18, None),
        (_, true) => (0x4, 0x8, 0xC, 0x18, 0x1C, None),
    }
}

/// Reads pointers and u32s, `None` when not captured.
pub(crate) struct Reader<'m> {
    pub(crate) mem: &'m Memory<'m>,
    pub(crate) ptr: u64,
}

impl Reader<'_> {
    pub(crate) fn p(&self, a: u64) -> Option<u64> {
        self.mem.ptr(a).ok()
    }
    pub(crate) fn u(&self, a: u64) -> Option<u32> {
        self.mem.u32(a).ok()
    }
}

/// What the dump and the runtime's version say about the threads.
pub(crate) struct Target<'x> {
    /// OS thread ids of the dump.
    pub(crate) os_ids: HashSet<u32>,
    /// The captured stack `[low, high)` of an OS thread.
    pub(crate) stacks: &'x dyn Fn(u32) -> Option<(u64, u64)>,
    /// `Thread::m_pDomain` still exists (see [`candidates`]).
    pub(crate) with_domain: bool,
}

/// Finds `offsetof(Thread, m_Link)`: the displacement that turns the link
/// holding the finalizer's `Thread` into `g_pFinalizerThread`, accepted only
/// if every link minus it starts with a vtable inside the runtime module.
pub(crate) fn find_link(
    r: &Reader,
    links: &[u64],
    finalizer: Option<u64>,
    in_runtime: &dyn Fn(u64) -> bool,
    diag: &mut Diagnostics,
) -> Option<u64> {
    let all_vtables = |d: u64| links.iter().all(|&l| r.p(l.wrapping_sub(d)).is_some_and(in_runtime));
    let name = "Thread.m_Link: links minus it are Threads (vtable in the runtime)";
    if let Some(fin) = finalizer {
        let found = links
            .iter()
            .map(|&l| l.wrapping_sub(fin))
            .find(|&d| d < THREAD_SCAN && d % r.ptr == 0 && all_vtables(d));
        match found {
            Some(d) => {
                diag.check(name, true, format!("offset {d:#x}, g_pFinalizerThread {fin:#x} in the list"))
            }
            None => diag.check(
                name,
                false,
                format!("no link of {} is g_pFinalizerThread {fin:#x} plus a valid offset", links.len()),
            ),
        }
        return found;
    }
    // Without the finalizer, the smallest displacement that passes the vtable test.
    let found = (0..THREAD_SCAN).step_by(r.ptr as usize).find(|&d| !links.is_empty() && all_vtables(d));
    diag.check(
        name,
        found.is_some(),
        match found {
            Some(d) => {
                format!("offset {d:#x} (g_pFinalizerThread unknown: first offset passing the vtable test)")
            }
            None => "no offset passes".into(),
        },
    );
    found
}

/// Calibrates every other field on the `threads` (addresses of `Thread`s).
pub(crate) fn calibrate(
    r: &Reader,
    objects: &Objects,
    threads: &[u64],
    target: &Target,
    link: u64,
    diag: &mut Diagnostics,
) -> ThreadLayout {
    let (os_ids, stacks) = (&target.os_ids, target.stacks);
    let (state, pre, frame, lock, tid, alloc) = candidates(r.ptr, target.with_domain);
    let mut l = ThreadLayout { link, ..Default::default() };

    let pre_ok = threads.iter().all(|&t| r.u(t.wrapping_add(pre)).is_some_and(|v| v <= 1));
    diag.check(
        "Thread.m_fPreemptiveGCDisabled is 0 or 1 on every thread",
        pre_ok,
        format!("offset {pre:#x}"),
    );
    l.preemptive_disabled = pre_ok.then_some(pre);

    let ids: Vec<Option<u32>> = threads.iter().map(|&t| r.u(t.wrapping_add(tid))).collect();
    let unique: HashSet<_> = ids.iter().flatten().collect();
    let ids_ok = ids.iter().all(|v| v.is_some_and(|v| v > 0 && v < 1 << 24)) && unique.len() == ids.len();
    diag.check("Thread.m_ThreadId: unique, positive managed ids", ids_ok, format!("offset {tid:#x}"));
    l.thread_id = ids_ok.then_some(tid);

    l.os_id = find_os_id(r, threads, os_ids, diag);
    // m_State: a dead thread has the Dead bit; a live one (OS thread in the dump) has not.
    if let Some(os) = l.os_id {
        let bad: Vec<u64> = threads
            .iter()
            .copied()
            .filter(|&t| {
                let alive = r.u(t.wrapping_add(os)).is_some_and(|id| os_ids.contains(&id));
                r.u(t.wrapping_add(state)).is_none_or(|s| alive && s & 0x800 != 0)
            })
            .collect();
        diag.check(
            "Thread.m_State: no thread whose OS thread is in the dump has the Dead bit",
            bad.is_empty(),
            format!("offset {state:#x}; contradicting threads {bad:x?}"),
        );
        l.state = bad.is_empty().then_some(state);
    } else {
        diag.check("Thread.m_State", false, "not checked: m_OSThreadId was not found");
    }
    l.lock_count =
        threads.iter().all(|&t| r.u(t.wrapping_add(lock)).is_some_and(|v| v < 1 << 16)).then_some(lock);
    diag.check(
        "Thread.m_dwLockCount is a small count on every thread",
        l.lock_count.is_some(),
        format!("offset {lock:#x}"),
    );
    l.frame = check_frame(r, threads, frame, l.os_id, stacks, diag);

    l.exposed = find_exposed(r, objects, threads, l.thread_id, diag);
    l.last_thrown = l.exposed.and_then(|e| find_last_thrown(r, objects, threads, e, diag));
    l.alloc_context = find_alloc_context(r, objects, threads, alloc, l.thread_id.unwrap_or(0), diag);
    l
}

/// `m_pFrame`: `FRAME_TOP` (-1), null, or an address inside the thread's
/// captured stack, on every live thread whose stack the dump holds.
fn check_frame(
    r: &Reader,
    threads: &[u64],
    frame: u64,
    os_id: Option<u64>,
    stacks: &dyn Fn(u32) -> Option<(u64, u64)>,
    diag: &mut Diagnostics,
) -> Option<u64> {
    let name = "Thread.m_pFrame is FRAME_TOP or inside the thread's stack";
    let Some(os) = os_id else {
        diag.check(name, false, "not checked: m_OSThreadId was not found");
        return None;
    };
    let top = if r.ptr == 8 { u64::MAX } else { u64::from(u32::MAX) };
    let (mut inside, mut bad) = (0, Vec::new());
    for &t in threads {
        let Some((lo, hi)) = r.u(t.wrapping_add(os)).and_then(stacks) else { continue };
        match r.p(t.wrapping_add(frame)) {
            Some(f) if f == top || f == 0 => {}
            Some(f) if f >= lo && f < hi => inside += 1,
            f => bad.push((t, f)),
        }
    }
    diag.check(name, bad.is_empty(), format!("offset {frame:#x}: {inside} inside; outside {bad:x?}"));
    bad.is_empty().then_some(frame)
}

/// `m_OSThreadId`: the u32 offset where most threads hold a distinct OS id of
/// the dump. Equal columns (copies of the id) are one answer; a tie between
/// offsets that disagree is a failure.
fn find_os_id(r: &Reader, threads: &[u64], os_ids: &HashSet<u32>, diag: &mut Diagnostics) -> Option<u64> {
    let name = "Thread.m_OSThreadId: values are the dump's OS thread ids";
    let mut best: Vec<(u64, usize)> = Vec::new();
    for o in (0..THREAD_SCAN).step_by(4) {
        let vals: Vec<u32> =
            threads.iter().filter_map(|&t| r.u(t.wrapping_add(o))).filter(|v| os_ids.contains(v)).collect();
        let distinct: HashSet<_> = vals.iter().collect();
        if distinct.len() != vals.len() || vals.is_empty() {
            continue;
        }
        match best.first() {
            Some(&(_, n)) if vals.len() < n => {}
            Some(&(_, n)) if vals.len() == n => best.push((o, n)),
            _ => best = vec![(o, vals.len())],
        }
    }
    let Some(&(off, hits)) = best.first() else {
        diag.check(name, false, "no offset holds any OS thread id of the dump");
        return None;
    };
    let column = |o: u64| threads.iter().map(|&t| r.u(t.wrapping_add(o))).collect::<Vec<_>>();
    let same = best.iter().all(|&(o, _)| column(o) == column(off));
    // Dead threads legitimately lose their id; most threads are alive.
    let ok = same && hits * 2 > threads.len();
    diag.check(
        name,
        ok,
        format!(
            "offset {off:#x}: {hits} of {} threads{}",
            threads.len(),
            if same { String::new() } else { format!("; offsets {best:x?} disagree") }
        ),
    );
    ok.then_some(off)
}

/// `m_ExposedObject`: the first pointer offset with the most threads whose
/// handle leads to their own managed `Thread` object.
fn find_exposed(
    r: &Reader,
    objects: &Objects,
    threads: &[u64],
    tid: Option<u64>,
    diag: &mut Diagnostics,
) -> Option<u64> {
    let mut best: Option<(u64, usize)> = None;
    for o in (0..THREAD_SCAN).step_by(r.ptr as usize) {
        let hits = threads
            .iter()
            .filter(|&&t| {
                let obj = r.p(t.wrapping_add(o)).filter(|&h| h != 0).and_then(|h| r.p(h));
                obj.is_some_and(|obj| objects.internal_thread(obj) == Some(t))
            })
            .count();
        if hits > best.map_or(0, |b| b.1) {
            best = Some((o, hits));
        }
    }
    let name = "Thread.m_ExposedObject: a handle to the managed Thread pointing back";
    let Some((off, hits)) = best else {
        diag.check(
            name,
            false,
            "no handle leads to a System.Threading.Thread whose internal pointer is its Thread",
        );
        return None;
    };
    diag.check(name, true, format!("offset {off:#x}: {hits} of {} threads", threads.len()));
    if let Some(tid) = tid {
        let mut agree = 0;
        let mut disagree = Vec::new();
        for &t in threads {
            // A thread that never had a managed object keeps an empty handle.
            let Some(obj) =
                r.p(t.wrapping_add(off)).filter(|&h| h != 0).and_then(|h| r.p(h)).filter(|&o| o != 0)
            else {
                continue;
            };
            match (objects.managed_id(obj), r.u(t.wrapping_add(tid))) {
                (Some(m), Some(n)) if m == n as i32 => agree += 1,
                (m, n) => disagree.push((t, m, n)),
            }
        }
        diag.check(
            "Thread.m_ThreadId equals the managed Thread's _managedThreadId",
            disagree.is_empty(),
            format!("{agree} equal; different: {disagree:x?}"),
        );
    }
    Some(off)
}

/// `m_LastThrownObjectHandle`: declared after `m_ExposedObject`; the first
/// offset in the window where every non-null handle holds an exception and
/// at least one thread has one. Without any thrown exception it stays unknown.
fn find_last_thrown(
    r: &Reader,
    objects: &Objects,
    threads: &[u64],
    exposed: u64,
    diag: &mut Diagnostics,
) -> Option<u64> {
    let name = "Thread.m_LastThrownObjectHandle: handles to System.Exception objects after m_ExposedObject";
    for o in (exposed + r.ptr..=exposed + LAST_THROWN_WINDOW).step_by(r.ptr as usize) {
        let mut hits = 0;
        let all = threads.iter().all(|&t| match r.p(t.wrapping_add(o)) {
            Some(0) => true,
            Some(h) => {
                let ok = r.p(h).is_some_and(|obj| obj != 0 && objects.is_exception(obj));
                hits += usize::from(ok);
                ok
            }
            None => false,
        });
        if all && hits > 0 {
            diag.check(name, true, format!("offset {o:#x}: {hits} threads hold one"));
            return Some(o);
        }
    }
    diag.check(
        name,
        false,
        "no thread holds a thrown exception at any candidate offset: last thrown exceptions are unknown",
    );
    None
}

/// The allocation context: the candidate when it holds, else the first
/// pointer pair after `m_ThreadId` that is `(0, 0)` or `ptr ≤ limit` inside one
/// GC segment on every thread, non-zero on at least one.
fn find_alloc_context(
    r: &Reader,
    objects: &Objects,
    threads: &[u64],
    candidate: Option<u64>,
    after: u64,
    diag: &mut Diagnostics,
) -> Option<u64> {
    let fits = |o: u64| {
        let mut nonzero = 0;
        let all = threads.iter().all(|&t| match (r.p(t.wrapping_add(o)), r.p(t.wrapping_add(o + r.ptr))) {
            (Some(0), Some(0)) => true,
            (Some(a), Some(b)) if a <= b && a != 0 => {
                nonzero += 1;
                objects.same_segment(a, b)
            }
            _ => false,
        });
        all && nonzero > 0
    };
    let name = "Thread.m_alloc_context: pointer pairs inside one GC segment";
    if let Some(c) = candidate.filter(|&c| fits(c)) {
        diag.check(name, true, format!("offset {c:#x} (asmconstants candidate)"));
        return Some(c);
    }
    let start = (after + 4).next_multiple_of(r.ptr);
    let found = (start..0x200).step_by(r.ptr as usize).find(|&o| fits(o));
    diag.check(
        name,
        found.is_some(),
        match (found, candidate) {
            (Some(o), Some(c)) => format!("offset {o:#x} (the candidate {c:#x} failed)"),
            (Some(o), None) => format!("offset {o:#x} (no candidate for this target: found by scan)"),
            (None, _) => "no offset holds an allocation context (no thread may have one)".into(),
        },
    );
    found
}
