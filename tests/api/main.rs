//! Integration tests through the real interfaces: the gRPC server on a
//! loopback port, and the `eva` binary as a process.

mod helpers;

mod cli;
mod corpus;
mod eval;
mod golden;
mod grpc;
mod matching;
mod python_client;
