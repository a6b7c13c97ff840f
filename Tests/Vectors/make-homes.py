#!/usr/bin/env python3
"""Writes Tests/Vectors/homes.json: the home of a few hundred user ids in a few federations, as
the Swift implementation computes it (`presence-bridge home --index`, the CLI over HomeBrokers).

    Tests/Vectors/make-homes.py [PATH-TO-presence-bridge]

Run once and committed; HomeBrokersTests (Swift) and web/tests/homes.test.js (the browser SDK)
both check every entry, so the two implementations agree or one of the suites fails. The ids
are made here deterministically: sequential ones, every character the contract allows, and
lengths 1 to 64. The broker lists include one with non-ASCII bytes (both hash UTF-8).
"""
import json
import pathlib
import random
import string
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]

FEDERATIONS = [
    ["mqtt://10.0.0.1:1883", "mqtt://10.0.0.2:1883", "mqtt://10.0.0.3:1883"],
    ["mqtt://127.0.0.1:1883", "mqtt://127.0.0.1:1884", "mqtt://127.0.0.1:1885"],
    ["mqtt://a.example:1883", "mqtt://b.example:1883", "mqtt://brøker-ü.example:1883",
     "mqtts://d.example:8883", "mqtt://[::1]:1883"],
    ["mqtt://solo:1883"],
]


def users():
    rng = random.Random(14)
    first = string.ascii_letters + string.digits
    rest = first + "._-@"
    ids = [f"user{i}" for i in range(100)]
    ids += ["alice", "bob", "carol", "dave", "A", "0", "a@b.c", "x-y_z.w", "z" * 64]
    while len(ids) < 300:
        length = rng.randint(1, 64)
        ids.append(rng.choice(first) + "".join(rng.choice(rest) for _ in range(length - 1)))
    return list(dict.fromkeys(ids))


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else str(pathlib.Path(subprocess.run(
        ["swift", "build", "--show-bin-path"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip(), "presence-bridge"))
    ids = users()
    federations = []
    for brokers in FEDERATIONS:
        out = subprocess.run([binary, "home", "--index", "--brokers", ",".join(brokers), *ids],
                             check=True, capture_output=True, text=True).stdout.splitlines()
        homes = {}
        for line in out:
            user, index = line.split(" ")
            homes[user] = int(index)
        assert list(homes) == ids, "one line per user, in order"
        federations.append({"brokers": brokers, "homes": homes})
    document = {
        "//": "Made by Tests/Vectors/make-homes.py with presence-bridge home --index; checked by HomeBrokersTests and web/tests/homes.test.js.",
        "federations": federations,
    }
    (HERE / "homes.json").write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
