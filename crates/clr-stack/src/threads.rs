//! The managed threads (`!threads`): the runtime's thread list read through
//! the calibrated layout and mapped to the dump's OS threads.

use crate::calibrate::{Reader, Target, ThreadLayout, calibrate, find_link};
use crate::objects::{Objects, global_ptr};
use crate::state::ThreadState;
use crate::store::{StoreCounts, ThreadStore};
use clr_heap::runtime::{Diagnostics, Flavor};
use clr_heap::types::TypeSystem;
use clr_heap::{ClrError, Result};
use std::collections::HashSet;

/// How many threads the field scans look at (the first ones in the list).
const CALIBRATION_SAMPLE: usize = 128;

/// What the runtime uses a thread for, when it can be told without the
/// thread's TLS (where the runtime keeps its own thread-type bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecialThread {
    /// `g_pFinalizerThread`.
    Finalizer,
    /// `ThreadpoolMgr::pTimerThread` (named only where the runtime's symbols are read).
    Timer,
    /// `TS_TPWorkerThread`.
    ThreadpoolWorker,
    /// `TS_CompletionPortThread`.
    CompletionPort,
    /// `g_pSuspensionThread`: the thread suspending the runtime (for a GC).
    SuspendingEE,
}

impl SpecialThread {
    /// The annotation SOS prints after the Exception column.
    pub fn label(self) -> &'static str {
        match self {
            SpecialThread::Finalizer => "(Finalizer)",
            SpecialThread::Timer => "(Timer)",
            SpecialThread::ThreadpoolWorker => "(Threadpool Worker)",
            SpecialThread::CompletionPort => "(Threadpool Completion Port)",
            SpecialThread::SuspendingEE => "(SuspendEE)",
        }
    }
}

/// One runtime `Thread` (SOS `ThreadOBJ`).
#[derive(Debug, Clone)]
pub struct ManagedThread {
    /// Position in the runtime's thread list.
    pub index: usize,
    /// Address of the native `Thread`.
    pub address: u64,
    /// `m_ThreadId`: the managed thread id (`Thread.ManagedThreadId`).
    pub managed_id: Option<u32>,
    /// `m_OSThreadId` as stored (0 or stale for dead threads).
    pub os_id: Option<u32>,
    /// Index of the OS thread in `dump.threads()`, when it is in the dump.
    pub dump_thread: Option<usize>,
    /// `m_State`.
    pub state: Option<ThreadState>,
    /// `m_fPreemptiveGCDisabled != 0`: cooperative mode (running managed code).
    pub cooperative: Option<bool>,
    /// `m_dwLockCount`.
    pub lock_count: Option<u32>,
    /// `m_pFrame`: the innermost explicit Frame (`-1` = none).
    pub frame: Option<u64>,
    /// `(alloc_ptr, alloc_limit)` of the thread's allocation context.
    pub alloc_context: Option<(u64, u64)>,
    /// The managed `System.Threading.Thread` object.
    pub thread_object: Option<u64>,
    /// Its `_name` (`Err`: why it could not be read).
    pub name: Result<Option<String>, String>,
    /// The last thrown exception object (`m_LastThrownObjectHandle`).
    pub last_thrown: Option<u64>,
    /// What the runtime uses it for, when known.
    pub special: Vec<SpecialThread>,
}

impl ManagedThread {
    /// Dead: the `Dead` state bit, or its OS thread is not in the dump.
    pub fn is_dead(&self) -> bool {
        self.state.is_some_and(|s| s.is_dead()) || self.dump_thread.is_none()
    }
}

/// Every managed thread of a runtime and what they rest on.
#[derive(Debug, Clone)]
pub struct Threads {
    /// The thread store.
    pub store: ThreadStore,
    /// The calibrated `Thread` layout.
    pub layout: ThreadLayout,
    /// The threads, in the runtime's list order.
    pub threads: Vec<ManagedThread>,
    /// The (single, in CoreCLR) AppDomain, `AppDomain::m_pTheAppDomain`.
    pub domain: Option<u64>,
    /// Every finding and check of the thread reader.
    pub diagnostics: Diagnostics,
}

