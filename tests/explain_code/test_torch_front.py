"""`explain_code` on PyTorch code: the stand-in against real torch running the same code.

Each source is run twice: by `explain_code` (no torch: shape-only tensors, the
torch rules) and by Python with the real torch, whose module the real adapter
explains (``cnnexplain.explain(module, input_data=...)``) and whose ``numel()``
counts. Every row's path, kind, count, trainable count and output shape must
agree, and so must what the code prints.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
import textwrap
from typing import Any

import pytest
from conftest import load_example

import cnnexplain
from cnnexplain import CodeError, explain_code

torch = pytest.importorskip("torch")

playground = load_example("playground")

LENET = """\
import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 4 * 4, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(-1, self.num_flat_features(x))
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return F.log_softmax(self.fc3(x), dim=1)

    def num_flat_features(self, x):
        size = x.size()[1:]
        n = 1
        for s in size:
            n *= s
        return n


model = Net()
x = torch.randn(4, 1, 28, 28)
out = model(x)
print(out.shape, out.dim())
print(sum(p.numel() for p in model.parameters() if p.requires_grad))
"""

LSTM = """\
import torch
from torch import nn


class TextClassifier(nn.Module):
    def __init__(self, vocab_size=5000, embed_dim=64, hidden=128, classes=3):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.lstm = nn.LSTM(embed_dim, hidden, num_layers=2, batch_first=True, dropout=0.2)
        self.dropout = nn.Dropout(0.3)
        self.fc = nn.Linear(hidden, classes)

    def forward(self, tokens):
        x = self.embedding(tokens)
        out, (h, c) = self.lstm(x)
        last = out[:, -1, :]
        return self.fc(self.dropout(last))


model = TextClassifier()
x = torch.randint(0, 5000, (8, 40))
print(model)
print(model(x).shape)
for name, p in model.named_parameters():
    print(name, tuple(p.shape))
"""

BRANCHES = """\
import torch
import torch.nn as nn


class TwoBranch(nn.Module):
    def __init__(self):
        super().__init__()
        self.left = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU())
        self.right = nn.Sequential(
            nn.Conv2d(3, 8, 5, stride=2, padding=2),
            nn.ReLU(),
        )
        self.pool = nn.AdaptiveAvgPool2d((1, 1))
        self.head = nn.Linear(16 + 8, 5)

    def forward(self, x):
        a = self.pool(self.left(x))
        b = self.pool(self.right(x))
        both = torch.cat([a, b], dim=1)
        return self.head(torch.flatten(both, 1))


model = TwoBranch()
x = torch.zeros(2, 3, 32, 32)
y = model(x)
print(y.size(), y.size(1))
"""

ZOO = """\
import torch
import torch.nn as nn
import torch.nn.functional as F


class Zoo(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(8, 16, 3, padding=1, bias=False)
        self.norm = nn.BatchNorm1d(16)
        self.gru = nn.GRU(16, 32, bidirectional=True, batch_first=True)
        self.attn = nn.MultiheadAttention(64, 4, batch_first=True)
        self.ln = nn.LayerNorm(64)
        self.scale = nn.Parameter(torch.ones(64))
        self.blocks = nn.ModuleList([nn.Linear(64, 64) for _ in range(2)])
        self.out = nn.Linear(64, 4)

    def forward(self, x):
        x = F.gelu(self.norm(self.conv(x)))
        x = x.permute(0, 2, 1)
        x, _ = self.gru(x)
        a, _ = self.attn(x, x, x)
        x = self.ln(x + a) * self.scale
        for block in self.blocks:
            x = F.relu(block(x)) + x
        x = F.avg_pool1d(x.transpose(1, 2), 2).mean(dim=-1)
        return F.softmax(self.out(x), dim=-1)


model = Zoo()
model.out.bias.requires_grad = False
x = torch.randn(2, 8, 12)
print(model(x).shape)
"""

CIFAR = """\
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1) # flatten all dimensions except batch
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
model = Net().to(device)
criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(model.parameters(), lr=0.001, momentum=0.9)
x = torch.randn(4, 3, 32, 32).to(device)
outputs = model(x)
loss = criterion(outputs, torch.randint(0, 10, (4,)))
loss.backward()
optimizer.step()
print(model)
"""

RESNET = """\
import torch
from torch import nn
from collections import OrderedDict

