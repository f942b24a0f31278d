//! `VS_FIXEDFILEINFO`: the version resource summary inside `MINIDUMP_MODULE`.

use crate::error::Result;
use crate::read::Bytes;

/// `dwSignature` of a filled-in `VS_FIXEDFILEINFO`.
pub const FIXED_FILE_INFO_SIGNATURE: u32 = 0xfeef_04bd;

/// `VS_FIXEDFILEINFO`, raw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[allow(missing_docs)] // the Win32 field names
pub struct FixedFileInfo {
    pub signature: u32,
    pub struc_version: u32,
    pub file_version_ms: u32,
    pub file_version_ls: u32,
    pub product_version_ms: u32,
    pub product_version_ls: u32,
    pub file_flags_mask: u32,
    pub file_flags: u32,
    pub file_os: u32,
    pub file_type: u32,
    pub file_subtype: u32,
    pub file_date_ms: u32,
    pub file_date_ls: u32,
}

fn split(ms: u32, ls: u32) -> [u16; 4] {
    [(ms >> 16) as u16, ms as u16, (ls >> 16) as u16, ls as u16]
}

impl FixedFileInfo {
    pub(crate) fn read(b: &Bytes<'_>, off: usize) -> Result<FixedFileInfo> {
        let f = |i: usize| b.u32(off + 4 * i);
        Ok(FixedFileInfo {
            signature: f(0)?,
            struc_version: f(1)?,
            file_version_ms: f(2)?,
            file_version_ls: f(3)?,
            product_version_ms: f(4)?,
            product_version_ls: f(5)?,
            file_flags_mask: f(6)?,
            file_flags: f(7)?,
            file_os: f(8)?,
            file_type: f(9)?,
            file_subtype: f(10)?,
            file_date_ms: f(11)?,
            file_date_ls: f(12)?,
        })
    }

    /// True when the writer filled the structure in (signature `0xFEEF04BD`);
    /// Breakpad and Crashpad leave it zero for modules without a version resource.
    pub fn is_valid(&self) -> bool {
        self.signature == FIXED_FILE_INFO_SIGNATURE
    }

    /// File version (major, minor, build, revision) when valid.
    ///
    /// ```
    /// use dump_format::minidump::FixedFileInfo;
    /// let v = FixedFileInfo { signature: 0xfeef04bd, file_version_ms: 0x000a_0000,
    ///     file_version_ls: 0x4a61_0001, ..Default::default() };
    /// assert_eq!(v.file_version(), Some([10, 0, 19041, 1]));
    /// ```
    pub fn file_version(&self) -> Option<[u16; 4]> {
        self.is_valid().then(|| split(self.file_version_ms, self.file_version_ls))
    }

    /// Product version when valid.
    pub fn product_version(&self) -> Option<[u16; 4]> {
        self.is_valid().then(|| split(self.product_version_ms, self.product_version_ls))
    }
}
