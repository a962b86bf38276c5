/** The bundled image: two stick figures on a simple background, drawn as SVG and rasterised by sharp (opaque RGB PNG). */
import sharp from 'sharp';

export const SCENE_SIZE = { width: 320, height: 240 } as const;

/** A stick figure standing at (x, y) = feet, `h` tall. */
function figure(x: number, y: number, h: number, colour: string): string {
  const s = h / 100;
  const p = (dx: number, dy: number) => `${(x + dx * s).toFixed(1)},${(y - dy * s).toFixed(1)}`;
  const limbs = [
    [p(-12, 0), p(-6, 28), p(0, 52)], // left leg
    [p(12, 0), p(6, 28), p(0, 52)], // right leg
    [p(0, 52), p(0, 82)], // torso
    [p(-22, 54), p(-14, 68), p(0, 80)], // left arm
    [p(22, 58), p(16, 70), p(0, 80)], // right arm
  ];
  const lines = limbs.map((pts) => `<polyline points="${pts.join(' ')}" fill="none" stroke="${colour}" stroke-width="${(7 * s).toFixed(1)}" stroke-linecap="round" stroke-linejoin="round"/>`);
  return `${lines.join('')}<circle cx="${x}" cy="${(y - 91 * s).toFixed(1)}" r="${(9 * s).toFixed(1)}" fill="#f1c27d" stroke="${colour}" stroke-width="${(2 * s).toFixed(1)}"/>`;
}

export function sceneSvg(): string {
  const { width, height } = SCENE_SIZE;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
<defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#8ec5ff"/><stop offset="1" stop-color="#e8f4ff"/></linearGradient></defs>
<rect width="${width}" height="${height}" fill="url(#sky)"/>
<rect y="${height * 0.8}" width="${width}" height="${height * 0.2}" fill="#7cb66a"/>
<circle cx="270" cy="40" r="18" fill="#ffd54f"/>
${figure(110, 215, 170, '#1f3b73')}${figure(215, 210, 150, '#7a1f3d')}
</svg>`;
}

/** Writes the scene as an 8-bit RGB PNG (no alpha, no colour profile: browsers and sharp decode the same bytes). */
export async function writeScene(file: string): Promise<void> {
  await sharp(Buffer.from(sceneSvg())).flatten({ background: '#ffffff' }).removeAlpha().png({ compressionLevel: 9 }).toFile(file);
}

/** Decodes a PNG/JPEG to 8-bit RGB (the Node side of the browser comparison). */
export async function readRgb(file: string): Promise<{ data: Uint8Array; width: number; height: number }> {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}
