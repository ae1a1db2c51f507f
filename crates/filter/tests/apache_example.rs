//! Apache's SqlFilterProducer/SqlFilterConsumer example: ten messages, tag TagA/TagB/TagC by
//! i % 3 and user property a = i; the consumer's expression lets through i = 0, 1 and 3.

use ferrocket_filter::{EncodedProperties, Expression};
use std::collections::{BTreeMap, HashMap};

const EXAMPLE: &str =
    "(TAGS is not null and TAGS in ('TagA', 'TagB')) and (a is not null and a between 0 and 3)";

/// The properties as the broker stores them: system ones around the user property.
fn encoded(i: usize) -> String {
    let tag = ["TagA", "TagB", "TagC"][i % 3];
    format!(
        "a\u{1}{i}\u{2}UNIQ_KEY\u{1}7F0000010001000000000000000{i}\u{2}CLUSTER\u{1}DefaultCluster\u{2}\
         WAIT\u{1}true\u{2}TAGS\u{1}{tag}\u{2}"
    )
}

#[test]
fn example_matches_messages_0_1_and_3() {
    let filter = Expression::compile(EXAMPLE).unwrap();
    let matched: Vec<usize> = (0..10)
        .filter(|&i| filter.matches(&EncodedProperties::new(&encoded(i))))
        .collect();
    assert_eq!(matched, vec![0, 1, 3]);
}

#[test]
fn every_property_source_gives_the_same_answer() {
    let filter = Expression::compile(EXAMPLE).unwrap();
    for i in 0..10 {
        let tag = ["TagA", "TagB", "TagC"][i % 3].to_string();
        let hash: HashMap<String, String> = [
            ("TAGS".to_string(), tag.clone()),
            ("a".to_string(), i.to_string()),
        ]
        .into();
        let tree: BTreeMap<String, String> = hash.clone().into_iter().collect();
        let a = i.to_string();
        let pairs = [("TAGS", tag.as_str()), ("a", a.as_str())];
        let want = matches!(i, 0 | 1 | 3);
        let enc = encoded(i);
        assert_eq!(filter.matches(&hash), want, "hash {i}");
        assert_eq!(filter.matches(&tree), want, "btree {i}");
        assert_eq!(filter.matches(&pairs[..]), want, "pairs {i}");
        assert_eq!(
            filter.matches(&EncodedProperties::new(&enc)),
            want,
            "encoded {i}"
        );
        let dynamic: &dyn ferrocket_filter::PropertySource = &hash;
        assert_eq!(filter.matches(dynamic), want, "dyn {i}");
    }
}

#[test]
fn example_with_missing_properties() {
    let filter = Expression::compile(EXAMPLE).unwrap();
    // no TAGS → the tag clause is FALSE (IS NOT NULL is FALSE), so no match
    assert!(!filter.matches(&EncodedProperties::new("a\u{1}1\u{2}")));
    // no a → no match
    assert!(!filter.matches(&EncodedProperties::new("TAGS\u{1}TagA\u{2}")));
    assert!(!filter.matches(&EncodedProperties::new("")));
    // a that is not an int → evaluation error → no match
    assert!(!filter.matches(&EncodedProperties::new("TAGS\u{1}TagA\u{2}a\u{1}1.5\u{2}")));
}

#[test]
fn expression_is_shared_across_threads() {
    let filter = Expression::compile(EXAMPLE).unwrap();
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let f = filter.clone();
            std::thread::spawn(move || {
                (0..10)
                    .filter(|&i| f.matches(&EncodedProperties::new(&encoded(i))))
                    .count()
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), 3);
    }
}