impl Threads {
    /// Reads the thread list of `types`' runtime.
    ///
    /// ```no_run
    /// let dump = dump_format::Dump::open("core")?;
    /// let rt = clr_heap::Runtime::open(&dump, &Default::default())?;
    /// let types = clr_heap::types::TypeSystem::new(&rt);
    /// let threads = clr_stack::Threads::read(&types)?;
    /// for t in &threads.threads {
    ///     println!("{:?} {:?} {:?}", t.managed_id, t.os_id, t.name);
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read(types: &TypeSystem) -> Result<Threads> {
        let rt = types.runtime();
        let mut diag = Diagnostics::default();
        let store = ThreadStore::read(rt, &mut diag)?;
        let mem = rt.dump.memory();
        let r = Reader { mem: &mem, ptr: rt.layout.ptr };
        let objects = Objects::new(types);
        let finalizer = global_ptr(rt, "g_pFinalizerThread");
        let runtime_module = &rt.module.module;
        let in_runtime = |a: u64| a >= runtime_module.base && a < runtime_module.end();
        let link = if store.links.is_empty() {
            0
        } else {
            find_link(&r, &store.links, finalizer, &in_runtime, &mut diag).ok_or_else(|| {
                ClrError::Invalid {
                    what: "thread list",
                    address: store.address,
                    reason: "no offset of Thread.m_Link makes its links Threads (see the diagnostics)".into(),
                }
            })?
        };
        let addrs: Vec<u64> = store.links.iter().map(|l| l.wrapping_sub(link)).collect();
        let os_ids: HashSet<u32> = rt.dump.threads().iter().map(|t| t.id).collect();
        // Thread::m_pDomain went away in CoreCLR 3.0 (file version 4.700).
        let with_domain = rt.module.flavor == Flavor::Desktop
            || rt.module.file_version.is_some_and(|v| v.0[0] == 4 && v.0[1] < 700);
        diag.found(
            format!("Thread {} m_pDomain", if with_domain { "with" } else { "without" }),
            "runtime flavour and file version",
        );
        // The scans cost (offsets × threads); a sample proves the layout as well as all.
        let sample = &addrs[..addrs.len().min(CALIBRATION_SAMPLE)];
        // The captured stack of a dump thread: [lowest captured address, its end).
        let stacks = |os: u32| {
            let t = rt.dump.threads().iter().find(|t| t.id == os)?;
            t.stack.map(|(lo, n)| (lo, lo.saturating_add(n)))
        };
        let target = Target { os_ids, stacks: &stacks, with_domain };
        let layout = calibrate(&r, &objects, sample, &target, link, &mut diag);

        let timer = global_ptr(rt, "ThreadpoolMgr::pTimerThread");
        let suspending = global_ptr(rt, "g_pSuspensionThread");
        let domain = global_ptr(rt, "AppDomain::m_pTheAppDomain");
        let threads = addrs
            .iter()
            .enumerate()
            .map(|(index, &t)| {
                let read_thread = ReadThread { r: &r, objects: &objects, layout: &layout };
                let mut th = read_thread.read(index, t);
                th.dump_thread =
                    th.os_id.and_then(|id| rt.dump.threads().iter().position(|d| d.id == id && id != 0));
                if th.state.is_some_and(|s| s.is_dead()) {
                    // A dead thread's id may have been reused by a new OS thread.
                    th.dump_thread = None;
                }
                let st = th.state;
                for (cond, kind) in [
                    (Some(t) == finalizer, SpecialThread::Finalizer),
                    (Some(t) == timer, SpecialThread::Timer),
                    (st.is_some_and(|s| s.is_threadpool_worker()), SpecialThread::ThreadpoolWorker),
                    (st.is_some_and(|s| s.is_completion_port()), SpecialThread::CompletionPort),
                    (Some(t) == suspending, SpecialThread::SuspendingEE),
                ] {
                    if cond {
                        th.special.push(kind);
                    }
                }
                th
            })
            .collect::<Vec<_>>();
        check_counts(&store.counts, &threads, &mut diag);
        Ok(Threads { store, layout, threads, domain, diagnostics: diag })
    }

