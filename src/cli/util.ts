/** Shared CLI plumbing: errors with exit codes, flag parsers, output folders, atomic writes. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError } from 'commander';

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

/** Creates `dir` (and parents) and checks that files can be written into it. */
export function ensureWritableDir(dir: string): string {
  const abs = path.resolve(dir);
  try {
    fs.mkdirSync(abs, { recursive: true });
    const probe = path.join(abs, `.write-test-${process.pid}`);
    fs.writeFileSync(probe, '');
    fs.rmSync(probe);
  } catch (e) {
    throw new CliError(`cannot write to output folder ${abs}: ${(e as Error).message}`);
  }
  return abs;
}

/** A fresh folder under `./runs/` named after the current time (suffixed if it exists). */
export function freshRunDir(base = 'runs', label = 'simpleconvnet'): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  let dir = path.resolve(base, `${stamp}-${label}`);
  for (let i = 2; fs.existsSync(dir); i++) dir = path.resolve(base, `${stamp}-${label}-${i}`);
  return dir;
}

/** Writes a file atomically (temp file in the same folder, then rename). */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}`);
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

/** Where the package's `assets/` folder is, from the bundle (dist/) or from the sources (src/cli/). */
export function assetPath(name: string): string {
  const candidates = [path.resolve(__dirname, '../assets', name), path.resolve(__dirname, '../../assets', name)];
  for (const c of candidates) if (fs.existsSync(c)) return c;
  throw new CliError(`asset ${name} not found (looked in ${candidates.join(', ')})`);
}
