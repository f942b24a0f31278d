//! What the runtime model found, how, and every check it ran: the material
//! of `clrscope runtime --diagnostics`, and the proof an answer rests on.

/// One finding: a value and the route that gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What was found (e.g. "GC heap segments").
    pub what: String,
    /// How (the route or source).
    pub how: String,
}

/// One validation of an assumption on this dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// What was checked.
    pub name: String,
    /// Whether it held.
    pub passed: bool,
    /// The measured detail.
    pub detail: String,
}

/// Findings and checks, in the order they happened.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics {
    /// What was found and how.
    pub findings: Vec<Finding>,
    /// Every check that ran.
    pub checks: Vec<Check>,
}

impl Diagnostics {
    /// Records a finding.
    pub fn found(&mut self, what: impl Into<String>, how: impl Into<String>) {
        self.findings.push(Finding { what: what.into(), how: how.into() });
    }

    /// Records a check.
    pub fn check(&mut self, name: impl Into<String>, passed: bool, detail: impl Into<String>) {
        self.checks.push(Check { name: name.into(), passed, detail: detail.into() });
    }

    /// The checks that failed.
    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| !c.passed)
    }
}
