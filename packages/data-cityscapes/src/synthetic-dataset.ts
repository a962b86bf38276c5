import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import sharp from 'sharp';
import { createRng, mixSeed, type Rng } from '@hrnet/core';

/** What the generator paints: label id (cityscapesScripts) and base colour (distinct per class). */
interface Stuff {
  id: number;
  rgb: [number, number, number];
}

const S = (id: number, rgb: [number, number, number]): Stuff => ({ id, rgb });
const SKY = S(23, [90, 150, 220]);
const BUILDING = S(11, [120, 110, 100]);
const WALL = S(12, [160, 150, 90]);
const FENCE = S(13, [190, 150, 150]);
const VEGETATION = S(21, [60, 140, 50]);
const TERRAIN = S(22, [150, 230, 150]);
const SIDEWALK = S(8, [200, 170, 190]);
const ROAD = S(7, [70, 70, 75]);
/** Objects: label id, colour, box size as fractions of the image height (h) and width (w). */
const THINGS: Array<Stuff & { h: number; w: number; round?: boolean }> = [
  { ...S(17, [250, 250, 250]), h: 0.45, w: 0.02 }, // pole
  { ...S(19, [250, 170, 30]), h: 0.12, w: 0.03 }, // traffic light
  { ...S(20, [230, 220, 0]), h: 0.12, w: 0.06, round: true }, // traffic sign
  { ...S(24, [220, 30, 50]), h: 0.3, w: 0.06, round: true }, // person
  { ...S(25, [255, 0, 160]), h: 0.25, w: 0.06, round: true }, // rider
  { ...S(26, [20, 30, 170]), h: 0.14, w: 0.14 }, // car
  { ...S(27, [0, 200, 200]), h: 0.22, w: 0.16 }, // truck
  { ...S(28, [0, 90, 100]), h: 0.25, w: 0.25 }, // bus
  { ...S(31, [100, 0, 230]), h: 0.2, w: 0.35 }, // train
  { ...S(32, [120, 60, 0]), h: 0.1, w: 0.06 }, // motorcycle
  { ...S(33, [140, 255, 0]), h: 0.1, w: 0.07, round: true }, // bicycle
];
/** Unlabeled border (label id 0 → ignored). */
const UNLABELED = S(0, [0, 0, 0]);

/** Train ids the synthetic images contain: all 19 Cityscapes classes. */
export const SYNTHETIC_TRAIN_IDS = Array.from({ length: 19 }, (_, i) => i);

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

/** A street-like scene: sky, buildings with a wall and a fence, vegetation, sidewalk with terrain, road, then every object class. */
function drawScene(h: number, w: number, rng: Rng): Canvas {
  const cv = new Canvas(h, w, rng);
  const horizon = Math.round(h * (0.4 + 0.1 * rng.next()));
  const skyline = Array.from({ length: w }, (_, x) => Math.round(horizon * (0.2 + 0.4 * Math.abs(Math.sin((x + rng.next()) / (5 + 3 * rng.next()))))));
  cv.paint(SKY, () => true, 3);
  cv.paint(BUILDING, (y, x) => y >= skyline[x] && y < horizon, 1);
  const wallX = rng.int(Math.round(w * 0.7));
  cv.paint(WALL, (y, x) => x >= wallX && x < wallX + w * 0.25 && y >= horizon * 0.75 && y < horizon, 2);
  const fenceX = rng.int(Math.round(w * 0.7));
  cv.paint(FENCE, (y, x) => x >= fenceX && x < fenceX + w * 0.25 && y >= horizon * 0.8 && y < horizon && x % 3 !== 0, 0);
  const treeX = rng.int(w);
  cv.paint(VEGETATION, (y, x) => y < horizon && (x - treeX) ** 2 + ((y - horizon * 0.55) * 1.5) ** 2 < (h * 0.2) ** 2, 5);
  const curb = horizon + Math.round((h - horizon) * 0.3);
  cv.paint(SIDEWALK, (y) => y >= horizon && y < curb, 2);
  const terrainX = rng.int(Math.round(w * 0.8));
  cv.paint(TERRAIN, (y, x) => y >= horizon && y < curb && x >= terrainX && x < terrainX + w * 0.2, 4);
  cv.paint(ROAD, (y) => y >= curb, 6);
  // Objects left to right in a shuffled order so each keeps a visible part; standing on the sidewalk or road.
  const order = THINGS.map((t, i) => [rng.next(), i] as const).sort((a, b) => a[0] - b[0]).map(([, i]) => THINGS[i]);
  const slot = w / order.length;
  order.forEach((t, k) => {
    const bh = Math.max(2, Math.round(t.h * h));
    const bw = Math.max(2, Math.round(t.w * w));
    const x0 = Math.round(k * slot + rng.next() * Math.max(0, slot - bw / 2));
    const bottom = Math.min(h - 3, horizon + 2 + rng.int(Math.max(1, h - horizon - 4)));
    const y0 = bottom - bh;
    const [cy, cx] = [y0 + bh / 2, x0 + bw / 2];
    const inside = t.round
      ? (y: number, x: number) => ((x + 0.5 - cx) / (bw / 2)) ** 2 + ((y + 0.5 - cy) / (bh / 2)) ** 2 < 1
      : (y: number, x: number) => x >= x0 && x < x0 + bw && y >= y0 && y < bottom;
    cv.paint(t, inside, 1);
  });
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
 * Writes a small data set in the real Cityscapes layout (street-like scenes in which all 19 evaluated classes
 * appear, each in its own colour with noisy striped textures; an unlabeled bottom border):
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
