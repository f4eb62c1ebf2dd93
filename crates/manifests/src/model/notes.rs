//! NOTES.txt: what `helm install` prints afterwards, written with the same expressions.

use crate::template::expr::{Ex, Expr};
use crate::render::helm::{self, Ctx, cond};

#[derive(Clone, Debug)]
pub enum Line {
    Text(Vec<Ex>),
    When(Ex, Vec<Line>, Vec<Line>),
}

impl Line {
    /// One line made of literal text and expressions, joined.
    pub fn of(parts: impl IntoIterator<Item = Expr<String>>) -> Line {
        Line::Text(parts.into_iter().map(|p| p.ex).collect())
    }

    pub fn text(s: &str) -> Line {
        Line::of([Expr::from(s)])
    }

    /// "<what> is installed as <fullname> in namespace <namespace>."
    pub fn installed(what: &str) -> Line {
        Line::of([format!("{what} is installed as ").into(), crate::template::expr::fullname(), " in namespace ".into(), crate::template::expr::release_namespace(), ".".into()])
    }

    /// "<label>: kubectl port-forward -n <namespace> svc/<service> <local>:<port>".
    pub fn port_forward(label: &str, service: Expr<String>, local: Expr<String>, port: Expr<String>) -> Line {
        Line::of([
            format!("{label}: kubectl port-forward -n ").into(),
            crate::template::expr::release_namespace(),
            " svc/".into(),
            service,
            " ".into(),
            local,
            ":".into(),
            port,
        ])
    }

    pub fn when(test: impl Into<Expr<bool>>, then: Vec<Line>) -> Line {
        Line::When(test.into().ex, then, Vec::new())
    }

    pub fn choose(test: impl Into<Expr<bool>>, then: Vec<Line>, otherwise: Vec<Line>) -> Line {
        Line::When(test.into().ex, then, otherwise)
    }
}

pub(crate) fn render(lines: &[Line], chart: &str, out: &mut String) {
    let c = Ctx { chart, in_range: false };
    for (i, line) in lines.iter().enumerate() {
        match line {
            Line::Text(parts) => {
                let start = out.len();
                for p in parts {
                    out.push_str(&helm::text(p, c));
                }
                // A directive's `{{-` eats every newline before it: a blank line right before
                // one (the next line's `if`, or the `end` of this block) is kept by an action.
                let directive_next = matches!(lines.get(i + 1), None | Some(Line::When(..)));
                if out.len() == start && directive_next {
                    out.push_str("{{ \"\" }}");
                }
                out.push('\n');
            }
            Line::When(test, then, otherwise) => {
                out.push_str(&format!("{{{{- if {} }}}}\n", cond(test, c)));
                render(then, chart, out);
                if !otherwise.is_empty() {
                    out.push_str("{{- else }}\n");
                    render(otherwise, chart, out);
                }
                out.push_str("{{- end }}\n");
            }
        }
    }
}
