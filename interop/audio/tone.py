#!/usr/bin/env python3
"""Check which tones a 16-bit PCM WAV file holds (or make one), for the interop audio tests.

  tone.py FILE.wav --expect HZ [--expect HZ ...] [--absent HZ ...] [--min-dbfs -30] [--skip-seconds 1]
  tone.py --make FILE.wav --freq HZ [--rate 8000] [--seconds 3] [--dbfs -6] [--channels 1]

Check: reads a 16-bit WAV (mono or stereo, any rate; stereo is averaged to mono), drops the
first --skip-seconds (call set-up, jitter buffer filling), and measures each frequency with a
Goertzel filter. The file is cut into blocks of --block seconds (default 0.1, Hann-windowed),
and a frequency's level is the mean power over the blocks: a lost packet, a jitter-buffer
resync or a sender whose clock is a little off breaks a single long filter's phase but only
costs one short block, and a 0.1 s Hann block is still narrow enough (about 20 Hz main lobe)
to tell 440 Hz from 1000 Hz by more than 80 dB. Levels are in dBFS of a full-scale sine
(a sine of amplitude 32767 is 0 dBFS), so the RMS line reads -3 dBFS for that sine.

Output, one line each:
  FILE path rate=R channels=C seconds=S analysed=S
  RMS dbfs=L
  TONE hz=F dbfs=L expect|absent ok|FAIL
  RESULT ok | RESULT failed: why
Exit 0 only when every --expect is at least --min-dbfs and every --absent is at least
--margin dB (default 20) below the weakest expected one; 1 otherwise, 2 on a bad file.

Make: writes a 16-bit sine of --freq Hz at --dbfs (peak, as above) for the check's own test
and for a WAV source (pjsua2 --play, baresip aufile). Python 3.11 standard library only.
"""
import argparse
import array
import math
import struct
import sys

FULL_SCALE = 32767.0
PCM = 1
EXTENSIBLE = 0xFFFE


class WavError(Exception):
    """The file is not a 16-bit PCM WAV this tool reads."""


