//! Signatures (ECMA-335 §II.23.2): field, method, property, local-variable,
//! type-spec and method-spec blobs decoded into [`SigType`] trees.
//!
//! Decoding is bounded by the blob: every node consumes at least one byte
//! and nesting is capped, so a hostile blob can neither allocate more than
//! its size nor overflow the stack.

use super::error::{MetadataError, Result};
use super::heaps::{decompress_i32, decompress_u32};
use super::schema::TableId;
use super::token::Token;

/// Deepest type nesting accepted (`int*******…`): far beyond real code.
const MAX_DEPTH: u32 = 64;

/// A type as a signature spells it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)] // the primitive variants are the ELEMENT_TYPE_* of the same name
pub enum SigType {
    Void,
    Boolean,
    Char,
    I1,
    U1,
    I2,
    U2,
    I4,
    U4,
    I8,
    U8,
    R4,
    R8,
    /// Native int (`System.IntPtr`).
    I,
    /// Native unsigned int (`System.UIntPtr`).
    U,
    String,
    Object,
    /// `System.TypedReference`.
    TypedByRef,
    /// A reference type by TypeDef, TypeRef or TypeSpec token.
    Class(Token),
    /// A value type by TypeDef, TypeRef or TypeSpec token.
    ValueType(Token),
    /// A generic type instantiated: `base` is a `Class` or `ValueType`.
    GenericInst {
        base: Box<SigType>,
        args: Vec<SigType>,
    },
    /// A single-dimension, zero-based array `T[]`.
    SzArray(Box<SigType>),
    /// A general array: `rank` dimensions, with the sizes and lower bounds
    /// the signature gives (often none).
    Array {
        element: Box<SigType>,
        rank: u32,
        sizes: Vec<u32>,
        lower_bounds: Vec<i32>,
    },
    /// An unmanaged pointer `T*`.
    Ptr(Box<SigType>),
    /// A managed reference `ref T`.
    ByRef(Box<SigType>),
    /// Generic parameter `n` of the enclosing type (`!n`).
    Var(u32),
    /// Generic parameter `n` of the method (`!!n`).
    MVar(u32),
    /// A function pointer.
    FnPtr(Box<MethodSig>),
    /// A custom modifier on `inner` (`modreq` when `required`, else
    /// `modopt`); names print without it, as SOS does.
    Modified {
        required: bool,
        modifier: Token,
        inner: Box<SigType>,
    },
    /// A pinned local (local-variable signatures only).
    Pinned(Box<SigType>),
}

/// The calling convention byte of a method signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallingConvention(pub u8);

impl CallingConvention {
    /// Instance method: an implicit `this` comes first.
    pub const HAS_THIS: u8 = 0x20;
    /// `this` is listed explicitly among the parameters.
    pub const EXPLICIT_THIS: u8 = 0x40;
    /// Generic method: a type-parameter count follows.
    pub const GENERIC: u8 = 0x10;
    /// Variable arguments (a sentinel may split the parameters).
    pub const VARARG: u8 = 0x05;

    /// The low nibble: DEFAULT 0, C 1, STDCALL 2, THISCALL 3, FASTCALL 4,
    /// VARARG 5, FIELD 6, LOCAL_SIG 7, PROPERTY 8, UNMANAGED 9, GENERICINST 0xA.
    pub fn kind(self) -> u8 {
        self.0 & 0x0F
    }

    /// True when an implicit `this` is passed.
    pub fn has_this(self) -> bool {
        self.0 & Self::HAS_THIS != 0
    }

    /// True for generic methods.
    pub fn is_generic(self) -> bool {
        self.0 & Self::GENERIC != 0
    }
}

/// A method (or property, or function-pointer) signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MethodSig {
    /// The first byte.
    pub calling_convention: CallingConvention,
    /// Number of generic parameters (0 unless generic).
    pub generic_param_count: u32,
    /// Return type (`Void` for none).
    pub return_type: SigType,
    /// Parameter types, `this` excluded.
    pub params: Vec<SigType>,
    /// For vararg call sites: index in `params` where the variable part begins.
    pub sentinel: Option<usize>,
}

/// A cursor over one signature blob.
struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    blob_offset: u32,
}

impl<'a> Reader<'a> {
    fn error(&self, reason: impl Into<String>) -> MetadataError {
        MetadataError::BadSignature {
            blob_offset: self.blob_offset,
            position: self.pos,
            reason: reason.into(),
        }
    }

