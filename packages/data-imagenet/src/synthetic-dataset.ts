import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { createRng, mixSeed, type Rng } from '@hrnet/core';

/** A class of the synthetic dataset: a shape (drawn in a unit circle) of a characteristic hue. */
interface SyntheticClass {
  name: string;
  hue: number;
  /** SVG elements in unit coordinates (centre 0,0, radius ~1), drawn with `fill`. */
  draw(fill: string, rng: Rng): string;
}

const bars = (n: number, vertical: boolean): string =>
  Array.from({ length: n }, (_, i) => {
    const t = -0.9 + (1.8 * i) / n;
    const w = 0.9 / n;
    return vertical ? `<rect x="${t}" y="-0.9" width="${w}" height="1.8"/>` : `<rect x="-0.9" y="${t}" width="1.8" height="${w}"/>`;
  }).join('');

const grid = (n: number, cell: (x: number, y: number, s: number) => string): string => {
  const s = 1.8 / n;
  const out: string[] = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out.push(cell(-0.9 + i * s, -0.9 + j * s, s));
  return out.join('');
};

const polygon = (points: [number, number][]) => `<polygon points="${points.map((p) => p.join(',')).join(' ')}"/>`;

const star = (): string =>
  polygon(Array.from({ length: 10 }, (_, i) => {
    const r = i % 2 === 0 ? 1 : 0.42;
    const a = (Math.PI * i) / 5 - Math.PI / 2;
    return [r * Math.cos(a), r * Math.sin(a)];
  }));

/** The visually distinct classes, in class-index order. */
const CLASSES: SyntheticClass[] = [
  { name: 'red_disc', hue: 0, draw: (f) => `<circle r="0.95" fill="${f}"/>` },
  { name: 'green_square', hue: 120, draw: (f) => `<rect x="-0.75" y="-0.75" width="1.5" height="1.5" fill="${f}"/>` },
  { name: 'blue_triangle', hue: 225, draw: (f) => `<g fill="${f}">${polygon([[0, -1], [0.9, 0.75], [-0.9, 0.75]])}</g>` },
  { name: 'yellow_stripes', hue: 55, draw: (f, rng) => `<g fill="${f}">${bars(4 + rng.int(2), false)}</g>` },
  { name: 'magenta_ring', hue: 300, draw: (f) => `<circle r="0.72" fill="none" stroke="${f}" stroke-width="0.36"/>` },
  { name: 'cyan_cross', hue: 180, draw: (f) => `<g fill="${f}"><rect x="-0.95" y="-0.25" width="1.9" height="0.5"/><rect x="-0.25" y="-0.95" width="0.5" height="1.9"/></g>` },
  { name: 'orange_checker', hue: 28, draw: (f) => `<g fill="${f}">${grid(4, (x, y, s) => (Math.round((x + y) / s) % 2 === 0 ? `<rect x="${x}" y="${y}" width="${s}" height="${s}"/>` : ''))}</g>` },
  { name: 'purple_star', hue: 268, draw: (f) => `<g fill="${f}">${star()}</g>` },
  { name: 'lime_bars', hue: 90, draw: (f, rng) => `<g fill="${f}">${bars(3 + rng.int(2), true)}</g>` },
  { name: 'azure_dots', hue: 205, draw: (f) => `<g fill="${f}">${grid(3, (x, y, s) => `<circle cx="${x + s / 2}" cy="${y + s / 2}" r="${s * 0.32}"/>`)}</g>` },
];

/** Most classes {@link generateImageFolderDataset} can make. */
export const MAX_SYNTHETIC_CLASSES = CLASSES.length;

export interface SyntheticDatasetOptions {
  /** Number of classes, 1..{@link MAX_SYNTHETIC_CLASSES}. */
  classes: number;
  trainPerClass: number;
  valPerClass: number;
  /** Image side in pixels (square). */
  size: number;
  /** Same seed, same files. Default 0. */
  seed?: number;
  /** JPEG quality. Default 90. */
  quality?: number;
}

export interface SyntheticDataset {
  root: string;
  /** Folder names (fake wnids), sorted = class index order. */
  classes: string[];
  /** Human-readable class names, by index. */
  names: string[];
  train: number;
  val: number;
}

function hslToRgb(h: number, s: number, l: number): [number, number, number] {
  const k = (n: number) => (n + h / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => l - a * Math.max(-1, Math.min(k(n) - 3, 9 - k(n), 1));
  return [f(0), f(8), f(4)].map((v) => Math.round(v * 255)) as [number, number, number];
}

const rgbHex = ([r, g, b]: [number, number, number]) => `#${[r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('')}`;
const clampByte = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));

