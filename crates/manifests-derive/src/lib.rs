//! `#[derive(Knobs)]`: generates typed handles into an application's values.
//!
//! For a struct `Foo`, the derive writes `FooKnobs`, a struct with the same fields where every
//! field is the handle of that field's type (`Knob<T>` for a leaf, `BarKnobs` for a nested
//! struct), each carrying its path in values.yaml. A build function receives `FooKnobs`, never a
//! `Foo`: it can read where a setting lives, never what it is, so it cannot branch on a concrete
//! value with a plain `if`.
//!
//! For an enum (a closed set of strings in values.yaml), the derive makes the enum a leaf: its
//! handle is a `Knob<Enum>`.
//!
//! Paths follow serde's naming: `#[serde(rename_all = "camelCase")]` on the struct and
//! `#[serde(rename = "...")]` on a field are honoured. A `#[serde(flatten)]` field is a section
//! whose settings sit beside the struct's own (the kit's `PodSettings`, the pod settings
//! `helm create` keeps at the top level): its handles carry the struct's path, not a child of it,
//! and loading reads it on its own when serde reports an error there, to name the setting
//! (serde reads a flattened field from a buffer and loses the path inside it).

#![warn(missing_docs)]

use proc_macro::TokenStream;
use quote::{format_ident, quote};
use syn::{Data, DeriveInput, Fields, parse_macro_input};

/// Derives `Knobbed` (and for an enum `Leaf`) for a `Values` struct or a section of one.
///
/// For a struct `Foo`, it writes `FooKnobs`: the same fields, each the handle of its type
/// (`Knob<T>` for a leaf, `BarKnobs` for a nested section), carrying its path in values.yaml
/// (serde's names: `rename_all = "camelCase"`, `rename`). `build` receives `ValuesKnobs`, so it
/// reads where a setting is, never its value. A `#[serde(flatten)]` field (a section such as
/// `kit::PodSettings`) puts its settings beside the struct's own, and its handles share the
/// struct's path. For an enum, the enum is a leaf (`Knob<Enum>`).
///
/// A struct must have `#[serde(deny_unknown_fields)]` (or be marked
/// `#[knobs(open)]`, a section that takes keys of others on purpose, such as Helm's `global`) and
/// `#[serde(rename_all = "camelCase")]` once a field's name has an underscore. Errors, at the
/// item: those two missing, a tuple struct, a union, and `rename_all` other than `"camelCase"`
/// (`tests/ui/` holds each message). `#[serde(flatten)]` on a field
/// that is not a section (a map, a list, a leaf) fails to compile at `kforge::Section`.
#[proc_macro_derive(Knobs, attributes(knobs))]
pub fn derive_knobs(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match expand(&input) {
        Ok(tokens) => tokens.into(),
        Err(err) => err.to_compile_error().into(),
    }
}

