//! The compressed store variant (`foo.pd_`, `foo.dl_`): a Microsoft CAB
//! holding the one file, as `makecab`/SymStore write it. The `cab` crate
//! checks each data block's checksum; we check the content is the one file
//! we asked for and bound what it expands to.

use crate::error::{Error, Result};
use std::io::{Read, Write};
use std::path::Path;

/// Expands the CAB at `cab_path`, whose single entry must be `expected`
/// (compared case-insensitively, as Windows stores do), into `out`,
/// writing at most `max_bytes`. The entry's name only selects it; it never
/// becomes a path.
///
/// ```no_run
/// let mut out = Vec::new();
/// symbols::compressed::expand("foo.pd_".as_ref(), "foo.pdb", &mut out, 1 << 30)?;
/// # Ok::<(), symbols::Error>(())
/// ```
pub fn expand(cab_path: &Path, expected: &str, out: &mut dyn Write, max_bytes: u64) -> Result<u64> {
    let bad = |reason: String| Error::Cab { path: cab_path.to_path_buf(), reason };
    let file = std::fs::File::open(cab_path).map_err(Error::io(cab_path))?;
    let mut cab =
        cab::Cabinet::new(std::io::BufReader::new(file)).map_err(|e| bad(format!("not a CAB: {e}")))?;
    let names: Vec<(String, u32)> = cab
        .folder_entries()
        .flat_map(|f| f.file_entries())
        .map(|e| (e.name().to_string(), e.uncompressed_size()))
        .collect();
    let [(name, size)] = names.as_slice() else {
        return Err(bad(format!("holds {} files, a store entry holds exactly one", names.len())));
    };
    if !name.eq_ignore_ascii_case(expected) {
        return Err(bad(format!("holds {name:?}, expected {expected:?}")));
    }
    if u64::from(*size) > max_bytes {
        return Err(bad(format!("expands to {size} bytes, over the limit of {max_bytes}")));
    }
    let reader = cab.read_file(name).map_err(|e| bad(e.to_string()))?;
    // The header's size is the file's word; the limit holds even if it lies.
    let n = std::io::copy(&mut reader.take(max_bytes), out).map_err(|e| bad(e.to_string()))?;
    if n != u64::from(*size) {
        return Err(bad(format!("expanded to {n} bytes, the header says {size}")));
    }
    Ok(n)
}
