//! `cinch recipe`: a FROM-scratch image recipe for one executable.

use crate::exit;
use crate::input::{read_regular, read_trace, TRACE_LIMIT};
use crate::output::{print_notes, remedy_text, OutputDir};
use crate::rootfs::{Node, Origin, Root};
use anyhow::{anyhow, bail, Context, Result};
use cinch_profiles::recipe::complete::{self, Completion};
use cinch_profiles::recipe::{self, elf, render, Entry, Source, User};
use cinch_profiles::seccomp::{self, Runtime};
use cinch_profiles::userns;
use cinch_profiles::{apparmor, path};
use clap::Args;
use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// Write a FROM-scratch image recipe for an executable.
///
/// Inspects the ELF (static or not, architecture) and writes into DIR:
/// rootfs.tar (every file of the image with its owner and mode) and its
/// MANIFEST, a Containerfile (FROM scratch, numeric USER, EXPOSE, exec-form
/// ENTRYPOINT), Containerfile.source (the executable built from source in a
/// first stage), run.sh and compose.yaml (read-only root, no capabilities,
/// no-new-privileges, the profiles, tmpfs and volumes, the port on one
/// address), and with --trace the seccomp and AppArmor profiles. A dynamic
/// executable is refused with the libraries it needs, unless --with-libs:
/// then the image holds its loader and libraries (PT_INTERP and DT_NEEDED,
/// searched as the loader does, and those the trace saw mapped), every
/// program the trace ran with theirs, and every name the trace opened them
/// by, symbolic links recreated as links. --from may be a directory, a
/// `docker export` tarball or an image name; without --binary the program
/// is the one the trace saw the container start.
#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  \
    cinch recipe --binary target/release/mascot-worker --trace trace.json --from rootfs/ -o recipe/\n  \
    docker build -f recipe/Containerfile -t cinch/mascot-worker:hardened recipe/\n  \
    recipe/run.sh --listen 0.0.0.0:5001\n  \
    cinch recipe --binary /opt/vendor/bin/tool --with-libs -o tool-recipe/\n  \
    cinch recipe --trace nginx.trace.json --from debian-nginx:12 --with-libs -o nginx-recipe/\n\n\
    Exit status: 0 written; 2 not an ELF executable, dynamic without --with-libs, a file the trace \
    needs is missing under --from, invalid input, or unwritable output.")]
pub struct RecipeArgs {
    /// The executable to ship, on this host (default: the program the trace
    /// saw the container start, taken from --from)
    #[arg(long, value_name = "PATH")]
    binary: Option<PathBuf>,

    /// A trace of it: adds the data files it read, mounts for what it writes,
    /// EXPOSE for what it listened on, and the seccomp and AppArmor profiles
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,

    /// Where the container's files are: a directory (a rootfs; / for a host
    /// trace), a `docker export` tarball, or an image name (exported through
    /// the Docker API)
    #[arg(long, value_name = "DIR|TAR|IMAGE", default_value = "/")]
    from: PathBuf,

    /// Directory to write the recipe into (created if missing)
    #[arg(long, short = 'o', value_name = "DIR")]
    output: PathBuf,

    /// Short name: container, volumes, profile (default: the executable's file name)
    #[arg(long)]
    name: Option<String>,

    /// Image tag in the scripts (default: cinch/NAME:hardened)
    #[arg(long)]
    image: Option<String>,

    /// The executable's path in the image (default: where the trace ran it, else /usr/local/bin/NAME)
    #[arg(long, value_name = "PATH")]
    path_in_image: Option<String>,

    /// The non-root account in /etc/passwd (default: NAME)
    #[arg(long)]
    user: Option<String>,

    /// Its numeric uid:gid
    #[arg(long, value_name = "UID:GID", default_value = "10001:10001")]
    ids: String,

    /// Default arguments (CMD); repeatable
    #[arg(long = "cmd", value_name = "ARG", allow_hyphen_values = true)]
    cmd: Vec<String>,

    /// A container directory to mount as a volume instead of copying (e.g. sequence databases); repeatable
    #[arg(long, value_name = "DIR")]
    volume: Vec<String>,

    /// Files larger than this many MiB go to a volume (their directory) instead of the image
    #[arg(long, value_name = "MIB", default_value_t = 64)]
    volume_over: u64,

