//! The port layer's wiring: bridges are sets that connect their ports in a full mesh without
//! self-connections, nest with one frame of delay, forget dropped ports, follow slot changes
//! (the audio device's muting, a port moving to a new slot) and report them; connections shared
//! by two bridges are counted; callbacks may call back into the mixer.

mod common;

use std::sync::Arc;

use common::{record_events, Probe};
use parking_lot::Mutex;
use sipsimple_audio::bridge::AudioBridge;
use sipsimple_audio::device::AudioDevice;
use sipsimple_audio::engine::{AudioEvent, AudioPort, EngineError, Mixer, SlotIo};
use sipsimple_audio::mixer::MixerError;

const RATE: u32 = 8000;
const FRAME: usize = 160;

fn mixer() -> Mixer {
    Mixer::new(RATE).expect("mixer")
}

#[test]
fn a_bridge_is_a_set_of_ports_of_its_mixer() {
    let mixer = mixer();
    let bridge = AudioBridge::new(&mixer).expect("bridge");
    let a = Probe::new(&mixer, RATE);
    bridge.add(&a).expect("add");
    assert_eq!(bridge.add(&a), Err(EngineError::AlreadyAdded));
    let b = Probe::new(&mixer, RATE);
    assert_eq!(bridge.remove(&b), Err(EngineError::NotInBridge));
    let elsewhere = Probe::new(&Mixer::new(RATE).expect("mixer"), RATE);
    assert_eq!(bridge.add(&elsewhere), Err(EngineError::OtherMixer));
    assert_eq!(bridge.add(&bridge), Err(EngineError::BridgeIntoItself));
    // A port given as a trait object works the same.
    let b_dyn: Arc<dyn AudioPort> = b.clone();
    bridge.add(&b_dyn).expect("add dyn");
    assert_eq!(bridge.ports().len(), 2);
    bridge.remove(&a).expect("remove");
    assert_eq!(bridge.remove(&a), Err(EngineError::NotInBridge));
    assert_eq!(bridge.ports().len(), 1);
    assert!(bridge.contains(b.port_id()) && !bridge.contains(a.port_id()));
}

#[test]
fn members_hear_each_other_but_not_themselves() {
    let mixer = mixer();
    let bridge = AudioBridge::new(&mixer).expect("bridge");
    let ports: Vec<_> = (0..3).map(|_| Probe::new(&mixer, RATE)).collect();
    for p in &ports {
        bridge.add(p).expect("add");
    }
    for p in &ports {
        for q in &ports {
            assert_eq!(
                mixer.connected(p.slot(), q.slot()),
                !Arc::ptr_eq(p, q),
                "{:?} -> {:?}",
                p.slot(),
                q.slot()
            );
        }
    }
    bridge.remove(&ports[1]).expect("remove");
    assert!(!mixer.connected(ports[1].slot(), ports[0].slot()));
    assert!(!mixer.connected(ports[0].slot(), ports[1].slot()));
    assert!(mixer.connected(ports[0].slot(), ports[2].slot()));

    // And the audio follows: a frame from port 0 reaches port 2 in the same tick.
    ports[0].feed([vec![1000; FRAME]]);
    mixer.tick();
    let heard = ports[2].heard();
    assert_eq!(heard.len(), 1);
    assert!(heard[0].1.iter().all(|&s| s == 1000));
    assert!(ports[0]
        .heard()
        .iter()
        .all(|(_, f)| f.iter().all(|&s| s == 0)));
    assert!(ports[1].heard().is_empty(), "port 1 hears nobody");
}