    fn byte(&mut self) -> Result<u8> {
        let b = *self.data.get(self.pos).ok_or_else(|| self.error("ends early"))?;
        self.pos += 1;
        Ok(b)
    }

    fn peek(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    fn compressed(&mut self) -> Result<u32> {
        let rest = self.data.get(self.pos..).unwrap_or_default();
        let (v, n) = decompress_u32(rest).ok_or_else(|| self.error("bad compressed integer"))?;
        self.pos += n;
        Ok(v)
    }

    fn compressed_signed(&mut self) -> Result<i32> {
        let rest = self.data.get(self.pos..).unwrap_or_default();
        let (v, n) = decompress_i32(rest).ok_or_else(|| self.error("bad compressed integer"))?;
        self.pos += n;
        Ok(v)
    }

    /// A count of items that follow, each at least one byte long: refused
    /// when the rest of the blob cannot hold them, so no vector sized from
    /// it can outgrow the blob.
    fn count(&mut self) -> Result<u32> {
        let n = self.compressed()?;
        if n as usize > self.data.len().saturating_sub(self.pos) {
            return Err(self.error(format!("{n} items cannot fit in the rest of the signature")));
        }
        Ok(n)
    }

    /// A TypeDefOrRefOrSpecEncoded token (§II.23.2.8).
    fn type_token(&mut self) -> Result<Token> {
        let v = self.compressed()?;
        let table = match v & 3 {
            0 => TableId::TypeDef,
            1 => TableId::TypeRef,
            2 => TableId::TypeSpec,
            _ => return Err(self.error(format!("type token {v:#x} has tag 3"))),
        };
        Ok(Token::new(table, v >> 2))
    }

    fn ty(&mut self, depth: u32) -> Result<SigType> {
        if depth > MAX_DEPTH {
            return Err(self.error("types nest too deep"));
        }
        let inner = |r: &mut Self| r.ty(depth + 1).map(Box::new);
        let code = self.byte()?;
        Ok(match code {
            0x01 => SigType::Void,
            0x02 => SigType::Boolean,
            0x03 => SigType::Char,
            0x04 => SigType::I1,
            0x05 => SigType::U1,
            0x06 => SigType::I2,
            0x07 => SigType::U2,
            0x08 => SigType::I4,
            0x09 => SigType::U4,
            0x0A => SigType::I8,
            0x0B => SigType::U8,
            0x0C => SigType::R4,
            0x0D => SigType::R8,
            0x0E => SigType::String,
            0x0F => SigType::Ptr(inner(self)?),
            0x10 => SigType::ByRef(inner(self)?),
            0x11 => SigType::ValueType(self.type_token()?),
            0x12 => SigType::Class(self.type_token()?),
            0x13 => SigType::Var(self.compressed()?),
            0x14 => {
                let element = inner(self)?;
                let rank = self.compressed()?;
                let n = self.count()?;
                let sizes = (0..n).map(|_| self.compressed()).collect::<Result<Vec<_>>>()?;
                let n = self.count()?;
                let lower_bounds = (0..n).map(|_| self.compressed_signed()).collect::<Result<Vec<_>>>()?;
                SigType::Array { element, rank, sizes, lower_bounds }
            }
            0x15 => {
                let base = inner(self)?;
                if !matches!(*base, SigType::Class(_) | SigType::ValueType(_)) {
                    return Err(self.error("GENERICINST of something other than a class or value type"));
                }
                let n = self.count()?;
                let args = (0..n).map(|_| self.ty(depth + 1)).collect::<Result<Vec<_>>>()?;
                SigType::GenericInst { base, args }
            }
            0x16 => SigType::TypedByRef,
            0x18 => SigType::I,
            0x19 => SigType::U,
            0x1B => SigType::FnPtr(Box::new(self.method(depth + 1)?)),
            0x1C => SigType::Object,
            0x1D => SigType::SzArray(inner(self)?),
            0x1E => SigType::MVar(self.compressed()?),
            0x1F | 0x20 => {
                let modifier = self.type_token()?;
                SigType::Modified { required: code == 0x1F, modifier, inner: inner(self)? }
            }
            0x45 => SigType::Pinned(inner(self)?),
            other => return Err(self.error(format!("unexpected element type {other:#04x}"))),
        })
    }

    fn method(&mut self, depth: u32) -> Result<MethodSig> {
        let calling_convention = CallingConvention(self.byte()?);
        if matches!(calling_convention.kind(), 0x06 | 0x07 | 0x0A) {
            return Err(self.error(format!(
                "calling convention {:#04x} is not a method signature",
                calling_convention.0
            )));
        }
        let generic_param_count = if calling_convention.is_generic() { self.compressed()? } else { 0 };
        let count = self.count()?;
        let return_type = self.ty(depth)?;
        let mut params = Vec::new();
        let mut sentinel = None;
        for _ in 0..count {
            if self.peek() == Some(0x41) {
                self.pos += 1;
                sentinel = Some(params.len());
            }
            params.push(self.ty(depth)?);
        }
        Ok(MethodSig { calling_convention, generic_param_count, return_type, params, sentinel })
    }
}

fn reader(data: &[u8], blob_offset: u32) -> Reader<'_> {
    Reader { data, pos: 0, blob_offset }
}