/** Renders one image: noisy background, the class shape at a random place/scale/angle, maybe a distractor. */
async function renderImage(cls: SyntheticClass, size: number, rng: Rng, quality: number): Promise<Buffer> {
  // Background: a dull random colour with a linear gradient.
  const bg = hslToRgb(rng.uniform(0, 360), rng.uniform(0, 0.3), rng.uniform(0.2, 0.8));
  const gx = rng.uniform(-40, 40);
  const gy = rng.uniform(-40, 40);
  const pixels = Buffer.alloc(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const g = (gx * (x - size / 2) + gy * (y - size / 2)) / size;
      for (let c = 0; c < 3; c++) pixels[(y * size + x) * 3 + c] = clampByte(bg[c] + g);
    }
  }
  // The class shape: hue jittered around the class hue, random scale, position and rotation.
  const fill = rgbHex(hslToRgb((cls.hue + rng.uniform(-18, 18) + 360) % 360, rng.uniform(0.55, 1), rng.uniform(0.38, 0.62)));
  const r = size * rng.uniform(0.2, 0.4);
  const cx = rng.uniform(r * 0.8, size - r * 0.8);
  const cy = rng.uniform(r * 0.8, size - r * 0.8);
  const shape = `<g transform="translate(${cx} ${cy}) rotate(${rng.uniform(0, 360)}) scale(${r})">${cls.draw(fill, rng)}</g>`;
  // A small distractor blob of any colour in half of the images.
  let distractor = '';
  if (rng.next() < 0.5) {
    const dr = size * rng.uniform(0.05, 0.1);
    distractor = `<circle cx="${rng.uniform(0, size)}" cy="${rng.uniform(0, size)}" r="${dr}" fill="${rgbHex(hslToRgb(rng.uniform(0, 360), rng.uniform(0.2, 0.9), rng.uniform(0.3, 0.7)))}"/>`;
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}">${shape}${distractor}</svg>`;
  const composed = await sharp(pixels, { raw: { width: size, height: size, channels: 3 } })
    .composite([{ input: Buffer.from(svg) }])
    .removeAlpha()
    .raw()
    .toBuffer();
  // Pixel noise over everything.
  const sigma = rng.uniform(4, 16);
  for (let i = 0; i < composed.length; i++) composed[i] = clampByte(composed[i] + sigma * rng.normal());
  return sharp(composed, { raw: { width: size, height: size, channels: 3 } }).jpeg({ quality }).toBuffer();
}

/**
 * Writes a small, learnable ImageNet-layout dataset of real JPEG files:
 * `<root>/{train,val}/<wnid>/<wnid>_<i>.JPEG`, plus `<root>/classes.txt` ("wnid name" per line).
 * Each class is a shape with a characteristic colour, drawn at a random position, scale and angle on a
 * noisy gradient background, sometimes with a distractor blob. Deterministic for a given seed.
 */
export async function generateImageFolderDataset(root: string, opts: SyntheticDatasetOptions): Promise<SyntheticDataset> {
  const { classes, trainPerClass, valPerClass, size, seed = 0, quality = 90 } = opts;
  if (!Number.isInteger(classes) || classes < 1 || classes > MAX_SYNTHETIC_CLASSES) {
    throw new Error(`generateImageFolderDataset: classes must be an integer in 1..${MAX_SYNTHETIC_CLASSES}, got ${classes}`);
  }
  for (const [k, v] of Object.entries({ trainPerClass, valPerClass })) {
    if (!Number.isInteger(v) || v < 0) throw new Error(`generateImageFolderDataset: ${k} must be a non-negative integer, got ${v}`);
  }
  if (!Number.isInteger(size) || size < 8) throw new Error(`generateImageFolderDataset: size must be an integer >= 8, got ${size}`);

  const absRoot = resolve(root);
  const wnids = Array.from({ length: classes }, (_, i) => `n${String(90000000 + i).padStart(8, '0')}`);
  const names = CLASSES.slice(0, classes).map((c) => c.name);
  const jobs: { path: string; cls: number; seed: number }[] = [];
  for (const [splitIndex, [split, count]] of ([['train', trainPerClass], ['val', valPerClass]] as const).entries()) {
    for (let c = 0; c < classes; c++) {
      const dir = join(absRoot, split, wnids[c]);
      await mkdir(dir, { recursive: true });
      for (let i = 0; i < count; i++) {
        jobs.push({ path: join(dir, `${wnids[c]}_${String(i).padStart(5, '0')}.JPEG`), cls: c, seed: mixSeed(seed, splitIndex, c, i) });
      }
    }
  }
  let cursor = 0;
  const worker = async () => {
    while (cursor < jobs.length) {
      const job = jobs[cursor++];
      await writeFile(job.path, await renderImage(CLASSES[job.cls], size, createRng(job.seed), quality));
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  await writeFile(join(absRoot, 'classes.txt'), wnids.map((w, i) => `${w} ${names[i]}\n`).join(''));
  return { root: absRoot, classes: wnids, names, train: trainPerClass * classes, val: valPerClass * classes };
}
