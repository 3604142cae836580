/** Runs the CLI in-process, capturing what it prints (console.log, console.error and stderr). */
import { main } from '../../src/cli/main';

export async function runCli(args: string[], onLog?: (line: string) => void): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const log = jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => { const l = a.join(' '); out += `${l}\n`; onLog?.(l); });
  const error = jest.spyOn(console, 'error').mockImplementation((...a: unknown[]) => { err += `${a.join(' ')}\n`; });
  const write = jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { err += String(s); return true; });
  try {
    return { code: await main(args), out, err };
  } finally {
    log.mockRestore();
    error.mockRestore();
    write.mockRestore();
  }
}
