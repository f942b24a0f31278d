//! File names that may become part of a path under a cache or store.
//!
//! Every name that reaches the file system comes from somewhere we do not
//! control: the dump (a PDB path the linker wrote, a module path), a server
//! (a `file.ptr`, a CAB entry). A name is accepted only as exactly one
//! normal path component on every OS the cache may be shared with (Windows
//! included, so `\` and `:` are refused even on Linux); the path under the
//! cache is then built by this module alone.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// Longest accepted component (NTFS and ext4 allow 255).
const MAX_LEN: usize = 255;

/// Checks that `name` is one safe file-name component and returns it.
///
/// ```
/// use symbols::names::safe_component;
/// assert!(safe_component("coreclr.pdb").is_ok());
/// assert!(safe_component("..").is_err());
/// assert!(safe_component("a/b").is_err());
/// assert!(safe_component(r"..\..\x").is_err());
/// assert!(safe_component("C:x").is_err());
/// ```
pub fn safe_component(name: &str) -> Result<&str> {
    let bad = |reason| Err(Error::UnsafeName { name: name.to_string(), reason });
    if name.is_empty() {
        return bad("empty");
    }
    if name.len() > MAX_LEN {
        return bad("longer than 255 bytes");
    }
    if name == "." || name == ".." {
        return bad("a relative directory reference");
    }
    if name.contains(['/', '\\']) {
        return bad("contains a path separator");
    }
    if name.contains(':') {
        return bad("contains ':' (a drive or an alternate data stream on Windows)");
    }
    if name.chars().any(|c| c.is_control()) {
        return bad("contains a control character");
    }
    // Windows drops trailing dots and spaces, which would alias another name.
    if name.ends_with(['.', ' ']) {
        return bad("ends with a dot or a space");
    }
    Ok(name)
}

/// The file name of a path the dump recorded, with either separator
/// (`C:\build\obj\foo.pdb`, `/usr/lib/libc.so.6`), checked by
/// [`safe_component`]. Debuggers look symbols up by this name alone.
///
/// ```
/// use symbols::names::file_name_of;
/// assert_eq!(file_name_of(r"C:\build\obj\Foo.pdb")?, "Foo.pdb");
/// assert_eq!(file_name_of("/usr/lib/libc.so.6")?, "libc.so.6");
/// assert!(file_name_of(r"x\..").is_err());
/// # Ok::<(), symbols::Error>(())
/// ```
pub fn file_name_of(recorded: &str) -> Result<&str> {
    let base = recorded.rsplit(['/', '\\']).next().unwrap_or(recorded);
    safe_component(base)
}

/// `root/a/b/…`, every part checked by [`safe_component`]: the only way a
/// path under a cache or local store is built.
///
/// ```
/// use symbols::names::join_safe;
/// let p = join_safe("/cache".as_ref(), &["foo.pdb", "ABC1", "foo.pdb"])?;
/// assert_eq!(p, std::path::Path::new("/cache/foo.pdb/ABC1/foo.pdb"));
/// assert!(join_safe("/cache".as_ref(), &["..", "x"]).is_err());
/// # Ok::<(), symbols::Error>(())
/// ```
pub fn join_safe(root: &Path, parts: &[&str]) -> Result<PathBuf> {
    let mut p = root.to_path_buf();
    for part in parts {
        p.push(safe_component(part)?);
    }
    Ok(p)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_are_refused() {
        for n in ["", ".", "..", "../x", r"..\..\x", "/etc/passwd", r"C:\x", "a\0b", "x.", "a:b", "a\nb"] {
            assert!(safe_component(n).is_err(), "{n:?} accepted");
        }
        for n in ["foo.pdb", "libcoreclr.so", "_.debug", "foo.pd_", "file.ptr", "a b.dll"] {
            assert!(safe_component(n).is_ok(), "{n:?} refused");
        }
        assert!(safe_component(&"a".repeat(256)).is_err());
    }
}
