//! Monitors (`lock`/`Monitor.Enter`) and deadlocks, like SOS `!syncblk`.
//!
//! The sync block table (`clr_heap::roots::SyncTable`) gives each inflated
//! monitor's owner (`AwareLock.m_HoldingThread`, proven here: every owner
//! must be a `Thread` of the thread list, with a recursion count of at least
//! one and the lock state's locked bit set) and the number of threads
//! waiting to enter it (the lock state's waiter count).
//!
//! *Who* waits is not recorded by the runtime for `Monitor.Enter` (the
//! waiters sleep on the monitor's event), so it is read from the threads: a
//! thread blocked on a monitor has the monitor's `AwareLock*` — the
//! `SyncBlock` address, the lock being its first member — on its active
//! stack (the `this` of `AwareLock::Enter`/`SyncBlock::Wait`). A thread other
//! than the owner with that address between its stack pointer and the end of
//! its stack waits to *enter* when the monitor is owned by another thread
//! and counts waiters; otherwise it waits in `Monitor.Wait`. A deadlock is a
//! cycle of threads each waiting to enter a monitor the next one owns.

use crate::threads::Threads;
use clr_heap::roots::{HeapIndex, SyncBlockInfo, SyncTable};
use clr_heap::runtime::{Diagnostics, Runtime};
use std::collections::HashMap;

/// One inflated monitor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Monitor {
    /// The sync block.
    pub block: SyncBlockInfo,
    /// The owning thread (index into [`Threads::threads`]), when owned and known.
    pub owner: Option<usize>,
    /// Threads waiting to enter (indices), found on their stacks.
    pub enter_waiters: Vec<usize>,
    /// Threads waiting in `Monitor.Wait` (indices), found on their stacks.
    pub wait_waiters: Vec<usize>,
}

/// A cycle of threads, each waiting to enter a monitor the next one owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadlock {
    /// `(thread index, index into [`Monitors::monitors`] it waits for)`, in cycle order.
    pub edges: Vec<(usize, usize)>,
}

/// The monitors of a dump and its deadlocks.
#[derive(Debug, Clone, Default)]
pub struct Monitors {
    /// Inflated monitors, by sync block index.
    pub monitors: Vec<Monitor>,
    /// Entries of the table not in use.
    pub free_entries: u64,
    /// Deadlocks found.
    pub deadlocks: Vec<Deadlock>,
    /// Checks behind the answer.
    pub diagnostics: Diagnostics,
}

impl Monitors {
    /// Reads the sync table and the waiting threads.
    pub fn read(rt: &Runtime, threads: &Threads, index: &HeapIndex) -> Result<Monitors, String> {
        let mut diag = Diagnostics::default();
        let table = SyncTable::read(rt, index, &mut diag)?;
        let by_addr: HashMap<u64, usize> =
            threads.threads.iter().enumerate().map(|(i, t)| (t.address, i)).collect();
        let mut monitors: Vec<Monitor> = Vec::with_capacity(table.blocks.len());
        let (mut owned, mut proven) = (0, 0);
        for b in &table.blocks {
            let owner = by_addr.get(&b.holding_thread).copied();
            if b.holding_thread != 0 {
                owned += 1;
                if owner.is_some() && b.recursion >= 1 && b.locked() {
                    proven += 1;
                }
            }
            monitors.push(Monitor { block: *b, owner, enter_waiters: Vec::new(), wait_waiters: Vec::new() });
        }
        diag.check(
            "sync blocks: every m_HoldingThread is a Thread of the list, locked, recursion ≥ 1",
            owned == proven,
            format!("{proven} of {owned} owned monitors"),
        );
        if owned != proven {
            // The owner offset is not proven: say nothing about owners or deadlocks.
            for m in &mut monitors {
                m.owner = None;
            }
        } else {
            find_waiters(rt, threads, &mut monitors);
        }
        let deadlocks = if owned == proven { cycles(threads.threads.len(), &monitors) } else { Vec::new() };
        Ok(Monitors { monitors, free_entries: table.free_entries, deadlocks, diagnostics: diag })
    }
}

/// Assigns each thread that has a monitor's address on its active stack as
/// an enter or wait waiter of that monitor.
fn find_waiters(rt: &Runtime, threads: &Threads, monitors: &mut [Monitor]) {
    let mem = rt.dump.memory();
    let p = rt.layout.ptr;
    let by_block: HashMap<u64, usize> =
        monitors.iter().enumerate().map(|(i, m)| (m.block.address, i)).collect();
    for (ti, t) in threads.threads.iter().enumerate() {
        let Some(d) = t.dump_thread.and_then(|i| rt.dump.threads().get(i)) else { continue };
        let Some((start, hi)) = crate::roots::active_stack(rt, d) else { continue };
        let Ok(bytes) = mem.read(start, hi.saturating_sub(start)) else { continue };
        let mut hits: Vec<usize> = bytes
            .chunks_exact(p as usize)
            .filter_map(|w| {
                let mut b = [0u8; 8];
                b[..w.len()].copy_from_slice(w);
                by_block.get(&u64::from_le_bytes(b)).copied()
            })
            .collect();
        hits.sort_unstable();
        hits.dedup();
        for m in hits {
            let mon = &mut monitors[m];
            if mon.owner == Some(ti) {
                continue;
            }
            if mon.owner.is_some() && mon.block.waiter_count() > 0 {
                mon.enter_waiters.push(ti);
            } else {
                mon.wait_waiters.push(ti);
            }
        }
    }
}

/// Cycles in "thread waits to enter a monitor owned by thread" (each thread
/// waits for at most one monitor; a thread listed for several is left out).
fn cycles(n: usize, monitors: &[Monitor]) -> Vec<Deadlock> {
    let mut waits: Vec<Option<(usize, usize)>> = vec![None; n];
    let mut ambiguous = vec![false; n];
    for (mi, m) in monitors.iter().enumerate() {
        let Some(owner) = m.owner else { continue };
        for &w in &m.enter_waiters {
            if w < n {
                if waits[w].is_some() {
                    ambiguous[w] = true;
                }
                waits[w] = Some((mi, owner));
            }
        }
    }
    let mut out: Vec<Deadlock> = Vec::new();
    for start in 0..n {
        let mut edges = Vec::new();
        let mut t = start;
        // A cycle through `start` has at most n edges.
        for _ in 0..n {
            let Some((m, owner)) = waits[t].filter(|_| !ambiguous[t]) else { break };
            edges.push((t, m));
            t = owner;
            if t == start {
                // Report each cycle once: from its lowest thread index.
                if edges.iter().all(|e| e.0 >= start) {
                    out.push(Deadlock { edges: edges.clone() });
                }
                break;
            }
        }
    }
    out
}
