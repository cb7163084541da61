"""A text classifier built from custom layers, as keras.io's transformer example writes them.

``TokenAndPositionEmbedding`` and ``TransformerBlock`` are ``keras.layers.Layer``
subclasses: no rule knows their classes, but cnnexplain explains each from its
parts (the sublayers it tracks, the weights it creates itself).
"""

from typing import Any

import keras
from keras import layers, ops

register = keras.saving.register_keras_serializable(package="cnnexplain_docs")


@register
class TokenAndPositionEmbedding(layers.Layer):
    """One embedding of the tokens, one learned vector per position."""

    def __init__(
        self, maxlen: int, vocab_size: int, embed_dim: int, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.maxlen, self.vocab_size, self.embed_dim = (
            maxlen,
            vocab_size,
            embed_dim,
        )
        self.token_emb = layers.Embedding(
            vocab_size, embed_dim, name="token_emb"
        )
        self.pos_emb = layers.Embedding(maxlen, embed_dim, name="pos_emb")

    def call(self, x: Any) -> Any:
        positions = self.pos_emb(ops.arange(0, ops.shape(x)[-1], 1))
        return self.token_emb(x) + positions

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "maxlen": self.maxlen,
            "vocab_size": self.vocab_size,
            "embed_dim": self.embed_dim,
        }


@register
class TransformerBlock(layers.Layer):
    """Self-attention, a two-layer feed-forward network, two residual layer norms."""

    def __init__(
        self, embed_dim: int, num_heads: int, ff_dim: int, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.embed_dim, self.num_heads, self.ff_dim = (
            embed_dim,
            num_heads,
            ff_dim,
        )
        self.att = layers.MultiHeadAttention(
            num_heads, embed_dim, name="attention"
        )
        self.ffn = keras.Sequential(
            [layers.Dense(ff_dim, activation="relu", name="ffn_in"),
             layers.Dense(embed_dim, name="ffn_out")],
            name="ffn",
        )  # fmt: skip
        self.norm1 = layers.LayerNormalization(epsilon=1e-6, name="norm1")
        self.norm2 = layers.LayerNormalization(epsilon=1e-6, name="norm2")

    def call(self, x: Any) -> Any:
        h = self.norm1(x + self.att(x, x))
        return self.norm2(h + self.ffn(h))

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "embed_dim": self.embed_dim,
            "num_heads": self.num_heads,
            "ff_dim": self.ff_dim,
        }


def define_model() -> keras.Model:
    """A sentiment classifier over 200-token reviews of a 20,000-word vocabulary."""
    tokens = keras.Input((200,), dtype="int32", name="tokens")
    h = TokenAndPositionEmbedding(200, 20_000, 32, name="embedding")(tokens)
    h = TransformerBlock(32, 2, 32, name="transformer")(h)
    h = layers.GlobalAveragePooling1D(name="pool")(h)
    out = layers.Dense(2, activation="softmax", name="sentiment")(h)
    return keras.Model(tokens, out, name="review_classifier")
