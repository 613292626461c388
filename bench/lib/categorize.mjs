/** Sorts profile samples (perf) and instruction counts (callgrind) into the same parts of a Node process. */

/** Which part of the process a sample fell in, from its thread, symbol and object file. */
export function categorize(thread, rawSymbol, dso) {
  // callgrind names C++ functions with their return type: `void v8::internal::...`.
  const symbol = rawSymbol.replace(/^(?:[\w:<>,*&]+\s)+(?=(?:v8|node|uv|std)::)/, '');
  if (dso.includes('kernel')) return 'kernel';
  if (!thread.startsWith('node')) {
    // V8's helper threads (`V8 DefaultWorke`): concurrent marking, parallel scavenge, compilation.
    return /Compil|compiler|Maglev|Turbofan/i.test(symbol)
      ? 'JIT (helper threads)'
      : 'GC (helper threads)';
  }
  if (/perf-\d+\.map/.test(dso)) {
    if (
      /\/node_modules\/(express|router|send|finalhandler|body-parser|serve-static)\//.test(symbol)
    )
      return 'JS: express';
    if (/\/node_modules\/(koa|koa-compose|@koa)\//.test(symbol)) return 'JS: koa';
    if (/\/dist\/|\/src\//.test(symbol)) return 'JS: portcullis';
    if (/ node:/.test(symbol)) return 'JS: node:*';
    if (/^(Builtin|BytecodeHandler):/.test(symbol)) return 'V8 builtins';
    return 'JS: other';
  }
  if (/^Builtins?_|^Builtin:|BytecodeHandler/.test(symbol)) return 'V8 builtins';
  if (/Scaveng|Heap::|MarkCompact|Sweep|Marking|GCTracer|Evacuat|Mark[A-Z]|Collect/i.test(symbol))
    return 'GC';
  if (/Compil|compiler::|maglev|Turbofan|Deoptimiz|Baseline/i.test(symbol)) return 'JIT';
  if (/^(node::|uv_|uv__|llhttp)/.test(symbol)) return 'node/libuv C++';
  // callgrind cannot name JIT code (perf can, from V8's map): it is an address in no object file.
  if (/^0x[0-9a-f]+$/.test(symbol) && dso === '???') return 'JS (unnamed JIT code)';
  if (/^v8::/.test(symbol)) return 'V8 runtime';
  if (/libc|libstdc|ld-linux|libm/.test(dso)) return 'libc';
  return 'other';
}
