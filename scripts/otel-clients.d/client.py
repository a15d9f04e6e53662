"""The Python OpenTelemetry SDK exporting the fixed corpus workload.

Run by `scripts/otel-clients export python-proto|python-json <base-url> [--gzip]`, with the
interpreter of the matching virtual environment under target/otel-clients/. Prints one JSON
object on stdout (see scripts/otel-clients) and exits 1 if any export failed.

Every exporter is wrapped so that the counts printed are exactly what the SDK handed to the
real OTLP exporter, and the results are what that exporter returned.

The workload runs in two phases per signal, each ended by a flush, so that every signal
goes out as exactly two requests (one per phase) whatever the machine's speed: the batch
processors' timers are set far beyond the run's length and the queues far above its size.
"""

import argparse
import json
import logging
import sys
import threading

from opentelemetry import trace
from opentelemetry._logs import SeverityNumber
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk import version as sdk_version_module
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import (
    BatchLogRecordProcessor,
    LogRecordExporter,
    LogRecordExportResult,
)
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    MetricExporter,
    MetricExportResult,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.metrics.view import ExponentialBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

HOUR_MS = 3_600_000


def load_exporters(client):
    """The real exporter classes, their package name and version, and the gzip setting."""
    if client == "python-proto":
        from opentelemetry.exporter.otlp.proto.http import Compression
        from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.exporter.otlp.proto.http.version import __version__

        return (OTLPSpanExporter, OTLPMetricExporter, OTLPLogExporter,
                "opentelemetry-exporter-otlp-proto-http", __version__,
                Compression.Gzip, Compression.NoCompression)
    if client == "python-json":
        from opentelemetry.exporter.otlp.common.http import Compression
        from opentelemetry.exporter.otlp.json.http._log_exporter import OTLPLogExporter
        from opentelemetry.exporter.otlp.json.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.exporter.otlp.json.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.exporter.otlp.json.http.version import __version__

        return (OTLPSpanExporter, OTLPMetricExporter, OTLPLogExporter,
                "opentelemetry-exporter-otlp-json-http", __version__,
                Compression.GZIP, Compression.NONE)
    raise SystemExit(f"client.py: unknown client {client!r}")


class ExporterMessages(logging.Handler):
    """Keeps what the SDK logs while an export runs in this thread (the exporters log the
    HTTP status or the connection error and return a bare FAILURE), so that a failure can
    say why."""

    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.local = threading.local()

    def emit(self, record):
        messages = getattr(self.local, "messages", None)
        if messages is not None:
            messages.append(record.getMessage().splitlines()[0][:300])

    def start(self):
        self.local.messages = []

    def stop(self):
        messages, self.local.messages = getattr(self.local, "messages", None) or [], None
        return messages


MESSAGES = ExporterMessages()


def why(result, messages):
    return result.name + (" (" + " | ".join(messages) + ")" if messages else "")


class Tally:
    """What went to the exporters, and what they answered, per signal."""

    def __init__(self):
        self.counts = {"spans": 0, "data_points": 0, "log_records": 0, "metrics": 0}
        self.calls = {"traces": 0, "metrics": 0, "logs": 0}
        self.failures = {"traces": [], "metrics": [], "logs": []}

    def record(self, signal, ok, detail):
        self.calls[signal] += 1
        if not ok:
            self.failures[signal].append(detail)

    def results(self):
        out = {}
        for signal in ("traces", "metrics", "logs"):
            if self.failures[signal]:
                out[signal] = "failure: " + "; ".join(self.failures[signal])
            elif self.calls[signal] == 0:
                out[signal] = "failure: the SDK never called the exporter"
            else:
                out[signal] = "success"
        return out


