#!/usr/bin/env python3
"""A recording OTLP/HTTP receiver for the exporter corpus (Python standard library only).

    python3 record.py --dir DIR [--max-seconds N] [--status CODE]

Binds 127.0.0.1 on a free port (port 0), prints its base URL (http://127.0.0.1:PORT) as the
first line on stdout and flushes, then serves until it gets SIGTERM/SIGINT or --max-seconds
pass (default 900, so a forgotten server stops by itself).

Every POST, on any path, is answered with --status (default 200) and an empty body in the
request's content type: for application/x-protobuf an empty body, which is a valid empty
Export*ServiceResponse; for JSON `{}`. Each request body is written raw (still compressed, if
it was) to DIR/NNNN.body, and one JSON line per request is appended to DIR/index.jsonl:
seq, method, path, content_type, content_encoding, transfer_encoding, content_length (the
header, or null), body_file, body_bytes, user_agent and all headers. Chunked request bodies
are de-chunked (the chunk framing is not part of the body).
"""

import argparse
import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the exporters expect
    server_version = "beacon-corpus-recorder"

    def log_message(self, format, *args):  # keep stdout for the URL, stderr quiet
        pass

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts = []
            while True:
                size_line = self.rfile.readline()
                size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()  # CRLF after each chunk
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _answer(self, body_for_request):
        content_type = self.headers.get("Content-Type") or "application/octet-stream"
        status = self.server.answer_status
        base_type = content_type.split(";", 1)[0].strip().lower()
        if status != 200:
            payload = b""
        elif base_type == "application/json":
            payload = b"{}"
        else:
            payload = b""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_POST(self):
        body = self._read_body()
        with self.server.lock:
            self.server.seq += 1
            seq = self.server.seq
        name = f"{seq:04d}.body"
        with open(os.path.join(self.server.out_dir, name), "wb") as f:
            f.write(body)
        entry = {
            "seq": seq,
            "method": self.command,
            "path": self.path,
            "content_type": self.headers.get("Content-Type"),
            "content_encoding": self.headers.get("Content-Encoding"),
            "transfer_encoding": self.headers.get("Transfer-Encoding"),
            "content_length": self.headers.get("Content-Length"),
            "body_file": name,
            "body_bytes": len(body),
            "user_agent": self.headers.get("User-Agent"),
            "headers": {k.lower(): v for k, v in self.headers.items()},
        }
        with self.server.lock:
            with open(os.path.join(self.server.out_dir, "index.jsonl"), "a") as f:
                f.write(json.dumps(entry) + "\n")
        self._answer(body)

    do_PUT = do_POST

    def do_GET(self):
        payload = b"beacon corpus recorder: POST OTLP here\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", required=True, help="where bodies and index.jsonl go")
    parser.add_argument("--max-seconds", type=float, default=900)
    parser.add_argument("--status", type=int, default=200, help="HTTP status to answer")
    args = parser.parse_args()

    os.makedirs(args.dir, exist_ok=True)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    server.daemon_threads = True
    server.out_dir = args.dir
    server.answer_status = args.status
    server.lock = threading.Lock()
    server.seq = 0

    def stop(*_):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    timer = threading.Timer(args.max_seconds, stop)
    timer.daemon = True
    timer.start()

    host, port = server.server_address[:2]
    print(f"http://{host}:{port}", flush=True)
    server.serve_forever()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
