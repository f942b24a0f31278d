//! Route: the DAC globals table the runtime carries (being written by a
//! colleague; until then this route reports that it is not available).

use dump_format::{Dump, ModuleRecord};

/// One named entry of the table.
#[derive(Debug, Clone)]
pub struct DacEntry {
    /// C++-qualified variable name.
    pub name: &'static str,
    /// Absolute address of the variable in the dumped process.
    pub address: u64,
}

/// The decoded table.
#[derive(Debug, Clone)]
pub struct DacTable {
    /// Named entries.
    pub entries: Vec<DacEntry>,
}

/// Why the route gave nothing.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DacTableError(String);

/// Reads and names the DAC table of `runtime`.
pub fn read_dac_table(
    _dump: &Dump,
    _runtime: &ModuleRecord,
    _runtime_file: Option<&std::path::Path>,
) -> Result<DacTable, DacTableError> {
    Err(DacTableError("the DAC table route is not built yet".into()))
}
