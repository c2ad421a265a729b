//! The check list of one data stream (RFC 8445 §6.1.2): candidate pairs, their priorities and
//! states, the order checks are made in (§6.1.4.2), and what a check's outcome changes
//! (§7.2.5.3.3, §7.2.5.4).

use std::collections::VecDeque;
use std::net::SocketAddr;

use super::candidate::{Candidate, Role};
use crate::sdp::CandidateType;

/// The most pairs one check list holds (RFC 8445 §6.1.2.5 recommends 100).
pub const MAX_PAIRS: usize = 100;

/// The most triggered checks waiting at once; one per pair is enough.
const MAX_TRIGGERED: usize = MAX_PAIRS;

/// The state of a candidate pair (§6.1.2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PairState {
    /// Not checked until a pair of the same foundation succeeds or the list runs dry.
    Frozen,
    /// To be checked when its turn comes.
    Waiting,
    /// A check was sent and no answer yet.
    InProgress,
    /// A check succeeded.
    Succeeded,
    /// A check failed or timed out.
    Failed,
}

/// A local and a remote candidate of the same component and address family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    /// Our candidate; checks leave from its base.
    pub local: Candidate,
    /// The peer's candidate; checks go to its address.
    pub remote: Candidate,
    /// The pair's state.
    pub state: PairState,
    /// The pair is in the valid list (a check on it, or one that produced it, succeeded).
    pub valid: bool,
    /// The controlling agent nominated it (USE-CANDIDATE in a check that succeeded).
    pub nominated: bool,
}

impl Pair {
    /// `foundation-local:foundation-remote`, which groups pairs for unfreezing (§6.1.2.6).
    #[must_use]
    pub fn foundation(&self) -> (&str, &str) {
        (&self.local.foundation, &self.remote.foundation)
    }

    /// The component both candidates belong to.
    #[must_use]
    pub fn component(&self) -> u16 {
        self.local.component
    }

    /// The pair's priority for an agent in `role` (§6.1.2.3).
    #[must_use]
    pub fn priority(&self, role: Role) -> u64 {
        let (g, d) = match role {
            Role::Controlling => (self.local.priority, self.remote.priority),
            Role::Controlled => (self.remote.priority, self.local.priority),
        };
        pair_priority(g, d)
    }
}

/// `2^32·MIN(G,D) + 2·MAX(G,D) + (G>D ? 1 : 0)`, with G the controlling agent's candidate
/// priority and D the controlled agent's (§6.1.2.3).
#[must_use]
pub fn pair_priority(g: u32, d: u32) -> u64 {
    (u64::from(g.min(d)) << 32) + 2 * u64::from(g.max(d)) + u64::from(g > d)
}

/// The pairs of one data stream, sorted by priority, with the triggered-check queue.
#[derive(Debug, Clone)]
pub struct CheckList {
    role: Role,
    pairs: Vec<Pair>,
    triggered: VecDeque<usize>,
}

impl CheckList {
    /// Forms the check list (§6.1.2.2–§6.1.2.6): every local candidate with every remote one
    /// of the same component and IP family; a server reflexive local candidate is replaced by
    /// its base, and of pairs then equal (same local base, same remote) only the one of
    /// highest priority is kept; at most [`MAX_PAIRS`], highest first. For each foundation
    /// the pair of lowest component (then highest priority) starts `Waiting`, the rest
    /// `Frozen`.
    #[must_use]
    pub fn new(role: Role, local: &[Candidate], remote: &[Candidate]) -> Self {
        let mut list = Self {
            role,
            pairs: Vec::new(),
            triggered: VecDeque::new(),
        };
        for r in remote {
            list.insert(local, r, false);
        }
        list.unfreeze_initial();
        list
    }

    /// Pairs a remote candidate learnt later (trickled, or peer reflexive from a check) with
    /// the local candidates; a new pair starts `Waiting` when no other pair of its foundation
    /// is in the list, else `Frozen`. Returns the indices of the pairs added.
    pub fn add_remote(&mut self, local: &[Candidate], remote: &Candidate) -> Vec<usize> {
        let keys = self.insert(local, remote, true);
        keys.into_iter()
            .filter_map(|(base, to, component)| self.find(base, to, component))
            .collect()
    }

