//! # clr-heap — the CLR runtime model read straight from dump memory
//!
//! Purpose: find the runtime in a dump without Microsoft's DAC, validate the
//! data-structure layouts of its runtime family against the dump itself, and
//! expose the object model users know from SOS and ClrMD: runtime → GC heap
//! → type → object. It sits on `dump-format` and knows nothing of threads'
//! stacks.
//!
//! Underneath the runtime model ([`runtime`], [`globals`], [`gc`], [`types`])
//! lies the foundation every step needs to *name* things, which works on any
//! bytes, dump or file:
//!
//! * [`pe`] — find the CLI header and the metadata inside a PE image, in its
//!   mapped (loaded) layout or its file layout, from bytes that may be only
//!   partly captured;
//! * [`metadata`] — a zero-copy ECMA-335 metadata reader: heaps, all 45
//!   tables, type / field / method names as SOS prints them, and signatures.
//!
//! ```no_run
//! use clr_heap::{metadata::Metadata, pe::{Layout, PeImage}};
//! let file = std::fs::read("/usr/lib/mono/4.5/mscorlib.dll")?;
//! let image = PeImage::parse(file.as_slice(), Layout::File)?;
//! let blob = image.read_metadata(file.as_slice())?;
//! let md = Metadata::parse(&blob)?;
//! let string = md.find_type_def("System", "String")?.ok_or("mscorlib defines System.String")?;
//! for field in md.fields_of(string)? {
//!     println!("{}", md.field(field)?.name);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod metadata;
pub mod pe;

pub mod error;
pub mod gc;
pub mod globals;
pub mod roots;
pub mod runtime;
pub mod strings;
pub mod types;

pub use error::{ClrError, Result};
pub use runtime::{Options, Runtime};
