//! xtask: developer tasks (`cargo xtask study|bench|ci`); depends on no mmrad crate so it compiles in seconds.

fn main() {
    println!("xtask");
}
