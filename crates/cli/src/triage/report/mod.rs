//! Findings, most important first, each with the command that shows it.

mod heap;

use crate::triage::evidence::{Evidence, hex};
use crate::triage::snapshot::Snapshot;
use crate::triage::threads::ThreadFacts;
use serde::Serialize;

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The process is broken: crashed, deadlocked, finalizer stuck.
    Critical,
    /// Likely the problem, or part of it.
    Warning,
    /// Context.
    Info,
}

/// One finding.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// How much it matters.
    pub severity: Severity,
    /// `crash`, `deadlock`, `finalizer`, `exception`, `blocked`, `cpu`, `request`, `heap`, `fragmentation`.
    pub topic: &'static str,
    /// One line.
    pub title: String,
    /// Supporting lines.
    pub details: Vec<String>,
    /// Commands that show the evidence.
    pub evidence: Vec<Evidence>,
}

/// The report: the findings and the facts behind them (for charts and tools).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Findings, most important first.
    pub findings: Vec<Finding>,
    /// The facts.
    pub snapshot: Snapshot,
}

/// The in-flight request a managed thread runs.
pub(super) fn request_on(
    s: &Snapshot,
    managed_id: Option<u32>,
) -> Option<&crate::triage::requests::RequestFact> {
    let m = managed_id?;
    s.requests.as_ref().ok()?.iter().find(|r| !r.finished && r.managed_id == Some(m))
}

/// Blocked threads listed.
const MAX_BLOCKED: usize = 12;
/// Exceptions listed.
const MAX_EXCEPTIONS: usize = 10;
/// CPU seconds from which a thread is called busy.
const BUSY_SECONDS: f64 = 1.0;

/// `12.8 MB`.
pub fn size(bytes: u64) -> String {
    let b = bytes as f64;
    match bytes {
        0..1_000 => format!("{bytes} B"),
        1_000..1_000_000 => format!("{:.1} KB", b / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1} MB", b / 1e6),
        _ => format!("{:.2} GB", b / 1e9),
    }
}

/// `200,005`.
pub fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn thread_arg(t: &ThreadFacts) -> Option<String> {
    t.managed_id.map(|m| m.to_string())
}

fn ev_stack(t: &ThreadFacts) -> Option<Evidence> {
    thread_arg(t).map(|m| Evidence::new("clrstack", &["--thread", &m]))
}

/// Ranks what `snap` shows.
pub fn triage(snap: Snapshot) -> Report {
    let mut f = Vec::new();
    crash(&snap, &mut f);
    deadlocks(&snap, &mut f);
    finalizer(&snap, &mut f);
    exceptions(&snap, &mut f);
    blocked(&snap, &mut f);
    cpu(&snap, &mut f);
    requests(&snap, &mut f);
    heap::heap(&snap, &mut f);
    // stable: within a severity the order above (crash, locks, … heap) stays
    f.sort_by_key(|x: &Finding| x.severity);
    Report { findings: f, snapshot: snap }
}

fn crash(s: &Snapshot, f: &mut Vec<Finding>) {
    let Some(c) = &s.crash else { return };
    let t = s.threads.iter().find(|t| t.os_id == Some(c.os_id));
    let mut details = Vec::new();
    let mut evidence = vec![Evidence::new("exception", &[])];
    if let Some(m) = &c.managed {
        details.push(format!(
            "managed exception {}: {}",
            m.type_name,
            m.message.as_deref().unwrap_or("(no message)")
        ));
        details.extend(m.stack.iter().take(8).map(|x| format!("  at {x}")));
    }
    if let Some(t) = t {
        details
            .extend(t.frames.iter().filter(|x| x.method.is_some()).take(8).map(|x| format!("  {}", x.text)));
        if let Some(m) = thread_arg(t) {
            evidence.push(Evidence::new("pe", &["--thread", &m]));
        }
        evidence.extend(ev_stack(t));
    }
    // createdump writes SIGABRT, without signal details, into every core it
    // makes (crash or not): that alone does not say the process crashed
    let marker_only = c.is_createdump_mark(&s.dump.os);
    let what = format!(
        "{} ({:#010x}) on OS thread {:#x} at {}",
        c.name.unwrap_or("exception"),
        c.code,
        c.os_id,
        hex(c.address)
    );
    f.push(Finding {
        severity: if marker_only { Severity::Info } else { Severity::Critical },
        topic: "crash",
        title: if marker_only {
            format!("The dump records {what} without signal details: createdump marks every core this way, so no crash is evident")
        } else {
            format!("The process crashed: {what}")
        },
        details,
        evidence,
    });
}

