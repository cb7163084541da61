"""Models as the pytorch/examples repository writes them, small, for the torch corpus test.

Each is written from what that example's model does (its modules, registration
order, forward), with small sizes: counting needs no real data, and a CPU
forward (sparse inputs, a 999-step ``LSTMCell`` loop) stays cheap. `CASES`
maps a name to how to build it, what to feed it, and what torchinfo 1.8.0
makes of it (``"tied"`` where it counts tied weights twice).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch_models
from torch import nn
from torch.nn import functional as F  # noqa: N812 - the examples' own spelling
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

# --- mnist, mnist_hogwild, mnist_rnn, mnist_forward_forward ---------------------------------


class MnistNet(nn.Module):
    """mnist/main.py: two convolutions, max pooling, dropout, two Linear layers."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(self.dropout1(x), 1)
        x = self.dropout2(F.relu(self.fc1(x)))
        return F.log_softmax(self.fc2(x), dim=1)


class HogwildNet(nn.Module):
    """mnist_hogwild/main.py: the older MNIST network with Dropout2d."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
        self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
        self.conv2_drop = nn.Dropout2d()
        self.fc1 = nn.Linear(320, 50)
        self.fc2 = nn.Linear(50, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
        x = F.relu(self.fc1(x.view(-1, 320)))
        x = F.dropout(x, training=self.training)
        return F.log_softmax(self.fc2(x), dim=1)


class MnistRnn(nn.Module):
    """mnist_rnn/main.py: each image row a time step of an LSTM, then BatchNorm1d."""

    def __init__(self) -> None:
        super().__init__()
        self.rnn = nn.LSTM(input_size=28, hidden_size=64, batch_first=True)
        self.batchnorm = nn.BatchNorm1d(64)
        self.dropout1 = nn.Dropout2d(0.25)
        self.dropout2 = nn.Dropout2d(0.5)
        self.fc1 = nn.Linear(64, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        output, _ = self.rnn(x.reshape(-1, 28, 28))
        output = self.dropout1(self.batchnorm(output[:, -1, :]))
        output = self.dropout2(F.relu(self.fc1(output)))
        return F.log_softmax(self.fc2(output), dim=1)


class ForwardForwardLayer(nn.Linear):
    """mnist_forward_forward/main.py: a Linear that normalises its input and overrides train()."""

    def __init__(self, in_features: int, out_features: int) -> None:
        super().__init__(in_features, out_features)
        self.relu = nn.ReLU()
        self.opt = torch.optim.Adam(self.parameters(), lr=0.03)
        self.threshold = 2.0
        self.num_epochs = 10

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x_direction = x / (x.norm(2, 1, keepdim=True) + 1e-4)
        out: torch.Tensor = self.relu(torch.mm(x_direction, self.weight.T) + self.bias.unsqueeze(0))
        return out

    def train(self, x_pos: Any = True, x_neg: Any = None) -> Any:
        """The example's own training step, which hides ``Module.train(mode)``."""
        return x_pos, x_neg


class ForwardForwardNet(nn.Module):
    """The forward-forward network: its layers in a ModuleList (the example keeps a list)."""

    def __init__(self, dims: tuple[int, ...] = (784, 100, 100)) -> None:
        super().__init__()
        self.layers = nn.ModuleList(ForwardForwardLayer(a, b) for a, b in itertools.pairwise(dims))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        return x

    def train(self, x_pos: Any = True, x_neg: Any = None) -> Any:
        """Overrides ``Module.train`` as the example does (torchinfo calls ``train()``)."""
        return x_pos, x_neg


# --- word_language_model -----------------------------------------------------------------------


