/**
 * What the page computes, as one function of (models, image): the same code runs in the browser bundle and
 * in Node (the browser test's reference), so the two results differ only by the backends' arithmetic.
 */
import * as tf from '@tensorflow/tfjs';
import { normalizeImage } from '@hrnet/core';
import { estimatePoses, type Pose, type RgbImage } from '@hrnet/heads';
import { DEMO_LABELS, DEMO_SETTINGS } from './demo-models.js';

export interface DemoModels {
  pose: tf.LayersModel;
  classifier: tf.LayersModel;
}

export interface DemoClass {
  index: number;
  label: string;
  probability: number;
}

export interface DemoResult {
  /** The image's size. */
  width: number;
  height: number;
  /** The best-scoring people (at most `maxPeople`), best first. */
  poses: Pose[];
  /** The classifier's top classes, most probable first. */
  classes: DemoClass[];
}

/** Softmax probabilities of the classifier on the image resized to its square input. */
async function classify(model: tf.LayersModel, image: RgbImage, labels: readonly string[]): Promise<DemoClass[]> {
  const { width, height } = image;
  const channels = image.data.length / (width * height);
  const rgb = tf.tidy(() => tf.tensor3d(Int32Array.from(image.data), [height, width, channels], 'int32').slice([0, 0, 0], [-1, -1, 3]));
  const bytes = Uint8Array.from(await rgb.data());
  rgb.dispose();
  const size = DEMO_SETTINGS.classifierInputSize;
  const probs = tf.tidy(() => {
    const x = tf.image.resizeBilinear(tf.tensor4d(normalizeImage(bytes), [1, height, width, 3]), [size, size], false, true);
    return tf.softmax(model.predict(x) as tf.Tensor2D);
  });
  const p = await probs.data();
  probs.dispose();
  return [...p]
    .map((probability, index) => ({ index, label: labels[index] ?? `class ${index}`, probability }))
    .sort((a, b) => b.probability - a.probability)
    .slice(0, DEMO_SETTINGS.topK);
}

export async function runDemo(models: DemoModels, image: RgbImage, labels: readonly string[] = DEMO_LABELS): Promise<DemoResult> {
  const { poseInputSize: inputSize, flipTest, maxNumPeople, refine } = DEMO_SETTINGS;
  const all = await estimatePoses(models.pose, image, { inputSize, flipTest, maxNumPeople, refine });
  const poses = all.sort((a, b) => b.score - a.score).slice(0, DEMO_SETTINGS.maxPeople);
  return { width: image.width, height: image.height, poses, classes: await classify(models.classifier, image, labels) };
}

/** The joints the page draws: found (score > 0) and inside the image, with their person's index. */
export function drawnKeypoints(result: DemoResult): { person: number; joint: number; x: number; y: number }[] {
  const inside = (k: { x: number; y: number }) => k.x >= 0 && k.x < result.width && k.y >= 0 && k.y < result.height;
  return result.poses.flatMap((pose, person) => pose.keypoints.flatMap((k, joint) => (k.score > 0 && inside(k) ? [{ person, joint, x: k.x, y: k.y }] : [])));
}
