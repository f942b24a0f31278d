//! # symbols — symbol paths, symbol stores and servers, PDB and ELF symbols
//!
//! What WinDbg users set up first (`_NT_SYMBOL_PATH=srv*C:\symcache*https://…`),
//! as a library: parse the path ([`SymbolPath`]), find a module's PDB, image
//! or ELF file in directories, local stores, caches and — only when asked
//! ([`store::Access::Fetch`]) and only servers the path names — HTTP(S)
//! symbol servers ([`store::Locator`]); read PDB publics, procedures and
//! lines ([`pdb`]) and ELF symbol tables ([`elf`]); name addresses
//! `module!function+0xoffset` ([`Symbolizer`]).
//!
//! Invariants: nothing is written outside a cache directory, whatever the
//! dump or a server says (every path under a cache is built from checked
//! name components, [`names`]); every file is verified against the key
//! (GUID/age, build id, timestamp/size) before it is used or cached; every
//! read of a file or a download is bounded; parsing untrusted files never
//! panics the caller.
//!
//! ```no_run
//! use symbols::{Key, SymbolPath, store::{Access, Locator}};
//! let path = SymbolPath::parse("srv*/var/cache/sym*https://msdl.microsoft.com/download/symbols")?;
//! let locator = Locator::new(path, Access::Fetch);
//! let dump = dump_format::Dump::open("app.dmp")?;
//! for m in dump.modules() {
//!     for key in Key::for_module(m)? {
//!         let look = locator.locate(&key);
//!         println!("{key}: {:?}", look.found.map(|f| f.path));
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod cache;
pub mod compressed;
pub mod elf;
mod error;
pub mod fileptr;
#[cfg(feature = "fetch")]
pub mod http;
pub mod key;
pub mod module;
pub mod names;
pub mod path;
pub mod pdb;
pub mod store;
pub mod symbolizer;
pub mod table;
pub mod verify;

pub use error::{Error, Result};
pub use key::Key;
pub use path::SymbolPath;
pub use symbolizer::{Symbol, Symbolizer};

/// Reads a whole file of at most `max` bytes (a symbol file can be large,
/// but a hostile or corrupt one must not exhaust memory).
pub(crate) fn read_bounded(path: &std::path::Path, max: u64) -> Result<Vec<u8>> {
    use std::io::Read;
    let f = std::fs::File::open(path).map_err(Error::io(path))?;
    let len = f.metadata().map_err(Error::io(path))?.len();
    if len > max {
        return Err(Error::Parse {
            path: path.to_path_buf(),
            reason: format!("{len} bytes, over the limit of {max}"),
        });
    }
    let mut v = Vec::with_capacity(len as usize);
    f.take(max).read_to_end(&mut v).map_err(Error::io(path))?;
    Ok(v)
}
