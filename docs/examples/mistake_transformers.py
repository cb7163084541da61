"""The small transformers of the page "Common counting mistakes".

Each is built from a Hugging Face config on PyTorch's meta device: the
parameters have their shapes but no values, so nothing is downloaded and no
memory is filled.
"""

import torch
import transformers


def build(config: transformers.PretrainedConfig) -> torch.nn.Module:
    """A causal language model of ``config``'s architecture, on meta."""
    with torch.device("meta"):
        return transformers.AutoModelForCausalLM.from_config(config)


def gpt2_small() -> torch.nn.Module:
    """GPT-2's architecture, small: 2 blocks of width 64, 4 heads."""
    config = transformers.GPT2Config(
        n_layer=2,
        n_embd=64,
        n_head=4,
        vocab_size=1000,
        n_positions=128,
        bos_token_id=0,
        eos_token_id=0,
    )
    return build(config)


LLAMA = {
    "vocab_size": 1000,
    "hidden_size": 64,
    "intermediate_size": 160,
    "num_hidden_layers": 2,
    "num_attention_heads": 8,
    "num_key_value_heads": 2,  # grouped-query attention: 4 queries per key
}


def llama_small() -> torch.nn.Module:
    """Llama's architecture: RMSNorm, grouped-query attention, SwiGLU."""
    return build(transformers.LlamaConfig(**LLAMA, tie_word_embeddings=False))


def mixtral_small() -> torch.nn.Module:
    """Mixtral's architecture: Llama's, each MLP a mixture of experts."""
    return build(
        transformers.MixtralConfig(
            **LLAMA, num_local_experts=4, num_experts_per_tok=2
        )
    )
