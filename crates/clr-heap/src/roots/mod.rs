//! GC roots and liveness without the DAC: who keeps an object alive.
//!
//! | file | reference | content |
//! |---|---|---|
//! | `gcdesc.rs` | §2.4 | [`GcDesc`]: an object's reference slots from the `CGCDesc` before its MethodTable |
//! | `refs.rs` | §2.4 | [`Refs`]: every reference of an object, descriptors cached per MethodTable |
//! | `index.rs` | §5.6 | [`HeapIndex`]: object starts as one bit per heap word, address → dense index; [`index::Marks`] |
//! | `handles.rs` | §8.1 | the handle table: [`Handle`]s with their [`HandleKind`] |
//! | `finalize.rs` | §8.2 | the finalization queue: registered and f-reachable objects |
//! | `statics.rs` | §3.3 | static reference fields of loaded types as roots |
//! | `syncblk.rs` | §1.1 | the sync block table and monitors |
//! | `mark.rs` | — | [`Liveness`]: the one marking pass (marks by heap word, large arrays in pieces) |
//! | `live_stat.rs` | — | [`Liveness::stat`]: live/dead statistics from the index's walk and the marks |
//! | `paths.rs` | — | [`RootPaths`]: reverse edges and the shortest path from each root |
//!
//! Roots that need threads (stacks and registers) are added by `clr-stack`
//! (`clr_stack::roots`); this module takes them as plain [`Root`]s.

pub mod finalize;
pub mod gcdesc;
pub mod handles;
pub mod index;
pub mod live_stat;
pub mod mark;
pub mod paths;
pub mod refs;
pub mod statics;
pub mod syncblk;

pub use finalize::FinalizerEntry;
pub use gcdesc::GcDesc;
pub use handles::{Handle, HandleKind};
pub use index::HeapIndex;
pub use mark::{Liveness, MarkStats};
pub use paths::{RootPath, RootPaths};
pub use refs::Refs;
pub use syncblk::{SyncBlockInfo, SyncTable};

/// What holds a root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootKind {
    /// A thread's stack slot or register.
    Stack {
        /// OS thread id.
        os_id: u32,
        /// Managed thread id, when known.
        managed_id: Option<u32>,
        /// The register's name when the root is a register.
        register: Option<&'static str>,
        /// Found by scanning every word (no GC info was used): the slot may
        /// be dead or hold an integer that looks like an object address.
        conservative: bool,
    },
    /// A GC handle (only strong kinds are roots).
    Handle(HandleKind),
    /// The f-reachable part of the finalization queue.
    FinalizerQueue,
    /// A static field of a loaded type.
    Static {
        /// The declaring type.
        type_name: String,
        /// The field.
        field: String,
    },
}

impl RootKind {
    /// Section order of `gcroot`: threads, handles, finalizer queue, statics.
    pub fn section(&self) -> u8 {
        match self {
            RootKind::Stack { .. } => 0,
            RootKind::Handle(_) => 1,
            RootKind::FinalizerQueue => 2,
            RootKind::Static { .. } => 3,
        }
    }
}

/// One root: where the reference is and what it references.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Root {
    /// What holds it.
    pub kind: RootKind,
    /// The address of the reference: stack slot, handle, queue slot, static
    /// slot (0 for a register).
    pub address: u64,
    /// The object referenced.
    pub object: u64,
}
