//! Monitors and deadlocks (`syncblk`), as plain facts about threads.

use crate::triage::evidence::ser_hex;
use clr_heap::roots::HeapIndex;
use clr_heap::types::TypeSystem;
use clr_stack::Threads;
use clr_stack::monitors::Monitors;
use serde::Serialize;

/// A thread as the lock facts name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ThreadId {
    /// Managed thread id.
    pub managed_id: Option<u32>,
    /// OS thread id.
    pub os_id: Option<u32>,
    /// `Thread.Name`.
    pub name: Option<String>,
}

/// One inflated monitor that is owned or waited for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LockFact {
    /// The locked object.
    #[serde(serialize_with = "ser_hex")]
    pub object: u64,
    /// Its type.
    pub type_name: String,
    /// The owner.
    pub owner: Option<ThreadId>,
    /// Recursion count.
    pub recursion: u32,
    /// Threads waiting to enter.
    pub enter_waiters: Vec<ThreadId>,
    /// Threads in `Monitor.Wait` on it.
    pub wait_waiters: Vec<ThreadId>,
}

/// One step of a deadlock cycle: `thread` waits to enter `object`, owned by the next step's thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeadlockStep {
    /// The waiting thread.
    pub thread: ThreadId,
    /// The object it waits to lock.
    #[serde(serialize_with = "ser_hex")]
    pub waits_for: u64,
    /// The object's type.
    pub waits_for_type: String,
    /// Who owns that object.
    pub owned_by: Option<ThreadId>,
}

/// The lock facts of a dump.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LockFacts {
    /// Owned or waited-for monitors.
    pub locks: Vec<LockFact>,
    /// Deadlock cycles.
    pub deadlocks: Vec<Vec<DeadlockStep>>,
}

/// Reads the sync block table and the waiters.
pub fn collect(types: &TypeSystem, threads: &Threads, index: &HeapIndex) -> Result<LockFacts, String> {
    let m = Monitors::read(types.runtime(), threads, index)?;
    let id = |i: usize| {
        threads.threads.get(i).map(|t| ThreadId {
            managed_id: t.managed_id,
            os_id: t.os_id,
            name: t.name.clone().ok().flatten(),
        })
    };
    let name = |obj: u64| {
        types
            .object_mt(obj)
            .and_then(|mt| types.type_name(mt))
            .unwrap_or_else(|e| format!("<unknown type: {e}>"))
    };
    let mut out = LockFacts::default();
    for mon in &m.monitors {
        if mon.owner.is_none() && mon.enter_waiters.is_empty() && mon.wait_waiters.is_empty() {
            continue;
        }
        out.locks.push(LockFact {
            object: mon.block.object,
            type_name: name(mon.block.object),
            owner: mon.owner.and_then(id),
            recursion: mon.block.recursion,
            enter_waiters: mon.enter_waiters.iter().filter_map(|&i| id(i)).collect(),
            wait_waiters: mon.wait_waiters.iter().filter_map(|&i| id(i)).collect(),
        });
    }
    for d in &m.deadlocks {
        let steps = d
            .edges
            .iter()
            .filter_map(|&(t, mi)| {
                let mon = m.monitors.get(mi)?;
                Some(DeadlockStep {
                    thread: id(t)?,
                    waits_for: mon.block.object,
                    waits_for_type: name(mon.block.object),
                    owned_by: mon.owner.and_then(id),
                })
            })
            .collect();
        out.deadlocks.push(steps);
    }
    Ok(out)
}
