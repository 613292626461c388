import { execFile } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LineWriter } from './writer.js';

const APP = fileURLToPath(new URL('./exit-flush.app.ts', import.meta.url));

describe('LineWriter', () => {
  it('batches lines into one write per event-loop turn', async () => {
    const writes: string[] = [];
    const writer = new LineWriter({ write: (chunk: string) => writes.push(chunk) }, () => {});
    writer.write('a\n');
    writer.write('b\n');
    expect(writes).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toEqual(['a\nb\n']);
  });

  it('writes at once when a batch reaches 16 KiB', () => {
    const writes: string[] = [];
    const writer = new LineWriter({ write: (chunk: string) => writes.push(chunk) }, () => {});
    const line = `${'x'.repeat(1023)}\n`;
    for (let i = 0; i < 16; i++) writer.write(line);
    expect(writes).toHaveLength(1);
    expect(writes[0]).toHaveLength(16 * 1024);
  });

  it('writes to a file descriptor, and reports a failed write instead of throwing', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'portcullis-log-'));
    try {
      const file = path.join(dir, 'access.log');
      const fd = openSync(file, 'w');
      const errors: unknown[] = [];
      const writer = new LineWriter(fd, (err) => errors.push(err));
      writer.write('one\n');
      writer.flush();
      expect(readFileSync(file, 'utf8')).toBe('one\n');
      closeSync(fd);
      writer.write('two\n');
      await new Promise((resolve) => setImmediate(resolve));
      expect(errors).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('flushes what is queued when the process exits', async () => {
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', APP, '3'],
        { timeout: 55_000 },
        (err, out, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(out)),
      );
    });
    const records = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { path: string });
    expect(records.map((r) => r.path)).toEqual(['/n/0', '/n/1', '/n/2']);
  }, 60_000);
});
