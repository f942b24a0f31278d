//! The Exception stream: `MINIDUMP_EXCEPTION_STREAM`.

use super::{Location, Minidump, StreamType};
use crate::error::Result;

/// `EXCEPTION_MAXIMUM_PARAMETERS`.
pub const MAX_PARAMETERS: usize = 15;

/// The Exception stream, raw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExceptionStream {
    /// `ThreadId`.
    pub thread_id: u32,
    /// `ExceptionCode` (NTSTATUS; Breakpad Linux: the signal number).
    pub code: u32,
    /// `ExceptionFlags`.
    pub flags: u32,
    /// `ExceptionRecord`: address of a chained record.
    pub nested_record: u64,
    /// `ExceptionAddress`.
    pub address: u64,
    /// `NumberParameters` as written (may exceed 15 in a corrupt file).
    pub number_parameters: u32,
    /// `ExceptionInformation[..min(NumberParameters, 15)]`.
    pub parameters: Vec<u64>,
    /// `ThreadContext`: the registers at the exception.
    pub context: Location,
}

impl<'a> Minidump<'a> {
    /// The Exception stream.
    pub fn exception(&self) -> Result<ExceptionStream> {
        let s = self.stream_checked(StreamType::EXCEPTION)?;
        s.slice(0, 168)?;
        let number_parameters = s.u32(32)?;
        let n = (number_parameters as usize).min(MAX_PARAMETERS);
        let parameters = (0..n).map(|i| s.u64(40 + 8 * i)).collect::<Result<Vec<_>>>()?;
        Ok(ExceptionStream {
            thread_id: s.u32(0)?,
            code: s.u32(8)?,
            flags: s.u32(12)?,
            nested_record: s.u64(16)?,
            address: s.u64(24)?,
            number_parameters,
            parameters,
            context: Location::read(&s, 160)?,
        })
    }
}
