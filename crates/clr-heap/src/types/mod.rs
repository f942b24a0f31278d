//! The type system read from runtime memory: MethodTables, EEClasses, FieldDescs.

pub mod method_table;

pub use method_table::{MethodTableInfo, MtFlags};