class CountingSpanExporter(SpanExporter):
    def __init__(self, inner, tally):
        self.inner, self.tally = inner, tally

    def export(self, spans):
        self.tally.counts["spans"] += len(spans)
        MESSAGES.start()
        try:
            result = self.inner.export(spans)
        except Exception as error:  # an exporter should not raise; report it if it does
            MESSAGES.stop()
            self.tally.record("traces", False, f"{len(spans)} spans: raised {error!r}")
            raise
        self.tally.record("traces", result == SpanExportResult.SUCCESS,
                          f"{len(spans)} spans: {why(result, MESSAGES.stop())}")
        return result

    def shutdown(self):
        self.inner.shutdown()

    def force_flush(self, timeout_millis=30000):
        return self.inner.force_flush(timeout_millis)


def metric_counts(metrics_data):
    metrics = points = 0
    for rm in metrics_data.resource_metrics:
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                metrics += 1
                points += len(metric.data.data_points)
    return metrics, points


class CountingMetricExporter(MetricExporter):
    def __init__(self, inner, tally):
        # The reader asks the exporter for its temporality and aggregation: pass the real
        # exporter's preferences through unchanged.
        super().__init__(preferred_temporality=inner._preferred_temporality,
                         preferred_aggregation=inner._preferred_aggregation)
        self.inner, self.tally = inner, tally

    def export(self, metrics_data, timeout_millis=10_000, **kwargs):
        metrics, points = metric_counts(metrics_data)
        self.tally.counts["metrics"] += metrics
        self.tally.counts["data_points"] += points
        MESSAGES.start()
        try:
            result = self.inner.export(metrics_data, timeout_millis=timeout_millis, **kwargs)
        except Exception as error:
            MESSAGES.stop()
            self.tally.record("metrics", False, f"{points} data points: raised {error!r}")
            raise
        self.tally.record("metrics", result == MetricExportResult.SUCCESS,
                          f"{points} data points: {why(result, MESSAGES.stop())}")
        return result

    def force_flush(self, timeout_millis=10_000):
        return self.inner.force_flush(timeout_millis)

    def shutdown(self, timeout_millis=30_000, **kwargs):
        self.inner.shutdown(timeout_millis=timeout_millis, **kwargs)


class CountingLogExporter(LogRecordExporter):
    def __init__(self, inner, tally):
        self.inner, self.tally = inner, tally

    def export(self, batch):
        self.tally.counts["log_records"] += len(batch)
        MESSAGES.start()
        try:
            result = self.inner.export(batch)
        except Exception as error:
            MESSAGES.stop()
            self.tally.record("logs", False, f"{len(batch)} log records: raised {error!r}")
            raise
        self.tally.record("logs", result == LogRecordExportResult.SUCCESS,
                          f"{len(batch)} log records: {why(result, MESSAGES.stop())}")
        return result

    def shutdown(self):
        self.inner.shutdown()

    def force_flush(self, timeout_millis=30000):
        return getattr(self.inner, "force_flush", lambda *_: True)(timeout_millis)


# --- the workload -------------------------------------------------------------------------

SPAN_ATTRIBUTES = {
    "corpus.string": "beacon",
    "corpus.bool": True,
    "corpus.int": 42,
    "corpus.int.negative": -7,
    "corpus.int.large": 9_007_199_254_740_993,  # 2^53 + 1: not exact as a JSON double
    "corpus.double": 3.25,
    "corpus.double.whole": 2.0,
    "corpus.string_array": ["a", "b", ""],
    "corpus.bool_array": [True, False],
    "corpus.int_array": [1, 2, 3],
    "corpus.double_array": [0.5, 1.5],
    "corpus.empty_string": "",
}

LOG_ATTRIBUTES = {
    "corpus.string": "beacon",
    "corpus.bool": False,
    "corpus.int": -1,
    "corpus.double": 0.125,
    "corpus.bytes": b"\x00\x01\xfe\xff",
    "corpus.map": {"nested.string": "x", "nested.int": 2, "nested.list": ["y", 3]},
    "corpus.mixed_array": ["s", 1, 2.5, True],
}


