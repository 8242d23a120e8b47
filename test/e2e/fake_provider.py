#!/usr/bin/env python3
"""Minimal OpenAI-compatible fake provider for the e2e suite (stdlib only).

Usage: python3 fake_provider.py PORT

Binds 127.0.0.1 only.

Endpoints
  POST /v1/chat/completions   (also /chat/completions)
      non-stream: JSON chat.completion
      stream=true: SSE "data: {...}\\n\\n" chunks, then "data: [DONE]\\n\\n"
  GET  /v1/models             (also /models)
  GET  /stats                 {"completions": N, "streams": N, "active": N, "requests": [...]}
  POST /reset                 zero the counters
  GET  /health                {"ok": true}

Streaming pace (first match wins):
  1. request model name containing "chunks-N" and/or "ms-X", e.g.
     "fake-chunks-20-ms-1000" -> 20 chunks, one every 1000 ms
     (works whether or not litellm strips an "openai/" prefix)
  2. JSON body fields "fake_chunks" / "fake_interval_ms" (if they survive the proxy)
  3. env FAKE_STREAM_CHUNKS (default 5) / FAKE_STREAM_INTERVAL_MS (default 100)

Optional: env FAKE_LATENCY_MS delays every non-stream response.
Model name containing "fail-N" returns HTTP N (e.g. "fake-fail-500").
Model name containing "hang" accepts the request and never answers (120 s).
Model name containing "sleep-N" waits N ms before answering (stream or not).
Model name containing "context-window" answers 400 as OpenAI does for a prompt
over the context window (code context_length_exceeded); "content-policy" 400
as for a prompt flagged under its usage policy (code invalid_prompt).
"""
import json
import os
import re
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_lock = threading.Lock()
_stats = {"completions": 0, "streams": 0, "active": 0, "completed_streams": 0,
          "aborted_streams": 0, "requests": []}
MAX_RECORDED = 200


def _env_int(name, default):
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


def _pace(model, body):
    chunks = _env_int("FAKE_STREAM_CHUNKS", 5)
    interval = _env_int("FAKE_STREAM_INTERVAL_MS", 100)
    if isinstance(body.get("fake_chunks"), int):
        chunks = body["fake_chunks"]
    if isinstance(body.get("fake_interval_ms"), int):
        interval = body["fake_interval_ms"]
    m = re.search(r"chunks-(\d+)", model or "")
    if m:
        chunks = int(m.group(1))
    m = re.search(r"ms-(\d+)", model or "")
    if m:
        interval = int(m.group(1))
    # Bound everything: at most 10k chunks, 60 s between chunks.
    return max(0, min(chunks, 10000)), max(0, min(interval, 60000))


