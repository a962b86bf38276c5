import type { Rng } from '@hrnet/core';

/**
 * Stick-figure people for the synthetic COCO keypoint dataset: a front-facing body with the 17
 * COCO joints (the person's left on the image's right, so a horizontal flip with the COCO flip
 * permutation yields another valid front-facing person), drawn as SVG with one colour per limb
 * *type* (left and right alike, which keeps the colours consistent under flipping) and a
 * distinct mark on every joint.
 */

export type Point = [number, number];

export interface StickFigure {
  /** The 17 joints in image pixels (COCO order). */
  joints: Point[];
  /** Head centre and radius. */
  head: { c: Point; r: number };
  /** Body unit (1/8.85 of the height); limb widths derive from it. */
  unit: number;
  /** Clothing colour of the torso. */
  shirt: string;
  /** Skin tone. */
  skin: string;
}

const deg = Math.PI / 180;
const rot = (p: Point, a: number): Point => [p[0] * Math.cos(a) - p[1] * Math.sin(a), p[0] * Math.sin(a) + p[1] * Math.cos(a)];
const add = (a: Point, b: Point): Point => [a[0] + b[0], a[1] + b[1]];

const SHIRTS = ['#3a5a8c', '#8c3a3a', '#3a8c5a', '#6b4f2a', '#555555', '#7a3a8c', '#2a6b6b', '#8c7a3a'];
const SKINS = ['#f1c27d', '#e0ac69', '#c68642', '#8d5524', '#ffdbac'];

/** Colours per limb type and joint type (shared by left and right). */
export const LIMB_COLOURS = Object.freeze({ upperArm: '#e6194b', forearm: '#f58231', thigh: '#4363d8', shin: '#42d4f4' });
const JOINT_COLOURS = Object.freeze({ shoulder: '#ffe119', elbow: '#f032e6', wrist: '#3cb44b', hip: '#911eb4', knee: '#ffffff', ankle: '#000000' });

/** Total height in body units: head top (4.95 above the hips) to the ankles (about 3.9 below). */
const HEIGHT_UNITS = 8.85;

/**
 * A random pose of a person `height` pixels tall whose hip centre is at `hip`. Arms swing from
 * hanging to raised, legs from together to apart with bent knees; the whole body leans a little.
 */
export function randomStickFigure(rng: Rng, hip: Point, height: number): StickFigure {
  const u = height / HEIGHT_UNITS;
  const lean = rng.uniform(-12, 12) * deg;
  const P = (local: Point): Point => add(hip, rot([local[0] * u, local[1] * u], lean));
  const shoulderC: Point = [0, -3];
  const joints: Point[] = new Array(17);
  const headLocal: Point = add(shoulderC, rot([0, -1.45], rng.uniform(-10, 10) * deg));
  const headR = 0.62;
  const tilt = rng.uniform(-12, 12) * deg;
  const face = (p: Point): Point => P(add(headLocal, rot(p, tilt)));
  joints[0] = face([0, 0.18]); // nose
  joints[1] = face([0.27, -0.12]); // left eye (image right)
  joints[2] = face([-0.27, -0.12]);
  joints[3] = face([0.6, 0.02]); // left ear
  joints[4] = face([-0.6, 0.02]);
  for (const side of [1, -1]) {
    const s = side === 1 ? 0 : 1; // 0 = left (image right)
    const shoulder: Point = [side * 1.05, -3];
    const upper = rng.uniform(8, 165) * deg; // outward from hanging down
    const bend = rng.uniform(-70, 100) * deg;
    const elbow = add(shoulder, [side * Math.sin(upper) * 1.5, Math.cos(upper) * 1.5]);
    const fore = upper + bend;
    const wrist = add(elbow, [side * Math.sin(fore) * 1.35, Math.cos(fore) * 1.35]);
    const hipJ: Point = [side * 0.62, 0];
    const thigh = rng.uniform(-4, 28) * deg;
    const knee = add(hipJ, [side * Math.sin(thigh) * 1.95, Math.cos(thigh) * 1.95]);
    const shinA = thigh - rng.uniform(-8, 35) * deg;
    const ankle = add(knee, [side * Math.sin(shinA) * 1.95, Math.cos(shinA) * 1.95]);
    joints[5 + s] = P(shoulder);
    joints[7 + s] = P(elbow);
    joints[9 + s] = P(wrist);
    joints[11 + s] = P(hipJ);
    joints[13 + s] = P(knee);
    joints[15 + s] = P(ankle);
  }
  return {
    joints,
    head: { c: P(headLocal), r: headR * u },
    unit: u,
    shirt: SHIRTS[rng.int(SHIRTS.length)],
    skin: SKINS[rng.int(SKINS.length)],
  };
}

const f = (v: number) => (Math.round(v * 100) / 100).toString();
const line = (a: Point, b: Point, w: number, colour: string) =>
  `<line x1="${f(a[0])}" y1="${f(a[1])}" x2="${f(b[0])}" y2="${f(b[1])}" stroke="${colour}" stroke-width="${f(w)}" stroke-linecap="round"/>`;
