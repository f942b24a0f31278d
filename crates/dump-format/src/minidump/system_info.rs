//! `MINIDUMP_SYSTEM_INFO`: processor and operating system.

use super::{Minidump, StreamType};
use crate::arch::Arch;
use crate::error::Result;
use crate::model::OsFamily;

/// The SystemInfo stream (56 bytes), with its CSD text resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemInfo {
    /// `ProcessorArchitecture` (`PROCESSOR_ARCHITECTURE_*`; Breakpad adds 0x8000+).
    pub processor_architecture: u16,
    /// `ProcessorLevel`.
    pub processor_level: u16,
    /// `ProcessorRevision`.
    pub processor_revision: u16,
    /// `NumberOfProcessors`.
    pub number_of_processors: u8,
    /// `ProductType` (1 workstation, 2 domain controller, 3 server).
    pub product_type: u8,
    /// `MajorVersion`.
    pub major_version: u32,
    /// `MinorVersion`.
    pub minor_version: u32,
    /// `BuildNumber`.
    pub build_number: u32,
    /// `PlatformId` (2 Windows NT; Breakpad: 0x8101 macOS, 0x8102 iOS, 0x8201 Linux, …).
    pub platform_id: u32,
    /// `CSDVersionRva`.
    pub csd_version_rva: u32,
    /// The service-pack text at `CSDVersionRva` (Breakpad: uname, macOS build).
    pub csd_version: Option<String>,
    /// `SuiteMask`.
    pub suite_mask: u16,
    /// The 24-byte `CPU_INFORMATION` union, raw (x86: vendor id, version,
    /// features; others: two feature words).
    pub cpu: [u8; 24],
}

impl SystemInfo {
    /// The architecture of the machine (for a WOW64 process, the 64-bit host).
    ///
    /// ```
    /// # use dump_format::{Arch, minidump::SystemInfo};
    /// assert_eq!(SystemInfo::arch_of(9), Arch::X64);
    /// assert_eq!(SystemInfo::arch_of(0), Arch::X86);
    /// ```
    pub fn arch_of(processor_architecture: u16) -> Arch {
        match processor_architecture {
            0 => Arch::X86,
            5 => Arch::Arm,
            9 => Arch::X64,
            // 12 is Windows' ARM64; 0x8003 is Breakpad's older ARM64 code.
            12 | 0x8003 => Arch::Arm64,
            n => Arch::Other(n.into()),
        }
    }

    /// [`SystemInfo::arch_of`] for this dump.
    pub fn arch(&self) -> Arch {
        Self::arch_of(self.processor_architecture)
    }

    /// The operating-system family from `PlatformId`.
    pub fn os(&self) -> OsFamily {
        match self.platform_id {
            0..=2 => OsFamily::Windows,
            0x8101 | 0x8102 => OsFamily::Apple,
            0x8201 | 0x8203 => OsFamily::Linux,
            n => OsFamily::Other(n),
        }
    }

    /// `major.minor.build`.
    pub fn version_text(&self) -> String {
        format!("{}.{}.{}", self.major_version, self.minor_version, self.build_number)
    }
}

impl<'a> Minidump<'a> {
    /// The SystemInfo stream.
    pub fn system_info(&self) -> Result<SystemInfo> {
        let s = self.stream_checked(StreamType::SYSTEM_INFO)?;
        s.slice(0, 56)?;
        let csd_version_rva = s.u32(24)?;
        // A missing or unreadable CSD string is only missing text.
        let csd_version = (csd_version_rva != 0)
            .then(|| self.string(csd_version_rva.into(), "SystemInfo CSD version string"))
            .and_then(|r| r.ok());
        let mut cpu = [0u8; 24];
        cpu.copy_from_slice(s.slice(32, 24)?);
        Ok(SystemInfo {
            processor_architecture: s.u16(0)?,
            processor_level: s.u16(2)?,
            processor_revision: s.u16(4)?,
            number_of_processors: s.u8(6)?,
            product_type: s.u8(7)?,
            major_version: s.u32(8)?,
            minor_version: s.u32(12)?,
            build_number: s.u32(16)?,
            platform_id: s.u32(20)?,
            csd_version_rva,
            csd_version,
            suite_mask: s.u16(28)?,
            cpu,
        })
    }
}
