//! The CLI header (ECMA-335 §II.25.3.3) and the debug directory of a PE image.

use super::{DataDirectory, ImageSource, PeError, PeImage, corrupt, dir, field};
use dump_format::read::Bytes;

/// No real metadata blob comes near this; a larger size is corruption.
const MAX_METADATA: u32 = 512 << 20;
/// Size of a debug directory entry.
const DEBUG_ENTRY_SIZE: u32 = 28;

/// The CLI header (`IMAGE_COR20_HEADER`, ECMA-335 §II.25.3.3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CliHeader {
    /// Size of the header (72).
    pub cb: u32,
    /// Runtime version the image needs, major part (2).
    pub major_runtime_version: u16,
    /// Minor part (5).
    pub minor_runtime_version: u16,
    /// The metadata root (`BSJB`).
    pub metadata: DataDirectory,
    /// `COMIMAGE_FLAGS_*` (0x1 IL only, 0x2 32-bit required, 0x8 strong-name signed…).
    pub flags: u32,
    /// Entry point MethodDef token (or native RVA with flag 0x10).
    pub entry_point: u32,
    /// Managed resources.
    pub resources: DataDirectory,
    /// Strong-name signature.
    pub strong_name_signature: DataDirectory,
    /// Code manager table (unused, 0).
    pub code_manager_table: DataDirectory,
    /// VTable fixups (mixed-mode images).
    pub vtable_fixups: DataDirectory,
    /// Export address table jumps (unused, 0).
    pub export_address_table_jumps: DataDirectory,
    /// ManagedNativeHeader: the ReadyToRun header (`RTR`) or the NGEN native header.
    pub managed_native_header: DataDirectory,
}

/// One entry of the debug directory (`IMAGE_DEBUG_DIRECTORY`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DebugEntry {
    /// Time stamp.
    pub timestamp: u32,
    /// Major version (0x0100 and above with minor 0x504D: portable PDB).
    pub major_version: u16,
    /// Minor version.
    pub minor_version: u16,
    /// `IMAGE_DEBUG_TYPE_*`: 2 CodeView, 16 reproducible, 17 embedded portable PDB…
    pub kind: u32,
    /// Size of the data.
    pub size: u32,
    /// RVA of the data (0 when not mapped).
    pub rva: u32,
    /// File offset of the data.
    pub file_pointer: u32,
}

impl PeImage {
    pub(super) fn read_cli_header(
        &self,
        src: &(impl ImageSource + ?Sized),
        d: DataDirectory,
    ) -> Result<CliHeader, PeError> {
        const WHAT: &str = "CLI header";
        if d.size < 72 {
            return Err(corrupt(
                WHAT,
                d.rva,
                format!("directory size {} is below the header's 72 bytes", d.size),
            ));
        }
        let buf = self.read(src, d.rva, 72, WHAT)?;
        let b = Bytes::new(&buf, u64::from(d.rva), WHAT);
        let h = CliHeader {
            cb: field(b.u32(0), WHAT, d.rva)?,
            major_runtime_version: field(b.u16(4), WHAT, d.rva)?,
            minor_runtime_version: field(b.u16(6), WHAT, d.rva)?,
            metadata: dir(&b, 8, WHAT, d.rva)?,
            flags: field(b.u32(16), WHAT, d.rva)?,
            entry_point: field(b.u32(20), WHAT, d.rva)?,
            resources: dir(&b, 24, WHAT, d.rva)?,
            strong_name_signature: dir(&b, 32, WHAT, d.rva)?,
            code_manager_table: dir(&b, 40, WHAT, d.rva)?,
            vtable_fixups: dir(&b, 48, WHAT, d.rva)?,
            export_address_table_jumps: dir(&b, 56, WHAT, d.rva)?,
            managed_native_header: dir(&b, 64, WHAT, d.rva)?,
        };
        if h.cb < 72 {
            return Err(corrupt(WHAT, d.rva, format!("cb {} is below 72", h.cb)));
        }
        if h.metadata.is_empty() || h.metadata.size > MAX_METADATA {
            return Err(corrupt(
                WHAT,
                d.rva,
                format!("metadata directory {:#x} (+{:#x}) is unusable", h.metadata.rva, h.metadata.size),
            ));
        }
        Ok(h)
    }

    /// RVA of the ReadyToRun (or NGEN) header, when the image has one.
    pub fn ready_to_run_header_rva(&self) -> Option<u32> {
        self.cli.map(|c| c.managed_native_header).filter(|d| !d.is_empty()).map(|d| d.rva)
    }

    /// The entries of the debug directory.
    pub fn debug_entries(&self, src: &(impl ImageSource + ?Sized)) -> Result<Vec<DebugEntry>, PeError> {
        let d = self.debug_directory();
        if d.is_empty() {
            return Ok(Vec::new());
        }
        let buf = self.read(src, d.rva, d.size - d.size % DEBUG_ENTRY_SIZE, "debug directory")?;
        Ok(buf
            .chunks_exact(DEBUG_ENTRY_SIZE as usize)
            .map(|e| {
                let u = |o: usize| u32::from_le_bytes([e[o], e[o + 1], e[o + 2], e[o + 3]]);
                DebugEntry {
                    timestamp: u(4),
                    major_version: u16::from_le_bytes([e[8], e[9]]),
                    minor_version: u16::from_le_bytes([e[10], e[11]]),
                    kind: u(12),
                    size: u(16),
                    rva: u(20),
                    file_pointer: u(24),
                }
            })
            .collect())
    }
}
