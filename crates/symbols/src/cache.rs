//! Writing into a cache (a two-tier store laid out as WinDbg lays out its
//! downstream store: `root/name/INDEX/name`), and reading a local store.
//!
//! Every path under a root is built by `names::join_safe` from the key, so
//! no name from a dump or a server decides where a file goes. Files arrive
//! under a temporary name in their final directory and are renamed into
//! place once verified, so a cache never holds a partial or unverified file
//! under a real name.

use crate::compressed;
use crate::error::{Error, Result};
use crate::fileptr::{self, FilePtr};
use crate::key::Key;
use crate::names::join_safe;
use crate::verify::verify;
use std::path::{Path, PathBuf};

/// Largest file a compressed entry may expand to.
pub const MAX_EXPANDED: u64 = 4 << 30;

/// The final path of `key` under `root` (two-tier, or three-tier).
pub fn entry_path(root: &Path, key: &Key, three_tier: bool) -> Result<PathBuf> {
    let comps = key.components(three_tier)?;
    let parts: Vec<&str> = comps.iter().map(String::as_str).collect();
    join_safe(root, &parts)
}

/// The path of another file (`foo.pd_`, `file.ptr`) in the entry's directory.
pub fn sibling(root: &Path, key: &Key, three_tier: bool, file: &str) -> Result<PathBuf> {
    let mut comps = key.components(three_tier)?;
    comps.pop();
    comps.push(file.to_string());
    let parts: Vec<&str> = comps.iter().map(String::as_str).collect();
    join_safe(root, &parts)
}

/// Whether the store at `root` uses the three-tier layout.
pub fn is_three_tier(root: &Path) -> bool {
    root.join("index2.txt").is_file()
}

/// A temporary name beside `final_path`, unique to this process.
pub fn temp_beside(final_path: &Path, tag: &str) -> PathBuf {
    let name = final_path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    final_path.with_file_name(format!(".{name}.{tag}.{}.tmp", std::process::id()))
}

/// Creates the entry's directory under `root` and returns the final path.
pub fn prepare(root: &Path, key: &Key) -> Result<PathBuf> {
    let path = entry_path(root, key, false)?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
    }
    Ok(path)
}

/// Verifies `tmp` against `key` and renames it to `final_path`; removes it
/// when it is not the file the key names.
pub fn commit(key: &Key, tmp: &Path, final_path: &Path) -> Result<PathBuf> {
    if let Err(e) = verify(key, tmp) {
        let _ = std::fs::remove_file(tmp);
        return Err(e);
    }
    std::fs::rename(tmp, final_path).map_err(Error::io(final_path))?;
    Ok(final_path.to_path_buf())
}

/// Copies a verified file into the cache at `root` (no-op when it is there).
pub fn install(root: &Path, key: &Key, src: &Path) -> Result<PathBuf> {
    let dest = prepare(root, key)?;
    if dest.is_file() || same_file(&dest, src) {
        return Ok(dest);
    }
    let tmp = temp_beside(&dest, "copy");
    std::fs::copy(src, &tmp).map_err(Error::io(&tmp))?;
    commit(key, &tmp, &dest)
}

/// Expands the compressed entry `cab` into the cache at `root`.
pub fn install_compressed(root: &Path, key: &Key, cab: &Path) -> Result<PathBuf> {
    let dest = prepare(root, key)?;
    let tmp = temp_beside(&dest, "expand");
    let mut out = std::fs::File::create(&tmp).map_err(Error::io(&tmp))?;
    let expanded = compressed::expand(cab, key.file_name(), &mut out, MAX_EXPANDED);
    drop(out);
    if let Err(e) = expanded {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    commit(key, &tmp, &dest)
}

fn same_file(a: &Path, b: &Path) -> bool {
    matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
}

/// What a local store holds for a key.
#[derive(Debug)]
pub enum LocalEntry {
    /// The file itself.
    File(PathBuf),
    /// A compressed entry to expand.
    Compressed(PathBuf),
    /// A `file.ptr` pointing at a local file.
    Pointer(PathBuf),
    /// A `file.ptr` message.
    Message(String),
    /// Nothing.
    Absent,
}

/// Looks `key` up in the local store (or cache) at `root`: the file, its
/// compressed variant, a `file.ptr`; two- or three-tier per `index2.txt`.
/// An SSQP-style lowercase spelling of the name is tried too.
pub fn find_local(root: &Path, key: &Key) -> Result<LocalEntry> {
    let three = is_three_tier(root);
    let p = entry_path(root, key, three)?;
    if p.is_file() {
        return Ok(LocalEntry::File(p));
    }
    let lower: Vec<String> = key.components(three)?.iter().map(|c| c.to_lowercase()).collect();
    let p = join_safe(root, &lower.iter().map(String::as_str).collect::<Vec<_>>())?;
    if p.is_file() {
        return Ok(LocalEntry::File(p));
    }
    if let Some(c) = key.compressed_name() {
        let p = sibling(root, key, three, &c)?;
        if p.is_file() {
            return Ok(LocalEntry::Compressed(p));
        }
    }
    let ptr = sibling(root, key, three, "file.ptr")?;
    if ptr.is_file() {
        let bytes = crate::read_bounded(&ptr, fileptr::MAX_FILE_PTR)?;
        return Ok(match fileptr::parse(&bytes, &ptr.display().to_string())? {
            // A relative PATH is relative to the store, as SymStore writes it.
            FilePtr::Path(t) => {
                LocalEntry::Pointer(root.join(t.replace('\\', std::path::MAIN_SEPARATOR_STR)))
            }
            FilePtr::Message(m) => LocalEntry::Message(m),
        });
    }
    Ok(LocalEntry::Absent)
}