    /// Adds the pairs of `remote`, giving the (base, remote, component) of each added.
    fn insert(
        &mut self,
        local: &[Candidate],
        remote: &Candidate,
        thaw: bool,
    ) -> Vec<(SocketAddr, SocketAddr, u16)> {
        let mut added = Vec::new();
        for l in local {
            if l.component != remote.component || l.address.is_ipv4() != remote.address.is_ipv4() {
                continue;
            }
            // §6.1.2.4: checks are sent from the base, so a reflexive candidate pairs as its
            // base does.
            let l = if l.kind == CandidateType::ServerReflexive {
                let mut base = l.clone();
                base.kind = CandidateType::Host;
                base.address = l.base;
                base
            } else {
                l.clone()
            };
            let mut pair = Pair {
                local: l,
                remote: remote.clone(),
                state: PairState::Frozen,
                valid: false,
                nominated: false,
            };
            let priority = pair.priority(self.role);
            if let Some(i) = self.find(pair.local.base, pair.remote.address, pair.component()) {
                // A redundant pair: the higher priority one stays, unless the other is
                // already being checked.
                if self.pairs[i].priority(self.role) >= priority
                    || self.pairs[i].state != PairState::Frozen
                {
                    continue;
                }
                self.remove(i);
            }
            if self.pairs.len() >= MAX_PAIRS {
                // Full: the new pair only displaces a lower one not yet checked.
                let lowest = self.pairs.len() - 1;
                if self.pairs[lowest].priority(self.role) >= priority
                    || self.pairs[lowest].state != PairState::Frozen
                {
                    continue;
                }
                self.remove(lowest);
            }
            if thaw
                && !self
                    .pairs
                    .iter()
                    .any(|p| p.foundation() == pair.foundation())
            {
                pair.state = PairState::Waiting;
            }
            let at = self
                .pairs
                .iter()
                .position(|p| p.priority(self.role) < priority)
                .unwrap_or(self.pairs.len());
            added.push((pair.local.base, pair.remote.address, pair.component()));
            self.pairs.insert(at, pair);
            for t in &mut self.triggered {
                if *t >= at {
                    *t += 1;
                }
            }
        }
        added
    }

    /// Removes pair `i`, keeping the triggered queue's indices right.
    fn remove(&mut self, i: usize) {
        self.pairs.remove(i);
        self.triggered.retain(|&t| t != i);
        for t in &mut self.triggered {
            if *t > i {
                *t -= 1;
            }
        }
    }

    /// The role the priorities are computed for.
    #[must_use]
    pub fn role(&self) -> Role {
        self.role
    }

    /// A role conflict resolved by switching roles (§7.2.5.1, §7.3.1.1): the pairs are sorted
    /// again for the new role.
    pub fn set_role(&mut self, role: Role) {
        if role == self.role {
            return;
        }
        self.role = role;
        let order: Vec<usize> = {
            let mut idx: Vec<usize> = (0..self.pairs.len()).collect();
            idx.sort_by_key(|&i| std::cmp::Reverse(self.pairs[i].priority(role)));
            idx
        };
        let mut moved = vec![0; self.pairs.len()];
        for (new, &old) in order.iter().enumerate() {
            moved[old] = new;
        }
        let mut pairs: Vec<Option<Pair>> = self.pairs.drain(..).map(Some).collect();
        self.pairs = order.iter().filter_map(|&i| pairs[i].take()).collect();
        for t in &mut self.triggered {
            *t = moved[*t];
        }
    }

    /// The pairs, highest priority first.
    #[must_use]
    pub fn pairs(&self) -> &[Pair] {
        &self.pairs
    }

    /// One pair, by index.
    #[must_use]
    pub fn pair(&self, i: usize) -> Option<&Pair> {
        self.pairs.get(i)
    }

