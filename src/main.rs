//! The `dbps` binary: run the library, print any error once, exit with a documented code.

use std::process::ExitCode;

fn main() -> ExitCode {
    dbps::main()
}