#[test]
fn a_dropped_port_leaves_the_bridge_and_its_connections() {
    let mixer = mixer();
    let bridge = AudioBridge::new(&mixer).expect("bridge");
    let (a, b, c) = (
        Probe::new(&mixer, RATE),
        Probe::new(&mixer, RATE),
        Probe::new(&mixer, RATE),
    );
    for p in [&a, &b, &c] {
        bridge.add(p).expect("add");
    }
    let b_slot = b.slot();
    drop(b);
    assert!(!mixer.connected(b_slot, a.slot()));
    assert!(!mixer.connected(a.slot(), b_slot));
    assert_eq!(
        mixer.slot_rate(b_slot),
        Err(MixerError::UnknownSlot(b_slot).into())
    );
    let left: Vec<_> = bridge.ports().iter().map(|p| p.port_id()).collect();
    assert_eq!(left.len(), 2);
    assert!(left.contains(&a.port_id()) && left.contains(&c.port_id()));
    assert!(mixer.connected(a.slot(), c.slot()) && mixer.connected(c.slot(), a.slot()));
}

#[test]
fn a_dropped_bridge_takes_back_its_connections() {
    let mixer = mixer();
    let bridge = AudioBridge::new(&mixer).expect("bridge");
    let (a, b) = (Probe::new(&mixer, RATE), Probe::new(&mixer, RATE));
    bridge.add(&a).expect("add");
    bridge.add(&b).expect("add");
    assert!(mixer.connected(a.slot(), b.slot()));
    drop(bridge);
    assert!(!mixer.connected(a.slot(), b.slot()));
    assert!(!mixer.connected(b.slot(), a.slot()));
}

#[test]
fn connections_shared_by_two_bridges_are_counted() {
    let mixer = mixer();
    let (one, two) = (
        AudioBridge::new(&mixer).expect("bridge"),
        AudioBridge::new(&mixer).expect("bridge"),
    );
    let (a, b) = (Probe::new(&mixer, RATE), Probe::new(&mixer, RATE));
    for bridge in [&one, &two] {
        bridge.add(&a).expect("add");
        bridge.add(&b).expect("add");
    }
    one.remove(&b).expect("remove");
    assert!(
        mixer.connected(a.slot(), b.slot()),
        "the second bridge still wants it"
    );
    two.remove(&b).expect("remove");
    assert!(!mixer.connected(a.slot(), b.slot()));
}

#[test]
fn nested_bridges_pass_audio_both_ways_one_frame_late_without_echo() {
    let mixer = mixer();
    let (inner, outer) = (
        AudioBridge::new(&mixer).expect("bridge"),
        AudioBridge::new(&mixer).expect("bridge"),
    );
    let (a, b) = (Probe::new(&mixer, RATE), Probe::new(&mixer, RATE));
    inner.add(&a).expect("add");
    outer.add(&inner).expect("add inner");
    outer.add(&b).expect("add");
    assert_eq!(outer.ports().len(), 2);

    // One frame each, in the first tick only: a's is 1000, b's is -2000.
    a.feed([vec![1000; FRAME]]);
    b.feed([vec![-2000; FRAME]]);
    for _ in 0..4 {
        mixer.tick();
    }
    let loud = |heard: Vec<(u64, Vec<i16>)>| -> Vec<(u64, i16)> {
        heard
            .into_iter()
            .filter(|(_, f)| f.iter().any(|&s| s != 0))
            .map(|(t, f)| (t, f[0]))
            .collect()
    };
    assert_eq!(
        loud(b.heard()),
        [(1, 1000)],
        "b hears a one tick later, and never itself"
    );
    assert_eq!(
        loud(a.heard()),
        [(1, -2000)],
        "a hears b one tick later, and never itself"
    );
}

