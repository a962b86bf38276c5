import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { COCO_KEYPOINT_NAMES, COCO_SKELETON, createRng, mixSeed, type Rng } from '@hrnet/core';
import { maskToRle, rleArea } from './coco-rle.js';
import type { CocoKeypointsFile } from './coco-keypoints-schema.js';
import { polygonToMask } from './polygon-mask.js';
import { segmentationArea } from './segmentation-mask.js';
import {
  clipPolygonToRect,
  convexHull,
  randomStickFigure,
  stickFigureOutlinePoints,
  stickFigureSvg,
  type Point,
  type StickFigure,
} from './synthetic-person.js';

export interface SyntheticCocoOptions {
  /** 'train' or 'val' (any folder-safe name): writes images/{split}2017/ and annotations/person_keypoints_{split}2017.json. */
  split?: string;
  /** Number of images. Default 64. */
  images?: number;
  /** Labelled people per image, [min, max] inclusive (or one number). Default [1, 3]. */
  peoplePerImage?: number | [number, number];
  /** Image size: a side (square) or [width, height]. Default 256. */
  size?: number | [number, number];
  /** Default 0. Images depend only on (seed, split, index). */
  seed?: number;
  /** Probability that an image has a crowd region (iscrowd 1; RLE, sometimes polygons). Default 0.2. */
  crowdProbability?: number;
  /** Probability that an image has 1-2 tiny unlabelled people (num_keypoints 0). Default 0.3. */
  zeroKeypointProbability?: number;
  /** Probability per person of an occluder hiding part of the body (those joints get v = 1). Default 0.15. */
  occlusionProbability?: number;
  /** Probability per person of being placed partly outside the image (joints outside get v = 0). Default 0.1. */
  partialProbability?: number;
  /** First image id; default 1 for train, 500001 for val, 900001 otherwise. File names are the 12-digit id. */
  firstImageId?: number;
  /** JPEG quality. Default 92. */
  jpegQuality?: number;
}

export interface SyntheticCocoResult {
  annotationFile: string;
  imageDir: string;
  images: number;
  /** Labelled (non-crowd, num_keypoints > 0) people. */
  people: number;
  crowdRegions: number;
  unlabelledPeople: number;
}

type Annotation = CocoKeypointsFile['annotations'][number];
interface AnnotationBody {
  image_id: number;
  category_id: number;
  iscrowd: 0 | 1;
  area: number;
  bbox: [number, number, number, number];
  segmentation: Annotation['segmentation'];
  num_keypoints: number;
  keypoints: number[];
}

const round2 = (v: number) => Math.round(v * 100) / 100;

function bboxOf(poly: Point[]): [number, number, number, number] {
  const xs = poly.map((p) => p[0]);
  const ys = poly.map((p) => p[1]);
  const x0 = Math.min(...xs);
  const y0 = Math.min(...ys);
  return [round2(x0), round2(y0), round2(Math.max(...xs) - x0), round2(Math.max(...ys) - y0)];
}

function overlap(a: number[], b: number[]): number {
  const w = Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  return (w * h) / Math.min(a[2] * a[3], b[2] * b[3]);
}

function insideConvex(p: Point, poly: Point[]): boolean {
  let sign = 0;
  for (let i = 0; i < poly.length; i++) {
    const a = poly[i];
    const b = poly[(i + 1) % poly.length];
    const c = (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]);
    if (c !== 0) {
      if (sign === 0) sign = Math.sign(c);
      else if (Math.sign(c) !== sign) return false;
    }
  }
  return poly.length >= 3;
}

const muted = (rng: Rng, lo = 60, hi = 200) => {
  const base = rng.uniform(lo, hi);
  const c = () => Math.round(Math.min(255, Math.max(0, base + rng.uniform(-25, 25))));
  return `rgb(${c()},${c()},${c()})`;
};

