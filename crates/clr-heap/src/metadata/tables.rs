//! The tables stream (`#~`, or `#-` for unoptimised edit-and-continue
//! metadata), ECMA-335 §II.24.2.6: header, row counts, column widths and
//! raw row access.

use super::error::{MetadataError, Result};
use super::schema::{CodedIndex, Col, MAX_COLUMNS, TABLE_COUNT, TableId, columns};
use super::token::Token;
use dump_format::read::Bytes;

/// Heap-size flag: `#Strings` indexes are 4 bytes wide.
const HEAP_STRINGS_WIDE: u8 = 0x01;
/// Heap-size flag: `#GUID` indexes are 4 bytes wide.
const HEAP_GUID_WIDE: u8 = 0x02;
/// Heap-size flag: `#Blob` indexes are 4 bytes wide.
const HEAP_BLOB_WIDE: u8 = 0x04;
/// Heap-size flag (CLR extension): 4 extra bytes follow the row counts.
const HEAP_EXTRA_DATA: u8 = 0x40;

/// Where one table lives in the stream and how its rows are laid out.
#[derive(Clone, Copy, Debug, Default)]
pub struct TableLayout {
    /// Rows in the table.
    pub rows: u32,
    /// Bytes per row.
    pub row_size: usize,
    /// Offset of row 1 inside the tables stream.
    pub offset: usize,
    col_offset: [u8; MAX_COLUMNS],
    col_width: [u8; MAX_COLUMNS],
}

/// The decoded tables stream.
#[derive(Clone, Debug)]
pub struct Tables<'a> {
    data: &'a [u8],
    base: u64,
    /// Schema major version (2 for every runtime this tool targets).
    pub major_version: u8,
    /// Schema minor version.
    pub minor_version: u8,
    /// The heap-size flags byte.
    pub heap_sizes: u8,
    /// Bit n set: table n is present.
    pub valid: u64,
    /// Bit n set: table n is sorted by its key column.
    pub sorted: u64,
    /// True for a `#-` stream, which may use the `*Ptr` indirection tables.
    pub uncompressed: bool,
    layouts: [TableLayout; TABLE_COUNT],
}

impl<'a> Tables<'a> {
    /// Parses the tables stream `data`, found at offset `base` of the metadata.
    pub fn parse(data: &'a [u8], base: u64, uncompressed: bool) -> Result<Tables<'a>> {
        let b = Bytes::new(data, base, "tables stream header");
        let major_version = b.u8(4)?;
        let minor_version = b.u8(5)?;
        let heap_sizes = b.u8(6)?;
        let valid = b.u64(8)?;
        let sorted = b.u64(16)?;
        let mut rows = [0u32; 64];
        let mut off = 24;
        for (n, count) in rows.iter_mut().enumerate() {
            if valid & (1u64 << n) != 0 {
                *count = b.u32(off).map_err(|_| {
                    MetadataError::corrupt(
                        "tables stream header",
                        base + off as u64,
                        format!("row count of table {n:#04x} lies past the stream's end"),
                    )
                })?;
                off += 4;
            }
        }
        if heap_sizes & HEAP_EXTRA_DATA != 0 {
            off += 4;
        }
        let width = |flag: u8| if heap_sizes & flag != 0 { 4u8 } else { 2 };
        let (str_w, guid_w, blob_w) =
            (width(HEAP_STRINGS_WIDE), width(HEAP_GUID_WIDE), width(HEAP_BLOB_WIDE));
        let index_w = |t: TableId| if rows[t as usize] < (1 << 16) { 2u8 } else { 4 };
        let coded_w = |c: CodedIndex| {
            let (bits, tables) = c.tables();
            let max = tables.iter().flatten().map(|t| rows[*t as usize]).max().unwrap_or(0);
            if u64::from(max) < (1u64 << (16 - bits)) { 2u8 } else { 4 }
        };
        let mut layouts = [TableLayout::default(); TABLE_COUNT];
        // Tables are stored back to back in number order; sizes are checked
        // against the stream so that no later row read can run off its end.
        let mut pos = off as u64;
        for t in TableId::ALL {
            let l = &mut layouts[t as usize];
            let mut size = 0u8;
            for (i, col) in columns(t).iter().enumerate() {
                let w = match *col {
                    Col::U16 => 2,
                    Col::U32 => 4,
                    Col::Str => str_w,
                    Col::Guid => guid_w,
                    Col::Blob => blob_w,
                    Col::Index(target) => index_w(target),
                    Col::Coded(c) => coded_w(c),
                };
                l.col_offset[i] = size;
                l.col_width[i] = w;
                size += w;
            }
            l.rows = rows[t as usize];
            l.row_size = usize::from(size);
            l.offset = pos as usize;
            let bytes = u64::from(l.rows) * u64::from(size);
            pos = pos.saturating_add(bytes);
            if pos > data.len() as u64 {
                return Err(MetadataError::corrupt(
                    format!("{t} table"),
                    base + l.offset as u64,
                    format!(
                        "{} rows of {size} bytes end at stream offset {pos:#x}, past the stream's {:#x} bytes",
                        l.rows,
                        data.len()
                    ),
                ));
            }
        }
        // Tables numbered past 0x2C (portable PDB tables) can only follow the
        // known ones, so ignoring them leaves every offset above right.
        Ok(Tables {
            data,
            base,
            major_version,
            minor_version,
            heap_sizes,
            valid,
            sorted,
            uncompressed,
            layouts,
        })
    }

    /// Rows in `table` (0 when absent).
    pub fn rows(&self, table: TableId) -> u32 {
        self.layouts[table as usize].rows
    }

    /// The layout of `table`.
    pub fn layout(&self, table: TableId) -> &TableLayout {
        &self.layouts[table as usize]
    }

    /// True when the stream says `table` is sorted by its key column.
    pub fn is_sorted(&self, table: TableId) -> bool {
        self.sorted & (1u64 << table as u8) != 0
    }

    /// Row `rid` (1-based) of `table`.
    pub fn row(&self, table: TableId, rid: u32) -> Result<Row<'a>> {
        let l = &self.layouts[table as usize];
        if rid == 0 || rid > l.rows {
            return Err(MetadataError::NoSuchRow { table, rid, rows: l.rows });
        }
        let start = l.offset + (rid as usize - 1) * l.row_size;
        let bytes = Bytes::new(self.data, self.base, "tables stream");
        let data = bytes.slice(start, l.row_size)?;
        Ok(Row { table, rid, offset: bytes.file_offset(start), data, layout: *l })
    }

