/** A full, settled garbage collection (needs --expose-gc), then the process's memory figures. */

export async function settle() {
  for (let i = 0; i < 3; i++) {
    globalThis.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage();
}
