//! `cargo xtask <command>`: see `cargo xtask help`.

use std::path::Path;
use std::process::{Command, ExitCode, ExitStatus};
use std::time::Instant;
use xtask::{codegen, mutants, workspace_root};

const HELP: &str = "\
usage: cargo xtask <command>

commands:
  codegen [--check]  regenerate openapi/minimo-contacts.3.0.json and minimo-api/src/generated.rs
                     from openapi/minimo-contacts.yaml; --check writes nothing and fails when a
                     checked-in file is stale
  ci                 every check CI runs: npm ci (pinned Redocly CLI and Prism), a venv with
                     the pinned Schemathesis, fmt, codegen --check, spec lint, clippy, the
                     whole test suite, docs with warnings denied
  bench [SCENARIO...] [FLAGS]
                     benchmarks in release mode, each a ratio to a baseline run in the same
                     process (see BENCHMARKS.md); every scenario by default; `cargo xtask
                     bench --help` lists the scenarios, flags and environment variables
  mutants [--jobs N] [FILE...]
                     mutation testing with cargo-mutants (pinned, installed under target/ on
                     first use) of FILEs or directories, by default minimo-api/src/runtime/
                     and minimo-ext/src/validate.rs, each file judged by the test packages
                     of its group (xtask/src/mutants.rs); settings in .cargo/mutants.toml;
                     reports in target/mutants/<group>/; --jobs N mutants at once; takes
                     tens of minutes, not in ci
  help               this text

Every command acts on the checkout cargo was invoked in ($CARGO_MANIFEST_DIR at run time,
else the workspace above the current directory).
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        [] | ["help" | "--help" | "-h"] => {
            print!("{HELP}");
            Ok(())
        }
        command => workspace_root()
            .map_err(|e| e.to_string())
            .and_then(|root| match command {
                ["codegen"] => run_codegen(&root, false),
                ["codegen", "--check"] => run_codegen(&root, true),
                ["ci"] => ci(&root),
                ["bench", rest @ ..] => bench(&root, rest),
                ["mutants", "--jobs", jobs, files @ ..] => run_mutants(&root, Some(jobs), files),
                ["mutants", files @ ..] => run_mutants(&root, None, files),
                other => Err(format!("unknown arguments `{}`\n\n{HELP}", other.join(" "))),
            }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run_codegen(root: &Path, check: bool) -> Result<(), String> {
    let started = Instant::now();
    let outputs = codegen::generate_from(root).map_err(|e| e.to_string())?;
    let elapsed = started.elapsed();
    if check {
        let stale = codegen::stale_files(root, &outputs);
        if stale.is_empty() {
            println!("codegen --check: up to date ({} ms)", elapsed.as_millis());
            return Ok(());
        }
        return Err(format!(
            "stale generated files (run `cargo xtask codegen`):\n{}",
            stale
                .iter()
                .map(|p| format!("  {p}"))
                .collect::<Vec<_>>()
                .join("\n")
        ));
    }
    let written = codegen::write(root, &outputs).map_err(|e| e.to_string())?;
    for (path, content) in outputs.files() {
        let verb = if written.contains(&path) {
            "wrote"
        } else {
            "unchanged"
        };
        println!("{verb:>9} {path} ({} lines)", content.lines().count());
    }
    println!(
        "codegen took {} ms (spec sha256 {})",
        elapsed.as_millis(),
        outputs.spec_sha256.get(..12).unwrap_or_default()
    );
    Ok(())
}

/// Runs one step (of CI, or a tool a command needs) in `root`, echoing it first; a failing
/// step stops the run.
fn step(
    root: &Path,
    name: &str,
    program: &str,
    args: &[&str],
    envs: &[(&str, &str)],
) -> Result<(), String> {
    let status = run(root, name, program, args, envs)?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{name} failed ({status})"))
    }
}

