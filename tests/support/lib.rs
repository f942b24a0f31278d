//! Shared helpers of clrscope's end-to-end tests: where the fixtures are.

use std::path::PathBuf;

/// The workspace root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared/fixtures/third-party`: real dumps written by other people.
pub fn third_party_dir() -> PathBuf {
    root().join("../shared/fixtures/third-party")
}