def read_wav(path):
    """(rate, channels, mono samples as floats) of a 16-bit PCM WAV.

    A small RIFF reader rather than the `wave` module: 3.11's refuses WAVE_FORMAT_EXTENSIBLE
    headers, and a recorder killed before it closed its file leaves a data size of 0 (or
    0xFFFFFFFF) that must mean "up to the end of the file".
    """
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 12 or data[0:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise WavError("not a RIFF/WAVE file")
    pos, fmt, samples = 12, None, None
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        body = pos + 8
        if cid == b"fmt ":
            if size < 16:
                raise WavError("short fmt chunk")
            tag, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", data, body)
            if tag == EXTENSIBLE and size >= 40:
                tag = struct.unpack_from("<H", data, body + 24)[0]  # the sub-format GUID's first 2 bytes
            fmt = (tag, channels, rate, bits)
        elif cid == b"data":
            end = len(data) if size in (0, 0xFFFFFFFF) or body + size > len(data) else body + size
            samples = data[body:end]
            break
        pos = body + size + (size & 1)  # chunks are padded to even sizes
    if fmt is None or samples is None:
        raise WavError("no fmt or data chunk")
    tag, channels, rate, bits = fmt
    if tag != PCM or bits != 16 or channels < 1 or rate < 1:
        raise WavError(f"not 16-bit PCM (format {tag:#x}, {bits} bits, {channels} channels)")
    pcm = array.array("h")
    pcm.frombytes(samples[:len(samples) - len(samples) % (2 * channels)])
    if sys.byteorder == "big":
        pcm.byteswap()
    if channels == 1:
        return rate, channels, [float(s) for s in pcm]
    return rate, channels, [sum(pcm[i:i + channels]) / channels for i in range(0, len(pcm), channels)]


def goertzel_dbfs(x, rate, freq, block):
    """Mean level of `freq` over Hann-windowed blocks of `block` samples, in dBFS of a sine."""
    window = [0.5 - 0.5 * math.cos(2 * math.pi * i / block) for i in range(block)]
    gain = sum(window) / 2  # a sine of amplitude A gives |X| = A * gain
    coeff = 2 * math.cos(2 * math.pi * freq / rate)
    total, blocks = 0.0, 0
    for start in range(0, len(x) - block + 1, block):
        s1 = s2 = 0.0
        for w, v in zip(window, x[start:start + block]):
            s1, s2 = w * v + coeff * s1 - s2, s1
        power = s1 * s1 + s2 * s2 - coeff * s1 * s2  # |X|^2
        total += power / (gain * FULL_SCALE) ** 2  # amplitude^2 relative to full scale
        blocks += 1
    if blocks == 0:
        return None
    mean = total / blocks
    return 10 * math.log10(mean) if mean > 0 else -math.inf


def rms_dbfs(x):
    if not x:
        return -math.inf
    ms = sum(v * v for v in x) / len(x)
    # Relative to full scale, as sox prints it: -3 dB for a full-scale sine.
    return 10 * math.log10(ms / FULL_SCALE ** 2) if ms > 0 else -math.inf


def fmt_db(v):
    return "-inf" if v == -math.inf else f"{v:.1f}"


def check(a):
    try:
        rate, channels, x = read_wav(a.file)
    except (OSError, WavError) as e:
        print(f"RESULT failed: {a.file}: {e}")
        return 2
    skip = int(a.skip_seconds * rate)
    y = x[skip:]
    print(f"FILE {a.file} rate={rate} channels={channels} seconds={len(x) / rate:.2f} "
          f"analysed={len(y) / rate:.2f}")
    print(f"RMS dbfs={fmt_db(rms_dbfs(y))}")
    block = max(16, int(a.block * rate))
    if len(y) < block:
        print(f"RESULT failed: less than one {a.block:g} s block after skipping {a.skip_seconds:g} s")
        return 1
    why = []
    expected = []
    for f in a.expect:
        level = goertzel_dbfs(y, rate, f, block)
        ok = level >= a.min_dbfs
        expected.append(level)
        print(f"TONE hz={f:g} dbfs={fmt_db(level)} expect {'ok' if ok else 'FAIL'}")
        if not ok:
            why.append(f"{f:g} Hz at {fmt_db(level)} dBFS < {a.min_dbfs:g}")
    limit = (min(expected) if expected else a.min_dbfs) - a.margin
    for f in a.absent:
        level = goertzel_dbfs(y, rate, f, block)
        ok = level <= limit
        print(f"TONE hz={f:g} dbfs={fmt_db(level)} absent {'ok' if ok else 'FAIL'}")
        if not ok:
            why.append(f"{f:g} Hz at {fmt_db(level)} dBFS > {fmt_db(limit)}")
    print("RESULT ok" if not why else "RESULT failed: " + "; ".join(why))
    return 0 if not why else 1


def make(a):
    if not 0 < a.freq < a.rate / 2:
        sys.exit(f"--freq must be between 0 and {a.rate / 2:g} Hz")
    amp = FULL_SCALE * 10 ** (a.dbfs / 20)
    n = int(a.seconds * a.rate)
    pcm = array.array("h", (int(round(amp * math.sin(2 * math.pi * a.freq * i / a.rate))) for i in range(n)
                            for _ in range(a.channels)))
    if sys.byteorder == "big":
        pcm.byteswap()
    body = pcm.tobytes()
    block_align = 2 * a.channels
    header = b"RIFF" + struct.pack("<I", 36 + len(body)) + b"WAVE" + b"fmt " + struct.pack(
        "<IHHIIHH", 16, PCM, a.channels, a.rate, a.rate * block_align, block_align, 16) + b"data" + struct.pack(
        "<I", len(body))
    with open(a.make, "wb") as f:
        f.write(header + body)
    print(f"MADE {a.make} freq={a.freq:g} rate={a.rate} channels={a.channels} seconds={a.seconds:g} "
          f"dbfs={a.dbfs:g}")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file", nargs="?", help="WAV file to check")
    ap.add_argument("--expect", type=float, action="append", default=[], metavar="HZ")
    ap.add_argument("--absent", type=float, action="append", default=[], metavar="HZ")
    ap.add_argument("--min-dbfs", type=float, default=-30.0, help="an expected tone's least level (default -30)")
    ap.add_argument("--margin", type=float, default=20.0,
                    help="dB an absent tone must stay below the weakest expected one (default 20)")
    ap.add_argument("--skip-seconds", type=float, default=1.0, help="ignore the start (default 1)")
    ap.add_argument("--block", type=float, default=0.1, help="Goertzel block length in s (default 0.1)")
    ap.add_argument("--make", metavar="FILE", help="write a sine WAV instead of checking one")
    ap.add_argument("--freq", type=float, default=1000.0, help="--make: frequency (default 1000)")
    ap.add_argument("--rate", type=int, default=8000, help="--make: sample rate (default 8000)")
    ap.add_argument("--seconds", type=float, default=3.0, help="--make: length (default 3)")
    ap.add_argument("--dbfs", type=float, default=-6.0, help="--make: peak level (default -6)")
    ap.add_argument("--channels", type=int, default=1, choices=(1, 2), help="--make: channels (default 1)")
    a = ap.parse_args()
    if a.make:
        return make(a)
    if not a.file or not (a.expect or a.absent):
        ap.error("give FILE and at least one --expect or --absent (or --make FILE)")
    return check(a)


if __name__ == "__main__":
    sys.exit(main())
