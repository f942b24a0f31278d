//! # clr-stack — managed threads and exceptions, without the DAC
//!
//! Built on `clr-heap`'s runtime model and type system, this crate reads
//! what SOS's `!threads` and `!pe` show:
//!
//! * [`Threads`] — the runtime's `ThreadStore` and its list of native
//!   `Thread`s, every field offset calibrated on the dump (see
//!   [`calibrate`]), mapped to the dump's OS threads, with the managed
//!   `System.Threading.Thread` object, its name, state, GC mode, lock count,
//!   allocation context and last thrown exception;
//! * [`Exceptions`] — exception objects: type, message, inner chain,
//!   HResult, `_stackTrace` decoded ([`stack_trace`]) with methods named
//!   from their MethodDescs ([`Methods`]).
//!
//! Every layout assumption is checked on the dump and recorded in the
//! result's diagnostics; a field that cannot be proven is `None`, never a
//! guess. Stack unwinding (`clrstack`) comes next.
//!
//! ```no_run
//! let dump = dump_format::Dump::open("core")?;
//! let rt = clr_heap::Runtime::open(&dump, &Default::default())?;
//! let types = clr_heap::types::TypeSystem::new(&rt);
//! let threads = clr_stack::Threads::read(&types)?;
//! let (objects, methods) = (clr_stack::Objects::new(&types), clr_stack::Methods::new(&types));
//! let exceptions = clr_stack::Exceptions::new(&objects, &methods);
//! for t in &threads.threads {
//!     if let Some(ex) = t.last_thrown {
//!         let e = exceptions.read(ex)?;
//!         println!("thread {:?}: {} {:?}", t.managed_id, e.type_name, e.message);
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod calibrate;
pub mod code_map;
pub mod dso;
pub mod exception;
pub mod frames;
pub mod gcinfo;
pub mod method;
pub mod monitors;
pub mod native_array;
pub mod nibble;
pub mod objects;
pub mod params;
pub mod r2r;
pub mod roots;
pub mod stack;
mod stack_bridge;
pub mod stack_roots;
pub mod stack_trace;
pub mod state;
pub mod store;
pub mod threads;
pub mod unwind;

pub use calibrate::ThreadLayout;
pub use code_map::{CodeInfo, CodeKind, CodeMap};
pub use exception::{ExceptionInfo, Exceptions};
pub use method::{MethodName, Methods};
pub use objects::Objects;
pub use stack::{Frame, FrameKind, StackWalker, ThreadStack};
pub use stack_trace::{StackFrame, StackTrace};
pub use state::ThreadState;
pub use store::{StoreCounts, ThreadStore};
pub use threads::{ManagedThread, SpecialThread, Threads};
