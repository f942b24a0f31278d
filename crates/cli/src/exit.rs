//! Exit codes (documented in the README) and the CLI's error type.

/// The process exit codes of `clrscope`. Stable: scripts rely on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum ExitCode {
    /// The command ran and printed its answer.
    Ok = 0,
    /// The command line was wrong (unknown command, bad flag, bad number).
    Usage = 1,
    /// The dump could not be opened or is not a dump this tool reads.
    DumpUnreadable = 2,
    /// The dump was read, but it holds no .NET runtime this tool can read.
    NoRuntime = 3,
    /// `--strict` only: the answer was printed but is partial (warnings).
    Partial = 4,
    /// The question has no answer in this dump (e.g. no exception stream,
    /// an address that is not captured).
    NotFound = 5,
    /// `check`: at least one rule failed.
    CheckFailed = 6,
}

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Opening or parsing the dump failed.
    #[error("{path}")]
    Dump {
        /// The dump's path as given.
        path: String,
        /// The library's error.
        #[source]
        source: dump_format::Error,
    },
    /// The runtime model could not answer.
    #[error(transparent)]
    Clr(#[from] clr_heap::ClrError),
    /// The dump has no answer to this question.
    #[error("{0}")]
    NotFound(String),
    /// The rules file of `check` is unreadable or wrong.
    #[error("rules file {path}: {reason}")]
    Rules {
        /// The file.
        path: String,
        /// What is wrong, and where.
        reason: String,
    },
    /// The symbol path does not follow WinDbg's grammar.
    #[error("symbol path")]
    Symbols(#[from] symbols::Error),
    /// Writing the output failed (e.g. a closed pipe).
    #[error("cannot write output")]
    Output(#[from] std::io::Error),
    /// JSON serialisation failed.
    #[error("cannot write JSON")]
    Json(#[from] serde_json::Error),
}

impl CliError {
    /// The exit code this error maps to.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Dump { .. } => ExitCode::DumpUnreadable,
            CliError::NotFound(_) => ExitCode::NotFound,
            CliError::Rules { .. } | CliError::Symbols(_) => ExitCode::Usage,
            CliError::Clr(e) => match e {
                clr_heap::ClrError::NoRuntime { .. }
                | clr_heap::ClrError::Unsupported(_)
                | clr_heap::ClrError::GlobalsNotFound { .. } => ExitCode::NoRuntime,
                _ => ExitCode::NotFound,
            },
            // A closed pipe (`| head`) is not a failure of the tool.
            CliError::Output(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::Ok,
            CliError::Output(_) | CliError::Json(_) => ExitCode::DumpUnreadable,
        }
    }
}
