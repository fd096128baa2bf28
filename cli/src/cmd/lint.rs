//! `cinch lint`: the CI gate for seccomp profiles, AppArmor profiles, userns
//! files, Dockerfiles, compose files, `docker run` lines and OCI configs. The
//! rules are in cinch-profiles (lint/); this reads the files, follows
//! `seccomp=FILE` references, runs apparmor_parser and picks the output.

use crate::apparmor_parser::{self, Compiled};
use crate::exit;
use crate::output::{print_stdout, PendingOutput};
use anyhow::{anyhow, bail, Context, Result};
use cinch_profiles::lint::{self, output, Config, Env, FileLint, Finding, Kind, Linted, Severity};
use clap::builder::TypedValueParser;
use clap::{Args, ValueEnum};
use std::collections::BTreeSet;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Check security artifacts: seccomp, AppArmor, userns, Dockerfiles, compose, run flags, OCI.
///
/// Each file's kind is detected from its name and content (or given with
/// --kind); directories are walked, skipping files of no known kind. A
/// `--security-opt seccomp=FILE` in a script or compose file is followed and
/// that profile is linted too. A file that does not parse is a finding
/// (LINT001) with its line. Suppress a finding inline with
/// `# cinch: ignore=ID reason` on its line or the line above, or in
/// .cinch.toml. `cinch explain ID` prints what a rule checks and why.
#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  \
    cinch lint .\n  \
    cinch lint seccomp.json mascot-worker.apparmor deploy/run.sh\n  \
    cinch lint --format sarif -o cinch.sarif .\n  \
    cinch lint --kind shell notes.txt\n\n\
    Exit status: 0 no finding at or above --fail-on; 1 findings; 2 usage or I/O error.")]
pub struct LintArgs {
    /// Files and directories to check (default: the current directory)
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,

    /// Treat every named file as this kind instead of detecting it
    /// (files found by walking a directory are still detected)
    #[arg(long, value_parser = kind_parser())]
    kind: Option<Kind>,

    /// tty: for people; json: stable schema; sarif: SARIF 2.1.0 for code
    /// scanning; github: workflow annotations
    #[arg(long, value_enum, default_value_t = Format::Tty)]
    format: Format,

    /// Exit 1 when a finding is at or above this severity
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    fail_on: FailOn,

    /// Ignores and severity overrides (default: ./.cinch.toml if present)
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,

    /// Write the report to FILE (atomically) instead of standard output
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Tty,
    Json,
    Sarif,
    Github,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Note,
}

/// `--kind`: the names of [`Kind`], listed in the help.
fn kind_parser() -> impl TypedValueParser<Value = Kind> {
    clap::builder::PossibleValuesParser::new(Kind::ALL.map(Kind::as_str))
        .map(|name| Kind::parse(&name).expect("a name from Kind::ALL"))
}

/// Directories a walk never enters.
const SKIPPED_DIRS: &[&str] = &["target", "node_modules"];