class RNNModel(nn.Module):
    """word_language_model/model.py: encoder, recurrent module, decoder, optionally tied."""

    def __init__(  # noqa: PLR0917
        self,
        rnn_type: str,
        ntoken: int,
        ninp: int,
        nhid: int,
        nlayers: int,
        dropout: float = 0.5,
        *,
        tie_weights: bool = False,
    ) -> None:
        super().__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn: nn.RNNBase
        if rnn_type in {"LSTM", "GRU"}:
            self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=dropout)
        else:
            nonlinearity = {"RNN_TANH": "tanh", "RNN_RELU": "relu"}[rnn_type]
            self.rnn = nn.RNN(ninp, nhid, nlayers, nonlinearity=nonlinearity, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        if tie_weights:
            self.decoder.weight = self.encoder.weight
        self.rnn_type = rnn_type
        self.nhid = nhid
        self.nlayers = nlayers

    def forward(self, x: torch.Tensor, hidden: Any) -> tuple[torch.Tensor, Any]:
        emb = self.drop(self.encoder(x))
        output, hidden = self.rnn(emb, hidden)
        decoded = self.decoder(self.drop(output)).view(-1, self.ntoken)
        return F.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz: int) -> Any:
        """Zeros for the recurrent state, as the example's ``init_hidden``."""
        zeros = torch.zeros(self.nlayers, bsz, self.nhid)
        return (zeros, zeros.clone()) if self.rnn_type == "LSTM" else zeros


class PositionalEncoding(nn.Module):
    """Sinusoidal positions, a buffer ``pe``: no parameters."""

    def __init__(self, d_model: int, dropout: float = 0.1, max_len: int = 64) -> None:
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)
        pe = torch.zeros(max_len, d_model)
        position = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe.unsqueeze(0).transpose(0, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pe = self.get_buffer("pe")
        out: torch.Tensor = self.dropout(x + pe[: x.size(0), :])
        return out


class TransformerModel(nn.Transformer):
    """word_language_model: an nn.Transformer whose decoder is replaced by a Linear."""

    def __init__(self, ntoken: int, ninp: int, nhead: int, nhid: int, nlayers: int) -> None:
        super().__init__(
            d_model=ninp, nhead=nhead, dim_feedforward=nhid, num_encoder_layers=nlayers
        )
        self.src_mask: torch.Tensor | None = None
        self.pos_encoder = PositionalEncoding(ninp)
        self.input_emb = nn.Embedding(ntoken, ninp)
        self.ninp = ninp
        self.decoder = nn.Linear(ninp, ntoken)  # replaces the TransformerDecoder

    def forward(self, src: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        mask = nn.Transformer.generate_square_subsequent_mask(len(src), device=src.device)
        src = self.pos_encoder(self.input_emb(src) * math.sqrt(self.ninp))
        output = self.encoder(src, mask=mask)
        return F.log_softmax(self.decoder(output), dim=-1)


# --- dcgan, vae, super_resolution, fast_neural_style ---------------------------------------------


def dcgan_generator(nz: int = 16, ngf: int = 8, nc: int = 3) -> nn.Module:
    """dcgan/main.py's Generator: a Sequential of ConvTranspose2d, BatchNorm2d, ReLU, Tanh."""
    return nn.Sequential(
        nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False),
        nn.BatchNorm2d(ngf * 8),
        nn.ReLU(inplace=True),
        nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False),
        nn.BatchNorm2d(ngf * 4),
        nn.ReLU(inplace=True),
        nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
        nn.BatchNorm2d(ngf * 2),
        nn.ReLU(inplace=True),
        nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),
        nn.BatchNorm2d(ngf),
        nn.ReLU(inplace=True),
        nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False),
        nn.Tanh(),
    )


