//! Records from the cells of a typed table (Arrow columns, a data frame),
//! read as the same values in a JSON object or a CSV row would be.

use super::{Cell, FieldDef, Record, RecordError, Schema};

/// One field's cell in a typed table, for [`Schema::from_cells`].
#[derive(Debug, Clone, Copy)]
pub enum InputCell<'v> {
    /// The table has no column for the field.
    Absent,
    /// The cell is null, as in a JSON object: absent (an error for a
    /// required field).
    Null,
    /// An empty cell, as in a CSV row: absent, or the empty set for a
    /// required `set of …` field.
    Empty,
    /// A string cell, read as a JSON string is.
    Text(&'v str),
    /// Any other cell as the JSON value it stands for: a number, a
    /// boolean, an array for a list.
    Json(&'v serde_json::Value),
}

impl Schema {
    /// Builds a record from the cells of a typed table (Arrow columns, a
    /// data frame): each field's cell read as the same value in a JSON
    /// object would be, so a row converts exactly as its JSON object does,
    /// errors included. `cell` is called once per field, in slot order.
    ///
    /// ```
    /// use baton::{FieldDef, InputCell, Schema, Type};
    /// let s = Schema::new("r", vec![
    ///     FieldDef { name: "n".into(), ty: Type::Int, optional: false },
    ///     FieldDef { name: "d".into(), ty: Type::Decimal, optional: true },
    /// ], None, None);
    /// let seven = serde_json::json!(7);
    /// let r = s.from_cells(|f| if f.name == "n" { InputCell::Json(&seven) } else { InputCell::Text("0.1") });
    /// assert!(r.is_ok());
    /// let e = s.from_cells(|f| if f.name == "n" { InputCell::Null } else { InputCell::Text("x") });
    /// assert_eq!(e.unwrap_err().to_string(),
    ///     "field `n` is required but null; field `d`: \"x\" is not a decimal");
    /// ```
    pub fn from_cells<'v>(
        &self,
        mut cell: impl FnMut(&FieldDef) -> InputCell<'v>,
    ) -> Result<Record, RecordError> {
        self.build(|f| match cell(f) {
            InputCell::Absent => Cell::Absent("absent"),
            InputCell::Null => Cell::Absent("null"),
            InputCell::Empty => Cell::Empty,
            InputCell::Text(t) => Cell::Text(t),
            InputCell::Json(j) if j.is_null() => Cell::Absent("null"),
            InputCell::Json(j) => Cell::Json(j),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{TextSet, Type, Value};

    fn schema() -> Schema {
        let f = |name: &str, ty, optional| FieldDef {
            name: name.into(),
            ty,
            optional,
        };
        Schema::new(
            "r",
            vec![
                f("n", Type::Int, true),
                f("tags", Type::SetText, false),
                f("d", Type::Decimal, false),
            ],
            None,
            None,
        )
    }

    #[test]
    fn an_empty_cell_is_absent_or_the_empty_set_as_in_csv() {
        let s = schema();
        let one = serde_json::json!(1);
        let r = s
            .from_cells(|f| match f.name.as_str() {
                "d" => InputCell::Json(&one),
                _ => InputCell::Empty,
            })
            .unwrap();
        assert_eq!(
            r.values(),
            &[
                None,
                Some(Value::SetText(TextSet::default())),
                Some(Value::Decimal(1.into()))
            ]
        );
        let e = s.from_cells(|_| InputCell::Empty).unwrap_err();
        assert_eq!(e.to_string(), "field `d` is required but the cell is empty");
        // A null set is absent, as a JSON null is: required, so an error.
        let e = s
            .from_cells(|f| match f.name.as_str() {
                "tags" => InputCell::Null,
                _ => InputCell::Json(&one),
            })
            .unwrap_err();
        assert_eq!(e.to_string(), "field `tags` is required but null");
    }
}
