//! The API's request and response shapes: typed structs converted from the domain types,
//! documented for the OpenAPI schema. Ids travel as UUID strings, times as epoch
//! milliseconds. Request structs refuse unknown fields.

mod admin;
mod contacts;
mod conversations;
mod live;
mod routing;
mod rules;
mod sla;

pub use admin::*;
pub use contacts::*;
pub use conversations::*;
pub use live::*;
pub use routing::*;
pub use rules::*;
pub use sla::*;

use serde::{Deserialize, Deserializer};
use utoipa::openapi::schema::{Object, ObjectBuilder, SchemaType, Type};

fn string_enum(values: impl IntoIterator<Item = &'static str>, nullable: bool) -> Object {
    let ty = if nullable { SchemaType::from_iter([Type::String, Type::Null]) } else { SchemaType::new(Type::String) };
    ObjectBuilder::new().schema_type(ty).enum_values(Some(values)).build()
}

/// Schemas for the domain's text enums, which know their own spellings.
macro_rules! enum_schemas {
    ($($fn:ident, $nullable_fn:ident => $ty:ty),+ $(,)?) => {$(
        #[allow(dead_code)]
        pub(crate) fn $fn() -> Object {
            string_enum(<$ty>::ALL.iter().map(|v| v.as_str()), false)
        }
        #[allow(dead_code)]
        pub(crate) fn $nullable_fn() -> Object {
            string_enum(<$ty>::ALL.iter().map(|v| v.as_str()), true)
        }
    )+};
}

enum_schemas!(
    status_schema, status_schema_nullable => domain::Status,
    priority_schema, priority_schema_nullable => domain::Priority,
    role_schema, role_schema_nullable => domain::Role,
    channel_kind_schema, channel_kind_schema_nullable => domain::ChannelKind,
    inbox_status_schema, inbox_status_schema_nullable => domain::InboxStatus,
    identity_kind_schema, identity_kind_schema_nullable => domain::IdentityKind,
    direction_schema, direction_schema_nullable => domain::Direction,
    message_kind_schema, message_kind_schema_nullable => domain::MessageKind,
    delivery_status_schema, delivery_status_schema_nullable => domain::DeliveryStatus,
    event_kind_schema, event_kind_schema_nullable => domain::EventKind,
    presence_schema, presence_schema_nullable => domain::Presence,
    assignment_policy_schema, assignment_policy_schema_nullable => domain::AssignmentPolicy,
);

/// Deserialises a field that may be absent (leave as is), `null` (clear it) or a value (set it).
pub(crate) fn double_option<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A list response: `{items, next_cursor, total?}`.
macro_rules! list_dto {
    ($(#[$meta:meta])* $name:ident of $item:ty) => {
        $(#[$meta])*
        #[derive(Debug, serde::Serialize, utoipa::ToSchema)]
        pub struct $name {
            /// This page's items.
            pub items: Vec<$item>,
            /// Pass as `cursor` to get the next page; null on the last page.
            pub next_cursor: Option<String>,
            /// How many items the whole list has, when that is known cheaply.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub total: Option<i64>,
        }

        impl $name {
            /// A page of domain values.
            #[allow(dead_code)]
            pub fn from_page<T>(page: domain::Page<T>, total: Option<i64>) -> Self
            where
                $item: From<T>,
            {
                $name {
                    next_cursor: page.next.map(|c| c.encode()),
                    items: page.items.into_iter().map(<$item>::from).collect(),
                    total,
                }
            }

            /// A whole list of domain values.
            #[allow(dead_code)]
            pub fn all<T>(items: Vec<T>) -> Self
            where
                $item: From<T>,
            {
                let total = i64::try_from(items.len()).ok();
                $name { items: items.into_iter().map(<$item>::from).collect(), next_cursor: None, total }
            }
        }
    };
}
pub(crate) use list_dto;

/// The answer of the health check.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Health {
    /// Always `ok` when the server answers.
    pub status: &'static str,
}
