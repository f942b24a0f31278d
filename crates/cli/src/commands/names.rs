//! Type names for the heap commands, through the runtime's type system.

use clr_heap::Runtime;
use clr_heap::types::TypeSystem;

/// Names MethodTables. A type whose name cannot be read is shown with the
/// reason, never with a made-up name.
pub struct Namer<'r> {
    ts: TypeSystem<'r>,
}

impl<'r> Namer<'r> {
    /// A namer over `rt`.
    pub fn new(rt: &'r Runtime<'r>) -> Self {
        Namer { ts: TypeSystem::new(rt) }
    }

    /// The SOS-style name of `mt`.
    pub fn name(&mut self, mt: u64) -> String {
        self.ts.type_name(mt).unwrap_or_else(|e| format!("<unknown type: {e}>"))
    }
}
