//! `--set` and its family (`kforge_values::apply`): any argument, under any flag, over values
//! read so far, ends in values or an error, within the depth and item bounds; never a panic.
#![no_main]

use kforge_values::{SetBudget, SetFlag, apply};
use serde_json::{Map, Value};

const FLAGS: [SetFlag; 5] = [SetFlag::Set, SetFlag::String, SetFlag::Json, SetFlag::Literal, SetFlag::File];

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let mut dest = Map::new();
    let mut budget = SetBudget::default();
    // Several arguments in one render share the budget, as a command line's flags do.
    for (i, arg) in text.split('\u{1}').take(8).enumerate() {
        let flag = FLAGS[(first as usize + i) % FLAGS.len()];
        let mut read = |path: &str| if path.len() < 8 { Ok(path.repeat(3)) } else { Err("no such file".to_string()) };
        if let Err(e) = apply(flag, arg, &mut dest, &mut read, &mut budget) {
            assert!(!e.to_string().is_empty());
            return;
        }
    }
    // What was set is a tree serde can write.
    serde_json::to_string(&Value::Object(dest)).expect("values serialize");
});
