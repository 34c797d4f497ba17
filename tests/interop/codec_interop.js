// SPDX-License-Identifier: BSD-3-Clause
// Codec interop with rsocket-js 0.0.27 (rsocket-core): frames serialized by rsocket-js are decoded by
// our reader (skiff-frame-tool decode, through 1,460-byte and 7-byte segments) and compared field by
// field; frames we encode (skiff-frame-tool encode) are decoded by rsocket-js's deserializer and
// compared, and must equal rsocket-js's own bytes. Composite metadata (routing, auth, MIME) is
// cross-checked the same way in both directions.
//
// rsocket-js 0.0.27 has no EXT frame type (its serializer and deserializer refuse type 0x3F), so
// EXT is covered by our unit tests only. Every other RSocket 1.0 frame type is covered here.
//
// Usage: node codec_interop.js PATH/TO/skiff-frame-tool
// Ends with "N passed, N failed"; exit status 1 on any failure.
'use strict';

const {execFileSync} = require('child_process');
const path = require('path');
const rs = require(path.join(__dirname, 'node_modules', 'rsocket-core'));

const tool = process.argv[2];
const {FRAME_TYPES: T, FLAGS: F, BufferEncoders} = rs;
let passed = 0;
let failed = 0;

function check(cond, what) {
  if (cond) {
    passed++;
  } else {
    failed++;
    console.log('FAIL: ' + what);
  }
}

function run(args, input) {
  return execFileSync(tool, args, {input, maxBuffer: 1 << 28}).toString();
}

const hex = b => (b == null ? '' : Buffer.from(b).toString('hex'));
const bytes = (n, seed) => {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
};

// ---- the frames: every type rsocket-js has, with and without metadata, several sizes and flags
function frames() {
  const out = [];
  const sizes = [0, 5, 1000, 70000];
  const setupBase = {
    type: T.SETUP, streamId: 0, majorVersion: 1, minorVersion: 0, keepAlive: 30000,
    lifetime: 90000, metadataMimeType: 'message/x.rsocket.composite-metadata.v0',
    dataMimeType: 'application/json', resumeToken: null,
  };
  out.push({...setupBase, flags: 0, data: null, metadata: null});
  out.push({...setupBase, flags: F.METADATA | F.LEASE, data: bytes(33, 1), metadata: bytes(7, 2)});
  out.push({...setupBase, flags: F.METADATA | F.RESUME_ENABLE, resumeToken: bytes(16, 3),
            data: bytes(2, 4), metadata: bytes(0, 0)});
  out.push({type: T.LEASE, streamId: 0, flags: 0, ttl: 5000, requestCount: 10, metadata: null});
  out.push({type: T.LEASE, streamId: 0, flags: F.METADATA, ttl: 1, requestCount: 0x7fffffff,
            metadata: bytes(9, 5)});
  for (const respond of [0, F.RESPOND])
    for (const n of sizes)
      out.push({type: T.KEEPALIVE, streamId: 0, flags: respond, lastReceivedPosition: 0x1234 + n,
                data: bytes(n, 6)});
  const reqTypes = [T.REQUEST_RESPONSE, T.REQUEST_FNF, T.REQUEST_STREAM, T.REQUEST_CHANNEL];
  for (const type of reqTypes)
    for (const md of [null, 0, 13, 3000])
      for (const n of sizes)
        for (const extra of type === T.REQUEST_CHANNEL ? [0, F.COMPLETE, F.FOLLOWS] : [0, F.FOLLOWS]) {
          const f = {type, streamId: 1 + 2 * out.length, flags: extra, data: bytes(n, 7),
                     metadata: null};
          if (md !== null) { f.flags |= F.METADATA; f.metadata = bytes(md, 8); }
          if (type === T.REQUEST_STREAM || type === T.REQUEST_CHANNEL) f.requestN = 1 + n;
          out.push(f);
        }
  for (const n of [1, 2, 1000, 0x7fffffff])
    out.push({type: T.REQUEST_N, streamId: 3, flags: 0, requestN: n});
  out.push({type: T.CANCEL, streamId: 5, flags: 0});
  for (const fl of [F.NEXT, F.COMPLETE, F.NEXT | F.COMPLETE, F.NEXT | F.FOLLOWS])
    for (const md of [null, 4])
      for (const n of sizes) {
        const f = {type: T.PAYLOAD, streamId: 7, flags: fl, data: bytes(n, 9), metadata: null};
        if (md !== null) { f.flags |= F.METADATA; f.metadata = bytes(md, 10); }
        out.push(f);
      }
  for (const [sid, code, msg] of [[0, 1, 'bad setup'], [0, 0x101, ''], [9, 0x201, 'oops'],
                                  [9, 0x301, 'x'.repeat(2000)]])
    out.push({type: T.ERROR, streamId: sid, flags: 0, code, message: msg});
  out.push({type: T.METADATA_PUSH, streamId: 0, flags: F.METADATA, metadata: bytes(40, 11)});
  out.push({type: T.RESUME, streamId: 0, flags: 0, majorVersion: 1, minorVersion: 0,
            resumeToken: bytes(16, 12), serverPosition: 0x10, clientPosition: 0x8});
  out.push({type: T.RESUME_OK, streamId: 0, flags: 0, clientPosition: 0x42});
  return out;
}

