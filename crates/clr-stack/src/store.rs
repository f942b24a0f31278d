//! The runtime's `ThreadStore` (reference §6.1): where it is, where its
//! thread list sits inside it, its counters, and the walk of the list.
//!
//! `ThreadStore` starts with a `Crst` whose size depends on the OS and the
//! build, so the offset of `m_ThreadList` is not taken from the reference:
//! it is found as the only place where the list's sentinel `m_pHead` points
//! at the list itself (an empty or non-empty `SList` always does).

use clr_heap::runtime::Diagnostics;
use clr_heap::{ClrError, Result, Runtime};
use dump_format::Memory;
use std::collections::HashSet;

/// How far into `ThreadStore` the list is looked for (the `Crst` is < 0x100).
const LIST_SEARCH: u64 = 0x200;
/// No real process has more threads than this; a longer list is corrupt.
pub const MAX_THREADS: usize = 65_536;

/// The counters `!threads` prints above its table (`ThreadStore` members
/// after the list, in declaration order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreCounts {
    /// `m_ThreadCount`: every `Thread` in the list, dead ones included.
    pub thread_count: i32,
    /// `m_UnstartedThreadCount`.
    pub unstarted: i32,
    /// `m_BackgroundThreadCount`.
    pub background: i32,
    /// `m_PendingThreadCount`.
    pub pending: i32,
    /// `m_DeadThreadCount`.
    pub dead: i32,
}

/// The located `ThreadStore` and its list's links.
#[derive(Debug, Clone)]
pub struct ThreadStore {
    /// Address of the `ThreadStore` object.
    pub address: u64,
    /// Offset of `m_ThreadList` inside it (calibrated).
    pub list_offset: u64,
    /// The counters.
    pub counts: StoreCounts,
    /// The `SLink` addresses of the list, in list order (each is a
    /// `Thread`'s `m_Link` field, not the `Thread` itself).
    pub links: Vec<u64>,
}

impl ThreadStore {
    /// Finds `ThreadStore::s_pThreadStore`, calibrates the list offset and
    /// walks the list (bounded, cycle-checked), recording each step in `diag`.
    ///
    /// ```no_run
    /// let dump = dump_format::Dump::open("core")?;
    /// let rt = clr_heap::Runtime::open(&dump, &Default::default())?;
    /// let mut diag = Default::default();
    /// let store = clr_stack::ThreadStore::read(&rt, &mut diag)?;
    /// println!("{} threads", store.counts.thread_count);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read(rt: &Runtime, diag: &mut Diagnostics) -> Result<ThreadStore> {
        let mem = rt.dump.memory();
        let p = rt.layout.ptr;
        let var = rt.globals.address("ThreadStore::s_pThreadStore").ok_or_else(|| {
            ClrError::Unsupported(
                "the runtime's globals do not name ThreadStore::s_pThreadStore (no symbol or DAC table entry)"
                    .into(),
            )
        })?;
        let address = mem
            .ptr(var)
            .map_err(|source| ClrError::Read { what: "ThreadStore::s_pThreadStore".into(), source })?;
        if address == 0 {
            return Err(ClrError::Invalid {
                what: "ThreadStore::s_pThreadStore",
                address: var,
                reason: "is null: the runtime had not started its thread store".into(),
            });
        }
        diag.found(
            format!("ThreadStore at {address:#x}"),
            format!("ThreadStore::s_pThreadStore at {var:#x}"),
        );
        let list_offset = find_list(&mem, address, p).ok_or_else(|| {
            diag.check("ThreadStore.m_ThreadList by its self-pointing sentinel", false, "no offset found");
            ClrError::Invalid {
                what: "ThreadStore",
                address,
                reason: format!(
                    "no SList sentinel (a pointer to itself one pointer in) in its first {LIST_SEARCH:#x} bytes"
                ),
            }
        })?;
        diag.check(
            "ThreadStore.m_ThreadList by its self-pointing sentinel",
            true,
            format!("offset {list_offset:#x}"),
        );
        let links = walk(&mem, address.wrapping_add(list_offset))?;
        let counts = read_counts(&mem, address.wrapping_add(list_offset + 3 * p))?;
        let agree = counts.thread_count >= 0 && counts.thread_count as usize == links.len();
        diag.check(
            "ThreadStore.m_ThreadCount equals the length of the thread list",
            agree,
            format!(
                "m_ThreadCount {} at {:#x}, list {}",
                counts.thread_count,
                list_offset + 3 * p,
                links.len()
            ),
        );
        Ok(ThreadStore { address, list_offset, counts, links })
    }
}

/// The offset k where `*(ts+k+ptr) == ts+k` (the sentinel's `m_pHead`), and
/// the tail pointer after it is null exactly when the list is empty.
fn find_list(mem: &Memory, ts: u64, p: u64) -> Option<u64> {
    (0..LIST_SEARCH).step_by(p as usize).find(|&k| {
        let sentinel = ts.wrapping_add(k);
        let (Ok(first), Ok(head), Ok(tail)) =
            (mem.ptr(sentinel), mem.ptr(sentinel.wrapping_add(p)), mem.ptr(sentinel.wrapping_add(2 * p)))
        else {
            return false;
        };
        head == sentinel && ((first == 0) == (tail == 0 || tail == sentinel))
    })
}

/// The links of the list whose sentinel is at `sentinel`: bounded and
/// cycle-checked, an unreadable link is an error naming it.
fn walk(mem: &Memory, sentinel: u64) -> Result<Vec<u64>> {
    let mut links = Vec::new();
    let mut seen = HashSet::new();
    let mut next =
        mem.ptr(sentinel).map_err(|source| ClrError::Read { what: "ThreadList head".into(), source })?;
    while next != 0 {
        if next == sentinel || !seen.insert(next) {
            return Err(ClrError::Invalid {
                what: "thread list",
                address: next,
                reason: format!("the list loops back after {} threads", links.len()),
            });
        }
        if links.len() >= MAX_THREADS {
            return Err(ClrError::Invalid {
                what: "thread list",
                address: sentinel,
                reason: format!("more than {MAX_THREADS} threads: the list is corrupt"),
            });
        }
        links.push(next);
        next = mem
            .ptr(next)
            .map_err(|source| ClrError::Read { what: format!("thread list link at {next:#x}"), source })?;
    }
    Ok(links)
}

/// The six LONGs after the list's tail: ThreadCount, MaxThreadCount,
/// Unstarted, Background, Pending, Dead.
fn read_counts(mem: &Memory, at: u64) -> Result<StoreCounts> {
    let get = |i: u64| {
        mem.u32(at.wrapping_add(4 * i))
            .map(|v| v as i32)
            .map_err(|source| ClrError::Read { what: "ThreadStore counters".into(), source })
    };
    Ok(StoreCounts {
        thread_count: get(0)?,
        unstarted: get(2)?,
        background: get(3)?,
        pending: get(4)?,
        dead: get(5)?,
    })
}
