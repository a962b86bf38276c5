export { createProgram, runCli, type CliIo } from './program.js';
export { convert, type ConvertOptions } from './convert.js';
export { listModelNames } from './list-models.js';
