#!/usr/bin/env node
// Drop-in replacement for the Prisma `query-engine` *binary* as spawned by prisma-client-py 0.15.0
// (prisma/engine/_query.py): `query-engine -p PORT --enable-metrics --enable-raw-queries`, datamodel from
// $PRISMA_DML_PATH, datasource from $OVERWRITE_DATASOURCES or the env var named in the schema.
//
// It serves the binary's HTTP API (GET /status, POST /, POST /transaction/start|{id}/commit|{id}/rollback,
// GET /metrics) and speaks the GraphQL engine protocol that prisma-client-py uses, translating each
// request to the JSON protocol of the official WASM build of the *same* engine commit
// (@prisma/query-engine-wasm 5.17.0-31.393aa359…), which talks to PostgreSQL through @prisma/adapter-pg.
// Responses are translated back (alias "result", $type-tagged scalars unwrapped).
//
// For tests and development only: it needs no download from binaries.prisma.sh.
import fs from 'node:fs';
import http from 'node:http';
import pg from 'pg';
import { parse, Kind } from 'graphql';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindAdapter } from '@prisma/driver-adapter-utils';
import { createRequire } from 'node:module';
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';

const ENGINE_COMMIT = '393aa359c9ad4a4bb28630fb5613f9c281cde053';
const argv = process.argv.slice(2);
if (argv.includes('--version') || argv.includes('-V')) {
  process.stdout.write(`query-engine ${ENGINE_COMMIT}\n`);
  process.exit(0);
}
const portIdx = Math.max(argv.indexOf('-p'), argv.indexOf('--port'));
const port = portIdx >= 0 ? Number(argv[portIdx + 1]) : 4466;
const debug = !!process.env.QE_SHIM_DEBUG;
const log = (...a) => { if (debug) process.stderr.write(`[qe-shim] ${a.join(' ')}\n`); };

// ---------- engine ----------
const wasmDir = new URL('./node_modules/@prisma/query-engine-wasm/postgresql/', import.meta.url);
const bg = await import(new URL('query_engine_bg.js', wasmDir));
const wasmModule = new WebAssembly.Module(fs.readFileSync(new URL('query_engine_bg.wasm', wasmDir)));
bg.__wbg_set_wasm(new WebAssembly.Instance(wasmModule, { './query_engine_bg.js': bg }).exports);

const datamodel = fs.readFileSync(process.env.PRISMA_DML_PATH, 'utf8');

// ---------- type index (from the DMMF of the same engine commit) ----------
// Needed because in the GraphQL protocol a Json input is a *string holding JSON text* that the engine parses,
// while in the JSON protocol a plain string is a JSON string value; Json inputs must be sent as
// {"$type":"Json","value":"<json text>"}. Only the Json-typed positions matter, so only those are indexed.
function loadTypeIndex() {
  const key = crypto.createHash('sha256').update(datamodel).digest('hex').slice(0, 16);
  const cache = path.join(os.tmpdir(), `qe-shim-types-${ENGINE_COMMIT.slice(0, 8)}-${key}.json`);
  try { return JSON.parse(fs.readFileSync(cache, 'utf8')); } catch {}
  const require = createRequire(import.meta.url);
  const dmmf = JSON.parse(require('@prisma/prisma-schema-wasm').get_dmmf(JSON.stringify({ prismaSchema: datamodel })));
  const slim = (ts) => ts.filter((t) => t.location === 'inputObjectTypes' || (t.location === 'scalar' && t.type === 'Json'))
    .map((t) => (t.location === 'scalar' ? 'Json' : t.type));
  const inputs = {};
  for (const t of dmmf.schema.inputObjectTypes.prisma) {
    const f = {};
    for (const x of t.fields) { const s = slim(x.inputTypes); if (s.length) f[x.name] = s; }
    inputs[t.name] = f;
  }
  const outputs = {};
  for (const t of dmmf.schema.outputObjectTypes.prisma) {
    const f = {};
    for (const x of t.fields) {
      const args = {};
      for (const a of x.args || []) { const s = slim(a.inputTypes); if (s.length) args[a.name] = s; }
      f[x.name] = { args, out: x.outputType.location === 'outputObjectTypes' ? x.outputType.type : null };
    }
    outputs[t.name] = f;
  }
  const idx = { inputs, outputs };
  try { fs.writeFileSync(cache, JSON.stringify(idx)); } catch {}
  return idx;
}
const TYPES = loadTypeIndex();

