//! The ThreadNames stream: `MINIDUMP_THREAD_NAME` (thread id and an RVA64 to
//! a `MINIDUMP_STRING`).

use super::{Minidump, StreamType, counted_list};
use crate::error::Result;

/// `MINIDUMP_THREAD_NAME` is packed to 4 bytes: u32 id + u64 RVA.
const NAME_SIZE: usize = 12;

/// One thread name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadName {
    /// `ThreadId`.
    pub thread_id: u32,
    /// `RvaOfThreadName`.
    pub rva: u64,
    /// The name, or the error reading it (a bad RVA spoils one name, not the list).
    pub name: std::result::Result<String, String>,
}

impl<'a> Minidump<'a> {
    /// The ThreadNames stream.
    pub fn thread_names(&self) -> Result<Vec<ThreadName>> {
        let s = self.stream_checked(StreamType::THREAD_NAMES)?;
        let (count, entries) = counted_list(s, NAME_SIZE)?;
        let mut out = Vec::with_capacity(count as usize);
        for i in 0..count as usize {
            let o = i * NAME_SIZE;
            let rva = entries.u64(o + 4)?;
            let name = self.string(rva, "ThreadNames name string");
            out.push(ThreadName { thread_id: entries.u32(o)?, rva, name: name.map_err(|e| e.to_string()) });
        }
        Ok(out)
    }
}
