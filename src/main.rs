//! The `hubctl` binary: parse arguments, run one command, map the result to an exit code.

use std::process::ExitCode;

fn main() -> ExitCode {
    match hubctl::cli::run() {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
