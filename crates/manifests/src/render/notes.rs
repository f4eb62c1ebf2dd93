//! NOTES.txt: the model's [`Line`]s printed as Go template text.

use super::helm::{self, Ctx, cond};
use crate::model::notes::Line;

/// Appends the template text of `lines` to `out`; `chart` names the chart's helpers.
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
