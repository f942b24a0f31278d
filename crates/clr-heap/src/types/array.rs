//! Arrays (`!dumparray`): shape and elements (reference §1.5).
//!
//! Layout: `[MT][u32 length][u32 pad on 64-bit]`, then for multi-dimensional
//! arrays `rank` u32 lengths and `rank` i32 lower bounds, then the elements,
//! which always start at `m_BaseSize − OBJHEADER_SIZE` — a rule that also
//! covers the .NET Framework's shared `object[]` MethodTable, whose
//! instances carry the element TypeHandle before the elements (not seen on
//! the .NET Core dumps this is proven on).

use super::system::TypeSystem;
use super::value::Value;
use crate::error::{ClrError, Result};

/// An array object's shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrayInfo {
    /// The array object.
    pub address: u64,
    /// Its MethodTable.
    pub mt: u64,
    /// The array type's name (`System.Int32[,]`).
    pub type_name: String,
    /// The element TypeHandle (a MethodTable, or a TypeDesc for arrays of arrays/pointers).
    pub element_type: u64,
    /// The element type's name.
    pub element_type_name: String,
    /// Elements are stored inline (value types), not as references.
    pub element_is_value_type: bool,
    /// Number of dimensions.
    pub rank: u32,
    /// A single-dimensional zero-based array (`T[]`).
    pub is_sz: bool,
    /// Total number of elements.
    pub length: u64,
    /// Length of each dimension.
    pub dimensions: Vec<u32>,
    /// Lower bound of each dimension.
    pub lower_bounds: Vec<i32>,
    /// Bytes per element.
    pub component_size: u32,
    /// Address of element 0.
    pub data: u64,
}

impl TypeSystem<'_> {
    /// The array at `address`.
    pub fn array(&self, address: u64) -> Result<ArrayInfo> {
        let mt = self.object_mt(address)?;
        let info = self.method_table(mt)?;
        let bad = |reason: String| ClrError::Invalid { what: "array", address, reason };
        if !info.is_array() {
            return Err(bad(format!("its type {} is not an array", self.type_name(mt)?)));
        }
        let rank = self.array_rank(&info)?;
        let length = u64::from(self.u32(address.wrapping_add(self.layout.ptr))?);
        let component_size = info.component_size();
        let data = address.wrapping_add(u64::from(info.base_size)).wrapping_sub(self.layout.object_header);
        let (dimensions, lower_bounds) = if info.is_sz_array() {
            (vec![length as u32], vec![0])
        } else {
            let bounds = address.wrapping_add(self.array_base_size() - self.layout.object_header);
            let dims = (0..u64::from(rank))
                .map(|i| self.u32(bounds.wrapping_add(4 * i)))
                .collect::<Result<Vec<_>>>()?;
            let lows = (0..u64::from(rank))
                .map(|i| self.u32(bounds.wrapping_add(4 * (u64::from(rank) + i))).map(|v| v as i32))
                .collect::<Result<Vec<_>>>()?;
            (dims, lows)
        };
        let product = dimensions.iter().try_fold(1u64, |a, &d| a.checked_mul(u64::from(d)));
        if product != Some(length) {
            return Err(bad(format!("dimensions {dimensions:?} do not multiply to the length {length}")));
        }
        let bytes = length.checked_mul(u64::from(component_size));
        if bytes.is_none_or(|b| self.mem.readable_len(data) < b) {
            return Err(bad(format!(
                "{length} elements of {component_size} bytes are not in the dump at {data:#x}"
            )));
        }
        let element_type = self.instance_element_type(address, &info).unwrap_or(info.per_inst_info);
        let element_is_value_type =
            element_type & 2 == 0 && self.method_table(element_type).is_ok_and(|e| e.is_value_type());
        self.check(
            "array element size matches its element kind",
            !element_is_value_type || component_size > 0,
            format!("{}: component size {component_size}", self.type_name(mt)?),
        );
        if !element_is_value_type && u64::from(component_size) != self.layout.ptr {
            return Err(bad(format!("reference elements of {component_size} bytes")));
        }
        Ok(ArrayInfo {
            address,
            mt,
            type_name: self.type_name(mt)?,
            element_type,
            element_type_name: self.name_of_th(element_type, 0)?,
            element_is_value_type,
            rank,
            is_sz: info.is_sz_array(),
            length,
            dimensions,
            lower_bounds,
            component_size,
            data,
        })
    }

    /// The .NET Framework's shared `object[]` MethodTable: arrays of any
    /// reference type use it and carry their element TypeHandle in the
    /// instance, right after the length (reference §1.5). Recognised by the
    /// family and by a base size one pointer larger than `ARRAYBASE_BASESIZE`,
    /// and only believed when that word is a valid type. Unproven on dumps:
    /// no .NET Framework fixture exists yet.
    fn instance_element_type(&self, address: u64, info: &super::MethodTableInfo) -> Option<u64> {
        if self.layout.family != crate::runtime::Family::Desktop4
            || !info.is_sz_array()
            || u64::from(info.base_size) != self.array_base_size() + self.layout.ptr
        {
            return None;
        }
        let th = self.ptr(address.wrapping_add(2 * self.layout.ptr)).ok()?;
        self.name_of_th(th, 0).is_ok().then_some(th)
    }

    /// Element `index` (row-major over all dimensions) of `array`.
    pub fn array_element(&self, array: &ArrayInfo, index: u64) -> Result<Value> {
        if index >= array.length {
            return Err(ClrError::Invalid {
                what: "array",
                address: array.address,
                reason: format!("index {index} is past its {} elements", array.length),
            });
        }
        let at = array.data.wrapping_add(index * u64::from(array.component_size));
        Ok(if array.element_is_value_type {
            self.value_at(array.element_type, at)
        } else {
            self.reference_at(at)
        })
    }
}
