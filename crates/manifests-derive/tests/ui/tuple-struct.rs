use kforge_derive::Knobs;

#[derive(Knobs)]
struct Values(u16, String);

fn main() {}
