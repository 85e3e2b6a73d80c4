import { layerCases } from './layer.js';
import { opCases } from './ops.js';
import { reluCases, type ConformanceCase } from './relu.js';

/** Every conformance case, in the order the runners report them. */
export const allCases: readonly ConformanceCase[] = [...reluCases, ...opCases, ...layerCases];
