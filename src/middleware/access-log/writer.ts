/**
 * The default output: lines gathered in memory and written in batches, never one write per
 * request (as pino's sonic-boom does): when the batch reaches `FLUSH_AT` characters, else once
 * the current event-loop turn is over (`setImmediate`), and synchronously at process exit.
 */

import { writeSync } from 'node:fs';

/** Where lines go: a writable stream (`process.stdout`, a file stream) or a file descriptor. */
export type Destination = { write(chunk: string): unknown } | number;

/** A batch this long is written at once, without waiting for the end of the turn. */
const FLUSH_AT = 16 * 1024;

/** Writers holding lines, flushed at exit; one `exit` listener for all of them. */
const unflushed = new Set<LineWriter>();
let exitHooked = false;

function flushAllAtExit(): void {
  for (const writer of unflushed) writer.flush();
}

export class LineWriter {
  private pending = '';
  private scheduled = false;
  private readonly out: (text: string) => void;

  /** `onError`: a failed write (a closed descriptor...) is reported there, never thrown from a timer. */
  constructor(
    destination: Destination,
    private readonly onError: (err: unknown) => void,
  ) {
    this.out =
      typeof destination === 'number'
        ? (text) => writeFully(destination, text)
        : (text) => {
            destination.write(text);
          };
  }

  /** Queues one line (ending in `\n`). */
  write(line: string): void {
    this.pending += line;
    if (this.pending.length >= FLUSH_AT) {
      this.flush();
      return;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    unflushed.add(this);
    if (!exitHooked) {
      exitHooked = true;
      process.on('exit', flushAllAtExit);
    }
    setImmediate(this.flushScheduled);
  }

  private readonly flushScheduled = (): void => {
    this.scheduled = false;
    this.flush();
  };

  /** Writes what is queued now. */
  flush(): void {
    unflushed.delete(this);
    const text = this.pending;
    if (text === '') return;
    this.pending = '';
    try {
      this.out(text);
    } catch (err) {
      this.onError(err);
    }
  }
}

/**
 * Writes all of `text` to `fd`: as a string in one call in the usual case (no Buffer made for
 * it); a non-blocking pipe may take part of it or answer EAGAIN when full, and the rest is then
 * retried as bytes until written.
 */
function writeFully(fd: number, text: string): void {
  let written = 0;
  try {
    written = writeSync(fd, text);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
  }
  if (written === Buffer.byteLength(text)) return;
  let bytes = Buffer.from(text, 'utf8').subarray(written);
  for (let attempts = 0; bytes.length > 0 && attempts < 1000; attempts++) {
    try {
      bytes = bytes.subarray(writeSync(fd, bytes));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
    }
  }
}
