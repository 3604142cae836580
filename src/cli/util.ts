/** Shared CLI plumbing: errors with exit codes, flag parsers, output folders. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError } from 'commander';
import * as files from '../files';

/** An error the CLI reports as one clear line and a non-zero exit code. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 2) {
    super(message);
    this.name = 'CliError';
  }
}

export function parseIntFlag(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    if (!/^\s*\d+\s*$/.test(value)) throw new InvalidArgumentError(`expected an integer ≥ ${min}.`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`expected an integer in [${min}, ${max}].`);
    return n;
  };
}

export function parsePositiveFloat(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number.');
  return n;
}

export function parseChoice(choices: string[]) {
  return (value: string): string => {
    if (!choices.includes(value)) throw new InvalidArgumentError(`expected one of: ${choices.join(', ')}.`);
    return value;
  };
}

/** A file or folder argument: any non-empty path ('' would silently mean the current folder). */
export function parsePath(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('expected a path, got an empty string.');
  return value;
}

/**
 * Creates `dir` level by level if needed (only folders, never over a file) and checks that files
 * can be written into it; fails fast, before any work, with a message naming the folder.
 */
export function ensureWritableDir(dir: string): string {
  try {
    return files.ensureWritableDir(dir, 'output folder');
  } catch (e) {
    if (e instanceof files.FolderError) throw new CliError(`cannot write to output folder ${path.resolve(dir)}: ${e.reason}`);
    throw e;
  }
}

/** A fresh folder under `./runs/` named after the current time (suffixed if it exists). */
export function freshRunDir(base = 'runs', label = 'simpleconvnet'): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  let dir = path.resolve(base, `${stamp}-${label}`);
  for (let i = 2; fs.existsSync(dir); i++) dir = path.resolve(base, `${stamp}-${label}-${i}`);
  return dir;
}

/** Where a file shipped in the package's `assets/` folder is; a clear error if it is missing. */
export function assetPath(...parts: string[]): string {
  const p = files.assetPath(...parts);
  if (!fs.existsSync(p)) throw new CliError(`asset ${parts.join('/')} not found at ${p}`);
  return p;
}