const circle = (c: Point, r: number, fill: string, stroke = '') =>
  `<circle cx="${f(c[0])}" cy="${f(c[1])}" r="${f(r)}" fill="${fill}"${stroke ? ` stroke="${stroke}" stroke-width="${f(r * 0.3)}"` : ''}/>`;

/** SVG elements drawing the figure (legs, torso, arms, head with face marks, joint dots). */
export function stickFigureSvg(fig: StickFigure): string {
  const j = fig.joints;
  const u = fig.unit;
  const parts: string[] = [];
  for (const s of [0, 1]) {
    parts.push(line(j[11 + s], j[13 + s], 0.55 * u, LIMB_COLOURS.thigh));
    parts.push(line(j[13 + s], j[15 + s], 0.45 * u, LIMB_COLOURS.shin));
  }
  const torso = [j[5], j[6], j[12], j[11]].map((p) => `${f(p[0])},${f(p[1])}`).join(' ');
  parts.push(`<polygon points="${torso}" fill="${fig.shirt}" stroke="${fig.shirt}" stroke-width="${f(0.5 * u)}" stroke-linejoin="round"/>`);
  const neckTop: Point = [(j[5][0] + j[6][0]) / 2, (j[5][1] + j[6][1]) / 2];
  parts.push(line(neckTop, fig.head.c, 0.35 * u, fig.skin));
  for (const s of [0, 1]) {
    parts.push(line(j[5 + s], j[7 + s], 0.42 * u, LIMB_COLOURS.upperArm));
    parts.push(line(j[7 + s], j[9 + s], 0.36 * u, LIMB_COLOURS.forearm));
  }
  parts.push(circle(fig.head.c, fig.head.r, fig.skin));
  parts.push(circle(j[3], 0.17 * u, '#b5651d'), circle(j[4], 0.17 * u, '#b5651d'));
  parts.push(circle(j[1], 0.11 * u, '#1a1a1a'), circle(j[2], 0.11 * u, '#1a1a1a'));
  parts.push(circle(j[0], 0.1 * u, '#d01010'));
  const dot = 0.16 * u;
  for (const s of [0, 1]) {
    parts.push(circle(j[5 + s], dot, JOINT_COLOURS.shoulder));
    parts.push(circle(j[7 + s], dot, JOINT_COLOURS.elbow));
    parts.push(circle(j[9 + s], dot * 1.1, JOINT_COLOURS.wrist));
    parts.push(circle(j[11 + s], dot, JOINT_COLOURS.hip));
    parts.push(circle(j[13 + s], dot, JOINT_COLOURS.knee, '#333333'));
    parts.push(circle(j[15 + s], dot * 1.1, JOINT_COLOURS.ankle));
  }
  return parts.join('');
}

/** Points on the figure's outline (joints padded by limb half-widths, head circle) for its hull. */
export function stickFigureOutlinePoints(fig: StickFigure): Point[] {
  const pts: Point[] = [];
  const ring = (c: Point, r: number, n = 12) => {
    for (let i = 0; i < n; i++) pts.push([c[0] + r * Math.cos((2 * Math.PI * i) / n), c[1] + r * Math.sin((2 * Math.PI * i) / n)]);
  };
  ring(fig.head.c, fig.head.r * 1.05, 16);
  for (let k = 5; k < 17; k++) ring(fig.joints[k], 0.3 * fig.unit, 8);
  return pts;
}

/** Convex hull (counter-clockwise in image coordinates), monotone chain. */
export function convexHull(points: Point[]): Point[] {
  const p = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (p.length < 3) return p;
  const cross = (o: Point, a: Point, b: Point) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: Point[] = [];
  for (const q of p) {
    while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], q) <= 0) lower.pop();
    lower.push(q);
  }
  const upper: Point[] = [];
  for (let i = p.length - 1; i >= 0; i--) {
    const q = p[i];
    while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], q) <= 0) upper.pop();
    upper.push(q);
  }
  return lower.slice(0, -1).concat(upper.slice(0, -1));
}

/** Clips a convex polygon to the rectangle [0, w] x [0, h] (Sutherland-Hodgman). */
export function clipPolygonToRect(poly: Point[], w: number, h: number): Point[] {
  type Edge = [(p: Point) => boolean, (a: Point, b: Point) => Point];
  const lerp = (a: Point, b: Point, t: number): Point => [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
  const edges: Edge[] = [
    [(p) => p[0] >= 0, (a, b) => lerp(a, b, (0 - a[0]) / (b[0] - a[0]))],
    [(p) => p[0] <= w, (a, b) => lerp(a, b, (w - a[0]) / (b[0] - a[0]))],
    [(p) => p[1] >= 0, (a, b) => lerp(a, b, (0 - a[1]) / (b[1] - a[1]))],
    [(p) => p[1] <= h, (a, b) => lerp(a, b, (h - a[1]) / (b[1] - a[1]))],
  ];
  let out = poly;
  for (const [inside, cut] of edges) {
    const input = out;
    out = [];
    for (let i = 0; i < input.length; i++) {
      const cur = input[i];
      const prev = input[(i + input.length - 1) % input.length];
      if (inside(cur)) {
        if (!inside(prev)) out.push(cut(prev, cur));
        out.push(cur);
      } else if (inside(prev)) out.push(cut(prev, cur));
    }
    if (out.length === 0) break;
  }
  return out;
}
