//! Which settings a template reads: every `.Values` path an expression or a tree can look at,
//! including those the `_helpers.tpl` helpers read (`nameOverride`, `fullnameOverride`,
//! `serviceAccount.*`). The dead-settings rule compares them with the settings a chart declares.

use std::collections::BTreeSet;

use crate::template::expr::{Ex, Helper, Root};
use crate::template::tree::{Entry, Item, Node};

/// Paths under `.Values`, as keys (`["persistence", "size"]`). Reading a path reads everything
/// under it (a map spread, a list ranged over), and everything above it is read in part.
pub type Reads = BTreeSet<Vec<String>>;

fn path(keys: &[&str]) -> Vec<String> {
    keys.iter().map(|k| k.to_string()).collect()
}

/// Adds what `ex` reads to `out`. A range variable's paths are not added: the list it ranges
/// over is, and covers them.
pub fn ex(e: &Ex, out: &mut Reads) {
    walk(e, false, out)
}

/// Adds the settings whose value `e` can carry into what it renders: a setting read only to
/// decide something (a condition, a comparison, whether it is set) is not added. What a secret
/// setting may reach is judged by these.
pub fn values_of(e: &Ex, out: &mut Reads) {
    walk(e, true, out)
}

fn walk(e: &Ex, values_only: bool, out: &mut Reads) {
    let ex = |e: &Ex, out: &mut Reads| walk(e, values_only, out);
    if values_only {
        match e {
            // Booleans: what they read decides, and does not show.
            Ex::Eq(..)
            | Ex::Lt(..)
            | Ex::Not(_)
            | Ex::And(_)
            | Ex::Or(_)
            | Ex::IsSet(_)
            | Ex::NonZero(_)
            | Ex::Present(_)
            | Ex::Named(..)
            | Ex::Len(_)
            | Ex::Shaped(..)
            | Ex::AtLeastVersion(..) => return,
            Ex::Ternary(_, then, otherwise) => {
                ex(then, out);
                ex(otherwise, out);
                return;
            }
            _ => {}
        }
    }
    match e {
        Ex::Lit(_) | Ex::Release(_) | Ex::Chart(_) | Ex::Checksum(_) => {}
        Ex::Get(p) => {
            if p.root == Root::Values {
                out.insert(p.keys.clone());
            }
        }
        Ex::Helper(h) => match h {
            Helper::Name => {
                out.insert(path(&["nameOverride"]));
            }
            Helper::Fullname => {
                out.insert(path(&["nameOverride"]));
                out.insert(path(&["fullnameOverride"]));
            }
            Helper::ServiceAccountName => {
                out.extend([path(&["nameOverride"]), path(&["fullnameOverride"]), path(&["serviceAccount", "create"]), path(&["serviceAccount", "name"])]);
            }
            Helper::Chart => {}
        },
        Ex::Concat(items) | Ex::And(items) | Ex::Or(items) | Ex::List(items) => items.iter().for_each(|i| ex(i, out)),
        Ex::Default(a, b) | Ex::Eq(a, b) | Ex::Lt(a, b) => {
            ex(a, out);
            ex(b, out);
        }
        Ex::Ternary(a, b, c) => {
            ex(a, out);
            ex(b, out);
            ex(c, out);
        }
        Ex::Not(a)
        | Ex::IsSet(a)
        | Ex::NonZero(a)
        | Ex::Present(a)
        | Ex::PortOf(a)
        | Ex::IntStr(a)
        | Ex::BoolStr(a)
        | Ex::Required(a, _)
        | Ex::Digest(a)
        | Ex::PercentEncode(a)
        | Ex::NumStr(a)
        | Ex::Len(a)
        | Ex::Shaped(a, _)
        | Ex::AtLeastVersion(a, _)
        | Ex::Matches(a, _)
        | Ex::Problem(_, a, _) => ex(a, out),
        Ex::Named(_, inner) => ex(inner, out),
        Ex::Dict(entries) => entries.iter().for_each(|(_, v)| ex(v, out)),
    }
}