    /// The pair whose local base, remote address and component these are.
    #[must_use]
    pub fn find(&self, base: SocketAddr, remote: SocketAddr, component: u16) -> Option<usize> {
        self.pairs.iter().position(|p| {
            p.local.base == base && p.remote.address == remote && p.component() == component
        })
    }

    /// Queues a triggered check of pair `i` (§7.3.1.4): a check from the peer arrived on it.
    /// A pair that succeeded is not checked again, and one in progress waits for its own
    /// check (whose retransmissions go on): re-checking those would make two agents trigger
    /// each other forever.
    pub fn trigger(&mut self, i: usize) {
        let Some(p) = self.pairs.get_mut(i) else {
            return;
        };
        if matches!(p.state, PairState::Succeeded | PairState::InProgress) {
            return;
        }
        p.state = PairState::Waiting;
        if !self.triggered.contains(&i) && self.triggered.len() < MAX_TRIGGERED {
            self.triggered.push_back(i);
        }
    }

    /// Checks pair `i` again, first among the triggered checks: its check was answered with
    /// 487 and the role switched (§7.2.5.1).
    pub fn retry(&mut self, i: usize) {
        let Some(p) = self.pairs.get_mut(i) else {
            return;
        };
        p.state = PairState::Waiting;
        self.triggered.retain(|&t| t != i);
        self.triggered.push_front(i);
    }

    /// The pair to check next, marked `InProgress` (§6.1.4.2): the oldest triggered check,
    /// else the highest `Waiting` pair, else the highest `Frozen` pair whose foundation has no
    /// pair waiting or in progress. `None` when nothing is left to check.
    pub fn next_check(&mut self) -> Option<usize> {
        let mut triggered = None;
        while let Some(t) = self.triggered.pop_front() {
            if self.pairs[t].state == PairState::Waiting {
                triggered = Some(t);
                break;
            }
        }
        let i = triggered
            .or_else(|| {
                self.pairs
                    .iter()
                    .position(|p| p.state == PairState::Waiting)
            })
            .or_else(|| {
                self.pairs.iter().position(|p| {
                    p.state == PairState::Frozen
                        && !self.pairs.iter().any(|q| {
                            q.foundation() == p.foundation()
                                && matches!(q.state, PairState::Waiting | PairState::InProgress)
                        })
                })
            })?;
        self.pairs[i].state = PairState::InProgress;
        Some(i)
    }

    /// The check of pair `i` succeeded (§7.2.5.3.3): it is `Succeeded`, the pairs of the same
    /// foundation thaw, and the `valid` pair (itself, or the one the mapped address gave) is
    /// marked valid, and nominated when `nominated`.
    pub fn succeeded(&mut self, i: usize, valid: usize, nominated: bool) {
        if i >= self.pairs.len() || valid >= self.pairs.len() {
            return;
        }
        self.pairs[i].state = PairState::Succeeded;
        let foundation = (
            self.pairs[i].local.foundation.clone(),
            self.pairs[i].remote.foundation.clone(),
        );
        for p in &mut self.pairs {
            if p.state == PairState::Frozen
                && (p.local.foundation.as_str(), p.remote.foundation.as_str())
                    == (foundation.0.as_str(), foundation.1.as_str())
            {
                p.state = PairState::Waiting;
            }
        }
        let v = &mut self.pairs[valid];
        v.valid = true;
        if v.state != PairState::Succeeded {
            v.state = PairState::Succeeded;
        }
        v.nominated |= nominated;
    }

    /// The check of pair `i` failed (an error answer or no answer, §7.2.5.2, §7.2.5.4).
    pub fn failed(&mut self, i: usize) {
        if let Some(p) = self.pairs.get_mut(i) {
            p.state = PairState::Failed;
            p.valid = false;
        }
        self.triggered.retain(|&t| t != i);
    }

    /// Marks a valid pair nominated (the controlled agent got USE-CANDIDATE on it, or the
    /// controlling agent's nominating check succeeded).
    pub fn nominate(&mut self, i: usize) {
        if let Some(p) = self.pairs.get_mut(i) {
            p.nominated = true;
        }
    }

