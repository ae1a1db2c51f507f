//! Shared pieces of the compatibility suites (compat_*.rs): the independent-client drivers as processes, their
//! output lines, a `ferrocket standalone` that can be restarted on the same store and ports, and the scenarios
//! every client runs. Test files include it with `mod support; mod compat_support;`.

#![allow(dead_code)]

pub mod driver;
pub mod output;
pub mod scenarios;
pub mod standalone;
