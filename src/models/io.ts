/**
 * Saving and loading tfjs-layers models as a folder holding `model.json` +
 * `weights.bin` (the layout tfjs-node's `file://` handler writes), without
 * tfjs-node.
 *
 * Saving is atomic: the files are written into a temporary sibling folder,
 * which is renamed into place only once both are complete, so an interrupted
 * save leaves either the previous model or the new one, never half a file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

const MODEL_JSON = 'model.json';
const WEIGHTS_BIN = 'weights.bin';

function concatWeightData(data: ArrayBuffer | ArrayBuffer[]): Uint8Array {
  const buffers = Array.isArray(data) ? data : [data];
  const total = buffers.reduce((s, b) => s + b.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const b of buffers) {
    out.set(new Uint8Array(b), offset);
    offset += b.byteLength;
  }
  return out;
}

function writeFileSynced(file: string, data: string | Uint8Array): void {
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, data as never);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** An IOHandler for `model.save(...)` that writes `dir/model.json` and `dir/weights.bin` atomically. */
export function folderSaveHandler(dir: string): tf.io.IOHandler {
  return {
    save: async (artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> => {
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new Error('folderSaveHandler: binary model topologies are not supported');
      }
      const target = path.resolve(dir);
      const parent = path.dirname(target);
      fs.mkdirSync(parent, { recursive: true });
      const tmp = fs.mkdtempSync(path.join(parent, `.${path.basename(target)}.tmp-`));
      fs.chmodSync(tmp, 0o755); // mkdtemp makes it private
      try {
        const weights = artifacts.weightData === undefined ? new Uint8Array(0) : concatWeightData(artifacts.weightData as ArrayBuffer | ArrayBuffer[]);
        const modelJson: tf.io.ModelJSON = {
          modelTopology: artifacts.modelTopology as object,
          format: artifacts.format,
          generatedBy: artifacts.generatedBy,
          convertedBy: artifacts.convertedBy,
          weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
        };
        if (artifacts.trainingConfig !== undefined) modelJson.trainingConfig = artifacts.trainingConfig;
        if (artifacts.userDefinedMetadata !== undefined) modelJson.userDefinedMetadata = artifacts.userDefinedMetadata;
        writeFileSynced(path.join(tmp, WEIGHTS_BIN), weights);
        writeFileSynced(path.join(tmp, MODEL_JSON), JSON.stringify(modelJson));
        // Swap the finished folder in; an older model moves aside first and is removed after.
        let old: string | undefined;
        if (fs.existsSync(target)) {
          old = `${tmp}.old`;
          fs.renameSync(target, old);
        }
        fs.renameSync(tmp, target);
        if (old !== undefined) fs.rmSync(old, { recursive: true, force: true });
        return {
          modelArtifactsInfo: {
            dateSaved: new Date(),
            modelTopologyType: 'JSON',
            modelTopologyBytes: JSON.stringify(artifacts.modelTopology).length,
            weightSpecsBytes: JSON.stringify(artifacts.weightSpecs ?? []).length,
            weightDataBytes: weights.byteLength,
          },
        };
      } catch (e) {
        fs.rmSync(tmp, { recursive: true, force: true });
        throw e;
      }
    },
  };
}

/** An IOHandler for `tf.loadLayersModel(...)` that reads a folder written by `folderSaveHandler` (or tfjs-node). */
export function folderLoadHandler(dir: string): tf.io.IOHandler {
  return {
    load: async (): Promise<tf.io.ModelArtifacts> => {
      const jsonPath = path.join(dir, MODEL_JSON);
      if (!fs.existsSync(jsonPath)) throw new Error(`no model found: ${jsonPath} does not exist`);
      const modelJson = JSON.parse(fs.readFileSync(jsonPath, 'utf8')) as tf.io.ModelJSON;
      const specs: tf.io.WeightsManifestEntry[] = [];
      const buffers: Uint8Array[] = [];
      for (const group of modelJson.weightsManifest ?? []) {
        specs.push(...group.weights);
        for (const p of group.paths) buffers.push(fs.readFileSync(path.join(dir, p)));
      }
      const weights = concatWeightData(buffers.map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer));
      return {
        modelTopology: modelJson.modelTopology,
        format: modelJson.format,
        generatedBy: modelJson.generatedBy,
        convertedBy: modelJson.convertedBy,
        trainingConfig: modelJson.trainingConfig,
        userDefinedMetadata: modelJson.userDefinedMetadata,
        weightSpecs: specs,
        weightData: weights.buffer as ArrayBuffer,
      };
    },
  };
}

/** Saves `model` into `dir` (model.json + weights.bin), atomically. */
export async function saveModel(model: tfl.LayersModel, dir: string): Promise<void> {
  await model.save(folderSaveHandler(dir));
}

/** Loads a model saved by `saveModel` (or tfjs-node's `file://` handler). */
export async function loadModel(dir: string): Promise<tfl.LayersModel> {
  return tfl.loadLayersModel(folderLoadHandler(dir));
}
