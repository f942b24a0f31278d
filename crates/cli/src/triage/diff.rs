//! Two snapshots of the same process, compared: heap growth by type and
//! threads that neither ran nor moved between them (hung).

use crate::triage::snapshot::Snapshot;
use crate::triage::threads::ThreadFacts;
use serde::Serialize;

/// How a type changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// More bytes (or objects) than before.
    Grown,
    /// Fewer.
    Shrunk,
    /// Absent from the first dump.
    New,
    /// Absent from the second dump.
    Vanished,
}

/// One type in both dumps (by name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TypeChange {
    /// The type.
    pub name: String,
    /// What happened.
    pub change: Change,
    /// Objects in the first dump.
    pub count_before: u64,
    /// Objects in the second.
    pub count_after: u64,
    /// `after - before`.
    pub count_delta: i64,
    /// Bytes in the first dump.
    pub bytes_before: u64,
    /// Bytes in the second.
    pub bytes_after: u64,
    /// `after - before`.
    pub bytes_delta: i64,
}

/// The heap's change.
#[derive(Debug, Clone, Default, Serialize)]
pub struct HeapDiff {
    /// Every type whose count or size changed, most bytes grown first.
    pub changes: Vec<TypeChange>,
    /// Objects `after - before`.
    pub objects_delta: i64,
    /// Bytes `after - before`.
    pub bytes_delta: i64,
    /// Free space `after - before`.
    pub free_delta: i64,
}

/// A thread that did not move.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HungThread {
    /// `thread 7 (OS 0x2f07) "name"`.
    pub label: String,
    /// Managed id.
    pub managed_id: Option<u32>,
    /// OS id.
    pub os_id: Option<u32>,
    /// CPU seconds in both dumps (None: not recorded).
    pub cpu_seconds: Option<f64>,
    /// What it waits in, when known.
    pub waiting_in: Option<String>,
    /// Its innermost application method.
    pub app_frame: Option<String>,
    /// Frames of the (identical) stacks.
    pub frames: usize,
}

/// The comparison.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Diff {
    /// The heap (empty when either heap could not be read: see `heap_error`).
    #[serde(flatten)]
    pub heap: HeapDiff,
    /// Why the heaps were not compared.
    pub heap_error: Option<String>,
    /// Managed threads with the same stack and the same CPU time in both.
    pub hung: Vec<HungThread>,
    /// Managed threads alive in both whose stack or CPU time changed.
    pub moved: Vec<String>,
    /// Threads only in the second dump.
    pub started: Vec<String>,
    /// Threads only in the first dump.
    pub ended: Vec<String>,
    /// Requests in flight in both dumps (same context object).
    pub requests_in_both: Vec<String>,
    /// Doubts about the comparison (different processes, times not recorded).
    pub notes: Vec<String>,
}

/// Compares `a` (earlier) with `b` (later).
pub fn diff(a: &Snapshot, b: &Snapshot) -> Diff {
    let mut d = Diff::default();
    if a.dump.pid.is_some() && b.dump.pid.is_some() && a.dump.pid != b.dump.pid {
        d.notes.push(format!(
            "the dumps are of different processes (pid {:?} and {:?}): growth and hung threads compare unrelated states",
            a.dump.pid, b.dump.pid
        ));
    }
    match (&a.heap, &b.heap) {
        (Ok(ha), Ok(hb)) => d.heap = heap_diff(ha, hb),
        (Err(e), _) | (_, Err(e)) => d.heap_error = Some(e.clone()),
    }
    threads_diff(&a.threads, &b.threads, &mut d);
    if let (Ok(ra), Ok(rb)) = (&a.requests, &b.requests) {
        for r in rb.iter().filter(|r| !r.finished) {
            if ra.iter().any(|x| !x.finished && x.context == r.context) {
                let on = r.managed_id.map_or(String::new(), |m| format!(" (thread {m})"));
                let dur = r.running_seconds.map_or(String::new(), |x| format!(", running {x:.0} s"));
                d.requests_in_both.push(format!("{}{on}{dur}", r.label()));
            }
        }
    }
    d
}

