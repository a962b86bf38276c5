// The light entry `@hrnet/train/cli`: flag parsing and the script runner, without TensorFlow.js, so that a
// script answers `--help` and flag errors before it imports the heavy modules.
export {
  ArgsError,
  checkTrainArgs,
  parseBooleanFlag,
  parseFlags,
  parseFlagsWithOverrides,
  parseTrainArgs,
  TRAIN_ARGS_USAGE,
  trainCommandLine,
  type ConfigOverride,
  type FlagOptions,
  type TrainArgs,
} from './cli-args.js';
export { commandLine, debugRequested, displayPath, formatScriptError, runScript, userCwd, type ScriptMain } from './run-script.js';
