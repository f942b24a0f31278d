//! Type names as SOS and ClrMD print them (reference §2.6):
//! `Namespace.Outer+Inner`, generic arguments assembly-qualified in double
//! brackets (``List`1[[System.String, System.Private.CoreLib]]``), arrays
//! `T[]`, `T[,]`, `T[*]` (rank-1 non-SZ), `Free`, `System.__Canon`.
//!
//! A generic argument's assembly is the simple name of the runtime `Module`
//! that defines it (`m_pSimpleName`), so type forwarding never shows:
//! `System.String` is in `System.Private.CoreLib` even where an assembly
//! references it through `mscorlib` or `System.Runtime`.

use super::handle::{TypeHandle, element_type};
use super::system::TypeSystem;
use crate::error::{ClrError, Result};

/// Nesting depth at which a name is declared cyclic (``List`1[[List`1[[…`` 16 deep is already absurd).
pub(crate) const MAX_NAME_DEPTH: u32 = 16;

impl TypeSystem<'_> {
    /// The name of the type whose MethodTable is `mt`, as SOS prints it.
    pub fn type_name(&self, mt: u64) -> Result<String> {
        if let Some(n) = self.names.borrow().get(&mt) {
            return Ok(n.clone());
        }
        let name = self.name_of_mt(mt, 0)?;
        self.names.borrow_mut().insert(mt, name.clone());
        Ok(name)
    }

    /// The name of any TypeHandle (MethodTable or TypeDesc).
    pub fn type_handle_name(&self, th: u64) -> Result<String> {
        self.name_of_th(th, 0)
    }

    pub(crate) fn name_of_th(&self, th: u64, depth: u32) -> Result<String> {
        if depth > MAX_NAME_DEPTH {
            return Err(too_deep(th));
        }
        match self.type_handle(th)? {
            TypeHandle::MethodTable(mt) => {
                if depth == 0 {
                    self.type_name(mt)
                } else {
                    self.name_of_mt(mt, depth)
                }
            }
            TypeHandle::TypeDesc { address, kind, template, arg } => match kind {
                element_type::ARRAY | element_type::SZARRAY if template != 0 => {
                    self.name_of_mt(template, depth + 1)
                }
                element_type::SZARRAY => Ok(self.name_of_th(arg, depth + 1)? + "[]"),
                element_type::PTR => Ok(self.name_of_th(arg, depth + 1)? + "*"),
                element_type::BYREF => Ok(self.name_of_th(arg, depth + 1)? + "&"),
                element_type::FNPTR => Ok("FNPTR".into()),
                element_type::VAR | element_type::MVAR => {
                    // TypeVarTypeDesc: {m_typeAndFlags, m_pModule, m_typeOrMethodDef, m_index, m_token}.
                    let index = self.mem.u32(address.wrapping_add(3 * self.layout.ptr)).unwrap_or(u32::MAX);
                    let bang = if kind == element_type::VAR { "!" } else { "!!" };
                    Ok(format!("{bang}{index}"))
                }
                other => Err(ClrError::Invalid {
                    what: "TypeDesc",
                    address,
                    reason: format!("element type {other:#x} is not one a TypeDesc describes"),
                }),
            },
        }
    }

    fn name_of_mt(&self, mt: u64, depth: u32) -> Result<String> {
        if depth > MAX_NAME_DEPTH {
            return Err(too_deep(mt));
        }
        if self.is_free(mt) {
            return Ok("Free".into());
        }
        let info = self.method_table(mt)?;
        if info.is_array() {
            let element = self.name_of_th(info.per_inst_info, depth + 1)?;
            let rank = self.array_rank(&info)?;
            return Ok(element + &array_suffix(info.is_sz_array(), rank));
        }
        let module = self.module(self.module_of(&info)?)?;
        let md = module.metadata()?;
        let base = md.full_type_name(u32::from(info.token_rid)).map_err(|e| ClrError::Metadata {
            module: module.simple_name.clone(),
            reason: format!("TypeDef {:#x} of MethodTable {mt:#x}: {e}", info.token_rid),
        })?;
        let args = self.instantiation(&info)?;
        if args.is_empty() {
            return Ok(base);
        }
        self.check_arity(&md, u32::from(info.token_rid), args.len(), mt);
        let mut out = base;
        out.push('[');
        for (i, &arg) in args.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push('[');
            out.push_str(&self.name_of_th(arg, depth + 1)?);
            out.push_str(", ");
            out.push_str(&self.assembly_of_th(arg, depth + 1)?);
            out.push(']');
        }
        out.push(']');
        Ok(out)
    }

    /// The simple name of the assembly defining a type: arrays, pointers
    /// and by-refs take their element type's.
    pub fn assembly_of_th(&self, th: u64, depth: u32) -> Result<String> {
        if depth > MAX_NAME_DEPTH {
            return Err(too_deep(th));
        }
        match self.type_handle(th)? {
            TypeHandle::MethodTable(mt) => {
                let info = self.method_table(mt)?;
                if info.is_array() {
                    return self.assembly_of_th(info.per_inst_info, depth + 1);
                }
                Ok(self.module(self.module_of(&info)?)?.simple_name.clone())
            }
            TypeHandle::TypeDesc { template, arg, .. } => {
                let next = if arg != 0 { arg } else { template };
                if next == 0 {
                    // Generic variables and function pointers belong to no assembly of their own.
                    return Ok(self.core_module().map(|m| m.simple_name.clone()).unwrap_or_default());
                }
                self.assembly_of_th(next, depth + 1)
            }
        }
    }

    /// The dictionary's argument count must be the TypeDef's generic
    /// parameter count: the check that validates the GenericsDictInfo layout.
    fn check_arity(&self, md: &crate::metadata::Metadata, rid: u32, args: usize, mt: u64) {
        let token = crate::metadata::Token::new(crate::metadata::TableId::TypeDef, rid);
        let params = md.generic_params(token).map(|p| p.len()).unwrap_or(usize::MAX);
        self.check(
            "generic dictionary argument count equals the TypeDef's generic parameters",
            params == args,
            format!("MethodTable {mt:#x}: {args} arguments, metadata declares {params}"),
        );
    }
}

/// `[]`, `[*]` (rank-1 multi-dimensional), `[,]`, `[,,]`…
pub(crate) fn array_suffix(sz: bool, rank: u32) -> String {
    if sz {
        return "[]".into();
    }
    if rank <= 1 {
        return "[*]".into();
    }
    let mut s = String::from("[");
    s.extend(std::iter::repeat_n(',', rank as usize - 1));
    s.push(']');
    s
}

fn too_deep(address: u64) -> ClrError {
    ClrError::Invalid {
        what: "type name",
        address,
        reason: format!("nests deeper than {MAX_NAME_DEPTH} levels (a cycle?)"),
    }
}
