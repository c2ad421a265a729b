//! SRV target selection (RFC 2782, "Usage rules").

use crate::rand::Random;

/// Orders SRV targets for trying: by priority (lowest first), and within one priority by
/// repeated weighted random selection: the targets of weight 0 first, a running sum of the
/// weights, a uniform number in `0..=sum`, and the first target whose running sum reaches it.
/// Targets of weight 0 thus have a small chance to be chosen while heavier ones remain.
pub(super) fn order<T>(
    mut items: Vec<T>,
    key: impl Fn(&T) -> (u16, u16),
    rng: &mut impl Random,
) -> Vec<T> {
    // A stable sort keeps the answer's order for equal keys, so zero weights come first
    // without disturbing the rest.
    items.sort_by_key(|t| {
        let (priority, weight) = key(t);
        (priority, weight != 0)
    });
    let mut out = Vec::with_capacity(items.len());
    while !items.is_empty() {
        let priority = key(&items[0]).0;
        let group_len = items.iter().take_while(|t| key(t).0 == priority).count();
        let mut group: Vec<T> = items.drain(..group_len).collect();
        while !group.is_empty() {
            let total: u64 = group.iter().map(|t| u64::from(key(t).1)).sum();
            let pick = rng.next_u64() % (total + 1);
            let mut running = 0;
            let index = group
                .iter()
                .position(|t| {
                    running += u64::from(key(t).1);
                    running >= pick
                })
                .unwrap_or(group.len() - 1);
            out.push(group.remove(index));
        }
    }
    out
}
