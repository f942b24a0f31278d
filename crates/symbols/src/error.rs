//! Errors: every one names the file, URL or name it is about, because a
//! symbol lookup touches many places and "not found" alone helps nobody.

use std::path::PathBuf;

/// Why a symbol operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The symbol path text does not follow WinDbg's grammar.
    #[error("symbol path element {element:?}: {reason}")]
    BadPath {
        /// The `;`-separated element.
        element: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A name from the dump, a server or an archive cannot be used as one
    /// file-name component (it would leave the cache or is not a name).
    #[error("unsafe file name {name:?}: {reason}")]
    UnsafeName {
        /// The name as given.
        name: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// Reading or writing a local file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// An HTTP download failed (after its retries, where retrying helps).
    #[error("{url}: {reason}")]
    Http {
        /// The URL.
        url: String,
        /// What happened (status, time-out, truncated body, size limit).
        reason: String,
    },
    /// A compressed (`_`) store entry is not a valid single-file CAB.
    #[error("{}: compressed entry: {reason}", path.display())]
    Cab {
        /// The downloaded or stored `.xx_` file.
        path: PathBuf,
        /// What is wrong (bad checksum, unexpected content).
        reason: String,
    },
    /// A `file.ptr` entry could not be followed.
    #[error("{origin}: file.ptr: {reason}")]
    FilePtr {
        /// Where the `file.ptr` came from.
        origin: String,
        /// Why it cannot be followed.
        reason: String,
    },
    /// The file found is not the one the key asks for (another build).
    #[error("{}: {what} is {found}, the module needs {expected}", path.display())]
    Mismatch {
        /// The file.
        path: PathBuf,
        /// Which identity (`GUID/age`, `build id`, `timestamp/size`).
        what: &'static str,
        /// The file's.
        found: String,
        /// The key's.
        expected: String,
    },
    /// A symbol file could not be parsed.
    #[error("{}: {reason}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        reason: String,
    },
    /// The key names no file any element of the path has.
    #[error("{0}")]
    NotFound(String),
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { path, source }
    }
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, Error>;