#[test]
fn muting_the_device_reconnects_it_and_reports_the_change() {
    let mixer = mixer();
    let events = record_events(&mixer);
    let bridge = AudioBridge::new(&mixer).expect("bridge");
    let device = AudioDevice::new(&mixer, false, false);
    let p = Probe::new(&mixer, RATE);
    let dev = mixer.device_slot();
    bridge.add(&device).expect("add");
    bridge.add(&p).expect("add");
    assert!(mixer.connected(dev, p.slot()) && mixer.connected(p.slot(), dev));
    assert!(
        !mixer.connected(dev, dev),
        "the device does not hear itself"
    );

    device.set_input_muted(true);
    assert!(device.input_muted());
    assert_eq!(device.producer_slot(), None);
    assert!(!mixer.connected(dev, p.slot()));
    assert!(mixer.connected(p.slot(), dev));
    device.set_input_muted(true); // No change, no event.
    device.set_output_muted(true);
    assert!(!mixer.connected(p.slot(), dev));
    device.set_input_muted(false);
    assert!(mixer.connected(dev, p.slot()));

    let changes: Vec<_> = events
        .lock()
        .iter()
        .filter(|(_, e)| matches!(e, AudioEvent::PortDidChangeSlots { .. }))
        .map(|(_, e)| e.clone())
        .collect();
    let id = device.port_id();
    assert_eq!(
        changes,
        [
            AudioEvent::PortDidChangeSlots {
                port: id,
                consumer_slot_changed: false,
                producer_slot_changed: true,
                old_consumer_slot: None,
                new_consumer_slot: None,
                old_producer_slot: Some(dev),
                new_producer_slot: None,
            },
            AudioEvent::PortDidChangeSlots {
                port: id,
                consumer_slot_changed: true,
                producer_slot_changed: false,
                old_consumer_slot: Some(dev),
                new_consumer_slot: None,
                old_producer_slot: None,
                new_producer_slot: None,
            },
            AudioEvent::PortDidChangeSlots {
                port: id,
                consumer_slot_changed: false,
                producer_slot_changed: true,
                old_consumer_slot: None,
                new_consumer_slot: None,
                old_producer_slot: None,
                new_producer_slot: Some(dev),
            },
        ]
    );

    // The device slot outlives the port: dropping the port must undo its connections.
    drop(device);
    assert!(!mixer.connected(dev, p.slot()));
    assert!(bridge.ports().len() == 1);
}

#[test]
fn a_port_moving_to_a_new_slot_is_reconnected() {
    let mixer = mixer();
    let events = record_events(&mixer);
    let bridge = AudioBridge::new(&mixer).expect("bridge");
    let (a, b) = (Probe::new(&mixer, RATE), Probe::new(&mixer, RATE));
    bridge.add(&a).expect("add");
    bridge.add(&b).expect("add");
    let (old, new) = a.replace_slot();
    assert!(mixer.connected(new, b.slot()) && mixer.connected(b.slot(), new));
    assert!(!mixer.connected(old, b.slot()));
    let last = events.lock().last().cloned().expect("an event").1;
    assert_eq!(
        last,
        AudioEvent::PortDidChangeSlots {
            port: a.port_id(),
            consumer_slot_changed: true,
            producer_slot_changed: true,
            old_consumer_slot: Some(old),
            new_consumer_slot: Some(new),
            old_producer_slot: Some(old),
            new_producer_slot: Some(new),
        }
    );
}

/// A slot io that reshapes the mixer from inside the tick: the lock rule says it may.
struct Meddler {
    mixer: Mixer,
    extra: Arc<Mutex<Vec<sipsimple_audio::engine::Slot>>>,
}

impl SlotIo for Meddler {
    fn produce(&mut self, out: &mut [i16]) -> bool {
        let slot = self
            .mixer
            .add_slot(RATE, Box::new(sipsimple_audio::engine::SilentIo))
            .expect("slot");
        let device = self.mixer.device_slot();
        self.mixer.connect(slot.id(), device).expect("connect");
        self.extra.lock().push(slot);
        out.fill(7);
        true
    }

    fn consume(&mut self, _frame: &[i16]) {
        // Dropping slots from inside the tick is allowed too.
        self.extra.lock().clear();
    }
}

