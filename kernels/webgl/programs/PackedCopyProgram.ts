import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';

/** A packed copy of A in the packed layout of its (view's) shape; tfjs packs or re-lays-out A on the way in. */
export class PackedCopyProgram implements GPGPUProgram {
  variableNames = ['A'];
  outputShape: number[];
  userCode = 'void main() { setOutput(getAAtOutCoords()); }';
  packedInputs = true;
  packedOutput = true;
  enableShapeUniforms = true;

  constructor(shape: number[]) {
    this.outputShape = shape;
  }
}
