use kforge_derive::Knobs;

#[derive(Knobs)]
union Values {
    port: u16,
    replicas: u32,
}

fn main() {}
