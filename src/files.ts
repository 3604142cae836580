/**
 * Node-only file writing shared by `saveModel`, the CLI and the canvas: folders are created level
 * by level, and each file is replaced atomically, so nothing but the files we write is ever
 * touched, and an interrupted write leaves the old file or the new one, never half of one.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** A folder that cannot be used: the message is `${who}: ${reason}`. */
export class FolderError extends Error {
  constructor(readonly who: string, readonly reason: string) {
    super(`${who}: ${reason}`);
    this.name = 'FolderError';
  }
}

/** 'ENOENT: no such file or directory' from a Node system error (without the path it repeats). */
function errorText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code === undefined ? err.message : err.message.split(', ')[0];
}

/**
 * Makes sure `dir` is a folder, creating it and its missing parents one level at a time (Node's
 * recursive mkdirSync never returns on some paths, e.g. under /proc). Every part that exists must
 * be a folder. Returns the absolute path. `who` (e.g. 'saveModel') starts the error messages.
 */
export function ensureDir(dir: string, who: string): string {
  if (typeof dir !== 'string' || dir === '') throw new FolderError(who, `expected a folder path, got ${JSON.stringify(dir)}`);
  const abs = path.resolve(dir);
  const parts = abs.slice(path.parse(abs).root.length).split(path.sep).filter((p) => p !== '');
  let current = path.parse(abs).root;
  for (const part of parts) {
    current = path.join(current, part);
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(current);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new FolderError(who, `cannot use ${current}: ${errorText(e)}`);
    }
    if (stat === undefined) {
      try {
        fs.mkdirSync(current);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || !fs.statSync(current).isDirectory()) {
          throw new FolderError(who, `cannot create folder ${current}: ${errorText(e)}`);
        }
      }
    } else if (!stat.isDirectory()) {
      throw new FolderError(who, current === abs
        ? `${abs} exists and is not a folder`
        : `cannot create folder ${abs}: ${current} is not a folder`);
    }
  }
  return abs;
}

/** `ensureDir`, then checks that a file can be created in the folder (by creating and removing one of ours). */
export function ensureWritableDir(dir: string, who: string): string {
  const abs = ensureDir(dir, who);
  const probe = path.join(abs, `.tfjs-im2col-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    fs.closeSync(fs.openSync(probe, 'wx'));
    fs.rmSync(probe);
  } catch (e) {
    throw new FolderError(who, `cannot write files in ${abs}: ${errorText(e)}`);
  }
  return abs;
}

/**
 * Replaces `file` with `data` atomically: writes a new temporary file next to it (never an
 * existing one), flushes it to disk, and renames it over `file`. On any error the temporary
 * file is removed and `file` is left as it was. The folder must exist.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const abs = path.resolve(file);
  if (fs.existsSync(abs) && fs.statSync(abs).isDirectory()) throw new Error(`cannot write ${abs}: it is a folder`);
  const tmp = path.join(path.dirname(abs), `.${path.basename(abs)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  const fd = fs.openSync(tmp, 'wx', 0o644);
  try {
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, abs);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  // Make the rename itself durable (not possible on every platform; the file is complete either way).
  try {
    const dirFd = fs.openSync(path.dirname(abs), 'r');
    try {
      fs.fsyncSync(dirFd);
    } finally {
      fs.closeSync(dirFd);
    }
  } catch {
    // e.g. Windows cannot open a folder for fsync
  }
}

/**
 * A file shipped in the package's `assets/` folder. This module sits in src/ (sources, ts-jest)
 * or is bundled into dist/ (the package), one level below the package root either way.
 */
export function assetPath(...parts: string[]): string {
  return path.resolve(__dirname, '..', 'assets', ...parts);
}
