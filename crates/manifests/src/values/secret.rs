//! A secret setting: a password, key or token given at install time.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

use crate::expr::leaves;

/// A password, key or token. Its schema is `writeOnly` (JSON Schema's mark for secrets), so
/// `emit` refuses a default or an example environment that sets it, and refuses every place
/// its value could reach but a Secret's `stringData` (a ConfigMap, metadata, a plain env
/// `value`, NOTES.txt): give it to a container as an env var from the Secret. `Debug` shows
/// its length only.
#[derive(Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct SecretString(pub String);

/// A string, or an error that names the kind of value given but never the value: a number
/// given for a password is still a password (serde's own message quotes it).
impl<'de> Deserialize<'de> for SecretString {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;
        impl serde::de::Visitor<'_> for Text {
            type Value = SecretString;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<SecretString, E> {
                Ok(SecretString(v.to_string()))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<SecretString, E> {
                Ok(SecretString(v))
            }
            fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<SecretString, E> {
                Err(E::custom("invalid type: a boolean (not shown: a secret), expected a string"))
            }
            fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<SecretString, E> {
                Err(E::custom("invalid type: a number (not shown: a secret), expected a string (quote it in a values file, or use --set-string)"))
            }
            fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<SecretString, E> {
                Err(E::custom("invalid type: a number (not shown: a secret), expected a string (quote it in a values file, or use --set-string)"))
            }
            fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<SecretString, E> {
                Err(E::custom("invalid type: a number (not shown: a secret), expected a string (quote it in a values file, or use --set-string)"))
            }
        }
        deserializer.deserialize_any(Text)
    }
}

impl SecretString {
    /// True when not given.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretString(<{} characters>)", self.0.chars().count())
    }
}

impl From<&str> for SecretString {
    fn from(s: &str) -> Self {
        SecretString(s.to_string())
    }
}

impl JsonSchema for SecretString {
    fn schema_name() -> Cow<'static, str> {
        "SecretString".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "string", "writeOnly": true})
    }
}

leaves!(String: SecretString);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_write_only_and_hidden() {
        let schema = serde_json::to_value(schemars::schema_for!(SecretString)).expect("schema");
        assert_eq!(schema["writeOnly"], true);
        assert_eq!(format!("{:?}", SecretString::from("hunter2")), "SecretString(<7 characters>)");
        let read: SecretString = serde_json::from_value(serde_json::json!("hunter2")).expect("a string");
        assert_eq!(read.0, "hunter2");
    }
}
