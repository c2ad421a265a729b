//! The sound card device, as far as a machine without one can check: enumeration does not
//! fail or panic, a missing device is a typed error that leaves the mixer free for another
//! device, and with no card chosen for either direction its timer still drives the clock and
//! a switch reports the change.
#![cfg(feature = "cpal")]

mod common;

use std::time::Duration;

use common::record_events;
use sipsimple_audio::cpal_device::{
    default_input_device, default_output_device, devices, CpalDevice, DeviceChoice,
};
use sipsimple_audio::device::NullDevice;
use sipsimple_audio::engine::{AudioEvent, EngineError, Mixer};

#[test]
fn enumeration_works_with_or_without_a_card() {
    match devices() {
        Ok(list) => assert!(list.iter().all(|d| !d.name.is_empty())),
        Err(error) => assert!(matches!(error, EngineError::Device(_))),
    }
    // The defaults are names or nothing; asking twice agrees.
    assert_eq!(default_output_device(), default_output_device());
    assert_eq!(default_input_device(), default_input_device());
}

#[test]
fn a_missing_device_is_an_error_that_frees_the_clock() {
    let mixer = Mixer::new(16000).expect("mixer");
    let named = DeviceChoice::Named("no such sound card".into());
    assert!(matches!(
        CpalDevice::start(&mixer, &DeviceChoice::None, &named),
        Err(EngineError::Device(_))
    ));
    NullDevice::start(&mixer).expect("the clock is free again");

    // The default card: where there is none (or it cannot open), a typed error.
    match CpalDevice::start(&mixer, &DeviceChoice::Default, &DeviceChoice::Default) {
        Ok(mut device) => device.stop(),
        Err(error) => assert!(matches!(error, EngineError::Device(_)), "{error:?}"),
    }
    NullDevice::start(&mixer).expect("the clock is free again");
}

#[test]
fn without_cards_a_timer_drives_the_clock_and_switches_are_reported() {
    let mixer = Mixer::new(8000).expect("mixer");
    let events = record_events(&mixer);
    let mut device =
        CpalDevice::start(&mixer, &DeviceChoice::None, &DeviceChoice::None).expect("device");
    assert_eq!(
        NullDevice::start(&mixer).map(|_| ()),
        Err(EngineError::ClockBusy)
    );
    std::thread::sleep(Duration::from_millis(200));
    assert!(mixer.ticks() > 0);
    device
        .switch(&DeviceChoice::None, &DeviceChoice::None)
        .expect("switch");
    assert_eq!(device.input_device(), None);
    assert!(events.lock().iter().any(|(_, e)| *e
        == AudioEvent::DeviceDidChange {
            input_device: None,
            output_device: None
        }));
    let before = mixer.ticks();
    std::thread::sleep(Duration::from_millis(200));
    assert!(mixer.ticks() > before, "the clock runs after the switch");
    drop(device);
    NullDevice::start(&mixer).expect("the clock is free after drop");
}