function typed(v, types) {
  if (v === null || !types || !types.length) return v;
  if (Array.isArray(v)) return v.map((x) => typed(x, types));
  if (typeof v === 'string') {
    if (!types.includes('Json')) return v;
    try { JSON.parse(v); return { $type: 'Json', value: v }; } catch { return v; }
  }
  if (typeof v === 'object' && !('$type' in v)) {
    const objs = types.map((t) => TYPES.inputs[t]).filter(Boolean);
    if (!objs.length) return v;
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, typed(x, objs.flatMap((o) => o[k] || []))]));
  }
  return v;
}

function datasourceUrl() {
  if (process.env.OVERWRITE_DATASOURCES) {
    const ds = JSON.parse(process.env.OVERWRITE_DATASOURCES);
    if (Array.isArray(ds) && ds[0]?.url) return ds[0].url;
  }
  const m = datamodel.match(/datasource\s+\w+\s*\{[^}]*?url\s*=\s*env\(\s*"([^"]+)"\s*\)/s);
  const name = m ? m[1] : 'DATABASE_URL';
  if (!process.env[name]) throw new Error(`datasource env var ${name} is not set`);
  return process.env[name];
}

// Prisma-specific URL parameters are not libpq/pg parameters: map the pool ones, drop the rest.
function poolConfig(rawUrl) {
  const url = new URL(rawUrl.replace(/^postgres(ql)?:/, 'http:'));
  const q = url.searchParams;
  const cfg = {};
  const num = (k) => (q.has(k) ? Number(q.get(k)) : undefined);
  if (num('connection_limit')) cfg.max = num('connection_limit');
  const connectTimeout = num('connect_timeout') ?? num('pool_timeout');
  if (connectTimeout) cfg.connectionTimeoutMillis = connectTimeout * 1000;
  if (num('max_idle_connection_lifetime')) cfg.idleTimeoutMillis = num('max_idle_connection_lifetime') * 1000;
  const schema = q.get('schema') || undefined;
  const keep = new Set(['sslmode', 'application_name', 'options', 'sslrootcert', 'sslcert', 'sslkey', 'host', 'port']);
  for (const k of [...q.keys()]) if (!keep.has(k)) q.delete(k);
  cfg.connectionString = rawUrl.replace(/\?.*$/, '') + (q.toString() ? `?${q}` : '');
  return { cfg, schema };
}

// @prisma/adapter-pg 5.17 rejects result columns whose type OID it does not know ("Failed to deserialize column
// of type 'Unknown'"), e.g. `name[]` from ARRAY_AGG(pg_views.viewname) or `void` from pg_advisory_lock().
// The native engine returns them as text; remap those OIDs (and their values) before the adapter sees them.
const TEXT = 25, TEXT_ARRAY = 1009;
const REMAP = new Map([
  [18, TEXT], [19, TEXT], [24, TEXT], [28, TEXT], [194, TEXT], [705, TEXT], [774, TEXT], [829, TEXT], [1033, TEXT],
  [1186, TEXT], [2205, TEXT], [2206, TEXT], [2278, TEXT], [3734, TEXT], [4089, TEXT],
  [1003, TEXT_ARRAY], [1034, TEXT_ARRAY], [1040, TEXT_ARRAY], [1187, TEXT_ARRAY], [2210, TEXT_ARRAY],
]);
const { parse: parsePgArray } = createRequire(import.meta.url)('postgres-array');
function fixResult(res) {
  if (!res || !Array.isArray(res.fields)) return res;
  res.fields.forEach((f, i) => {
    const to = REMAP.get(f.dataTypeID);
    if (!to) return;
    const conv = f.dataTypeID === 2278 ? () => null
      : to === TEXT_ARRAY ? (v) => (typeof v === 'string' ? parsePgArray(v) : v)
      : (v) => (v === null || typeof v === 'string' ? v : typeof v.toPostgres === 'function' ? v.toPostgres() : String(v));
    f.dataTypeID = to;
    for (const row of res.rows || []) {
      if (Array.isArray(row)) { if (row[i] !== null) row[i] = conv(row[i]); }
      else if (row && row[f.name] !== null) row[f.name] = conv(row[f.name]);
    }
  });
  return res;
}
const origQuery = pg.Client.prototype.query;
pg.Client.prototype.query = function (config, values, callback) {
  if (typeof values === 'function') { callback = values; values = undefined; }
  if (typeof callback === 'function') return origQuery.call(this, config, values, (err, res) => callback(err, err ? res : fixResult(res)));
  const r = origQuery.call(this, config, values);
  return r && typeof r.then === 'function' ? r.then(fixResult) : r;
};

