//! The `mmrad` binary: argument parsing, logging and exit codes.

fn main() {
    println!("mmrad");
}
