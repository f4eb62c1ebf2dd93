//! NOTES.txt: what `helm install` prints afterwards, written with the same expressions.

use crate::template::expr::{Ex, Expr};

/// One line of NOTES.txt, or lines shown only when a condition holds.
#[derive(Clone, Debug)]
pub enum Line {
    /// Text and expressions, joined.
    Text(Vec<Ex>),
    /// The first lines when the condition holds, the second otherwise.
    When(Ex, Vec<Line>, Vec<Line>),
}

impl Line {
    /// One line made of literal text and expressions, joined.
    pub fn of(parts: impl IntoIterator<Item = Expr<String>>) -> Line {
        Line::Text(parts.into_iter().map(|p| p.ex).collect())
    }

    /// A line of literal text.
    pub fn text(s: &str) -> Line {
        Line::of([Expr::from(s)])
    }

    /// `"<what> is installed as <fullname> in namespace <namespace>."`
    pub fn installed(what: &str) -> Line {
        Line::of([format!("{what} is installed as ").into(), crate::template::expr::fullname(), " in namespace ".into(), crate::template::expr::release_namespace(), ".".into()])
    }

    /// `"<label>: kubectl port-forward -n <namespace> svc/<service> <local>:<port>"`.
    pub fn port_forward(label: &str, service: Expr<String>, local: Expr<String>, port: Expr<String>) -> Line {
        Line::of([format!("{label}: kubectl port-forward -n ").into(), crate::template::expr::release_namespace(), " svc/".into(), service, " ".into(), local, ":".into(), port])
    }

    /// `then` only when `test` holds.
    pub fn when(test: impl Into<Expr<bool>>, then: Vec<Line>) -> Line {
        Line::When(test.into().ex, then, Vec::new())
    }

    /// `then` when `test` holds, `otherwise` when it does not.
    pub fn choose(test: impl Into<Expr<bool>>, then: Vec<Line>, otherwise: Vec<Line>) -> Line {
        Line::When(test.into().ex, then, otherwise)
    }
}