const { cfg, schema } = poolConfig(datasourceUrl());
const pool = new pg.Pool(cfg);
pool.on('error', (e) => log('pool error', e.message));
const adapter = bindAdapter(new PrismaPg(pool, schema ? { schema } : undefined));
const engine = new bg.QueryEngine(
  { datamodel, logLevel: process.env.RUST_LOG === 'info' ? 'info' : 'error', logQueries: !!process.env.LOG_QUERIES },
  (line) => { if (debug) process.stderr.write(`[qe-engine] ${line}\n`); },
  adapter,
);
await engine.connect('{}');
const TRACE = JSON.stringify({ traceparent: '00-10-10-00' });

// ---------- GraphQL protocol -> JSON protocol ----------
const ACTIONS = [
  'findUniqueOrThrow', 'findFirstOrThrow', // must precede their prefixes
  'findUnique', 'findFirst', 'findMany', 'createOne', 'createManyAndReturn', 'createMany', 'updateOne', 'updateMany',
  'upsertOne', 'deleteOne', 'deleteMany', 'aggregate', 'groupBy',
];
const RAW = new Set(['queryRaw', 'executeRaw', 'runCommandRaw', 'findRaw', 'aggregateRaw']);

function splitField(name) {
  if (RAW.has(name)) return { action: name };
  for (const a of ['findUnique', 'findFirst']) {
    if (name.startsWith(a) && name.endsWith('OrThrow')) return { action: `${a}OrThrow`, modelName: name.slice(a.length, -'OrThrow'.length) };
  }
  for (const a of ACTIONS) if (name.startsWith(a)) return { action: a, modelName: name.slice(a.length) };
  throw new Error(`unsupported GraphQL operation field ${name}`);
}

function value(v) {
  switch (v.kind) {
    case Kind.INT: {
      const n = Number(v.value);
      return Number.isSafeInteger(n) ? n : { $type: 'BigInt', value: v.value };
    }
    case Kind.FLOAT: return Number(v.value);
    case Kind.STRING: return v.value;
    case Kind.BOOLEAN: return v.value;
    case Kind.NULL: return null;
    case Kind.ENUM: return v.value;
    case Kind.LIST: return v.values.map(value);
    case Kind.OBJECT: return Object.fromEntries(v.fields.map((f) => [f.name.value, value(f.value)]));
    default: throw new Error(`unsupported GraphQL value kind ${v.kind}`);
  }
}

// fieldInfo: {args: {argName: [types]}, out: outputTypeName} from the type index (may be undefined)
function args(list, fieldInfo) {
  return Object.fromEntries((list || []).map((a) => [a.name.value, typed(value(a.value), fieldInfo?.args?.[a.name.value])]));
}

function selection(set, outType) {
  const out = {};
  for (const sel of set?.selections || []) {
    if (sel.kind !== Kind.FIELD) throw new Error(`unsupported selection ${sel.kind}`);
    const name = sel.name.value;
    const info = outType ? TYPES.outputs[outType]?.[name] : undefined;
    if (!sel.selectionSet && !(sel.arguments || []).length) out[name] = true;
    else {
      const node = { selection: selection(sel.selectionSet, info?.out) };
      if ((sel.arguments || []).length) node.arguments = args(sel.arguments, info);
      out[name] = node;
    }
  }
  return out;
}

function translate(gql) {
  const doc = parse(gql);
  const op = doc.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  const fields = op.selectionSet.selections;
  if (fields.length !== 1) throw new Error('expected exactly one root field');
  const f = fields[0];
  const { action, modelName } = splitField(f.name.value);
  // raw actions take `parameters` as a JSON-text string in both protocols: leave their arguments untyped
  const root = RAW.has(action) ? undefined : TYPES.outputs[op.operation === 'mutation' ? 'Mutation' : 'Query']?.[f.name.value];
  const query = { arguments: args(f.arguments, root), selection: f.selectionSet ? selection(f.selectionSet, root?.out) : {} };
  if (!f.selectionSet && !RAW.has(action)) query.selection = { $scalars: true };
  const body = { action, query };
  if (modelName) body.modelName = modelName;
  return { body, alias: f.alias ? f.alias.value : f.name.value, raw: RAW.has(action) };
}

