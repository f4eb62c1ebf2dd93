//! The values reader (`kforge_values::parse_yaml` and `coalesce`): any text under the size
//! cap parses to a map of values or an error naming the file; never a panic.
#![no_main]

use kforge_values::{coalesce, parse_yaml};
use serde_json::{Value, json};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match parse_yaml("fuzz.yaml", text) {
        Ok(Value::Object(user)) => {
            let defaults = json!({"replicaCount": 1, "image": {"repository": "x", "tag": ""}, "podAnnotations": {}, "tolerations": []});
            let _ = coalesce(&defaults, user);
        }
        Ok(other) => panic!("values that are not a map: {other}"),
        Err(e) => assert!(e.to_string().starts_with("fuzz.yaml"), "an error that does not name the file: {e}"),
    }
});
