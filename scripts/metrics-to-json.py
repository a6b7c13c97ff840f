#!/usr/bin/env python3
"""Reads a Prometheus text exposition on stdin, parses it with prometheus_client's own parser
(which rejects what is not valid), and prints every sample as JSON:
{"samples": [{"name": ..., "labels": {...}, "value": ...}], "types": {"family": "counter", ...}}.
Used by the tests of /metrics; exits 1 with the parser's message when the text does not parse."""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families

text = sys.stdin.read()
try:
    families = list(text_string_to_metric_families(text))
except Exception as error:  # the parser's own error, whatever its type
    print(f"unparsable exposition: {error}", file=sys.stderr)
    sys.exit(1)
samples = []
types = {}
for family in families:
    types[family.name] = family.type
    for sample in family.samples:
        samples.append({"name": sample.name, "labels": dict(sample.labels), "value": sample.value})
json.dump({"samples": samples, "types": types}, sys.stdout)
