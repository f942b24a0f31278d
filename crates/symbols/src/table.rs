//! Address tables shared by the PDB and ELF readers: functions (start,
//! size, name) and source lines, each sorted once so a lookup is a binary
//! search.

/// One function or code label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    /// Start, relative to the module (PDB: RVA; ELF: link-time address).
    pub start: u64,
    /// Length in bytes; 0 when the symbol does not say (PDB publics).
    pub size: u64,
    /// The name as the symbol file spells it.
    pub name: String,
}

/// One line-table row: code from `start` on belongs to `file:line`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// Start, in the same address space as [`Function::start`].
    pub start: u64,
    /// Length in bytes; 0 when unknown (then it runs to the next row).
    pub size: u64,
    /// Index into the table's file names.
    pub file: u32,
    /// 1-based line number.
    pub line: u32,
}

/// Functions and lines of one module, sorted by address.
#[derive(Debug, Clone, Default)]
pub struct AddressTable {
    functions: Vec<Function>,
    lines: Vec<Line>,
    files: Vec<String>,
}

/// What [`AddressTable::lookup`] answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit<'a> {
    /// The function's name.
    pub name: &'a str,
    /// Bytes past its start.
    pub offset: u64,
    /// Source file and line, when the module has line information.
    pub file_line: Option<(&'a str, u32)>,
}

impl AddressTable {
    /// Builds the table; when several symbols share a start, the first one
    /// with a size wins (a procedure over a public of the same function).
    pub fn new(mut functions: Vec<Function>, mut lines: Vec<Line>, files: Vec<String>) -> Self {
        functions.sort_by(|a, b| a.start.cmp(&b.start).then(b.size.cmp(&a.size)));
        functions.dedup_by_key(|f| f.start);
        lines.sort_by_key(|l| l.start);
        AddressTable { functions, lines, files }
    }

    /// The function holding `addr`. A sized function must cover it; an
    /// unsized one (a public) answers for everything up to the next symbol,
    /// as WinDbg's nearest-public answer does.
    ///
    /// ```
    /// use symbols::table::{AddressTable, Function};
    /// let f = |start, size, name: &str| Function { start, size, name: name.into() };
    /// let t = AddressTable::new(vec![f(0x1000, 0x20, "a"), f(0x1040, 0, "b")], vec![], vec![]);
    /// assert_eq!(t.lookup(0x1010).map(|h| (h.name, h.offset)), Some(("a", 0x10)));
    /// assert!(t.lookup(0x1030).is_none());
    /// assert_eq!(t.lookup(0x1050).map(|h| h.offset), Some(0x10));
    /// ```
    pub fn lookup(&self, addr: u64) -> Option<Hit<'_>> {
        let i = self.functions.partition_point(|f| f.start <= addr).checked_sub(1)?;
        let f = &self.functions[i];
        let offset = addr - f.start;
        if f.size != 0 && offset >= f.size {
            return None;
        }
        Some(Hit { name: &f.name, offset, file_line: self.line_at(addr) })
    }

    fn line_at(&self, addr: u64) -> Option<(&str, u32)> {
        let i = self.lines.partition_point(|l| l.start <= addr).checked_sub(1)?;
        let l = &self.lines[i];
        if l.size != 0 && addr - l.start >= l.size {
            return None;
        }
        Some((self.files.get(l.file as usize)?.as_str(), l.line))
    }

    /// Every function, sorted by start.
    pub fn functions(&self) -> &[Function] {
        &self.functions
    }

    /// Number of line rows.
    pub fn line_count(&self) -> usize {
        self.lines.len()
    }
}
