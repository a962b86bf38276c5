import { mergeConfig } from 'vitest/config';
import shared, { sharedWorker } from '../../vitest.shared.js';

export default mergeConfig(shared, sharedWorker);