/// Adds what a tree node reads.
pub fn node(n: &Node, out: &mut Reads) {
    node_in(n, false, out)
}

/// Adds what map entries read.
pub fn entries(list: &[Entry], out: &mut Reads) {
    entries_in(list, false, out)
}

/// Adds the settings whose value map entries can carry into what they render (see
/// [`values_of`]): gates are left out.
pub fn values_in_entries(list: &[Entry], out: &mut Reads) {
    entries_in(list, true, out)
}

/// Adds the settings whose value a tree node can carry into what it renders (see
/// [`values_of`]): gates are left out.
pub fn node_values(n: &Node, out: &mut Reads) {
    node_in(n, true, out)
}

fn node_in(n: &Node, v: bool, out: &mut Reads) {
    match n {
        Node::Scalar(e, _) | Node::Raw(e) => walk(e, v, out),
        Node::Map(entries) => entries_in(entries, v, out),
        Node::List(list) => items_in(list, v, out),
    }
}

fn entries_in(list: &[Entry], v: bool, out: &mut Reads) {
    for e in list {
        match e {
            Entry::Field(_, n) => node_in(n, v, out),
            Entry::When(cond, then, otherwise) => {
                if !v {
                    walk(cond, v, out);
                }
                entries_in(then, v, out);
                entries_in(otherwise, v, out);
            }
            Entry::Spread(e) => walk(e, v, out),
            // The label helpers read the chart and the release only.
            Entry::Labels(_) => {}
        }
    }
}

fn items_in(list: &[Item], v: bool, out: &mut Reads) {
    for i in list {
        match i {
            Item::One(n) => node_in(n, v, out),
            Item::When(cond, then, otherwise) => {
                if !v {
                    walk(cond, v, out);
                }
                items_in(then, v, out);
                items_in(otherwise, v, out);
            }
            // The items' values flow into the body through the range variable.
            Item::Range(_, over, body) => {
                walk(over, v, out);
                node_in(body, v, out);
            }
            Item::Spread(e) => walk(e, v, out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::expr::{Expr, Path};
    use crate::template::tree::Map;

    #[test]
    fn gates_ranges_and_helpers_are_reads() {
        let enabled: Expr<bool> = Expr::wrap(Ex::Get(Path::values().child("pdb").child("enabled")));
        let size: Expr<String> = Expr::wrap(Ex::Get(Path::values().child("persistence").child("size")));
        let host: Expr<String> = Expr::wrap(Ex::Get(Path::var("host").child("host")));
        let map = Map::new().field("size", Node::str(size)).when(enabled, Map::new().field("name", Node::str(Expr::wrap(Ex::Helper(Helper::Fullname)))));
        let list = vec![Item::Range("host", Ex::Get(Path::values().child("ingress").child("hosts")), Box::new(Node::str(host)))];
        let mut out = Reads::new();
        entries(&map.entries, &mut out);
        items_in(&list, false, &mut out);
        let got: Vec<String> = out.iter().map(|k| k.join(".")).collect();
        assert_eq!(got, ["fullnameOverride", "ingress.hosts", "nameOverride", "pdb.enabled", "persistence.size"]);
    }

    #[test]
    fn values_leave_out_what_only_decides() {
        let password: Expr<String> = Expr::wrap(Ex::Get(Path::values().child("password")));
        let user: Expr<String> = Expr::wrap(Ex::Get(Path::values().child("user")));
        let gated = Map::new().when(password.is_set(), Map::new().field("user", Node::str(user.clone())));
        let mut out = Reads::new();
        values_in_entries(&gated.entries, &mut out);
        assert_eq!(out, Reads::from([vec!["user".to_string()]]));
        let shown = Map::new().field("both", Node::str(crate::template::expr::concat([user, password])));
        values_in_entries(&shown.entries, &mut out);
        assert!(out.contains(&vec!["password".to_string()]));
    }
}
