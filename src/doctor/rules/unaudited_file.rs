//! DBPS009 unaudited-file: a file or directory that could hold evidence was not read:
//! it could not be parsed (or hit a parse limit), is binary, too large, unreadable, or
//! a link out of the audited tree. The audit must not fail open: what it could not
//! see is a warning, so `--deny warnings` fails, and always a note too.

use super::{Evidence, Finding, Rule, Severity, Target};
use crate::doctor::model::Loc;
use crate::doctor::walk::Note;

/// The rule.
pub const RULE: Rule = Rule {
    id: "DBPS009",
    name: "unaudited-file",
    severity: Severity::Warning,
    summary: "a file that could hold evidence was not read",
    hint: "make it readable, valid and inside the tree (render templates first), or waive DBPS009 with the reason",
};

/// One finding per note about something that could hold evidence.
pub fn check(notes: &[Note]) -> Vec<Finding> {
    notes
        .iter()
        .filter(|n| n.unaudited)
        .map(|n| {
            Finding::new(
                &RULE,
                format!("`{}` was not audited: {}", n.file, n.message),
                Vec::new(),
                Target::default(),
                vec![Evidence {
                    loc: Loc::new(&n.file, 1),
                    service: None,
                    note: n.message.clone(),
                }],
                Vec::new(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_notes_about_possible_evidence_are_findings() {
        let notes = [
            Note::unaudited("k8s/broken.yaml", "did not find expected key at line 3"),
            Note::info("orders/.env", "skipped: a FIFO, not a regular file"),
        ];
        let found = check(&notes);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].message,
            "`k8s/broken.yaml` was not audited: did not find expected key at line 3"
        );
        assert_eq!(found[0].rule.severity, Severity::Warning);
        assert_eq!(found[0].evidence[0].loc, Loc::new("k8s/broken.yaml", 1));
    }
}