    /// The one address run.sh and compose.yaml publish ports on
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    publish: std::net::IpAddr,

    /// Copy a dynamic executable's loader and libraries, and those of every
    /// program it runs, from --from (PT_INTERP, DT_NEEDED as the loader finds
    /// them, and what the trace saw mapped), with their symbolic links
    #[arg(long)]
    with_libs: bool,

    /// Cargo package the from-source Containerfile builds (default: the executable's file name)
    #[arg(long)]
    package: Option<String>,
}

pub fn run(args: RecipeArgs) -> Result<u8> {
    let (uid, gid) = userns::parse_ids(&args.ids)
        .ok_or_else(|| anyhow!("--ids {:?}: expected numeric UID:GID, e.g. 10001:10001", args.ids))?;
    let trace = args.trace.as_deref().map(read_trace).transpose()?;
    // An image is exported here: after the cheap checks of the arguments.
    let origin = Origin::open(&args.from)?;
    let root = &origin.root;
    // The executable: a host file, or the program the trace saw the container start.
    let (shown, bytes, binary_source, traced) = match &args.binary {
        Some(binary) => {
            (binary.display().to_string(), read_regular(binary, TRACE_LIMIT)?, Source::Host(binary.clone()), None)
        }
        None => {
            let Some(trace) = &trace else { bail!("give --binary, or --trace to take the program the trace started") };
            let started = recipe::started_program(trace).map_err(|e| anyhow!("{}: {e}", display(&args.trace)))?;
            let shown = format!("{} in {}", path::encode(&started.path), args.from.display());
            let Node::File(bytes) = root.read(&started.path)? else { bail!("{shown} is a symbolic link") };
            (shown, bytes, Source::FromRoot(started.path.clone()), Some(started))
        }
    };
    let info = elf::inspect(&bytes).map_err(|e| anyhow!("{shown}: {e}"))?;
    // The name it is run by: the script it ran, or a link to it where the
    // trace started it by one.
    let script = traced.as_ref().and_then(|t| t.script.clone());
    let run_by = match &args.path_in_image {
        Some(_) => None, // then the ENTRYPOINT is where the user put it
        None => traced.as_ref().map(|t| t.script.clone().or(t.name.clone()).unwrap_or_else(|| t.path.clone())),
    };
    let traced_path = traced.map(|t| t.path);
    let file_name = match &run_by {
        Some(p) => String::from_utf8_lossy(path::file_name(p)).into_owned(),
        None => args
            .binary
            .as_ref()
            .and_then(|b| b.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    let name = args.name.clone().unwrap_or_else(|| file_name.to_ascii_lowercase());
    recipe::check_name(&name)?;
    let binary_path = match (&args.path_in_image, traced_path) {
        (Some(p), _) if p.starts_with('/') => p.as_bytes().to_vec(),
        (Some(p), _) => bail!("--path-in-image {p:?} must be absolute"),
        (None, Some(traced)) => traced,
        (None, None) => trace
            .as_ref()
            .and_then(|trace| recipe::entrypoint_in_trace(trace, &file_name))
            .unwrap_or_else(|| format!("/usr/local/bin/{file_name}").into_bytes()),
    };
    let Ok(binary_in_image) = String::from_utf8(run_by.unwrap_or_else(|| binary_path.clone())) else {
        bail!("the executable's path in the image is not UTF-8; give --path-in-image");
    };
    let user = User { name: args.user.clone().unwrap_or_else(|| name.clone()), uid, gid };
    if cinch_profiles::userns::check_user(&user.name).is_err() {
        bail!("--user {:?}: use lowercase letters, digits, '_' and '-'", user.name);
    }
    // The kernel execs a dynamic program through the interpreter it names:
    // missing from the image, the container dies with "no such file or
    // directory" before its first instruction.
    if let (Some(interpreter), true) = (&info.interpreter, args.with_libs) {
        if !root.exists(interpreter.as_bytes()) {
            bail!(
                "{shown}'s program interpreter {interpreter} is not in {}: an image made from it could not start the \
                 program; give --from the root filesystem the executable comes from",
                args.from.display()
            );
        }
    }
    let libraries = match (&trace, args.with_libs) {
        (Some(trace), true) => recipe::traced_libraries(trace, &binary_path)
            .into_iter()
            .map(|p| (Source::FromRoot(p.clone()), p))
            .collect(),
        _ => Vec::new(),
    };

    let mut volumes: BTreeSet<Vec<u8>> = BTreeSet::new();
    for v in &args.volume {
        if !v.starts_with('/') {
            bail!("--volume {v:?} must be an absolute container path");
        }
        volumes.insert(v.trim_end_matches('/').as_bytes().to_vec());
    }
    let mut notes = Vec::new();
    if let Some(trace) = &trace {
        let size = |file: &[u8]| root.size(file);
        let placement =
            recipe::place_data_files(trace, &binary_path, volumes, args.volume_over.saturating_mul(1024 * 1024), size);
        if !placement.missing.is_empty() {
            bail!(
                "the trace read {} file(s) that are not under {}: {}; give --from the directory holding the container's files, or --volume their directory",
                placement.missing.len(),
                args.from.display(),
                placement.missing.iter().take(5).map(|f| path::encode(f)).collect::<Vec<_>>().join(", ")
            );
        }
        volumes = placement.volumes;
        notes.extend(placement.notes);
    }
    let input = recipe::Input {
        name: name.clone(),
        binary: PathBuf::from(&shown),
        binary_source,
        binary_path: binary_path.clone(),
        elf: info.clone(),
        trace: trace.as_ref(),
        user: user.clone(),
        volumes,
        libraries,
        with_libs: args.with_libs,
    };
    let mut plan = recipe::plan(&input).map_err(|err| match err.remedy() {
        Some(remedy) => anyhow!("{err} ({})", remedy_text(remedy)),
        None => anyhow!(err),
    })?;
    notes.extend(plan.notes.iter().cloned());
    let mounted: Vec<Vec<u8>> =
        plan.volumes.iter().map(|v| &v.path).chain(&plan.tmpfs).map(|p| p.as_bytes().to_vec()).collect();
    let completion = Completion {
        binary: &binary_path,
        binary_elf: &info,
        trace: trace.as_ref(),
        mounted: &mounted,
        script: script.as_deref(),
    };
    let static_only = info.is_static() && !args.with_libs;
    if !static_only {
        plan.entries = complete::complete(std::mem::take(&mut plan.entries), &completion, root)?;
    }

    // The profiles, from the trace.
    let mut texts: Vec<(String, Vec<u8>)> = Vec::new();
    if let Some(trace) = &trace {
        let options = seccomp::RenderOptions {
            format: seccomp::Format::Docker,
            floor: seccomp::FloorChoice::Runtime(Runtime::Runc),
            mode: seccomp::Mode::Enforce,
            name: &name,
            arches: &[],
        };
        let seccomp = seccomp::render(trace, &options).context("cannot generate the seccomp profile")?;
        notes.extend(seccomp.notes);
        texts.push(("seccomp.json".into(), seccomp.text.into_bytes()));
        let generated = apparmor::generate(trace, &apparmor::Options { name: name.clone(), glob_min: 3 })?;
        notes.extend(generated.notes);
        texts.push((format!("{name}.apparmor"), generated.profile.render().into_bytes()));
    }
    let base = render::ViewBase {
        name: name.clone(),
        image: args.image.clone().unwrap_or_else(|| format!("cinch/{name}:hardened")),
        arch: info.arch.clone(),
        binary: binary_in_image,
        cmd: args.cmd.clone(),
        user,
        publish_address: args.publish.to_string(),
        seccomp: trace.is_some(),
        apparmor: trace.is_some().then(|| name.clone()),
        package: args.package.clone().unwrap_or(file_name),
    };
    let view = render::View::new(&plan, base);
    for (file, text) in render::render(&view).map_err(|e| anyhow!("cannot render the recipe: {e}"))? {
        texts.push((file.to_string(), text.into_bytes()));
    }
    let contents = read_contents(&plan.entries, root)?;
    let image_bytes: u64 =
        contents.iter().map(|c| if let Content::File(_, data) = c { data.len() as u64 } else { 0 }).sum();
    texts.push(("MANIFEST".into(), manifest(&contents).into_bytes()));
    texts.push(("rootfs.tar".into(), tarball(&contents, None)?));
    texts.push(("rootfs-data.tar".into(), tarball(&contents, Some(&binary_path))?));

    let mut output = OutputDir::new(&args.output)?;
    for (file, body) in texts {
        output.add(&file, body, file == "run.sh")?;
    }
    output.commit()?;
    print_notes(&notes);
    say!(
        "cinch: wrote {} ({} entries in rootfs.tar, {}, {}); build it: docker build -f {}/Containerfile -t {} {}",
        args.output.display(),
        plan.entries.len(),
        info.arch,
        if info.is_static() { "static" } else { "dynamic, with its libraries" },
        args.output.display(),
        view.base.image,
        args.output.display()
    );
    if args.from != Path::new("/") && origin.size > 0 {
        say!(
            "cinch: the image holds {} of files, {} holds {}: {:.1}x smaller",
            megabytes(image_bytes),
            args.from.display(),
            megabytes(origin.size),
            origin.size as f64 / image_bytes.max(1) as f64
        );
    }
    Ok(exit::OK)
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

fn display(path: &Option<PathBuf>) -> String {
    path.as_ref().map(|p| p.display().to_string()).unwrap_or_default()
}

/// What one entry of the image holds, read once for the manifest and both tars.
enum Content<'a> {
    Directory(&'a Entry),
    File(&'a Entry, Vec<u8>),
    Symlink(&'a Entry, Vec<u8>),
}

impl Content<'_> {
    fn entry(&self) -> &Entry {
        match self {
            Content::Directory(e) | Content::File(e, _) | Content::Symlink(e, _) => e,
        }
    }
}

/// Every entry's content: text, a host file the user named (the executable,
/// host libraries), or a file of the container's root read inside it.
fn read_contents<'a>(entries: &'a [Entry], root: &Root) -> Result<Vec<Content<'a>>> {
    entries
        .iter()
        .map(|e| {
            Ok(match &e.source {
                Source::Directory => Content::Directory(e),
                Source::Text(text) => Content::File(e, text.clone().into_bytes()),
                Source::Host(host) => Content::File(e, read_regular(host, TRACE_LIMIT)?),
                Source::FromRoot(container) => match root.read(container)? {
                    Node::File(bytes) => Content::File(e, bytes),
                    Node::Symlink(target) => Content::Symlink(e, target),
                },
                Source::Link(target) => Content::Symlink(e, target.clone()),
            })
        })
        .collect()
}

fn manifest(contents: &[Content]) -> String {
    let mut out = String::from(
        "# Every entry of rootfs.tar: mode uid:gid path (in cinch's trace encoding), then, after a tab, why it is there\n",
    );
    for content in contents {
        let e = content.entry();
        let line = match content {
            Content::Directory(_) => format!("d{:04o} {}:{} {}", e.mode, e.uid, e.gid, path::encode(&e.path)),
            Content::File(..) => format!("-{:04o} {}:{} {}", e.mode, e.uid, e.gid, path::encode(&e.path)),
            Content::Symlink(_, target) => {
                format!("l0777 {}:{} {} -> {}", e.uid, e.gid, path::encode(&e.path), path::encode(target))
            }
        };
        out.push_str(&line);
        out.push_str("\t# ");
        out.push_str(&e.reason);
        out.push('\n');
    }
    out
}

/// The image's files as a tar (fixed times, numeric owners), optionally
/// without one path (the executable, for the from-source variant).
fn tarball(contents: &[Content], skip: Option<&[u8]>) -> Result<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    for content in contents.iter().filter(|c| Some(&c.entry().path[..]) != skip) {
        let e = content.entry();
        let mut header = tar::Header::new_gnu();
        header.set_mode(e.mode);
        header.set_uid(e.uid.into());
        header.set_gid(e.gid.into());
        header.set_mtime(0);
        let name = OsStr::from_bytes(e.path.strip_prefix(b"/").unwrap_or(&e.path));
        match content {
            Content::Directory(_) => {
                header.set_entry_type(tar::EntryType::Directory);
                header.set_size(0);
                builder.append_data(&mut header, name, std::io::empty())?;
            }
            Content::File(_, data) => {
                header.set_entry_type(tar::EntryType::Regular);
                header.set_size(data.len() as u64);
                builder.append_data(&mut header, name, data.as_slice())?;
            }
            Content::Symlink(_, target) => {
                header.set_entry_type(tar::EntryType::Symlink);
                header.set_mode(0o777);
                header.set_size(0);
                builder.append_link(&mut header, name, OsStr::from_bytes(target))?;
            }
        }
    }
    Ok(builder.into_inner()?)
}
