#!/usr/bin/env python3
"""Writes two OTLP/JSON traces bodies of the same size for bench/run's validate-findings section.

    bench/otlp-findings.py CLEAN DIRTY [--mib 50] [--findings 40000]

CLEAN has no finding. DIRTY is CLEAN with FINDINGS spans changed in place, byte for byte the
same length, each to break exactly one rule, spread evenly through the body and taking turns:
`span-end-before-start` (start and end swapped), `enum-out-of-range` (kind 2 becomes 9),
`attribute-key-duplicate` (the second attribute key becomes the first's) and `privacy-email`
(an attribute value becomes an e-mail address). So the two differ only in how much there is
to report. Spans look like an SDK's: resource with service.name and telemetry.sdk.*, a named
scope, eight spans per trace, parent ids, distinct start and end times, an event, a status.
Prints the number of spans and of mutated spans as JSON on standard output.
"""

import argparse
import json
import sys

SPAN = (
    '{{"traceId": "{trace:032x}", "spanId": "{span:016x}", "parentSpanId": "{parent}", '
    '"name": "POST /runs/batch", "kind": {kind}, "startTimeUnixNano": "{start}", '
    '"endTimeUnixNano": "{end}", "attributes": ['
    '{{"key": "{k1}", "value": {{"stringValue": "POST"}}}}, '
    '{{"key": "{k2}", "value": {{"intValue": "200"}}}}, '
    '{{"key": "tenant", "value": {{"stringValue": "{tenant}"}}}}], '
    '"events": [{{"timeUnixNano": "{event}", "name": "parse_request", "attributes": '
    '[{{"key": "request_size", "value": {{"intValue": "{size}"}}}}]}}], '
    '"status": {{"code": 1}}}}'
)
HEAD = (
    '{"resourceSpans": [{"resource": {"attributes": ['
    '{"key": "service.name", "value": {"stringValue": "langsmith-backend"}}, '
    '{"key": "telemetry.sdk.name", "value": {"stringValue": "opentelemetry"}}, '
    '{"key": "telemetry.sdk.language", "value": {"stringValue": "python"}}, '
    '{"key": "telemetry.sdk.version", "value": {"stringValue": "1.39.1"}}]}, '
    '"scopeSpans": [{"scope": {"name": "langsmith.backend", "version": "0.11.0"}, "spans": [\n'
)
TAIL = "\n]}]}]}\n"
KINDS = ["span-end-before-start", "enum-out-of-range", "attribute-key-duplicate", "privacy-email"]


def span(n, mutation):
    start = 1_700_000_000_000_000_000 + n * 1_000_000
    end = start + 750_000
    fields = {
        "trace": n // 8 + 1,
        "span": n + 1,
        "parent": "" if n % 8 == 0 else f"{n // 8 * 8 + 1:016x}",
        "kind": 2,
        "start": start,
        "end": end,
        "k1": "http.method",
        "k2": "http.status",
        "tenant": "tenant-0042-example-org",
        "event": start + 100_000,
        "size": n % 4096,
    }
    if mutation == "span-end-before-start":
        fields["start"], fields["end"] = end, start
        fields["event"] = end + 100_000
    elif mutation == "enum-out-of-range":
        fields["kind"] = 9
    elif mutation == "attribute-key-duplicate":
        fields["k2"] = "http.method"
    elif mutation == "privacy-email":
        fields["tenant"] = "tenant-0042@example.org"
    return SPAN.format(**fields)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("clean")
    parser.add_argument("dirty")
    parser.add_argument("--mib", type=float, default=50)
    parser.add_argument("--findings", type=int, default=40_000)
    args = parser.parse_args()
    target = int(args.mib * 1024 * 1024)
    per_span = len(span(0, None)) + 2
    spans = (target - len(HEAD) - len(TAIL)) // per_span
    if args.findings > spans:
        sys.exit(f"otlp-findings: {args.findings} findings need more than {spans} spans")
    every = spans / args.findings if args.findings else 0
    mutated = {int(i * every): KINDS[i % len(KINDS)] for i in range(args.findings)}
    with open(args.clean, "w") as clean, open(args.dirty, "w") as dirty:
        clean.write(HEAD)
        dirty.write(HEAD)
        for n in range(spans):
            sep = ",\n" if n else ""
            plain = span(n, None)
            clean.write(sep + plain)
            if n in mutated:
                changed = span(n, mutated[n])
                assert len(changed) == len(plain), mutated[n]
                dirty.write(sep + changed)
            else:
                dirty.write(sep + plain)
        clean.write(TAIL)
        dirty.write(TAIL)
    json.dump({"spans": spans, "mutated": len(mutated)}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
