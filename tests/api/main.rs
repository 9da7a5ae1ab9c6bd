//! Integration tests through the real interfaces: the gRPC server on a
//! loopback port, and the `eva` binary as a process.

mod helpers;

mod cli;
mod corpus;
mod deadlines;
mod eval;
mod golden;
mod grpc;
mod limits;
mod matching;
mod python_client;
