//! Typed errors of the runtime model.

use dump_format::ReadError;

/// Why the runtime model could not answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClrError {
    /// No module of the dump is a CLR runtime.
    #[error(
        "no .NET runtime in this dump (no clr.dll, mscorwks.dll, coreclr.dll or libcoreclr.so among its {modules} modules)"
    )]
    NoRuntime {
        /// How many modules the dump lists.
        modules: usize,
    },
    /// The runtime is there but this version or target is not supported yet.
    #[error("unsupported runtime: {0}")]
    Unsupported(String),
    /// None of the routes found the runtime's globals; each route's reason is listed.
    #[error("cannot find the runtime's globals: {}", tried.join("; "))]
    GlobalsNotFound {
        /// What each route tried and why it failed.
        tried: Vec<String>,
    },
    /// A runtime data structure failed its validation.
    #[error("{what} at {address:#x} is not valid: {reason}")]
    Invalid {
        /// What was read (e.g. "heap_segment", "MethodTable").
        what: &'static str,
        /// Its address.
        address: u64,
        /// Which check failed.
        reason: String,
    },
    /// Dump memory needed for the answer is missing.
    #[error("reading {what}: {source}")]
    Read {
        /// What was being read.
        what: String,
        /// The memory error (names the address).
        #[source]
        source: ReadError,
    },
    /// Reading metadata failed.
    #[error("metadata of {module}: {reason}")]
    Metadata {
        /// Module path or name.
        module: String,
        /// Why.
        reason: String,
    },
}

/// Result alias of this crate.
pub type Result<T, E = ClrError> = std::result::Result<T, E>;

/// Adds "what was read" to memory errors.
pub(crate) trait ReadContext<T> {
    /// Names the read in the error.
    fn what(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T> ReadContext<T> for std::result::Result<T, ReadError> {
    fn what(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| ClrError::Read { what: what(), source })
    }
}
