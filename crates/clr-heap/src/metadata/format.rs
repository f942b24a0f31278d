//! Names of signature types and methods, printed the way SOS prints them.
//!
//! SOS uses two conventions, and so does this module ([`SigStyle`]):
//!
//! * **Field** — the `Type` column of `!dumpobj` and the DAC's type names:
//!   every type by its full name (`System.Int32`, `System.String`,
//!   `System.Byte[]`), generic arguments assembly-qualified in double
//!   brackets (``System.Collections.Generic.List`1[[System.String, mscorlib]]``),
//!   `&` for by-refs, `*` for pointers.
//! * **Method** — parameter lists of `!clrstack` frames (the runtime's
//!   signature formatter): primitives by their short name (`Int32`,
//!   `Boolean`, `Byte[]`), `System.String` and `System.Object` and classes
//!   by full name, generic arguments in angle brackets
//!   (``System.Collections.Generic.List`1<System.String>``), ` ByRef` for
//!   by-refs, `*` for pointers.
//!
//! Both keep the arity suffix, join nested types with `+`, multi-dimensional
//! arrays as `[,]` (`[*]` for rank 1), and print a generic parameter by its
//! declared name (`T`) when a [`NameContext`] names its owner, else as `!0`
//! (type) or `!!0` (method). Custom modifiers and `pinned` are not printed.
//! What metadata cannot know is left as metadata says it: the assembly of a
//! generic argument is the one this module *references* (type forwarding is
//! not followed), and a method of a generic type is named by its definition
//! (``List`1.Add(T)``), where SOS shows the loaded instantiation.

use super::Metadata;
use super::error::{MetadataError, Result};
use super::schema::TableId;
use super::signature::{SigType, decode_type_spec};
use super::token::Token;

/// Which SOS convention to print types in; see the module documentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SigStyle {
    /// `!dumpobj` field types: `System.Int32`, ``List`1[[System.String, mscorlib]]``.
    Field,
    /// `!clrstack` parameters: `Int32`, `System.String`, ``List`1<System.String>``, `Int32 ByRef`.
    Method,
}

/// Owners of the generic parameters a signature may mention, so that `!0`
/// prints as `T`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NameContext {
    /// The TypeDef whose parameters `Var(n)` refers to.
    pub type_def: Option<u32>,
    /// The MethodDef whose parameters `MVar(n)` refers to.
    pub method: Option<u32>,
}

/// TypeSpecs may refer to TypeSpecs; a corrupt table can make that a loop.
const MAX_SPEC_DEPTH: u32 = 16;

fn primitive(ty: &SigType) -> Option<&'static str> {
    Some(match ty {
        SigType::Void => "Void",
        SigType::Boolean => "Boolean",
        SigType::Char => "Char",
        SigType::I1 => "SByte",
        SigType::U1 => "Byte",
        SigType::I2 => "Int16",
        SigType::U2 => "UInt16",
        SigType::I4 => "Int32",
        SigType::U4 => "UInt32",
        SigType::I8 => "Int64",
        SigType::U8 => "UInt64",
        SigType::R4 => "Single",
        SigType::R8 => "Double",
        SigType::I => "IntPtr",
        SigType::U => "UIntPtr",
        _ => return None,
    })
}

impl<'a> Metadata<'a> {
    /// Prints `ty` in `style`; see the module documentation for the rules.
    ///
    /// ```no_run
    /// # fn f(md: &clr_heap::metadata::Metadata) -> clr_heap::metadata::Result<()> {
    /// use clr_heap::metadata::{NameContext, SigStyle, SigType};
    /// let t = SigType::ByRef(Box::new(SigType::I4));
    /// assert_eq!(md.format_type(&t, SigStyle::Method, NameContext::default())?, "Int32 ByRef");
    /// assert_eq!(md.format_type(&t, SigStyle::Field, NameContext::default())?, "System.Int32&");
    /// # Ok(()) }
    /// ```
    pub fn format_type(&self, ty: &SigType, style: SigStyle, ctx: NameContext) -> Result<String> {
        let mut out = String::new();
        self.write_type(&mut out, ty, style, ctx, 0)?;
        Ok(out)
    }

    /// The name of a TypeDef, TypeRef or TypeSpec token in `style`.
    pub fn type_name(&self, token: Token, style: SigStyle, ctx: NameContext) -> Result<String> {
        let mut out = String::new();
        self.write_token(&mut out, token, style, ctx, 0)?;
        Ok(out)
    }

    /// The type of Field `rid` in the `!dumpobj` convention.
    pub fn field_type_name(&self, rid: u32) -> Result<String> {
        let ctx = NameContext { type_def: self.field_owner(rid)?, method: None };
        self.format_type(&self.field_signature(rid)?, SigStyle::Field, ctx)
    }

