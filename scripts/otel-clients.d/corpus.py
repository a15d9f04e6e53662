"""Build fixtures/exporters/ from what record.py recorded (run by scripts/exporter-corpus).

    python corpus.py RECORD_DIR RUNS_JSONL OUT_DIR

Runs in the python-proto venv, which has the `opentelemetry-proto` package. RECORD_DIR is
record.py's directory (index.jsonl + NNNN.body); RUNS_JSONL has one line per client run,
{"run": "<client>[-gzip]", "output": <the JSON object the client printed>}; each run sent
to the base URL http://HOST:PORT/<run>, so a request's path names its run.

For every request body it:
- writes it raw to OUT_DIR/<run>-<signal>[-<n>].<json|pb>[.gz] (numbered when the run sent
  that signal in more than one request, in arrival order);
- decodes it: protobuf with opentelemetry-proto; JSON with json.loads, then strictly
  (unknown fields are errors) into the same protobuf messages with
  google.protobuf.json_format after turning its hex ids into the base64 that proto3 JSON
  uses for bytes;
- counts spans, metrics, data points and log records, from the JSON walk for JSON bodies and
  from the decoded message for protobuf (and checks the two agree for JSON);
- notes how it is encoded (see `json_features` and `proto_features`).

Then it checks, per run, that the bodies hold exactly what the client says it exported and
that there is one body per export call, and writes OUT_DIR/manifest.json. Exits 1 on any
mismatch or decoding error, naming it.
"""

import base64
import binascii
import gzip
import json
import os
import re
import shutil
import sys
from collections import defaultdict

from google.protobuf import json_format
from google.protobuf.unknown_fields import UnknownFieldSet
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

MESSAGES = {
    "traces": ExportTraceServiceRequest,
    "metrics": ExportMetricsServiceRequest,
    "logs": ExportLogsServiceRequest,
}
PATH_RE = re.compile(r"^/(?P<run>[a-z0-9-]+)/v1/beacon/v1/(?P<signal>traces|metrics|logs)$")
ID_KEYS = {"traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id"}
INT64_KEYS = {"startTimeUnixNano", "endTimeUnixNano", "timeUnixNano", "observedTimeUnixNano",
              "intValue", "asInt", "count", "bucketCounts", "zeroCount"}
DOUBLE_KEYS = {"doubleValue", "asDouble", "sum", "min", "max", "explicitBounds"}
ENUM_KEYS = {"kind", "aggregationTemporality", "severityNumber"}
DATA_KEYS = ("gauge", "sum", "histogram", "exponentialHistogram", "summary")
HEX_RE = re.compile(r"^[0-9a-f]*$")
BODY_RE = re.compile(r"^[a-z0-9-]+-(traces|metrics|logs)(-[0-9]+)?\.(json|pb)(\.gz)?$")


class Problem(Exception):
    pass


# --- JSON -----------------------------------------------------------------------------------

def walk(node, visit, parent_key=None):
    """Calls visit(key, value) for every member of every object, depth first."""
    if isinstance(node, dict):
        for key, value in node.items():
            visit(key, value)
            walk(value, visit, key)
    elif isinstance(node, list):
        for item in node:
            walk(item, visit, parent_key)


def json_counts(doc, signal):
    """Counts from the JSON itself (camelCase keys, as OTLP/JSON requires)."""
    counts = {"spans": 0, "metrics": 0, "data_points": 0, "log_records": 0}
    if signal == "traces":
        for rs in doc.get("resourceSpans", []):
            for ss in rs.get("scopeSpans", []):
                counts["spans"] += len(ss.get("spans", []))
    elif signal == "metrics":
        for rm in doc.get("resourceMetrics", []):
            for sm in rm.get("scopeMetrics", []):
                for metric in sm.get("metrics", []):
                    counts["metrics"] += 1
                    for key in DATA_KEYS:
                        if key in metric:
                            counts["data_points"] += len(metric[key].get("dataPoints", []))
    else:
        for rl in doc.get("resourceLogs", []):
            for sl in rl.get("scopeLogs", []):
                counts["log_records"] += len(sl.get("logRecords", []))
    return counts


