//! `clrscope exception`: the exception stream (or the fatal signal).

use super::Ctx;
use crate::exit::{CliError, ExitCode};
use crate::output::{hex_ptr, jhex};
use dump_format::model::OsFamily;
use serde::Serialize;

#[derive(Serialize)]
struct Body {
    thread_id: u32,
    code: String,
    name: Option<&'static str>,
    flags: String,
    address: String,
    module: Option<String>,
    parameters: Vec<String>,
    description: Option<String>,
    nested_record: String,
    has_context: bool,
}

/// Runs the command.
pub fn run(ctx: &Ctx) -> Result<ExitCode, CliError> {
    let Some(e) = ctx.dump.exception() else {
        return Err(CliError::NotFound(
            "the dump has no exception record (it was not written for a crash)".into(),
        ));
    };
    let os = &ctx.dump.system().os;
    let name = code_name(os, e.code);
    let module =
        ctx.dump.module_at(e.address).map(|m| format!("{}+{:#x}", m.file_name(), e.address - m.base));
    let description = describe(os, e.code, &e.parameters, ctx.ptr());
    let body = Body {
        thread_id: e.thread_id,
        code: format!("{:#010x}", e.code),
        name,
        flags: format!("{:#x}", e.flags),
        address: jhex(e.address),
        module: module.clone(),
        parameters: e.parameters.iter().map(|p| jhex(*p)).collect(),
        description: description.clone(),
        nested_record: jhex(e.nested_record),
        has_context: e.context.is_some(),
    };
    ctx.finish("exception", &body, || {
        let p = ctx.ptr();
        let mut s = String::new();
        s.push_str(&format!("ExceptionAddress: {}", hex_ptr(e.address, p)));
        if let Some(m) = &module {
            s.push_str(&format!(" ({m})"));
        }
        s.push('\n');
        s.push_str(&format!("   ExceptionCode: {:08x}", e.code));
        if let Some(n) = name {
            s.push_str(&format!(" ({n})"));
        }
        s.push('\n');
        s.push_str(&format!("  ExceptionFlags: {:08x}\n", e.flags));
        s.push_str(&format!("NumberParameters: {}\n", e.parameters.len()));
        for (i, v) in e.parameters.iter().enumerate() {
            s.push_str(&format!("   Parameter[{i}]: {}\n", hex_ptr(*v, p)));
        }
        if let Some(d) = &description {
            s.push_str(d);
            s.push('\n');
        }
        s.push_str(&format!("          Thread: {:#x} ({})\n", e.thread_id, e.thread_id));
        s
    })
}

/// Well-known exception codes (Windows NTSTATUS and runtime codes), signal
/// numbers (Linux) and Mach exception types (Apple).
pub fn code_name(os: &OsFamily, code: u32) -> Option<&'static str> {
    match os {
        OsFamily::Linux => signal_name(code),
        OsFamily::Apple => match code {
            1 => Some("EXC_BAD_ACCESS"),
            2 => Some("EXC_BAD_INSTRUCTION"),
            3 => Some("EXC_ARITHMETIC"),
            5 => Some("EXC_SOFTWARE"),
            6 => Some("EXC_BREAKPOINT"),
            10 => Some("EXC_CRASH"),
            11 => Some("EXC_RESOURCE"),
            12 => Some("EXC_GUARD"),
            _ => None,
        },
        _ => windows_code_name(code),
    }
}

fn windows_code_name(code: u32) -> Option<&'static str> {
    Some(match code {
        0x8000_0003 => "EXCEPTION_BREAKPOINT",
        0x8000_0004 => "EXCEPTION_SINGLE_STEP",
        0x8000_0001 => "STATUS_GUARD_PAGE_VIOLATION",
        0x8000_0002 => "EXCEPTION_DATATYPE_MISALIGNMENT",
        0xC000_0005 => "EXCEPTION_ACCESS_VIOLATION",
        0xC000_0006 => "EXCEPTION_IN_PAGE_ERROR",
        0xC000_0008 => "STATUS_INVALID_HANDLE",
        0xC000_000D => "STATUS_INVALID_PARAMETER",
        0xC000_0017 => "STATUS_NO_MEMORY",
        0xC000_001D => "EXCEPTION_ILLEGAL_INSTRUCTION",
        0xC000_0025 => "EXCEPTION_NONCONTINUABLE_EXCEPTION",
        0xC000_0026 => "EXCEPTION_INVALID_DISPOSITION",
        0xC000_008C => "EXCEPTION_ARRAY_BOUNDS_EXCEEDED",
        0xC000_008D => "EXCEPTION_FLT_DENORMAL_OPERAND",
        0xC000_008E => "EXCEPTION_FLT_DIVIDE_BY_ZERO",
        0xC000_0090 => "EXCEPTION_FLT_INVALID_OPERATION",
        0xC000_0094 => "EXCEPTION_INT_DIVIDE_BY_ZERO",
        0xC000_0095 => "EXCEPTION_INT_OVERFLOW",
        0xC000_0096 => "EXCEPTION_PRIV_INSTRUCTION",
        0xC000_00FD => "EXCEPTION_STACK_OVERFLOW",
        0xC000_0135 => "STATUS_DLL_NOT_FOUND",
        0xC000_0142 => "STATUS_DLL_INIT_FAILED",
        0xC000_013A => "STATUS_CONTROL_C_EXIT",
        0xC000_0374 => "STATUS_HEAP_CORRUPTION",
        0xC000_0409 => "STATUS_STACK_BUFFER_OVERRUN (fail fast)",
        0xC000_0420 => "STATUS_ASSERTION_FAILURE",
        0xC000_0602 => "STATUS_FAIL_FAST_EXCEPTION",
        0x4001_0005 => "DBG_CONTROL_C",
        0x406D_1388 => "MS_VC_EXCEPTION (SetThreadName)",
        0xE06D_7363 => "C++ exception (msc)",
        0xE043_4352 => "CLR exception (.NET)",
        0xE043_4F4D => "CLR exception (.NET 1.x/2.0 COM+)",
        0x8000_0029 => "STATUS_UNWIND_CONSOLIDATE",
        _ => return None,
    })
}

fn signal_name(sig: u32) -> Option<&'static str> {
    Some(match sig {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        5 => "SIGTRAP",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        10 => "SIGUSR1",
        11 => "SIGSEGV",
        12 => "SIGUSR2",
        13 => "SIGPIPE",
        14 => "SIGALRM",
        15 => "SIGTERM",
        _ => return None,
    })
}

/// A sentence for the codes whose parameters have a documented meaning.
fn describe(os: &OsFamily, code: u32, params: &[u64], ptr: usize) -> Option<String> {
    if matches!(os, OsFamily::Linux | OsFamily::Apple) {
        return None;
    }
    match (code, params) {
        (0xC000_0005 | 0xC000_0006, [kind, addr, ..]) => {
            let verb = match kind {
                0 => "read from",
                1 => "write to",
                8 => "execute (DEP) at",
                _ => "access",
            };
            Some(format!("Attempt to {verb} address {}", hex_ptr(*addr, ptr)))
        }
        (0xC000_0409, [kind, ..]) => Some(format!("Fail-fast code {kind} (FAST_FAIL_*)")),
        _ => None,
    }
}
