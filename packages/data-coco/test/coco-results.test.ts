import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CocoFormatError, loadCocoResults, parseCocoResults, writeCocoResults, type CocoKeypointResult } from '../src/index.js';
import { fixture } from './fixture-paths.js';

const dir = mkdtempSync(path.join(tmpdir(), 'data-coco-results-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const dt = (): CocoKeypointResult[] => JSON.parse(readFileSync(fixture('dt.json'), 'utf8'));

describe('COCO results files', () => {
  it('writes the results array and reads it back', async () => {
    const file = path.join(dir, 'keypoints_val2017_results.json');
    await writeCocoResults(file, dt());
    expect(await loadCocoResults(file)).toEqual(dt());
    expect(readdirSync(dir)).toEqual(['keypoints_val2017_results.json']);
  });

  it('replaces an existing file in one step and leaves no temporary file', async () => {
    const file = path.join(dir, 'replace.json');
    writeFileSync(file, 'old');
    await writeCocoResults(file, dt().slice(0, 2));
    expect(JSON.parse(readFileSync(file, 'utf8'))).toHaveLength(2);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses invalid results and keeps the old file', async () => {
    const file = path.join(dir, 'keep.json');
    writeFileSync(file, '[]');
    const bad = dt();
    (bad[1] as { score: unknown }).score = 'high';
    await expect(writeCocoResults(file, bad)).rejects.toThrow(`${file}: results[1] (image_id 101).score: Invalid input: expected number, received string`);
    expect(readFileSync(file, 'utf8')).toBe('[]');
  });

  it('fails cleanly when the folder does not exist', async () => {
    const file = path.join(dir, 'missing', 'r.json');
    await expect(writeCocoResults(file, dt())).rejects.toThrow(/ENOENT/);
    expect(existsSync(path.join(dir, 'missing'))).toBe(false);
  });

  it('validates results: 3 numbers per keypoint, numbers, array root, malformed JSON', async () => {
    const bad = dt();
    bad[2]!.keypoints = bad[2]!.keypoints.slice(0, 50);
    expect(() => parseCocoResults(bad, 'r.json')).toThrow('r.json: results[2] (image_id 101).keypoints: expected 3 numbers per keypoint, got 50');
    expect(() => parseCocoResults({}, 'r.json')).toThrow('r.json: expected a JSON array of results');
    const broken = path.join(dir, 'broken.json');
    writeFileSync(broken, '[{"image_id": 1');
    await expect(loadCocoResults(broken)).rejects.toThrow(CocoFormatError);
    await expect(loadCocoResults(broken)).rejects.toThrow(`${broken}: malformed JSON`);
  });
});