// ---------- JSON protocol output -> GraphQL protocol output ----------
function untag(v) {
  if (Array.isArray(v)) return v.map(untag);
  if (v && typeof v === 'object') {
    const keys = Object.keys(v);
    if (keys.length === 2 && '$type' in v && 'value' in v) return v.value; // DateTime, Json (string), BigInt, Decimal, Bytes
    const o = {};
    for (const k of keys) o[k] = untag(v[k]);
    return o;
  }
  return v;
}

function rekey(result, alias, raw) {
  if (!result || result.errors || !result.data) return result;
  const keys = Object.keys(result.data);
  const val = keys.length === 1 ? result.data[keys[0]] : result.data;
  return { data: { [alias]: raw ? val : untag(val) } };
}

async function runSingle(q, txId) {
  const { body, alias, raw } = translate(q.query);
  log('->', JSON.stringify(body));
  const res = JSON.parse(await engine.query(JSON.stringify(body), TRACE, txId));
  log('<-', JSON.stringify(res).slice(0, 2000));
  return rekey(res, alias, raw);
}

async function handleQuery(payload, txId) {
  if (Array.isArray(payload.batch)) {
    const translated = payload.batch.map((q) => translate(q.query));
    const body = { batch: translated.map((t) => t.body) };
    if (payload.transaction) body.transaction = typeof payload.transaction === 'object' ? payload.transaction : {};
    const res = JSON.parse(await engine.query(JSON.stringify(body), TRACE, txId));
    if (!Array.isArray(res.batchResult)) return res;
    return { ...res, batchResult: res.batchResult.map((r, i) => rekey(r, translated[i].alias, translated[i].raw)) };
  }
  return runSingle(payload, txId);
}

function errorBody(e) {
  return { errors: [{ error: String(e?.message || e), user_facing_error: { is_panic: false, message: String(e?.message || e) } }] };
}

// A transaction API call returns either the result or a user-facing error object.
function txResult(text) {
  const r = JSON.parse(text || '{}');
  if (r && r.error_code) return { errors: [{ error: r.message, user_facing_error: r }] };
  return r;
}

// ---------- HTTP server ----------
const server = http.createServer(async (req, res) => {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const text = Buffer.concat(chunks).toString('utf8');
  const send = (status, obj, type = 'application/json') => {
    res.writeHead(status, { 'content-type': type });
    res.end(typeof obj === 'string' ? obj : JSON.stringify(obj));
  };
  try {
    const url = new URL(req.url, 'http://localhost');
    const p = url.pathname;
    if (req.method === 'GET' && p === '/status') return send(200, { status: 'ok' });
    if (req.method === 'GET' && p === '/metrics') {
      return url.searchParams.get('format') === 'prometheus' ? send(200, '', 'text/plain') : send(200, { counters: [], gauges: [], histograms: [] });
    }
    if (req.method === 'POST' && p === '/') {
      const txId = req.headers['x-transaction-id'] || undefined;
      return send(200, await handleQuery(JSON.parse(text), txId));
    }
    if (req.method === 'POST' && p === '/transaction/start') {
      return send(200, txResult(await engine.startTransaction(text || '{}', TRACE)));
    }
    const m = p.match(/^\/transaction\/([^/]+)\/(commit|rollback)$/);
    if (req.method === 'POST' && m) {
      const fn = m[2] === 'commit' ? 'commitTransaction' : 'rollbackTransaction';
      return send(200, txResult(await engine[fn](decodeURIComponent(m[1]), TRACE)));
    }
    return send(404, { error: `not found: ${req.method} ${p}` });
  } catch (e) {
    log('error', e?.stack || e);
    return send(200, errorBody(e));
  }
});
server.keepAliveTimeout = 65000;
server.listen(port, '127.0.0.1', () => log(`listening on 127.0.0.1:${port}`));

let stopping = false;
async function stop() {
  if (stopping) return; stopping = true;
  server.close();
  try { await engine.disconnect('{}'); } catch {}
  try { await pool.end(); } catch {}
  process.exit(0);
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
