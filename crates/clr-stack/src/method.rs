//! MethodDesc → method name (reference §7.2): the MethodDescChunk before
//! the MethodDesc gives the owning MethodTable and the high bits of the
//! MethodDef token; the MethodTable's module's metadata names the method.
//!
//! The chunk's MethodTable pointer is plain or self-relative depending on
//! the build; both readings are tried and the one whose MethodTable passes
//! the type system's validation *and* owns the MethodDef in metadata wins.

use clr_heap::types::TypeSystem;
use clr_heap::{ClrError, Result};
use std::cell::RefCell;
use std::collections::HashMap;

/// `METHOD_TOKEN_REMAINDER_BIT_COUNT`.
const REMAINDER_BITS: u32 = 14;

/// A named method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodName {
    /// The MethodDesc.
    pub method_desc: u64,
    /// The owning MethodTable.
    pub method_table: u64,
    /// The MethodDef token.
    pub token: u32,
    /// The module's simple name (`ShopApp`, `System.Private.CoreLib`).
    pub module: String,
    /// `Namespace.Type+Nested.Method` (the truth files' and `StackTrace`'s form).
    pub qualified: String,
    /// `Namespace.Type.Method(ParamType, …)` as `!clrstack` prints frames.
    pub display: String,
}

impl MethodName {
    /// `Module!Namespace.Type.Method(…)`, SOS's Function column.
    pub fn sos(&self) -> String {
        format!("{}!{}", self.module, self.display)
    }
}

/// MethodDesc names, cached per MethodDesc.
pub struct Methods<'t, 'a> {
    types: &'t TypeSystem<'a>,
    cache: RefCell<HashMap<u64, Result<MethodName, String>>>,
}

impl<'t, 'a> Methods<'t, 'a> {
    /// A namer over `types`.
    ///
    /// ```no_run
    /// let dump = dump_format::Dump::open("core")?;
    /// let rt = clr_heap::Runtime::open(&dump, &Default::default())?;
    /// let types = clr_heap::types::TypeSystem::new(&rt);
    /// let methods = clr_stack::Methods::new(&types);
    /// match methods.name(0x7f2368c6a048) {
    ///     Ok(m) => println!("{}", m.sos()),
    ///     Err(why) => println!("unresolved: {why}"),
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(types: &'t TypeSystem<'a>) -> Self {
        Methods { types, cache: RefCell::default() }
    }

    /// The type system the names come from.
    pub fn types(&self) -> &'t TypeSystem<'a> {
        self.types
    }

    /// The name of the method whose MethodDesc is at `md`, or why not.
    pub fn name(&self, md: u64) -> Result<MethodName, String> {
        if let Some(v) = self.cache.borrow().get(&md) {
            return v.clone();
        }
        let v = self.resolve(md).map_err(|e| e.to_string());
        self.cache.borrow_mut().insert(md, v.clone());
        v
    }

    fn resolve(&self, md: u64) -> Result<MethodName> {
        let rt = self.types.runtime();
        let mem = rt.dump.memory();
        let p = rt.layout.ptr;
        let read = |what: &str, r: std::result::Result<u64, dump_format::ReadError>| {
            r.map_err(|source| ClrError::Read { what: format!("{what} of MethodDesc {md:#x}"), source })
        };
        let bad = |reason: String| ClrError::Invalid { what: "MethodDesc", address: md, reason };
        if md == 0 || md % p.min(8) != 0 {
            return Err(bad("null or misaligned".into()));
        }
        let remainder = read("token remainder", mem.u16(md).map(u64::from))? as u32;
        let chunk_index = read("chunk index", mem.u8(md.wrapping_add(2)).map(u64::from))?;
        // MethodDesc::ALIGNMENT is the pointer size; sizeof(MethodDescChunk) = 2 pointers + 4, aligned.
        let chunk_size = (2 * p + 4).next_multiple_of(p);
        let chunk = md.wrapping_sub(chunk_size).wrapping_sub(chunk_index * p);
        let token_range =
            read("chunk token range", mem.u16(chunk.wrapping_add(2 * p + 2)).map(u64::from))? as u32;
        let token = 0x0600_0000 | ((token_range & 0x3FF) << REMAINDER_BITS) | (remainder & 0x3FFF);
        let rid = token & 0x00FF_FFFF;
        let stored = read("chunk MethodTable", mem.ptr(chunk))?;
        let mut why = Vec::new();
        for mt in [stored, chunk.wrapping_add(stored)] {
            match self.try_mt(md, mt, token, rid) {
                Ok(n) => return Ok(n),
                Err(e) => why.push(e.to_string()),
            }
        }
        Err(bad(format!("chunk {chunk:#x}: {}", why.join("; "))))
    }

    fn try_mt(&self, md: u64, mt: u64, token: u32, rid: u32) -> Result<MethodName> {
        let t = self.types.type_info(mt)?;
        let module = t.module.clone().ok_or_else(|| ClrError::Invalid {
            what: "MethodTable",
            address: mt,
            reason: "its module is unknown".into(),
        })?;
        let md_meta = module.metadata()?;
        let meta = |e: clr_heap::metadata::MetadataError| ClrError::Metadata {
            module: module.simple_name.clone(),
            reason: e.to_string(),
        };
        let owner = md_meta.method_owner(rid).map_err(meta)?;
        let type_rid = t.token & 0x00FF_FFFF;
        if owner != Some(type_rid) {
            return Err(ClrError::Invalid {
                what: "MethodDesc",
                address: md,
                reason: format!(
                    "MethodDef {token:#x} is owned by TypeDef {owner:?}, its MethodTable {mt:#x} is TypeDef {type_rid:#x}"
                ),
            });
        }
        let display = md_meta.method_display_name(rid).map_err(meta)?;
        let short = md_meta.method(rid).map_err(meta)?.name.to_string();
        let type_name = md_meta.full_type_name(type_rid).map_err(meta)?;
        Ok(MethodName {
            method_desc: md,
            method_table: mt,
            token,
            module: module.simple_name.clone(),
            qualified: format!("{type_name}.{short}"),
            display,
        })
    }
}
