//! The Apache RocketMQ C++ client 2.1.0 (librocketmq.so through PyPI rocketmq-client-python, driven by
//! compat/cpp-client/driver.py) against a real `ferrocket standalone`. Run by compat/run.sh, which installs the
//! client into ~/.cache/ferrocket and sets FERROCKET_COMPAT_CPP_PYTHON. Scenarios: compat_support/scenarios.rs.

mod compat_support;
mod support;

use compat_support::scenarios::{self, Client};

#[test]
#[ignore = "needs the C++ client; run by compat/run.sh"]
fn cpp_client_all_messages_exactly_once() {
    scenarios::all_messages_exactly_once(&Client::cpp());
}

#[test]
#[ignore = "needs the C++ client; run by compat/run.sh"]
fn cpp_client_tag_subscription_filters() {
    scenarios::tag_subscription_filters(&Client::cpp());
}

#[test]
#[ignore = "needs the C++ client; run by compat/run.sh"]
fn cpp_client_offsets_survive_restart() {
    scenarios::offsets_survive_restart(&Client::cpp());
}