class Discriminator(nn.Module):
    """dcgan/main.py's Discriminator, its Sequential held as ``main``."""

    def __init__(self, ndf: int = 8, nc: int = 3) -> None:
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 4),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 8),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False),
            nn.Sigmoid(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.main(x).view(-1, 1).squeeze(1)
        return out


class VAE(nn.Module):
    """vae/main.py: encoder to mean and log-variance, reparameterisation, decoder."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(784, 400)
        self.fc21 = nn.Linear(400, 20)
        self.fc22 = nn.Linear(400, 20)
        self.fc3 = nn.Linear(20, 400)
        self.fc4 = nn.Linear(400, 784)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        h1 = F.relu(self.fc1(x.view(-1, 784)))
        mu, logvar = self.fc21(h1), self.fc22(h1)
        z = mu + torch.randn_like(logvar) * torch.exp(0.5 * logvar)
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z)))), mu, logvar


class SuperResolutionNet(nn.Module):
    """super_resolution/model.py: four convolutions, then PixelShuffle."""

    def __init__(self, upscale_factor: int = 3) -> None:
        super().__init__()
        self.relu = nn.ReLU()
        self.conv1 = nn.Conv2d(1, 64, (5, 5), (1, 1), (2, 2))
        self.conv2 = nn.Conv2d(64, 64, (3, 3), (1, 1), (1, 1))
        self.conv3 = nn.Conv2d(64, 32, (3, 3), (1, 1), (1, 1))
        self.conv4 = nn.Conv2d(32, upscale_factor**2, (3, 3), (1, 1), (1, 1))
        self.pixel_shuffle = nn.PixelShuffle(upscale_factor)
        nn.init.orthogonal_(self.conv1.weight, nn.init.calculate_gain("relu"))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.conv2(self.relu(self.conv1(x))))
        out: torch.Tensor = self.pixel_shuffle(self.conv4(self.relu(self.conv3(x))))
        return out


class ConvLayer(nn.Module):
    """fast_neural_style: reflection padding, then a convolution."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int) -> None:
        super().__init__()
        self.reflection_pad = nn.ReflectionPad2d(kernel_size // 2)
        self.conv2d = nn.Conv2d(in_channels, out_channels, kernel_size, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.conv2d(self.reflection_pad(x))
        return out


class ResidualBlock(nn.Module):
    """fast_neural_style: two ConvLayer + InstanceNorm2d, added to the input."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = ConvLayer(channels, channels, kernel_size=3, stride=1)
        self.in1 = nn.InstanceNorm2d(channels, affine=True)
        self.conv2 = ConvLayer(channels, channels, kernel_size=3, stride=1)
        self.in2 = nn.InstanceNorm2d(channels, affine=True)
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.in1(self.conv1(x)))
        result: torch.Tensor = x + self.in2(self.conv2(out))
        return result


class UpsampleConvLayer(nn.Module):
    """fast_neural_style: nearest upsampling (an ``nn.Upsample`` here), padding, convolution."""

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int, upsample: int
    ) -> None:
        super().__init__()
        self.upsample = nn.Upsample(scale_factor=upsample, mode="nearest")
        self.reflection_pad = nn.ReflectionPad2d(kernel_size // 2)
        self.conv2d = nn.Conv2d(in_channels, out_channels, kernel_size, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.conv2d(self.reflection_pad(self.upsample(x)))
        return out


class TransformerNet(nn.Module):
    """fast_neural_style/transformer_net.py, with fewer channels and residual blocks."""

    def __init__(self, width: int = 8, blocks: int = 2) -> None:
        super().__init__()
        self.conv1 = ConvLayer(3, width, kernel_size=9, stride=1)
        self.in1 = nn.InstanceNorm2d(width, affine=True)
        self.conv2 = ConvLayer(width, 2 * width, kernel_size=3, stride=2)
        self.in2 = nn.InstanceNorm2d(2 * width, affine=True)
        self.res = nn.Sequential(*(ResidualBlock(2 * width) for _ in range(blocks)))
        self.deconv1 = UpsampleConvLayer(2 * width, width, kernel_size=3, upsample=2)
        self.in4 = nn.InstanceNorm2d(width, affine=True)
        self.deconv3 = ConvLayer(width, 3, kernel_size=9, stride=1)
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.relu(self.in1(self.conv1(x)))
        y = self.res(self.relu(self.in2(self.conv2(y))))
        out: torch.Tensor = self.deconv3(self.relu(self.in4(self.deconv1(y))))
        return out


# --- siamese_network, time_sequence_prediction, regression, gcn, gat ----------------------------


class SiameseNetwork(nn.Module):
    """siamese_network/main.py: a ResNet-18 body (1 input channel) shared by both inputs."""

    def __init__(self) -> None:
        super().__init__()
        resnet = torch_models.resnet18()
        resnet.conv1 = nn.Conv2d(
            1, 64, kernel_size=(7, 7), stride=(2, 2), padding=(3, 3), bias=False
        )
        fc_in_features = resnet.fc.in_features
        self.resnet = nn.Sequential(*list(resnet.children())[:-1])
        self.fc = nn.Sequential(
            nn.Linear(fc_in_features * 2, 256), nn.ReLU(inplace=True), nn.Linear(256, 1)
        )
        self.sigmoid = nn.Sigmoid()

    def forward_once(self, x: torch.Tensor) -> torch.Tensor:
        """One input through the shared body."""
        out: torch.Tensor = self.resnet(x)
        return out.view(out.size()[0], -1)

    def forward(self, input1: torch.Tensor, input2: torch.Tensor) -> torch.Tensor:
        both = torch.cat((self.forward_once(input1), self.forward_once(input2)), 1)
        out: torch.Tensor = self.sigmoid(self.fc(both))
        return out


class Sequence(nn.Module):
    """time_sequence_prediction/train.py: two LSTMCell over every step, in float64."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm1 = nn.LSTMCell(1, 51)
        self.lstm2 = nn.LSTMCell(51, 51)
        self.linear = nn.Linear(51, 1)

    def forward(self, x: torch.Tensor, future: int = 0) -> torch.Tensor:
        outputs = []
        h_t = torch.zeros(x.size(0), 51, dtype=torch.double)
        c_t = torch.zeros(x.size(0), 51, dtype=torch.double)
        h_t2 = torch.zeros(x.size(0), 51, dtype=torch.double)
        c_t2 = torch.zeros(x.size(0), 51, dtype=torch.double)
        output = x[:, :1]
        for step in torch.split(x, 1, dim=1):
            h_t, c_t = self.lstm1(step, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        for _ in range(future):
            h_t, c_t = self.lstm1(output, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        return torch.cat(outputs, dim=1)


class GraphConv(nn.Module):
    """gcn/main.py: ``A·X·W (+b)`` with a sparse adjacency A; its own kernel and bias."""

    def __init__(self, input_dim: int, output_dim: int, *, use_bias: bool = False) -> None:
        super().__init__()
        self.kernel = nn.Parameter(torch.empty(input_dim, output_dim))
        nn.init.xavier_normal_(self.kernel)
        self.bias = nn.Parameter(torch.zeros(output_dim)) if use_bias else None

    def forward(self, x: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        output: torch.Tensor = torch.sparse.mm(adj, torch.mm(x, self.kernel))
        return output + self.bias if self.bias is not None else output


class GCN(nn.Module):
    """gcn/main.py: two GraphConv with ReLU and dropout between."""

    def __init__(self, input_dim: int = 16, hidden_dim: int = 8, output_dim: int = 4) -> None:
        super().__init__()
        self.gcn_layers = nn.Sequential(
            GraphConv(input_dim, hidden_dim, use_bias=True),
            GraphConv(hidden_dim, output_dim, use_bias=True),
        )
        self.dropout = nn.Dropout(0.1)

    def forward(self, x: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        x = self.dropout(F.relu(self.gcn_layers[0](x, adj)))
        return F.log_softmax(self.gcn_layers[1](x, adj), dim=1)


class GraphAttentionLayer(nn.Module):
    """gat/main.py: a shared W, one attention vector per head, masked by a dense adjacency."""

    def __init__(self, in_features: int, out_features: int, n_heads: int) -> None:
        super().__init__()
        self.n_heads, self.n_hidden = n_heads, out_features
        self.W = nn.Parameter(torch.empty(in_features, out_features * n_heads))
        self.a = nn.Parameter(torch.empty(n_heads, 2 * out_features, 1))
        self.leakyrelu = nn.LeakyReLU(0.2)
        self.softmax = nn.Softmax(dim=1)

    def forward(self, h: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        n = h.shape[0]
        g = torch.mm(h, self.W).view(n, self.n_heads, self.n_hidden).permute(1, 0, 2)
        source = torch.matmul(g, self.a[:, : self.n_hidden, :])
        target = torch.matmul(g, self.a[:, self.n_hidden :, :])
        e = self.leakyrelu(source + target.mT)
        attention = self.softmax(torch.where(adj > 0, e, torch.full_like(e, -9e15)))
        return torch.matmul(attention, g).permute(1, 0, 2).reshape(n, -1)


class GAT(nn.Module):
    """gat/main.py: two GraphAttentionLayer."""

    def __init__(self) -> None:
        super().__init__()
        self.gat1 = GraphAttentionLayer(16, 8, n_heads=4)
        self.gat2 = GraphAttentionLayer(32, 4, n_heads=1)

    def forward(self, x: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        return F.log_softmax(self.gat2(F.elu(self.gat1(x, adj)), adj), dim=1)


# --- vision_transformer, language_translation -------------------------------------------------


class InputEmbedding(nn.Module):
    """vision_transformer/main.py: patches projected, a class token and positions of its own."""

    def __init__(self, patch_size: int = 4, n_channels: int = 3, latent: int = 32) -> None:
        super().__init__()
        self.patch_size = patch_size
        self.linear_projection = nn.Linear(patch_size * patch_size * n_channels, latent)
        self.class_token = nn.Parameter(torch.randn(1, 1, latent))
        self.pos_embedding = nn.Parameter(torch.randn(1, 1, latent))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        p = self.patch_size
        patches = x.unfold(2, p, p).unfold(3, p, p).permute(0, 2, 3, 1, 4, 5)
        patches = patches.reshape(x.shape[0], -1, patches.shape[-3] * p * p)
        tokens = self.linear_projection(patches)
        cls = self.class_token.expand(x.shape[0], -1, -1)
        return torch.cat((cls, tokens), dim=1) + self.pos_embedding


class EncoderBlock(nn.Module):
    """vision_transformer: one LayerNorm used twice, attention, an MLP."""

    def __init__(self, latent: int = 32, heads: int = 4) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(latent)
        self.attention = nn.MultiheadAttention(latent, heads, dropout=0.1, batch_first=True)
        self.enc_mlp = nn.Sequential(
            nn.Linear(latent, latent * 4),
            nn.GELU(),
            nn.Dropout(0.1),
            nn.Linear(latent * 4, latent),
            nn.Dropout(0.1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.norm(x)
        x = x + self.attention(y, y, y)[0]
        out: torch.Tensor = x + self.enc_mlp(self.norm(x))
        return out


class ViT(nn.Module):
    """vision_transformer/main.py: embedding, a stack of EncoderBlock, an MLP head."""

    def __init__(self, blocks: int = 2, latent: int = 32, classes: int = 10) -> None:
        super().__init__()
        self.embedding = InputEmbedding(latent=latent)
        self.enc_stack = nn.ModuleList(EncoderBlock(latent) for _ in range(blocks))
        self.mlp_head = nn.Sequential(
            nn.LayerNorm(latent), nn.Linear(latent, latent), nn.Linear(latent, classes)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.embedding(x)
        for block in self.enc_stack:
            x = block(x)
        out: torch.Tensor = self.mlp_head(x[:, 0])
        return out


class Translator(nn.Module):
    """language_translation/src/model.py: two embeddings, positions, nn.Transformer, a Linear."""

    def __init__(self, src_vocab: int = 50, tgt_vocab: int = 60, d_model: int = 32) -> None:
        super().__init__()
        self.transformer = nn.Transformer(
            d_model=d_model,
            nhead=4,
            num_encoder_layers=2,
            num_decoder_layers=2,
            dim_feedforward=64,
            batch_first=True,
        )
        self.src_embedding = nn.Embedding(src_vocab, d_model)
        self.tgt_embedding = nn.Embedding(tgt_vocab, d_model)
        self.pos_enc = PositionalEncoding(d_model)
        self.ff = nn.Linear(d_model, tgt_vocab)

    def forward(self, src: torch.Tensor, trg: torch.Tensor) -> torch.Tensor:
        tgt_mask = nn.Transformer.generate_square_subsequent_mask(trg.shape[1], device=trg.device)
        src_e = self.pos_enc(self.src_embedding(src).transpose(0, 1)).transpose(0, 1)
        trg_e = self.pos_enc(self.tgt_embedding(trg).transpose(0, 1)).transpose(0, 1)
        out: torch.Tensor = self.ff(self.transformer(src_e, trg_e, tgt_mask=tgt_mask))
        return out


# --- reinforcement_learning, distributed toys, rpc ---------------------------------------------


class ActorCritic(nn.Module):
    """reinforcement_learning/actor_critic.py: one hidden layer, two heads."""

    def __init__(self) -> None:
        super().__init__()
        self.affine1 = nn.Linear(4, 128)
        self.action_head = nn.Linear(128, 2)
        self.value_head = nn.Linear(128, 1)
        self.saved_actions: list[Any] = []
        self.rewards: list[float] = []

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = F.relu(self.affine1(x))
        return F.softmax(self.action_head(x), dim=-1), self.value_head(x)


class Reinforce(nn.Module):
    """reinforcement_learning/reinforce.py."""

    def __init__(self) -> None:
        super().__init__()
        self.affine1 = nn.Linear(4, 128)
        self.dropout = nn.Dropout(p=0.6)
        self.affine2 = nn.Linear(128, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.dropout(self.affine1(x)))
        return F.softmax(self.affine2(x), dim=1)


class ToyModel(nn.Module):
    """distributed/ddp: net1, ReLU, net2."""

    def __init__(self) -> None:
        super().__init__()
        self.net1 = nn.Linear(10, 10)
        self.relu = nn.ReLU()
        self.net2 = nn.Linear(10, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.net2(self.relu(self.net1(x)))
        return out


class TensorParallelToy(nn.Module):
    """distributed/tensor_parallelism: in_proj, ReLU, out_proj."""

    def __init__(self) -> None:
        super().__init__()
        self.in_proj = nn.Linear(10, 32)
        self.relu = nn.ReLU()
        self.out_proj = nn.Linear(32, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.out_proj(self.relu(self.in_proj(x)))
        return out


class HybridModel(nn.Module):
    """distributed/rpc/ddp_rpc: an EmbeddingBag fed (indices, offsets), then a Linear."""

    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.EmbeddingBag(100, 16, mode="sum")
        self.fc = nn.Linear(16, 8)

    def forward(self, indices: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.fc(self.emb(indices, offsets))
        return out


class Attention(nn.Module):
    """distributed/FSDP2 model: bias-free q, k, v, o projections."""

    def __init__(self, dim: int, n_heads: int) -> None:
        super().__init__()
        self.n_heads = n_heads
        self.wq = nn.Linear(dim, dim, bias=False)
        self.wk = nn.Linear(dim, dim, bias=False)
        self.wv = nn.Linear(dim, dim, bias=False)
        self.wo = nn.Linear(dim, dim, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, s, d = x.shape
        q, k, v = (
            w(x).view(b, s, self.n_heads, -1).transpose(1, 2) for w in (self.wq, self.wk, self.wv)
        )
        out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        result: torch.Tensor = self.wo(out.transpose(1, 2).reshape(b, s, d))
        return result


class FeedForward(nn.Module):
    """distributed/FSDP2 model: a gated (SwiGLU-like) MLP."""

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.w1 = nn.Linear(dim, hidden)
        self.w2 = nn.Linear(hidden, dim)
        self.w3 = nn.Linear(dim, hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.w2(F.silu(self.w1(x)) * self.w3(x))
        return out


class TransformerBlock(nn.Module):
    """distributed/FSDP2 model: RMSNorm, attention, RMSNorm, feed-forward."""

    def __init__(self, dim: int, n_heads: int) -> None:
        super().__init__()
        self.attention_norm = nn.RMSNorm(dim)
        self.attention = Attention(dim, n_heads)
        self.ffn_norm = nn.RMSNorm(dim)
        self.feed_forward = FeedForward(dim, 4 * dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x + self.attention(self.attention_norm(x))
        out: torch.Tensor = h + self.feed_forward(self.ffn_norm(h))
        return out


class Fsdp2Transformer(nn.Module):
    """distributed/FSDP2 model: token and position embeddings, blocks, norm, output."""

    def __init__(self, vocab: int = 64, dim: int = 32, n_layers: int = 2, seq: int = 16) -> None:
        super().__init__()
        self.tok_embeddings = nn.Embedding(vocab, dim)
        self.pos_embeddings = nn.Embedding(seq, dim)
        self.layers = nn.ModuleList(TransformerBlock(dim, 4) for _ in range(n_layers))
        self.norm = nn.RMSNorm(dim)
        self.output = nn.Linear(dim, vocab, bias=False)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        pos = torch.arange(tokens.shape[1], device=tokens.device)
        h = self.tok_embeddings(tokens) + self.pos_embeddings(pos)
        for layer in self.layers:
            h = layer(h)
        out: torch.Tensor = self.output(self.norm(h))
        return out


class RpcEncoderDecoder(nn.Module):
    """distributed/rpc/rnn: EmbeddingTable, an LSTM, Decoder, as one local model."""

    def __init__(self, ntoken: int = 50, ninp: int = 16, nhid: int = 16) -> None:
        super().__init__()
        self.emb_table = nn.Sequential(nn.Embedding(ntoken, ninp), nn.Dropout(0.5))
        self.rnn = nn.LSTM(ninp, nhid, 2, dropout=0.5)
        self.decoder = nn.Sequential(nn.Dropout(0.5), nn.Linear(nhid, ntoken))

    def forward(self, x: torch.Tensor, hidden: Any) -> tuple[torch.Tensor, Any]:
        output, hidden = self.rnn(self.emb_table(x), hidden)
        out: torch.Tensor = self.decoder(output)
        return out, hidden


class PackedClassifier(nn.Module):
    """A padded batch packed inside forward (``pack_padded_sequence``), as snli's encoder does."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(30, 8)
        self.rnn = nn.GRU(8, 12, batch_first=True, bidirectional=True)
        self.out = nn.Linear(24, 3)

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        packed = pack_padded_sequence(
            self.embed(tokens), lengths, batch_first=True, enforce_sorted=False
        )
        output, _ = self.rnn(packed)
        padded, _ = pad_packed_sequence(output, batch_first=True)
        out: torch.Tensor = self.out(padded.mean(1))
        return out


# --- the cases --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One corpus model: its builder, its explain() keyword arguments, torchinfo's verdict.

    ``torchinfo`` is ``"same"`` (equal totals), ``"tied"`` (it counts the tied
    tensors twice: its total exceeds ``numel`` by ``tied``) or ``"fails"``.
    ``meta``: built on the meta device (large models: no memory for weights).
    """

    build: Callable[[], nn.Module]
    inputs: Callable[[], dict[str, Any]]
    torchinfo: str = "same"
    tied: int = 0
    meta: bool = False

    def model(self) -> nn.Module:
        """A new instance, on the meta device when ``meta``."""
        if not self.meta:
            return self.build()
        with torch.device("meta"):
            return self.build()


def _size(*shape: int) -> Callable[[], dict[str, Any]]:
    return lambda: {"input_size": shape}


def _data(make: Callable[[], Any]) -> Callable[[], dict[str, Any]]:
    return lambda: {"input_data": make()}


def _tokens(*shape: int, high: int = 10) -> torch.Tensor:
    return torch.randint(0, high, shape)


def _language(rnn_type: str, *, tie: bool) -> Case:
    def build() -> nn.Module:
        return RNNModel(rnn_type, 100, 24, 24, 2, tie_weights=tie)

    def data() -> Any:
        model = RNNModel(rnn_type, 100, 24, 24, 2)
        return (_tokens(7, 3), model.init_hidden(3))

    return Case(build, _data(data), "tied" if tie else "same", 100 * 24 if tie else 0)


def _sparse_graph(n: int = 6) -> torch.Tensor:
    index = torch.tensor([list(range(n)) + list(range(1, n)), list(range(n)) + list(range(n - 1))])
    return torch.sparse_coo_tensor(index, torch.ones(2 * n - 1), (n, n))


CASES: dict[str, Case] = {
    "mnist": Case(MnistNet, _size(1, 1, 28, 28)),
    "mnist_hogwild": Case(HogwildNet, _size(1, 1, 28, 28)),
    "mnist_rnn": Case(MnistRnn, _size(2, 1, 28, 28)),
    "forward_forward_layer": Case(lambda: ForwardForwardLayer(784, 100), _size(2, 784)),
    "forward_forward_net": Case(ForwardForwardNet, _size(2, 784)),
    "word_lstm_tied": _language("LSTM", tie=True),
    "word_gru_tied": _language("GRU", tie=True),
    "word_lstm": _language("LSTM", tie=False),
    "word_rnn_tanh": _language("RNN_TANH", tie=False),
    "word_rnn_relu_tied": _language("RNN_RELU", tie=True),
    "word_transformer": Case(
        lambda: TransformerModel(100, 32, 4, 64, 2), _data(lambda: _tokens(9, 2))
    ),
    "dcgan_generator": Case(dcgan_generator, _size(2, 16, 1, 1)),
    "dcgan_discriminator": Case(Discriminator, _size(2, 3, 64, 64)),
    "vae": Case(VAE, _size(2, 1, 28, 28)),
    "super_resolution": Case(SuperResolutionNet, _size(1, 1, 16, 16)),
    "fast_neural_style": Case(TransformerNet, _size(1, 3, 32, 32)),
    "siamese_network": Case(
        SiameseNetwork, _data(lambda: (torch.zeros(2, 1, 28, 28), torch.zeros(2, 1, 28, 28)))
    ),
    "time_sequence_prediction": Case(
        lambda: Sequence().double(), _data(lambda: torch.zeros(2, 200, dtype=torch.double))
    ),
    "regression": Case(lambda: nn.Linear(4, 1), _size(32, 4)),
    "gcn": Case(GCN, _data(lambda: (torch.zeros(6, 16), _sparse_graph())), "fails"),
    "gat": Case(GAT, _data(lambda: (torch.zeros(6, 16), torch.eye(6)))),
    "vision_transformer": Case(ViT, _size(2, 3, 16, 16)),
    "language_translation": Case(Translator, _data(lambda: (_tokens(2, 7), _tokens(2, 5)))),
    "actor_critic": Case(ActorCritic, _size(1, 4)),
    "reinforce": Case(Reinforce, _size(1, 4)),
    "ddp_toy": Case(ToyModel, _size(20, 10)),
    "ddp_series_linear": Case(lambda: nn.Linear(20, 1), _size(32, 20)),
    "tensor_parallel_toy": Case(TensorParallelToy, _size(4, 10)),
    "rpc_hybrid_embedding_bag": Case(
        HybridModel, _data(lambda: (_tokens(10, high=100), torch.tensor([0, 4, 7])))
    ),
    "fsdp2_transformer": Case(Fsdp2Transformer, _data(lambda: _tokens(2, 8))),
    "rpc_rnn": Case(
        RpcEncoderDecoder,
        _data(lambda: (_tokens(6, 2), (torch.zeros(2, 2, 16), torch.zeros(2, 2, 16)))),
    ),
    "imagenet_resnet18": Case(torch_models.resnet18, _size(1, 3, 64, 64), meta=True),
    "imagenet_alexnet": Case(torch_models.AlexNet, _size(1, 3, 64, 64), meta=True),
    "imagenet_vgg16": Case(torch_models.vgg16, _size(1, 3, 32, 32), meta=True),
    "packed_gru_classifier": Case(
        PackedClassifier, _data(lambda: (_tokens(3, 5), torch.tensor([5, 2, 4])))
    ),
    "packed_lstm_input": Case(
        lambda: nn.LSTM(4, 6, num_layers=2),
        _data(lambda: pack_padded_sequence(torch.zeros(5, 3, 4), torch.tensor([5, 3, 2]))),
        "fails",
    ),
}
"""Name → case, in the examples' order."""