fn deadlocks(s: &Snapshot, f: &mut Vec<Finding>) {
    let Some(Ok(locks)) = &s.locks else { return };
    for cycle in &locks.deadlocks {
        let name = |id: &crate::triage::locks::ThreadId| {
            let mut n = match id.managed_id {
                Some(m) => format!("thread {m}"),
                None => "a thread".into(),
            };
            if let Some(nm) = &id.name {
                n.push_str(&format!(" \"{nm}\""));
            }
            n
        };
        let who: Vec<String> = cycle.iter().map(|st| name(&st.thread)).collect();
        let mut details = Vec::new();
        let mut evidence = vec![Evidence::new("syncblk", &[])];
        for st in cycle {
            let t = s.threads.iter().find(|t| t.managed_id.is_some() && t.managed_id == st.thread.managed_id);
            let at = t.and_then(|t| {
                t.blocked.as_ref().and_then(|b| b.app_frame.clone()).or(t.top_app_frame().map(str::to_string))
            });
            details.push(format!(
                "{} waits to lock {} ({}) owned by {}{}",
                name(&st.thread),
                hex(st.waits_for),
                st.waits_for_type,
                st.owned_by.as_ref().map_or("?".into(), name),
                at.map_or(String::new(), |a| format!(", in {a}"))
            ));
            evidence.extend(t.and_then(ev_stack));
        }
        f.push(Finding {
            severity: Severity::Critical,
            topic: "deadlock",
            title: format!("Deadlock between {}", who.join(" and ")),
            details,
            evidence,
        });
    }
}

fn finalizer(s: &Snapshot, f: &mut Vec<Finding>) {
    let fin = s.threads.iter().find(|t| t.special.iter().any(|x| x == "Finalizer"));
    let backlog = match &s.finalizer {
        Some(Ok(q)) => Some(q),
        _ => None,
    };
    let blocked_in = fin.and_then(|t| {
        let b = t.blocked.as_ref()?;
        Some((t, format!("{} in {}", b.wait.describe(), b.method), t.top_app_frame().map(str::to_string)))
    });
    let ready = backlog.map_or(0, |q| q.ready);
    if blocked_in.is_none() && ready == 0 {
        return;
    }
    let mut details = Vec::new();
    let mut evidence = vec![Evidence::new("finalizequeue", &[])];
    let title = match &blocked_in {
        Some((t, how, app)) => {
            evidence.extend(ev_stack(t));
            format!(
                "The finalizer thread is blocked: {how}{}; {} objects wait to be finalized",
                app.as_ref().map_or(String::new(), |a| format!(" (from {a})")),
                count(ready)
            )
        }
        None => format!("{} objects wait to be finalized", count(ready)),
    };
    if let Some(q) = backlog {
        details.extend(q.ready_types.iter().map(|(n, c)| format!("{} {n}", count(*c))));
        details.push(format!("{} more objects are registered for finalization", count(q.registered)));
    }
    f.push(Finding {
        severity: if blocked_in.is_some() { Severity::Critical } else { Severity::Warning },
        topic: "finalizer",
        title,
        details,
        evidence,
    });
}

fn exceptions(s: &Snapshot, f: &mut Vec<Finding>) {
    let crash_thread = s.crash.as_ref().map(|c| c.os_id);
    for t in s
        .threads
        .iter()
        .filter(|t| t.exception.is_some() && (t.os_id != crash_thread || t.dead))
        .take(MAX_EXCEPTIONS)
    {
        let Some(e) = &t.exception else { continue };
        let mut details: Vec<String> = e.stack.iter().take(6).map(|x| format!("at {x}")).collect();
        if let Some(i) = &e.inner {
            details.insert(0, format!("inner exception {i}"));
        }
        let mut evidence = Vec::new();
        if let Some(m) = thread_arg(t) {
            evidence.push(Evidence::new("pe", &["--thread", &m]));
        }
        f.push(Finding {
            severity: Severity::Warning,
            topic: "exception",
            title: format!(
                "{}{}: last exception {}: {}",
                t.label(),
                if t.dead { " (ended)" } else { "" },
                e.type_name,
                e.message.as_deref().unwrap_or("(no message)")
            ),
            details,
            evidence,
        });
    }
}

