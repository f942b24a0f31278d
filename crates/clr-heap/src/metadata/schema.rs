//! The 45 table schemas of ECMA-335 §II.22 and the coded indexes of §II.24.2.6.
//!
//! Row sizes depend on every table's row count and on the heap-size flags,
//! so the columns of *all* tables must be known, even of tables nothing here
//! reads: a table's offset is the sum of the sizes of the tables before it.

/// A metadata table, numbered as in ECMA-335 §II.22 (the number is also the
/// high byte of its tokens).
///
/// ```
/// use clr_heap::metadata::TableId;
/// assert_eq!(TableId::TypeDef as u8, 0x02);
/// assert_eq!(TableId::from_u8(0x29), Some(TableId::NestedClass));
/// assert_eq!(TableId::from_u8(0x2D), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
#[allow(missing_docs)] // the variants are the standard's table names
pub enum TableId {
    Module = 0x00,
    TypeRef = 0x01,
    TypeDef = 0x02,
    FieldPtr = 0x03,
    Field = 0x04,
    MethodPtr = 0x05,
    MethodDef = 0x06,
    ParamPtr = 0x07,
    Param = 0x08,
    InterfaceImpl = 0x09,
    MemberRef = 0x0A,
    Constant = 0x0B,
    CustomAttribute = 0x0C,
    FieldMarshal = 0x0D,
    DeclSecurity = 0x0E,
    ClassLayout = 0x0F,
    FieldLayout = 0x10,
    StandAloneSig = 0x11,
    EventMap = 0x12,
    EventPtr = 0x13,
    Event = 0x14,
    PropertyMap = 0x15,
    PropertyPtr = 0x16,
    Property = 0x17,
    MethodSemantics = 0x18,
    MethodImpl = 0x19,
    ModuleRef = 0x1A,
    TypeSpec = 0x1B,
    ImplMap = 0x1C,
    FieldRva = 0x1D,
    EncLog = 0x1E,
    EncMap = 0x1F,
    Assembly = 0x20,
    AssemblyProcessor = 0x21,
    AssemblyOs = 0x22,
    AssemblyRef = 0x23,
    AssemblyRefProcessor = 0x24,
    AssemblyRefOs = 0x25,
    File = 0x26,
    ExportedType = 0x27,
    ManifestResource = 0x28,
    NestedClass = 0x29,
    GenericParam = 0x2A,
    MethodSpec = 0x2B,
    GenericParamConstraint = 0x2C,
}

/// Number of tables this reader knows (0x00 ..= 0x2C).
pub const TABLE_COUNT: usize = 45;

impl TableId {
    /// Every table in number order.
    pub const ALL: [TableId; TABLE_COUNT] = {
        use TableId::*;
        [
            Module,
            TypeRef,
            TypeDef,
            FieldPtr,
            Field,
            MethodPtr,
            MethodDef,
            ParamPtr,
            Param,
            InterfaceImpl,
            MemberRef,
            Constant,
            CustomAttribute,
            FieldMarshal,
            DeclSecurity,
            ClassLayout,
            FieldLayout,
            StandAloneSig,
            EventMap,
            EventPtr,
            Event,
            PropertyMap,
            PropertyPtr,
            Property,
            MethodSemantics,
            MethodImpl,
            ModuleRef,
            TypeSpec,
            ImplMap,
            FieldRva,
            EncLog,
            EncMap,
            Assembly,
            AssemblyProcessor,
            AssemblyOs,
            AssemblyRef,
            AssemblyRefProcessor,
            AssemblyRefOs,
            File,
            ExportedType,
            ManifestResource,
            NestedClass,
            GenericParam,
            MethodSpec,
            GenericParamConstraint,
        ]
    };

    /// The table numbered `n`, if this reader knows it.
    pub fn from_u8(n: u8) -> Option<TableId> {
        Self::ALL.get(usize::from(n)).copied()
    }

    /// The standard's name of the table, for messages.
    pub fn name(self) -> &'static str {
        TABLE_NAMES[self as usize]
    }
}

impl std::fmt::Display for TableId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

