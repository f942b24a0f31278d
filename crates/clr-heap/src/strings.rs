//! String statistics over the whole heap: duplicates (what `strings` and
//! `dumpheap --strings` print) — kept in the library so a CI check can
//! assert on them too.

use crate::error::Result;
use crate::gc::HeapItem;
use crate::gc::stat::AddrMap;
use crate::runtime::Runtime;
use crate::types::TypeSystem;
use std::collections::HashMap;

/// Strings longer than this are grouped by their first `KEY_CHARS`
/// characters plus their length, so a heap of huge strings cannot make the
/// statistics hold a copy of all of them.
const KEY_CHARS: usize = 1024;

/// One distinct string value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StringGroup {
    /// The value (truncated to 1024 characters, with `…`, for long strings).
    pub value: String,
    /// Length in characters.
    pub length: u64,
    /// Instances.
    pub count: u64,
    /// Bytes of all instances.
    pub total_size: u64,
    /// One instance's address.
    pub example: u64,
}

impl StringGroup {
    /// Bytes that would be saved if the duplicates were one string.
    pub fn wasted(&self) -> u64 {
        self.total_size - self.total_size / self.count.max(1)
    }
}

/// Every string on the heap grouped by value.
#[derive(Debug, Clone, Default)]
pub struct StringStats {
    /// The groups, in no particular order.
    pub groups: Vec<StringGroup>,
    /// Strings seen.
    pub strings: u64,
    /// Strings whose characters could not be read (reason of the first).
    pub unreadable: (u64, Option<String>),
}

impl StringStats {
    /// Walks the heap once and groups the strings.
    pub fn collect(rt: &Runtime, ts: &TypeSystem, mut progress: impl FnMut(u64, u64)) -> Result<StringStats> {
        let total = rt.heap.as_ref().map(|h| h.total_size()).unwrap_or(0);
        let mut is_string: AddrMap<bool> = AddrMap::default();
        let mut groups: HashMap<(String, u64), StringGroup> = HashMap::new();
        let mut out = StringStats::default();
        let mut cache = rt.mt_cache();
        let mut done = 0u64;
        for (i, item) in rt.walk(&mut cache)?.enumerate() {
            let HeapItem::Object(o) = item else { continue };
            done += o.size;
            if i % (1 << 16) == 0 {
                progress(done, total);
            }
            let s = *is_string
                .entry(o.mt)
                .or_insert_with(|| ts.method_table(o.mt).is_ok_and(|m| m.is_string_like()));
            if !s {
                continue;
            }
            out.strings += 1;
            match ts.string_at(o.address) {
                Ok(v) => {
                    let length = v.encode_utf16().count() as u64;
                    let key: String = if v.chars().count() > KEY_CHARS {
                        let mut k: String = v.chars().take(KEY_CHARS).collect();
                        k.push('…');
                        k
                    } else {
                        v
                    };
                    let g = groups.entry((key.clone(), length)).or_insert(StringGroup {
                        value: key,
                        length,
                        count: 0,
                        total_size: 0,
                        example: o.address,
                    });
                    g.count += 1;
                    g.total_size += o.size;
                }
                Err(e) => {
                    out.unreadable.0 += 1;
                    out.unreadable.1.get_or_insert(e.to_string());
                }
            }
        }
        progress(total, total);
        out.groups = groups.into_values().collect();
        Ok(out)
    }
}
