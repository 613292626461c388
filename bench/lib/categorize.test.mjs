import { describe, expect, it } from 'vitest';
import { categorize } from './categorize.mjs';

const NODE = '/usr/bin/node';

describe('categorize: perf samples and callgrind functions into the same parts', () => {
  it('puts kernel samples in kernel, whatever the thread', () => {
    expect(categorize('node', 'tcp_sendmsg', '[kernel.kallsyms]')).toBe('kernel');
    expect(categorize('V8 DefaultWorke', 'schedule', '[kernel.kallsyms]')).toBe('kernel');
  });

  it("sorts V8's helper threads into GC or compiling", () => {
    expect(categorize('V8 DefaultWorke', 'v8::internal::Scavenger::Process', NODE)).toBe(
      'GC (helper threads)',
    );
    expect(categorize('V8 DefaultWorke', 'v8::internal::compiler::Pipeline::Run', NODE)).toBe(
      'JIT (helper threads)',
    );
  });

  it('names JavaScript by package from the perf map', () => {
    const map = '/tmp/perf-123.map';
    expect(categorize('node', '*next /app/node_modules/router/index.js:189:17', map)).toBe(
      'JS: express',
    );
    expect(categorize('node', '*attempt file:///app/dist/chunk-X.js:2968:10', map)).toBe(
      'JS: portcullis',
    );
    expect(categorize('node', '*_storeHeader node:_http_outgoing:410:22', map)).toBe('JS: node:*');
    expect(categorize('node', '*dispatch /app/node_modules/koa-compose/index.js:35:21', map)).toBe(
      'JS: koa',
    );
  });

  it('reads callgrind names with their return types, and its unnamed JIT code', () => {
    expect(
      categorize(
        'node',
        'void v8::internal::BodyDescriptorBase::IterateMaybeWeakPointers<v8::internal::IterateAndScavengePromotedObjectsVisitor>(int)',
        NODE,
      ),
    ).toBe('GC');
    expect(
      categorize(
        'node',
        'v8::internal::LookupIterator::State v8::internal::LookupIterator::LookupInRegularHolder<false>(v8::internal::Map)',
        NODE,
      ),
    ).toBe('V8 runtime');
    expect(categorize('node', 'Builtins_LoadIC_Megamorphic', NODE)).toBe('V8 builtins');
    expect(categorize('node', '0x000000000d0dbb80', '???')).toBe('JS (unnamed JIT code)');
    expect(categorize('node', 'node::StreamBase::Writev(v8::FunctionCallbackInfo)', NODE)).toBe(
      'node/libuv C++',
    );
    expect(categorize('node', '_int_free', '/usr/lib/x86_64-linux-gnu/libc.so.6')).toBe('libc');
  });
});