const TABLE_NAMES: [&str; TABLE_COUNT] = [
    "Module",
    "TypeRef",
    "TypeDef",
    "FieldPtr",
    "Field",
    "MethodPtr",
    "MethodDef",
    "ParamPtr",
    "Param",
    "InterfaceImpl",
    "MemberRef",
    "Constant",
    "CustomAttribute",
    "FieldMarshal",
    "DeclSecurity",
    "ClassLayout",
    "FieldLayout",
    "StandAloneSig",
    "EventMap",
    "EventPtr",
    "Event",
    "PropertyMap",
    "PropertyPtr",
    "Property",
    "MethodSemantics",
    "MethodImpl",
    "ModuleRef",
    "TypeSpec",
    "ImplMap",
    "FieldRVA",
    "ENCLog",
    "ENCMap",
    "Assembly",
    "AssemblyProcessor",
    "AssemblyOS",
    "AssemblyRef",
    "AssemblyRefProcessor",
    "AssemblyRefOS",
    "File",
    "ExportedType",
    "ManifestResource",
    "NestedClass",
    "GenericParam",
    "MethodSpec",
    "GenericParamConstraint",
];

/// A coded index (§II.24.2.6): a row index whose low `tag_bits` bits say
/// which of several tables it points into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)] // the variants are the standard's names
pub enum CodedIndex {
    TypeDefOrRef,
    HasConstant,
    HasCustomAttribute,
    HasFieldMarshal,
    HasDeclSecurity,
    MemberRefParent,
    HasSemantics,
    MethodDefOrRef,
    MemberForwarded,
    Implementation,
    CustomAttributeType,
    ResolutionScope,
    TypeOrMethodDef,
}

impl CodedIndex {
    /// Tag width in bits and the table of each tag value (`None` = unused tag).
    pub fn tables(self) -> (u32, &'static [Option<TableId>]) {
        use TableId::*;
        match self {
            CodedIndex::TypeDefOrRef => (2, &[Some(TypeDef), Some(TypeRef), Some(TypeSpec)]),
            CodedIndex::HasConstant => (2, &[Some(Field), Some(Param), Some(Property)]),
            CodedIndex::HasCustomAttribute => (
                5,
                &[
                    Some(MethodDef),
                    Some(Field),
                    Some(TypeRef),
                    Some(TypeDef),
                    Some(Param),
                    Some(InterfaceImpl),
                    Some(MemberRef),
                    Some(Module),
                    Some(DeclSecurity),
                    Some(Property),
                    Some(Event),
                    Some(StandAloneSig),
                    Some(ModuleRef),
                    Some(TypeSpec),
                    Some(Assembly),
                    Some(AssemblyRef),
                    Some(File),
                    Some(ExportedType),
                    Some(ManifestResource),
                    Some(GenericParam),
                    Some(GenericParamConstraint),
                    Some(MethodSpec),
                ],
            ),
            CodedIndex::HasFieldMarshal => (1, &[Some(Field), Some(Param)]),
            CodedIndex::HasDeclSecurity => (2, &[Some(TypeDef), Some(MethodDef), Some(Assembly)]),
            CodedIndex::MemberRefParent => {
                (3, &[Some(TypeDef), Some(TypeRef), Some(ModuleRef), Some(MethodDef), Some(TypeSpec)])
            }
            CodedIndex::HasSemantics => (1, &[Some(Event), Some(Property)]),
            CodedIndex::MethodDefOrRef => (1, &[Some(MethodDef), Some(MemberRef)]),
            CodedIndex::MemberForwarded => (1, &[Some(Field), Some(MethodDef)]),
            CodedIndex::Implementation => (2, &[Some(File), Some(AssemblyRef), Some(ExportedType)]),
            // Tags 0, 1 and 4 are "not used" in the standard.
            CodedIndex::CustomAttributeType => (3, &[None, None, Some(MethodDef), Some(MemberRef), None]),
            CodedIndex::ResolutionScope => {
                (2, &[Some(Module), Some(ModuleRef), Some(AssemblyRef), Some(TypeRef)])
            }
            CodedIndex::TypeOrMethodDef => (1, &[Some(TypeDef), Some(MethodDef)]),
        }
    }
}

/// The kind of one column, which decides its width.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Col {
    /// A 2-byte constant (also the 1-byte-plus-padding `Constant.Type`).
    U16,
    /// A 4-byte constant.
    U32,
    /// An index into `#Strings`.
    Str,
    /// An index into `#GUID`.
    Guid,
    /// An index into `#Blob`.
    Blob,
    /// A row index into one table.
    Index(TableId),
    /// A coded index.
    Coded(CodedIndex),
}

