//! Compiles the gRPC contract (`proto/pulse/v1/*.proto`) into Rust with protox, a pure
//! Rust protobuf compiler: the build machines have no `protoc`. The encoded descriptor
//! set is kept too, for the reflection service.

use std::path::{Path, PathBuf};

use prost::Message;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Read when the script runs, not baked in when it is compiled: a target directory
    // shared by several checkouts may reuse this script's binary for another checkout.
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("../proto");
    let dir = root.join("pulse/v1");
    println!("cargo:rerun-if-changed={}", root.display());

    // Relative to the include root, so the descriptors name them `pulse/v1/….proto`, as
    // their imports do.
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "proto"))
        .map(|p| Path::new("pulse/v1").join(p.file_name().expect("a file in the directory")))
        .collect();
    files.sort();
    let descriptors = protox::compile(&files, [&root])?;

    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out.join("pulse_v1_descriptor.bin"), descriptors.encode_to_vec())?;
    // No transport code: the server is served by axum, and clients bring their channel.
    tonic_prost_build::configure().build_transport(false).compile_fds(descriptors)?;
    Ok(())
}