function backgroundSvg(rng: Rng, w: number, h: number): string {
  const parts = [
    `<defs><linearGradient id="bg" x1="0" y1="0" x2="${rng.next().toFixed(2)}" y2="1"><stop offset="0" stop-color="${muted(rng, 90, 230)}"/><stop offset="1" stop-color="${muted(rng, 60, 200)}"/></linearGradient></defs>`,
    `<rect width="${w}" height="${h}" fill="url(#bg)"/>`,
  ];
  const n = 2 + rng.int(5);
  for (let i = 0; i < n; i++) {
    const x = rng.uniform(-0.1, 0.9) * w;
    const y = rng.uniform(-0.1, 0.9) * h;
    const op = rng.uniform(0.25, 0.6).toFixed(2);
    if (rng.next() < 0.5) {
      parts.push(`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(rng.uniform(0.1, 0.4) * w).toFixed(1)}" height="${(rng.uniform(0.1, 0.4) * h).toFixed(1)}" fill="${muted(rng)}" opacity="${op}"/>`);
    } else {
      parts.push(`<ellipse cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" rx="${(rng.uniform(0.05, 0.2) * w).toFixed(1)}" ry="${(rng.uniform(0.05, 0.2) * h).toFixed(1)}" fill="${muted(rng)}" opacity="${op}"/>`);
    }
  }
  return parts.join('');
}

interface Placed {
  fig: StickFigure;
  hull: Point[];
  box: number[];
}

/** Places a figure of height `height` at random, avoiding `avoid` boxes; undefined after 40 tries. */
function placeFigure(rng: Rng, w: number, h: number, height: number, avoid: number[][], maxOverlap: number, partial: boolean): Placed | undefined {
  const u = height / 8.85;
  for (let attempt = 0; attempt < 40; attempt++) {
    const mx = partial ? -1.5 * u : 2.2 * u;
    const hip: Point = [
      rng.uniform(mx, w - mx),
      partial ? rng.uniform(2 * u, h + 1 * u) : rng.uniform(5.2 * u, Math.max(5.2 * u, h - 4.1 * u)),
    ];
    const fig = randomStickFigure(rng, hip, height);
    const hull = convexHull(stickFigureOutlinePoints(fig));
    const clipped = clipPolygonToRect(hull, w, h);
    if (clipped.length < 3) continue;
    const box = bboxOf(clipped);
    if (box[2] * box[3] < 0.25 * (bboxOf(hull)[2] * bboxOf(hull)[3])) continue; // mostly outside
    if (avoid.some((b) => overlap(box, b) > maxOverlap)) continue;
    return { fig, hull, box };
  }
  return undefined;
}

const polygonOf = (pts: Point[]) => pts.flatMap((p) => [round2(p[0]), round2(p[1])]);

function unlabelledKeypoints(): number[] {
  return new Array<number>(51).fill(0);
}

