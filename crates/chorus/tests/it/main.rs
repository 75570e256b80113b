//! Tests of the binary and of the pieces wired together: real HTTP delivery to a local
//! receiver, the command line, and several `chorus serve` nodes sharing one PostgreSQL.

mod cli;
mod delivery;
mod nodes;

use std::net::TcpListener;

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}
