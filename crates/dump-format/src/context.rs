//! Thread register contexts, independent of the container that stored them.
//!
//! A MINIDUMP stores a Windows `CONTEXT`; an ELF core stores `user_regs_struct`
//! inside `NT_PRSTATUS`. Both are decoded into the same [`ThreadContext`] so the
//! unwinders above never care where a register came from.

/// General-purpose registers of a 32-bit x86 thread.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[allow(missing_docs)] // register names are their own documentation
pub struct X86Regs {
    pub eax: u32,
    pub ebx: u32,
    pub ecx: u32,
    pub edx: u32,
    pub esi: u32,
    pub edi: u32,
    pub ebp: u32,
    pub esp: u32,
    pub eip: u32,
    pub eflags: u32,
    pub cs: u32,
    pub ds: u32,
    pub es: u32,
    pub fs: u32,
    pub gs: u32,
    pub ss: u32,
}

/// General-purpose registers of an x86-64 thread.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct X64Regs {
    pub rax: u64,
    pub rbx: u64,
    pub rcx: u64,
    pub rdx: u64,
    pub rsi: u64,
    pub rdi: u64,
    pub rbp: u64,
    pub rsp: u64,
    pub r8: u64,
    pub r9: u64,
    pub r10: u64,
    pub r11: u64,
    pub r12: u64,
    pub r13: u64,
    pub r14: u64,
    pub r15: u64,
    pub rip: u64,
    pub eflags: u64,
    pub cs: u64,
    pub ss: u64,
    pub fs_base: u64,
    pub gs_base: u64,
}

/// The registers of one thread at the moment of the dump.
///
/// ```
/// use dump_format::context::{ThreadContext, X64Regs};
/// let c = ThreadContext::X64(X64Regs { rip: 0x1000, rsp: 0x2000, ..Default::default() });
/// assert_eq!(c.instruction_pointer(), 0x1000);
/// assert_eq!(c.stack_pointer(), 0x2000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThreadContext {
    /// A 32-bit x86 context.
    X86(X86Regs),
    /// An x86-64 context.
    X64(X64Regs),
}

impl ThreadContext {
    /// The instruction pointer (EIP / RIP).
    pub fn instruction_pointer(&self) -> u64 {
        match self {
            ThreadContext::X86(r) => r.eip.into(),
            ThreadContext::X64(r) => r.rip,
        }
    }

    /// The stack pointer (ESP / RSP).
    pub fn stack_pointer(&self) -> u64 {
        match self {
            ThreadContext::X86(r) => r.esp.into(),
            ThreadContext::X64(r) => r.rsp,
        }
    }

    /// The frame pointer (EBP / RBP).
    pub fn frame_pointer(&self) -> u64 {
        match self {
            ThreadContext::X86(r) => r.ebp.into(),
            ThreadContext::X64(r) => r.rbp,
        }
    }

    /// Every general-purpose register as `(name, value)`, in the order
    /// debuggers print them. Used by `dso` to scan registers for objects.
    pub fn registers(&self) -> Vec<(&'static str, u64)> {
        match self {
            ThreadContext::X86(r) => vec![
                ("eax", r.eax.into()),
                ("ebx", r.ebx.into()),
                ("ecx", r.ecx.into()),
                ("edx", r.edx.into()),
                ("esi", r.esi.into()),
                ("edi", r.edi.into()),
                ("ebp", r.ebp.into()),
                ("esp", r.esp.into()),
                ("eip", r.eip.into()),
                ("efl", r.eflags.into()),
            ],
            ThreadContext::X64(r) => vec![
                ("rax", r.rax),
                ("rbx", r.rbx),
                ("rcx", r.rcx),
                ("rdx", r.rdx),
                ("rsi", r.rsi),
                ("rdi", r.rdi),
                ("rbp", r.rbp),
                ("rsp", r.rsp),
                ("r8", r.r8),
                ("r9", r.r9),
                ("r10", r.r10),
                ("r11", r.r11),
                ("r12", r.r12),
                ("r13", r.r13),
                ("r14", r.r14),
                ("r15", r.r15),
                ("rip", r.rip),
                ("efl", r.eflags),
            ],
        }
    }
}
