//! The processor architecture of the dumped process.

/// Processor architecture of the process that was dumped.
///
/// ```
/// use dump_format::Arch;
/// assert_eq!(Arch::X64.pointer_size(), 8);
/// assert_eq!(Arch::X86.pointer_size(), 4);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Arch {
    /// 32-bit x86 (i386).
    X86,
    /// x86-64 (AMD64).
    X64,
    /// 32-bit ARM.
    Arm,
    /// 64-bit ARM.
    Arm64,
    /// Anything else, with the container's own code for it.
    Other(u32),
}

impl Arch {
    /// Size of a pointer in the dumped process, in bytes.
    pub fn pointer_size(self) -> usize {
        match self {
            Arch::X86 | Arch::Arm => 4,
            _ => 8,
        }
    }

    /// A short, stable name (`x86`, `x64`, `arm`, `arm64`, `other(N)`).
    pub fn name(self) -> String {
        match self {
            Arch::X86 => "x86".into(),
            Arch::X64 => "x64".into(),
            Arch::Arm => "arm".into(),
            Arch::Arm64 => "arm64".into(),
            Arch::Other(n) => format!("other({n})"),
        }
    }
}

impl std::fmt::Display for Arch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}
