//! Rendering a recipe's text files from the handlebars templates in
//! `profiles/templates/`, without HTML escaping and with every value quoted
//! for its format by a helper:
//! - `json`: a JSON string (Dockerfile exec-form ENTRYPOINT/CMD, whose words
//!   Docker does not expand; YAML, which reads JSON strings as its own);
//! - `sh`: one POSIX shell word;
//! - `label`: a double-quoted Dockerfile value made only of `[A-Za-z0-9._:/@+-]`
//!   (anything else becomes `_`: Dockerfile values expand `$` and quotes);
//! - `concat`, `ro`: building values before they are quoted.
//!
//! Paths taken from a trace never appear in the Containerfile: the files
//! are in rootfs.tar.

use super::{Mount, Plan, User};
use crate::shell;
use handlebars::{handlebars_helper, Handlebars};
use serde::Serialize;

const CONTAINERFILE: &str = include_str!("../../templates/Containerfile.hbs");
const CONTAINERFILE_SOURCE: &str = include_str!("../../templates/Containerfile.source.hbs");
const RUN_SH: &str = include_str!("../../templates/run.sh.hbs");
const COMPOSE: &str = include_str!("../../templates/compose.yaml.hbs");

/// Everything the templates see: what the CLI knows, and what the plan decided.
#[derive(Debug, Clone, Serialize)]
pub struct View {
    #[serde(flatten)]
    pub base: ViewBase,
    pub ports: Vec<u16>,
    pub volumes: Vec<Mount>,
    pub tmpfs: Vec<String>,
    /// `-p ADDR:PORT:PORT ...` for run.sh.
    pub publish: String,
    /// Target triple of the from-source variant.
    pub rust_target: String,
}

impl View {
    pub fn new(plan: &Plan, mut base: ViewBase) -> View {
        base.publish_address = bracketed(&base.publish_address);
        let publish =
            plan.ports.iter().map(|p| format!("-p {}:{p}:{p}", base.publish_address)).collect::<Vec<_>>().join(" ");
        View {
            rust_target: format!("{}-unknown-linux-gnu", base.arch),
            base,
            ports: plan.ports.clone(),
            volumes: plan.volumes.clone(),
            tmpfs: plan.tmpfs.clone(),
            publish,
        }
    }
}

/// What the CLI knows beyond the plan.
#[derive(Debug, Clone, Serialize)]
pub struct ViewBase {
    pub name: String,
    pub image: String,
    pub arch: String,
    /// The executable's path in the image.
    pub binary: String,
    pub cmd: Vec<String>,
    pub user: User,
    /// The one address ports are published on.
    pub publish_address: String,
    pub seccomp: bool,
    /// The AppArmor profile's name, when one was generated.
    pub apparmor: Option<String>,
    /// Cargo package of the from-source variant.
    pub package: String,
}

/// An IPv6 address in brackets, as `-p` wants it.
fn bracketed(address: &str) -> String {
    if address.contains(':') && !address.starts_with('[') {
        format!("[{address}]")
    } else {
        address.to_string()
    }
}

handlebars_helper!(json_helper: |value: Json| serde_json::to_string(value).unwrap_or_default());
handlebars_helper!(sh_helper: |value: str| shell::quote(value));
handlebars_helper!(label_helper: |value: str| {
    let clean: String = value
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || "._:/@+-".contains(c) { c } else { '_' })
        .collect();
    format!("\"{clean}\"")
});
handlebars_helper!(ro_helper: |writable: bool| if writable { "" } else { ",readonly" });
handlebars_helper!(concat_helper: |*args| args.iter().map(|a| match a {
    serde_json::Value::String(s) => s.clone(),
    other => other.to_string(),
}).collect::<String>());

fn registry() -> Handlebars<'static> {
    let mut hb = Handlebars::new();
    hb.register_escape_fn(handlebars::no_escape);
    hb.set_strict_mode(true);
    hb.register_helper("json", Box::new(json_helper));
    hb.register_helper("sh", Box::new(sh_helper));
    hb.register_helper("label", Box::new(label_helper));
    hb.register_helper("ro", Box::new(ro_helper));
    hb.register_helper("concat", Box::new(concat_helper));
    for (name, text) in [
        ("Containerfile", CONTAINERFILE),
        ("Containerfile.source", CONTAINERFILE_SOURCE),
        ("run.sh", RUN_SH),
        ("compose.yaml", COMPOSE),
    ] {
        hb.register_template_string(name, text).expect("the templates shipped with cinch parse");
    }
    hb
}

/// The rendered files, by name: Containerfile, Containerfile.source, run.sh, compose.yaml.
pub fn render(view: &View) -> Result<Vec<(&'static str, String)>, handlebars::RenderError> {
    let hb = registry();
    ["Containerfile", "Containerfile.source", "run.sh", "compose.yaml"]
        .into_iter()
        .map(|name| Ok((name, hb.render(name, view)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(binary: &str, cmd: &[&str]) -> View {
        let plan = Plan {
            entries: vec![],
            volumes: vec![Mount {
                path: "/data/res'ults $x".into(),
                volume: "mascot-worker-res_ults__x".into(),
                writable: true,
            }],
            tmpfs: vec!["/tmp".into()],
            ports: vec![5001],
            notes: vec![],
        };
        let base = ViewBase {
            name: "mascot-worker".into(),
            image: "cinch/mascot-worker:hardened".into(),
            arch: "x86_64".into(),
            binary: binary.into(),
            cmd: cmd.iter().map(|s| s.to_string()).collect(),
            user: User { name: "mascot-worker".into(), uid: 10001, gid: 10001 },
            publish_address: "127.0.0.1".into(),
            seccomp: true,
            apparmor: Some("mascot-worker".into()),
            package: "mascot-worker".into(),
        };
        View::new(&plan, base)
    }

    #[test]
    fn hostile_values_stay_inside_their_quotes() {
        let files = render(&view("/bin/x\"]\nRUN rm -rf /", &["--a", "b c\nUSER 0", "$(id)"])).unwrap();
        let containerfile = &files[0].1;
        // One logical line each: the newline is a JSON escape.
        assert!(containerfile.contains(r#"ENTRYPOINT ["/bin/x\"]\nRUN rm -rf /"]"#), "{containerfile}");
        assert!(containerfile.contains(r#"CMD ["--a", "b c\nUSER 0", "$(id)"]"#), "{containerfile}");
        assert!(!containerfile.lines().any(|l| l.starts_with("RUN") || l == "USER 0"));
        let run = &files[2].1;
        assert!(
            run.contains(r#"--mount 'type=volume,source=mascot-worker-res_ults__x,target=/data/res'\''ults $x' \"#),
            "{run}"
        );
    }
}
