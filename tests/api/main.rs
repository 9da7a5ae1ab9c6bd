//! Integration tests through the real interfaces: the gRPC server on a
//! loopback port, and the `eva` binary as a process.

mod helpers;

mod abuse;
mod cli;
mod connections;
mod corpus;
mod crash;
mod deadlines;
mod deploy;
mod doubt;
mod eval;
mod faults;
mod golden;
mod grpc;
mod ledger;
mod limits;
mod matching;
mod municipalities;
mod python_client;
mod records;
mod render;
mod review;
mod shutdown;
mod store;
mod streams;
mod train;
