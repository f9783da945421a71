#!/usr/bin/env python3
"""A scripted OpenAI-compatible chat-completions server for Tributary's tests (stdlib only).

POST /v1/embeddings answers deterministic vectors (each word hashed to one of "dimensions" axes,
default 16; usage.prompt_tokens counts the words), in the same modes, plus "429" (Retry-After:
"retry_after" seconds, default 7).
POST /v1/chat/completions answers the scripted text, streamed as server-sent events when the
request says "stream": true (a comment line, one chunk per word, usage in the final chunk,
then [DONE]) or as one JSON completion otherwise. It records every request it receives.

Admin API (no key needed):
  POST /_fake/script    {"answer": str, "mode": "ok"|"401"|"500"|"hang"|"garbage",
                         "usage": bool, "json_even_if_stream": bool, "chunk_delay_ms": int,
                         "dimensions": int, "retry_after": int}
  GET  /_fake/requests  [{"body": {...}, "authorized": bool}, ...]
  POST /_fake/reset     forgets recorded requests

Binds 127.0.0.1 only; exits when its parent dies or after --max-seconds.
"""
import argparse
import hashlib
import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULT_ANSWER = "Expenses are filed in the travel tool within 30 days [1]. Receipts over 25 EUR are needed [2][9]."


class State:
    def __init__(self, key):
        self.lock = threading.Lock()
        self.key = key
        self.script = {"answer": DEFAULT_ANSWER, "mode": "ok", "usage": True, "json_even_if_stream": False,
                       "chunk_delay_ms": 5}
        self.requests = []


def make_handler(state, hang_seconds):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def send_json(self, status, obj, headers=()):
            body = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for k, v in headers:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def read_body(self):
            n = int(self.headers.get("Content-Length", "0"))
            return self.rfile.read(n) if n else b""

        def do_GET(self):
            if self.path == "/_fake/requests":
                with state.lock:
                    self.send_json(200, state.requests)
            else:
                self.send_json(404, {"error": {"message": "not found"}})

        def do_POST(self):
            raw = self.read_body()
            if self.path == "/_fake/script":
                with state.lock:
                    state.script.update(json.loads(raw or b"{}"))
                    self.send_json(200, state.script)
                return
            if self.path == "/_fake/reset":
                with state.lock:
                    state.requests = []
                self.send_json(200, {})
                return
            if self.path not in ("/v1/chat/completions", "/v1/embeddings"):
                self.send_json(404, {"error": {"message": "not found"}})
                return
            try:
                body = json.loads(raw)
            except ValueError:
                self.send_json(400, {"error": {"message": "the body is not JSON"}})
                return
            authorized = state.key is None or self.headers.get("Authorization") == "Bearer " + state.key
            with state.lock:
                state.requests.append({"body": body, "authorized": authorized})
                script = dict(state.script)
            mode = script["mode"]
            if not authorized or mode == "401":
                self.send_json(401, {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}})
                return
            if mode == "500":
                self.send_json(500, {"error": {"message": "the model crashed"}})
                return
            if mode == "429":
                self.send_json(429, {"error": {"message": "rate limited"}},
                               headers=[("Retry-After", str(script.get("retry_after", 7)))])
                return
            if mode == "hang":
                time.sleep(hang_seconds)
                self.close_connection = True
                return
            if mode == "garbage":
                payload = b"<html>not an API</html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                return
            if self.path == "/v1/embeddings":
                self.embeddings(body, script)
                return
            prompt = "".join(m.get("content", "") for m in body.get("messages", []))
            answer = script["answer"]
            usage = {"prompt_tokens": max(1, len(prompt) // 4), "completion_tokens": max(1, len(answer.split())),
                     "total_tokens": 0}
            usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
            model = body.get("model", "fake")
            if body.get("stream") and not script["json_even_if_stream"]:
                self.stream(answer, usage if script["usage"] else None, model, script["chunk_delay_ms"])
            else:
                completion = {"id": "fake-1", "object": "chat.completion", "model": model,
                              "choices": [{"index": 0, "message": {"role": "assistant", "content": answer},
                                           "finish_reason": "stop"}]}
                if script["usage"]:
                    completion["usage"] = usage
                self.send_json(200, completion)

        def embeddings(self, body, script):
            inputs = body.get("input", [])
            inputs = [inputs] if isinstance(inputs, str) else inputs
            dimensions = int(script.get("dimensions", 16))
            data, words = [], 0
            for index, text in enumerate(inputs):
                vector = [0.0] * dimensions
                for word in text.lower().split():
                    words += 1
                    vector[int(hashlib.md5(word.encode()).hexdigest(), 16) % dimensions] += 1.0
                data.append({"object": "embedding", "index": index, "embedding": vector})
            # Out of order on purpose: clients must sort by index.
            data.reverse()
            self.send_json(200, {"object": "list", "data": data, "model": body.get("model", "fake"),
                                 "usage": {"prompt_tokens": words, "total_tokens": words}})

        def stream(self, answer, usage, model, delay_ms):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True

            def event(obj):
                self.wfile.write(b"data: " + json.dumps(obj).encode() + b"\r\n\r\n")
                self.wfile.flush()
                time.sleep(delay_ms / 1000)

            self.wfile.write(b": keep-alive\n\n")
            words = answer.split(" ")
            for i, word in enumerate(words):
                piece = word if i == 0 else " " + word
                event({"id": "fake-1", "object": "chat.completion.chunk", "model": model,
                       "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]})
            event({"id": "fake-1", "object": "chat.completion.chunk", "model": model,
                   "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
            if usage is not None:
                event({"id": "fake-1", "object": "chat.completion.chunk", "model": model, "choices": [], "usage": usage})
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file", help="write the bound port here once listening")
    parser.add_argument("--key", help="require Authorization: Bearer KEY")
    parser.add_argument("--key-file", help="read the required key from this file")
    parser.add_argument("--hang-seconds", type=float, default=20, help="how long mode=hang stays silent")
    parser.add_argument("--max-seconds", type=float, default=300)
    args = parser.parse_args()
    key = args.key
    if args.key_file:
        with open(args.key_file) as f:
            key = f.read().strip()

    # A test runner may block signals and children inherit the mask: unblock, or SIGTERM is ignored.
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    parent = os.getppid()

    def watchdog():
        start = time.time()
        while os.getppid() == parent and time.time() - start < args.max_seconds:
            time.sleep(0.2)
        os._exit(0)

    threading.Thread(target=watchdog, daemon=True).start()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(State(key), args.hang_seconds))
    server.daemon_threads = True
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(server.server_address[1]))
        os.rename(tmp, args.port_file)
    else:
        print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
