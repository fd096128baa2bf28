//! DF006 secret-in-arg-env.

use crate::lint::finding::{Check, Group, Rule, Severity};
use crate::lint::parse::dockerfile::Dockerfile;

pub static RULE: Rule = Rule {
    id: "DF006",
    name: "secret-in-arg-env",
    group: Group::Dockerfile,
    severity: Severity::Error,
    summary: "a secret is passed in ARG or ENV",
    doc: "\
What it checks: an `ARG` or `ENV` whose name contains PASSWORD, PASSWD, SECRET, TOKEN,
API_KEY, APIKEY, PRIVATE_KEY, ACCESS_KEY or CREDENTIAL.

Why it matters: ENV values are stored in the image for anyone who pulls it; ARG values are
kept in the image history (`docker history`). Use `RUN --mount=type=secret` at build time and
runtime secrets for the container.

Example:
    bad:  ARG DB_PASSWORD
    good: RUN --mount=type=secret,id=db_password ./configure",
};

const WORDS: &[&str] =
    &["PASSWORD", "PASSWD", "SECRET", "TOKEN", "API_KEY", "APIKEY", "PRIVATE_KEY", "ACCESS_KEY", "CREDENTIAL"];

pub fn check(file: &Dockerfile, c: &mut Check) {
    for i in file.all().filter(|i| matches!(i.keyword.as_str(), "ARG" | "ENV")) {
        // `ENV A=1 B=2`, `ENV A 1`, `ARG A=default`.
        let names: Vec<&str> = if i.keyword == "ENV" && !i.args.split_whitespace().next().unwrap_or("").contains('=') {
            i.args.split_whitespace().take(1).collect()
        } else {
            i.args.split_whitespace().filter_map(|w| w.split('=').next()).collect()
        };
        for name in names {
            let upper = name.to_ascii_uppercase();
            if WORDS.iter().any(|w| upper.contains(w)) {
                c.report(&RULE, i.pos, format!("{} {name}: the value is kept in the image or its history", i.keyword));
            }
        }
    }
}