pub fn run(args: LintArgs) -> Result<u8> {
    let config = read_config(args.config.as_deref())?;
    let output = args.output.as_deref().map(PendingOutput::reserve).transpose()?;
    let paths = if args.paths.is_empty() { vec![PathBuf::from(".")] } else { args.paths.clone() };

    // Every file to lint, named files first, with what decides its kind; and
    // the trees a symbolic link or a reference may lead into.
    let mut queue: Vec<(PathBuf, Source)> = Vec::new();
    let mut roots: Vec<PathBuf> =
        std::env::current_dir().ok().and_then(|d| d.canonicalize().ok()).into_iter().collect();
    for path in &paths {
        let meta = std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
        let tree = if meta.is_dir() { Some(path.as_path()) } else { path.parent() };
        roots
            .extend(tree.and_then(|t| (if t.as_os_str().is_empty() { Path::new(".") } else { t }).canonicalize().ok()));
        if meta.is_dir() {
            queue.extend(walk(path)?.into_iter().map(|file| (file, Source::Walked)));
        } else {
            queue.push((path.clone(), Source::Named(args.kind)));
        }
    }

    let parser = apparmor_parser::find();
    let compile = |text: &str| -> std::result::Result<(), lint::ParserRefusal> {
        match apparmor_parser::compile(text) {
            Ok(Compiled::Refused(refusal)) => Err(refusal),
            Ok(Compiled::Accepted | Compiled::NoParser) => Ok(()),
            // The parser is installed but could not be run: say so as its refusal.
            Err(e) => Err(lint::ParserRefusal { message: format!("{e:#}") }),
        }
    };
    let env = Env { compile_apparmor: parser.as_ref().map(|_| &compile as &lint::Compile) };
    let env = LintEnv { env, roots };

    // In rounds: every queued file not seen yet is linted (on all cores:
    // apparmor_parser takes most of the time), then the seccomp profiles
    // they reference are queued for the next round.
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut seen: BTreeSet<PathBuf> = BTreeSet::new();
    let mut linted: Vec<Linted> = Vec::new();
    let mut extra: Vec<Finding> = Vec::new();
    let mut at = 0;
    while at < queue.len() {
        let round: Vec<(PathBuf, Source)> = queue[at..]
            .iter()
            .filter(|(path, _)| seen.insert(std::fs::canonicalize(path).unwrap_or_else(|_| path.clone())))
            .cloned()
            .collect();
        at = queue.len();
        for ((path, _), result) in round.iter().zip(lint_all(&round, &env, workers)) {
            let (kind, bytes, lint) = match result? {
                Outcome::Skipped => continue,
                Outcome::NotRead(finding) => {
                    extra.push(finding);
                    continue;
                }
                Outcome::Linted(kind, bytes, lint) => (kind, bytes, lint),
            };
            let shown = show(path);
            for reference in &lint.references {
                let target = resolve(path, &reference.path);
                if !target.is_file() {
                    extra.push(lint::missing_reference(&shown, reference));
                } else if !inside(&target, &env.roots) {
                    extra.push(lint::unfollowed_reference(&shown, reference, "outside the tree being linted"));
                } else {
                    queue.push((target, Source::Reference));
                }
            }
            linted.push(Linted { path: shown, kind, text: String::from_utf8_lossy(&bytes).into_owned(), lint });
        }
    }
    if parser.is_none() && linted.iter().any(|f| f.kind == Kind::Apparmor) {
        say!("cinch lint: apparmor_parser is not installed, so AppArmor profiles were not compiled (AA009 skipped)");
    }

    let report = lint::finish(&linted, extra, &config);
    let version = env!("CARGO_PKG_VERSION");
    let text = match args.format {
        Format::Tty => {
            let color = output.is_none()
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            let source = |path: &str| linted.iter().find(|f| f.path == path).map(|f| f.text.as_str());
            output::tty::render(&report, &source, color)
        }
        Format::Json => output::json::render(&report, version),
        Format::Sarif => output::sarif::render(&report, version),
        Format::Github => output::github::render(&report),
    };
    match output {
        Some(pending) => pending.commit(text.as_bytes())?,
        None => print_stdout(&text)?,
    }
    let threshold = match args.fail_on {
        FailOn::Error => Severity::Error,
        FailOn::Warning => Severity::Warning,
        FailOn::Note => Severity::Note,
    };
    Ok(if report.worst().is_some_and(|worst| worst >= threshold) { exit::FINDINGS } else { exit::OK })
}

/// How a file came to be linted, which decides how its kind is known.
#[derive(Debug, Clone, Copy)]
enum Source {
    /// Named on the command line, with `--kind` if given: detected otherwise,
    /// and an error when that fails.
    Named(Option<Kind>),
    /// Found by walking a directory: skipped when of no known kind.
    Walked,
    /// A `seccomp=FILE` a linted file references.
    Reference,
}

/// What linting one file gave.
enum Outcome {
    /// A walked file of no known kind.
    Skipped,
    /// A file not read (LINT004).
    NotRead(Finding),
    Linted(Kind, Vec<u8>, FileLint),
}

/// The linter's environment and the trees lint may read in.
struct LintEnv<'a> {
    env: Env<'a>,
    /// Canonical: the working directory and each named path's tree.
    roots: Vec<PathBuf>,
}

/// Whether `path`, resolved, is inside one of `roots`.
fn inside(path: &Path, roots: &[PathBuf]) -> bool {
    path.canonicalize().is_ok_and(|real| roots.iter().any(|root| real.starts_with(root)))
}

/// The bytes of a file lint may read, or why it is not read: a symbolic link
/// is followed only into `roots`; only a regular file of at most
/// `lint::MAX_INPUT` bytes is read (a FIFO is refused before it can block).
fn read_lintable(path: &Path, roots: &[PathBuf]) -> Result<std::result::Result<Vec<u8>, String>> {
    use std::io::Read;
    use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
    let link = std::fs::symlink_metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    if link.file_type().is_symlink() {
        match path.canonicalize() {
            Err(_) => return Ok(Err("a symbolic link to nothing".into())),
            Ok(real) if !roots.iter().any(|root| real.starts_with(root)) => {
                // Named as the link has it (the resolved path can name a pid, and differ by run).
                let target =
                    std::fs::read_link(path).map_or_else(|_| real.display().to_string(), |t| t.display().to_string());
                return Ok(Err(format!("a symbolic link out of the tree being linted (to {target})")));
            }
            Ok(_) => {}
        }
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let meta = file.metadata().with_context(|| format!("cannot read {}", path.display()))?;
    let kind = meta.file_type();
    if !kind.is_file() {
        let what = if kind.is_fifo() {
            "a FIFO"
        } else if kind.is_char_device() || kind.is_block_device() {
            "a device"
        } else if kind.is_socket() {
            "a socket"
        } else {
            "not a regular file"
        };
        return Ok(Err(format!("{what}, not a regular file")));
    }
    let limit = lint::MAX_INPUT as u64;
    if meta.len() > limit {
        return Ok(Err(format!("{} bytes, over the {} KiB lint reads", meta.len(), limit >> 10)));
    }
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes).with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.len() as u64 > limit {
        return Ok(Err(format!("grew past the {} KiB lint reads", limit >> 10)));
    }
    Ok(Ok(bytes))
}