/** Writes one image and returns its annotations (ids filled by the caller). */
async function makeImage(
  rng: Rng,
  imageId: number,
  file: string,
  w: number,
  h: number,
  opts: Required<Omit<SyntheticCocoOptions, 'split' | 'images' | 'seed' | 'firstImageId' | 'size' | 'peoplePerImage'>> & { people: [number, number] },
): Promise<AnnotationBody[]> {
  const svg: string[] = [backgroundSvg(rng, w, h)];
  const anns: AnnotationBody[] = [];
  const taken: number[][] = [];
  const base = { image_id: imageId, category_id: 1 };

  // A crowd region: a band of small overlapping figures, annotated as one iscrowd region.
  if (rng.next() < opts.crowdProbability) {
    const cw = rng.uniform(0.3, 0.5) * w;
    const ch = rng.uniform(0.18, 0.28) * h;
    const cx = rng.uniform(0, w - cw);
    const cy = rng.next() < 0.5 ? rng.uniform(0, 0.05 * h) : h - ch - rng.uniform(0, 0.05 * h);
    const crowdMask = new Uint8Array(w * h);
    const hulls: Point[][] = [];
    const count = 6 + rng.int(9);
    for (let i = 0; i < count; i++) {
      const height = ch * rng.uniform(0.6, 1.0);
      const u = height / 8.85;
      const fig = randomStickFigure(rng, [cx + rng.uniform(1.5 * u, Math.max(1.5 * u, cw - 1.5 * u)), cy + 5 * u + rng.uniform(0, Math.max(0, ch - 9 * u))], height);
      svg.push(stickFigureSvg(fig));
      const hull = clipPolygonToRect(convexHull(stickFigureOutlinePoints(fig)), w, h);
      if (hull.length < 3) continue;
      hulls.push(hull);
      const m = polygonToMask(polygonOf(hull), h, w);
      for (let k = 0; k < m.length; k++) crowdMask[k] |= m[k];
    }
    if (hulls.length > 0) {
      let segmentation: Annotation['segmentation'];
      let area: number;
      if (rng.next() < 0.7) {
        const rle = maskToRle(crowdMask, h, w);
        segmentation = rle;
        area = rleArea(rle);
      } else {
        segmentation = hulls.map(polygonOf);
        area = segmentationArea(segmentation as number[][], h, w);
      }
      const all = hulls.flat();
      const box = bboxOf(all);
      taken.push(box);
      anns.push({ ...base, iscrowd: 1, area, bbox: box, segmentation, num_keypoints: 0, keypoints: unlabelledKeypoints() });
    }
  }

  // The labelled people, largest last (drawn in front).
  const nPeople = opts.people[0] + rng.int(opts.people[1] - opts.people[0] + 1);
  const lo = Math.max(0.22, 0.5 - 0.08 * (nPeople - 1));
  const hi = Math.max(0.4, 0.9 - 0.15 * (nPeople - 1));
  const placed: Placed[] = [];
  for (let i = 0; i < nPeople; i++) {
    let height = rng.uniform(lo, hi) * h;
    let p: Placed | undefined;
    for (let shrink = 0; shrink < 4 && !p; shrink++, height *= 0.8) {
      p = placeFigure(rng, w, h, height, [...taken, ...placed.map((q) => q.box)], 0.3, rng.next() < opts.partialProbability);
    }
    if (p) placed.push(p);
  }
  placed.sort((a, b) => a.fig.unit - b.fig.unit);

  // Tiny unlabelled people (num_keypoints 0) in free space, behind everyone else.
  const tiny: Placed[] = [];
  if (rng.next() < opts.zeroKeypointProbability) {
    const count = 1 + rng.int(2);
    for (let i = 0; i < count; i++) {
      const p = placeFigure(rng, w, h, rng.uniform(0.08, 0.15) * h, [...taken, ...placed.map((q) => q.box), ...tiny.map((q) => q.box)], 0, false);
      if (p) tiny.push(p);
    }
  }
  for (const t of tiny) {
    svg.push(stickFigureSvg(t.fig));
    const poly = clipPolygonToRect(t.hull, w, h);
    const seg = [polygonOf(poly)];
    anns.push({ ...base, iscrowd: 0, area: segmentationArea(seg, h, w), bbox: bboxOf(poly), segmentation: seg, num_keypoints: 0, keypoints: unlabelledKeypoints() });
  }

  placed.forEach((p, k) => {
    svg.push(stickFigureSvg(p.fig));
    const occluded = new Array<boolean>(17).fill(false);
    if (rng.next() < opts.occlusionProbability) {
      // An occluder over the lower legs or over one arm; the covered joints are labelled v = 1.
      const j = p.fig.joints;
      const group = rng.next() < 0.5 ? [13, 14, 15, 16] : rng.next() < 0.5 ? [7, 9] : [8, 10];
      const xs = group.map((g) => j[g][0]);
      const ys = group.map((g) => j[g][1]);
      const pad = 0.6 * p.fig.unit;
      const rect = [Math.min(...xs) - pad, Math.min(...ys) - pad, Math.max(...xs) - Math.min(...xs) + 2 * pad, Math.max(...ys) - Math.min(...ys) + 2 * pad];
      svg.push(`<rect x="${rect[0].toFixed(1)}" y="${rect[1].toFixed(1)}" width="${rect[2].toFixed(1)}" height="${rect[3].toFixed(1)}" rx="${(pad / 2).toFixed(1)}" fill="${muted(rng, 40, 120)}"/>`);
      for (let g = 0; g < 17; g++) {
        const [x, y] = j[g];
        if (x >= rect[0] && x <= rect[0] + rect[2] && y >= rect[1] && y <= rect[1] + rect[3]) occluded[g] = true;
      }
    }
    const keypoints: number[] = [];
    let labelled = 0;
    p.fig.joints.forEach(([x, y], g) => {
      if (x < 0 || y < 0 || x >= w || y >= h) {
        keypoints.push(0, 0, 0);
        return;
      }
      // Joints inside the outline of someone drawn later (in front) count as occluded too.
      const hidden = occluded[g] || placed.slice(k + 1).some((q) => insideConvex([x, y], q.hull));
      keypoints.push(round2(x), round2(y), hidden ? 1 : 2);
      labelled++;
    });
    if (labelled === 0) return;
    const poly = clipPolygonToRect(p.hull, w, h);
    const seg = [polygonOf(poly)];
    anns.push({ ...base, iscrowd: 0, area: segmentationArea(seg, h, w), bbox: bboxOf(poly), segmentation: seg, num_keypoints: labelled, keypoints });
  });

  const doc = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">${svg.join('')}</svg>`;
  await sharp(Buffer.from(doc)).flatten({ background: '#808080' }).jpeg({ quality: opts.jpegQuality }).toFile(file);
  return anns;
}

