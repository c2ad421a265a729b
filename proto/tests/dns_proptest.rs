//! Property test: DNS lookups fed random operations (answers, junk, time steps) never panic,
//! never set a deadline in the past and never outlive their lifetime (the oracles of
//! `fuzz::dns_lookup`).

use proptest::prelude::*;
use sipsimple_proto::fuzz;

#[allow(clippy::disallowed_methods)]
fn origin() -> std::time::Instant {
    std::time::Instant::now()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_operations_keep_the_oracles(data in proptest::collection::vec(any::<u8>(), 0..400)) {
        fuzz::dns_lookup(origin(), &data);
    }

    #[test]
    fn structured_answers_keep_the_oracles(
        kind in any::<u8>(),
        ops in proptest::collection::vec((0xc0u8..=0xff, proptest::collection::vec(any::<u8>(), 0..80)), 0..12),
    ) {
        let mut data = vec![kind];
        for (op, records) in ops {
            data.push(op);
            data.push(records.len() as u8);
            data.extend(records);
            data.push(0x05);
        }
        data.extend([0x3f; 6]);
        fuzz::dns_lookup(origin(), &data);
    }
}
