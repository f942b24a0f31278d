//! The type system read from runtime memory: MethodTables, EEClasses,
//! FieldDescs, the modules and metadata that name them, and the values of
//! objects, arrays and strings. [`TypeSystem`] is the entry point.
//!
//! | file | reference | content |
//! |---|---|---|
//! | `system.rs` | — | [`TypeSystem`]: caches, diagnostics, well-known types |
//! | `method_table.rs` | §2.1–2.4 | MethodTable header, flags, EEClass round trip |
//! | `handle.rs` | §2.5, §1.5 | TypeHandles, generic instantiations, module of a type, array rank |
//! | `module.rs` | §4 | runtime `Module` → image → metadata, by dump memory or file |
//! | `name.rs` | §2.6 | SOS-style type names |
//! | `sig.rs` | §2.6 | declared field types from signatures, generics substituted |
//! | `resolve.rs` | §4.1 | tokens → defining module and MethodTable (lookup map) |
//! | `ee_class.rs` | §3.1–3.2 | EEClass counts (packed or not), FieldDescs |
//! | `fields.rs` | §3 | [`TypeInfo`], [`FieldInfo`] |
//! | `enums.rs` | — | enum members and value names from metadata |
//! | `value.rs` | §1 | decoded values ([`Value`]) and their printing |
//! | `object.rs` | §1.1–1.4 | [`ObjectInfo`], strings, values at addresses |
//! | `array.rs` | §1.5 | [`ArrayInfo`], elements |
//! | `statics.rs` | §3.3 | static fields through the DomainLocalModule (calibrated) |
//! | `validate.rs` | §1.4, §3.2 | layout checks on well-known types |

pub mod array;
pub mod ee_class;
pub mod enums;
pub mod fields;
pub mod handle;
pub mod method_table;
pub mod module;
pub mod name;
pub mod object;
pub mod resolve;
pub mod sig;
pub mod statics;
pub mod system;
mod validate;
pub mod value;

pub use array::ArrayInfo;
pub use ee_class::{FieldCounts, RawFieldDesc};
pub use enums::EnumInfo;
pub use fields::{FieldInfo, FieldShape, Special, TypeInfo, TypeKind};
pub use handle::TypeHandle;
pub use method_table::{MethodTableInfo, MtFlags};
pub use module::{ImageRoute, ModuleInfo};
pub use object::ObjectInfo;
pub use system::TypeSystem;
pub use value::{DateTimeKind, FieldValue, Value};
