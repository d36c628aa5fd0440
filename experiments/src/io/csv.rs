//! Result tables as CSV: one writer and one reader for row structs whose serde fields are the
//! columns (names and order), and the number formats the files use, as `#[serde(with = …)]`
//! modules.
//!
//! A table's header comes from its row type, not from its rows, so that a table with no rows is
//! still a header line ([`Empty::Header`]); [`Empty::Nothing`] writes an empty file instead,
//! as the csv crate's own header logic does.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Serialize;
use serde::de::{self, DeserializeOwned, Deserializer, Visitor};

use super::write_atomic;

/// What a table with no rows is written as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Empty {
    /// The header line alone.
    Header,
    /// An empty file.
    Nothing,
}

/// Writes `rows` to `path` atomically, the header first (also when there are no rows).
pub fn write_csv<R: Serialize + DeserializeOwned>(path: &Path, rows: &[R]) -> Result<()> {
    write_atomic(path, &csv_bytes(rows, Empty::Header)?)
}

/// The CSV text of `rows`: a header of `R`'s field names, then one line per row.
pub fn csv_bytes<R: Serialize + DeserializeOwned>(rows: &[R], empty: Empty) -> Result<Vec<u8>> {
    csv_bytes_with_columns(&columns::<R>(), rows, empty)
}

/// The CSV text of `rows` under the header `columns`, for a row type whose columns are known
/// only at run time (the dataset's feature columns): its `Serialize` must write exactly these.
pub fn csv_bytes_with_columns(
    columns: &[&str],
    rows: impl IntoIterator<Item = impl Serialize>,
    empty: Empty,
) -> Result<Vec<u8>> {
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    let mut rows = rows.into_iter().peekable();
    if empty == Empty::Header || rows.peek().is_some() {
        w.write_record(columns)?;
    }
    for row in rows {
        w.serialize(row)?;
    }
    w.into_inner().context("flushing CSV")
}

/// Reads a table written by [`write_csv`]: every column of `R` must be in the header (in any
/// order; other columns are ignored).
pub fn read_csv<R: DeserializeOwned>(path: &Path) -> Result<Vec<R>> {
    let mut r =
        csv::Reader::from_path(path).with_context(|| format!("reading {}", path.display()))?;
    let header = r.headers()?.clone();
    for name in columns::<R>() {
        if !header.iter().any(|h| h == name) {
            bail!("{}: no column `{name}`", path.display());
        }
    }
    r.deserialize()
        .map(|row| row.with_context(|| format!("reading {}", path.display())))
        .collect()
}

/// The field names of the struct `R`, in order: its columns. Asked of serde, which passes them
/// to the deserializer of a struct.
pub fn columns<R: DeserializeOwned>() -> Vec<&'static str> {
    let mut names = FieldNames(None);
    // The deserializer stops as soon as it has the names: the error is expected.
    let _ = R::deserialize(&mut names);
    names.0.map(<[_]>::to_vec).unwrap_or_default()
}

/// A deserializer that records the field names of the struct asked of it and refuses anything
/// else.
struct FieldNames(Option<&'static [&'static str]>);

impl<'de> Deserializer<'de> for &mut FieldNames {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0 = Some(fields);
        Err(de::Error::custom("field names recorded"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// Six decimals (`{:.6}`): the figures of the result files.
pub mod fixed6 {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `x` with six decimals.
    pub fn serialize<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{x:.6}"))
    }

    /// Reads a number.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        f64::deserialize(d)
    }
}

/// Six decimals, or an empty cell for no value.
pub mod fixed6_or_empty {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `x` with six decimals, or nothing.
    pub fn serialize<S: Serializer>(x: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        match x {
            Some(x) => s.collect_str(&format_args!("{x:.6}")),
            None => s.serialize_str(""),
        }
    }

    /// Reads a number, or `None` from an empty cell.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        Option::<f64>::deserialize(d)
    }
}

/// Three decimals (`{:.3}`).
pub mod fixed3 {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `x` with three decimals.
    pub fn serialize<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{x:.3}"))
    }

    /// Reads a number.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        f64::deserialize(d)
    }
}

/// The shortest decimals that read back to the same `f64` (Rust's `Display`: `1`, `0.25`,
/// `0.0000001`), for values that must survive a round trip exactly.
pub mod shortest {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `x` as `Display` does.
    pub fn serialize<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(x)
    }

    /// Reads a number.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        f64::deserialize(d)
    }
}

/// A number written as [`shortest`] writes it, for rows that serialize their fields by hand.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shortest(pub f64);

impl Serialize for Shortest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        shortest::serialize(&self.0, s)
    }
}

/// A flag as `1` or `0`.
pub mod flag {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `1` for true, `0` for false.
    pub fn serialize<S: Serializer>(x: &bool, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(u8::from(*x))
    }

    /// Reads a number; anything but 0 is true.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        Ok(u8::deserialize(d)? != 0)
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Row {
        name: String,
        count: u64,
        #[serde(with = "fixed6")]
        share: f64,
        #[serde(with = "fixed6_or_empty")]
        until: Option<f64>,
        #[serde(with = "shortest")]
        exact: f64,
        #[serde(with = "flag")]
        on: bool,
    }

    #[test]
    fn the_header_comes_from_the_fields_even_with_no_rows() {
        assert_eq!(
            columns::<Row>(),
            ["name", "count", "share", "until", "exact", "on"]
        );
        let none: [Row; 0] = [];
        assert_eq!(
            csv_bytes(&none, Empty::Header).unwrap(),
            b"name,count,share,until,exact,on\n"
        );
        assert!(csv_bytes(&none, Empty::Nothing).unwrap().is_empty());
    }

    #[test]
    fn rows_are_written_in_their_formats_and_read_back() {
        let rows = vec![
            Row {
                name: "a, b".into(),
                count: 3,
                share: 0.1,
                until: None,
                exact: 1e-7,
                on: true,
            },
            Row {
                name: "c".into(),
                count: 0,
                share: 2.0,
                until: Some(1.5),
                exact: 1.0,
                on: false,
            },
        ];
        let text = String::from_utf8(csv_bytes(&rows, Empty::Header).unwrap()).unwrap();
        assert_eq!(
            text,
            "name,count,share,until,exact,on\n\"a, b\",3,0.100000,,0.0000001,1\nc,0,2.000000,1.500000,1,0\n"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rows.csv");
        write_csv(&path, &rows).unwrap();
        let back: Vec<Row> = read_csv(&path).unwrap();
        assert_eq!(back[0].name, "a, b");
        assert_eq!(back[0].until, None);
        assert_eq!(back[1].until, Some(1.5));
        assert_eq!(back[0].exact, 1e-7);
        assert!(back[0].on && !back[1].on);
    }

    #[test]
    fn a_missing_column_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("short.csv");
        std::fs::write(&path, "name,count\nx,1\n").unwrap();
        let err = read_csv::<Row>(&path).unwrap_err();
        assert!(
            format!("{err:#}").ends_with("short.csv: no column `share`"),
            "{err:#}"
        );
    }
}
