'use strict';
// The JavaScript (Node.js) OpenTelemetry SDK exporting the fixed corpus workload.
//
// Run by `scripts/otel-clients export js-json|js-proto <base-url> [--gzip]` with NODE_PATH set
// to target/otel-clients/node/node_modules. Prints one JSON object on stdout (see
// scripts/otel-clients) and exits 1 if any export failed.
//
// js-json uses the @opentelemetry/exporter-*-otlp-http exporters (OTLP/JSON), js-proto the
// @opentelemetry/exporter-*-otlp-proto ones (protobuf). Every exporter is wrapped so that
// the counts printed are exactly what the SDK handed to the real exporter, and the results
// are what that exporter reported to its result callback.
//
// The workload runs in two phases per signal, each ended by a flush, so that every signal
// goes out as exactly two requests: the batch processors' timers are set far beyond the
// run's length and the queues far above its size. It mirrors client.py.

const fs = require('fs');
const path = require('path');

const api = require('@opentelemetry/api');
const { SeverityNumber } = require('@opentelemetry/api-logs');
const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks');
const { ExportResultCode, SDK_INFO } = require('@opentelemetry/core');
const { defaultResource, resourceFromAttributes } = require('@opentelemetry/resources');
const { BasicTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const {
  AggregationType,
  MeterProvider,
  PeriodicExportingMetricReader,
} = require('@opentelemetry/sdk-metrics');
const { BatchLogRecordProcessor, LoggerProvider } = require('@opentelemetry/sdk-logs');

const HOUR_MS = 3600 * 1000;

function usage(message) {
  process.stderr.write(`client.cjs: ${message}\nusage: client.cjs js-json|js-proto BASE_URL [--gzip] [--timeout SECONDS]\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const positional = [];
  let gzip = false;
  let timeout = 10;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--gzip') gzip = true;
    else if (argv[i] === '--timeout') timeout = Number(argv[++i]);
    else if (argv[i].startsWith('--')) usage(`unknown option ${argv[i]}`);
    else positional.push(argv[i]);
  }
  if (positional.length !== 2) usage('need a client and a base URL');
  const [client, baseUrl] = positional;
  if (client !== 'js-json' && client !== 'js-proto') usage(`unknown client ${client}`);
  if (!(timeout > 0)) usage('--timeout needs a positive number of seconds');
  return { client, baseUrl: baseUrl.replace(/\/+$/, ''), gzip, timeout };
}

function packageVersion(name) {
  // Read package.json from the directory NODE_PATH points at ("exports" maps hide it from
  // require): the version the lock file installed.
  for (const dir of (process.env.NODE_PATH || '').split(path.delimiter).filter(Boolean)) {
    const file = path.join(dir, name, 'package.json');
    if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')).version;
  }
  return null;
}

function loadExporters(client) {
  const suffix = client === 'js-json' ? 'http' : 'proto';
  const pkgs = {
    traces: `@opentelemetry/exporter-trace-otlp-${suffix}`,
    metrics: `@opentelemetry/exporter-metrics-otlp-${suffix}`,
    logs: `@opentelemetry/exporter-logs-otlp-${suffix}`,
  };
  return {
    pkgs,
    SpanExporter: require(pkgs.traces).OTLPTraceExporter,
    MetricExporter: require(pkgs.metrics).OTLPMetricExporter,
    LogExporter: require(pkgs.logs).OTLPLogExporter,
  };
}

class Tally {
  constructor() {
    this.counts = { spans: 0, data_points: 0, log_records: 0, metrics: 0 };
    this.calls = { traces: 0, metrics: 0, logs: 0 };
    this.failures = { traces: [], metrics: [], logs: [] };
  }
  record(signal, result, what) {
    this.calls[signal] += 1;
    if (result.code !== ExportResultCode.SUCCESS) {
      const error = result.error ? String(result.error.message || result.error) : 'no error given';
      this.failures[signal].push(`${what}: ${error}`);
    }
  }
  results() {
    const out = {};
    for (const signal of ['traces', 'metrics', 'logs']) {
      if (this.failures[signal].length) out[signal] = `failure: ${this.failures[signal].join('; ')}`;
      else if (this.calls[signal] === 0) out[signal] = 'failure: the SDK never called the exporter';
      else out[signal] = 'success';
    }
    return out;
  }
}

// A provider's flush or shutdown rejects when an export under it failed: that failure is
// already in the tally (the exporter reported it), anything else is recorded here.
async function settle(tally, signal, what, promise) {
  try {
    await promise;
  } catch (error) {
    if (!tally.failures[signal].length) {
      tally.failures[signal].push(`${what}: ${error && error.message ? error.message : error}`);
    }
  }
}

// A wrapper with the real exporter's methods, counting what export() is handed and recording
// what the exporter reports. The metric reader asks the exporter for its temporality and
// aggregation: those are passed through unchanged.
function counting(inner, signal, tally, count) {
  const wrapper = {
    export(items, resultCallback) {
      const what = count(items);
      inner.export(items, (result) => {
        tally.record(signal, result, what);
        resultCallback(result);
      });
    },
    shutdown: () => inner.shutdown(),
    forceFlush: () => (inner.forceFlush ? inner.forceFlush() : Promise.resolve()),
  };
  if (inner.selectAggregationTemporality) {
    wrapper.selectAggregationTemporality = (kind) => inner.selectAggregationTemporality(kind);
  }
  if (inner.selectAggregation) wrapper.selectAggregation = (kind) => inner.selectAggregation(kind);
  return wrapper;
}

// --- the workload -------------------------------------------------------------------------

const SPAN_ATTRIBUTES = {
  'corpus.string': 'beacon',
  'corpus.bool': true,
  'corpus.int': 42,
  'corpus.int.negative': -7,
  'corpus.int.large': Number.MAX_SAFE_INTEGER, // JS numbers stop being exact above 2^53
  'corpus.double': 3.25,
  'corpus.double.whole': 2.0, // a JS number: indistinguishable from the integer 2
  'corpus.string_array': ['a', 'b', ''],
  'corpus.bool_array': [true, false],
  'corpus.int_array': [1, 2, 3],
  'corpus.double_array': [0.5, 1.5],
  'corpus.empty_string': '',
};

const LOG_ATTRIBUTES = {
  'corpus.string': 'beacon',
  'corpus.bool': false,
  'corpus.int': -1,
  'corpus.double': 0.125,
  'corpus.bytes': new Uint8Array([0x00, 0x01, 0xfe, 0xff]),
  'corpus.map': { 'nested.string': 'x', 'nested.int': 2, 'nested.list': ['y', 3] },
  'corpus.mixed_array': ['s', 1, 2.5, true],
};

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const { pkgs, SpanExporter, MetricExporter, LogExporter } = loadExporters(args.client);
  const tally = new Tally();
  const common = { timeoutMillis: args.timeout * 1000, compression: args.gzip ? 'gzip' : 'none' };
  const url = (signal) => `${args.baseUrl}/v1/beacon/v1/${signal}`;

  api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

  const resource = defaultResource().merge(resourceFromAttributes({
    'service.name': 'beacon-cli-corpus',
    'service.version': '1.0.0',
    'corpus.client': args.client,
  }));

  const spanExporter = counting(new SpanExporter({ url: url('traces'), ...common }), 'traces', tally,
    (spans) => {
      tally.counts.spans += spans.length;
      return `${spans.length} spans`;
    });
  const tracerProvider = new BasicTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(spanExporter, {
      maxQueueSize: 4096, scheduledDelayMillis: HOUR_MS, maxExportBatchSize: 512,
    })],
  });

  const metricExporter = counting(new MetricExporter({ url: url('metrics'), ...common }), 'metrics',
    tally, (resourceMetrics) => {
      let metrics = 0;
      let points = 0;
      for (const sm of resourceMetrics.scopeMetrics) {
        for (const metric of sm.metrics) {
          metrics += 1;
          points += metric.dataPoints.length;
        }
      }
      tally.counts.metrics += metrics;
      tally.counts.data_points += points;
      return `${points} data points`;
    });
  const meterProvider = new MeterProvider({
    resource,
    readers: [new PeriodicExportingMetricReader({
      exporter: metricExporter, exportIntervalMillis: HOUR_MS, exportTimeoutMillis: 30000,
    })],
    views: [{
      instrumentName: 'corpus.payload.size',
      aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: 20 } },
    }],
  });

  const logExporter = counting(new LogExporter({ url: url('logs'), ...common }), 'logs', tally,
    (records) => {
      tally.counts.log_records += records.length;
      return `${records.length} log records`;
    });
  const loggerProvider = new LoggerProvider({
    resource,
    // sdk-logs 0.2xx takes one options object, the exporter inside it.
    processors: [new BatchLogRecordProcessor({
      exporter: logExporter, maxQueueSize: 4096, scheduledDelayMillis: HOUR_MS, maxExportBatchSize: 512,
    })],
  });

  const tracer = tracerProvider.getTracer('beacon-cli.corpus', '1.0.0');
  const meter = meterProvider.getMeter('beacon-cli.corpus', '1.0.0');
  const logger = loggerProvider.getLogger('beacon-cli.corpus', '1.0.0');

  const requests = meter.createCounter('corpus.requests', { unit: '{request}', description: 'Requests handled' });
  const cpuTime = meter.createCounter('corpus.cpu.time', { unit: 's' });
  // JS numbers do not say int or double: an instrument is double (asDouble) unless it is
  // declared INT. corpus.requests keeps the default, as most code does; the integer-only
  // ones below are declared INT, as Python infers from its int values.
  const queue = meter.createUpDownCounter('corpus.queue.depth', { unit: '{item}', valueType: api.ValueType.INT });
  const duration = meter.createHistogram('corpus.request.duration', { unit: 'ms', description: 'Request duration' });
  const payload = meter.createHistogram('corpus.payload.size', { unit: 'By' });
  const temperature = meter.createGauge('corpus.temperature', { unit: 'Cel' });
  meter.createObservableCounter('corpus.process.cpu', { unit: 's' }).addCallback((result) => {
    result.observe(12.5, { cpu: '0', state: 'user' });
    result.observe(3.0, { cpu: '0', state: 'system' });
  });
  meter.createObservableUpDownCounter('corpus.threads', { valueType: api.ValueType.INT }).addCallback((result) => {
    result.observe(8, { pool: 'workers' });
  });
  meter.createObservableGauge('corpus.memory.usage', { unit: 'By', valueType: api.ValueType.INT }).addCallback((result) => {
    result.observe(123456789, { area: 'heap' });
    result.observe(4096, { area: 'stack' });
  });

  // Phase 1: a server span with children of every other kind, logs inside it.
  let producerContext;
  tracer.startActiveSpan('GET /v1/beacon/v1/metrics',
    { kind: api.SpanKind.SERVER, attributes: SPAN_ATTRIBUTES }, (root) => {
      root.addEvent('request.received', { 'http.request.body.size': 512, retry: false });
      logger.emit({ severityNumber: SeverityNumber.INFO, severityText: 'INFO',
        body: 'request received', attributes: { 'http.route': '/v1/beacon/v1/metrics' } });
      logger.emit({ severityNumber: SeverityNumber.DEBUG, severityText: 'DEBUG',
        body: 'decoding body', attributes: { bytes: 512 } });
      tracer.startActiveSpan('SELECT beacon.usage',
        { kind: api.SpanKind.CLIENT, attributes: { 'db.system.name': 'postgresql' } }, (db) => {
          db.addEvent('rows.read', { rows: 3 });
          db.end();
        });
      tracer.startActiveSpan('aggregate', { kind: api.SpanKind.INTERNAL }, (agg) => {
        logger.emit({ severityNumber: SeverityNumber.WARN, severityText: 'WARN',
          body: { message: 'slow aggregation', elapsed_ms: 1250, over_budget: true },
          attributes: LOG_ATTRIBUTES });
        tracer.startActiveSpan('publish usage', { kind: api.SpanKind.PRODUCER }, (producer) => {
          producerContext = producer.spanContext();
          producer.end();
        });
        agg.end();
      });
      root.setStatus({ code: api.SpanStatusCode.OK });
      root.end();
    });

  for (const endpoint of ['traces', 'metrics', 'logs']) {
    requests.add(1, { endpoint, 'http.response.status_code': 200 });
  }
  requests.add(2, { endpoint: 'metrics', 'http.response.status_code': 200 });
  cpuTime.add(0.25, { phase: '1' });
  queue.add(5, { queue: 'export' });
  queue.add(-2, { queue: 'export' });
  for (const value of [0.5, 3, 12, 75, 250, 1200]) duration.record(value, { endpoint: 'metrics' });
  for (const value of [1, 100, 1000, 10000]) payload.record(value, { endpoint: 'traces' });
  temperature.record(21.5, { sensor: 'a' });

  await settle(tally, 'traces', 'flush', tracerProvider.forceFlush());
  // Collects and exports, as the reader's timer would.
  await settle(tally, 'metrics', 'flush', meterProvider.forceFlush());
  await settle(tally, 'logs', 'flush', loggerProvider.forceFlush());

  // Phase 2: a consumer span linked to the producer, a failing child, logs outside spans.
  tracer.startActiveSpan('consume usage', {
    kind: api.SpanKind.CONSUMER,
    links: [{ context: producerContext, attributes: { 'link.reason': 'batch' } }],
  }, (consumer) => {
    tracer.startActiveSpan('upload', { kind: api.SpanKind.CLIENT }, (failing) => {
      const error = new Error('beacon unreachable');
      error.name = 'ConnectionError';
      failing.recordException(error);
      failing.setStatus({ code: api.SpanStatusCode.ERROR, message: 'upload failed after 3 attempts' });
      logger.emit({ severityNumber: SeverityNumber.ERROR, severityText: 'ERROR',
        body: 'upload failed', attributes: { 'retry.count': 3 }, exception: error });
      failing.end();
    });
    consumer.end();
  });
  logger.emit({ severityNumber: SeverityNumber.TRACE, severityText: 'TRACE',
    body: 'outside any span', attributes: { 'corpus.bytes': new Uint8Array([0x7f]) } });
  logger.emit({ severityNumber: SeverityNumber.FATAL, severityText: 'FATAL',
    body: 'shutting down', attributes: { 'exit.code': 1 } });
  logger.emit({ severityNumber: SeverityNumber.INFO2, body: 42 }); // no severity text, int body
  logger.emit({ eventName: 'corpus.event', body: { kind: 'event' }, severityNumber: SeverityNumber.INFO });

  requests.add(1, { endpoint: 'logs', 'http.response.status_code': 500 });
  cpuTime.add(0.5, { phase: '2' });
  duration.record(5000, { endpoint: 'logs' });
  payload.record(3, { endpoint: 'logs' });
  temperature.record(22.0, { sensor: 'a' });
  temperature.record(19.0, { sensor: 'b' });

  // Shutdown flushes what is left: the second batch of every signal.
  await settle(tally, 'traces', 'shutdown', tracerProvider.shutdown());
  await settle(tally, 'metrics', 'shutdown', meterProvider.shutdown());
  await settle(tally, 'logs', 'shutdown', loggerProvider.shutdown());

  const results = tally.results();
  process.stdout.write(JSON.stringify({
    client: args.client,
    sdk_version: SDK_INFO['telemetry.sdk.version'],
    exporter: { package: pkgs.traces, version: packageVersion(pkgs.traces),
      packages: Object.fromEntries(Object.values(pkgs).map((p) => [p, packageVersion(p)])) },
    gzip: args.gzip,
    exported: tally.counts,
    export_calls: tally.calls,
    results,
  }) + '\n');
  return Object.values(results).every((r) => r === 'success') ? 0 : 1;
}

main().then((code) => { process.exitCode = code; }, (error) => {
  process.stderr.write(`client.cjs: ${error && error.stack ? error.stack : error}\n`);
  process.exitCode = 1;
});
