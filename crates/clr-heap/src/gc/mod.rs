//! The GC heap: its segments and generations, and the object walk.

pub mod dacvars;
pub mod heap;
pub mod scan;
pub mod stat;
pub mod walk;

pub use heap::{GcHeap, Segment, SegmentKind};
pub use walk::{HeapItem, ObjectRef};
