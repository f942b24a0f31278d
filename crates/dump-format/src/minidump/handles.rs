//! The HandleData stream: `MINIDUMP_HANDLE_DESCRIPTOR` and `_2`.

use super::{Minidump, StreamType, sized_list};
use crate::error::Result;

/// Size of `MINIDUMP_HANDLE_DESCRIPTOR`.
const DESCRIPTOR_SIZE: usize = 32;
/// Size of `MINIDUMP_HANDLE_DESCRIPTOR_2` (adds `ObjectInfoRva`).
const DESCRIPTOR2_SIZE: usize = 40;

/// One handle descriptor, with its type and object names resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handle {
    /// `Handle`.
    pub handle: u64,
    /// `TypeNameRva`.
    pub type_name_rva: u32,
    /// The object type (`Event`, `File`, …), when recorded and readable.
    pub type_name: Option<String>,
    /// `ObjectNameRva`.
    pub object_name_rva: u32,
    /// The object's name, when recorded and readable.
    pub object_name: Option<String>,
    /// `Attributes`.
    pub attributes: u32,
    /// `GrantedAccess`.
    pub granted_access: u32,
    /// `HandleCount`.
    pub handle_count: u32,
    /// `PointerCount`.
    pub pointer_count: u32,
    /// `ObjectInfoRva` (descriptor `_2` only).
    pub object_info_rva: Option<u32>,
}

/// The HandleData stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandleData {
    /// `SizeOfDescriptor` (32 or 40).
    pub descriptor_size: u32,
    /// The descriptors.
    pub handles: Vec<Handle>,
    /// Names that could not be read (a bad RVA spoils one name only).
    pub bad_names: usize,
}

impl<'a> Minidump<'a> {
    /// The HandleData stream.
    pub fn handle_data(&self) -> Result<HandleData> {
        let what = "HandleData stream";
        let s = self.stream_checked(StreamType::HANDLE_DATA)?;
        let (hsize, esize, count) = (s.u32(0)?, s.u32(4)?, s.u32(8)?);
        let e = sized_list(s, what, hsize, esize, count.into(), DESCRIPTOR_SIZE)?;
        let mut bad_names = 0;
        let mut name = |rva: u32, what: &'static str| -> Option<String> {
            if rva == 0 {
                return None;
            }
            let r = self.string(rva.into(), what).ok();
            bad_names += usize::from(r.is_none());
            r
        };
        let mut handles = Vec::with_capacity(count as usize);
        for i in 0..count as usize {
            let o = i * esize as usize;
            let type_name_rva = e.u32(o + 8)?;
            let object_name_rva = e.u32(o + 12)?;
            handles.push(Handle {
                handle: e.u64(o)?,
                type_name_rva,
                type_name: name(type_name_rva, "HandleData type name"),
                object_name_rva,
                object_name: name(object_name_rva, "HandleData object name"),
                attributes: e.u32(o + 16)?,
                granted_access: e.u32(o + 20)?,
                handle_count: e.u32(o + 24)?,
                pointer_count: e.u32(o + 28)?,
                object_info_rva: if esize as usize >= DESCRIPTOR2_SIZE { Some(e.u32(o + 32)?) } else { None },
            });
        }
        Ok(HandleData { descriptor_size: esize, handles, bad_names })
    }
}
