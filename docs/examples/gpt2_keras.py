"""GPT-2 small in KerasHub, built from its published shape (no weights)."""

import keras_hub

backbone = keras_hub.models.GPT2Backbone(
    vocabulary_size=50257,  # V: tokens
    num_layers=12,  # L: transformer blocks
    num_heads=12,
    hidden_dim=768,  # d: the width of every token's vector
    intermediate_dim=3072,  # the MLP's hidden width, 4·d
    max_sequence_length=1024,  # P: positions
    name="gpt2",
)
model = keras_hub.models.GPT2CausalLM(backbone=backbone, preprocessor=None)