// The tool's field set for a frame object (byte fields as hex).
function toolFields(f) {
  const o = {type: f.type, streamId: f.streamId, flags: f.flags};
  const hasMd = (f.flags & F.METADATA) !== 0;
  switch (f.type) {
    case T.SETUP:
      Object.assign(o, {majorVersion: f.majorVersion, minorVersion: f.minorVersion,
                        keepAlive: f.keepAlive, lifetime: f.lifetime,
                        metadataMimeType: hex(Buffer.from(f.metadataMimeType)),
                        dataMimeType: hex(Buffer.from(f.dataMimeType))});
      if (f.flags & F.RESUME_ENABLE) o.resumeToken = hex(f.resumeToken);
      break;
    case T.LEASE: Object.assign(o, {ttl: f.ttl, requestCount: f.requestCount}); break;
    case T.KEEPALIVE: o.lastReceivedPosition = f.lastReceivedPosition; break;
    case T.REQUEST_STREAM: case T.REQUEST_CHANNEL: case T.REQUEST_N: o.requestN = f.requestN; break;
    case T.ERROR: o.code = f.code; break;
    case T.RESUME:
      Object.assign(o, {majorVersion: f.majorVersion, minorVersion: f.minorVersion,
                        serverPosition: f.serverPosition, clientPosition: f.clientPosition,
                        resumeToken: hex(f.resumeToken)});
      break;
    case T.RESUME_OK: o.clientPosition = f.clientPosition; break;
  }
  if (f.type === T.METADATA_PUSH) o.metadata = hex(f.metadata);
  else o.metadata = hasMd && 'metadata' in f ? hex(f.metadata) : null;
  if (f.type === T.ERROR) o.data = hex(Buffer.from(f.message));
  else o.data = 'data' in f ? hex(f.data) : '';
  return o;
}

function name(f) {
  return `type ${f.type} sid ${f.streamId} flags 0x${f.flags.toString(16)}`;
}

// ---- 1. rsocket-js serializes, we decode (through segments of two sizes)
function jsToSkiff(list) {
  const wire = list.map(f => rs.serializeFrameWithLength(f, BufferEncoders).toString('hex'));
  for (const seg of ['1460', '7']) {
    const lines = run(['decode', seg], wire.join('\n') + '\n').trim().split('\n');
    check(lines.length === list.length, `decode(${seg}): ${lines.length} frames, want ${list.length}`);
    list.forEach((f, i) => {
      const got = JSON.parse(lines[i] || '{}');
      const want = toolFields(f);
      const bad = Object.keys(want).filter(k => String(got[k]) !== String(want[k]));
      check(!got.err && bad.length === 0,
            `js->skiff seg ${seg} ${name(f)}: ${got.err || 'fields ' + bad.join(',')}`);
    });
  }
}

// Compare an rsocket-js frame object decoded from our bytes with the original.
function sameJsFrame(a, b) {
  const bad = [];
  for (const k of ['type', 'streamId', 'flags', 'requestN', 'code', 'message', 'ttl',
                   'requestCount', 'lastReceivedPosition', 'majorVersion', 'minorVersion',
                   'keepAlive', 'lifetime', 'metadataMimeType', 'dataMimeType', 'serverPosition',
                   'clientPosition'])
    if (k in b && String(a[k]) !== String(b[k])) bad.push(k);
  for (const k of ['data', 'metadata', 'resumeToken'])
    if (k in b && hex(a[k]) !== hex(b[k])) bad.push(k);
  return bad;
}

// ---- 2. we encode, rsocket-js decodes (and the bytes equal rsocket-js's own)
function skiffToJs(list) {
  const input = list.map(f => JSON.stringify(toolFields(f))).join('\n') + '\n';
  const lines = run(['encode'], input).trim().split('\n');
  check(lines.length === list.length, `encode: ${lines.length} frames, want ${list.length}`);
  list.forEach((f, i) => {
    const buf = Buffer.from(lines[i] || '', 'hex');
    let got;
    try {
      got = rs.deserializeFrameWithLength(buf, BufferEncoders);
    } catch (e) {
      check(false, `skiff->js ${name(f)}: rsocket-js refused: ${e.message}`);
      return;
    }
    const bad = sameJsFrame(got, f);
    check(bad.length === 0, `skiff->js ${name(f)}: fields ${bad.join(',')}`);
    const theirs = rs.serializeFrameWithLength(f, BufferEncoders).toString('hex');
    check(theirs === lines[i], `skiff->js ${name(f)}: bytes differ from rsocket-js's`);
  });
}