/// The most columns any table has (Assembly and AssemblyRef have 9).
pub const MAX_COLUMNS: usize = 9;

/// The columns of `table`, in order (ECMA-335 §II.22.2–§II.22.39).
pub fn columns(table: TableId) -> &'static [Col] {
    use CodedIndex as C;
    use Col::*;
    use TableId as T;
    match table {
        T::Module => &[U16, Str, Guid, Guid, Guid],
        T::TypeRef => &[Coded(C::ResolutionScope), Str, Str],
        T::TypeDef => &[U32, Str, Str, Coded(C::TypeDefOrRef), Index(T::Field), Index(T::MethodDef)],
        T::FieldPtr => &[Index(T::Field)],
        T::Field => &[U16, Str, Blob],
        T::MethodPtr => &[Index(T::MethodDef)],
        T::MethodDef => &[U32, U16, U16, Str, Blob, Index(T::Param)],
        T::ParamPtr => &[Index(T::Param)],
        T::Param => &[U16, U16, Str],
        T::InterfaceImpl => &[Index(T::TypeDef), Coded(C::TypeDefOrRef)],
        T::MemberRef => &[Coded(C::MemberRefParent), Str, Blob],
        T::Constant => &[U16, Coded(C::HasConstant), Blob],
        T::CustomAttribute => &[Coded(C::HasCustomAttribute), Coded(C::CustomAttributeType), Blob],
        T::FieldMarshal => &[Coded(C::HasFieldMarshal), Blob],
        T::DeclSecurity => &[U16, Coded(C::HasDeclSecurity), Blob],
        T::ClassLayout => &[U16, U32, Index(T::TypeDef)],
        T::FieldLayout => &[U32, Index(T::Field)],
        T::StandAloneSig => &[Blob],
        T::EventMap => &[Index(T::TypeDef), Index(T::Event)],
        T::EventPtr => &[Index(T::Event)],
        T::Event => &[U16, Str, Coded(C::TypeDefOrRef)],
        T::PropertyMap => &[Index(T::TypeDef), Index(T::Property)],
        T::PropertyPtr => &[Index(T::Property)],
        T::Property => &[U16, Str, Blob],
        T::MethodSemantics => &[U16, Index(T::MethodDef), Coded(C::HasSemantics)],
        T::MethodImpl => &[Index(T::TypeDef), Coded(C::MethodDefOrRef), Coded(C::MethodDefOrRef)],
        T::ModuleRef => &[Str],
        T::TypeSpec => &[Blob],
        T::ImplMap => &[U16, Coded(C::MemberForwarded), Str, Index(T::ModuleRef)],
        T::FieldRva => &[U32, Index(T::Field)],
        T::EncLog => &[U32, U32],
        T::EncMap => &[U32],
        T::Assembly => &[U32, U16, U16, U16, U16, U32, Blob, Str, Str],
        T::AssemblyProcessor => &[U32],
        T::AssemblyOs => &[U32, U32, U32],
        T::AssemblyRef => &[U16, U16, U16, U16, U32, Blob, Str, Str, Blob],
        T::AssemblyRefProcessor => &[U32, Index(T::AssemblyRef)],
        T::AssemblyRefOs => &[U32, U32, U32, Index(T::AssemblyRef)],
        T::File => &[U32, Str, Blob],
        T::ExportedType => &[U32, U32, Str, Str, Coded(C::Implementation)],
        T::ManifestResource => &[U32, U32, Str, Coded(C::Implementation)],
        T::NestedClass => &[Index(T::TypeDef), Index(T::TypeDef)],
        T::GenericParam => &[U16, U16, Coded(C::TypeOrMethodDef), Str],
        T::MethodSpec => &[Coded(C::MethodDefOrRef), Blob],
        T::GenericParamConstraint => &[Index(T::GenericParam), Coded(C::TypeDefOrRef)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers_agree() {
        for (i, t) in TableId::ALL.iter().enumerate() {
            assert_eq!(*t as usize, i);
            assert!(columns(*t).len() <= MAX_COLUMNS);
        }
        assert_eq!(TableId::GenericParamConstraint.name(), "GenericParamConstraint");
    }
}