    /// The counters of the thread store.
    pub fn counts(&self) -> StoreCounts {
        self.store.counts
    }

    /// Every thread's allocation context `(alloc_ptr, alloc_limit)`, non-empty
    /// ones only: the heap walk steps over these unallocated gaps.
    pub fn alloc_contexts(&self) -> Vec<(u64, u64)> {
        self.threads.iter().filter_map(|t| t.alloc_context).filter(|&(p, l)| p != 0 && l > p).collect()
    }

    /// The thread with managed id `id`.
    pub fn by_managed_id(&self, id: u32) -> Option<&ManagedThread> {
        self.threads.iter().find(|t| t.managed_id == Some(id))
    }

    /// The thread running on OS thread `os_id` (alive threads only).
    pub fn by_os_id(&self, os_id: u32) -> Option<&ManagedThread> {
        self.threads.iter().find(|t| t.os_id == Some(os_id) && !t.is_dead())
    }
}

/// The counters after the list are only proven by `m_ThreadCount`; the
/// others must agree with the threads' own state bits (the runtime updates
/// both together), which proves their offsets too.
fn check_counts(c: &StoreCounts, threads: &[ManagedThread], diag: &mut Diagnostics) {
    if threads.iter().any(|t| t.state.is_none()) {
        diag.check("ThreadStore counters agree with the threads' states", false, "m_State is not known");
        return;
    }
    let count =
        |f: &dyn Fn(ThreadState) -> bool| threads.iter().filter(|t| t.state.is_some_and(f)).count() as i32;
    let dead = count(&|s| s.is_dead());
    let unstarted = count(&|s| s.is_unstarted() && !s.is_dead());
    let background = count(&|s| s.is_background() && !s.is_dead() && !s.is_unstarted());
    let agree = (c.dead, c.unstarted, c.background) == (dead, unstarted, background);
    diag.check(
        "ThreadStore counters agree with the threads' states",
        agree,
        format!(
            "dead {} / {dead}, unstarted {} / {unstarted}, background {} / {background} (counter / states)",
            c.dead, c.unstarted, c.background
        ),
    );
}

struct ReadThread<'x, 'm, 't, 'a> {
    r: &'x Reader<'m>,
    objects: &'x Objects<'t, 'a>,
    layout: &'x ThreadLayout,
}

impl ReadThread<'_, '_, '_, '_> {
    fn read(&self, index: usize, t: u64) -> ManagedThread {
        let (r, l) = (self.r, self.layout);
        let u = |o: Option<u64>| o.and_then(|o| r.u(t.wrapping_add(o)));
        let handle_target = |o: Option<u64>| {
            o.and_then(|o| r.p(t.wrapping_add(o)))
                .filter(|&h| h != 0)
                .and_then(|h| r.p(h))
                .filter(|&obj| obj != 0)
        };
        let thread_object = handle_target(l.exposed).filter(|&o| self.objects.is_thread(o));
        let name = match thread_object {
            Some(obj) => self.objects.thread_name(obj),
            None => Ok(None),
        };
        ManagedThread {
            index,
            address: t,
            managed_id: u(l.thread_id),
            os_id: u(l.os_id),
            dump_thread: None,
            state: u(l.state).map(ThreadState),
            cooperative: u(l.preemptive_disabled).map(|v| v != 0),
            lock_count: u(l.lock_count),
            frame: l.frame.and_then(|o| r.p(t.wrapping_add(o))),
            alloc_context: l
                .alloc_context
                .and_then(|o| Some((r.p(t.wrapping_add(o))?, r.p(t.wrapping_add(o + r.ptr))?))),
            thread_object,
            name,
            last_thrown: handle_target(l.last_thrown).filter(|&o| self.objects.is_exception(o)),
            special: Vec::new(),
        }
    }
}
