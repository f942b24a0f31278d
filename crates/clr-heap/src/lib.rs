//! # clr-heap — the CLR runtime model read straight from dump memory
//!
//! Purpose (not built yet; see ARCHITECTURE.md and issue "clr-heap"): find the
//! runtime in a dump without Microsoft's DAC, validate the data-structure
//! layouts of its runtime family against the dump itself, and expose the
//! object model users know from SOS and ClrMD: runtime → GC heap → type →
//! object. It sits on `dump-format` and knows nothing of threads' stacks.
//!
//! This crate deliberately holds no code yet: nothing here pretends to work.