fn expand(input: &DeriveInput) -> syn::Result<proc_macro2::TokenStream> {
    let name = &input.ident;
    let vis = &input.vis;
    match &input.data {
        Data::Enum(_) => Ok(quote! {
            #[automatically_derived]
            impl ::kforge::Knobbed for #name {
                type Handle = ::kforge::Knob<#name>;
                fn handle(path: ::kforge::Path) -> Self::Handle {
                    ::kforge::Knob::at(path)
                }
            }
            #[automatically_derived]
            impl ::kforge::Leaf for #name {
                type Out = ::std::string::String;
            }
        }),
        Data::Struct(data) => {
            let Fields::Named(fields) = &data.fields else {
                return Err(syn::Error::new_spanned(name, "Knobs needs a struct with named fields"));
            };
            let rename_all = serde_attr(&input.attrs, "rename_all")?;
            // A key a section does not know is a typo that would do nothing: serde, the schema
            // (additionalProperties: false) and so Helm must refuse it, unless the section is
            // open on purpose (Helm's `global`).
            if !has_serde_flag(&input.attrs, "deny_unknown_fields")? && !is_open(&input.attrs)? {
                return Err(syn::Error::new_spanned(
                    name,
                    "add `deny_unknown_fields` to this section's #[serde(...)]: without it, a key it does not know (a typo) is taken and does \
                     nothing, in emit and in the chart's schema alike; mark the section #[knobs(open)] if it takes keys of others on \
                     purpose (Helm's `global`)",
                ));
            }
            // Values keys are camelCase (Helm's best practices, `helm create`).
            let snake = fields.named.iter().any(|f| f.ident.as_ref().is_some_and(|i| i.to_string().trim_start_matches("r#").contains('_')));
            if rename_all.is_none() && snake {
                return Err(syn::Error::new_spanned(
                    name,
                    "add `rename_all = \"camelCase\"` to this section's #[serde(...)]: values keys are camelCase (`replicaCount`), as Helm's \
                     best practices and `helm create` have them",
                ));
            }
            let knobs = format_ident!("{}Knobs", name);
            let mut decls = Vec::new();
            let mut inits = Vec::new();
            // Where an error reported at this struct lies, for loading's messages: in a
            // flattened section (read on its own), or below a field (asked in turn).
            let mut flattened = Vec::new();
            let mut below = Vec::new();
            for field in &fields.named {
                let ident = field.ident.as_ref().expect("named field");
                let ty = &field.ty;
                let fvis = &field.vis;
                let docs: Vec<_> = field.attrs.iter().filter(|a| a.path().is_ident("doc")).collect();
                decls.push(quote! {
                    #(#docs)*
                    #fvis #ident: <#ty as ::kforge::Knobbed>::Handle
                });
                if has_serde_flag(&field.attrs, "flatten")? {
                    // A flattened section's settings sit beside this struct's own: its handles
                    // share this struct's path.
                    inits.push(quote! {
                        #ident: <#ty as ::kforge::Knobbed>::handle(path.clone())
                    });
                    flattened.push(quote! {
                        if let ::std::option::Option::Some(found) = ::kforge::values::flattened_error::<#ty>(tree) {
                            return ::std::option::Option::Some(found);
                        }
                    });
                    continue;
                }
                let key = match serde_attr(&field.attrs, "rename")? {
                    Some(explicit) => explicit,
                    None => {
                        let raw = ident.to_string();
                        let raw = raw.trim_start_matches("r#");
                        match rename_all.as_deref() {
                            Some("camelCase") => camel_case(raw),
                            None => raw.to_string(),
                            Some(other) => {
                                return Err(syn::Error::new_spanned(name, format!("Knobs supports rename_all = \"camelCase\" only, not {other:?}")));
                            }
                        }
                    }
                };
                inits.push(quote! {
                    #ident: <#ty as ::kforge::Knobbed>::handle(path.child(#key))
                });
                below.push(quote! {
                    #key => <#ty as ::kforge::Knobbed>::flattened_error(inner, rest).map(|(path, message)| (::kforge::values::child_path(#key, &path), message)),
                });
            }
            let doc = format!("Typed handles into [`{name}`]: each field knows its path in values.yaml.");
            // Type parameters (a section generic over, say, the port names it accepts) must be
            // settings themselves.
            let mut generics = input.generics.clone();
            for param in generics.type_params_mut() {
                param.bounds.push(syn::parse_quote!(::kforge::Knobbed));
                param.bounds.push(syn::parse_quote!(::std::clone::Clone));
                param.bounds.push(syn::parse_quote!(::std::fmt::Debug));
                param.default = None;
            }
            let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
            Ok(quote! {
                #[doc = #doc]
                #[derive(Clone, Debug)]
                #vis struct #knobs #impl_generics #where_clause {
                    #(#decls,)*
                    #[doc(hidden)]
                    pub __path: ::kforge::Path,
                }
                #[automatically_derived]
                impl #impl_generics #knobs #ty_generics #where_clause {
                    /// The handle of this whole section, for pass-through rendering.
                    pub fn whole(&self) -> ::kforge::Knob<#name #ty_generics> {
                        ::kforge::Knob::at(self.__path.clone())
                    }
                }
                #[automatically_derived]
                impl #impl_generics ::kforge::Section for #name #ty_generics #where_clause {}
                #[automatically_derived]
                impl #impl_generics ::kforge::Knobbed for #name #ty_generics #where_clause {
                    type Handle = #knobs #ty_generics;
                    fn handle(path: ::kforge::Path) -> Self::Handle {
                        #knobs { #(#inits,)* __path: path }
                    }
                    fn flattened_error(tree: &::kforge::__serde_json::Value, at: &[::std::string::String]) -> ::std::option::Option<(::std::string::String, ::std::string::String)> {
                        match at.split_first() {
                            ::std::option::Option::None => {
                                #(#flattened)*
                                ::std::option::Option::None
                            }
                            ::std::option::Option::Some((first, rest)) => {
                                let inner = tree.get(first.as_str())?;
                                match first.as_str() {
                                    #(#below)*
                                    _ => ::std::option::Option::None,
                                }
                            }
                        }
                    }
                }
            })
        }
        Data::Union(_) => Err(syn::Error::new_spanned(name, "Knobs does not support unions")),
    }
}

