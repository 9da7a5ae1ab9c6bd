//! Compiles `proto/` without a system `protoc`: `protox` parses the files,
//! `tonic-prost-build` generates messages and services, and `pbjson-build`
//! generates the protobuf JSON mapping used by the CLI. The descriptor set is
//! kept for gRPC reflection.

use std::{env, path::PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    let descriptor_path = out_dir.join("eva_descriptor.bin");
    let files = ["proto/eva/v1/eva.proto"];
    println!("cargo:rerun-if-changed=proto");

    let fds = protox::compile(files, ["proto"])?;
    let bytes = prost::Message::encode_to_vec(&fds);
    std::fs::write(&descriptor_path, &bytes)?;

    tonic_prost_build::configure()
        .compile_well_known_types(true)
        .extern_path(".google.protobuf", "::pbjson_types")
        .compile_fds(fds)?;

    pbjson_build::Builder::new()
        .register_descriptors(&bytes)?
        .build(&[".eva.v1"])?;
    Ok(())
}