    /// Binary search for a row of `table` whose column `col` equals `key`
    /// (the table must be sorted on that column, as the standard requires
    /// for NestedClass, ClassLayout, Constant…); falls back to a linear scan
    /// when the stream does not flag the table as sorted.
    pub fn find(&self, table: TableId, col: usize, key: u32) -> Result<Option<u32>> {
        let n = self.rows(table);
        if !self.is_sorted(table) {
            for rid in 1..=n {
                if self.row(table, rid)?.col(col) == key {
                    return Ok(Some(rid));
                }
            }
            return Ok(None);
        }
        let (mut lo, mut hi) = (1u32, n + 1);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let v = self.row(table, mid)?.col(col);
            match v.cmp(&key) {
                std::cmp::Ordering::Equal => return Ok(Some(mid)),
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
            }
        }
        Ok(None)
    }

    /// All rows of a table sorted on column `col` whose key equals `key`,
    /// as a 1-based half-open range (for one-to-many tables such as
    /// GenericParam, InterfaceImpl, MethodSemantics).
    pub fn equal_range(&self, table: TableId, col: usize, key: u32) -> Result<std::ops::Range<u32>> {
        let n = self.rows(table);
        if !self.is_sorted(table) {
            // Unsorted: report the first contiguous run, which is what a
            // writer that forgot the flag still produces.
            let mut start = None;
            for rid in 1..=n {
                let hit = self.row(table, rid)?.col(col) == key;
                match (hit, start) {
                    (true, None) => start = Some(rid),
                    (false, Some(s)) => return Ok(s..rid),
                    _ => {}
                }
            }
            return Ok(start.map_or(0..0, |s| s..n + 1));
        }
        let lower = |strict: bool| -> Result<u32> {
            let (mut lo, mut hi) = (1u32, n + 1);
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                let v = self.row(table, mid)?.col(col);
                if v < key || (strict && v == key) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            Ok(lo)
        };
        Ok(lower(false)?..lower(true)?)
    }
}

/// One row of one table: columns are read on demand from the blob.
#[derive(Clone, Copy, Debug)]
pub struct Row<'a> {
    /// The table.
    pub table: TableId,
    /// The row's 1-based number.
    pub rid: u32,
    /// Offset of the row from the metadata root.
    pub offset: u64,
    data: &'a [u8],
    layout: TableLayout,
}

impl<'a> Row<'a> {
    /// The raw value of column `i` (0 for a column the table does not have).
    pub fn col(&self, i: usize) -> u32 {
        let (Some(&off), Some(&w)) = (self.layout.col_offset.get(i), self.layout.col_width.get(i)) else {
            return 0;
        };
        let off = usize::from(off);
        match (w, self.data.get(off..off + usize::from(w))) {
            (2, Some(b)) => u32::from(u16::from_le_bytes([b[0], b[1]])),
            (4, Some(b)) => u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            _ => 0,
        }
    }

    /// Column `i` read as the coded index `kind`, decoded into a token
    /// (a null token keeps the table of its tag).
    pub fn coded(&self, i: usize, kind: CodedIndex) -> Result<Token> {
        decode_coded(kind, self.col(i)).ok_or_else(|| MetadataError::Corrupt {
            what: format!("{} row {} column {i}", self.table, self.rid),
            offset: self.offset,
            reason: format!("{:#x} has an unused tag for coded index {kind:?}", self.col(i)),
        })
    }

    /// The row's token.
    pub fn token(&self) -> Token {
        Token::new(self.table, self.rid)
    }
}

/// Decodes a coded index value; `None` for an unused tag.
///
/// ```
/// use clr_heap::metadata::{decode_coded, CodedIndex, TableId, Token};
/// // TypeDefOrRef: tag 1 = TypeRef, row 5
/// assert_eq!(decode_coded(CodedIndex::TypeDefOrRef, (5 << 2) | 1), Some(Token::new(TableId::TypeRef, 5)));
/// assert_eq!(decode_coded(CodedIndex::TypeDefOrRef, 3), None);
/// ```
pub fn decode_coded(kind: CodedIndex, value: u32) -> Option<Token> {
    let (bits, tables) = kind.tables();
    let tag = (value & ((1 << bits) - 1)) as usize;
    let table = (*tables.get(tag)?)?;
    Some(Token::new(table, value >> bits))
}
