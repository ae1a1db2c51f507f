//! DataVersion: the change stamp of topic/group/offset tables (§8.2).

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use super::{json_body, now_millis};

/// `{stateVersion, timestamp, counter}`. Ordered by stateVersion, then counter, then timestamp; equal only when
/// all three are equal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DataVersion {
    pub state_version: i64,
    /// Milliseconds since the epoch of the last change.
    pub timestamp: i64,
    pub counter: i64,
}

json_body!(DataVersion);

impl DataVersion {
    /// A fresh version as Java's constructor makes it: state 0, counter 0, timestamp now.
    pub fn new() -> Self {
        DataVersion {
            state_version: 0,
            timestamp: now_millis(),
            counter: 0,
        }
    }

    /// Records a change: counter + 1, timestamp now.
    pub fn next_version(&mut self) {
        self.counter = self.counter.wrapping_add(1);
        self.timestamp = now_millis();
    }

    /// Records a change and sets the state version (used by controller-mode brokers).
    pub fn next_version_with_state(&mut self, state_version: i64) {
        self.state_version = state_version;
        self.next_version();
    }
}

impl Ord for DataVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.state_version
            .cmp(&other.state_version)
            .then(self.counter.cmp(&other.counter))
            .then(self.timestamp.cmp(&other.timestamp))
    }
}

impl PartialOrd for DataVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(state_version: i64, counter: i64, timestamp: i64) -> DataVersion {
        DataVersion {
            state_version,
            timestamp,
            counter,
        }
    }

    #[test]
    fn ordering_is_state_then_counter_then_timestamp() {
        assert!(v(1, 0, 0) > v(0, 99, 99));
        assert!(v(0, 2, 0) > v(0, 1, 99));
        assert!(v(0, 1, 5) > v(0, 1, 4));
        assert_eq!(v(0, 1, 5).cmp(&v(0, 1, 5)), Ordering::Equal);
        assert_ne!(v(0, 1, 5), v(0, 1, 6));
    }

    #[test]
    fn next_version_bumps_counter_and_time() {
        let mut d = v(3, 7, 0);
        let before = d;
        d.next_version();
        assert_eq!(d.counter, 8);
        assert_eq!(d.state_version, 3);
        assert!(d.timestamp > 0);
        assert!(d > before);
        d.next_version_with_state(4);
        assert_eq!((d.state_version, d.counter), (4, 9));
    }

    #[test]
    fn json_form() {
        let d = v(0, 12, 1_700_000_000_000);
        assert_eq!(
            d.encode(),
            br#"{"counter":12,"stateVersion":0,"timestamp":1700000000000}"#
        );
        assert_eq!(
            DataVersion::decode(br#"{"timestamp":"5","counter":2}"#).unwrap(),
            v(0, 2, 5)
        );
    }
}
