//! [`TypeSystem`]: the entry point of the type layer (ClrMD's `ClrType`
//! world): names, fields, objects, arrays and strings of one runtime.
//!
//! Everything is read lazily and cached by address; every layout assumption
//! the type layer adds to the runtime's (EEClass counts, FieldDesc bits,
//! generic dictionaries, module lookup maps) is validated the first time it
//! is used and recorded in [`TypeSystem::diagnostics`], pass or fail.

use super::fields::TypeInfo;
use super::module::ModuleInfo;
use super::resolve::MapCalibration;
use crate::error::{ClrError, Result};
use crate::runtime::{Diagnostics, Layout, Runtime};
use crate::types::method_table::{MethodTableInfo, round_trip};
use dump_format::Memory;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

/// The type system of one runtime. Single-threaded; caches are interior.
///
/// ```no_run
/// let dump = dump_format::Dump::open("core")?;
/// let rt = clr_heap::Runtime::open(&dump, &Default::default())?;
/// let types = clr_heap::types::TypeSystem::new(&rt);
/// let obj = types.object(0x7f0e_4402_05d0)?;
/// println!("{} ({} bytes)", obj.type_name, obj.size);
/// for f in &obj.fields {
///     println!("  {} {} = {}", f.field.type_name, f.field.name, f.value);
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct TypeSystem<'a> {
    pub(crate) rt: &'a Runtime<'a>,
    pub(crate) mem: Memory<'a>,
    pub(crate) layout: Layout,
    mts: RefCell<HashMap<u64, Option<MethodTableInfo>>>,
    modules: RefCell<HashMap<u64, Rc<ModuleInfo>>>,
    pub(crate) names: RefCell<HashMap<u64, String>>,
    pub(crate) infos: RefCell<HashMap<u64, Rc<TypeInfo>>>,
    pub(crate) maps: RefCell<MapCalibration>,
    pub(crate) type_refs: RefCell<HashMap<ModuleRid, Option<ModuleRid>>>,
    pub(crate) enums: RefCell<HashMap<ModuleRid, Option<Rc<super::enums::EnumInfo>>>>,
    diag: RefCell<Diagnostics>,
    checked: RefCell<HashSet<(String, bool)>>,
    pub(crate) validated: std::cell::Cell<bool>,
    pub(crate) statics: std::cell::Cell<super::statics::StaticsCalibration>,
    /// Well-known MethodTables from the runtime's globals (0 when unknown).
    pub(crate) well_known: WellKnown,
}

/// A metadata row of a module: `(Module address, RID)`.
pub(crate) type ModuleRid = (u64, u32);

/// MethodTables the runtime names in its globals.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct WellKnown {
    pub(crate) string: u64,
    pub(crate) object: u64,
    pub(crate) exception: u64,
    pub(crate) enum_class: u64,
    pub(crate) free: u64,
}

