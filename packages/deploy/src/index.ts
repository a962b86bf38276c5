export { exportOnnx, exportOnnxOptionsSchema, METADATA, type ExportOnnxOptions, type InputLayout } from './export-onnx.js';
export { exportModelFile, type ExportModelFileOptions } from './export-model-file.js';
export { loadPredictor, type LoadPredictorOptions, type Predictor, type PredictorOutput, type Runtime } from './predictor.js';
export type { PredictorInput } from './batch-input.js';
export { readOnnxModelInfo, type OnnxModelInfo } from './onnx-model-info.js';
export { runtimeModel, type RuntimeModel, type RuntimeModelOptions } from './runtime-model.js';