fn camel_case(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for ch in snake.chars() {
        if ch == '_' {
            upper = true;
        } else if upper {
            out.extend(ch.to_uppercase());
            upper = false;
        } else {
            out.push(ch);
        }
    }
    out
}

/// The arguments of the `#[serde(...)]` attributes: `(name, string value)`, the value `None` for
/// a flag (`flatten`) or a value that is no string literal.
fn serde_args(attrs: &[syn::Attribute]) -> syn::Result<Vec<(String, Option<String>)>> {
    let mut args = Vec::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        attr.parse_nested_meta(|meta| {
            let name = meta.path.get_ident().map(ToString::to_string).unwrap_or_default();
            let mut value = None;
            if meta.input.peek(syn::Token![=]) {
                let expr: syn::Expr = meta.value()?.parse()?;
                if let syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(lit), .. }) = expr {
                    value = Some(lit.value());
                }
            } else if meta.input.peek(syn::token::Paren) {
                let _content;
                syn::parenthesized!(_content in meta.input);
            }
            args.push((name, value));
            Ok(())
        })?;
    }
    Ok(args)
}

/// The string value of `#[serde(NAME = "...")]`, if present.
fn serde_attr(attrs: &[syn::Attribute], wanted: &str) -> syn::Result<Option<String>> {
    Ok(serde_args(attrs)?.into_iter().find(|(name, _)| name == wanted).and_then(|(_, value)| value))
}

/// Whether the section is marked `#[knobs(open)]`: it takes keys it does not declare.
fn is_open(attrs: &[syn::Attribute]) -> syn::Result<bool> {
    let mut open = false;
    for attr in attrs.iter().filter(|a| a.path().is_ident("knobs")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("open") {
                open = true;
                Ok(())
            } else {
                Err(meta.error("Knobs knows #[knobs(open)] only"))
            }
        })?;
    }
    Ok(open)
}

/// Whether `#[serde(NAME)]` is present.
fn has_serde_flag(attrs: &[syn::Attribute], wanted: &str) -> syn::Result<bool> {
    Ok(serde_args(attrs)?.iter().any(|(name, _)| name == wanted))
}

#[cfg(test)]
mod tests {
    use super::camel_case;

    #[test]
    fn field_names_become_camel_case_keys_as_serde_renames_them() {
        assert_eq!(camel_case("replica_count"), "replicaCount");
        assert_eq!(camel_case("listen_api"), "listenApi");
        assert_eq!(camel_case("tls"), "tls");
        assert_eq!(camel_case("http_port_2"), "httpPort2");
    }
}
