//! `cinch recipe`: a FROM-scratch image recipe for one executable.

use crate::exit;
use crate::input::{read_regular, read_trace, TRACE_LIMIT};
use crate::output::{print_notes, remedy_text, OutputDir};
use crate::rootfs::{Node, Root};
use anyhow::{anyhow, bail, Context, Result};
use cinch_profiles::recipe::{self, elf, render, Entry, Source, User};
use cinch_profiles::seccomp::{self, Runtime};
use cinch_profiles::userns;
use cinch_profiles::{apparmor, path, Trace};
use clap::Args;
use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// Write a FROM-scratch image recipe for a static executable.
///
/// Inspects the ELF (static or not, architecture) and writes into DIR:
/// rootfs.tar (every file of the image with its owner and mode) and its
/// MANIFEST, a Containerfile (FROM scratch, numeric USER, EXPOSE, exec-form
/// ENTRYPOINT), Containerfile.source (the executable built from source in a
/// first stage), run.sh and compose.yaml (read-only root, no capabilities,
/// no-new-privileges, the profiles, tmpfs and volumes, the port on one
/// address), and with --trace the seccomp and AppArmor profiles. A dynamic
/// executable is refused with the libraries it needs, unless --with-libs.
#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  \
    cinch recipe --binary target/release/mascot-worker --trace trace.json --from rootfs/ -o recipe/\n  \
    docker build -f recipe/Containerfile -t cinch/mascot-worker:hardened recipe/\n  \
    recipe/run.sh --listen 0.0.0.0:5001\n  \
    cinch recipe --binary /opt/vendor/bin/tool --with-libs -o tool-recipe/\n\n\
    Exit status: 0 written; 2 not an ELF executable, dynamic without --with-libs, a file the trace \
    needs is missing under --from, invalid input, or unwritable output.")]
pub struct RecipeArgs {
    /// The executable to ship
    #[arg(long, value_name = "PATH")]
    binary: PathBuf,

    /// A trace of it: adds the data files it read, mounts for what it writes,
    /// EXPOSE for what it listened on, and the seccomp and AppArmor profiles
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,

    /// Where the container's files are on this host (a rootfs, an exported image; / for a host trace)
    #[arg(long, value_name = "DIR", default_value = "/")]
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

    /// Copy a dynamic executable's libraries and loader (those the trace saw
    /// mapped, else those its DT_NEEDED entries resolve to on this host)
    #[arg(long)]
    with_libs: bool,

    /// Cargo package the from-source Containerfile builds (default: the executable's file name)
    #[arg(long)]
    package: Option<String>,
}