/// Runs `program` in `root` with the terminal's stdio, echoing the command and its time.
fn run(
    root: &Path,
    name: &str,
    program: &str,
    args: &[&str],
    envs: &[(&str, &str)],
) -> Result<ExitStatus, String> {
    let shown = Path::new(program)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(program);
    println!("\n==> {name}: {shown} {}", args.join(" "));
    let started = Instant::now();
    let status = Command::new(program)
        .args(args)
        .envs(envs.iter().copied())
        .current_dir(root)
        .status()
        .map_err(|e| format!("{name}: cannot run `{program}`: {e}"))?;
    println!(
        "<== {name}: {status} in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(status)
}

/// The cargo that started us (`cargo run` sets `$CARGO`), so nested builds use the same
/// toolchain.
fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

fn ci(root: &Path) -> Result<(), String> {
    let cargo = cargo();
    let quiet_redocly = [
        ("REDOCLY_TELEMETRY", "off"),
        ("REDOCLY_SUPPRESS_UPDATE_NOTICE", "true"),
    ];
    npm_tools(root)?;
    // The pinned Schemathesis the fake's property-based API test runs (a venv under target/).
    step(
        root,
        "python tools",
        "sh",
        &["tests/schemathesis-venv.sh"],
        &[],
    )?;
    step(root, "format", &cargo, &["fmt", "--all", "--check"], &[])?;
    step(
        root,
        "codegen",
        &cargo,
        &["run", "--quiet", "-p", "xtask", "--", "codegen", "--check"],
        &[],
    )?;
    step(
        root,
        "spec lint",
        "npx",
        &[
            "--offline",
            "redocly",
            "lint",
            "openapi/minimo-contacts.yaml",
            "--format",
            "stylish",
        ],
        &quiet_redocly,
    )?;
    step(
        root,
        "clippy",
        &cargo,
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
        &[],
    )?;
    step(
        root,
        "tests",
        &cargo,
        &["test", "--workspace", "--all-targets"],
        &[],
    )?;
    step(
        root,
        "doctests",
        &cargo,
        &["test", "--workspace", "--doc"],
        &[],
    )?;
    step(
        root,
        "docs",
        &cargo,
        &["doc", "--workspace", "--no-deps"],
        &[("RUSTDOCFLAGS", "-D warnings")],
    )?;
    println!("\nci: every step passed");
    Ok(())
}

/// `npm ci`: the pinned Redocly CLI and Prism the spec lint and the end-to-end tests use.
fn npm_tools(root: &Path) -> Result<(), String> {
    step(
        root,
        "npm tools",
        "npm",
        &["ci", "--no-audit", "--no-fund"],
        &[],
    )
}

/// `cargo xtask bench [SCENARIO] [FLAGS]`: the `minimo-bench` binary in release mode (debug
/// figures say little about the release code services run). Scenarios and flags are the
/// binary's own (`cargo xtask bench --help`), so they are checked in one place.
fn bench(root: &Path, args: &[&str]) -> Result<(), String> {
    let mut forwarded: Vec<&str> = args.to_vec();
    // No scenario named (nothing, or flags only): run them all.
    if forwarded.first().is_none_or(|first| first.starts_with('-')) {
        forwarded.insert(0, "all");
    }
    let mut cargo_args = vec!["run", "--release", "--quiet", "-p", "minimo-bench", "--"];
    cargo_args.extend(forwarded);
    step(root, "bench", &cargo(), &cargo_args, &[])
}

/// `cargo xtask mutants [FILE...]`: installs the pinned cargo-mutants when missing, then
/// runs it on the files (by default [`mutants::DEFAULT_TARGETS`]), one run per group of
/// [`mutants::GROUPS`] with that group's test packages, and the settings of
/// `.cargo/mutants.toml`.
fn run_mutants(root: &Path, jobs: Option<&str>, files: &[&str]) -> Result<(), String> {
    if let Some(jobs) = jobs.filter(|j| !matches!(j.parse::<u8>(), Ok(1..=8))) {
        return Err(format!("--jobs takes a number from 1 to 8, not `{jobs}`"));
    }
    let targets = if files.is_empty() {
        mutants::DEFAULT_TARGETS
    } else {
        files
    };
    let config = std::fs::read_to_string(root.join(mutants::CONFIG))
        .map_err(|e| format!("{}: {e}", mutants::CONFIG))?;
    let runs = mutants::plan(root, targets, &mutants::test_packages(&config)?)?;
    let tool = install_mutants(root)?;
    // The end-to-end tests of minimo-tests run Prism from node_modules; cargo-mutants copies
    // it into its scratch tree (see .cargo/mutants.toml).
    if !root.join("node_modules/.bin/prism").is_file() {
        npm_tools(root)?;
    }
    // cargo-mutants' baseline runs only the mutated package's tests; run each group's here,
    // as its mutants will, so a suite that already fails cannot make every mutant look caught.
    for group in &runs {
        let mut test_args = vec!["test".to_owned()];
        test_args.extend(group.test_args.iter().cloned());
        for package in &group.tests {
            test_args.extend(["--package".to_owned(), package.clone()]);
        }
        let test_args: Vec<&str> = test_args.iter().map(String::as_str).collect();
        let label = format!("unmutated tests: {}", group.name);
        step(root, &label, &cargo(), &test_args, &[])?;
    }
    let mut failed = Vec::new();
    for group in &runs {
        let output = format!("target/mutants/{}", group.name);
        std::fs::create_dir_all(root.join(&output)).map_err(|e| format!("{output}: {e}"))?;
        let mut args = vec!["mutants".to_owned(), "--output".to_owned(), output.clone()];
        for file in &group.files {
            args.extend(["--file".to_owned(), file.clone()]);
        }
        for package in &group.tests {
            args.extend(["--test-package".to_owned(), package.clone()]);
        }
        for arg in &group.test_args {
            args.push(format!("--cargo-test-arg={arg}"));
        }
        if let Some(jobs) = jobs {
            args.extend(["--jobs".to_owned(), jobs.to_owned()]);
        }
        if let Some(seconds) = group.timeout {
            // The unmutated tests ran above, with this group's selection; cargo-mutants' own
            // baseline would run them in the mutated package alone (where `--test ext_sync`
            // names no target) and is needed only to time them, which `--timeout` does.
            args.extend([
                "--timeout".to_owned(),
                seconds.to_string(),
                "--baseline=skip".to_owned(),
            ]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let label = format!("mutants: {}", group.name);
        let status = run(root, &label, &tool.to_string_lossy(), &args, &[])?;
        let outcome = mutants::describe_exit(status.code());
        println!("{label}: {outcome}; each mutant's outcome is listed in {output}/mutants.out/");
        if !mutants::none_survived(status.code()) {
            failed.push(format!("{}: {outcome}", group.name));
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("cargo-mutants: {}", failed.join("; ")))
    }
}

/// The pinned cargo-mutants, installed under the target directory when missing (it is
/// compiled from source: a few minutes, once).
fn install_mutants(root: &Path) -> Result<std::path::PathBuf, String> {
    let dir = mutants::install_dir(&mutants::target_dir(root));
    let tool = mutants::binary(&dir);
    let installed = Command::new(&tool)
        .args(["mutants", "--version"])
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).contains(mutants::VERSION));
    if installed {
        return Ok(tool);
    }
    let version = format!("={}", mutants::VERSION);
    let dir_text = dir.to_string_lossy();
    step(
        root,
        "install cargo-mutants",
        &cargo(),
        &[
            "install",
            "cargo-mutants",
            "--version",
            &version,
            "--locked",
            "--root",
            &dir_text,
        ],
        &[],
    )
    .map_err(|e| {
        format!(
            "cannot install cargo-mutants {} into {dir_text} ({e}); `cargo install` needs the \
             crates registry (see its output above)",
            mutants::VERSION
        )
    })?;
    if tool.is_file() {
        Ok(tool)
    } else {
        Err(format!(
            "cargo install succeeded but {} is missing",
            tool.display()
        ))
    }
}
