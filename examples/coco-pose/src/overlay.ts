import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import sharp from 'sharp';
import { COCO_SKELETON } from '@hrnet/core';
import type { Pose } from '@hrnet/heads';

/** One colour per person (cycled). */
const PERSON_COLOURS = ['#00e5ff', '#ff3d00', '#76ff03', '#ffea00', '#d500f9', '#ff9100', '#1de9b6', '#f50057'];

export interface OverlayOptions {
  /** Joints with a lower score are not drawn (nor their limbs). Default 0.1 (TEST.DETECTION_THRESHOLD). */
  minJointScore?: number;
  /** People with a lower score are not drawn. Default 0. */
  minPoseScore?: number;
  /** Write the score next to each person. Default true. */
  labels?: boolean;
}

const esc = (s: string) => s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);

/** The skeletons of `poses` as an SVG of the image's size (COCO's 19 limbs, joints as dots). */
export function posesSvg(poses: readonly Pose[], width: number, height: number, opts: OverlayOptions = {}): string {
  const { minJointScore = 0.1, minPoseScore = 0, labels = true } = opts;
  const scale = Math.max(1, Math.min(width, height) / 256);
  const stroke = (1.5 * scale).toFixed(2);
  const radius = (2 * scale).toFixed(2);
  const parts: string[] = [];
  poses.forEach((pose, p) => {
    if (pose.score < minPoseScore) return;
    const colour = PERSON_COLOURS[p % PERSON_COLOURS.length];
    const k = pose.keypoints;
    const ok = (j: number) => k[j] != null && k[j].score >= minJointScore && Number.isFinite(k[j].x) && Number.isFinite(k[j].y);
    // COCO positions have pixel centres at +0.5; SVG user units put them at integer + 0.5 as well.
    for (const [a, b] of COCO_SKELETON) {
      if (!ok(a - 1) || !ok(b - 1)) continue;
      const [p1, p2] = [k[a - 1], k[b - 1]];
      parts.push(`<line x1="${p1.x.toFixed(1)}" y1="${p1.y.toFixed(1)}" x2="${p2.x.toFixed(1)}" y2="${p2.y.toFixed(1)}" stroke="${colour}" stroke-width="${stroke}" stroke-linecap="round"/>`);
    }
    let top: { x: number; y: number } | undefined;
    k.forEach((kp, j) => {
      if (!ok(j)) return;
      if (!top || kp.y < top.y) top = kp;
      parts.push(`<circle cx="${kp.x.toFixed(1)}" cy="${kp.y.toFixed(1)}" r="${radius}" fill="${colour}" stroke="#000" stroke-width="${(0.5 * scale).toFixed(2)}"/>`);
    });
    if (labels && top) {
      const size = (7 * scale).toFixed(1);
      parts.push(`<text x="${top.x.toFixed(1)}" y="${Math.max(7 * scale, top.y - 3 * scale).toFixed(1)}" font-family="sans-serif" font-size="${size}" fill="${colour}" stroke="#000" stroke-width="${(0.3 * scale).toFixed(2)}" text-anchor="middle">${esc(pose.score.toFixed(2))}</text>`);
    }
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts.join('')}</svg>`;
}

/** Draws `poses` on the image file (any format sharp reads) and writes a PNG to `out`. */
export async function writeOverlay(imagePath: string, poses: readonly Pose[], out: string, opts: OverlayOptions = {}): Promise<void> {
  const img = sharp(imagePath);
  const { width, height } = await img.metadata();
  if (!width || !height) throw new Error(`${imagePath}: cannot read the image size`);
  await mkdir(dirname(out), { recursive: true });
  await img
    .removeAlpha()
    .composite([{ input: Buffer.from(posesSvg(poses, width, height, opts)), top: 0, left: 0 }])
    .png()
    .toFile(out);
}
