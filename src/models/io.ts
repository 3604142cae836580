/**
 * Saving and loading tfjs-layers models as a folder holding `model.json` +
 * `weights.bin` (the layout tfjs-node's `file://` handler writes), without
 * tfjs-node.
 *
 * Saving touches nothing in the folder but those two files: the folder (and
 * its parents) is created if missing, and each file is replaced atomically
 * (see `writeFileAtomic`), weights first, so an interrupted save never leaves
 * half a file. A path that exists and is not a folder is refused.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ensureDir, writeFileAtomic } from '../files';

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

/** An IOHandler for `model.save(...)` that writes `dir/model.json` and `dir/weights.bin`, as `saveModel` describes. */
export function folderSaveHandler(dir: string): tf.io.IOHandler {
  return {
    save: async (artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> => {
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new Error('folderSaveHandler: binary model topologies are not supported');
      }
      const target = ensureDir(dir, 'folderSaveHandler');
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
      writeFileAtomic(path.join(target, WEIGHTS_BIN), weights);
      writeFileAtomic(path.join(target, MODEL_JSON), JSON.stringify(modelJson));
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          modelTopologyBytes: JSON.stringify(artifacts.modelTopology).length,
          weightSpecsBytes: JSON.stringify(artifacts.weightSpecs ?? []).length,
          weightDataBytes: weights.byteLength,
        },
      };
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

/**
 * Saves `model` into the folder `dir` as model.json + weights.bin, replacing each atomically and
 * leaving everything else in `dir` alone; creates `dir` if needed; refuses a path that is not a folder.
 */
export async function saveModel(model: tfl.LayersModel, dir: string): Promise<void> {
  ensureDir(dir, 'saveModel');
  await model.save(folderSaveHandler(dir));
}

/** Loads a model saved by `saveModel` (or tfjs-node's `file://` handler). */
export async function loadModel(dir: string): Promise<tfl.LayersModel> {
  return tfl.loadLayersModel(folderLoadHandler(dir));
}