class BasicBlock(nn.Module):
    expansion = 1
    def __init__(self, in_planes, planes, stride=1):
        super(BasicBlock, self).__init__()
        self.conv1 = nn.Conv2d(
            in_planes, planes, kernel_size=3, stride=stride, padding=1, bias=False
        )
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, planes, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(planes))

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += self.shortcut(x)
        return torch.relu(out)

class TinyResNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.stem = nn.Sequential(
            OrderedDict(
                [
                    ("conv", nn.Conv2d(3, 16, 3, padding=1, bias=False)),
                    ("bn", nn.BatchNorm2d(16)),
                    ("relu", nn.ReLU(inplace=True)),
                ]
            )
        )
        layers = []
        in_planes = 16
        for planes, stride in [(16, 1), (32, 2), (64, 2)]:
            layers.append(BasicBlock(in_planes, planes, stride))
            in_planes = planes
        self.layers = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x):
        x = self.layers(self.stem(x))
        x = self.avgpool(x)
        x = x.view(x.size(0), -1)
        return self.fc(x)

model = TinyResNet()
x = torch.randn(2, 3, 32, 32)
print(model(x).shape)
total = sum(p.numel() for p in model.parameters())
trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
print(f"Total: {total:,}, trainable: {trainable:,}")
"""

TIED = """\
import torch
import torch.nn as nn

class LM(nn.Module):
    def __init__(self, vocab=100, dim=32):
        super().__init__()
        self.encoder = nn.Embedding(vocab, dim)
        self.rnn = nn.GRU(dim, dim, batch_first=True)
        self.decoder = nn.Linear(dim, vocab)
        self.decoder.weight = self.encoder.weight

    def forward(self, x):
        h, _ = self.rnn(self.encoder(x))
        return self.decoder(h)

