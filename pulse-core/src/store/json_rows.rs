//! Rows SQLite hands over as JSON text (`json_group_array(json_array(…))`), for the big
//! reads of [`Stored::JSON_READABLE`](super::Stored::JSON_READABLE) tables: one value per
//! page instead of one message per row between sqlx's worker thread and ours.
//!
//! Cells borrow their text from the page where it needs no unescaping, so a column is
//! copied once, into the record.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, Visitor};

/// One value of such a row, as `json_array` writes it: text as a string, integers (and
/// booleans) as numbers, NULL as null.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum JsonCell<'a> {
    Null,
    Int(i64),
    Real(f64),
    Text(Cow<'a, str>),
}

impl<'de: 'a, 'a> Deserialize<'de> for JsonCell<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CellVisitor<'a>(PhantomData<&'a ()>);

        impl<'de: 'a, 'a> Visitor<'de> for CellVisitor<'a> {
            type Value = JsonCell<'a>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a column value (null, a number or a string)")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(JsonCell::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(JsonCell::Null)
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(JsonCell::Int(i64::from(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(JsonCell::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                i64::try_from(v).map(JsonCell::Int).map_err(|_| E::custom("an integer beyond 64 bits"))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(JsonCell::Real(v))
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(JsonCell::Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(JsonCell::Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(JsonCell::Text(Cow::Owned(v)))
            }
        }

        deserializer.deserialize_any(CellVisitor(PhantomData))
    }
}

impl JsonCell<'_> {
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            JsonCell::Text(s) => Some(s),
            _ => None,
        }
    }
}

/// Reads a column type out of a cell; `None` when the cell holds something else.
pub(crate) trait FromCell: Sized {
    fn from_cell(cell: &JsonCell<'_>) -> Option<Self>;
}

impl FromCell for String {
    fn from_cell(cell: &JsonCell<'_>) -> Option<Self> {
        cell.as_str().map(str::to_owned)
    }
}

impl FromCell for i64 {
    fn from_cell(cell: &JsonCell<'_>) -> Option<Self> {
        match cell {
            JsonCell::Int(v) => Some(*v),
            _ => None,
        }
    }
}

impl FromCell for f64 {
    fn from_cell(cell: &JsonCell<'_>) -> Option<Self> {
        match cell {
            JsonCell::Real(v) => Some(*v),
            JsonCell::Int(v) => Some(*v as f64),
            _ => None,
        }
    }
}

impl FromCell for bool {
    fn from_cell(cell: &JsonCell<'_>) -> Option<Self> {
        match cell {
            JsonCell::Int(0) => Some(false),
            JsonCell::Int(1) => Some(true),
            _ => None,
        }
    }
}

impl FromCell for Vec<u8> {
    fn from_cell(_: &JsonCell<'_>) -> Option<Self> {
        None // JSON cannot carry a BLOB: such tables are never read as JSON.
    }
}

impl FromCell for sqlx::types::Json<serde_json::Value> {
    fn from_cell(cell: &JsonCell<'_>) -> Option<Self> {
        serde_json::from_str(cell.as_str()?).ok().map(sqlx::types::Json)
    }
}

impl<T: FromCell> FromCell for Option<T> {
    fn from_cell(cell: &JsonCell<'_>) -> Option<Self> {
        match cell {
            JsonCell::Null => Some(None),
            other => T::from_cell(other).map(Some),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_borrow_plain_text_and_unescape_the_rest() {
        let text = r#"[["plain", "tab\tquote\"", null, 42, -7, 1.5, true]]"#;
        let rows: Vec<Vec<JsonCell<'_>>> = serde_json::from_str(text).unwrap();
        let row = &rows[0];
        assert!(matches!(&row[0], JsonCell::Text(Cow::Borrowed("plain"))));
        assert!(matches!(&row[1], JsonCell::Text(Cow::Owned(s)) if s == "tab\tquote\""));
        assert_eq!(row[2], JsonCell::Null);
        assert_eq!((i64::from_cell(&row[3]), i64::from_cell(&row[4])), (Some(42), Some(-7)));
        assert_eq!(f64::from_cell(&row[5]), Some(1.5));
        assert_eq!(bool::from_cell(&row[6]), Some(true));
        assert_eq!(Option::<String>::from_cell(&row[2]), Some(None));
        // A cell of another type is refused, not coerced.
        assert_eq!(i64::from_cell(&row[0]), None);
        assert_eq!(bool::from_cell(&row[3]), None);
        assert_eq!(String::from_cell(&row[3]), None);
        assert!(serde_json::from_str::<Vec<JsonCell<'_>>>("[18446744073709551615]").is_err());
    }
}
