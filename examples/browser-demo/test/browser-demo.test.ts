/**
 * The built page in headless Chromium (Debian's `chromium`, driven by playwright-core), served from
 * 127.0.0.1: its drawn keypoints and top classes against the same code run in Node on the same PNG and model
 * directories, both on the wasm backend. A screenshot goes to artifacts/browser-demo-wasm.png.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, loadModelFromDir } from '@hrnet/core';
import { buildDemo } from '../scripts/build.js';
import { readRgb } from '../scripts/scene.js';
import { serveStatic } from '../scripts/serve.js';
import { DEMO_IMAGE, DEMO_MODEL_DIRS } from '../src/demo-models.js';
import { JOINT_COLOUR } from '../src/draw.js';
import { drawnKeypoints, runDemo, type DemoResult } from '../src/run-demo.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
/** Keypoints: the browser's and Node's wasm runs of the same model on the same bytes, in image pixels. */
const KEYPOINT_TOL_PX = 0.01;
/** Class probabilities (softmax of 10 logits). */
const PROB_TOL = 1e-5;

type PageResult = { backend: string; result: DemoResult; drawn: ReturnType<typeof drawnKeypoints> } | { error: string };
const TITLE = 'browser demo in headless Chromium (wasm) equals the Node result';

if (!existsSync(CHROMIUM)) {
  console.warn(`${TITLE}: skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
  describe.skip(`${TITLE} [skipped: no ${CHROMIUM}]`, () => {
    it('needs Chromium', () => {});
  });
} else {
  describe(TITLE, () => {
    let dir: string;
    let server: Server;
    let url: string;
    let browser: Browser;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'hrnet-browser-demo-'));
      await buildDemo(dir);
      ({ server, url } = await serveStatic(dir));
      // As root (CI containers) Chromium's sandbox cannot start.
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    });

    afterAll(async () => {
      await browser?.close();
      server?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('draws the poses and classes Node computes for the same image and models', async () => {
      const page = await browser.newPage();
      const logs: string[] = [];
      page.on('console', (m) => logs.push(m.text()));
      page.on('pageerror', (e) => logs.push(e.message));
      await page.goto(`${url}?backend=wasm`);
      await page.waitForFunction(() => document.body.dataset.status !== 'running', undefined, { timeout: 300_000 });
      const got = (await page.evaluate(() => window.hrnetDemo)) as PageResult;
      if ('error' in got) throw new Error(`the page failed: ${got.error}; console: ${logs.join(' | ')}`);
      await mkdir(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'browser-demo-wasm.png'), fullPage: true });
      expect(got.backend).toBe('wasm');

      // The canvas holds a joint-coloured dot at every keypoint the page reports as drawn.
      const colours = await page.evaluate((pts) => {
        const ctx = (document.getElementById('canvas') as HTMLCanvasElement).getContext('2d')!;
        return pts.map(({ x, y }) => [...ctx.getImageData(Math.floor(x), Math.floor(y), 1, 1).data.slice(0, 3)]);
      }, got.drawn);
      for (const c of colours) expect(c).toEqual([...JOINT_COLOUR]);

      await initBackend('wasm', { log: () => undefined });
      const [pose, classifier, image] = await Promise.all([
        loadModelFromDir(join(dir, DEMO_MODEL_DIRS.pose)),
        loadModelFromDir(join(dir, DEMO_MODEL_DIRS.classifier)),
        readRgb(join(dir, DEMO_IMAGE)),
      ]);
      const want = await runDemo({ pose, classifier }, image);
      pose.dispose();
      classifier.dispose();

      expect(got.drawn.length).toBeGreaterThan(0);
      expect(got.drawn.map(({ person, joint }) => [person, joint])).toEqual(drawnKeypoints(want).map(({ person, joint }) => [person, joint]));
      const dPx = Math.max(...drawnKeypoints(want).flatMap((k, i) => [Math.abs(got.drawn[i].x - k.x), Math.abs(got.drawn[i].y - k.y)]));
      expect(got.result.classes.map((c) => c.index)).toEqual(want.classes.map((c) => c.index));
      const dProb = Math.max(...got.result.classes.map((c, i) => Math.abs(c.probability - want.classes[i].probability)));
      console.info(`browser vs Node (wasm): ${got.drawn.length} keypoints drawn, max |d| ${dPx} px; top-${want.classes.length} probabilities max |d| ${dProb}`);
      expect(dPx).toBeLessThanOrEqual(KEYPOINT_TOL_PX);
      expect(dProb).toBeLessThanOrEqual(PROB_TOL);
    });
  });
}
