//! The rows of a multi-row `INSERT`, bound as placeholders.
//!
//! SQLite prepares every distinct statement text apart, and parsing a statement of a few
//! hundred placeholders costs more than inserting its rows: in a profile of ingestion a
//! tenth of the write connection's work was preparing the batch's inserts again, since a
//! batch of 31 rows and one of 33 are two texts, and a few tables times every row count
//! crowd the connection's statement cache. So on SQLite the rows are padded with rows of
//! NULLs up to one of a few sizes and filtered out again, `INSERT INTO t (…) SELECT *
//! FROM (VALUES (…), …) WHERE column1 IS NOT NULL`: each table's inserts have some twenty
//! texts, all prepared once. The first column of every such insert is never NULL in a real
//! row. PostgreSQL gets the rows as they are.

use crate::Dialect;
use sqlx::query::Query;

/// The source of a multi-row `INSERT INTO t (…) {sql}`, and how many NULLs to bind after
/// the real rows' values ([`Values::pad`]).
pub(crate) struct Values {
    pub(crate) sql: String,
    nulls: usize,
}

impl Values {
    /// The source for `rows` rows of `width` values.
    pub(crate) fn new(dialect: Dialect, rows: usize, width: usize) -> Values {
        match dialect {
            Dialect::Postgres => Values { sql: format!("VALUES {}", placeholders(dialect, rows, width)), nulls: 0 },
            Dialect::Sqlite => {
                let padded = padded(rows);
                Values {
                    sql: format!(
                        "SELECT * FROM (VALUES {}) WHERE column1 IS NOT NULL",
                        placeholders(dialect, padded, width)
                    ),
                    nulls: (padded - rows) * width,
                }
            }
        }
    }

    /// Binds the padding rows' NULLs; call it after binding every real row.
    pub(crate) fn pad<'q, DB: sqlx::Database>(
        &self,
        mut query: Query<'q, DB, <DB as sqlx::Database>::Arguments>,
    ) -> Query<'q, DB, <DB as sqlx::Database>::Arguments>
    where
        for<'t> Option<i64>: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    {
        for _ in 0..self.nulls {
            query = query.bind(None::<i64>);
        }
        query
    }
}

/// How many rows a statement of `rows` rows is padded to: up to 4 as they are, then the
/// next of 6, 8, 12, 16, 24, 32, 48, 64, … — two sizes for every doubling, so a table has
/// some twenty statement texts and a statement carries at most a third of padding.
fn padded(rows: usize) -> usize {
    if rows <= 4 {
        return rows.max(1);
    }
    // A quarter of the power of two at or above `rows`: the step between the two sizes of
    // its doubling.
    let step = rows.next_power_of_two() / 4;
    rows.div_ceil(step) * step
}

/// `rows` groups of `width` placeholders for a multi-row `VALUES`: numbered on PostgreSQL,
/// `($1, $2, $3), ($4, $5, $6), …`; anonymous on SQLite, `(?, ?, ?), (?, ?, ?), …`, bound
/// in order — a numbered one costs SQLite a walk along the statement's list of names for
/// every value bound, which grows with the square of the values in a statement.
fn placeholders(dialect: Dialect, rows: usize, width: usize) -> String {
    let mut out = String::with_capacity(rows * width * 5);
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for c in 0..width {
            if c > 0 {
                out.push_str(", ");
            }
            match dialect {
                Dialect::Sqlite => out.push('?'),
                Dialect::Postgres => {
                    out.push('$');
                    out.push_str(&(r * width + c + 1).to_string());
                }
            }
        }
        out.push(')');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{Values, padded, placeholders};
    use crate::Dialect;

    #[test]
    fn placeholders_number_every_value_once() {
        assert_eq!(placeholders(Dialect::Postgres, 1, 2), "($1, $2)");
        assert_eq!(placeholders(Dialect::Postgres, 2, 3), "($1, $2, $3), ($4, $5, $6)");
    }

    #[test]
    fn placeholders_on_sqlite_are_bound_in_order() {
        assert_eq!(placeholders(Dialect::Sqlite, 2, 2), "(?, ?), (?, ?)");
    }

    #[test]
    fn row_counts_take_two_sizes_a_doubling() {
        let sizes: Vec<usize> = (1..=64).map(padded).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
        assert_eq!(sizes, [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64]);
        for rows in 1..=2048 {
            let to = padded(rows);
            assert!(to >= rows && to * 2 <= rows * 3 + 1, "{rows} rows padded to {to}");
        }
    }

    #[test]
    fn sqlite_rows_are_padded_with_nulls_and_filtered() {
        let five = Values::new(Dialect::Sqlite, 5, 2);
        assert_eq!(
            five.sql,
            "SELECT * FROM (VALUES (?, ?), (?, ?), (?, ?), (?, ?), (?, ?), (?, ?)) WHERE column1 IS NOT NULL"
        );
        assert_eq!(five.nulls, 2);
        assert_eq!(Values::new(Dialect::Sqlite, 4, 2).nulls, 0);
        assert_eq!(Values::new(Dialect::Sqlite, 33, 3).nulls, 45);
        // Every count from 33 to 48 shares one text.
        assert_eq!(Values::new(Dialect::Sqlite, 33, 1).sql, Values::new(Dialect::Sqlite, 48, 1).sql);
    }

    #[test]
    fn postgres_rows_are_not_padded() {
        let two = Values::new(Dialect::Postgres, 2, 2);
        assert_eq!(two.sql, "VALUES ($1, $2), ($3, $4)");
        assert_eq!(two.nulls, 0);
    }
}
