//! DF007 add-url.

use crate::lint::finding::{Check, Group, Rule, Severity};
use crate::lint::parse::dockerfile::Dockerfile;

pub static RULE: Rule = Rule {
    id: "DF007",
    name: "add-url",
    group: Group::Dockerfile,
    severity: Severity::Warning,
    summary: "ADD downloads a URL without a checksum",
    doc: "\
What it checks: an `ADD` whose source is an http(s) or git URL, without `--checksum=`.

Why it matters: the build takes whatever the server returns that day; a compromised or
changed download goes into the image unnoticed.

Example:
    bad:  ADD https://example.org/tool.tar.gz /opt/
    good: ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.org/tool.tar.gz /opt/",
};

pub fn check(file: &Dockerfile, c: &mut Check) {
    for i in file.all().filter(|i| i.keyword == "ADD") {
        if i.flags.iter().any(|f| f.starts_with("--checksum=")) {
            continue;
        }
        let sources: Vec<String> = match &i.exec {
            Some(words) => words.iter().rev().skip(1).cloned().collect(),
            None => i.args.split_whitespace().rev().skip(1).map(str::to_string).collect(),
        };
        for source in sources {
            if source.starts_with("http://") || source.starts_with("https://") || source.starts_with("git@") {
                c.report(
                    &RULE,
                    i.pos,
                    format!("ADD {source} without --checksum: the build trusts whatever the server sends"),
                );
            }
        }
    }
}
