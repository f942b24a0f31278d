//! What a parked thread waits for, read from its innermost frames.
//!
//! The runtime does not record why a thread waits; the managed method that
//! called into the wait does. The table below maps the BCL's blocking entry
//! points to a plain answer; the first application frame below them says who
//! asked. A thread whose innermost frames match nothing is not "blocked" here
//! (it may be running, or waiting somewhere this table does not know).

use serde::Serialize;

/// How a thread is blocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Wait {
    /// `Thread.Sleep`.
    Sleep,
    /// `Monitor.Enter` / `lock`: waiting to own a monitor.
    LockEnter,
    /// `Monitor.Wait`: waiting to be pulsed.
    MonitorWait,
    /// A `WaitHandle` (event, mutex, semaphore).
    Handle,
    /// `ManualResetEventSlim`, `SemaphoreSlim`, `Task.Wait`, `SpinWait`.
    Slim,
    /// A system call from managed code (`Interop+Sys.*`, `Interop+Kernel32.*`).
    SystemCall,
    /// A blocking runtime call (`HelperMethodFrame`: an FCALL such as
    /// `Monitor.Enter`, `Monitor.Wait` or an inlined `Thread.Sleep`).
    RuntimeHelper,
}

impl Wait {
    /// Plain words for a report.
    pub fn describe(self) -> &'static str {
        match self {
            Wait::Sleep => "sleeping",
            Wait::LockEnter => "waiting to enter a lock",
            Wait::MonitorWait => "waiting in Monitor.Wait",
            Wait::Handle => "waiting on a WaitHandle",
            Wait::Slim => "waiting on an event, semaphore or task",
            Wait::SystemCall => "in a system call",
            Wait::RuntimeHelper => "in a runtime call (a lock, a wait or a sleep)",
        }
    }
}

/// Which blocking call a method is, if any (`qualified` as `Namespace.Type.Method`).
pub fn classify(qualified: &str) -> Option<Wait> {
    const TABLE: &[(&str, Wait)] = &[
        ("System.Threading.Thread.Sleep", Wait::Sleep),
        ("System.Threading.Thread.SleepInternal", Wait::Sleep),
        ("System.Threading.Monitor.Enter", Wait::LockEnter),
        ("System.Threading.Monitor.ReliableEnter", Wait::LockEnter),
        ("System.Threading.Monitor.TryEnter", Wait::LockEnter),
        ("System.Threading.Monitor.Wait", Wait::MonitorWait),
        ("System.Threading.Monitor.ObjWait", Wait::MonitorWait),
        ("System.Threading.WaitHandle.", Wait::Handle),
        ("System.Threading.ManualResetEventSlim.Wait", Wait::Slim),
        ("System.Threading.SemaphoreSlim.Wait", Wait::Slim),
        ("System.Threading.Tasks.Task.Wait", Wait::Slim),
        ("System.Threading.Tasks.Task.InternalWait", Wait::Slim),
        ("System.Threading.Tasks.Task.SpinThenBlockingWait", Wait::Slim),
        ("System.Threading.SpinWait.", Wait::Slim),
        ("Interop+Sys.", Wait::SystemCall),
        ("Interop+Kernel32.", Wait::SystemCall),
    ];
    TABLE.iter().find(|(p, _)| qualified.starts_with(p)).map(|(_, w)| *w)
}

/// Whether a method belongs to the framework rather than the application.
pub fn is_framework(qualified: &str) -> bool {
    ["System.", "Microsoft.", "Interop+", "Internal.", "<"].iter().any(|p| qualified.starts_with(p))
}
