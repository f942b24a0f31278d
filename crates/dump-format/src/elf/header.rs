//! The ELF file header (`Elf32_Ehdr` / `Elf64_Ehdr`): class, byte order, file
//! type, machine and where the program header table is.

use crate::arch::Arch;
use crate::error::{Error, Result};
use crate::read::Bytes;

/// `e_type` of a core dump.
pub const ET_CORE: u16 = 4;
/// `e_machine` of i386.
pub const EM_386: u16 = 3;
/// `e_machine` of 32-bit ARM.
pub const EM_ARM: u16 = 40;
/// `e_machine` of x86-64.
pub const EM_X86_64: u16 = 62;
/// `e_machine` of AArch64.
pub const EM_AARCH64: u16 = 183;
/// `e_phnum` value saying the real count is in section header 0's `sh_info`
/// (a core with 65535 or more segments, common for big managed heaps).
pub const PN_XNUM: u16 = 0xffff;

/// ELF class: the width of addresses and `long` in the file's structures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Class {
    /// `ELFCLASS32`: 4-byte words.
    Elf32,
    /// `ELFCLASS64`: 8-byte words.
    #[default]
    Elf64,
}

impl Class {
    /// Size of a word (`long`, address) in bytes.
    pub fn word(self) -> usize {
        match self {
            Class::Elf32 => 4,
            Class::Elf64 => 8,
        }
    }
}

/// The facts of the ELF header a core reader needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileHeader {
    /// 32- or 64-bit structures.
    pub class: Class,
    /// `e_ident[EI_OSABI]` (0 = System V, 3 = Linux; Linux cores use 0).
    pub os_abi: u8,
    /// `e_type` (always [`ET_CORE`] once loaded).
    pub e_type: u16,
    /// `e_machine`.
    pub machine: u16,
    /// File offset of the program header table.
    pub phoff: u64,
    /// Size of one program header entry.
    pub phentsize: u16,
    /// Number of program headers (after the `PN_XNUM` escape is resolved).
    pub phnum: u64,
}

impl FileHeader {
    /// The architecture `e_machine` names. ARM and AArch64 map onto their
    /// [`Arch`] variants (registers are not decoded for them); anything else
    /// is `Arch::Other(e_machine)`.
    pub fn arch(&self) -> Arch {
        match self.machine {
            EM_386 => Arch::X86,
            EM_X86_64 => Arch::X64,
            EM_ARM => Arch::Arm,
            EM_AARCH64 => Arch::Arm64,
            m => Arch::Other(m.into()),
        }
    }

    /// Parses the header at the start of `data`. An ELF file that is not a
    /// little-endian core is [`Error::UnknownFormat`]: it is a real file, just
    /// not a dump this crate reads.
    pub fn parse(data: &[u8]) -> Result<FileHeader> {
        let b = Bytes::new(data, 0, "ELF header");
        let ident = b.slice(0, 16)?;
        if ident[..4] != *b"\x7fELF" {
            return Err(Error::UnknownFormat { found: "no ELF magic".into() });
        }
        let class = match ident[4] {
            1 => Class::Elf32,
            2 => Class::Elf64,
            c => return Err(Error::corrupt("ELF header", 4, format!("unknown ELF class {c}"))),
        };
        match ident[5] {
            1 => {}
            2 => {
                return Err(Error::UnknownFormat {
                    found: "a big-endian ELF file (only little-endian core dumps are supported)".into(),
                });
            }
            d => {
                return Err(Error::corrupt("ELF header", 5, format!("unknown ELF data encoding {d}")));
            }
        }
        let e_type = b.u16(16)?;
        if e_type != ET_CORE {
            return Err(Error::UnknownFormat { found: format!("{}, not a core dump", type_name(e_type)) });
        }
        let machine = b.u16(18)?;
        // Field offsets differ only in the width of e_entry/e_phoff/e_shoff.
        let (phoff, shoff, phentsize, phnum, shentsize) = match class {
            Class::Elf32 => {
                (u64::from(b.u32(28)?), u64::from(b.u32(32)?), b.u16(42)?, b.u16(44)?, b.u16(46)?)
            }
            Class::Elf64 => (b.u64(32)?, b.u64(40)?, b.u16(54)?, b.u16(56)?, b.u16(58)?),
        };
        let phnum =
            if phnum == PN_XNUM { extended_phnum(data, class, shoff, shentsize)? } else { u64::from(phnum) };
        Ok(FileHeader { class, os_abi: ident[7], e_type, machine, phoff, phentsize, phnum })
    }
}

/// Reads the program header count from `sh_info` of section header 0, where
/// the kernel puts it when there are `PN_XNUM` or more segments.
fn extended_phnum(data: &[u8], class: Class, shoff: u64, shentsize: u16) -> Result<u64> {
    let what = "section header 0 (extended program header count)";
    let min = match class {
        Class::Elf32 => 40,
        Class::Elf64 => 64,
    };
    if usize::from(shentsize) < min {
        return Err(Error::corrupt(
            what,
            shoff,
            format!("e_phnum is PN_XNUM but e_shentsize is {shentsize}"),
        ));
    }
    let off = usize::try_from(shoff).map_err(|_| Error::Truncated {
        what: what.into(),
        offset: shoff,
        needed: min as u64,
        available: 0,
    })?;
    let sh = Bytes::new(data, 0, what).sub(off, min, what)?;
    let info = match class {
        Class::Elf32 => sh.u32(28)?,
        Class::Elf64 => sh.u32(44)?,
    };
    Ok(u64::from(info))
}

/// Names an ELF `e_type` for "this is not a core" messages.
fn type_name(e_type: u16) -> String {
    match e_type {
        0 => "an ELF file with no type (ET_NONE)".into(),
        1 => "an ELF relocatable object".into(),
        2 => "an ELF executable".into(),
        3 => "an ELF shared object (or position-independent executable)".into(),
        t => format!("an ELF file of type {t:#x}"),
    }
}
