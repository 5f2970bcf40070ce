"""Real PyTorch exports of small reparameterizable networks, as fixtures for fuseGraph's tests.

Four networks written here from the papers / official repositories' definitions (MobileOne,
RepVGG, FastViT, RepViT), each with a train form and a module-level `reparameterize()` that
produces the deploy form the way those repositories do it: every Conv+BN branch folded in float64,
kernels zero-padded to the largest, BN-only skips turned into identity kernels, all summed. Each
network is exported with the TorchScript ONNX exporter of the installed torch (1.13):

  NAME.train.onnx            model.eval(), TrainingMode.EVAL, constant folding, opset 13,
                             dynamic batch ("batch") on input and output
  NAME.train_preserve.onnx   TrainingMode.PRESERVE (every BatchNormalization kept), static
                             shapes, opset 11
  NAME.deploy.onnx           after reparameterize(), opset 13, dynamic batch
  fastvit.train_opset17.onnx as NAME.train.onnx with opset 17

Before writing, the train and deploy modules are checked to agree in PyTorch (float64 and
float32), and a node histogram of every file is printed. manifest.json describes each file.

Usage: /usr/bin/python3 scripts/torch_exports/export.py [OUT_DIR]   (default tests/testdata/torch)
"""
import copy
import io
import json
import math
import os
import re
import sys
from collections import Counter

import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

INPUT_SHAPE = (1, 3, 64, 64)
NUM_CLASSES = 10
INPUT_NAME = "input"
OUTPUT_NAME = "logits"


# --------------------------------------------------------------------------------------------
# Non-trivial initialisation
# --------------------------------------------------------------------------------------------


def mixed_signs(n, low, high):
    """n values with |v| uniform in [low, high] and random signs."""
    mag = torch.empty(n).uniform_(low, high)
    sign = torch.where(torch.rand(n) < 0.5, -1.0, 1.0)
    return mag * sign


def randomize_bn(bn):
    """Running statistics and affine parameters far from the identity."""
    c = bn.num_features
    with torch.no_grad():
        bn.running_mean.copy_(torch.randn(c) * 0.5)
        bn.running_var.copy_(torch.empty(c).uniform_(0.05, 4.0))
        bn.weight.copy_(mixed_signs(c, 0.3, 1.5))
        bn.bias.copy_(torch.randn(c) * 0.3)


def randomize(model):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            randomize_bn(m)


# --------------------------------------------------------------------------------------------
# Reparameterization kernels (float64)
# --------------------------------------------------------------------------------------------


def bn_affine(bn):
    """Per-channel (scale, shift) of an eval-mode BatchNorm2d, float64."""
    std = torch.sqrt(bn.running_var.double() + bn.eps)
    scale = bn.weight.double() / std
    shift = bn.bias.double() - bn.running_mean.double() * scale
    return scale, shift


def fold_bn(weight, bias, bn):
    """Kernel and bias of conv(weight, bias) followed by bn, float64."""
    scale, shift = bn_affine(bn)
    w = weight.double() * scale.reshape(-1, 1, 1, 1)
    b = shift if bias is None else shift + bias.double() * scale
    return w, b


