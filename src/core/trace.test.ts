import { AsyncLocalStorage } from 'node:async_hooks';
import {
  type Context,
  type ContextManager,
  context,
  ROOT_CONTEXT,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachFramework } from '../../test/support/frameworks.js';
import { startEchoUpstream, type Upstream } from '../../test/support/upstream.js';
import { accessLog } from '../middleware/access-log/index.js';
import { proxy } from '../middleware/proxy/index.js';
import { parseTraceparent, validTracestate } from './trace.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';

describe('parseTraceparent() (W3C Trace Context level 1)', () => {
  it('reads a version 00 header', () => {
    expect(parseTraceparent(`00-${TRACE_ID}-${PARENT_ID}-01`)).toEqual({
      traceId: TRACE_ID,
      parentId: PARENT_ID,
      flags: '01',
    });
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['upper-case hex', `00-${TRACE_ID.toUpperCase()}-${PARENT_ID}-01`],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-${PARENT_ID}-01`],
    ['an all-zero parent id', `00-${TRACE_ID}-${'0'.repeat(16)}-01`],
    ['version ff', `ff-${TRACE_ID}-${PARENT_ID}-01`],
    ['version 00 with more fields', `00-${TRACE_ID}-${PARENT_ID}-01-extra`],
    ['a short trace id', `00-${TRACE_ID.slice(1)}-${PARENT_ID}-01`],
    ['bad flags', `00-${TRACE_ID}-${PARENT_ID}-0x`],
    ['a later version followed by no dash', `cc-${TRACE_ID}-${PARENT_ID}-01x`],
    ['two headers joined', `00-${TRACE_ID}-${PARENT_ID}-01, 00-${TRACE_ID}-${PARENT_ID}-01`],
  ])('refuses %s', (_label, value) => {
    expect(parseTraceparent(value)).toBeUndefined();
  });

  it('reads the first four fields of a later version, as the spec says', () => {
    expect(parseTraceparent(`cc-${TRACE_ID}-${PARENT_ID}-01-what-the-future-holds`)).toEqual({
      traceId: TRACE_ID,
      parentId: PARENT_ID,
      flags: '01',
    });
    expect(parseTraceparent(`cc-${TRACE_ID}-${PARENT_ID}-09`)?.flags).toBe('09');
  });
});

describe('validTracestate()', () => {
  it('keeps a valid list unchanged, empty members included', () => {
    const value = 'congo=t61rcWkgMzE, ,rojo=00f067aa0ba902b7,tenant@vendor=x';
    expect(validTracestate(value)).toBe(value);
  });

  it.each([
    ['an upper-case key', 'Congo=1'],
    ['a member without =', 'congo'],
    ['a value with =', 'congo=a=b'],
    ['a value outside printable ASCII', 'congo=caf\u00e9'],
    ['33 members', Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(',')],
  ])('drops %s', (_label, value) => {
    expect(validTracestate(value)).toBeUndefined();
  });
});

/** A minimal OpenTelemetry context manager on AsyncLocalStorage (as context-async-hooks has). */
class LocalContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.storage.run(ctx, () => fn.apply(thisArg, args));
  }
  bind<T>(_ctx: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.storage.disable();
    return this;
  }
}

/** A middleware (both frameworks) that runs the rest of the request in OpenTelemetry context `active`. */
function runningIn(active: Context) {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: framework-specific middleware
    express: (_req: any, _res: any, next: () => void) => context.with(active, next),
    // biome-ignore lint/suspicious/noExplicitAny: framework-specific middleware
    koa: (_ctx: any, next: () => Promise<void>) => context.with(active, next),
  };
}

let upstream: Upstream;
beforeAll(async () => {
  upstream = await startEchoUpstream();
});
afterAll(() => upstream.close());

describeEachFramework('trace context through proxy()', (fw) => {
  const forwarded = async (headers: Record<string, string>, before: unknown[] = []) => {
    const app = await fw.start({ use: [...(before as never[]), proxy(upstream.url)] });
    const res = await app.request('/echo', { headers });
    return (res.json as { headers: Record<string, string | undefined> }).headers;
  };

  it('continues a valid traceparent with a new parent id, same flags, tracestate unchanged', async () => {
    const headers = await forwarded({
      traceparent: `00-${TRACE_ID}-${PARENT_ID}-00`,
      tracestate: 'rojo=00f067aa0ba902b7',
    });
    const [version, traceId, parentId, flags] = headers.traceparent!.split('-');
    expect([version, traceId, flags]).toEqual(['00', TRACE_ID, '00']);
    expect(parentId).toMatch(/^[0-9a-f]{16}$/);
    expect(parentId).not.toBe(PARENT_ID);
    expect(headers.tracestate).toBe('rojo=00f067aa0ba902b7');
  });

  it('starts a new trace without a traceparent, or with an invalid one (dropping its tracestate)', async () => {
    const none = await forwarded({});
    expect(none.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const invalid = await forwarded({
      traceparent: `00-${'0'.repeat(32)}-${PARENT_ID}-01`,
      tracestate: 'rojo=00f067aa0ba902b7',
    });
    expect(invalid.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(invalid.traceparent).not.toContain('0'.repeat(32));
    expect(invalid.tracestate).toBeUndefined();
    expect(none.traceparent!.slice(3, 35)).not.toBe(invalid.traceparent!.slice(3, 35));
  });

  it('drops an invalid tracestate of a valid traceparent', async () => {
    const headers = await forwarded({
      traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`,
      tracestate: 'Not A Valid=List',
    });
    expect(headers.traceparent!.slice(3, 35)).toBe(TRACE_ID);
    expect(headers.tracestate).toBeUndefined();
  });

  it("uses the active OpenTelemetry span's trace and span ids over the caller's", async () => {
    const manager = new LocalContextManager();
    expect(context.setGlobalContextManager(manager)).toBe(true);
    try {
      const spanContext = {
        traceId: 'a'.repeat(32),
        spanId: 'b'.repeat(16),
        traceFlags: TraceFlags.SAMPLED,
      };
      const active = trace.setSpanContext(ROOT_CONTEXT, spanContext);
      const withSpan = runningIn(active);
      const headers = await forwarded({ traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` }, [
        withSpan,
      ]);
      expect(headers.traceparent).toBe(`00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`);
      // The access log alone (no proxy computing it first) records the span's trace too.
      const records: Array<{ traceId: string }> = [];
      const log = accessLog({ logger: { info: (record: never) => records.push(record) } });
      const app = await fw.start({
        use: [withSpan, log],
        routes: [{ method: 'GET', path: '/local' }],
      });
      await app.request('/local', { headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` } });
      for (let i = 0; i < 100 && records.length === 0; i++)
        await new Promise((resolve) => setImmediate(resolve));
      expect(records.map((record) => record.traceId)).toEqual(['a'.repeat(32)]);
    } finally {
      context.disable();
    }
  });

  it("forwards an OpenTelemetry span's upper-case ids in lower case, as traceparent requires", async () => {
    // @opentelemetry/api's isSpanContextValid accepts upper-case hex; traceparent does not (§3.2.2).
    const manager = new LocalContextManager();
    expect(context.setGlobalContextManager(manager)).toBe(true);
    try {
      const active = trace.setSpanContext(ROOT_CONTEXT, {
        traceId: 'A'.repeat(32),
        spanId: 'B'.repeat(16),
        traceFlags: TraceFlags.SAMPLED,
      });
      const withSpan = runningIn(active);
      const headers = await forwarded({}, [withSpan]);
      expect(headers.traceparent).toBe(`00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`);
      expect(parseTraceparent(headers.traceparent)).toBeDefined();
    } finally {
      context.disable();
    }
  });
});
