#!/usr/bin/env python3
"""Writes the journal fuzzer's seed corpus (fuzz/corpus/journal/): a small journal file as the
broker writes it (docs/storage.md), the same records as the harness's unframed stream (a length
byte before each record), and a torn and a damaged journal. The files are committed."""
import pathlib
import struct
import zlib

OUT = pathlib.Path(__file__).resolve().parent / "corpus" / "journal"


def varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def s(text):
    raw = text.encode()
    return varint(len(raw)) + raw


def zigzag(n):
    return varint((n << 1) ^ (n >> 63) & 0xFFFFFFFFFFFFFFFF)


# Kind bytes are the Record variant indexes (broker/include/broker/persistence.hpp).
RECORDS = [
    b"\x00" + s("lock-A"),                                               # SessionCreated
    b"\x04" + s("lock-A") + s("/12345678901/call") + b"\x01",           # Subscribed, QoS 1
    b"\x06" + varint(1) + s("/12345678901/call") + s("unlock") + b"\x09",  # MessageStored, QoS 1
    b"\x07" + s("lock-A") + varint(1) + b"\x01\x00",                    # Enqueued
    b"\x08" + s("lock-A") + varint(1) + varint(5),                      # Sent, packet id 5
    b"\x06" + varint(2) + s("/12345678901/statu") + s("1") + b"\x0d",   # MessageStored, retained
    b"\x0e" + s("/12345678901/statu") + varint(2),                      # RetainSet
    b"\x0c" + s("lock-A") + varint(9),                                  # IncomingQos2
    b"\x03" + s("lock-A") + zigzag(1764100000123),                      # SessionDetached
    b"\x0a" + s("lock-A") + varint(5),                                  # Completed
    b"\x01" + s("gone"),                                                # SessionEnded
]


def journal(records):
    out = b"SAKURAPJ" + struct.pack("<I", 1)
    for r in records:
        out += struct.pack("<II", len(r), zlib.crc32(r)) + r
    return out


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.iterdir():
        old.unlink()
    whole = journal(RECORDS)
    damaged = bytearray(whole)
    damaged[len(whole) // 2] ^= 0x5A
    seeds = {
        "journal": whole,
        "journal-torn": whole[:-3],
        "journal-damaged": bytes(damaged),
        "records": b"".join(bytes([len(r)]) + r for r in RECORDS),
    }
    for name, data in seeds.items():
        (OUT / name).write_bytes(data)
    print(f"{len(seeds)} seeds in {OUT}")


if __name__ == "__main__":
    main()