def observe_cpu(options: CallbackOptions):
    yield Observation(12.5, {"cpu": "0", "state": "user"})
    yield Observation(3.0, {"cpu": "0", "state": "system"})


def observe_threads(options: CallbackOptions):
    yield Observation(8, {"pool": "workers"})


def observe_memory(options: CallbackOptions):
    yield Observation(123_456_789, {"area": "heap"})
    yield Observation(4_096, {"area": "stack"})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("client", choices=["python-proto", "python-json"])
    parser.add_argument("base_url")
    parser.add_argument("--gzip", action="store_true")
    parser.add_argument("--timeout", type=float, default=10.0,
                        help="per-request exporter timeout in seconds")
    args = parser.parse_args()

    # The SDK's warnings still go to stderr; the exporters' are also kept for the results.
    sdk_logger = logging.getLogger("opentelemetry")
    sdk_logger.addHandler(logging.StreamHandler(sys.stderr))
    sdk_logger.addHandler(MESSAGES)

    (SpanExp, MetricExp, LogExp, exporter_package, exporter_version,
     gzip_value, none_value) = load_exporters(args.client)
    base = args.base_url.rstrip("/")
    compression = gzip_value if args.gzip else none_value
    common = {"timeout": args.timeout, "compression": compression}
    tally = Tally()

    resource = Resource.create({
        "service.name": "beacon-cli-corpus",
        "service.version": "1.0.0",
        "corpus.client": args.client,
    })

    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(BatchSpanProcessor(
        CountingSpanExporter(SpanExp(endpoint=f"{base}/v1/beacon/v1/traces", **common), tally),
        max_queue_size=4096, schedule_delay_millis=HOUR_MS, max_export_batch_size=512))

    reader = PeriodicExportingMetricReader(
        CountingMetricExporter(MetricExp(endpoint=f"{base}/v1/beacon/v1/metrics", **common), tally),
        export_interval_millis=HOUR_MS)
    meter_provider = MeterProvider(
        resource=resource, metric_readers=[reader],
        views=[View(instrument_name="corpus.payload.size",
                    aggregation=ExponentialBucketHistogramAggregation(max_size=20))])

    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(BatchLogRecordProcessor(
        CountingLogExporter(LogExp(endpoint=f"{base}/v1/beacon/v1/logs", **common), tally),
        max_queue_size=4096, schedule_delay_millis=HOUR_MS, max_export_batch_size=512))

    tracer = tracer_provider.get_tracer("beacon-cli.corpus", "1.0.0")
    meter = meter_provider.get_meter("beacon-cli.corpus", "1.0.0")
    logger = logger_provider.get_logger("beacon-cli.corpus", "1.0.0")

    requests = meter.create_counter("corpus.requests", unit="{request}",
                                    description="Requests handled")
    cpu_time = meter.create_counter("corpus.cpu.time", unit="s")
    queue = meter.create_up_down_counter("corpus.queue.depth", unit="{item}")
    duration = meter.create_histogram("corpus.request.duration", unit="ms",
                                      description="Request duration")
    payload = meter.create_histogram("corpus.payload.size", unit="By")
    temperature = meter.create_gauge("corpus.temperature", unit="Cel")
    meter.create_observable_counter("corpus.process.cpu", callbacks=[observe_cpu], unit="s")
    meter.create_observable_up_down_counter("corpus.threads", callbacks=[observe_threads])
    meter.create_observable_gauge("corpus.memory.usage", callbacks=[observe_memory], unit="By")

    # Phase 1: a server span with children of every other kind, logs inside it.
    with tracer.start_as_current_span("GET /v1/beacon/v1/metrics", kind=SpanKind.SERVER,
                                      attributes=SPAN_ATTRIBUTES) as root:
        root.add_event("request.received", {"http.request.body.size": 512, "retry": False})
        logger.emit(severity_number=SeverityNumber.INFO, severity_text="INFO",
                    body="request received", attributes={"http.route": "/v1/beacon/v1/metrics"})
        logger.emit(severity_number=SeverityNumber.DEBUG, severity_text="DEBUG",
                    body="decoding body", attributes={"bytes": 512})
        with tracer.start_as_current_span("SELECT beacon.usage", kind=SpanKind.CLIENT,
                                          attributes={"db.system.name": "postgresql"}) as db:
            db.add_event("rows.read", {"rows": 3})
        with tracer.start_as_current_span("aggregate", kind=SpanKind.INTERNAL):
            logger.emit(severity_number=SeverityNumber.WARN, severity_text="WARN",
                        body={"message": "slow aggregation", "elapsed_ms": 1250,
                              "over_budget": True},
                        attributes=LOG_ATTRIBUTES)
            with tracer.start_as_current_span("publish usage", kind=SpanKind.PRODUCER) as prod:
                producer_context = prod.get_span_context()
        root.set_status(Status(StatusCode.OK))

    for endpoint in ("traces", "metrics", "logs"):
        requests.add(1, {"endpoint": endpoint, "http.response.status_code": 200})
    requests.add(2, {"endpoint": "metrics", "http.response.status_code": 200})
    cpu_time.add(0.25, {"phase": "1"})
    queue.add(5, {"queue": "export"})
    queue.add(-2, {"queue": "export"})
    for value in (0.5, 3, 12, 75, 250, 1200):
        duration.record(value, {"endpoint": "metrics"})
    for value in (1, 100, 1_000, 10_000):
        payload.record(value, {"endpoint": "traces"})
    temperature.set(21.5, {"sensor": "a"})

    tracer_provider.force_flush()
    meter_provider.force_flush()  # collects and exports, as the reader's timer would
    logger_provider.force_flush()

    # Phase 2: a consumer span linked to the producer, a failing child, logs outside spans.
    with tracer.start_as_current_span("consume usage", kind=SpanKind.CONSUMER,
                                      links=[Link(producer_context, {"link.reason": "batch"})]):
        with tracer.start_as_current_span("upload", kind=SpanKind.CLIENT) as failing:
            try:
                raise ConnectionError("beacon unreachable")
            except ConnectionError as error:
                failing.record_exception(error, attributes={"retry.count": 3})
                failing.set_status(Status(StatusCode.ERROR, "upload failed after 3 attempts"))
                logger.emit(severity_number=SeverityNumber.ERROR, severity_text="ERROR",
                            body="upload failed", attributes={"retry.count": 3},
                            exception=error)
    logger.emit(severity_number=SeverityNumber.TRACE, severity_text="TRACE",
                body="outside any span", attributes={"corpus.bytes": b"\x7f"})
    logger.emit(severity_number=SeverityNumber.FATAL, severity_text="FATAL",
                body="shutting down", attributes={"exit.code": 1})
    logger.emit(severity_number=SeverityNumber.INFO2, body=42)  # no severity text, int body
    logger.emit(event_name="corpus.event", body={"kind": "event"},
                severity_number=SeverityNumber.INFO)

    requests.add(1, {"endpoint": "logs", "http.response.status_code": 500})
    cpu_time.add(0.5, {"phase": "2"})
    duration.record(5000, {"endpoint": "logs"})
    payload.record(3, {"endpoint": "logs"})
    temperature.set(22.0, {"sensor": "a"})
    temperature.set(19.0, {"sensor": "b"})

    # Shutdown flushes what is left: the second batch of every signal.
    tracer_provider.shutdown()
    meter_provider.shutdown()
    logger_provider.shutdown()

    results = tally.results()
    print(json.dumps({
        "client": args.client,
        "sdk_version": sdk_version_module.__version__,
        "exporter": {"package": exporter_package, "version": exporter_version,
                     "packages": {exporter_package: exporter_version}},
        "gzip": args.gzip,
        "exported": tally.counts,
        "export_calls": tally.calls,
        "results": results,
    }))
    sys.stdout.flush()
    return 0 if all(r == "success" for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
