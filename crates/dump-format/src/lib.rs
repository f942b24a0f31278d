//! # dump-format — memory dump containers, nothing of the CLR
//!
//! Opens Windows MINIDUMP files and Linux ELF core dumps through a memory map
//! and gives the layers above one view of them:
//!
//! * [`Dump`] — open by path, recognise the container by content;
//! * container-neutral records ([`model`]): system, process, threads with
//!   register contexts, modules with debug ids, exception, memory map;
//! * [`Memory`] — one address-space reader over both containers, with
//!   distinct errors for memory that was never captured and a corrupt file;
//! * typed, lazy access to every MINIDUMP stream ([`minidump`]) and to ELF
//!   segments and notes ([`elf`]).
//!
//! Parsing never panics on bad input and never allocates from an untrusted
//! count beyond what the file can hold; errors name the stream or note and
//! the file offset. A damaged stream becomes a [`Warning`] and a partial answer.
//!
//! ```no_run
//! use dump_format::Dump;
//! let dump = Dump::open("core.1234")?;
//! for t in dump.threads() {
//!     let ip = t.context.map(|c| c.instruction_pointer());
//!     println!("thread {} ip {:?}", t.id, ip);
//! }
//! # Ok::<(), dump_format::Error>(())
//! ```

pub mod arch;
pub mod context;
mod dump;
pub mod elf;
pub mod error;
pub mod memory;
pub mod minidump;
pub mod model;
pub mod read;

pub use arch::Arch;
pub use context::ThreadContext;
pub use dump::Dump;
pub use error::{Error, ReadError, Result};
pub use memory::Memory;
pub use model::{Format, ModuleRecord, ThreadRecord, Warning};
