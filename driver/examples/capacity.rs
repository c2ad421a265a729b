//! How many concurrent calls one core carries: N call pairs (2·N `RtpAudio` streams, G.711
//! µ-law with SRTP) in one process, one media thread receiving for all of them and one frame
//! clock calling `consume` and `produce` on every stream every 20 ms.
//!
//! ```text
//! taskset -c 0 cargo run --release --example capacity -- 500 10
//! ```
//!
//! Arguments: the number of calls (default 200) and the seconds to run (default 10). It
//! prints how many 20 ms ticks the frame clock could not finish in time, the longest tick,
//! and what the receivers' jitter buffers made of it (late packets, concealed audio).

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_lite::future::block_on;
use sipsimple::configuration::{PortRange, SrtpEncryption};
use sipsimple::media::{MediaEngine, RtpAudio, RtpAudioConfig};
use sipsimple::proto::sdp::negotiation::{answer, build_offer, process_answer};
use sipsimple::proto::sdp::Origin;
use sipsimple_audio::tone::SineGenerator;

const TICK: Duration = Duration::from_millis(20);
const FRAME: usize = 160;

fn stream(engine: &MediaEngine) -> Result<RtpAudio, Box<dyn std::error::Error>> {
    let ip: IpAddr = "127.0.0.1".parse()?;
    let mut config = RtpAudioConfig::new(ip, Arc::new(|_| {}));
    config.port_range = PortRange::new(20000, 39999);
    config.codecs = vec!["PCMU".into()];
    config.srtp = SrtpEncryption::Mandatory;
    Ok(RtpAudio::new(engine, config)?)
}

fn call(engine: &MediaEngine) -> Result<[RtpAudio; 2], Box<dyn std::error::Error>> {
    let ip: IpAddr = "127.0.0.1".parse()?;
    let (a, b) = (stream(engine)?, stream(engine)?);
    if let Some(g) = a.initialize(None)? {
        block_on(g)?;
    }
    let offer = build_offer(&Origin::new("a", 1, 1, ip), &[a.local_media(ip)])?;
    if let Some(g) = b.initialize(Some(&offer.media()[0]))? {
        block_on(g)?;
    }
    let (answer_sdp, at_b) = answer(&offer, &Origin::new("b", 1, 1, ip), &[b.local_media(ip)])?;
    let at_a = process_answer(&offer, &answer_sdp)?;
    a.start(at_a.accepted(0).ok_or("rejected")?)?;
    b.start(at_b.accepted(0).ok_or("rejected")?)?;
    Ok([a, b])
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let calls: usize = args.next().map_or(Ok(200), |a| a.parse())?;
    let seconds: u64 = args.next().map_or(Ok(10), |a| a.parse())?;
    let engine = MediaEngine::new()?;
    let mut streams = Vec::with_capacity(calls * 2);
    for _ in 0..calls {
        streams.extend(call(&engine)?);
    }
    let mut tone = SineGenerator::new(440.0, -10.0, 8000)?;
    let mut frame = [0i16; FRAME];
    let mut out = [0i16; FRAME];
    let ticks = seconds * 50;
    let (mut late, mut longest) = (0u64, Duration::ZERO);
    let start = Instant::now();
    for i in 0..ticks {
        let due = start + TICK * i as u32;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let begun = Instant::now();
        tone.fill(&mut frame);
        for s in &streams {
            s.consume(&frame);
            s.produce(&mut out);
        }
        let done = Instant::now();
        longest = longest.max(done - begun);
        if done > due + TICK {
            late += 1;
        }
    }
    let (mut sent, mut received, mut late_packets, mut concealed, mut lost) = (0, 0, 0, 0, 0);
    for s in &streams {
        let st = s.statistics();
        sent += st.packets_sent;
        received += st.packets_received;
        late_packets += st.jitter_buffer.late;
        concealed += st.jitter_buffer.concealed_samples;
        lost += i64::from(st.packets_lost);
    }
    println!(
        "{calls} calls for {seconds} s: {late} of {ticks} ticks late (longest {:.2} ms); \
         packets sent {sent}, received {received}, lost {lost}, late in jitter buffers \
         {late_packets}; {:.2} % of audio concealed",
        longest.as_secs_f64() * 1000.0,
        100.0 * concealed as f64 / (ticks as f64 * FRAME as f64 * streams.len() as f64),
    );
    for s in &streams {
        s.stop();
    }
    Ok(())
}