def identity_kernel(channels, groups, k):
    """Kernel [channels, channels/groups, k, k] of the identity map, float64."""
    per_group = channels // groups
    w = torch.zeros(channels, per_group, k, k, dtype=torch.float64)
    for c in range(channels):
        w[c, c % per_group, k // 2, k // 2] = 1.0
    return w


def pad_to(w, k):
    """Zero-pads a square kernel to k x k, centred."""
    p = (k - w.shape[-1]) // 2
    return F.pad(w, [p, p, p, p]) if p > 0 else w


def conv_from(weight, bias, like, stride, padding, groups):
    """A Conv2d with bias holding float64 weight/bias (cast to the module's dtype)."""
    out_c, in_per_group, kh, kw = weight.shape
    conv = nn.Conv2d(in_per_group * groups, out_c, (kh, kw), stride, padding, groups=groups,
                     bias=True)
    conv = conv.to(like.dtype)
    with torch.no_grad():
        conv.weight.copy_(weight.to(like.dtype))
        conv.bias.copy_(bias.to(like.dtype))
    return conv


class ConvBN(nn.Module):
    """Conv2d without bias followed by BatchNorm2d."""

    def __init__(self, cin, cout, k, stride=1, padding=None, groups=1):
        super().__init__()
        padding = k // 2 if padding is None else padding
        self.conv = nn.Conv2d(cin, cout, k, stride, padding, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        return self.bn(self.conv(x))

    def fused(self):
        return fold_bn(self.conv.weight, self.conv.bias, self.bn)

    def to_conv(self):
        w, b = self.fused()
        c = self.conv
        return conv_from(w, b, c.weight, c.stride, c.padding, c.groups)


class Reparameterizable(nn.Module):
    deployed = False

    def reparameterize(self):
        raise NotImplementedError


def reparameterize_model(model):
    """Deploy form of a copy of model: every Reparameterizable, outermost first."""
    model = copy.deepcopy(model)
    for m in list(model.modules()):
        if isinstance(m, Reparameterizable) and not m.deployed:
            m.reparameterize()
    return model


# --------------------------------------------------------------------------------------------
# MobileOne
# --------------------------------------------------------------------------------------------


class MobileOneBlock(Reparameterizable):
    """MobileOne block: num_conv_branches kxk Conv+BN, a 1x1 Conv+BN scale branch when k > 1,
    a BN skip when in == out and stride 1; summed, then the activation."""

    def __init__(self, cin, cout, k, stride=1, groups=1, num_conv_branches=1,
                 use_scale_branch=True, act=nn.ReLU):
        super().__init__()
        self.cin, self.cout, self.k, self.stride, self.groups = cin, cout, k, stride, groups
        self.skip = nn.BatchNorm2d(cin) if cin == cout and stride == 1 else None
        self.conv_branches = nn.ModuleList(
            [ConvBN(cin, cout, k, stride, k // 2, groups) for _ in range(num_conv_branches)])
        self.scale = (ConvBN(cin, cout, 1, stride, 0, groups)
                      if use_scale_branch and k > 1 else None)
        self.act = act() if act is not None else nn.Identity()
        self.reparam_conv = None

    def forward(self, x):
        if self.reparam_conv is not None:
            return self.act(self.reparam_conv(x))
        # accumulated as the official MobileOne / FastViT code does: absent branches are 0
        scale_out = self.scale(x) if self.scale is not None else 0
        identity_out = self.skip(x) if self.skip is not None else 0
        out = scale_out + identity_out
        for branch in self.conv_branches:
            out = out + branch(x)
        return self.act(out)

    def fused_kernel(self):
        """(weight, bias) float64 of the whole block before the activation."""
        k = self.k
        w = torch.zeros(self.cout, self.cin // self.groups, k, k, dtype=torch.float64)
        b = torch.zeros(self.cout, dtype=torch.float64)
        for branch in self.conv_branches:
            bw, bb = branch.fused()
            w, b = w + bw, b + bb
        if self.scale is not None:
            sw, sb = self.scale.fused()
            w, b = w + pad_to(sw, k), b + sb
        if self.skip is not None:
            iw, ib = fold_bn(identity_kernel(self.cin, self.groups, k), None, self.skip)
            w, b = w + iw, b + ib
        return w, b

    def reparameterize(self):
        w, b = self.fused_kernel()
        like = next(self.parameters())
        self.reparam_conv = conv_from(w, b, like, self.stride, self.k // 2, self.groups)
        del self.conv_branches, self.scale, self.skip
        self.conv_branches, self.scale, self.skip = nn.ModuleList(), None, None
        self.deployed = True


class MobileOneNet(nn.Module):
    """Stem 3x3 s2 (3 -> 16), stages of [depthwise 3x3 block + pointwise 1x1 block] with 4 conv
    branches each (one stride-2 stage), GlobalAveragePool + Linear. Widths 16..32."""

    def __init__(self, k=4):
        super().__init__()
        layers = [MobileOneBlock(3, 16, 3, stride=2)]
        for cin, cout, stride in [(16, 16, 1), (16, 32, 2), (32, 32, 1)]:
            layers.append(MobileOneBlock(cin, cin, 3, stride, groups=cin, num_conv_branches=k))
            layers.append(MobileOneBlock(cin, cout, 1, 1, num_conv_branches=k))
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(32, NUM_CLASSES)

    def forward(self, x):
        return self.head(torch.flatten(self.pool(self.features(x)), 1))


# --------------------------------------------------------------------------------------------
# RepVGG
# --------------------------------------------------------------------------------------------


class RepVGGBlock(Reparameterizable):
    """3x3 Conv+BN + 1x1 Conv+BN + BN identity (in == out, stride 1), summed, ReLU."""

    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.cin, self.cout, self.stride = cin, cout, stride
        self.dense = ConvBN(cin, cout, 3, stride, 1)
        self.pointwise = ConvBN(cin, cout, 1, stride, 0)
        self.identity = nn.BatchNorm2d(cin) if cin == cout and stride == 1 else None
        self.act = nn.ReLU()
        self.reparam_conv = None

    def forward(self, x):
        if self.reparam_conv is not None:
            return self.act(self.reparam_conv(x))
        id_out = self.identity(x) if self.identity is not None else 0
        return self.act(self.dense(x) + self.pointwise(x) + id_out)

    def reparameterize(self):
        w, b = self.dense.fused()
        pw, pb = self.pointwise.fused()
        w, b = w + pad_to(pw, 3), b + pb
        if self.identity is not None:
            iw, ib = fold_bn(identity_kernel(self.cin, 1, 3), None, self.identity)
            w, b = w + iw, b + ib
        self.reparam_conv = conv_from(w, b, next(self.parameters()), self.stride, 1, 1)
        del self.dense, self.pointwise, self.identity
        self.identity = None
        self.deployed = True


class RepVGGNet(nn.Module):
    def __init__(self):
        super().__init__()
        cfg = [(3, 16, 2), (16, 16, 1), (16, 24, 2), (24, 24, 1), (24, 24, 1)]
        self.features = nn.Sequential(*[RepVGGBlock(i, o, s) for i, o, s in cfg])
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(24, NUM_CLASSES)

    def forward(self, x):
        return self.head(torch.flatten(self.pool(self.features(x)), 1))


# --------------------------------------------------------------------------------------------
# FastViT
# --------------------------------------------------------------------------------------------


class RepMixer(Reparameterizable):
    """x + layer_scale * (mixer(x) - norm(x)): norm a BN-only depthwise MobileOne block, mixer a
    depthwise 3x3 Conv+BN (+ 1x1 scale branch, as FastViT's MobileOneBlock default) + BN skip."""

    def __init__(self, dim, k=3):
        super().__init__()
        self.dim, self.k = dim, k
        self.norm = MobileOneBlock(dim, dim, k, groups=dim, num_conv_branches=0,
                                   use_scale_branch=False, act=None)
        self.mixer = MobileOneBlock(dim, dim, k, groups=dim, num_conv_branches=1, act=None)
        self.layer_scale = nn.Parameter(mixed_signs(dim, 0.5, 1.5).reshape(dim, 1, 1))
        self.reparam_conv = None

    def forward(self, x):
        if self.reparam_conv is not None:
            return self.reparam_conv(x)
        return x + self.layer_scale * (self.mixer(x) - self.norm(x))

    def reparameterize(self):
        # x + g * ((Wm * x + bm) - (Wn * x + bn)) = (I + g * (Wm - Wn)) * x + g * (bm - bn)
        mw, mb = self.mixer.fused_kernel()
        nw, nb = self.norm.fused_kernel()
        g = self.layer_scale.double().reshape(-1)
        w = identity_kernel(self.dim, self.dim, self.k) + g.reshape(-1, 1, 1, 1) * (mw - nw)
        b = g * (mb - nb)
        self.reparam_conv = conv_from(w, b, self.layer_scale, 1, self.k // 2, self.dim)
        self.mixer.deployed = self.norm.deployed = True
        del self.mixer, self.norm, self.layer_scale
        self.deployed = True


class ConvFFN(nn.Module):
    """Depthwise 7x7 Conv+BN, 1x1, GELU, 1x1 (FastViT's ConvFFN; not reparameterized there)."""

    def __init__(self, dim, hidden):
        super().__init__()
        self.conv = ConvBN(dim, dim, 7, 1, 3, groups=dim)
        self.fc1 = nn.Conv2d(dim, hidden, 1)
        self.act = nn.GELU()
        self.fc2 = nn.Conv2d(hidden, dim, 1)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(self.conv(x))))


class RepMixerBlock(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.token_mixer = RepMixer(dim)
        self.convffn = ConvFFN(dim, hidden)

    def forward(self, x):
        x = self.token_mixer(x)
        return x + self.convffn(x)


class ReparamLargeKernelConv(Reparameterizable):
    """Grouped kxk Conv+BN + 3x3 Conv+BN (same stride and groups), summed, then GELU."""

    def __init__(self, cin, cout, k, stride, groups, small_k=3):
        super().__init__()
        self.k, self.stride, self.groups = k, stride, groups
        self.large = ConvBN(cin, cout, k, stride, k // 2, groups)
        self.small = ConvBN(cin, cout, small_k, stride, small_k // 2, groups)
        self.act = nn.GELU()
        self.reparam_conv = None

    def forward(self, x):
        if self.reparam_conv is not None:
            return self.act(self.reparam_conv(x))
        return self.act(self.large(x) + self.small(x))

    def reparameterize(self):
        w, b = self.large.fused()
        sw, sb = self.small.fused()
        w, b = w + pad_to(sw, self.k), b + sb
        like = next(self.parameters())
        self.reparam_conv = conv_from(w, b, like, self.stride, self.k // 2, self.groups)
        del self.large, self.small
        self.deployed = True


class FastViTNet(nn.Module):
    """Convolutional stem (3 MobileOne blocks, GELU), a RepMixer block with ConvFFN, a PatchEmbed
    (ReparamLargeKernelConv 7x7 s2 dim -> 2 dim, groups dim, + 1x1 MobileOne block), GAP + Linear.
    dim = 32: the large-kernel conv is 32 -> 64 with groups 32."""

    def __init__(self, dim=32):
        super().__init__()
        act = nn.GELU
        self.stem = nn.Sequential(
            MobileOneBlock(3, dim, 3, stride=2, act=act),
            MobileOneBlock(dim, dim, 3, stride=2, groups=dim, act=act),
            MobileOneBlock(dim, dim, 1, stride=1, act=act),
        )
        self.stage = RepMixerBlock(dim, 2 * dim)
        self.patch_embed = nn.Sequential(
            ReparamLargeKernelConv(dim, 2 * dim, 7, 2, groups=dim),
            MobileOneBlock(2 * dim, 2 * dim, 1, act=act),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(2 * dim, NUM_CLASSES)

    def forward(self, x):
        x = self.patch_embed(self.stage(self.stem(x)))
        return self.head(torch.flatten(self.pool(x), 1))


# --------------------------------------------------------------------------------------------
# RepViT
# --------------------------------------------------------------------------------------------


class RepVGGDW(Reparameterizable):
    """BN(dw3x3 Conv+BN (x) + dw1x1 Conv with bias (x) + x)."""

    def __init__(self, dim):
        super().__init__()
        self.dim = dim
        self.conv = ConvBN(dim, dim, 3, 1, 1, groups=dim)
        self.conv1 = nn.Conv2d(dim, dim, 1, 1, 0, groups=dim, bias=True)
        self.bn = nn.BatchNorm2d(dim)
        self.reparam_conv = None

    def forward(self, x):
        if self.reparam_conv is not None:
            return self.reparam_conv(x)
        return self.bn((self.conv(x) + self.conv1(x)) + x)

    def reparameterize(self):
        w, b = self.conv.fused()
        w = w + pad_to(self.conv1.weight.double(), 3) + identity_kernel(self.dim, self.dim, 3)
        b = b + self.conv1.bias.double()
        w, b = fold_bn(w, b, self.bn)
        self.reparam_conv = conv_from(w, b, self.conv1.weight, 1, 1, self.dim)
        self.conv.deployed = True
        del self.conv, self.conv1, self.bn
        self.deployed = True


class FoldedConvBN(Reparameterizable):
    """A ConvBN that RepViT's deploy step folds into one Conv with bias (`fuse()`)."""

    def __init__(self, *args, **kwargs):
        super().__init__()
        self.body = ConvBN(*args, **kwargs)

    def forward(self, x):
        return self.body(x)

    def reparameterize(self):
        self.body = self.body.to_conv()
        self.deployed = True


class SqueezeExcite(nn.Module):
    """x * sigmoid(fc2(relu(fc1(mean(x))))): data-dependent gating, not linear in x."""

    def __init__(self, dim, ratio=0.25):
        super().__init__()
        rd = max(8, int(dim * ratio + 4) // 8 * 8)
        self.fc1 = nn.Conv2d(dim, rd, 1)
        self.act = nn.ReLU()
        self.fc2 = nn.Conv2d(rd, dim, 1)

    def forward(self, x):
        s = x.mean((2, 3), keepdim=True)
        return x * torch.sigmoid(self.fc2(self.act(self.fc1(s))))


class ChannelMixer(nn.Module):
    """x + conv_bn_1x1(GELU(conv_bn_1x1(x))): an Add of x and a nonlinear branch."""

    def __init__(self, dim, hidden):
        super().__init__()
        self.body = nn.Sequential(FoldedConvBN(dim, hidden, 1, 1, 0), nn.GELU(),
                                  FoldedConvBN(hidden, dim, 1, 1, 0))

    def forward(self, x):
        return x + self.body(x)


class RepViTBlock(nn.Module):
    def __init__(self, cin, hidden, cout, stride, use_se):
        super().__init__()
        if stride == 1:
            assert cin == cout
            mixer = [RepVGGDW(cin)]
            if use_se:
                mixer.append(SqueezeExcite(cin))
        else:
            mixer = [FoldedConvBN(cin, cin, 3, stride, 1, groups=cin)]
            if use_se:
                mixer.append(SqueezeExcite(cin))
            mixer.append(FoldedConvBN(cin, cout, 1, 1, 0))
        self.token_mixer = nn.Sequential(*mixer)
        self.channel_mixer = ChannelMixer(cout, hidden)

    def forward(self, x):
        return self.channel_mixer(self.token_mixer(x))


class RepViTNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(FoldedConvBN(3, 16, 3, 2, 1), nn.GELU(),
                                  FoldedConvBN(16, 24, 3, 2, 1))
        self.blocks = nn.Sequential(
            RepViTBlock(24, 48, 24, 1, use_se=True),
            RepViTBlock(24, 48, 24, 1, use_se=False),
            RepViTBlock(24, 64, 32, 2, use_se=False),
            RepViTBlock(32, 64, 32, 1, use_se=True),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(32, NUM_CLASSES)

    def forward(self, x):
        return self.head(torch.flatten(self.pool(self.blocks(self.stem(x))), 1))


# --------------------------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------------------------

NETWORKS = [
    ("mobileone", MobileOneNet, 1),
    ("repvgg", RepVGGNet, 2),
    ("fastvit", FastViTNet, 3),
    ("repvit", RepViTNet, 4),
]
OPSET17 = {"fastvit"}

# What a fusion of the train graph should and should not do, per network (for the manifest).
NOTES = {
    "mobileone": "Every block is linear up to its ReLU: 7 Conv after fusion, no "
                 "BatchNormalization.",
    "repvgg": "Every block is linear up to its ReLU: 5 Conv after fusion, no BatchNormalization.",
    "fastvit": "RepMixer x + layer_scale * (mixer(x) - norm(x)) is linear in x and becomes one "
               "depthwise 3x3 Conv; the ConvFFN residual Add (x + branch through GELU) is not "
               "linear and stays; the ConvFFN's depthwise 7x7 (BN folded) -> fc1 1x1 chain stays "
               "two Convs in the deploy form (FastViT does not merge sequential convs); the "
               "large-kernel 7x7 conv keeps groups = in channels (32 -> 64, group 32).",
    "repvit": "RepVGGDW BN(dw3x3(x) + dw1x1(x) + x) becomes one depthwise 3x3 Conv; the SE Mul "
              "(x * sigmoid(...), data-dependent) and the channel-mixer residual Add (x + branch "
              "through GELU) are look-alikes and stay; the downsampling dw3x3 s2 -> 1x1 chain "
              "stays two Convs in the deploy form.",
}
FORM_NOTES = {
    "train": "TrainingMode.EVAL: the exporter folds each Conv -> BatchNormalization whose Conv "
             "output has a single use into Conv with bias; BatchNormalization not preceded by a "
             "Conv (skip / identity / norm branches, RepVGGDW's outer BN) stays.",
    "train_opset17": "As train, opset 17.",
    "train_preserve": "TrainingMode.PRESERVE on a model in eval mode: no Conv+BN folding, every "
                      "BatchNormalization kept (opset 11, no training_mode attribute); constant "
                      "folding was left on (torch warns) and changed nothing here.",
    "deploy": "After the module-level reparameterize(); Conv+BN pairs that the networks' deploy "
              "step does not touch (FastViT's ConvFFN depthwise conv) are folded by the exporter.",
}


def build(cls, seed):
    torch.manual_seed(seed)
    model = cls()
    randomize(model)
    return model.eval()


def verify(name, train, deploy):
    """Max abs train/deploy difference relative to max |output|, in float64 and float32."""
    torch.manual_seed(1000)
    x = torch.randn(2, *INPUT_SHAPE[1:], dtype=torch.float64)
    result = {}
    with torch.no_grad():
        for dtype in (torch.float64, torch.float32):
            a = copy.deepcopy(train).to(dtype)(x.to(dtype)).double()
            b = copy.deepcopy(deploy).to(dtype)(x.to(dtype)).double()
            scale = a.abs().max().item()
            err = (a - b).abs().max().item()
            result[str(dtype).replace("torch.", "")] = {"max_abs_err": err, "max_abs_out": scale,
                                                       "relative": err / scale}
    rel32 = result["float32"]["relative"]
    print(f"{name}: train vs deploy max|out| {result['float32']['max_abs_out']:.4g}, "
          f"max abs err float64 {result['float64']['max_abs_err']:.3g} "
          f"(rel {result['float64']['relative']:.3g}), float32 "
          f"{result['float32']['max_abs_err']:.3g} (rel {rel32:.3g})")
    # the deploy weights are stored in float32 (as exported), so even in float64 the forms agree
    # only to float32 rounding of the fused weights (~1e-7 relative)
    if not rel32 < 1e-4 or not result["float64"]["relative"] < 1e-5:
        raise SystemExit(f"{name}: train and deploy forms disagree")
    return result


def export(model, path, opset, dynamic, training):
    kwargs = {}
    if dynamic:
        kwargs["dynamic_axes"] = {INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}}
    x = torch.randn(*INPUT_SHAPE)
    torch.onnx.export(model, x, path, input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
                      opset_version=opset, training=training, do_constant_folding=True, **kwargs)


def describe(path):
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    g = m.graph
    hist = Counter(n.op_type for n in g.node)
    convs = [n for n in g.node if n.op_type == "Conv"]
    inits = {t.name: t for t in g.initializer}

    def group(n):
        for a in n.attribute:
            if a.name == "group":
                return a.i
        return 1

    conv_sig = Counter(f"group={group(n)} w={list(inits[n.input[1]].dims)}"
                       if n.input[1] in inits else f"group={group(n)} w=?" for n in convs)
    float_params = sum(math.prod(t.dims) for t in g.initializer
                       if t.data_type == onnx.TensorProto.FLOAT)
    const_nodes = [n for n in g.node if n.op_type == "Constant"]
    inp = g.input[0]
    dims = [d.dim_param if d.dim_param else d.dim_value for d in inp.type.tensor_type.shape.dim]
    return {
        "opset": next(o.version for o in m.opset_import if o.domain in ("", "ai.onnx")),
        "ir_version": m.ir_version,
        "producer": f"{m.producer_name} {m.producer_version}",
        "input": {"name": inp.name, "shape": dims},
        "output": g.output[0].name,
        "dynamic_batch": isinstance(dims[0], str),
        "node_histogram": dict(sorted(hist.items())),
        "conv_count": len(convs),
        "conv_signatures": dict(sorted(conv_sig.items())),
        "float_initializer_elements": float_params,
        "initializers": len(g.initializer),
        "constant_nodes": len(const_nodes),
        "bytes": os.path.getsize(path),
    }


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "tests", "testdata", "torch")
    os.makedirs(out, exist_ok=True)
    torch.set_grad_enabled(False)
    files = []
    for name, cls, seed in NETWORKS:
        train = build(cls, seed)
        deploy = reparameterize_model(train).eval()
        check = verify(name, train, deploy)
        forms = [
            ("train", train, 13, True, torch.onnx.TrainingMode.EVAL),
            ("train_preserve", train, 11, False, torch.onnx.TrainingMode.PRESERVE),
            ("deploy", deploy, 13, True, torch.onnx.TrainingMode.EVAL),
        ]
        if name in OPSET17:
            forms.append(("train_opset17", train, 17, True, torch.onnx.TrainingMode.EVAL))
        for form, model, opset, dynamic, training in forms:
            fname = f"{name}.{form}.onnx"
            path = os.path.join(out, fname)
            export(model, path, opset, dynamic, training)
            entry = {"file": fname, "network": name, "form": form, "seed": seed,
                     "torch_version": torch.__version__, "onnx_version": onnx.__version__,
                     "training_mode": training.name, "do_constant_folding": True,
                     **describe(path), "notes": FORM_NOTES[form], "network_notes": NOTES[name]}
            if form == "deploy":
                entry["reparam_check"] = check
            files.append(entry)
    deploy_of = {f["network"]: f for f in files if f["form"] == "deploy"}
    for f in files:
        if f["form"] != "deploy":
            d = deploy_of[f["network"]]
            f["deploy_file"] = d["file"]
            f["expected_conv_after_fusion"] = d["conv_count"]
            f["expected_float_params_after_fusion"] = d["float_initializer_elements"]
    for f in files:
        if f["form"] == "deploy":
            f["expected_conv_after_fusion"] = f["conv_count"]

    print()
    ops = sorted({op for f in files for op in f["node_histogram"]})
    width = max(len(f["file"]) for f in files)
    print(f"{'file':<{width}} {'bytes':>7} {'params':>7}  " + " ".join(ops))
    for f in files:
        h = f["node_histogram"]
        cells = " ".join(f"{h.get(op, 0):>{len(op)}}" for op in ops)
        print(f"{f['file']:<{width}} {f['bytes']:>7} {f['float_initializer_elements']:>7}  "
              + cells)
    total = sum(f["bytes"] for f in files)
    print(f"total {total} bytes in {len(files)} files")

    manifest = {
        "description": "PyTorch exports of small reparameterizable networks; see "
                       "scripts/torch_exports/README.md. expected_conv_after_fusion: Conv nodes "
                       "of the network's deploy export (module-level reparameterize()).",
        "generator": "scripts/torch_exports/export.py",
        "torch_version": torch.__version__,
        "onnx_version": onnx.__version__,
        "input_shape": list(INPUT_SHAPE),
        "files": files,
    }
    text = json.dumps(manifest, indent=2)
    # lists of numbers and strings on one line each
    text = re.sub(r"\[\s*([^\[\]{}]*?)\s*\]",
                  lambda m: "[" + re.sub(r",\s+", ", ", m.group(1)) + "]", text)
    with open(os.path.join(out, "manifest.json"), "w") as fh:
        fh.write(text + "\n")


if __name__ == "__main__":
    main()
