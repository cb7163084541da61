"""GPT-2 small in PyTorch, built from its configuration on the meta device.

The meta device gives every parameter its shape and no memory, so nothing is
downloaded and nothing is initialised: enough to count.
"""

import torch
from transformers import AutoModelForCausalLM, GPT2Config

config = GPT2Config()  # GPT-2 small: 12 blocks, 768 wide, 12 heads
with torch.device("meta"):
    model = AutoModelForCausalLM.from_config(config)