pub fn run(args: RecipeArgs) -> Result<u8> {
    let bytes = read_regular(&args.binary, TRACE_LIMIT)?;
    let info = elf::inspect(&bytes).map_err(|e| anyhow!("{}: {e}", args.binary.display()))?;
    let file_name = args.binary.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let name = args.name.clone().unwrap_or_else(|| file_name.to_ascii_lowercase());
    recipe::check_name(&name)?;
    let trace = args.trace.as_deref().map(read_trace).transpose()?;
    let binary_path = match &args.path_in_image {
        Some(p) if p.starts_with('/') => p.as_bytes().to_vec(),
        Some(p) => bail!("--path-in-image {p:?} must be absolute"),
        None => trace
            .as_ref()
            .and_then(|trace| recipe::entrypoint_in_trace(trace, &file_name))
            .unwrap_or_else(|| format!("/usr/local/bin/{file_name}").into_bytes()),
    };
    let Ok(binary_in_image) = String::from_utf8(binary_path.clone()) else {
        bail!("the executable's path in the image is not UTF-8; give --path-in-image");
    };
    let (uid, gid) = userns::parse_ids(&args.ids)
        .ok_or_else(|| anyhow!("--ids {:?}: expected numeric UID:GID, e.g. 10001:10001", args.ids))?;
    let user = User { name: args.user.clone().unwrap_or_else(|| name.clone()), uid, gid };
    if cinch_profiles::userns::check_user(&user.name).is_err() {
        bail!("--user {:?}: use lowercase letters, digits, '_' and '-'", user.name);
    }
    let root = Root::open(&args.from)?;
    // The kernel execs a dynamic program through the interpreter it names:
    // missing from the image, the container dies with "no such file or
    // directory" before its first instruction.
    if let (Some(interpreter), true) = (&info.interpreter, args.with_libs) {
        if !root.exists(interpreter.as_bytes()) {
            bail!(
                "{}'s program interpreter {interpreter} is not in {}: an image made from it could not start the \
                 program; give --from the root filesystem the executable comes from",
                args.binary.display(),
                args.from.display()
            );
        }
    }
    let libraries =
        if !info.is_static() && args.with_libs { libraries(&info, trace.as_ref(), &binary_path)? } else { Vec::new() };

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
        binary: args.binary.clone(),
        binary_path: binary_path.clone(),
        elf: info.clone(),
        trace: trace.as_ref(),
        user: user.clone(),
        volumes,
        libraries,
    };
    let plan = recipe::plan(&input).map_err(|err| match err.remedy() {
        Some(remedy) => anyhow!("{err} ({})", remedy_text(remedy)),
        None => anyhow!(err),
    })?;
    notes.extend(plan.notes.iter().cloned());

    // The profiles, from the trace.
    let mut texts: Vec<(String, Vec<u8>)> = Vec::new();
    if let Some(trace) = &trace {
        let options = seccomp::RenderOptions {
            format: seccomp::Format::Docker,
            floor: seccomp::FloorChoice::Runtime(Runtime::Runc),
            mode: seccomp::Mode::Enforce,
            name: &name,
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
    let contents = read_contents(&plan.entries, &root)?;
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
    Ok(exit::OK)
}

/// The libraries and loader of a dynamic executable: those the trace saw
/// mapped (under --from), else DT_NEEDED resolved on this host.
fn libraries(info: &elf::ElfInfo, trace: Option<&Trace>, binary: &[u8]) -> Result<Vec<(Source, Vec<u8>)>> {
    if let Some(trace) = trace {
        let mapped = recipe::traced_libraries(trace, binary);
        if !mapped.is_empty() {
            return Ok(mapped.into_iter().map(|p| (Source::FromRoot(p.clone()), p)).collect());
        }
    }
    let mut out = Vec::new();
    if let Some(loader) = &info.interpreter {
        out.push((Source::Host(PathBuf::from(loader)), loader.as_bytes().to_vec()));
    }
    let mut queue: Vec<String> = info.needed.clone();
    let mut seen = BTreeSet::new();
    while let Some(lib) = queue.pop() {
        if !seen.insert(lib.clone()) {
            continue;
        }
        let found = LIBRARY_DIRS.iter().map(|d| Path::new(d).join(&lib)).find(|p| p.is_file());
        let Some(found) = found else {
            bail!("{lib}, needed by the executable, is not in {}", LIBRARY_DIRS.join(", "))
        };
        let bytes = read_regular(&found, TRACE_LIMIT)?;
        if let Ok(lib_info) = elf::inspect(&bytes) {
            queue.extend(lib_info.needed);
        }
        out.push((Source::Host(found.clone()), found.as_os_str().as_bytes().to_vec()));
    }
    Ok(out)
}

/// Where the dynamic loader looks on Debian-like hosts (ld.so.conf's usual result).
const LIBRARY_DIRS: &[&str] = &[
    "/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu",
    "/lib/aarch64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/lib64",
    "/usr/lib64",
    "/lib",
    "/usr/lib",
];

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
            })
        })
        .collect()
}

fn manifest(contents: &[Content]) -> String {
    let mut out = String::from("# Every entry of rootfs.tar: mode uid:gid path (path in cinch's trace encoding)\n");
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