/**
 * Writes a small COCO-keypoints dataset of drawn stick-figure people in the reference's `data/coco` layout:
 * `{root}/images/{split}2017/{id:012}.jpg` (real JPEGs) and
 * `{root}/annotations/person_keypoints_{split}2017.json` (valid COCO: 17 keypoints with v 0/1/2,
 * polygon segmentations with their pycocotools areas and boxes, crowd regions as RLE or polygons,
 * keypoint-less tiny people). Deterministic in (seed, split, index).
 */
export async function generateSyntheticCocoKeypoints(root: string, options: SyntheticCocoOptions = {}): Promise<SyntheticCocoResult> {
  const split = options.split ?? 'train';
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(split)) throw new Error(`invalid split name '${split}'`);
  const count = options.images ?? 64;
  const [w, h] = typeof options.size === 'number' || options.size === undefined ? [options.size ?? 256, options.size ?? 256] : options.size;
  const people: [number, number] =
    typeof options.peoplePerImage === 'number' ? [options.peoplePerImage, options.peoplePerImage] : (options.peoplePerImage ?? [1, 3]);
  if (!(people[0] >= 0 && people[1] >= people[0])) throw new Error(`peoplePerImage must be [min, max] with 0 <= min <= max, got [${people}]`);
  const seed = options.seed ?? 0;
  const first = options.firstImageId ?? (split === 'train' ? 1 : split === 'val' ? 500001 : 900001);
  const folder = `${split}2017`;
  const imageDir = path.join(root, 'images', folder);
  const annDir = path.join(root, 'annotations');
  await mkdir(imageDir, { recursive: true });
  await mkdir(annDir, { recursive: true });
  const splitHash = [...split].reduce((a, c) => mixSeed(a, c.charCodeAt(0)), 7);
  const opts = {
    crowdProbability: options.crowdProbability ?? 0.2,
    zeroKeypointProbability: options.zeroKeypointProbability ?? 0.3,
    occlusionProbability: options.occlusionProbability ?? 0.15,
    partialProbability: options.partialProbability ?? 0.1,
    jpegQuality: options.jpegQuality ?? 92,
    people,
  };

  const images: CocoKeypointsFile['images'] = [];
  const annotations: Annotation[] = [];
  const results: AnnotationBody[][] = new Array(count);
  // A few images at a time: sharp renders and encodes on libuv's thread pool.
  const parallel = 4;
  for (let start = 0; start < count; start += parallel) {
    const batch: Promise<void>[] = [];
    for (let i = start; i < Math.min(count, start + parallel); i++) {
      const id = first + i;
      const fileName = `${String(id).padStart(12, '0')}.jpg`;
      images.push({ id, file_name: fileName, width: w, height: h });
      const rng = createRng(mixSeed(seed, splitHash, i));
      batch.push(makeImage(rng, id, path.join(imageDir, fileName), w, h, opts).then((a) => void (results[i] = a)));
    }
    await Promise.all(batch);
  }
  let nextAnn = first * 100;
  for (const list of results) for (const a of list) annotations.push({ id: nextAnn++, ...a });

  const file: CocoKeypointsFile = {
    info: { description: 'synthetic stick-figure COCO keypoints (@hrnet/data-coco)', version: '1.0', year: 2025 },
    licenses: [],
    images,
    annotations,
    categories: [{ id: 1, name: 'person', supercategory: 'person', keypoints: [...COCO_KEYPOINT_NAMES], skeleton: COCO_SKELETON.map((p) => [...p] as [number, number]) }],
  };
  const annotationFile = path.join(annDir, `person_keypoints_${folder}.json`);
  const tmp = `${annotationFile}.tmp-${process.pid}`;
  await writeFile(tmp, JSON.stringify(file));
  await rename(tmp, annotationFile);
  return {
    annotationFile,
    imageDir,
    images: count,
    people: annotations.filter((a) => !a.iscrowd && a.num_keypoints > 0).length,
    crowdRegions: annotations.filter((a) => a.iscrowd).length,
    unlabelledPeople: annotations.filter((a) => !a.iscrowd && a.num_keypoints === 0).length,
  };
}