/// Reads, detects and lints `files` on `workers` threads; results in order.
fn lint_all(files: &[(PathBuf, Source)], env: &LintEnv, workers: usize) -> Vec<Result<Outcome>> {
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<Result<Outcome>>>> = files.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..workers.clamp(1, files.len().max(1)) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((path, source)) = files.get(i) else { break };
                *slots[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(lint_one(path, *source, env));
            });
        }
    });
    slots
        .into_iter()
        .map(|slot| {
            slot.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .unwrap_or_else(|| Err(anyhow!("a lint worker stopped")))
        })
        .collect()
}

fn lint_one(path: &Path, source: Source, env: &LintEnv) -> Result<Outcome> {
    let bytes = match read_lintable(path, &env.roots)? {
        Ok(bytes) => bytes,
        // A walked file is reported only if its name says it is one lint checks.
        Err(_) if matches!(source, Source::Walked) && lint::kind::detect(path, "").is_none() => {
            return Ok(Outcome::Skipped)
        }
        Err(why) => return Ok(Outcome::NotRead(lint::not_read(&show(path), &why))),
    };
    let kind = match source {
        Source::Named(Some(kind)) => kind,
        Source::Reference => Kind::Seccomp,
        Source::Named(None) | Source::Walked => match lint::kind::detect(path, &String::from_utf8_lossy(&bytes)) {
            Some(kind) => kind,
            None if matches!(source, Source::Walked) => return Ok(Outcome::Skipped),
            None => bail!(
                "{}: cannot tell what kind of file this is; give --kind (cinch lint --help lists them)",
                path.display()
            ),
        },
    };
    let lint = lint::lint_file(kind, &show(path), &bytes, &env.env);
    Ok(Outcome::Linted(kind, bytes, lint))
}

fn read_config(explicit: Option<&Path>) -> Result<Config> {
    let path = match explicit {
        Some(path) => path.to_path_buf(),
        None if Path::new(".cinch.toml").is_file() => PathBuf::from(".cinch.toml"),
        None => return Ok(Config::default()),
    };
    // Read as strictly as a linted file: a pull request controls it too.
    let tree = std::env::current_dir()?.canonicalize()?;
    let bytes = read_lintable(&path, &[tree])?.map_err(|why| anyhow!("{}: not read: {why}", path.display()))?;
    let text = String::from_utf8(bytes).map_err(|_| anyhow!("{}: not UTF-8 text", path.display()))?;
    Ok(lint::config::parse(&text, &path.display().to_string())?)
}

/// The files under `dir` (and symbolic links to files), sorted, skipping
/// hidden entries, build output and symlinked directories. Whether each may
/// be read is [`read_lintable`]'s decision.
fn walk(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .collect::<std::io::Result<_>>()
        .with_context(|| format!("cannot read {}", dir.display()))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        // Hidden entries are skipped, but for .github (its workflows run docker).
        if name.starts_with('.') && name != ".cinch.toml" && name != ".github" {
            continue;
        }
        let path = entry.path();
        let kind = entry.file_type().with_context(|| format!("cannot read {}", path.display()))?;
        if kind.is_dir() {
            if !SKIPPED_DIRS.contains(&name.as_ref()) {
                files.extend(walk(&path)?);
            }
        } else if (kind.is_file() || (kind.is_symlink() && !path.is_dir())) && name != ".cinch.toml" {
            files.push(path);
        }
    }
    Ok(files)
}

/// A referenced path, relative to the referring file's directory.
fn resolve(from: &Path, reference: &str) -> PathBuf {
    let reference = Path::new(reference);
    if reference.is_absolute() {
        return reference.to_path_buf();
    }
    match from.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join(reference),
        _ => reference.to_path_buf(),
    }
}

/// The path as findings show it: as given, without a leading `./`.
fn show(path: &Path) -> String {
    let text = path.to_string_lossy();
    let mut shown: &str = &text;
    while let Some(rest) = shown.strip_prefix("./") {
        shown = rest;
    }
    if shown.is_empty() {
        text.into_owned()
    } else {
        shown.to_string()
    }
}
