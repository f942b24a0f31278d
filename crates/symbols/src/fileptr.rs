//! `file.ptr`: a store entry that points elsewhere instead of holding the
//! file (`PATH:\\server\share\foo.pdb`), or carries a message (`MSG:…`).

use crate::error::{Error, Result};

/// Largest `file.ptr` read: it holds one line.
pub const MAX_FILE_PTR: u64 = 4096;

/// What a `file.ptr` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilePtr {
    /// The file is at this path or URL.
    Path(String),
    /// The store's message (e.g. why the file is not available).
    Message(String),
}

/// Parses the content of a `file.ptr`; `origin` names it in errors.
///
/// ```
/// use symbols::fileptr::{parse, FilePtr};
/// assert_eq!(parse(b"PATH:\\\\srv\\share\\a.pdb\r\n", "x")?, FilePtr::Path(r"\\srv\share\a.pdb".into()));
/// assert_eq!(parse(b"MSG: withheld", "x")?, FilePtr::Message("withheld".into()));
/// assert!(parse(b"garbage", "x").is_err());
/// # Ok::<(), symbols::Error>(())
/// ```
pub fn parse(bytes: &[u8], origin: &str) -> Result<FilePtr> {
    let bad = |reason: &str| Error::FilePtr { origin: origin.to_string(), reason: reason.to_string() };
    let text = std::str::from_utf8(bytes).map_err(|_| bad("not UTF-8 text"))?;
    let line = text.lines().next().unwrap_or("").trim();
    let (tag, rest) = line.split_once(':').ok_or_else(|| bad("expected PATH:… or MSG:…"))?;
    let rest = rest.trim();
    match tag.trim().to_ascii_uppercase().as_str() {
        "PATH" if rest.is_empty() => Err(bad("empty PATH")),
        "PATH" if rest.contains('\0') => Err(bad("PATH contains NUL")),
        "PATH" => Ok(FilePtr::Path(rest.to_string())),
        "MSG" => Ok(FilePtr::Message(rest.to_string())),
        _ => Err(bad("expected PATH:… or MSG:…")),
    }
}