impl<'a> TypeSystem<'a> {
    /// The type system of `rt`. Nothing is read until asked.
    pub fn new(rt: &'a Runtime<'a>) -> TypeSystem<'a> {
        let mem = rt.dump.memory();
        let global = |name: &str| {
            rt.globals.address(name).and_then(|a| mem.ptr(a).ok()).filter(|&v| v != 0).unwrap_or(0)
        };
        let well_known = WellKnown {
            string: global("g_pStringClass"),
            object: global("g_pObjectClass"),
            exception: global("g_pExceptionClass"),
            enum_class: global("g_pEnumClass"),
            free: global("g_pFreeObjectMethodTable"),
        };
        TypeSystem {
            rt,
            mem,
            layout: rt.layout,
            mts: RefCell::default(),
            modules: RefCell::default(),
            names: RefCell::default(),
            infos: RefCell::default(),
            maps: RefCell::default(),
            type_refs: RefCell::default(),
            enums: RefCell::default(),
            diag: RefCell::default(),
            checked: RefCell::default(),
            validated: std::cell::Cell::new(false),
            statics: std::cell::Cell::default(),
            well_known,
        }
    }

    /// The runtime this type system reads.
    pub fn runtime(&self) -> &'a Runtime<'a> {
        self.rt
    }

    /// What the type layer found and every check it ran so far.
    pub fn diagnostics(&self) -> Diagnostics {
        self.diag.borrow().clone()
    }

    /// Records a check: the first pass and the first failure of each name
    /// (a check run on every type would otherwise drown the list).
    pub(crate) fn check(&self, name: impl Into<String>, passed: bool, detail: impl Into<String>) {
        let name = name.into();
        if self.checked.borrow_mut().insert((name.clone(), passed)) {
            self.diag.borrow_mut().check(name, passed, detail);
        }
    }

    /// Records a finding.
    pub(crate) fn found(&self, what: impl Into<String>, how: impl Into<String>) {
        self.diag.borrow_mut().found(what, how);
    }

    /// The validated MethodTable at `mt`: readable, and its EEClass points
    /// back to it (or to its canonical MethodTable); only the free type has
    /// no EEClass. Types without instances (interfaces, abstract and static
    /// classes) are valid here; [`TypeSystem::object_mt`] adds the checks an
    /// object's type must pass.
    pub fn method_table(&self, mt: u64) -> Result<MethodTableInfo> {
        if let Some(v) = self.mts.borrow().get(&mt) {
            return v.ok_or_else(|| invalid_mt(mt));
        }
        let v = MethodTableInfo::read(&self.mem, &self.layout, mt).filter(|i| {
            if i.ee_class == 0 { self.is_free(mt) } else { round_trip(&self.mem, &self.layout, i) }
        });
        self.mts.borrow_mut().insert(mt, v);
        v.ok_or_else(|| invalid_mt(mt))
    }

    /// Whether `mt` is the free-space type.
    pub fn is_free(&self, mt: u64) -> bool {
        self.well_known.free != 0 && mt == self.well_known.free
    }

    /// The module at `address`, with its metadata, opened once.
    pub fn module(&self, address: u64) -> Result<Rc<ModuleInfo>> {
        if let Some(m) = self.modules.borrow().get(&address) {
            return Ok(m.clone());
        }
        let m = Rc::new(ModuleInfo::open(
            self.rt.dump,
            self.layout.ptr,
            &self.rt.options.assembly_dirs,
            address,
        )?);
        match &m.route {
            Ok(route) => {
                self.found(format!("metadata of {}", m.simple_name), route.to_string());
                self.check(
                    "Module.m_pSimpleName points at the assembly name in the module's image",
                    m.name_in_image,
                    format!("{} ({route})", m.simple_name),
                );
            }
            Err(why) => self.check(format!("metadata of {}", m.simple_name), false, why.clone()),
        }
        self.modules.borrow_mut().insert(address, m.clone());
        Ok(m)
    }

    /// Every module opened so far.
    pub fn modules(&self) -> Vec<Rc<ModuleInfo>> {
        let mut v: Vec<_> = self.modules.borrow().values().cloned().collect();
        v.sort_by_key(|m| m.address);
        v
    }

    /// The core library's module (home of `System.Object`), when known.
    pub(crate) fn core_module(&self) -> Option<Rc<ModuleInfo>> {
        let info = self.method_table(self.well_known.object).ok()?;
        self.module(info.loader_module).ok()
    }

    /// Pointer-sized read.
    pub(crate) fn ptr(&self, addr: u64) -> Result<u64> {
        self.mem.ptr(addr).map_err(|source| ClrError::Read { what: format!("pointer at {addr:#x}"), source })
    }

    /// Decodes a pointer field that may be self-relative (reference §2.1).
    pub(crate) fn maybe_relative(&self, field: u64) -> Result<u64> {
        let v = self.ptr(field)?;
        Ok(if self.layout.relative { super::method_table::relative(field, v, self.layout.ptr) } else { v })
    }
}

fn invalid_mt(mt: u64) -> ClrError {
    ClrError::Invalid {
        what: "MethodTable",
        address: mt,
        reason: "not readable, or its EEClass does not point back to it".into(),
    }
}