/// Decodes a field signature (§II.23.2.4): `FIELD CustomMod* Type`.
/// `blob_offset` only labels errors.
///
/// ```
/// use clr_heap::metadata::{decode_field_sig, SigType, TableId, Token};
/// assert_eq!(decode_field_sig(&[0x06, 0x08], 0)?, SigType::I4);
/// // List`1<string>[] where List`1 is TypeRef 3
/// let ty = decode_field_sig(&[0x06, 0x1D, 0x15, 0x12, 0x0D, 0x01, 0x0E], 0)?;
/// assert_eq!(ty, SigType::SzArray(Box::new(SigType::GenericInst {
///     base: Box::new(SigType::Class(Token::new(TableId::TypeRef, 3))),
///     args: vec![SigType::String],
/// })));
/// assert!(decode_field_sig(&[0x06], 0).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn decode_field_sig(data: &[u8], blob_offset: u32) -> Result<SigType> {
    let mut r = reader(data, blob_offset);
    let cc = r.byte()?;
    if cc & 0x0F != 0x06 {
        return Err(r.error(format!("field signature starts with {cc:#04x}, not 0x06")));
    }
    r.ty(0)
}

/// Decodes a MethodDef, MemberRef (method), StandAloneSig (call site) or
/// property signature (§II.23.2.1–3, §II.23.2.5).
///
/// ```
/// use clr_heap::metadata::{decode_method_sig, SigType};
/// // instance int32 M(string, ref int32)
/// let m = decode_method_sig(&[0x20, 0x02, 0x08, 0x0E, 0x10, 0x08], 0)?;
/// assert!(m.calling_convention.has_this());
/// assert_eq!(m.return_type, SigType::I4);
/// assert_eq!(m.params, vec![SigType::String, SigType::ByRef(Box::new(SigType::I4))]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn decode_method_sig(data: &[u8], blob_offset: u32) -> Result<MethodSig> {
    let mut r = reader(data, blob_offset);
    if r.peek().map(|b| b & 0x0F) == Some(0x08) {
        // Property signatures share the layout: count, type, parameters.
        let calling_convention = CallingConvention(r.byte()?);
        let count = r.count()?;
        let return_type = r.ty(0)?;
        let params = (0..count).map(|_| r.ty(0)).collect::<Result<Vec<_>>>()?;
        return Ok(MethodSig {
            calling_convention,
            generic_param_count: 0,
            return_type,
            params,
            sentinel: None,
        });
    }
    r.method(0)
}

/// Decodes a local-variable signature (§II.23.2.6): `LOCAL_SIG Count Type*`.
pub fn decode_local_sig(data: &[u8], blob_offset: u32) -> Result<Vec<SigType>> {
    let mut r = reader(data, blob_offset);
    let cc = r.byte()?;
    if cc != 0x07 {
        return Err(r.error(format!("local signature starts with {cc:#04x}, not 0x07")));
    }
    let count = r.count()?;
    (0..count).map(|_| r.ty(0)).collect()
}

/// Decodes a TypeSpec blob (§II.23.2.14): one type.
pub fn decode_type_spec(data: &[u8], blob_offset: u32) -> Result<SigType> {
    reader(data, blob_offset).ty(0)
}

/// Decodes a MethodSpec instantiation (§II.23.2.15): `GENERICINST Count Type*`.
pub fn decode_method_spec(data: &[u8], blob_offset: u32) -> Result<Vec<SigType>> {
    let mut r = reader(data, blob_offset);
    let cc = r.byte()?;
    if cc != 0x0A {
        return Err(r.error(format!("method instantiation starts with {cc:#04x}, not 0x0A")));
    }
    let count = r.count()?;
    (0..count).map(|_| r.ty(0)).collect()
}
