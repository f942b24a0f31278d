//! `Thread::m_State` flags (reference §6.2, CoreCLR 3.1 `threads.h`) and the
//! few facts derived from them: dead, background, thread-pool kind, apartment.

/// The `ThreadState` bits with their runtime names, lowest bit first.
///
/// The list is the CoreCLR 3.1 one; bits not named here are printed in hex
/// so nothing is hidden.
pub const STATE_NAMES: &[(u32, &str)] = &[
    (0x1, "AbortRequested"),
    (0x2, "GCSuspendPending"),
    (0x4, "UserSuspendPending"),
    (0x8, "DebugSuspendPending"),
    (0x10, "GCOnTransitions"),
    (0x20, "LegalToJoin"),
    (0x40, "YieldRequested"),
    (0x80, "Hijacked"),
    (0x100, "BlockingForGC"),
    (0x200, "Background"),
    (0x400, "Unstarted"),
    (0x800, "Dead"),
    (0x1000, "WeOwn"),
    (0x2000, "CoInitialized"),
    (0x4000, "InSTA"),
    (0x8000, "InMTA"),
    (0x10000, "ReportDead"),
    (0x20000, "FullyInitialized"),
    (0x40000, "TaskReset"),
    (0x80000, "SyncSuspended"),
    (0x100000, "DebugWillSync"),
    (0x200000, "StackCrawlNeeded"),
    (0x400000, "SuspendUnstarted"),
    (0x800000, "Aborted"),
    (0x0100_0000, "TPWorkerThread"),
    (0x0200_0000, "Interruptible"),
    (0x0400_0000, "Interrupted"),
    (0x0800_0000, "CompletionPortThread"),
    (0x1000_0000, "AbortInitiated"),
    (0x2000_0000, "Finalized"),
    (0x4000_0000, "FailStarted"),
    (0x8000_0000, "Detached"),
];

/// A thread's `m_State` value.
///
/// ```
/// use clr_stack::ThreadState;
/// let s = ThreadState(0x0302_1220);
/// assert!(s.is_background() && s.is_threadpool_worker() && !s.is_dead());
/// assert!(s.names().iter().any(|n| n == "Background"));
/// assert_eq!(ThreadState(0x4000).apartment(), "STA");
/// assert_eq!(ThreadState(0x800).names(), ["Dead"]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThreadState(pub u32);

impl ThreadState {
    /// `TS_Dead`: the thread has ended (its OS thread is gone).
    pub fn is_dead(self) -> bool {
        self.0 & 0x800 != 0
    }
    /// `TS_Background`.
    pub fn is_background(self) -> bool {
        self.0 & 0x200 != 0
    }
    /// `TS_Unstarted`: created but `Start` not called (or not yet running).
    pub fn is_unstarted(self) -> bool {
        self.0 & 0x400 != 0
    }
    /// `TS_TPWorkerThread`: a thread-pool worker.
    pub fn is_threadpool_worker(self) -> bool {
        self.0 & 0x0100_0000 != 0
    }
    /// `TS_CompletionPortThread`: a thread-pool I/O completion thread.
    pub fn is_completion_port(self) -> bool {
        self.0 & 0x0800_0000 != 0
    }
    /// The COM apartment SOS prints: `STA`, `MTA` or `Ukn`.
    pub fn apartment(self) -> &'static str {
        match (self.0 & 0x4000 != 0, self.0 & 0x8000 != 0) {
            (true, _) => "STA",
            (_, true) => "MTA",
            _ => "Ukn",
        }
    }
    /// The names of the bits that are set (unknown bits as `0x…`).
    pub fn names(self) -> Vec<String> {
        let mut out = Vec::new();
        let mut rest = self.0;
        for &(bit, name) in STATE_NAMES {
            if self.0 & bit != 0 {
                out.push(name.to_string());
                rest &= !bit;
            }
        }
        if rest != 0 {
            out.push(format!("{rest:#x}"));
        }
        out
    }
}
