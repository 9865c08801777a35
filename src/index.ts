// The typed library API: what the CLI does, as functions over plain data. Every function
// here is what a `snnc` command calls (src/cli/*), so the two cannot drift apart.
//
//   const g = await loadModel('lenet.onnx');
//   const { graph } = convertModel(g, { method: 'percentile:99.9' });
//   const sim = simulateModel(graph, { T: [16, 32], n: 500 });
//   const { report, files } = await compileModel(g, { targets: ['loihi2', 'fpga'], T: [32], modelFile: 'lenet.onnx' });
//   writeDirAtomic('out', files);
export * from './errors.js';
export type * from './ir/types.js';
/** The memory guard behind --max-memory (bytes). The CLI sets 80 % of RAM; library callers set their own (none by default). */
export { setMemoryLimit, memoryLimit } from './ir/memory.js';

// Models in and out
export { loadModel, MODEL_FORMATS } from './api/load.js';
export type { LoadOptions } from './api/load.js';
export { importOnnx, loadOnnx } from './frontend/onnx/read.js';
export { exportOnnx } from './frontend/onnx/write.js';
export { inspectGraph } from './ir/inspect.js';
export type { InspectReport, InspectLayer, InspectValue } from './ir/inspect.js';

// Data
export { loadDatasetSpec, fitToModel } from './data/spec.js';
export type { Dataset } from './data/dataset.js';
export { loadMnist } from './data/mnist.js';

// Conversion, simulation, quantization
export { convertModel, isConverted, withSyntheticCalibration } from './api/convert.js';
export { parseMethod } from './passes/calibrate.js';
/** The option schema every command, API function and the bundler plugin share (flags, keys, rules, help). */
export { COMPILE_OPTIONS, CONVERT_OPTIONS, EXPLORE_OPTIONS, QUANTIZE_MODEL_OPTIONS, RETRAIN_OPTIONS, SIMULATE_OPTIONS } from './options/declarations.js';
export { checkOptions } from './options/schema.js';
export type { Distillation } from './options/declarations.js';
export type { OptionDef, OptionSchema, OptionValues } from './options/schema.js';
export type { ConvertOptions, ConvertResult } from './api/convert.js';
export { annAccuracy } from './sim/ann/accuracy.js';
export { simulateModel } from './api/simulate.js';
export type { SimulateModelOptions, SimulateReport, SnnRow } from './api/simulate.js';
export { simulateOnTarget, simulatableTarget } from './api/simulate-target.js';
export type { TargetComparison, TargetRow, TargetSimOptions } from './api/simulate-target.js';
export { simulateLoihi, LOIHI_INT_SETTINGS } from './backends/loihi/simulate.js';
export type { LoihiSimOptions, LoihiSimResult } from './backends/loihi/simulate.js';
export { parseNoise } from './backends/imc/index.js';
export { quantizeModel } from './api/quantize.js';
export type { QuantizeModelOptions, QuantizeModelResult, QuantScheme } from './api/quantize.js';
export type { QuantizeSettings, BitWidths } from './passes/quantize-config.js';
export { memoryReport } from './sim/int/memory.js';
export type { MemoryReport, MemoryRow } from './sim/int/memory.js';
export type { IntProgram } from './sim/int/program.js';

// Exploration
export { exploreModel } from './api/explore.js';
export { exploreFiles } from './explore/files.js';
export type { ExploreOptions, ExploreResult } from './api/explore.js';
export { mergeDocs } from './explore/select.js';
export type { ExploreDoc, ExploreRow, ExploreSpace } from './report/explore.js';
export { validateExploreDoc, validateReport } from './report/schema.js';

// Targets, compile, reports
export { compileModel, SNN_TARGETS } from './api/compile.js';
export { retrainModel } from './api/retrain.js';
export type { RetrainOptions, RetrainResult, RetrainRound } from './api/retrain.js';
export { parseBudget, checkBudget } from './report/budget.js';
export type { Budget, BudgetLimit, BudgetMiss } from './report/budget.js';
export type { CompileOptions, CompileResult } from './api/compile.js';
export { loadTarget, loadAnyTarget, bundledTargetNames } from './costmodel/target.js';
export type { Target, CustomTarget, Constant } from './costmodel/target.js';

// Backends: the registry compile dispatches through, open to kinds of your own
export { registerBackend, backendFor, backendKinds } from './backends/registry.js';
export type { BackendRecord, BackendTarget, BackendMapping, EmitContext, EmitOutput, HardwareContext, HardwareAccuracy } from './backends/registry.js';
export type { EmittedFile, BackendDiagnostic } from './backends/common/types.js';
export type { Activity, LayerActivity, CostReport, LayerCost, Breakdown, Component } from './costmodel/types.js';
export { COMPONENTS } from './costmodel/types.js';
export type { CompileReport, TargetResult } from './report/types.js';
export { verifyFile } from './api/verify.js';
export type { VerifyResult } from './api/verify.js';

// Output
export { writeDirAtomic, writeFileAtomic } from './io/atomic.js';
export type { OutputFile } from './io/atomic.js';
export { packageVersion } from './api/version.js';