#[test]
fn slot_callbacks_and_the_event_sink_may_call_back_into_the_mixer() {
    let mixer = mixer();
    let extra = Arc::new(Mutex::new(Vec::new()));
    let meddler = mixer
        .add_slot(
            RATE,
            Box::new(Meddler {
                mixer: mixer.clone(),
                extra: Arc::clone(&extra),
            }),
        )
        .expect("slot");
    mixer
        .connect(mixer.device_slot(), meddler.id())
        .expect("connect");
    let sink_mixer = mixer.clone();
    let seen = Arc::new(Mutex::new(0));
    let seen_in_sink = Arc::clone(&seen);
    mixer.set_event_sink(Arc::new(move |_| {
        // A sink reconnecting things, as an application reacting to an event would.
        let _ = sink_mixer.connected(sink_mixer.device_slot(), sink_mixer.device_slot());
        *seen_in_sink.lock() += 1;
    }));
    let device = AudioDevice::new(&mixer, false, false);
    for _ in 0..3 {
        mixer.tick();
    }
    device.set_input_muted(true);
    assert_eq!(*seen.lock(), 1);
    assert!(
        extra.lock().is_empty(),
        "consume dropped the slots produce made"
    );
    assert_eq!(mixer.ticks(), 3);
}

#[test]
fn a_bridge_holds_a_bounded_number_of_ports() {
    use sipsimple_audio::bridge::MAX_BRIDGE_PORTS;
    use sipsimple_audio::wave::{WavePlayer, WavePlayerOptions};

    let mixer = mixer();
    let bridge = AudioBridge::new(&mixer).expect("bridge");
    // Stopped players have no slots, so the mixer's own bound does not come first.
    let players: Vec<_> = (0..=MAX_BRIDGE_PORTS)
        .map(|_| {
            WavePlayer::new(&mixer, "unused.wav", WavePlayerOptions::default()).expect("player")
        })
        .collect();
    for player in &players[..MAX_BRIDGE_PORTS] {
        bridge.add(player).expect("add");
    }
    assert_eq!(
        bridge.add(&players[MAX_BRIDGE_PORTS]),
        Err(EngineError::BridgeFull {
            max: MAX_BRIDGE_PORTS
        })
    );
    bridge.remove(&players[0]).expect("remove");
    bridge.add(&players[MAX_BRIDGE_PORTS]).expect("room again");
}

#[test]
fn a_stale_report_does_not_undo_a_later_change() {
    use sipsimple_audio::engine::SlotChange;

    let mixer = mixer();
    let bridge = AudioBridge::new(&mixer).expect("bridge");
    let device = AudioDevice::new(&mixer, false, false);
    let p = Probe::new(&mixer, RATE);
    bridge.add(&device).expect("add");
    bridge.add(&p).expect("add");
    let dev = mixer.device_slot();
    device.set_input_muted(true);
    // The report of an earlier unmute, delivered late (two threads raced): the bridge goes by
    // what the device says now.
    mixer.port_slots_changed(
        device.port_id(),
        None,
        Some(SlotChange {
            old: None,
            new: Some(dev),
        }),
    );
    assert!(!mixer.connected(dev, p.slot()));
    assert!(mixer.connected(p.slot(), dev));
}

#[test]
fn two_device_ports_do_not_make_the_device_hear_itself() {
    let mixer = mixer();
    let bridge = AudioBridge::new(&mixer).expect("bridge");
    let (one, two) = (
        AudioDevice::new(&mixer, false, false),
        AudioDevice::new(&mixer, false, false),
    );
    let p = Probe::new(&mixer, RATE);
    bridge.add(&one).expect("add");
    bridge.add(&two).expect("add");
    bridge.add(&p).expect("add");
    let dev = mixer.device_slot();
    assert!(!mixer.connected(dev, dev));
    // Each device port connected the probe once; both must go before it stops hearing.
    bridge.remove(&one).expect("remove");
    assert!(mixer.connected(dev, p.slot()));
    bridge.remove(&two).expect("remove");
    assert!(!mixer.connected(dev, p.slot()));
}