model = LM()
x = torch.randint(0, 100, (3, 7))
y = model(x)
print(y.shape, len(list(model.parameters())))
"""

GPT = """
import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d)
        self.c_attn = nn.Linear(d, 3 * d)
        self.c_proj = nn.Linear(d, d)
        self.ln_2 = nn.LayerNorm(d)
        self.fc = nn.Linear(d, 4 * d)
        self.proj = nn.Linear(4 * d, d)
        self.heads = heads

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(self.ln_1(x)).split(C, dim=2)
        q = q.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        k = k.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        v = v.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        att = F.softmax(q @ k.transpose(-2, -1) / (C // self.heads) ** 0.5, dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        x = x + self.c_proj(y)
        x = x + self.proj(F.gelu(self.fc(self.ln_2(x))))
        return x


class GPT(nn.Module):
    def __init__(self, vocab=1000, block=64, d=64, layers=2, heads=4):
        super().__init__()
        self.wte = nn.Embedding(vocab, d)
        self.wpe = nn.Embedding(block, d)
        self.h = nn.ModuleList([Block(d, heads) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(d)
        self.lm_head = nn.Linear(d, vocab, bias=False)
        self.lm_head.weight = self.wte.weight

    def forward(self, idx):
        B, T = idx.size()
        pos = torch.arange(0, T, dtype=torch.long)
        x = self.wte(idx) + self.wpe(pos)
        for block in self.h:
            x = block(x)
        return self.lm_head(self.ln_f(x))


model = GPT()
x = torch.randint(0, 1000, (1, 16))
logits = model(x)
print(sum(p.numel() for p in model.parameters()))
"""
"""A GPT-2 as tutorials write it in plain torch.nn: attention from matmuls, a tied head."""

SOURCES = {
    "question": playground.torch_source(),
    "tutorial": playground.seed_torch_source(),
    "lenet": LENET,
    "lstm": LSTM,
    "branches": BRANCHES,
    "zoo": ZOO,
    "cifar_training": CIFAR,  # PyTorch's CIFAR-10 tutorial: loss, optimizer, one step
    "resnet": RESNET,  # residual blocks, OrderedDict, a shortcut Sequential left empty
    "tied": TIED,  # a decoder tied to the embedding: counted once, where first used
    "gpt": GPT,  # issue 24: a hand-written GPT-2 in the playground
}


def _real(source: str) -> tuple[Any, Any, str]:
    """The model and input the code builds with the real torch, and what it prints."""
    namespace: dict[str, Any] = {"__name__": "__main__"}
    out = io.StringIO()
    torch.manual_seed(0)
    with contextlib.redirect_stdout(out):
        exec(source, namespace)  # noqa: S102 - our own example code
    return namespace["model"], namespace.get("x"), out.getvalue()


def _rows(b: cnnexplain.Breakdown) -> list[tuple[str, str, int, int, object]]:
    return [(path, r.kind, r.params, r.trainable, r.output_shape) for path, r in b.walk()]


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_counts_and_shapes_equal_real_torch(name: str) -> None:
    source = SOURCES[name]
    module, x, printed = _real(source)
    if x is None:
        real = cnnexplain.explain(module, input_size=(1, 1, 28, 28))
    else:
        real = cnnexplain.explain(module, input_data=x)
    result = explain_code(source)
    ours = result.breakdown
    assert len(result.models) == 1
    assert ours.total == real.total == sum(p.numel() for p in module.parameters())
    assert ours.trainable == real.trainable
    assert _rows(ours) == _rows(real)
    assert ours.input_shapes == real.input_shapes
    assert ours.output_shapes == real.output_shapes
    assert [str(r.formula) for r in ours.rows] == [str(r.formula) for r in real.rows]
    assert result.output == printed


def test_the_question_transcription_counts_542230() -> None:
    module, _, _ = _real(playground.torch_source())
    result = explain_code(playground.torch_source())
    assert result.breakdown.total == sum(p.numel() for p in module.parameters())
    assert result.breakdown.name == "Sequential"


@pytest.mark.parametrize(
    ("running", "per_layer"),
    [
        ((320, 541220, 542230), None),  # right
        ((288, 540988, 541988), None),  # every bias left out (the question's count in Keras)
        (None, (320, 540900, 1000)),  # the last layer's bias left out
    ],
)
def test_hand_counts_diagnosed_as_for_real_torch(
    running: tuple[int, ...] | None, per_layer: tuple[int, ...] | None
) -> None:
    source = playground.torch_source()
    module, _, _ = _real(source)
    real = cnnexplain.diagnose(
        cnnexplain.explain(module, input_size=(1, 1, 28, 28)), running=running, per_layer=per_layer
    )
    result = explain_code(source, running=running, per_layer=per_layer)
    assert result.diagnosis is not None
    assert result.diagnosis.to_dict() == real.to_dict()


def test_a_hand_written_gpt_with_its_head_counted_twice_is_diagnosed_as_for_real_torch() -> None:
    module, x, _ = _real(GPT)
    real_breakdown = cnnexplain.explain(module, input_data=x)
    # the learner counts every row, and the tied head's vocab·d once more
    per_layer = [row.params for row in real_breakdown.rows]
    per_layer[-1] += module.wte.weight.numel()
    real = cnnexplain.diagnose(real_breakdown, per_layer=per_layer)
    result = explain_code(GPT, per_layer=per_layer)
    assert result.diagnosis is not None
    assert result.diagnosis.to_dict() == real.to_dict()
    assert real.gap == -module.wte.weight.numel()


def test_torchinfo_summary_prints_the_table() -> None:
    source = textwrap.dedent(
        """\
        import torch.nn as nn
        from torchinfo import summary

        model = nn.Sequential(
            nn.Conv2d(3, 8, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 30 * 30, 2)
        )
        stats = summary(model, input_size=(1, 3, 32, 32))
        print(stats.total_params)
        """
    )
    real = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3),
        torch.nn.ReLU(),
        torch.nn.Flatten(),
        torch.nn.Linear(8 * 30 * 30, 2),
    )
    expected = cnnexplain.explain(real, input_size=(1, 3, 32, 32))
    result = explain_code(source)
    assert result.output == f"{expected.to_text()}\n{sum(p.numel() for p in real.parameters())}\n"


def test_a_model_never_run_is_counted_from_its_arguments() -> None:
    source = (
        "import torch.nn as nn\n"
        "model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 1))\n"
    )
    module, _, _ = _real(source)
    ours = explain_code(source).breakdown
    real = cnnexplain.explain(module)
    assert [(p, r.params) for p, r in ours.walk()] == [(p, r.params) for p, r in real.walk()]
    assert ours.note == real.note


@pytest.mark.parametrize(
    ("source", "line", "words"),
    [
        ("import torch.nn as nn\n\nlayer = nn.Conv2D(1, 32, 3)\n", 3, "did you mean Conv2d?"),
        (
            "import torch\nfrom torch.utils.data import DataLoader\n",
            2,
            "there are no data sets here",
        ),
        (
            (
                "import torch\nimport torch.nn as nn\n"
                "m = nn.Sequential(nn.Flatten(), nn.Linear(100, 2))\n"
                "y = m(torch.randn(1, 3, 8, 8))\n"
            ),
            4,
            "in_features",
        ),
        (
            "import torch\nx = torch.randn(2, 3)\ny = x.view(4, -1)\n",
            3,
            "is invalid for input of size 6",
        ),
        ("import torchvision\n", 1, "torchvision is not available here"),
        (
            (
                "import torch\nimport torch.nn as nn\nclass N(nn.Module):\n"
                "    def __init__(self):\n        super().__init__()\n"
                "        self.head = nn.Linear(10, 2)\n    def forward(self, x):\n"
                "        return self.head(x.view(x.size(0), -1))\n"
                "model = N()\nmodel(torch.randn(1, 3, 4))\n"
            ),
            8,
            "Layer 'head' (Linear): the input's last axis has 12 values, not in_features",
        ),
        (
            (
                "import torch\nimport torch.nn as nn\nclass Net(nn.Module):\n"
                "    def __init__(self):\n        self.fc = nn.Linear(2, 2)\nnet = Net()\n"
            ),
            5,
            "super().__init__()",
        ),
        (
            "import torch\nx = torch.randn(3)\nprint(x.item())\n",
            3,
            "item() needs the tensor's values",
        ),
    ],
)
def test_unsupported_calls_give_one_sentence_with_the_line(
    source: str, line: int, words: str
) -> None:
    with pytest.raises(CodeError) as caught:
        explain_code(source)
    message = str(caught.value)
    assert message.startswith(f"Line {line}: ")
    assert words in message
    assert caught.value.line == line
    assert message.count(". ") == 0 or message.endswith((".", "?"))
    assert "\n" not in message


def test_the_stand_in_imports_no_torch() -> None:
    script = textwrap.dedent(
        f"""\
        import sys
        sys.modules["torch"] = None
        import cnnexplain
        result = cnnexplain.explain_code({playground.torch_source()!r})
        print(result.breakdown.total)
        print(sorted(m for m in sys.modules if m.split(".")[0] == "torch" and sys.modules[m]))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    module, _, _ = _real(playground.torch_source())
    assert done.stdout.split("\n")[:2] == [str(sum(p.numel() for p in module.parameters())), "[]"]