fn in_deadlock(s: &Snapshot, t: &ThreadFacts) -> bool {
    let Some(Ok(l)) = &s.locks else { return false };
    l.deadlocks
        .iter()
        .flatten()
        .any(|st| st.thread.managed_id.is_some() && st.thread.managed_id == t.managed_id)
}

fn blocked(s: &Snapshot, f: &mut Vec<Finding>) {
    let mut v: Vec<&ThreadFacts> = s
        .threads
        .iter()
        .filter(|t| t.blocked.is_some() && !t.special.iter().any(|x| x == "Finalizer") && !in_deadlock(s, t))
        .collect();
    // longest blocked first where the dump says how long threads ran; then app threads first
    v.sort_by(|a, b| {
        b.elapsed_seconds
            .unwrap_or(0.0)
            .total_cmp(&a.elapsed_seconds.unwrap_or(0.0))
            .then(b.top_app_frame().is_some().cmp(&a.top_app_frame().is_some()))
    });
    for t in v.into_iter().take(MAX_BLOCKED) {
        let Some(b) = &t.blocked else { continue };
        let held =
            t.lock_count.filter(|&n| n > 0).map_or(String::new(), |n| format!(", holding {n} lock(s)"));
        f.push(Finding {
            severity: if t.top_app_frame().is_some() { Severity::Warning } else { Severity::Info },
            topic: "blocked",
            title: format!(
                "{} is {} ({}){}{}",
                t.label(),
                b.wait.describe(),
                b.method,
                b.app_frame.as_ref().map_or(String::new(), |a| format!(" called from {a}")),
                held
            ),
            details: t.elapsed_seconds.map(|e| format!("running for {e:.0} s")).into_iter().collect(),
            evidence: ev_stack(t).into_iter().collect(),
        });
    }
}

fn cpu(s: &Snapshot, f: &mut Vec<Finding>) {
    let mut v: Vec<(&ThreadFacts, f64)> =
        s.threads.iter().filter_map(|t| Some((t, t.cpu_seconds()?))).collect();
    v.sort_by(|a, b| b.1.total_cmp(&a.1));
    for (t, secs) in v.into_iter().take(3).filter(|x| x.1 >= BUSY_SECONDS) {
        let mut evidence = vec![Evidence::new("runaway", &[])];
        evidence.extend(ev_stack(t));
        f.push(Finding {
            severity: Severity::Warning,
            topic: "cpu",
            title: format!(
                "{} used {secs:.1} s of CPU{}",
                t.label(),
                t.top_app_frame().map_or(String::new(), |a| format!(", now in {a}"))
            ),
            details: Vec::new(),
            evidence,
        });
    }
}

/// Requests listed.
const MAX_REQUESTS: usize = 10;

fn requests(s: &Snapshot, f: &mut Vec<Finding>) {
    let Ok(reqs) = &s.requests else { return };
    let mut v: Vec<&crate::triage::requests::RequestFact> = reqs.iter().filter(|r| !r.finished).collect();
    v.sort_by(|a, b| b.running_seconds.unwrap_or(-1.0).total_cmp(&a.running_seconds.unwrap_or(-1.0)));
    for r in v.into_iter().take(MAX_REQUESTS) {
        let t = r.managed_id.and_then(|m| s.threads.iter().find(|t| t.managed_id == Some(m)));
        let at = t.and_then(|t| {
            t.blocked
                .as_ref()
                .map(|b| format!("{} in {}", b.wait.describe(), b.app_frame.as_deref().unwrap_or(&b.method)))
                .or_else(|| t.top_app_frame().map(|a| format!("in {a}")))
        });
        let mut evidence = vec![Evidence::new("request", &[&hex(r.context)])];
        evidence.extend(t.and_then(ev_stack));
        f.push(Finding {
            severity: Severity::Warning,
            topic: "request",
            title: format!(
                "Request {} in flight{}{}",
                r.label(),
                r.running_seconds.map_or(String::new(), |x| format!(" for {x:.0} s")),
                match r.managed_id {
                    Some(m) => format!(" on thread {m}"),
                    None => " with no thread".into(),
                }
            ),
            details: at.into_iter().collect(),
            evidence,
        });
    }
}
