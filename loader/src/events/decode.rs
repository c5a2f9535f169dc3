//! A record decoded by a type of the object's BTF (`struct event`), as `btf::value` decodes
//! map values.

use btf::value::{decode, Value, ValueError};
use btf::{Btf, BtfError, Kind, TypeId};

/// Why a record could not be decoded as the type asked for.
#[derive(Debug, thiserror::Error)]
pub enum EventTypeError {
    /// The object has no BTF to look the type up in.
    #[error("the object has no BTF to find type {name} in")]
    NoBtf {
        /// The type asked for.
        name: String,
    },
    /// No struct, union or typedef of that name in the object's BTF.
    #[error("no struct, union or typedef {name} in the object's BTF")]
    NotFound {
        /// The type asked for.
        name: String,
    },
    /// The type's size cannot be computed.
    #[error("type {name}: no size")]
    Size {
        /// The type.
        name: String,
        /// Why.
        #[source]
        source: BtfError,
    },
    /// A record is shorter than the type.
    #[error("a {len}-byte record is shorter than {name} ({size} bytes)")]
    Short {
        /// The type.
        name: String,
        /// Its size.
        size: usize,
        /// The record's length.
        len: usize,
    },
    /// The bytes could not be decoded.
    #[error("decoding a record as {name}")]
    Decode {
        /// The type.
        name: String,
        /// Why.
        #[source]
        source: ValueError,
    },
}

/// A type records are decoded as.
#[derive(Debug, Clone)]
pub struct EventType<'b> {
    btf: &'b Btf,
    id: TypeId,
    name: String,
    size: usize,
}

impl<'b> EventType<'b> {
    /// Finds `name` (`event`, or `struct event`) among the structs, unions and typedefs of
    /// `btf`, the object's BTF.
    pub fn find(btf: Option<&'b Btf>, name: &str) -> Result<EventType<'b>, EventTypeError> {
        let btf = btf.ok_or_else(|| EventTypeError::NoBtf { name: name.to_owned() })?;
        let bare = name.strip_prefix("struct ").or_else(|| name.strip_prefix("union ")).unwrap_or(name).trim();
        let id = [Kind::Struct, Kind::Union, Kind::Typedef]
            .into_iter()
            .find_map(|k| btf.find_by_name_kind(bare, k))
            .ok_or_else(|| EventTypeError::NotFound { name: name.to_owned() })?;
        let size = btf.size_of(id).map_err(|source| EventTypeError::Size { name: name.to_owned(), source })? as usize;
        Ok(EventType { btf, id, name: bare.to_owned(), size })
    }

    /// The type's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its size: records must be at least this long (perf samples are padded, so longer).
    pub fn size(&self) -> usize {
        self.size
    }

    /// Decodes the first [`Self::size`] bytes of `data`.
    pub fn decode(&self, data: &[u8]) -> Result<Value, EventTypeError> {
        if data.len() < self.size {
            return Err(EventTypeError::Short { name: self.name.clone(), size: self.size, len: data.len() });
        }
        decode(self.btf, self.id, &data[..self.size])
            .map_err(|source| EventTypeError::Decode { name: self.name.clone(), source })
    }
}