def hex_ids_to_base64(node):
    """A copy with every hex id as base64, the proto3 JSON form of bytes."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key in ID_KEYS and isinstance(value, str):
                if not HEX_RE.match(value.lower()) or len(value) % 2:
                    raise Problem(f"{key} {value!r} is not hex")
                out[key] = base64.b64encode(binascii.unhexlify(value)).decode()
            else:
                out[key] = hex_ids_to_base64(value)
        return out
    if isinstance(node, list):
        return [hex_ids_to_base64(item) for item in node]
    return node


def kinds(values):
    out = set()
    for value in values:
        if isinstance(value, bool):
            out.add("bool")
        elif isinstance(value, str):
            out.add("string")
        elif isinstance(value, int):
            out.add("integer")
        elif isinstance(value, float):
            out.add("fraction")
        elif value is None:
            out.add("null")
        else:
            out.add(type(value).__name__)
    return sorted(out)


def json_features(doc, signal):
    """How this JSON body writes what OTLP/JSON leaves room for."""
    types = defaultdict(set)  # member name -> JSON types of its scalar values
    non_camel = set()
    zero_defaults = set()
    empty_lists = set()
    enum_values = []
    ids = []

    def visit(key, value):
        if "_" in key:
            non_camel.add(key)
        for item in (value if isinstance(value, list) else [value]):
            if not isinstance(item, (dict, list)):
                types[key].add(kinds([item])[0])
        if key in ENUM_KEYS:
            enum_values.append(value)
        if key == "status" and isinstance(value, dict) and "code" in value:
            enum_values.append(value["code"])
        if key in ("traceId", "spanId", "parentSpanId"):
            ids.append(value)
        if key.startswith("dropped") and value == 0:
            zero_defaults.add(key)
        if isinstance(value, list) and not value:
            empty_lists.add(key)

    walk(doc, visit)
    features = {
        "int64_as_number": sorted(k for k in INT64_KEYS if "integer" in types.get(k, ())),
        "int64_as_string": sorted(k for k in INT64_KEYS if "string" in types.get(k, ())),
        "double_without_fraction": sorted(k for k in DOUBLE_KEYS
                                          if "integer" in types.get(k, ())),
        "number_values": sorted(k for k in ("asInt", "asDouble") if k in types),
        "enums_as": kinds(enum_values),
        "ids": sorted({"empty" if v == "" else "hex-lower" if HEX_RE.match(v) else
                       "hex-upper" if re.match(r"^[0-9A-F]+$", v) else "other" for v in ids}),
        "non_camel_case_keys": sorted(non_camel),
        "zero_defaults_written": sorted(zero_defaults),
        "empty_lists_written": sorted(empty_lists),
    }
    if signal == "traces":
        spans = [s for rs in doc.get("resourceSpans", []) for ss in rs.get("scopeSpans", [])
                 for s in ss.get("spans", [])]
        ids = {s.get("spanId") for s in spans}
        roots = [s for s in spans if not s.get("parentSpanId")]
        features["root_parent_span_id"] = sorted(
            {"omitted" if "parentSpanId" not in s else repr(s["parentSpanId"]) for s in roots})
        features["span_flags"] = sorted({s.get("flags", "omitted") for s in spans}, key=str)
        features["status"] = sorted({json.dumps(s.get("status", "omitted"), sort_keys=True)
                                     for s in spans})
        features["parents_in_body"] = sum(1 for s in spans if s.get("parentSpanId") in ids)
    elif signal == "metrics":
        hist = [dp for rm in doc.get("resourceMetrics", []) for sm in rm.get("scopeMetrics", [])
                for m in sm.get("metrics", []) for k in ("histogram", "exponentialHistogram")
                if k in m for dp in m[k].get("dataPoints", [])]
        features["histogram_min_max"] = sorted({("min" in dp) + ("max" in dp) for dp in hist})
        features["data_kinds"] = sorted({k for rm in doc.get("resourceMetrics", [])
                                         for sm in rm.get("scopeMetrics", [])
                                         for m in sm.get("metrics", []) for k in DATA_KEYS
                                         if k in m})
    else:
        records = [r for rl in doc.get("resourceLogs", []) for sl in rl.get("scopeLogs", [])
                   for r in sl.get("logRecords", [])]
        features["severity_numbers"] = sorted({r.get("severityNumber", 0) for r in records},
                                              key=str)
        features["log_flags"] = sorted({r.get("flags", "omitted") for r in records}, key=str)
        features["has_observed_time"] = sorted({"observedTimeUnixNano" in r for r in records})
        features["has_time"] = sorted({"timeUnixNano" in r for r in records})
        features["outside_span_trace_id"] = sorted(
            {"omitted" if "traceId" not in r else repr(r["traceId"]) for r in records
             if not r.get("spanId")})
        features["with_span_ids"] = sum(1 for r in records if r.get("spanId"))
        features["body_kinds"] = sorted({next(iter(r["body"]), "empty") if "body" in r
                                         else "omitted" for r in records})
    return features


# --- protobuf -------------------------------------------------------------------------------

def message_counts(msg, signal):
    counts = {"spans": 0, "metrics": 0, "data_points": 0, "log_records": 0}
    if signal == "traces":
        counts["spans"] = sum(len(ss.spans) for rs in msg.resource_spans for ss in rs.scope_spans)
    elif signal == "metrics":
        for rm in msg.resource_metrics:
            for sm in rm.scope_metrics:
                for metric in sm.metrics:
                    counts["metrics"] += 1
                    kind = metric.WhichOneof("data")
                    if kind:
                        counts["data_points"] += len(getattr(metric, kind).data_points)
    else:
        counts["log_records"] = sum(len(sl.log_records) for rl in msg.resource_logs
                                    for sl in rl.scope_logs)
    return counts


def unknown_field_count(msg):
    """Fields the OTLP messages do not define, anywhere in the message."""
    count = len(UnknownFieldSet(msg))
    for field, value in msg.ListFields():
        if field.message_type is None:
            continue
        if field.message_type.GetOptions().map_entry:
            continue  # OTLP has no maps
        for item in (value if field.is_repeated else [value]):
            count += unknown_field_count(item)
    return count


def proto_features(msg, raw, signal):
    features = {
        # proto3 encoders leave out fields at their default; a body that does not re-encode
        # to the same bytes wrote some explicitly (or in another order).
        "reencodes_identically": msg.SerializeToString(deterministic=True) == raw,
    }
    if signal == "traces":
        spans = [s for rs in msg.resource_spans for ss in rs.scope_spans for s in ss.spans]
        features["root_parent_span_id_empty"] = all(
            s.parent_span_id == b"" for s in spans if not s.parent_span_id)
        features["span_flags"] = sorted({s.flags for s in spans})
        features["status_codes"] = sorted({s.status.code for s in spans})
        features["id_lengths"] = sorted({(len(s.trace_id), len(s.span_id)) for s in spans})
    elif signal == "metrics":
        hist = []
        for rm in msg.resource_metrics:
            for sm in rm.scope_metrics:
                for m in sm.metrics:
                    kind = m.WhichOneof("data")
                    if kind in ("histogram", "exponential_histogram"):
                        hist.extend(getattr(m, kind).data_points)
        features["histogram_min_max"] = sorted({dp.HasField("min") + dp.HasField("max")
                                                for dp in hist})
        features["data_kinds"] = sorted({m.WhichOneof("data") for rm in msg.resource_metrics
                                         for sm in rm.scope_metrics for m in sm.metrics})
    else:
        records = [r for rl in msg.resource_logs for sl in rl.scope_logs for r in sl.log_records]
        features["severity_numbers"] = sorted({r.severity_number for r in records})
        features["log_flags"] = sorted({r.flags for r in records})
        features["has_observed_time"] = sorted({r.observed_time_unix_nano != 0 for r in records})
        features["has_time"] = sorted({r.time_unix_nano != 0 for r in records})
        features["with_span_ids"] = sum(1 for r in records if r.span_id)
        features["body_kinds"] = sorted({r.body.WhichOneof("value") or "empty" for r in records})
    return features


# --- the corpus -----------------------------------------------------------------------------

def exporter_for(exporter, signal):
    """The package (and version) that exported this signal: JS has one per signal."""
    word = {"traces": "-trace-", "metrics": "-metrics-", "logs": "-logs-"}[signal]
    packages = exporter.get("packages") or {exporter["package"]: exporter["version"]}
    for name, version in packages.items():
        if word in name:
            return name, version
    return exporter["package"], exporter["version"]


def decode(raw, entry, signal):
    encoding = (entry.get("content_encoding") or "").lower()
    data = gzip.decompress(raw) if encoding == "gzip" else raw
    if encoding not in ("", "gzip"):
        raise Problem(f"unexpected content-encoding {encoding!r}")
    content_type = (entry.get("content_type") or "").split(";")[0].strip().lower()
    message = MESSAGES[signal]()
    if content_type == "application/x-protobuf":
        message.ParseFromString(data)
        if unknown_field_count(message):
            raise Problem(f"{unknown_field_count(message)} fields OTLP does not define")
        return "pb", message_counts(message, signal), proto_features(message, data, signal)
    if content_type == "application/json":
        doc = json.loads(data)
        counts = json_counts(doc, signal)
        try:
            json_format.ParseDict(hex_ids_to_base64(doc), message, ignore_unknown_fields=False)
        except json_format.ParseError as error:
            raise Problem(f"not OTLP/JSON for {signal}: {error}") from None
        if message_counts(message, signal) != counts:
            raise Problem(f"JSON walk counts {counts} but the decoded message counts "
                          f"{message_counts(message, signal)}")
        return "json", counts, json_features(doc, signal)
    raise Problem(f"unexpected content-type {entry.get('content_type')!r}")


def main():
    record_dir, runs_file, out_dir = sys.argv[1:4]
    runs = {}
    with open(runs_file) as f:
        for line in f:
            if line.strip():
                run = json.loads(line)
                runs[run["run"]] = run["output"]
    with open(os.path.join(record_dir, "index.jsonl")) as f:
        entries = [json.loads(line) for line in f if line.strip()]

    by_run_signal = defaultdict(list)
    problems = []
    for entry in sorted(entries, key=lambda e: e["seq"]):
        match = PATH_RE.match(entry["path"])
        if not match or match["run"] not in runs:
            problems.append(f"request {entry['seq']} to {entry['path']}: no run sent it")
            continue
        by_run_signal[(match["run"], match["signal"])].append(entry)

    if os.path.isdir(out_dir):  # the last corpus goes; README.md and the like stay
        for name in os.listdir(out_dir):
            if name == "manifest.json" or BODY_RE.match(name):
                os.remove(os.path.join(out_dir, name))
    os.makedirs(out_dir, exist_ok=True)

    bodies = []
    totals = defaultdict(lambda: defaultdict(int))
    for run, output in runs.items():
        for signal in ("traces", "metrics", "logs"):
            requests = by_run_signal.get((run, signal), [])
            calls = output.get("export_calls", {}).get(signal)
            if len(requests) != calls:
                problems.append(f"{run} {signal}: {len(requests)} requests arrived but the "
                                f"client made {calls} export calls")
            for n, entry in enumerate(requests, 1):
                with open(os.path.join(record_dir, entry["body_file"]), "rb") as f:
                    raw = f.read()
                try:
                    ext, counts, features = decode(raw, entry, signal)
                except Exception as error:  # report every bad body, not just the first
                    problems.append(f"{run} {signal} request {n}: {error}")
                    continue
                suffix = f"-{n}" if len(requests) > 1 else ""
                gz = ".gz" if (entry.get("content_encoding") or "").lower() == "gzip" else ""
                name = f"{run}-{signal}{suffix}.{ext}{gz}"
                shutil.copyfile(os.path.join(record_dir, entry["body_file"]),
                                os.path.join(out_dir, name))
                for key, value in counts.items():
                    totals[run][key] += value
                package, version = exporter_for(output["exporter"], signal)
                bodies.append({
                    "file": name,
                    "endpoint": signal,
                    "path": "/v1/beacon/v1/" + signal,
                    "content_type": entry.get("content_type"),
                    "content_encoding": entry.get("content_encoding"),
                    "transfer_encoding": entry.get("transfer_encoding"),
                    "content_length_header": entry.get("content_length") is not None,
                    "user_agent": entry.get("user_agent"),
                    "client": output["client"],
                    "gzip": output["gzip"],
                    "sdk_version": output["sdk_version"],
                    "exporter_package": package,
                    "exporter_version": version,
                    "request": n,
                    "requests_for_signal": len(requests),
                    "bytes": len(raw),
                    "counts": counts,
                    "features": features,
                })
        exported = output["exported"]
        for key in ("spans", "metrics", "data_points", "log_records"):
            if totals[run][key] != exported[key]:
                problems.append(f"{run}: the bodies hold {totals[run][key]} {key}, the client "
                                f"says it exported {exported[key]}")

    manifest = {
        "about": "Real OpenTelemetry SDK exporter request bodies; see README.md. counts are "
                 "counted from each body; features say how it is encoded.",
        "clients": {run: {k: out[k] for k in ("client", "sdk_version", "exporter", "gzip",
                                               "exported", "export_calls", "results")}
                    for run, out in runs.items()},
        "bodies": bodies,
    }
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2, sort_keys=False)
        f.write("\n")

    if problems:
        for problem in problems:
            print(f"corpus.py: {problem}", file=sys.stderr)
        return 1
    print(f"corpus.py: {len(bodies)} bodies from {len(runs)} runs, every count matches",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
