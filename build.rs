//! Rebuild when the embedded service templates change (include_dir cannot tell cargo).

fn main() {
    println!("cargo:rerun-if-changed=templates");
}
