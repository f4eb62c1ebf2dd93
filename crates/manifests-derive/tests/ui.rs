//! The derive's errors, as a user sees them: each `tests/ui/*.rs` must fail to compile with the
//! message in the `.stderr` beside it (`TRYBUILD=overwrite` rewrites them after a deliberate
//! change).

#[test]
fn derive_errors() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}
