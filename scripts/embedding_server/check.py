#!/usr/bin/env python3
"""Checks the embedding server against reference figures and measures its speed.

Starts scripts/embedding_server/server.py with a key, then:
- the cosine similarities sentence-transformers publishes for all-MiniLM-L6-v2 (its README's
  three-sentence matrix and its `similarity` example) are reproduced to 1e-3;
- every vector has norm 1 and 384 dimensions; a paraphrase scores above unrelated text;
- a batch equals the same texts one by one (padding does not leak into the result);
- usage.prompt_tokens counts word pieces with [CLS]/[SEP]; /v1/models lists the model;
- a wrong key is 401, a wrong model 404, a malformed input 400;
- chunks/s on CPU for chunk-sized passages (--chunks N, --words W).

Usage: check.py [--chunks 64] [--words 120]   (run with tributary_embedding_python's interpreter)
Exits non-zero on the first failed check.
"""
import argparse
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
KEY = "check-key"

# sentence-transformers' README (model all-MiniLM-L6-v2): similarity of the three sentences.
README = (["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."],
          {(0, 1): 0.6660, (0, 2): 0.1046, (1, 2): 0.1411})
# sentence-transformers' docs, SentenceTransformer.similarity example with the same model.
SIMILARITY = (["That is a happy person", "That is a very happy person"], {(0, 1): 0.9429})


def request(port, path, body=None, key=KEY):
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = "Bearer " + key
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=600) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def embed(port, texts):
    status, body = request(port, "/v1/embeddings", {"input": texts, "model": "all-MiniLM-L6-v2"})
    assert status == 200, body
    return [d["embedding"] for d in sorted(body["data"], key=lambda d: d["index"])], body["usage"]


def dot(a, b):
    return sum(x * y for x, y in zip(a, b))


def check(name, ok, detail=""):
    print(f"{'ok  ' if ok else 'FAIL'} {name} {detail}")
    if not ok:
        sys.exit(1)


def passages(count, words):
    """Chunk-sized passages of English prose from the machine's own license texts."""
    text = []
    for name in sorted(os.listdir("/usr/share/common-licenses")):
        path = os.path.join("/usr/share/common-licenses", name)
        if os.path.isfile(path):
            with open(path, errors="replace") as f:
                text.extend(f.read().split())
    out = []
    for i in range(count):
        start = (i * words) % max(1, len(text) - words)
        out.append(" ".join(text[start:start + words]))
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=64)
    parser.add_argument("--words", type=int, default=120)
    args = parser.parse_args()
    server = subprocess.Popen([sys.executable, os.path.join(HERE, "server.py"), "--key", KEY, "--max-seconds", "900"],
                              stdout=subprocess.PIPE, text=True)
    try:
        port = int(server.stdout.readline())
        for texts, expected in (README, SIMILARITY):
            vectors, _ = embed(port, texts)
            for (i, j), want in expected.items():
                got = dot(vectors[i], vectors[j])
                check(f"cosine({texts[i]!r}, {texts[j]!r})", abs(got - want) < 1e-3, f"{got:.4f} (reference {want:.4f})")
        vectors, usage = embed(port, README[0] + SIMILARITY[0])
        check("norm 1, 384 dimensions", all(len(v) == 384 and abs(dot(v, v) - 1) < 1e-5 for v in vectors))
        check("paraphrase above unrelated", dot(vectors[0], vectors[1]) > dot(vectors[0], vectors[2]) + 0.3)
        single = [embed(port, t)[0][0] for t in README[0] + SIMILARITY[0]]
        worst = max(max(abs(x - y) for x, y in zip(a, b)) for a, b in zip(vectors, single))
        check("batch equals one by one", worst < 1e-5, f"max |diff| {worst:.2e}")
        _, one = embed(port, "Hello world")
        check("usage counts word pieces", one["prompt_tokens"] == 4, str(one))
        status, models = request(port, "/v1/models")
        check("/v1/models", status == 200 and models["data"][0]["id"] == "all-MiniLM-L6-v2")
        status, _ = request(port, "/v1/embeddings", {"input": "x"}, key="wrong")
        check("wrong key is 401", status == 401)
        status, _ = request(port, "/v1/embeddings", {"input": "x", "model": "other"})
        check("unknown model is 404", status == 404)
        status, _ = request(port, "/v1/embeddings", {"input": [1, 2]})
        check("malformed input is 400", status == 400)

        texts = passages(args.chunks, args.words)
        embed(port, texts[:8])  # warm up
        start = time.perf_counter()
        tokens = 0
        for i in range(0, len(texts), 64):
            tokens += embed(port, texts[i:i + 64])[1]["prompt_tokens"]
        seconds = time.perf_counter() - start
        print(f"speed: {len(texts)} chunks of {args.words} words ({tokens / len(texts):.0f} tokens each) "
              f"in {seconds:.1f} s: {len(texts) / seconds:.1f} chunks/s, {tokens / seconds:.0f} tokens/s")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