    /// MethodDef `rid` as a `!clrstack` frame names it:
    /// `Namespace.Type.Method(ParamType, ParamType)`.
    pub fn method_display_name(&self, rid: u32) -> Result<String> {
        let owner = self.method_owner(rid)?;
        let ctx = NameContext { type_def: owner, method: Some(rid) };
        let mut out = match owner {
            Some(td) => self.full_type_name(td)? + ".",
            None => String::new(),
        };
        out.push_str(&self.method(rid)?.name);
        out.push('(');
        for (i, p) in self.method_signature(rid)?.params.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            self.write_type(&mut out, p, SigStyle::Method, ctx, 0)?;
        }
        out.push(')');
        Ok(out)
    }

    fn write_token(
        &self,
        out: &mut String,
        t: Token,
        style: SigStyle,
        ctx: NameContext,
        depth: u32,
    ) -> Result<()> {
        match t.table() {
            Some(TableId::TypeDef | TableId::TypeRef) => out.push_str(&self.type_def_or_ref_name(t)?),
            Some(TableId::TypeSpec) => {
                if depth >= MAX_SPEC_DEPTH {
                    return Err(MetadataError::corrupt("TypeSpec table", 0, format!("{t} refers to itself")));
                }
                let index = self.tables().row(TableId::TypeSpec, t.rid())?.col(0);
                let spec = decode_type_spec(self.blobs().get(index)?, index)?;
                self.write_type(out, &spec, style, ctx, depth + 1)?;
            }
            _ => {
                return Err(MetadataError::WrongToken {
                    token: t.0,
                    expected: "TypeDef, TypeRef or TypeSpec",
                });
            }
        }
        Ok(())
    }

    fn write_type(
        &self,
        out: &mut String,
        ty: &SigType,
        style: SigStyle,
        ctx: NameContext,
        depth: u32,
    ) -> Result<()> {
        if let Some(short) = primitive(ty) {
            if style == SigStyle::Field {
                out.push_str("System.");
            }
            out.push_str(short);
            return Ok(());
        }
        match ty {
            SigType::String => out.push_str("System.String"),
            SigType::Object => out.push_str("System.Object"),
            SigType::TypedByRef => out.push_str("System.TypedReference"),
            SigType::Class(t) | SigType::ValueType(t) => self.write_token(out, *t, style, ctx, depth)?,
            SigType::GenericInst { base, args } => {
                self.write_type(out, base, style, ctx, depth)?;
                let (open, close) = if style == SigStyle::Field { ('[', ']') } else { ('<', '>') };
                out.push(open);
                for (i, arg) in args.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    if style == SigStyle::Field {
                        out.push('[');
                        self.write_type(out, arg, style, ctx, depth)?;
                        if let Some(asm) = self.assembly_of(arg, depth)? {
                            out.push_str(", ");
                            out.push_str(&asm);
                        }
                        out.push(']');
                    } else {
                        self.write_type(out, arg, style, ctx, depth)?;
                    }
                }
                out.push(close);
            }
            SigType::SzArray(e) => {
                self.write_type(out, e, style, ctx, depth)?;
                out.push_str("[]");
            }
            SigType::Array { element, rank, .. } => {
                self.write_type(out, element, style, ctx, depth)?;
                match rank {
                    0 | 1 => out.push_str("[*]"),
                    // A rank of millions is corrupt but must not print megabytes.
                    r => {
                        out.push('[');
                        out.extend(std::iter::repeat_n(',', (*r as usize - 1).min(31)));
                        out.push(']');
                    }
                }
            }
            SigType::Ptr(e) => {
                self.write_type(out, e, style, ctx, depth)?;
                out.push('*');
            }
            SigType::ByRef(e) => {
                self.write_type(out, e, style, ctx, depth)?;
                out.push_str(if style == SigStyle::Field { "&" } else { " ByRef" });
            }
            SigType::Var(n) => {
                self.write_generic_param(out, ctx.type_def.map(|r| Token::new(TableId::TypeDef, r)), *n, "!")?
            }
            SigType::MVar(n) => self.write_generic_param(
                out,
                ctx.method.map(|r| Token::new(TableId::MethodDef, r)),
                *n,
                "!!",
            )?,
            SigType::FnPtr(_) => out.push_str("FNPTR"),
            SigType::Modified { inner, .. } | SigType::Pinned(inner) => {
                self.write_type(out, inner, style, ctx, depth)?
            }
            // The primitives returned above.
            _ => {}
        }
        Ok(())
    }

    fn write_generic_param(
        &self,
        out: &mut String,
        owner: Option<Token>,
        n: u32,
        prefix: &str,
    ) -> Result<()> {
        if let Some(owner) = owner {
            if let Some(p) = self.generic_params(owner)?.into_iter().find(|p| u32::from(p.number) == n) {
                out.push_str(&p.name);
                return Ok(());
            }
        }
        out.push_str(prefix);
        out.push_str(&n.to_string());
        Ok(())
    }

    /// The assembly a generic argument's type comes from, as SOS qualifies it.
    fn assembly_of(&self, ty: &SigType, depth: u32) -> Result<Option<String>> {
        Ok(match ty {
            SigType::Class(t) | SigType::ValueType(t) => match t.table() {
                Some(TableId::TypeSpec) if depth < MAX_SPEC_DEPTH => {
                    let index = self.tables().row(TableId::TypeSpec, t.rid())?.col(0);
                    let spec = decode_type_spec(self.blobs().get(index)?, index)?;
                    self.assembly_of(&spec, depth + 1)?
                }
                Some(TableId::TypeSpec) => None,
                _ => self.defining_assembly(*t)?.map(|c| c.into_owned()),
            },
            SigType::GenericInst { base: e, .. }
            | SigType::SzArray(e)
            | SigType::Array { element: e, .. }
            | SigType::Ptr(e)
            | SigType::ByRef(e)
            | SigType::Modified { inner: e, .. }
            | SigType::Pinned(e) => self.assembly_of(e, depth)?,
            SigType::Var(_) | SigType::MVar(_) | SigType::FnPtr(_) => None,
            _ => self.core_library()?,
        })
    }
}