// ---- 3. composite metadata, both directions
function metadata() {
  const M = rs;
  // rsocket-js encodes, we parse
  const samples = [
    [[M.MESSAGE_RSOCKET_ROUTING, M.encodeRoutes('svc.echo', 'tenant-7')]],
    [[M.MESSAGE_RSOCKET_AUTHENTICATION, M.encodeSimpleAuthMetadata('alice', 's3cret')]],
    [[M.MESSAGE_RSOCKET_AUTHENTICATION, M.encodeBearerAuthMetadata('tok.en')]],
    [[M.MESSAGE_RSOCKET_AUTHENTICATION, M.encodeCustomAuthMetadata('x-token', Buffer.from('abc'))]],
    [['app/x', Buffer.from([1, 2])], [M.APPLICATION_JSON, Buffer.from('{}')]],
    [[M.MESSAGE_RSOCKET_ROUTING, M.encodeRoute('r')],
     [M.MESSAGE_RSOCKET_AUTHENTICATION, M.encodeBearerAuthMetadata('t')],
     ['text/x.custom', Buffer.alloc(0)], [M.MESSAGE_RSOCKET_MIMETYPE, Buffer.from([0x85])]],
  ];
  const enc = samples.map(s => M.encodeCompositeMetadata(s).toString('hex'));
  const out = run(['mdparse'], enc.join('\n') + '\n').trim().split('\n').map(l => JSON.parse(l));
  samples.forEach((s, i) => {
    const got = out[i];
    check(got.ok && got.entries.length === s.length, `mdparse sample ${i}: ${JSON.stringify(got)}`);
    s.forEach(([key, val], j) => {
      const e = got.entries[j] || {};
      const wantMime = typeof key === 'string' ? hex(Buffer.from(key)) : String(key.identifier);
      check(String(e.mime) === wantMime && e.content === hex(val),
            `mdparse sample ${i} entry ${j}: mime ${e.mime} want ${wantMime}`);
      if (key === M.MESSAGE_RSOCKET_ROUTING) {
        const want = [...M.decodeRoutes(val)].map(r => hex(Buffer.from(r)));
        check(JSON.stringify(e.routes) === JSON.stringify(want), `mdparse routes ${i}`);
      }
      if (key === M.MESSAGE_RSOCKET_AUTHENTICATION) {
        const a = M.decodeAuthMetadata(val);
        const wantType = a.type.identifier >= 0 ? String(a.type.identifier)
                                                : hex(Buffer.from(a.type.string));
        let payload = a.payload;
        if (a.type.identifier === 0) {
          const up = M.decodeSimpleAuthPayload(a.payload);
          check(e.auth && e.auth.username === hex(up.username), `mdparse auth user ${i}`);
          payload = up.password;
        }
        check(e.auth && String(e.auth.type) === wantType && e.auth.payload === hex(payload),
              `mdparse auth ${i}: ${JSON.stringify(e.auth)}`);
      }
    });
  });

  // we encode, rsocket-js decodes
  const gen = run(['mdgen'], '').trim().split('\n').map(h => Buffer.from(h, 'hex'));
  const dec = b => [...M.decodeCompositeMetadata(b)];
  const routes = dec(gen[0]);
  check(routes.length === 1 && routes[0].mimeType === 'message/x.rsocket.routing.v0' &&
        JSON.stringify([...M.decodeRoutes(routes[0].content)]) ===
          JSON.stringify(['svc.echo', 'tenant-7']), 'mdgen routing');
  const simple = M.decodeAuthMetadata(dec(gen[1])[0].content);
  const up = M.decodeSimpleAuthPayload(simple.payload);
  check(simple.type.string === 'simple' && up.username.toString() === 'alice' &&
        up.password.toString() === 's3cret', 'mdgen simple auth');
  const bearer = M.decodeAuthMetadata(dec(gen[2])[0].content);
  check(bearer.type.string === 'bearer' && bearer.payload.toString() === 'tok.en',
        'mdgen bearer auth');
  const custom = M.decodeAuthMetadata(dec(gen[3])[0].content);
  check(custom.type.string === 'x-token' && custom.payload.toString() === 'abc',
        'mdgen custom auth');
  const mime = dec(gen[4])[0];
  check(mime.mimeType === 'message/x.rsocket.mimetype' ||
        mime.mimeType === 'message/x.rsocket.mime-type.v0', `mdgen mime entry ${mime.mimeType}`);
  check(mime.content.length === 1 && mime.content[0] === (0x80 | 0x05), 'mdgen mime content');
  const cust = dec(gen[5])[0];
  check(cust.mimeType === 'app/x' && hex(cust.content) === '0102', 'mdgen custom mime');
  const all = dec(gen[6]);
  check(all.length === 6, `mdgen all: ${all.length} entries`);
}

// rsocket-js 0.0.27's client sends METADATA_PUSH with M=0 (RSOCKET.md 2.11 says M=1): we refuse it
// as FLAGS, with the metadata view still filled so the engine can choose leniency.
function metadataPushWithoutM() {
  const f = {type: T.METADATA_PUSH, streamId: 0, flags: 0, metadata: bytes(12, 13)};
  const wire = rs.serializeFrameWithLength(f, BufferEncoders).toString('hex');
  const got = JSON.parse(run(['decode', '5'], wire + '\n').trim());
  check(got.err === 'FLAGS' && got.metadata === hex(f.metadata),
        `METADATA_PUSH M=0: ${JSON.stringify(got)}`);
}

const list = frames();
metadataPushWithoutM();
jsToSkiff(list);
skiffToJs(list);
metadata();
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
