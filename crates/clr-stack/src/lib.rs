//! # clr-stack — managed threads, stacks and exceptions
//!
//! Purpose (not built yet; see ARCHITECTURE.md): map the runtime's thread
//! list to the dump's OS threads, unwind managed stacks (`clrstack`), decode
//! exceptions (`pe`) and list stack objects (`dso`), on top of `clr-heap`.
//!
//! This crate deliberately holds no code yet: nothing here pretends to work.