fn delta(before: u64, after: u64) -> i64 {
    (i128::from(after) - i128::from(before)).clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

/// The heap's change, by type name.
pub fn heap_diff(a: &crate::triage::heap::HeapTypes, b: &crate::triage::heap::HeapTypes) -> HeapDiff {
    let (ma, mb) = (a.by_name(), b.by_name());
    let mut names: Vec<&str> = ma.keys().chain(mb.keys()).copied().collect();
    names.sort_unstable();
    names.dedup();
    let mut changes = Vec::new();
    for n in names {
        let (cb, bb) = ma.get(n).copied().unwrap_or((0, 0));
        let (ca, ba) = mb.get(n).copied().unwrap_or((0, 0));
        if cb == ca && bb == ba {
            continue;
        }
        let change = if !ma.contains_key(n) {
            Change::New
        } else if !mb.contains_key(n) {
            Change::Vanished
        } else if ba > bb || (ba == bb && ca > cb) {
            Change::Grown
        } else {
            Change::Shrunk
        };
        changes.push(TypeChange {
            name: n.to_string(),
            change,
            count_before: cb,
            count_after: ca,
            count_delta: delta(cb, ca),
            bytes_before: bb,
            bytes_after: ba,
            bytes_delta: delta(bb, ba),
        });
    }
    changes.sort_by(|x, y| {
        y.bytes_delta.cmp(&x.bytes_delta).then(y.count_delta.cmp(&x.count_delta)).then(x.name.cmp(&y.name))
    });
    HeapDiff {
        changes,
        objects_delta: delta(a.objects, b.objects),
        bytes_delta: delta(a.bytes, b.bytes),
        free_delta: delta(a.free_bytes, b.free_bytes),
    }
}

/// Two stacks are the same when every row has the same SP, IP and call site.
fn same_stack(x: &ThreadFacts, y: &ThreadFacts) -> bool {
    !x.frames.is_empty()
        && x.frames.len() == y.frames.len()
        && x.frames.iter().zip(&y.frames).all(|(p, q)| p.sp == q.sp && p.ip == q.ip && p.text == q.text)
}

fn threads_diff(a: &[ThreadFacts], b: &[ThreadFacts], d: &mut Diff) {
    let alive = |t: &&ThreadFacts| !t.dead && t.os_id.is_some();
    let mut times_missing = false;
    for y in b.iter().filter(alive) {
        let Some(x) = a.iter().filter(alive).find(|x| x.os_id == y.os_id) else {
            d.started.push(y.label());
            continue;
        };
        if y.managed_id.is_none() {
            continue; // native threads have no managed stack to compare
        }
        let cpu = match (x.cpu_seconds(), y.cpu_seconds()) {
            (Some(p), Some(q)) => Some((p, q)),
            _ => {
                times_missing = true;
                None
            }
        };
        let cpu_still = cpu.is_none_or(|(p, q)| (q - p).abs() < 1e-9);
        if same_stack(x, y) && cpu_still {
            d.hung.push(HungThread {
                label: y.label(),
                managed_id: y.managed_id,
                os_id: y.os_id,
                cpu_seconds: cpu.map(|c| c.1),
                waiting_in: y.blocked.as_ref().map(|b| b.method.clone()),
                app_frame: y
                    .blocked
                    .as_ref()
                    .and_then(|b| b.app_frame.clone())
                    .or_else(|| y.top_app_frame().map(str::to_string)),
                frames: y.frames.len(),
            });
        } else {
            d.moved.push(y.label());
        }
    }
    for x in a.iter().filter(alive) {
        if !b.iter().filter(alive).any(|y| y.os_id == x.os_id) {
            d.ended.push(x.label());
        }
    }
    if times_missing {
        d.notes.push(
            "some threads have no CPU times in the dumps: they are judged by their stacks alone".into(),
        );
    }
}