    /// The nominated valid pair of highest priority for `component`, once there is one.
    #[must_use]
    pub fn selected(&self, component: u16) -> Option<usize> {
        self.pairs
            .iter()
            .position(|p| p.component() == component && p.valid && p.nominated)
    }

    /// The valid pair of highest priority for `component`.
    #[must_use]
    pub fn best_valid(&self, component: u16) -> Option<usize> {
        self.pairs
            .iter()
            .position(|p| p.component() == component && p.valid)
    }

    /// Every pair has been checked and none is left to check or waiting for an answer.
    #[must_use]
    pub fn exhausted(&self) -> bool {
        self.triggered.is_empty()
            && self
                .pairs
                .iter()
                .all(|p| matches!(p.state, PairState::Succeeded | PairState::Failed))
    }

    /// §6.1.2.6 for the first foundation of each: the pair of lowest component, then highest
    /// priority, starts `Waiting`.
    fn unfreeze_initial(&mut self) {
        let mut seen: Vec<(String, String)> = Vec::new();
        let mut order: Vec<usize> = (0..self.pairs.len()).collect();
        // Stable: within a component, the list is already highest priority first.
        order.sort_by_key(|&i| self.pairs[i].component());
        for i in order {
            let f = (
                self.pairs[i].local.foundation.clone(),
                self.pairs[i].remote.foundation.clone(),
            );
            if !seen.contains(&f) {
                seen.push(f);
                self.pairs[i].state = PairState::Waiting;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sa(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    fn host(addr: &str, component: u16, local: u16, foundation: &str) -> Candidate {
        Candidate::host(sa(addr), component, local, foundation.to_owned())
    }

    #[test]
    fn pair_priority_formula() {
        // G > D adds one; the min dominates.
        assert_eq!(pair_priority(10, 5), (5 << 32) + 20 + 1);
        assert_eq!(pair_priority(5, 10), (5 << 32) + 20);
        let l = host("10.0.0.1:1000", 1, 65535, "1");
        let r = host("10.0.0.2:2000", 1, 60000, "9");
        let p = Pair {
            local: l.clone(),
            remote: r.clone(),
            state: PairState::Frozen,
            valid: false,
            nominated: false,
        };
        assert_eq!(
            p.priority(Role::Controlling),
            pair_priority(l.priority, r.priority)
        );
        assert_eq!(
            p.priority(Role::Controlled),
            pair_priority(r.priority, l.priority)
        );
        assert_ne!(p.priority(Role::Controlling), p.priority(Role::Controlled));
    }

    #[test]
    fn forms_sorts_prunes_and_freezes() {
        let l1 = host("10.0.0.1:1000", 1, 65534, "1");
        let l2 = host("10.0.0.1:1001", 2, 65534, "1");
        let l6 = host("[2001:db8::1]:1000", 1, 65535, "2");
        // A reflexive candidate whose base is l1: it pairs as l1 does, and is pruned.
        let srflx = Candidate::server_reflexive(
            sa("192.0.2.1:4000"),
            sa("10.0.0.1:1000"),
            1,
            65534,
            "3".into(),
        );
        let r1 = host("10.0.0.2:2000", 1, 65534, "a");
        let r2 = host("10.0.0.2:2001", 2, 65534, "a");
        let list = CheckList::new(Role::Controlling, &[l1.clone(), l2, l6, srflx], &[r1, r2]);
        // IPv6 finds no IPv6 remote; the reflexive pair duplicates l1–r1.
        assert_eq!(list.pairs().len(), 2, "{:#?}", list.pairs());
        let prios: Vec<u64> = list
            .pairs()
            .iter()
            .map(|p| p.priority(Role::Controlling))
            .collect();
        assert!(prios.windows(2).all(|w| w[0] >= w[1]));
        // One foundation pair: component 1 waits, component 2 is frozen.
        assert_eq!(list.pairs()[0].component(), 1);
        assert_eq!(list.pairs()[0].state, PairState::Waiting);
        assert_eq!(list.pairs()[0].local.address, l1.address);
        assert_eq!(list.pairs()[1].state, PairState::Frozen);
    }

    #[test]
    fn checks_run_in_order_and_success_thaws_the_foundation() {
        let local = [
            host("10.0.0.1:1000", 1, 65535, "1"),
            host("10.0.0.1:1001", 2, 65535, "1"),
        ];
        let remote = [
            host("10.0.0.2:2000", 1, 65535, "a"),
            host("10.0.0.2:2001", 2, 65535, "a"),
            host("10.0.0.3:2000", 1, 65000, "b"),
        ];
        let mut list = CheckList::new(Role::Controlled, &local, &remote);
        assert_eq!(list.pairs().len(), 3);
        let first = list.next_check().unwrap();
        assert_eq!(
            list.pair(first).unwrap().remote.address,
            sa("10.0.0.2:2000")
        );
        let second = list.next_check().unwrap();
        assert_eq!(
            list.pair(second).unwrap().remote.address,
            sa("10.0.0.3:2000")
        );
        // The component-2 pair stays frozen while its foundation is in progress.
        assert_eq!(list.next_check(), None);
        list.succeeded(first, first, false);
        let third = list.next_check().unwrap();
        assert_eq!(list.pair(third).unwrap().component(), 2);
        list.failed(second);
        list.succeeded(third, third, true);
        assert!(list.exhausted());
        assert_eq!(list.best_valid(1), Some(first));
        assert_eq!(list.selected(1), None);
        list.nominate(first);
        assert_eq!(list.selected(1), Some(first));
        assert_eq!(list.selected(2), Some(third));
    }

    #[test]
    fn triggered_checks_go_first_and_late_candidates_join() {
        let local = [host("10.0.0.1:1000", 1, 65535, "1")];
        let mut list = CheckList::new(
            Role::Controlling,
            &local,
            &[host("10.0.0.2:2000", 1, 65535, "a")],
        );
        let peer_reflexive = Candidate {
            kind: CandidateType::PeerReflexive,
            ..host("10.0.0.9:3000", 1, 65535, "p")
        };
        let added = list.add_remote(&local, &peer_reflexive);
        assert_eq!(added.len(), 1);
        // A new foundation: waiting at once.
        assert_eq!(list.pair(added[0]).unwrap().state, PairState::Waiting);
        let i = list
            .find(sa("10.0.0.1:1000"), sa("10.0.0.9:3000"), 1)
            .unwrap();
        list.trigger(i);
        assert_eq!(list.next_check(), Some(i));
        // Adding the same remote again adds nothing.
        assert!(list.add_remote(&local, &peer_reflexive).is_empty());
        // A succeeded pair is not triggered again.
        list.succeeded(i, i, false);
        list.trigger(i);
        let next = list.next_check().unwrap();
        assert_ne!(next, i);
    }

    #[test]
    fn a_role_switch_reorders_and_the_list_is_bounded() {
        let local: Vec<Candidate> = (0..20)
            .map(|k| {
                host(
                    &format!("10.0.0.1:{}", 1000 + k),
                    1,
                    65535 - k,
                    &k.to_string(),
                )
            })
            .collect();
        let remote: Vec<Candidate> = (0..20)
            .map(|k| host(&format!("10.0.1.1:{}", 1000 + k), 1, 60000 + k * 7, "r"))
            .collect();
        let mut list = CheckList::new(Role::Controlling, &local, &remote);
        assert_eq!(list.pairs().len(), MAX_PAIRS);
        let top = list.pairs()[0].clone();
        list.set_role(Role::Controlled);
        let prios: Vec<u64> = list
            .pairs()
            .iter()
            .map(|p| p.priority(Role::Controlled))
            .collect();
        assert!(prios.windows(2).all(|w| w[0] >= w[1]));
        assert!(list
            .pairs()
            .iter()
            .any(|p| p.local == top.local && p.remote == top.remote));
    }
}