# OpenAI's 400 bodies for these refusals (LiteLLM maps them by message and code:
# litellm_core_utils/exception_mapping_utils.py).
_REFUSALS = {
    "context-window": {"message": "This model's maximum context length is 8192 tokens. However, your messages "
                                  "resulted in 9000 tokens. Please reduce the length of the messages.",
                       "code": "context_length_exceeded"},
    "content-policy": {"message": "Invalid prompt: your prompt was flagged as potentially violating our usage policy. "
                                  "Please try again with a different prompt.",
                       "code": "invalid_prompt"},
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-provider/1"

    def log_message(self, fmt, *args):  # quiet unless asked
        if os.environ.get("FAKE_VERBOSE"):
            sys.stderr.write("fake: " + (fmt % args) + "\n")

    # -- helpers --------------------------------------------------------
    def _read_json(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n > 0 else b""
        if not raw:
            return {}
        try:
            return json.loads(raw)
        except ValueError:
            return {}

    def _send_json(self, code, obj):
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    # -- routes ---------------------------------------------------------
    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path in ("/v1/models", "/models"):
            self._send_json(200, {"object": "list", "data": [
                {"id": "fake-model", "object": "model", "created": 0, "owned_by": "fake"}]})
        elif path == "/stats":
            with _lock:
                self._send_json(200, dict(_stats, requests=list(_stats["requests"])))
        elif path in ("/health", "/"):
            self._send_json(200, {"ok": True})
        else:
            self._send_json(404, {"error": {"message": "not found: " + path}})

    def do_POST(self):
        path = self.path.split("?", 1)[0]
        if path == "/reset":
            self._read_json()
            with _lock:
                _stats.update(completions=0, streams=0, completed_streams=0,
                              aborted_streams=0, requests=[])
            self._send_json(200, {"ok": True})
        elif path in ("/v1/chat/completions", "/chat/completions"):
            self._completion()
        else:
            self._read_json()
            self._send_json(404, {"error": {"message": "not found: " + path}})

    def _completion(self):
        body = self._read_json()
        model = body.get("model") or "fake-model"
        stream = bool(body.get("stream"))
        msgs = body.get("messages") or []
        last = ""
        if msgs and isinstance(msgs[-1], dict):
            c = msgs[-1].get("content")
            last = c if isinstance(c, str) else json.dumps(c)
        with _lock:
            _stats["completions"] += 1
            if stream:
                _stats["streams"] += 1
            if len(_stats["requests"]) < MAX_RECORDED:
                _stats["requests"].append({"t": time.time(), "model": model, "stream": stream,
                                           "last": last[:200]})
        if "hang" in model:
            # A silent provider: the connection is open, nothing comes back (bounded).
            time.sleep(120)
            return
        m = re.search(r"sleep-(\d+)", model)
        if m:
            time.sleep(min(int(m.group(1)), 120000) / 1000.0)
        refusal = _REFUSALS.get(next((k for k in _REFUSALS if k in model), ""))
        if refusal is not None:
            self._send_json(400, {"error": dict(refusal, type="invalid_request_error", param="messages")})
            return
        m = re.search(r"fail-(\d{3})", model)
        if m:
            self._send_json(int(m.group(1)), {"error": {"message": "fake failure",
                                                        "type": "fake_error"}})
            return
        cid = "chatcmpl-" + uuid.uuid4().hex[:24]
        created = int(time.time())
        reply = "echo: " + last
        if not stream:
            lat = _env_int("FAKE_LATENCY_MS", 0)
            if lat > 0:
                time.sleep(min(lat, 60000) / 1000.0)
            ptoks = max(1, len(last.split()))
            ctoks = max(1, len(reply.split()))
            self._send_json(200, {
                "id": cid, "object": "chat.completion", "created": created, "model": model,
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": reply}}],
                "usage": {"prompt_tokens": ptoks, "completion_tokens": ctoks,
                          "total_tokens": ptoks + ctoks}})
            return
        self._stream(cid, created, model, body)

    def _stream(self, cid, created, model, body):
        chunks, interval = _pace(model, body)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        with _lock:
            _stats["active"] += 1

        def emit(obj):
            self.wfile.write(b"data: " + json.dumps(obj).encode() + b"\n\n")
            self.wfile.flush()

        def chunk(delta, finish=None):
            return {"id": cid, "object": "chat.completion.chunk", "created": created,
                    "model": model, "choices": [{"index": 0, "delta": delta,
                                                 "finish_reason": finish}]}
        ok = False
        try:
            emit(chunk({"role": "assistant", "content": ""}))
            for i in range(chunks):
                if i > 0 and interval:
                    time.sleep(interval / 1000.0)
                emit(chunk({"content": "tok%d " % i}))
            emit(chunk({}, "stop"))
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
            ok = True
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass
        finally:
            with _lock:
                _stats["active"] -= 1
                _stats["completed_streams" if ok else "aborted_streams"] += 1


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    if len(sys.argv) < 2:
        sys.stderr.write("usage: fake_provider.py PORT\n")
        sys.exit(2)
    port = int(sys.argv[1])
    srv = Server(("127.0.0.1", port), Handler)
    sys.stdout.write("fake provider listening on 127.0.0.1:%d\n" % srv.server_address[1])
    sys.stdout.flush()
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        srv.server_close()


if __name__ == "__main__":
    main()
