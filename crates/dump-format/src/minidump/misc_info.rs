//! `MINIDUMP_MISC_INFO` and its four larger revisions (24, 44, 232, 832 and
//! 1364+ bytes). Which fields are valid is said by `Flags1`, not by the size
//! alone: a field is read only when its validity bit is set *and* the
//! stream is large enough to hold it.

use super::{Minidump, StreamType};
use crate::error::Result;
use crate::read::{Bytes, utf16le};

/// `MINIDUMP_MISC1_*` validity bits of `Flags1`.
#[allow(missing_docs)]
pub mod flags {
    pub const PROCESS_ID: u32 = 0x1;
    pub const PROCESS_TIMES: u32 = 0x2;
    pub const PROCESSOR_POWER_INFO: u32 = 0x4;
    pub const PROCESS_INTEGRITY: u32 = 0x10;
    pub const PROCESS_EXECUTE_FLAGS: u32 = 0x20;
    pub const TIMEZONE: u32 = 0x40;
    pub const PROTECTED_PROCESS: u32 = 0x80;
    pub const BUILDSTRING: u32 = 0x100;
    pub const PROCESS_COOKIE: u32 = 0x200;
}

/// `TIME_ZONE_INFORMATION` from MISC_INFO_3 and later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeZone {
    /// `TimeZoneId` (0 unknown, 1 standard, 2 daylight).
    pub id: u32,
    /// `Bias` in minutes (UTC = local + bias).
    pub bias: i32,
    /// `StandardName`.
    pub standard_name: String,
    /// `StandardBias`.
    pub standard_bias: i32,
    /// `DaylightName`.
    pub daylight_name: String,
    /// `DaylightBias`.
    pub daylight_bias: i32,
}

/// The MiscInfo stream; `None` marks a field the writer did not set (its
/// `Flags1` bit clear) or a revision too small to have it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MiscInfo {
    /// `SizeOfInfo`: which revision this is (24, 44, 232, 832, 1364).
    pub size_of_info: u32,
    /// `Flags1`: the validity bits ([`flags`]).
    pub flags1: u32,
    /// `ProcessId`.
    pub process_id: Option<u32>,
    /// `ProcessCreateTime` in Unix seconds.
    pub process_create_time: Option<u32>,
    /// `ProcessUserTime` in seconds.
    pub process_user_time: Option<u32>,
    /// `ProcessKernelTime` in seconds.
    pub process_kernel_time: Option<u32>,
    /// `ProcessorMaxMhz`, `ProcessorCurrentMhz`, `ProcessorMhzLimit`,
    /// `ProcessorMaxIdleState`, `ProcessorCurrentIdleState`.
    pub processor_power: Option<[u32; 5]>,
    /// `ProcessIntegrityLevel`.
    pub process_integrity_level: Option<u32>,
    /// `ProcessExecuteFlags`.
    pub process_execute_flags: Option<u32>,
    /// `ProtectedProcess`.
    pub protected_process: Option<u32>,
    /// Time zone.
    pub time_zone: Option<TimeZone>,
    /// `BuildString` (e.g. `10.0.19041.1 (WinBuild.160101.0800)`).
    pub build_string: Option<String>,
    /// `DbgBldStr` (the dbghelp build that wrote the dump).
    pub dbg_build_string: Option<String>,
    /// `XStateData.EnabledFeatures` (MISC_INFO_5).
    pub xstate_enabled_features: Option<u64>,
    /// `XStateData.ContextSize` (MISC_INFO_5).
    pub xstate_context_size: Option<u32>,
    /// `ProcessCookie` (MISC_INFO_5).
    pub process_cookie: Option<u32>,
}

/// A field at `off` of `len` bytes exists when the stream is that long.
fn has(s: &Bytes<'_>, off: usize, len: usize) -> bool {
    s.len() >= off + len
}

impl<'a> Minidump<'a> {
    /// The MiscInfo stream.
    pub fn misc_info(&self) -> Result<MiscInfo> {
        let s = self.stream_checked(StreamType::MISC_INFO)?;
        let size_of_info = s.u32(0)?;
        let flags1 = s.u32(4)?;
        // Trust the smaller of the declared size and the stream size.
        let s = s.sub(0, s.len().min(size_of_info as usize), "MiscInfo stream")?;
        let set = |bit: u32| flags1 & bit != 0;
        let opt = |bit: u32, off: usize| -> Result<Option<u32>> {
            if set(bit) && has(&s, off, 4) { s.u32(off).map(Some) } else { Ok(None) }
        };
        let mut m = MiscInfo {
            size_of_info,
            flags1,
            process_id: opt(flags::PROCESS_ID, 8)?,
            process_create_time: opt(flags::PROCESS_TIMES, 12)?,
            process_user_time: opt(flags::PROCESS_TIMES, 16)?,
            process_kernel_time: opt(flags::PROCESS_TIMES, 20)?,
            ..MiscInfo::default()
        };
        if set(flags::PROCESSOR_POWER_INFO) && has(&s, 24, 20) {
            let mut p = [0u32; 5];
            for (i, v) in p.iter_mut().enumerate() {
                *v = s.u32(24 + 4 * i)?;
            }
            m.processor_power = Some(p);
        }
        m.process_integrity_level = opt(flags::PROCESS_INTEGRITY, 44)?;
        m.process_execute_flags = opt(flags::PROCESS_EXECUTE_FLAGS, 48)?;
        m.protected_process = opt(flags::PROTECTED_PROCESS, 52)?;
        if set(flags::TIMEZONE) && has(&s, 56, 176) {
            // TIME_ZONE_INFORMATION at 60: Bias, StandardName[32], StandardDate,
            // StandardBias, DaylightName[32], DaylightDate, DaylightBias.
            m.time_zone = Some(TimeZone {
                id: s.u32(56)?,
                bias: s.i32(60)?,
                standard_name: utf16le(s.slice(64, 64)?),
                standard_bias: s.i32(144)?,
                daylight_name: utf16le(s.slice(148, 64)?),
                daylight_bias: s.i32(228)?,
            });
        }
        if set(flags::BUILDSTRING) && has(&s, 232, 600) {
            m.build_string = Some(utf16le(s.slice(232, 520)?));
            m.dbg_build_string = Some(utf16le(s.slice(752, 80)?));
        }
        // XSTATE_CONFIG_FEATURE_MSC_INFO at 832 has no Flags1 bit of its own:
        // its own SizeOfInfo says whether it was filled in.
        if has(&s, 832, 528) && s.u32(832)? != 0 {
            m.xstate_context_size = Some(s.u32(836)?);
            m.xstate_enabled_features = Some(s.u64(840)?);
        }
        m.process_cookie = opt(flags::PROCESS_COOKIE, 1360)?;
        Ok(m)
    }
}
