"""PyTorch reference timings for `npm run bench -- --pytorch` (bench/hrnet-throughput.bench.ts) and the
deploy bench (packages/deploy/bench/inference-runtimes.bench.ts: `--arch higherhrnet --infer-only`).

Builds timm's HRNet classifier (same modules, same order, same parameter count as timm's
`hrnet_*` models: the bench checks the count against @hrnet/core's) from the config dict that
@hrnet/core's registry resolves, and times inference and a training step (SGD with momentum,
softmax cross-entropy) the way the bench does: warm-up, then the median of N steps.

    python3 bench/pytorch-hrnet.py CONFIG.json --size 224 --train-batch 8 --steps 5 --threads 2 [--device cuda]
    python3 bench/pytorch-hrnet.py CONFIG.json --arch higherhrnet --size 512 --infer-only

`--arch higherhrnet`: pose_higher_hrnet (HigherHRNet-Human-Pose-Estimation) on the same backbone cfg: the last
module fuses to the highest resolution only, a 1x1 conv to 17 heatmaps + 17 tags, one deconvolution stage
(concat, ConvTranspose 4x4 / 2, BN, ReLU, 4 BasicBlocks) and its 1x1 conv to 17 heatmaps.

`--device cuda`: fp32 (TF32 off) eager timing on the GPU, synchronised after each step. Needs PyTorch (Debian: apt-get install python3-torch); prints one JSON line.
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def conv_bn(cin, cout, k, stride=1, relu=True, bias=False):
    layers = [nn.Conv2d(cin, cout, k, stride, k // 2, bias=bias), nn.BatchNorm2d(cout)]
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, cin, planes, stride=1):
        super().__init__()
        self.body = nn.Sequential(conv_bn(cin, planes, 3, stride), conv_bn(planes, planes, 3, relu=False))
        out = planes * self.expansion
        self.down = conv_bn(cin, out, 1, stride, relu=False) if stride != 1 or cin != out else None

    def forward(self, x):
        s = x if self.down is None else self.down(x)
        return F.relu(self.body(x) + s, inplace=True)


class Bottleneck(BasicBlock):
    expansion = 4

    def __init__(self, cin, planes, stride=1):
        nn.Module.__init__(self)
        out = planes * 4
        self.body = nn.Sequential(conv_bn(cin, planes, 1), conv_bn(planes, planes, 3, stride), conv_bn(planes, out, 1, relu=False))
        self.down = conv_bn(cin, out, 1, stride, relu=False) if stride != 1 or cin != out else None


BLOCKS = {'BASIC': BasicBlock, 'BOTTLENECK': Bottleneck}


class HRModule(nn.Module):
    def __init__(self, widths_in, cfg):
        super().__init__()
        block = BLOCKS[cfg['block_type']]
        widths = [c * block.expansion for c in cfg['num_channels']]
        self.branches = nn.ModuleList()
        for i, n in enumerate(cfg['num_blocks']):
            layers, cin = [], widths_in[i]
            for _ in range(n):
                layers.append(block(cin, cfg['num_channels'][i]))
                cin = widths[i]
            self.branches.append(nn.Sequential(*layers))
        nb = len(widths)
        self.fuse = nn.ModuleList()
        for i in range(nb):
            row = nn.ModuleList()
            for j in range(nb):
                if j > i:
                    row.append(nn.Sequential(conv_bn(widths[j], widths[i], 1, relu=False), nn.Upsample(scale_factor=2 ** (j - i), mode='nearest')))
                elif j == i:
                    row.append(nn.Identity())
                else:
                    steps = [conv_bn(widths[j], widths[i] if k == i - j - 1 else widths[j], 3, 2, relu=k != i - j - 1) for k in range(i - j)]
                    row.append(nn.Sequential(*steps))
            self.fuse.append(row)
        self.widths = widths

    def forward(self, xs):
        xs = [b(x) for b, x in zip(self.branches, xs)]
        if len(xs) == 1:
            return xs
        out = []
        for row in self.fuse:
            y = None
            for j, f in enumerate(row):
                t = f(xs[j])
                y = t if y is None else y + t
            out.append(F.relu(y))
        return out


class HRNet(nn.Module):
    def __init__(self, cfg, num_classes=1000):
        super().__init__()
        self.stem = nn.Sequential(conv_bn(3, cfg['stem_width'], 3, 2), conv_bn(cfg['stem_width'], 64, 3, 2))
        widths = [64]
        self.stages = nn.ModuleList()
        self.transitions = nn.ModuleList()
        for s in range(1, 5):
            scfg = cfg[f'stage{s}']
            block = BLOCKS[scfg['block_type']]
            target = [c * block.expansion for c in scfg['num_channels']]
            if s > 1:
                trans = nn.ModuleList()
                for i, w in enumerate(target):
                    if i < len(widths):
                        trans.append(conv_bn(widths[i], w, 3) if widths[i] != w else nn.Identity())
                    else:
                        trans.append(conv_bn(widths[-1], w, 3, 2))
                self.transitions.append(trans)
                widths = target
            modules = []
            win = widths
            for _ in range(scfg['num_modules']):
                m = HRModule(win, scfg)
                modules.append(m)
                win = m.widths
            widths = win
            self.stages.append(nn.Sequential(*modules))
        # timm's 'incre' classification head.
        head = [32, 64, 128, 256]
        self.incre = nn.ModuleList([Bottleneck(w, head[i]) for i, w in enumerate(widths)])
        # (timm gives these convs a bias)
        self.down = nn.ModuleList([conv_bn(head[i] * 4, head[i + 1] * 4, 3, 2, bias=True) for i in range(len(widths) - 1)])
        self.final = conv_bn(head[3] * 4, 2048, 1, bias=True)
        self.fc = nn.Linear(2048, num_classes)

    def branches(self, x):
        """The stem, then each stage after its transition: the branch outputs of the last stage."""
        xs = [self.stem(x)]
        xs = self.stages[0](xs)
        for t, stage in zip(self.transitions, self.stages[1:]):
            xs = [t[i](xs[i] if i < len(xs) else xs[-1]) for i in range(len(t))]
            xs = stage(xs)
        return xs

    def forward(self, x):
        xs = self.branches(x)
        y = self.incre[0](xs[0])
        for i, d in enumerate(self.down):
            y = self.incre[i + 1](xs[i + 1]) + d(y)
        y = self.final(y)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(y, 1), 1))


class HigherHRNet(nn.Module):
    def __init__(self, cfg, num_joints=17):
        super().__init__()
        backbone = HRNet(cfg)
        self.stem, self.transitions, self.stages = backbone.stem, backbone.transitions, backbone.stages
        last = self.stages[-1][-1]
        last.fuse = last.fuse[:1]  # multi_scale_output=False
        c = cfg['stage4']['num_channels'][0]
        self.final0 = nn.Conv2d(c, 2 * num_joints, 1)
        self.deconv = nn.Sequential(
            nn.ConvTranspose2d(c + 2 * num_joints, c, 4, 2, 1, 0, bias=False), nn.BatchNorm2d(c), nn.ReLU(inplace=True),
            *[BasicBlock(c, c) for _ in range(4)])
        self.final1 = nn.Conv2d(c, num_joints, 1)

    def forward(self, x):
        xs = HRNet.branches(self, x)
        y0 = self.final0(xs[0])
        return y0, self.final1(self.deconv(torch.cat([xs[0], y0], 1)))


def median_seconds(fn, steps, warmup=2, sync=lambda: None):
    for _ in range(warmup):
        fn()
    sync()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('config')
    ap.add_argument('--size', type=int, default=224)
    ap.add_argument('--train-batch', type=int, default=8)
    ap.add_argument('--steps', type=int, default=5)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--device', default='cpu')
    ap.add_argument('--arch', choices=['classifier', 'higherhrnet'], default='classifier')
    ap.add_argument('--batches', default='1,8')
    ap.add_argument('--infer-only', action='store_true')
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    dev = torch.device(args.device)
    sync = torch.cuda.synchronize if dev.type == 'cuda' else (lambda: None)
    if dev.type == 'cuda':
        # fp32 as the tfjs backends compute: no TF32 tensor-core shortcuts.
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    torch.manual_seed(0)
    with open(args.config) as f:
        cfg = json.load(f)
    model = (HigherHRNet(cfg) if args.arch == 'higherhrnet' else HRNet(cfg)).to(dev)
    params = sum(p.numel() for p in model.parameters())
    out = {'torch': torch.__version__, 'threads': torch.get_num_threads(), 'params': params, 'device': str(dev)}
    if dev.type == 'cuda':
        out['gpu'] = torch.cuda.get_device_name(dev)
    model.eval()
    for batch in map(int, args.batches.split(',')):
        x = torch.randn(batch, 3, args.size, args.size, device=dev)
        with torch.no_grad():
            out[f'infer b{batch}'] = batch / median_seconds(lambda: model(x), args.steps, sync=sync)
    if args.infer_only:
        print(json.dumps(out))
        return
    model.train()
    b = args.train_batch
    x = torch.randn(b, 3, args.size, args.size, device=dev)
    y = torch.arange(b, device=dev) % 1000
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        opt.step()

    out[f'train b{b}'] = b / median_seconds(step, args.steps, sync=sync)
    print(json.dumps(out))


if __name__ == '__main__':
    main()
