#!/usr/bin/env node
/**
 * Why touching Express's `req`/`res` is expensive: Express re-prototypes both objects per request
 * (`Object.setPrototypeOf(req, app.request)`), which gives them a new hidden class (map) each
 * time, so V8's inline caches miss at every property access site that sees them: an added
 * property takes ~2 µs, and even a store to an existing one or a load pays an IC miss the first
 * time a site sees the object, where each takes ~40 ns on a plain `IncomingMessage`/
 * `ServerResponse`. This probe times single accesses (median over every request) in three
 * servers under load: plain node:http, node:http with the same two setPrototypeOf calls Express
 * makes, and Express itself.
 *
 *   node bench/probes/reprototyped-stores.mjs      (needs wrk; about 15 s)
 */

import { execFileSync, spawn } from 'node:child_process';
import http from 'node:http';
import express from 'express';

const mode = process.argv[2];
if (mode === undefined) {
  // Parent: run each server in its own pinned process and load it from the other core.
  for (const m of ['plain', 'reprototyped', 'express']) {
    const child = spawn('taskset', ['-c', '1', process.execPath, import.meta.filename, m]);
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    await new Promise((resolve) => child.stdout.once('data', resolve));
    const port = out.trim();
    const wrk = execFileSync('taskset', [
      '-c',
      '0',
      'wrk',
      '-t1',
      '-c50',
      '-d4s',
      `http://127.0.0.1:${port}/hello`,
    ]).toString();
    const rps = /Requests\/sec:\s+([\d.]+)/.exec(wrk)?.[1];
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    process.stdout.write(
      `${m.padEnd(13)} ${Number(rps).toFixed(0).padStart(6)} req/s  ${out.split('\n').slice(1).join('  ')}\n`,
    );
  }
  process.exit(0);
}

const now = process.hrtime.bigint;
const samples = {
  'req.a = {}': [],
  'res.b = fn': [],
  'res.c = 1': [],
  'res.statusCode = 200 (existing)': [],
  'req.headers (load)': [],
};
const probe = (req, res) => {
  let t = now();
  res.statusCode = 200;
  samples['res.statusCode = 200 (existing)'].push(Number(now() - t));
  t = now();
  const headers = req.headers;
  samples['req.headers (load)'].push(Number(now() - t));
  t = now();
  req.a = {};
  samples['req.a = {}'].push(Number(now() - t));
  t = now();
  res.b = () => undefined;
  samples['res.b = fn'].push(Number(now() - t));
  t = now();
  res.c = 1;
  samples['res.c = 1'].push(Number(now() - t));
  return headers;
};
const BODY = JSON.stringify({ message: 'hello' });
let handler;
if (mode === 'express') {
  const app = express();
  app.use((req, res, next) => {
    probe(req, res);
    next();
  });
  app.get('/hello', (_req, res) => res.type('json').send(BODY));
  handler = app;
} else {
  const requestProto = Object.create(http.IncomingMessage.prototype);
  const responseProto = Object.create(http.ServerResponse.prototype);
  handler = (req, res) => {
    if (mode === 'reprototyped') {
      Object.setPrototypeOf(req, requestProto);
      Object.setPrototypeOf(res, responseProto);
    }
    probe(req, res);
    res.setHeader('content-type', 'application/json');
    res.end(BODY);
  };
}
const server = http.createServer({ keepAliveTimeout: 65_000 }, handler);
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
process.on('SIGTERM', () => {
  const medians = Object.entries(samples).map(([name, v]) => {
    v.sort((a, b) => a - b);
    return `${name}: ${v[v.length >> 1]} ns`;
  });
  process.stdout.write(`${medians.join(', ')}\n`);
  process.exit(0);
});
