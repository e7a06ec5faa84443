//! What commands print: JSON, or tables for the terminal.

use super::{Exit, Failure};
pub use crate::domain::display::Column;
use comfy_table::{presets::UTF8_FULL_CONDENSED, CellAlignment, Table};

/// A table of `columns`, one row per entry of `rows`.
pub fn table(columns: &[Column], rows: Vec<Vec<String>>) -> String {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header(columns.iter().map(|c| c.header).collect::<Vec<_>>());
    for row in rows {
        t.add_row(row);
    }
    for (i, column) in columns.iter().enumerate() {
        if column.numeric {
            if let Some(c) = t.column_mut(i) {
                c.set_cell_alignment(CellAlignment::Right);
            }
        }
    }
    t.to_string()
}

/// Prints `value` as pretty JSON, or as a table of `columns` filled by `rows`.
pub fn show<T: serde::Serialize + ?Sized>(
    value: &T,
    as_json: bool,
    columns: &[Column],
    rows: impl FnOnce(&T) -> Vec<Vec<String>>,
) -> Result<Exit, Failure> {
    if as_json {
        json(value)?;
    } else {
        println!("{}", table(columns, rows(value)));
    }
    Ok(Exit::Success)
}

/// Prints `value` as pretty JSON.
pub fn json<T: serde::Serialize + ?Sized>(value: &T) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value).map_err(|e| Failure {
        code: Exit::Failure,
        message: e.to_string(),
    })?;
    println!("{text}");
    Ok(())
}
