/**
 * HRNet-Semantic-Segmentation's `multi_scale_aug` size: the long side becomes int(baseSize·scale + 0.5) and the
 * short side int(short·long / longOld + 0.5). Shared by training augmentation (data) and test-time scales (heads).
 */
export function multiScaleSize(h: number, w: number, baseSize: number, scale: number): [number, number] {
  const long = Math.trunc(baseSize * scale + 0.5);
  return h > w ? [long, Math.trunc((w * long) / h + 0.5)] : [Math.trunc((h * long) / w + 0.5), long];
}
