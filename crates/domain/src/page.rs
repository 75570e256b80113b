//! Keyset pagination: a page of items and the opaque cursor that continues after its last.

use crate::DomainError;
use uuid::Uuid;

/// Where the next page starts: the sort key and id of the last item seen. Sort order is
/// always (key, id) descending, so newer items come first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// The sort key of the last item seen (a time in ms, or a sequence number).
    pub key: i64,
    /// The id of the last item seen, to break ties.
    pub id: Uuid,
}

impl Cursor {
    /// The opaque text form handed to clients.
    pub fn encode(&self) -> String {
        format!("{}.{}", self.key, self.id.simple())
    }

    /// Parses a cursor a client sent back; `field` names the parameter it came in.
    pub fn decode(text: &str, field: &str) -> Result<Self, DomainError> {
        let bad = || DomainError::invalid(field, "not a cursor returned by a previous page");
        let (key, id) = text.split_once('.').ok_or_else(bad)?;
        Ok(Cursor { key: key.parse().map_err(|_| bad())?, id: Uuid::parse_str(id).map_err(|_| bad())? })
    }
}

/// One page of a keyset-paginated list.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The items, newest first.
    pub items: Vec<T>,
    /// Present when there may be more items after these.
    pub next: Option<Cursor>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` fetched rows: the extra row only says there is more.
    pub fn from_rows(mut rows: Vec<T>, limit: usize, cursor_of: impl Fn(&T) -> Cursor) -> Self {
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next = if more { rows.last().map(cursor_of) } else { None };
        Page { items: rows, next }
    }

    /// Applies `f` to every item, keeping the cursor.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { items: self.items.into_iter().map(f).collect(), next: self.next }
    }
}

/// Page sizes accepted from clients.
pub const MAX_PAGE: usize = 100;

/// Checks a requested page size (default 25, at most [`MAX_PAGE`]).
pub fn page_limit(requested: Option<u32>, field: &str) -> Result<usize, DomainError> {
    match requested {
        None => Ok(25),
        Some(0) => Err(DomainError::invalid(field, "must be at least 1")),
        Some(n) if n as usize > MAX_PAGE => Err(DomainError::invalid(field, format!("must be at most {MAX_PAGE}"))),
        Some(n) => Ok(n as usize),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_rejects_garbage() {
        let c = Cursor { key: 1_700_000_000_000, id: Uuid::now_v7() };
        assert_eq!(Cursor::decode(&c.encode(), "cursor").unwrap(), c);
        assert!(Cursor::decode("12", "cursor").is_err());
        assert!(Cursor::decode("x.y", "cursor").is_err());
    }

    #[test]
    fn page_keeps_limit_and_reports_more() {
        let p = Page::from_rows(vec![3, 2, 1], 2, |n| Cursor { key: *n, id: Uuid::nil() });
        assert_eq!(p.items, vec![3, 2]);
        assert_eq!(p.next.unwrap().key, 2);
        let p = Page::from_rows(vec![3, 2], 2, |n| Cursor { key: *n, id: Uuid::nil() });
        assert!(p.next.is_none());
    }
}
