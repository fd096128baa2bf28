//! Linting speed: `cinch lint` over 1,000 files of every kind (copies of the
//! lint fixtures), as CI runs it. Writes bench/results/lint.md.
//!
//!   cargo bench -p cinch --bench lint [-- --files N --runs N]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("lint: a benchmark; run it with cargo bench -p cinch --bench lint");
        return;
    }
    if let Err(message) = run() {
        eprintln!("bench lint: {message}");
        std::process::exit(2);
    }
}

fn option(name: &str, default: usize) -> Result<usize, String> {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == name) {
        Some(i) => args.get(i + 1).and_then(|v| v.parse().ok()).ok_or(format!("{name} takes a number")),
        None => Ok(default),
    }
}

/// Every fixture file, with the name it must keep for its kind to be detected.
fn fixture_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| e.to_string())?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    entries.sort();
    for path in entries {
        if path.is_dir() {
            fixture_files(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn run() -> Result<(), String> {
    let files = option("--files", 1000)?;
    let runs = option("--runs", 5)?;
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().map_err(|e| e.to_string())?;
    let mut sources = Vec::new();
    fixture_files(&root.join("fixtures/lint"), &mut sources)?;
    let work = std::env::temp_dir().join(format!("cinch-bench-lint-{}", std::process::id()));
    let mut kinds = std::collections::BTreeMap::<String, usize>::new();
    for i in 0..files {
        let source = &sources[i % sources.len()];
        let name = source.file_name().unwrap().to_string_lossy().into_owned();
        let dir = work.join(format!("{i:04}"));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        std::fs::copy(source, dir.join(&name)).map_err(|e| e.to_string())?;
        let ext = name.rsplit('.').next().unwrap_or(&name).to_string();
        *kinds.entry(ext).or_default() += 1;
    }
    let cinch = env!("CARGO_BIN_EXE_cinch");
    let time = |dir: &Path| -> Result<f64, String> {
        let mut samples = Vec::new();
        for _ in 0..runs {
            let mut command = Command::new(cinch);
            command
                .args(["lint", "--format", "json"])
                .arg(dir)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null());
            let start = Instant::now();
            let status = command.status().map_err(|e| e.to_string())?;
            samples.push(start.elapsed().as_secs_f64());
            if status.code() != Some(1) {
                return Err(format!("cinch lint exited {status} (findings expected)"));
            }
        }
        Ok(median(samples))
    };
    let with_parser = time(&work)?;
    // The same set without the AppArmor profiles: the linter's own work,
    // without the apparmor_parser process each profile costs.
    let apparmor = kinds.get("apparmor").copied().unwrap_or(0);
    for i in 0..files {
        let dir = work.join(format!("{i:04}"));
        for entry in std::fs::read_dir(&dir).map_err(|e| e.to_string())? {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.extension().is_some_and(|e| e == "apparmor") {
                std::fs::remove_file(&path).map_err(|e| e.to_string())?;
            }
        }
    }
    let without_apparmor = time(&work)?;
    let _ = std::fs::remove_dir_all(&work);

    let mix: Vec<String> = kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
    let report = format!(
        "# Lint speed\n\nWritten by `cargo bench -p cinch --bench lint` on {}. {files} files copied from \
         `fixtures/lint` ({}), linted in one `cinch lint --format json DIR` (process start, walk, parse, \
         every rule, JSON out); median of {runs} runs.\n\n\
         | run | wall time | per file |\n|---|---|---|\n\
         | all {files} files (apparmor_parser -QTK runs once per AppArmor profile) | {:.3} s | {:.2} ms |\n\
         | the {} files that are not AppArmor profiles (the linter's own work) | {:.3} s | {:.3} ms |\n\n\
         Machine: {} CPUs, kernel {}.\n",
        date(),
        mix.join(", "),
        with_parser,
        with_parser * 1000.0 / files as f64,
        files - apparmor,
        without_apparmor,
        without_apparmor * 1000.0 / (files - apparmor).max(1) as f64,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim(),
    );
    let out = root.join("bench/results/lint.md");
    std::fs::write(&out, &report).map_err(|e| format!("{}: {e}", out.display()))?;
    print!("{report}");
    Ok(())
}

fn date() -> String {
    Command::new("date")
        .args(["-u", "+%F"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}
