//! `minimo`: see the `minimo_cli` crate docs, or `minimo --help`.

fn main() -> std::process::ExitCode {
    minimo_cli::main()
}
