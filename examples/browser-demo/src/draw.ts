/** The result on a canvas: the image, each person's limbs in its colour, every found joint as a dot. */
import { COCO_SKELETON } from '@hrnet/core';
import { drawnKeypoints, type DemoResult } from './run-demo.js';

/** One colour per person; joints are all {@link JOINT_COLOUR}, drawn last, so a test can find them. */
const PERSON_COLOURS = ['#00e5ff', '#76ff03', '#ffea00', '#ff9100', '#1de9b6'];
export const JOINT_COLOUR: readonly [number, number, number] = [255, 0, 255];
export const JOINT_RADIUS = 3;

export function drawResult(canvas: HTMLCanvasElement, image: CanvasImageSource, result: DemoResult): ReturnType<typeof drawnKeypoints> {
  const ctx = canvas.getContext('2d')!;
  ctx.drawImage(image, 0, 0);
  ctx.lineWidth = 2;
  result.poses.forEach((pose, p) => {
    const k = pose.keypoints;
    ctx.strokeStyle = PERSON_COLOURS[p % PERSON_COLOURS.length];
    for (const [a, b] of COCO_SKELETON) {
      const [p1, p2] = [k[a - 1], k[b - 1]];
      if (!(p1.score > 0 && p2.score > 0)) continue;
      ctx.beginPath();
      ctx.moveTo(p1.x, p1.y);
      ctx.lineTo(p2.x, p2.y);
      ctx.stroke();
    }
  });
  const joints = drawnKeypoints(result);
  ctx.fillStyle = `rgb(${JOINT_COLOUR.join(',')})`;
  for (const { x, y } of joints) {
    // COCO positions put pixel centres at +0.5, as canvas coordinates do.
    ctx.beginPath();
    ctx.arc(x, y, JOINT_RADIUS, 0, 2 * Math.PI);
    ctx.fill();
  }
  return joints;
}
