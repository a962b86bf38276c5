import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import sharp from 'sharp';
import { createRng, mixSeed, type Rng } from '@hrnet/core';

/** What the generator paints: label id (cityscapesScripts) and base colour. */
interface Stuff {
  id: number;
  rgb: [number, number, number];
}

const SKY: Stuff = { id: 23, rgb: [90, 150, 220] };
const BUILDING: Stuff = { id: 11, rgb: [120, 110, 100] };
const ROAD: Stuff = { id: 7, rgb: [70, 70, 75] };
const SIDEWALK: Stuff = { id: 8, rgb: [200, 170, 190] };
const VEGETATION: Stuff = { id: 21, rgb: [60, 140, 50] };
const CAR: Stuff = { id: 26, rgb: [20, 30, 170] };
const PERSON: Stuff = { id: 24, rgb: [220, 30, 50] };
const SIGN: Stuff = { id: 20, rgb: [230, 220, 0] };
/** Unlabeled border (label id 0 → ignored). */
const UNLABELED: Stuff = { id: 0, rgb: [0, 0, 0] };

/** Train ids of the classes the synthetic images contain. */
export const SYNTHETIC_TRAIN_IDS = [0, 1, 2, 7, 8, 10, 11, 13] as const;

export interface SyntheticCityscapesOptions {
  /** Image [h, w]. Default [64, 128] (Cityscapes' 1:2). */
  size?: [number, number];
  /** Cities per split (folders). Default 2. */
  cities?: number;
  trainPerCity: number;
  valPerCity: number;
  seed?: number;
}

export interface SyntheticCityscapes {
  root: string;
  train: number;
  val: number;
  /** The list files of the reference's form, relative to root: `list/train.lst`, `list/val.lst`. */
  lists: { train: string; val: string };
}

class Canvas {
  readonly rgb: Uint8Array;
  readonly ids: Uint8Array;
  constructor(readonly h: number, readonly w: number, private readonly rng: Rng) {
    this.rgb = new Uint8Array(h * w * 3);
    this.ids = new Uint8Array(h * w);
  }

  /** Paints where `inside(y, x)`, with per-pixel noise and a stripe texture so colour alone is not the cue. */
  paint(s: Stuff, inside: (y: number, x: number) => boolean, texture: number): void {
    for (let y = 0; y < this.h; y++) {
      for (let x = 0; x < this.w; x++) {
        if (!inside(y, x)) continue;
        const p = y * this.w + x;
        const t = ((x + 2 * y) % (4 + texture) < 2 ? 18 : -18) + (this.rng.next() - 0.5) * 40;
        for (let c = 0; c < 3; c++) this.rgb[p * 3 + c] = Math.max(0, Math.min(255, Math.round(s.rgb[c] + t)));
        this.ids[p] = s.id;
      }
    }
  }
}

function drawScene(h: number, w: number, rng: Rng): Canvas {
  const cv = new Canvas(h, w, rng);
  const horizon = Math.round(h * (0.35 + 0.15 * rng.next()));
  const skyline = Array.from({ length: w }, (_, x) => Math.round(horizon * (0.3 + 0.5 * Math.abs(Math.sin((x + rng.next()) / (5 + 3 * rng.next()))))));
  cv.paint(SKY, () => true, 3);
  cv.paint(BUILDING, (y, x) => y >= skyline[x] && y < horizon, 1);
  const treeX = rng.int(w);
  cv.paint(VEGETATION, (y, x) => y < horizon && (x - treeX) ** 2 + ((y - horizon * 0.6) * 1.5) ** 2 < (h * 0.2) ** 2, 5);
  const curb = horizon + Math.round((h - horizon) * 0.25);
  cv.paint(SIDEWALK, (y) => y >= horizon && y < curb, 2);
  cv.paint(ROAD, (y) => y >= curb, 6);
  for (let k = 0; k < 1 + rng.int(2); k++) {
    const cw = Math.round(w * (0.12 + 0.08 * rng.next()));
    const chh = Math.round(cw * 0.45);
    const cx = rng.int(w - cw);
    const cy = curb + rng.int(Math.max(1, h - curb - chh));
    cv.paint(CAR, (y, x) => x >= cx && x < cx + cw && y >= cy && y < cy + chh, 0);
  }
  const px = rng.int(w);
  const pr = Math.max(2, Math.round(h * 0.06));
  cv.paint(PERSON, (y, x) => ((x - px) / pr) ** 2 + ((y - (horizon + pr)) / (2.5 * pr)) ** 2 < 1, 4);
  const sx = rng.int(w);
  const sr = Math.max(2, Math.round(h * 0.05));
  cv.paint(SIGN, (y, x) => (x - sx) ** 2 + (y - horizon * 0.8) ** 2 < sr * sr, 2);
  cv.paint(UNLABELED, (y) => y >= h - 2, 0);
  return cv;
}

async function writeAtomic(file: string, data: Buffer | string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, data);
  await rename(tmp, file);
}

/**
 * Writes a small data set in the real Cityscapes layout (street-like scenes: sky, buildings, vegetation,
 * sidewalk, road, cars, a person, a traffic sign; noisy striped textures; an unlabeled bottom border):
 * `leftImg8bit/{train,val}/<city>/<city>_000000_0000NN_leftImg8bit.png` (RGB) and
 * `gtFine/{train,val}/<city>/…_gtFine_labelIds.png` (8-bit label ids), plus `list/{train,val}.lst`.
 * Same seed, same files.
 */
export async function generateSyntheticCityscapes(root: string, opts: SyntheticCityscapesOptions): Promise<SyntheticCityscapes> {
  const [h, w] = opts.size ?? [64, 128];
  const cities = Array.from({ length: opts.cities ?? 2 }, (_, i) => ['aachen', 'bochum', 'cologne', 'dresden', 'erfurt'][i] ?? `city${i}`);
  const base = resolve(root);
  const counts = { train: 0, val: 0 };
  for (const [split, per] of [['train', opts.trainPerCity], ['val', opts.valPerCity]] as const) {
    const lines: string[] = [];
    for (const [ci, city] of cities.entries()) {
      for (let k = 0; k < per; k++) {
        const name = `${city}_000000_${String(k).padStart(6, '0')}`;
        const cv = drawScene(h, w, createRng(mixSeed(opts.seed ?? 0, split === 'train' ? 1 : 2, ci, k)));
        const image = `leftImg8bit/${split}/${city}/${name}_leftImg8bit.png`;
        const label = `gtFine/${split}/${city}/${name}_gtFine_labelIds.png`;
        await writeAtomic(join(base, image), await sharp(cv.rgb, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer());
        await writeAtomic(join(base, label), await sharp(cv.ids, { raw: { width: w, height: h, channels: 1 } }).toColourspace('b-w').png().toBuffer());
        lines.push(`${image} ${label}`);
        counts[split]++;
      }
    }
    await writeAtomic(join(base, 'list', `${split}.lst`), lines.join('\n') + '\n');
  }
  return { root: base, train: counts.train, val: counts.val, lists: { train: 'list/train.lst', val: 'list/val.lst' } };
}
