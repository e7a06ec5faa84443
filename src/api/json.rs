//! JSON bodies as the API's writes take them: strictly. A key given twice is refused
//! rather than read as whichever came last, and a handler names the fields it knows.

use super::{ApiError, ConfigError};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

/// A JSON body in which no object names a key twice: `{"value": 1, "value": 2}` is refused
/// (422) rather than read as whichever came last.
pub struct StrictJson(pub Value);

impl<S: Send + Sync> axum::extract::FromRequest<S> for StrictJson {
    type Rejection = Response;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, Response> {
        let Json(UniqueKeys(value)) = Json::<UniqueKeys>::from_request(request, state)
            .await
            .map_err(|rejection| match rejection.status() {
                StatusCode::UNPROCESSABLE_ENTITY => {
                    ApiError(ConfigError::invalid("body", rejection.body_text())).into_response()
                }
                status => (
                    status,
                    Json(json!({ "error": rejection.body_text(), "fields": [] })),
                )
                    .into_response(),
            })?;
        Ok(StrictJson(value))
    }
}

/// A JSON value whose objects have unique keys.
struct UniqueKeys(Value);

impl<'de> serde::Deserialize<'de> for UniqueKeys {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = UniqueKeys;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_bool<E>(self, v: bool) -> Result<UniqueKeys, E> {
                Ok(UniqueKeys(Value::Bool(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<UniqueKeys, E> {
                Ok(UniqueKeys(Value::from(v)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<UniqueKeys, E> {
                Ok(UniqueKeys(Value::from(v)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<UniqueKeys, E> {
                Ok(UniqueKeys(Value::from(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<UniqueKeys, E> {
                Ok(UniqueKeys(Value::String(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<UniqueKeys, E> {
                Ok(UniqueKeys(Value::String(v)))
            }
            fn visit_unit<E>(self) -> Result<UniqueKeys, E> {
                Ok(UniqueKeys(Value::Null))
            }
            fn visit_none<E>(self) -> Result<UniqueKeys, E> {
                Ok(UniqueKeys(Value::Null))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<UniqueKeys, A::Error> {
                let mut items = Vec::new();
                while let Some(UniqueKeys(item)) = seq.next_element()? {
                    items.push(item);
                }
                Ok(UniqueKeys(Value::Array(items)))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<UniqueKeys, A::Error> {
                let mut object = serde_json::Map::new();
                while let Some((key, UniqueKeys(value))) = map.next_entry::<String, UniqueKeys>()? {
                    if object.insert(key.clone(), value).is_some() {
                        return Err(serde::de::Error::custom(format!("duplicate key {key:?}")));
                    }
                }
                Ok(UniqueKeys(Value::Object(object)))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// Refuses any key of `body` that is not one of `known`.
pub fn only_fields(body: &Value, known: &[&str]) -> Result<(), ApiError> {
    let Some(object) = body.as_object() else {
        return Err(ApiError(ConfigError::invalid(
            "body",
            "must be a JSON object",
        )));
    };
    let mut errors = crate::domain::FieldErrors::default();
    for key in object.keys().filter(|k| !known.contains(&k.as_str())) {
        errors.push(
            key.clone(),
            format!("is not a field here (expected: {})", known.join(", ")),
        );
    }
    errors.finish(|| ()).map_err(ApiError)
}

/// A JSON body as the request type `T` (whose `deny_unknown_fields` names a stray field), or
/// a field error under `body`.
pub fn typed<T: serde::de::DeserializeOwned>(body: Value) -> Result<T, ConfigError> {
    serde_json::from_value(body).map_err(|e| ConfigError::invalid("body", e.to_string()))
}
