//! The ModuleList and UnloadedModuleList streams.

use super::{FixedFileInfo, Location, Minidump, StreamType, counted_list, sized_list};
use crate::error::Result;
use crate::model::DebugId;

/// Size of `MINIDUMP_MODULE` (packed to 4 bytes).
const MODULE_SIZE: usize = 108;
/// Size of `MINIDUMP_UNLOADED_MODULE`.
const UNLOADED_SIZE: usize = 24;

/// One `MINIDUMP_MODULE`, with its name and CodeView record resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Module {
    /// `BaseOfImage`.
    pub base: u64,
    /// `SizeOfImage`.
    pub size: u32,
    /// `CheckSum`.
    pub checksum: u32,
    /// `TimeDateStamp`.
    pub time_date_stamp: u32,
    /// `ModuleNameRva`.
    pub name_rva: u32,
    /// The module path, or the error reading it.
    pub name: std::result::Result<String, String>,
    /// `VersionInfo`.
    pub version: FixedFileInfo,
    /// `CvRecord`.
    pub cv_record: Location,
    /// The decoded CodeView record: `Ok(None)` when absent or of an unknown kind.
    pub debug_id: std::result::Result<Option<DebugId>, String>,
    /// `MiscRecord` (an old `IMAGE_DEBUG_MISC`, rarely present).
    pub misc_record: Location,
}

/// One `MINIDUMP_UNLOADED_MODULE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnloadedModule {
    /// `BaseOfImage`.
    pub base: u64,
    /// `SizeOfImage`.
    pub size: u32,
    /// `CheckSum`.
    pub checksum: u32,
    /// `TimeDateStamp`.
    pub time_date_stamp: u32,
    /// `ModuleNameRva`.
    pub name_rva: u32,
    /// The module path, or the error reading it.
    pub name: std::result::Result<String, String>,
}

impl<'a> Minidump<'a> {
    /// The ModuleList stream. A bad name or CodeView record spoils that
    /// field only; a stream too short for its count is an error.
    pub fn module_list(&self) -> Result<Vec<Module>> {
        let s = self.stream_checked(StreamType::MODULE_LIST)?;
        let (count, e) = counted_list(s, MODULE_SIZE)?;
        let mut out = Vec::with_capacity(count as usize);
        for i in 0..count as usize {
            let o = i * MODULE_SIZE;
            let name_rva = e.u32(o + 20)?;
            let cv_record = Location::read(&e, o + 76)?;
            let debug_id = if cv_record.is_empty() {
                Ok(None)
            } else {
                self.location(cv_record, "ModuleList CodeView record")
                    .and_then(super::parse_codeview)
                    .map_err(|e| e.to_string())
            };
            out.push(Module {
                base: e.u64(o)?,
                size: e.u32(o + 8)?,
                checksum: e.u32(o + 12)?,
                time_date_stamp: e.u32(o + 16)?,
                name_rva,
                name: self.string(name_rva.into(), "ModuleList module name").map_err(|e| e.to_string()),
                version: FixedFileInfo::read(&e, o + 24)?,
                cv_record,
                debug_id,
                misc_record: Location::read(&e, o + 84)?,
            });
        }
        Ok(out)
    }

    /// The UnloadedModuleList stream.
    pub fn unloaded_module_list(&self) -> Result<Vec<UnloadedModule>> {
        let what = "UnloadedModuleList stream";
        let s = self.stream_checked(StreamType::UNLOADED_MODULE_LIST)?;
        let (hsize, esize, count) = (s.u32(0)?, s.u32(4)?, s.u32(8)?);
        let e = sized_list(s, what, hsize, esize, count.into(), UNLOADED_SIZE)?;
        let mut out = Vec::with_capacity(count as usize);
        for i in 0..count as usize {
            let o = i * esize as usize;
            let name_rva = e.u32(o + 20)?;
            out.push(UnloadedModule {
                base: e.u64(o)?,
                size: e.u32(o + 8)?,
                checksum: e.u32(o + 12)?,
                time_date_stamp: e.u32(o + 16)?,
                name_rva,
                name: self
                    .string(name_rva.into(), "UnloadedModuleList module name")
                    .map_err(|e| e.to_string()),
            });
        }
        Ok(out)
    }
}
