#!/usr/bin/env node
import * as tf from '@tensorflow/tfjs';
import { runCli } from './program.js';

// PROD silences tfjs' console banners (e.g. the "install tfjs-node" notice) so only our lines are printed
tf.env().set('PROD', true);
process.exitCode = await runCli(process.argv.slice(2), {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
});
