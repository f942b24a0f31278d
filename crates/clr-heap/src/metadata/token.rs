//! Metadata tokens: a table number in the high byte, a 1-based row number
//! (or a `#US` offset) in the low three bytes.

use super::schema::TableId;

/// Token type byte of user-string tokens (`ldstr` operands), which hold a
/// `#US` heap offset rather than a row.
pub const USER_STRING_TOKEN_TYPE: u8 = 0x70;

/// A metadata token.
///
/// ```
/// use clr_heap::metadata::{TableId, Token};
/// let t = Token(0x0200_0002);
/// assert_eq!(t.table(), Some(TableId::TypeDef));
/// assert_eq!(t.rid(), 2);
/// assert_eq!(Token::new(TableId::Field, 7).0, 0x0400_0007);
/// assert_eq!(format!("{t}"), "0x02000002");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Token(pub u32);

impl Token {
    /// The token of row `rid` of `table` (the rid is masked to 24 bits).
    pub fn new(table: TableId, rid: u32) -> Token {
        Token((u32::from(table as u8) << 24) | (rid & 0x00FF_FFFF))
    }

    /// The token's type byte.
    pub fn kind(self) -> u8 {
        (self.0 >> 24) as u8
    }

    /// The table, when the type byte names one this reader knows.
    pub fn table(self) -> Option<TableId> {
        TableId::from_u8(self.kind())
    }

    /// The row number (or heap offset for user strings).
    pub fn rid(self) -> u32 {
        self.0 & 0x00FF_FFFF
    }

    /// True for a row number of 0: "no row".
    pub fn is_null(self) -> bool {
        self.rid() == 0
    }

    /// True when the token belongs to `table`.
    pub fn is(self, table: TableId) -> bool {
        self.kind() == table as u8
    }
}

impl std::fmt::Display for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#010x}", self.0)
    }
}
