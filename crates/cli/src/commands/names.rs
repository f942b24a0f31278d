//! Type names for the heap commands, through the runtime's type system.

use clr_heap::Runtime;

/// Names MethodTables, caching what it looked up. An MT whose name cannot be
/// read is shown with the reason, never with a made-up name.
pub struct Namer<'r> {
    #[allow(dead_code)]
    rt: &'r Runtime<'r>,
    cache: std::collections::HashMap<u64, String>,
}

impl<'r> Namer<'r> {
    /// A namer over `rt`.
    pub fn new(rt: &'r Runtime<'r>) -> Self {
        Namer { rt, cache: Default::default() }
    }

    /// The SOS-style name of `mt`.
    pub fn name(&mut self, mt: u64) -> String {
        if let Some(n) = self.cache.get(&mt) {
            return n.clone();
        }
        let n = format!("<MT {mt:#x}: type names not wired yet>");
        self.cache.insert(mt, n.clone());
        n
    }
}
