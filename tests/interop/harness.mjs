// Interop harness: third-party software on the other side of the SDK.
//
//   Kamailio (Debian)  — SIP-over-WebSocket registrar and proxy, started by run.sh
//   JsSIP (npm)        — in headless Chromium (Debian), driven by playwright-core,
//                        microphone = Chromium's fake capture of a tone wav
//   SDK peer (Go)      — tests/interop/sdkpeer, the SDK's own core/rtc phone,
//                        driven over stdin/stdout with JSON lines
//
// Every test checks audio both ways by detecting a known tone on the far
// side. Prints one line per test and a final "N passed, N failed".
//
// Environment (set by run.sh): KAMAILIO_WS, SIP_DOMAIN, WORK (scratch dir),
// SDK_PEER (the built core/rtc peer; when empty the SDK tests fail),
// REF_PEER (the built reference sipgo + pion peer), PBX_PEER (ccsim's
// simulated PBX, tests/interop/pbxpeer), AGENT_PEER (the SDK agent,
// tests/interop/agentpeer), BARESIP, KAMAILIO_UDP, AUDIO_PULSE (the
// private PulseAudio of gateway-device-mode).

import { chromium } from 'playwright-core';
import * as esbuild from 'esbuild';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { spawn, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const WS = process.env.KAMAILIO_WS;
const DOMAIN = process.env.SIP_DOMAIN || 'interop.test';
const WORK = process.env.WORK || fs.mkdtempSync('/tmp/interop-');
const SDK_PEER = process.env.SDK_PEER || '';
const REF_PEER = process.env.REF_PEER || '';
const PBX_PEER = process.env.PBX_PEER || '';
const AGENT_PEER = process.env.AGENT_PEER || '';
const KAMAILIO_UDP = process.env.KAMAILIO_UDP || '';
const BARESIP = process.env.BARESIP || '';
// AUDIO_PULSE: the private PulseAudio run.sh starts (tests/audio/pulse.sh)
// for gateway-device-mode. Only that test's agent and its pactl/parec/paplay
// get it as PULSE_SERVER: Chromium and the other peers see no sound server.
const AUDIO_PULSE = process.env.AUDIO_PULSE || '';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ONLY = process.env.ONLY || '';
const TEST_TIMEOUT = 60_000;
// REPEAT=N runs the (selected) tests N times over, for flakiness hunts.
const REPEAT = Math.max(1, parseInt(process.env.REPEAT || '1', 10) || 1);

// Users known to Kamailio (run.sh puts the same list in kamailio.cfg).
const USERS = {
  '2001': 'pw2001',
  '2002': 'pw2002',
  '1001': 'pw1001', // the SDK phone
  '1002': 'pw1002', // the reference Go phone
  '1003': 'pw1003', // the SDK agent behind the gateway (agentpeer)
  '1004': 'pw1004', // the SDK agent in device mode (agentpeer, gateway-device-mode)
  '3001': 'pw3001', // baresip, a plain SIP phone on UDP (RTP/AVP through rtpengine)
};

const toneBrowserA = 440; // what browser A's microphone plays
const toneBrowserB = 660; // browser B
const toneSDK = 1000; // what the SDK peer plays
const toneBaresip = 440; // what baresip plays (its ausine module)

function log(...a) {
  console.log(new Date().toISOString().slice(11, 23), ...a);
}

// ---- helpers ----

function writeWav(file, freq, seconds = 30, rate = 48000) {
  const n = seconds * rate;
  const buf = Buffer.alloc(44 + n * 2);
  buf.write('RIFF', 0);
  buf.writeUInt32LE(36 + n * 2, 4);
  buf.write('WAVE', 8);
  buf.write('fmt ', 12);
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20); // PCM
  buf.writeUInt16LE(1, 22); // mono
  buf.writeUInt32LE(rate, 24);
  buf.writeUInt32LE(rate * 2, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36);
  buf.writeUInt32LE(n * 2, 40);
  for (let i = 0; i < n; i++) {
    buf.writeInt16LE(Math.round(10000 * Math.sin((2 * Math.PI * freq * i) / rate)), 44 + i * 2);
  }
  fs.writeFileSync(file, buf);
}

async function waitFor(what, fn, timeoutMs = 15000, everyMs = 100) {
  const end = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last && last.ok !== false) return last;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

function serveWeb() {
  const bundle = esbuild.buildSync({
    entryPoints: [path.join(here, 'node_modules/jssip/lib/JsSIP.js')],
    bundle: true,
    format: 'iife',
    globalName: 'JsSIP',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  }).outputFiles[0].text;
  const files = {
    '/': ['text/html', fs.readFileSync(path.join(here, 'web/page.html'))],
    '/page.js': ['text/javascript', fs.readFileSync(path.join(here, 'web/page.js'))],
    '/jssip.js': ['text/javascript', bundle],
  };
  const srv = http.createServer((req, res) => {
    const f = files[req.url.split('?')[0]];
    if (!f) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': f[0] }).end(f[1]);
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve(srv)));
}

// A browser process whose fake microphone plays one tone.
async function launchBrowser(name, toneHz) {
  const wav = path.join(WORK, `tone-${toneHz}.wav`);
  if (!fs.existsSync(wav)) writeWav(wav, toneHz);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    handleSIGTERM: false,
    handleSIGINT: false,
    handleSIGHUP: false,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-audio-capture=${wav}`,
      '--autoplay-policy=no-user-gesture-required',
      '--allow-loopback-in-peer-connection',
      '--disable-features=WebRtcHideLocalIpsWithMdns,OptimizationHints,MediaRouter,DialMediaRouteProvider,Translate,AutofillServerCommunication,InterestFeedContentSuggestions',
      '--disable-extensions',
      '--disable-default-apps',
      '--disable-domain-reliability',
      '--disable-client-side-phishing-detection',
      '--disable-breakpad',
      '--no-pings',
      // No name lookups at all: every host but the loopback is "not found".
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost',
    ],
  });
  return { name, toneHz, browser };
}

async function openPhone(b, webURL, user, opts = {}) {
  const ctx = await b.browser.newContext({ permissions: ['microphone'] });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => log(`[${b.name}] page error: ${e.message}`));
  await page.goto(webURL);
  await page.evaluate(
    (o) => window.peer.start(o),
    {
      ws: opts.ws || WS,
      uri: `sip:${user}@${opts.domain || DOMAIN}`,
      password: opts.password || USERS[user],
      display: b.name,
    },
  );
  return { ...b, user, page, ctx };
}

const measure = (phone, f) => phone.page.evaluate((f) => window.peer.measure(f), f);

async function expectTone(phone, f, what) {
  return waitFor(
    `${what}: ${f} Hz at ${phone.name}`,
    async () => {
      const m = await measure(phone, f);
      return { ...m, ok: m.ratio > 0.5 && Math.abs(m.peakHz - f) <= 4 };
    },
    15000,
  );
}

async function expectEnded(phone) {
  return waitFor(`${phone.name} sees the call end`, () =>
    phone.page.evaluate(() => (window.peer.ended.length > 0 ? window.peer.ended[window.peer.ended.length - 1] : { ok: false })),
  );
}

async function resetPhone(phone) {
  await phone.page.evaluate(() => {
    window.peer.hangup();
    window.peer.ended = [];
    window.peer.incoming = [];
    window.peer.session = null;
    window.peer.analyser = null;
    window.peer.acceptedRecordRoute = null;
    window.peer.dtmfInfo = [];
    window.peer.infos = [];
    window.peer.dtmfAudio = [];
    if (window.peer.dtmfNode) window.peer.dtmfNode.disconnect();
    window.peer.dtmfNode = null;
  });
}

// ---- the Go SDK peer ----

class SDKPeer {
  constructor(bin, env = process.env) {
    this.proc = spawn(bin, [], { stdio: ['pipe', 'pipe', 'inherit'], env });
    this.waiters = new Map();
    this.nextID = 1;
    this.events = [];
    readline.createInterface({ input: this.proc.stdout }).on('line', (line) => {
      let msg;
      try {
        msg = JSON.parse(line);
      } catch {
        log('[sdk] ' + line);
        return;
      }
      if (msg.event) {
        this.events.push(msg);
        return;
      }
      const w = this.waiters.get(msg.id);
      this.waiters.delete(msg.id);
      if (w) w(msg);
      else log(`[peer] late reply ${line}`);
    });
    this.exited = new Promise((r) => this.proc.on('exit', r));
  }
  cmd(obj, timeoutMs = 20000) {
    const id = this.nextID++;
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiters.delete(id);
        reject(new Error(`peer: no reply to ${obj.cmd}`));
      }, timeoutMs);
      this.waiters.set(id, (msg) => {
        clearTimeout(t);
        if (msg.error) reject(new Error(`peer ${obj.cmd}: ${msg.error}`));
        else resolve(msg);
      });
      this.proc.stdin.write(JSON.stringify({ ...obj, id }) + '\n');
    });
  }
  // waitEvent resolves with the first unsolicited line (past or future) that pred accepts.
  async waitEvent(what, pred, timeoutMs = 15000) {
    return waitFor(what, () => this.events.find(pred) || { ok: false }, timeoutMs, 50);
  }
  async close() {
    try {
      await this.cmd({ cmd: 'quit' }, 5000);
    } catch {}
    this.proc.stdin.end();
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}

// ---- baresip: a plain SIP softphone from Debian, driven over ctrl_tcp ----

// freePort returns a port free for both TCP and UDP on 127.0.0.1.
async function freePort() {
  const net = await import('node:net');
  const dgram = await import('node:dgram');
  for (;;) {
    const s = net.createServer();
    await new Promise((r) => s.listen(0, '127.0.0.1', r));
    const port = s.address().port;
    const u = dgram.createSocket('udp4');
    const ok = await new Promise((r) => { u.once('error', () => r(false)); u.bind(port, '127.0.0.1', () => r(true)); });
    await new Promise((r) => s.close(r));
    if (ok) {
      await new Promise((r) => u.close(r));
      return port;
    }
  }
}

// freePortPair returns p with p and p+1 free for TCP and UDP (baresip
// takes sip_listen's port + 1 for SIP over TLS).
async function freePortPair() {
  const net = await import('node:net');
  for (;;) {
    const p = await freePort();
    const s = net.createServer();
    const ok = await new Promise((r) => { s.once('error', () => r(false)); s.listen(p + 1, '127.0.0.1', () => r(true)); });
    if (ok) {
      await new Promise((r) => s.close(r));
      return p;
    }
  }
}

class Baresip {
  // start runs baresip, with new ports when it could not bind its own
  // (another process took one meanwhile).
  async start(user) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.startOnce(user);
      } catch (e) {
        if (this.proc) this.proc.kill('SIGKILL');
        if (attempt === 3) throw e;
        log(`baresip did not start (try ${attempt}): ${e.message}`);
      }
    }
  }

  // start writes a config (UDP SIP on 127.0.0.1, G.711 only, its microphone a
  // 440 Hz sine, received audio dumped to WAV by sndfile, ctrl_tcp) and
  // registers user at Kamailio's UDP listener.
  async startOnce(user) {
    this.user = user;
    this.dir = path.join(WORK, 'baresip');
    this.dumps = path.join(this.dir, 'dumps');
    fs.mkdirSync(this.dumps, { recursive: true });
    const sipPort = await freePortPair();
    const ctrlPort = await freePort();
    const rtpBase = 20000 + Math.floor(Math.random() * 400) * 100;
    fs.writeFileSync(path.join(this.dir, 'config'), [
      'poll_method epoll',
      `sip_listen 127.0.0.1:${sipPort}`,
      'net_interface 127.0.0.1',
      'dns_server 127.0.0.1:53',
      'call_local_timeout 120',
      'call_max_calls 4',
      `audio_source ausine,${toneBaresip}`,
      'audio_player alsa,null',
      'audio_alert alsa,null',
      'ausrc_srate 48000',
      'ausrc_channels 2',
      'audio_level no',
      `rtp_ports ${rtpBase}-${rtpBase + 99}`,
      'rtp_timeout 0',
      'module_path /usr/lib/baresip/modules',
      'module g711.so',
      'module ausine.so',
      'module alsa.so',
      'module sndfile.so',
      `snd_path ${this.dumps}`,
      'module_app account.so',
      'module_app menu.so',
      'module_app ctrl_tcp.so',
      `ctrl_tcp_listen 127.0.0.1:${ctrlPort}`,
      '',
    ].join('\n'));
    fs.writeFileSync(path.join(this.dir, 'accounts'),
      `<sip:${user}@${DOMAIN};transport=udp>;auth_pass=${USERS[user]};outbound="sip:${KAMAILIO_UDP};transport=udp";regint=600;answermode=manual;audio_codecs=PCMU,PCMA;ptime=20\n`);
    this.log = fs.openSync(path.join(WORK, 'baresip.log'), 'a');
    this.proc = spawn(BARESIP, ['-f', this.dir], { stdio: ['ignore', this.log, this.log] });
    this.exited = new Promise((r) => this.proc.on('exit', r));
    this.events = [];
    this.buf = Buffer.alloc(0);
    this.waiters = [];
    const net = await import('node:net');
    let dead = false;
    this.exited.then(() => { dead = true; });
    await waitFor('baresip ctrl_tcp', () => new Promise((resolve, reject) => {
      if (dead) {
        reject(new Error(`baresip exited: ${fs.readFileSync(path.join(WORK, 'baresip.log'), 'utf8').split('\n').slice(-6).join(' | ')}`));
        return;
      }
      const sock = net.connect(ctrlPort, '127.0.0.1');
      sock.once('connect', () => { this.sock = sock; resolve(true); });
      sock.once('error', () => resolve({ ok: false }));
    }), 15000, 100);
    this.sock.on('data', (d) => this.onData(d));
    // Registration may be over before ctrl_tcp is connected (its event
    // lost): ask.
    await waitFor('baresip registered at Kamailio', async () => {
      const r = await this.cmd('reginfo');
      return /\bOK\b/.test((r.data || '').replace(/\x1b\[[0-9;]*m/g, ' ')) ? r : { ok: false, data: r.data };
    }, 15000, 200);
  }
  onData(d) {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      const colon = this.buf.indexOf(0x3a);
      if (colon < 0) return;
      const n = parseInt(this.buf.subarray(0, colon).toString(), 10);
      if (this.buf.length < colon + 1 + n + 1) return;
      const msg = JSON.parse(this.buf.subarray(colon + 1, colon + 1 + n).toString());
      this.buf = this.buf.subarray(colon + 1 + n + 1);
      if (msg.event) {
        msg.at = Date.now();
        this.events.push(msg);
      } else {
        const w = this.waiters.shift();
        if (w) w(msg);
      }
    }
  }
  cmd(command, params = '') {
    const b = Buffer.from(JSON.stringify({ command, params, token: 'h' }));
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`baresip: no reply to ${command}`)), 10000);
      this.waiters.push((m) => { clearTimeout(t); resolve(m); });
      this.sock.write(Buffer.concat([Buffer.from(`${b.length}:`), b, Buffer.from(',')]));
    });
  }
  // waitEvent resolves with the first event (past or future) after index
  // `from` that pred accepts.
  waitEvent(what, pred, timeoutMs = 15000, from = 0) {
    return waitFor(what, () => this.events.slice(from).find(pred) || { ok: false }, timeoutMs, 20);
  }
  mark() { return this.events.length; }
  // lastReceivedWAV returns the newest dump of received (decoded) audio.
  lastReceivedWAV() {
    const files = fs.readdirSync(this.dumps).filter((f) => f.endsWith('-dec.wav'))
      .map((f) => ({ f, t: fs.statSync(path.join(this.dumps, f)).mtimeMs })).sort((a, b) => a.t - b.t);
    if (!files.length) throw new Error('baresip dumped no received audio');
    return path.join(this.dumps, files[files.length - 1].f);
  }
  async close() {
    try { await this.cmd('quit'); } catch {}
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(t);
    fs.closeSync(this.log);
  }
}

// readWav returns { rate, samples } (first channel, 16-bit PCM) of a WAV file.
function readWav(file) {
  const b = fs.readFileSync(file);
  let rate = 0, channels = 1, bits = 16, data = null;
  for (let off = 12; off + 8 <= b.length;) {
    const id = b.toString('ascii', off, off + 4);
    let size = b.readUInt32LE(off + 4);
    if (id === 'fmt ') {
      channels = b.readUInt16LE(off + 10);
      rate = b.readUInt32LE(off + 12);
      bits = b.readUInt16LE(off + 22);
    } else if (id === 'data') {
      if (size === 0 || off + 8 + size > b.length) size = b.length - off - 8; // header not finalized
      data = b.subarray(off + 8, off + 8 + size);
      break;
    }
    off += 8 + size + (size & 1);
  }
  if (!data || bits !== 16 || !rate) throw new Error(`${file}: not 16-bit PCM WAV (bits ${bits}, rate ${rate})`);
  const n = Math.floor(data.length / 2 / channels);
  const samples = new Float64Array(n);
  for (let i = 0; i < n; i++) samples[i] = data.readInt16LE(i * 2 * channels);
  return { rate, samples };
}

// toneWindows counts the 100 ms windows of pcm where freq carries more than
// 80 % of the energy (Goertzel against the window's total energy).
function toneWindows({ rate, samples }, freq) {
  const win = Math.floor(rate / 10);
  let good = 0, loud = 0;
  const levels = []; // the tone's level in each good window, dBFS
  const w = 2 * Math.cos((2 * Math.PI * freq) / rate);
  for (let off = 0; off + win <= samples.length; off += win) {
    let s1 = 0, s2 = 0, e = 0;
    for (let i = 0; i < win; i++) {
      const x = samples[off + i];
      e += x * x;
      const s0 = x + w * s1 - s2;
      s2 = s1;
      s1 = s0;
    }
    if (e / win < 1e4) continue; // silence (below about -50 dBFS)
    loud++;
    const p = s1 * s1 + s2 * s2 - w * s1 * s2;
    if ((2 * p) / win / e > 0.8) {
      good++;
      levels.push(20 * Math.log10((2 * Math.sqrt(Math.max(p, 0))) / win / 32768));
    }
  }
  levels.sort((a, b) => a - b);
  // dbfs: the median level of the tone where it dominates (-120: nowhere).
  return { good, loud, dbfs: levels.length ? levels[levels.length >> 1] : -120 };
}

// goertzelDBFS is the level of freq in samples, dBFS of a full-scale sine.
function goertzelDBFS(samples, freq, rate) {
  const w = 2 * Math.cos((2 * Math.PI * freq) / rate);
  let s1 = 0, s2 = 0;
  for (const x of samples) {
    const s0 = x + w * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const p = Math.max(0, s1 * s1 + s2 * s2 - w * s1 * s2);
  return p > 0 ? 20 * Math.log10((2 * Math.sqrt(p)) / samples.length / 32768) : -120;
}

// ---- the private PulseAudio (gateway-device-mode) ----

const pulseEnv = () => ({ ...process.env, PULSE_SERVER: AUDIO_PULSE });

function pactl(...args) {
  try {
    return execFileSync('pactl', args, { env: pulseEnv(), encoding: 'utf8', timeout: 10000 }).trim();
  } catch (e) {
    throw new Error(`pactl ${args.join(' ')}: ${(e.stderr || e.message || '').toString().trim()}`);
  }
}

// pulseStreams counts the streams on a device: playback streams (sink
// inputs) into a sink, or capture streams (source outputs) from a source.
function pulseStreams(kind, name) {
  const dev = pactl('list', 'short', kind === 'sink' ? 'sinks' : 'sources').split('\n')
    .map((l) => l.split('\t')).find((f) => f[1] === name);
  if (!dev) throw new Error(`no PulseAudio ${kind} ${name}`);
  return pactl('list', 'short', kind === 'sink' ? 'sink-inputs' : 'source-outputs').split('\n')
    .map((l) => l.split('\t')).filter((f) => f[1] === dev[0]).length;
}

// PulseRecorder keeps what parec records from a source: mono, 16-bit, rate.
class PulseRecorder {
  constructor(source, rate = 8000) {
    this.rate = rate;
    this.chunks = [];
    this.bytes = 0;
    this.proc = spawn('parec', ['--raw', '--format=s16le', '--channels=1', `--rate=${rate}`, '--latency-msec=20', '-d', source],
      { env: pulseEnv(), stdio: ['ignore', 'pipe', 'inherit'] });
    this.proc.on('error', (e) => log(`  parec ${source}: ${e.message}`));
    this.proc.stdout.on('data', (d) => { this.chunks.push(d); this.bytes += d.length; });
  }
  get length() { return this.bytes >> 1; }
  // pcm returns samples [from, to) as readWav does.
  pcm(from = 0, to = this.length) {
    to = Math.min(to, this.length);
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    const buf = this.chunks[0] || Buffer.alloc(0);
    const samples = new Float64Array(Math.max(0, to - from));
    for (let i = 0; i < samples.length; i++) samples[i] = buf.readInt16LE((from + i) * 2);
    return { rate: this.rate, samples };
  }
  stop() { this.proc.kill('SIGTERM'); }
}

const setupTimes = [];

// measureSetup logs, and keeps for the summary, how long after the SDK's
// 200 OK (or the 200 it received) the first audio arrived each way through
// the gateway: at the SDK (its first received packet) and at baresip (its
// CALL_RTPESTAB event).
async function measureSetup(name, agentPeer, callID, estab) {
  const tm = await waitFor('first audio at the SDK', async () => {
    const t = await agentPeer.cmd({ cmd: 'timings', call_id: callID });
    return t.first_audio_ms > 0 && t.answered_ms > 0 ? t : { ...t, ok: false };
  }, 15000, 20);
  const atSDK = tm.first_audio_ms - tm.answered_ms;
  const atBaresip = estab.at - tm.answered_ms;
  setupTimes.push({ test: name, sdk_ms: +atSDK.toFixed(1), baresip_ms: +atBaresip.toFixed(1) });
  log(`  setup through the gateway: 200 OK → first audio at the SDK ${atSDK.toFixed(1)} ms, at baresip ${atBaresip.toFixed(1)} ms`);
}

// ---- tests ----

const tests = [];
const test = (name, fn, needs = []) => tests.push({ name, fn, needs });

test('jssip-to-jssip: call through Kamailio, tones both ways, hang up', async (env) => {
  const a = env.phoneA;
  const b = env.phoneB;
  const answered = waitFor('incoming at B', () => b.page.evaluate(() => (window.peer.incoming.length ? true : { ok: false })));
  const calling = a.page.evaluate((t) => window.peer.call(t), `sip:${b.user}@${DOMAIN}`);
  await answered;
  await b.page.evaluate(() => window.peer.answer());
  await calling;
  const atA = await expectTone(a, toneBrowserB, 'B→A');
  const atB = await expectTone(b, toneBrowserA, 'A→B');
  log(`  A hears ${atA.peakHz} Hz (ratio ${atA.ratio.toFixed(2)}), B hears ${atB.peakHz} Hz (ratio ${atB.ratio.toFixed(2)})`);
  await a.page.evaluate(() => window.peer.hangup());
  const end = await expectEnded(b);
  if (end.originator !== 'remote') throw new Error('B: call ended by ' + end.originator);
});

test('jssip-to-jssip: reverse call, hold/unhold by re-INVITE through Kamailio, callee hangs up', async (env) => {
  const a = env.phoneA;
  const b = env.phoneB;
  const incoming = waitFor('incoming at A', () => a.page.evaluate(() => (window.peer.incoming.length ? true : { ok: false })));
  const calling = b.page.evaluate((t) => window.peer.call(t), `sip:${a.user}@${DOMAIN}`);
  await incoming;
  await a.page.evaluate(() => window.peer.answer());
  await calling;
  await expectTone(a, toneBrowserB, 'B→A');
  await expectTone(b, toneBrowserA, 'A→B');
  // A holds: re-INVITE a=sendonly, B answers recvonly (B stops sending);
  // JsSIP also mutes the holder's microphone, so both sides go quiet.
  const held = await a.page.evaluate(() => window.peer.hold(true));
  if (!held.local) throw new Error('A not on hold: ' + JSON.stringify(held));
  const silent = async (p, f) => {
    const m = await measure(p, f);
    return { ...m, ok: m.rmsDb < -60 };
  };
  const quietA = await waitFor('silence at A while holding', () => silent(a, toneBrowserB));
  const quietB = await waitFor('silence at B while held', () => silent(b, toneBrowserA));
  await a.page.evaluate(() => window.peer.hold(false));
  await expectTone(a, toneBrowserB, 'B→A after unhold');
  await expectTone(b, toneBrowserA, 'A→B after unhold');
  log(`  on hold A heard ${quietA.rmsDb.toFixed(0)} dBFS, B ${quietB.rmsDb.toFixed(0)} dBFS; both tones back after unhold`);
  await a.page.evaluate(() => window.peer.hangup());
  const end = await expectEnded(b);
  if (end.originator !== 'remote') throw new Error('B: call ended by ' + end.originator);
});

// The same two tests for each Go peer: the SDK's core/rtc phone ("sdk")
// and the reference sipgo + pion phone ("refphone"), which tells a harness
// or Kamailio problem (both fail) from an SDK one (only the SDK fails).
for (const peerName of ['refphone', 'sdk']) {
  test(`${peerName}-answers-browser: JsSIP calls the ${peerName} phone, tones both ways, browser hangs up`, async (env) => {
    const a = env.phoneA;
    const peer = env.peers[peerName];
    const calling = a.page.evaluate((t) => window.peer.call(t), `sip:${peer.user}@${DOMAIN}`);
    const inc = await peer.cmd({ cmd: 'wait_incoming', timeout_ms: 15000 });
    log(`  ${peerName} got INVITE ${inc.call} from ${inc.from || '?'}`);
    const answering = peer.cmd({ cmd: 'answer', call: inc.call });
    answering.catch(() => {}); // awaited below, after the Record-Route check
    // A failed answer fails the test at once, with the peer's reason.
    await Promise.race([calling, answering.then(() => new Promise(() => {}), (e) => {
      throw new Error(`${peerName} answer failed: ${e.message || e}`);
    })]);
    // Kamailio record-routed the INVITE: the 200 must carry it back (RFC 3261
    // §12.1.1), or JsSIP's ACK and BYE have no route to the ${peerName} phone.
    const rr = await a.page.evaluate(() => window.peer.acceptedRecordRoute || []);
    if (rr.length === 0) {
      throw new Error(`the ${peerName} phone's 200 OK to a record-routed INVITE carries no Record-Route (RFC 3261 §12.1.1): the browser's ACK and BYE cannot reach it through Kamailio`);
    }
    await answering;
    const atA = await expectTone(a, toneSDK, `${peerName}→browser`);
    const atPeer = await waitFor(`browser→${peerName} tone`, async () => {
      const r = await peer.cmd({ cmd: 'tone', call: inc.call, freq: toneBrowserA });
      return { ...r, ok: r.ratio > 0.5 };
    });
    log(`  browser hears ${atA.peakHz} Hz (ratio ${atA.ratio.toFixed(2)}), ${peerName} hears ratio ${atPeer.ratio.toFixed(2)} at ${toneBrowserA} Hz (peak ${atPeer.peak_hz})`);
    await a.page.evaluate(() => window.peer.hangup());
    await peer.cmd({ cmd: 'wait_ended', call: inc.call, timeout_ms: 10000 });
  }, [peerName]);

  test(`${peerName}-calls-browser: the ${peerName} phone calls JsSIP, tones both ways, ${peerName} hangs up`, async (env) => {
    const a = env.phoneA;
    const peer = env.peers[peerName];
    const incoming = waitFor('INVITE at browser', () => a.page.evaluate(() => (window.peer.incoming.length ? true : { ok: false })));
    const placed = peer.cmd({ cmd: 'call', target: `sip:${a.user}@${DOMAIN}`, timeout_ms: 20000 }, 25000);
    await incoming;
    await a.page.evaluate(() => window.peer.answer());
    const call = await placed;
    const atA = await expectTone(a, toneSDK, `${peerName}→browser`);
    const atPeer = await waitFor(`browser→${peerName} tone`, async () => {
      const r = await peer.cmd({ cmd: 'tone', call: call.call, freq: toneBrowserA });
      return { ...r, ok: r.ratio > 0.5 };
    });
    log(`  browser hears ${atA.peakHz} Hz (ratio ${atA.ratio.toFixed(2)}), ${peerName} hears ratio ${atPeer.ratio.toFixed(2)} at ${toneBrowserA} Hz (peak ${atPeer.peak_hz})`);
    await peer.cmd({ cmd: 'hangup', call: call.call });
    const end = await expectEnded(a);
    if (end.originator !== 'remote') throw new Error('browser: call ended by ' + end.originator);
  }, [peerName]);
}

test('sdk-dtmf-to-browser: the SDK phone sends RFC 4733 and SIP INFO digits, JsSIP gets them', async (env) => {
  const a = env.phoneA;
  const peer = env.peers.sdk;
  const incoming = waitFor('INVITE at browser', () => a.page.evaluate(() => (window.peer.incoming.length ? true : { ok: false })));
  const placed = peer.cmd({ cmd: 'call', target: `sip:${a.user}@${DOMAIN}`, timeout_ms: 20000 }, 25000);
  await incoming;
  await a.page.evaluate(() => window.peer.answer());
  const call = await placed;
  await expectTone(a, toneSDK, 'sdk→browser');
  // RFC 4733: Chromium plays received telephone-events out as the digit's
  // tone pair; the page's detector hears them in the remote audio.
  await peer.cmd({ cmd: 'dtmf', call: call.call, digits: '159#', mode: 'rfc4733' });
  const rfc = await waitFor('RFC 4733 digits played out by the browser', async () => {
    const d = await a.page.evaluate(() => window.peer.dtmfAudio.join(''));
    return { digits: d, ok: d === '159#' };
  }, 5000, 50);
  // SIP INFO application/dtmf-relay: JsSIP's newDTMF, one per INFO.
  await peer.cmd({ cmd: 'dtmf', call: call.call, digits: '3*', mode: 'info' });
  const info = await waitFor('INFO digits at JsSIP (newDTMF)', async () => {
    const d = await a.page.evaluate(() => window.peer.dtmfInfo.join(''));
    return { digits: d, ok: d === '3*' };
  }, 5000, 50);
  const audioAfter = await a.page.evaluate(() => window.peer.dtmfAudio.join(''));
  if (audioAfter !== '159#') throw new Error(`INFO digits also heard in the audio: ${audioAfter}`);
  log(`  browser heard RFC 4733 ${rfc.digits} (NetEq playout), JsSIP got INFO ${info.digits} (newDTMF)`);
  await expectTone(a, toneSDK, 'sdk→browser after DTMF');
  await peer.cmd({ cmd: 'hangup', call: call.call });
  const end = await expectEnded(a);
  if (end.originator !== 'remote') throw new Error('browser: call ended by ' + end.originator);
}, ['sdk']);

test('jssip-with-ccsim-pbx: JsSIP registers to the simulated PBX, auto-answer call, tones, DTMF (RFC 4733, INFO), hold, PBX hangs up', async (env) => {
  const pbx = env.pbx;
  const ext = '3001';
  await pbx.cmd({ cmd: 'user', ext, password: 'pw' + ext });
  const c = await openPhone(env.browserA, env.webURL, ext, { ws: env.pbxWS, domain: env.pbxDomain, password: 'pw' + ext });
  env.extraPhones.push(c);
  const reg = await pbx.cmd({ cmd: 'wait_registered', ext });
  log(`  PBX registered ${ext}: ${reg.contact} (${reg.user_agent})`);
  const uuid = 'jssip-' + Date.now();
  await pbx.cmd({ cmd: 'invite', ext, uuid, auto_answer: true, audio: 3, video: 0 });
  const inc = await waitFor('INVITE at the browser', () => c.page.evaluate(() => window.peer.incoming[0] || { ok: false }));
  if (inc.uuid !== uuid || !/answer-after=0/.test(inc.callInfo)) throw new Error('INVITE headers: ' + JSON.stringify(inc));
  await c.page.evaluate(() => window.peer.answer());
  await pbx.cmd({ cmd: 'wait_answered', uuid });
  const heard = await expectTone(c, 1000, 'PBX→browser');
  const snap = async () => (await pbx.cmd({ cmd: 'snapshot', uuid })).snapshot;
  const s1 = await waitFor('browser tone at the PBX', async () => {
    const s = await snap();
    return { ...s, ok: s.rx > 20 && Math.abs(s.peak_hz - toneBrowserA) <= 3 && s.peak_ratio > 0.8 };
  });
  log(`  browser hears ${heard.peakHz} Hz; PBX hears ${s1.peak_hz} Hz (ratio ${s1.peak_ratio.toFixed(2)}, ${s1.codec}, setup ${s1.setup_ms} ms)`);
  await c.page.evaluate(() => window.peer.sendDTMF('12', 'RFC2833'));
  await waitFor('RFC 4733 digits at the PBX', async () => {
    const s = await snap();
    return { digits: s.digits, ok: s.digits === '12' && s.dtmf.every((d) => d.Mode === 'rfc4733') };
  });
  await c.page.evaluate(() => window.peer.sendDTMF('3#', 'INFO'));
  const s2 = await waitFor('INFO digits at the PBX', async () => {
    const s = await snap();
    return { digits: s.digits, modes: s.dtmf.map((d) => d.Mode), ok: s.digits === '123#' && s.dtmf[3].Mode === 'info' };
  });
  log(`  PBX got DTMF ${s2.digits} (${s2.modes.join(',')})`);
  await pbx.cmd({ cmd: 'hold', uuid, on: true });
  const held = await waitFor('no media either way on hold', async () => {
    const s = await snap();
    return { ...s, ok: s.held && s.rx_idle_ms > 300 && s.tx_idle_ms > 300 };
  });
  await waitFor('silence at the browser on hold', async () => {
    const m = await measure(c, 1000);
    return { ...m, ok: m.rmsDb < -60 };
  });
  await pbx.cmd({ cmd: 'hold', uuid, on: false });
  await waitFor('media back after unhold', async () => {
    const s = await snap();
    return { ...s, ok: !s.held && s.rx > held.rx + 20 && s.rx_idle_ms < 100 };
  });
  await expectTone(c, 1000, 'PBX→browser after unhold');
  log(`  hold: agent SDP ${held.audio} (inactive = 0), media idle ${held.rx_idle_ms} ms in, ${held.tx_idle_ms} ms out; back after unhold`);
  await pbx.cmd({ cmd: 'hangup', uuid });
  const end = await expectEnded(c);
  if (end.originator !== 'remote') throw new Error('browser: call ended by ' + end.originator);
}, ['pbx']);

// ---- behind a real WebRTC gateway: Kamailio + rtpengine + baresip ----
//
// The SDK agent (agentpeer: core/agent with its CTI session at a stand-in
// of the platform's CTI server) registers 1003 at Kamailio over WebSocket;
// baresip (3001) is a plain SIP phone on UDP. Kamailio hands their calls
// to rtpengine, which speaks WebRTC (ICE, DTLS-SRTP, AVPF; no BUNDLE, no
// a=mid) to the SDK and RTP/AVP to baresip. Nothing carries X-CC-UUID or
// an auto-answer hint.

const AGENT_EXT = '1003';

// expectBaresipHears checks the audio baresip received during the call
// that just ended holds the tone (at least 1 s of it, in most loud windows).
function expectBaresipHears(bs, freq) {
  const file = bs.lastReceivedWAV();
  const wav = readWav(file);
  const { good, loud, dbfs } = toneWindows(wav, freq);
  if (good < 10 || good < 0.7 * loud) {
    throw new Error(`baresip heard ${freq} Hz in ${good} of ${loud} loud 100 ms windows (${path.basename(file)}, ${wav.rate} Hz)`);
  }
  return { good, loud, dbfs };
}

// talkFor waits until the SDK has sent n more packets on the current call
// (n/50 s of audio), so the far side has enough of it to analyse.
async function talkFor(ap, n) {
  const st0 = (await ap.cmd({ cmd: 'stats' })).stats;
  return waitFor(`${n} more packets sent by the SDK`, async () => {
    const st = (await ap.cmd({ cmd: 'stats' })).stats;
    return st.packets_sent >= st0.packets_sent + n ? st : { ok: false, sent: st.packets_sent };
  }, 15000, 100);
}

async function agentHears(ap, freq, what) {
  return waitFor(what, async () => {
    const r = await ap.cmd({ cmd: 'tone', freq });
    return { ...r, ok: r.ratio > 0.8 && Math.abs(r.peak_hz - freq) <= 5 };
  });
}

test('gateway-inbound: baresip calls the SDK agent through Kamailio + rtpengine; it rings, a CTI callin ties it, answered through CTI; tones both ways; RFC 4733 digits reach baresip; baresip hangs up', async (env) => {
  const ap = env.peers.agent;
  const bs = env.baresip;
  const m0 = bs.mark();
  await bs.cmd('dial', `sip:${AGENT_EXT}@${DOMAIN}`);
  const ring = (await ap.cmd({ cmd: 'wait_call', state: 'ringing', uuid: '' })).call;
  if (ring.auto_answer) throw new Error('the customer\'s call was answered by itself: ' + JSON.stringify(ring));
  // The platform pushes callin on the agent leg's INVITE: here just after it.
  const uuid = 'call-' + Date.now().toString(16).padStart(32, '0');
  await ap.cmd({ cmd: 'callin', uuid, caller: '3001' });
  const tied = (await ap.cmd({ cmd: 'wait_call', state: 'ringing', uuid })).call;
  if (tied.uuid_from !== 'callin' || tied.call_id !== ring.call_id) throw new Error('callin did not tie the ringing call: ' + JSON.stringify(tied));
  const ans = await ap.cmd({ cmd: 'request', req: { msg_type: 'answer', uuid, audio: 3, video: 0 } });
  if (!ans.ok) throw new Error('answer: ' + JSON.stringify(ans));
  await ap.cmd({ cmd: 'wait_call', state: 'confirmed', uuid });
  const estab = await bs.waitEvent('first RTP at baresip', (e) => e.type === 'CALL_RTPESTAB', 15000, m0);
  await measureSetup('gateway-inbound', ap, ring.call_id, estab);
  const heard = await agentHears(ap, toneBaresip, `baresip's ${toneBaresip} Hz at the SDK`);
  // DTMF: answered by the SDK on its own leg (RFC 4733), never sent to the CTI server.
  const m1 = bs.mark();
  const d = await ap.cmd({ cmd: 'request', req: { msg_type: 'dtmf', uuid, content: '159#', dtmf_type: 3 } });
  if (!d.ok) throw new Error('dtmf: ' + JSON.stringify(d));
  const digits = await waitFor('RFC 4733 digits at baresip', () => {
    const got = bs.events.slice(m1).filter((e) => e.type === 'CALL_DTMF_START').map((e) => e.param).join('');
    return got === '159#' ? { digits: got } : { ok: false, digits: got };
  }, 10000, 50);
  const cti = (await ap.cmd({ cmd: 'cti_requests' })).requests;
  // The SIP 200 OK is the answer (the platform sees the leg answered); DTMF goes on the leg: neither reaches the CTI server.
  if (cti.includes('answer') || cti.includes('dtmf')) throw new Error('CTI requests: ' + cti.join(','));
  const stats = await talkFor(ap, 75);
  if (!(stats.packets_sent > 50 && stats.packets_received > 50 && stats.mos >= 4)) throw new Error('stats: ' + JSON.stringify(stats));
  await bs.cmd('hangup');
  const end = (await ap.cmd({ cmd: 'wait_call', state: 'ended', uuid })).call;
  if (end.reason !== 'remote hangup') throw new Error('ended: ' + JSON.stringify(end));
  await bs.waitEvent('call closed at baresip', (e) => e.type === 'CALL_CLOSED', 10000, m0);
  const bh = expectBaresipHears(bs, toneSDK);
  log(`  SDK hears ${heard.peak_hz} Hz (ratio ${heard.ratio.toFixed(2)}); baresip heard ${toneSDK} Hz in ${bh.good}/${bh.loud} windows; digits ${digits.digits}; packets sent/received ${stats.packets_sent}/${stats.packets_received}, MOS ${stats.mos.toFixed(2)}`);
}, ['agent', 'baresip']);

test('gateway-own-leg: the agent\'s call request, then the platform\'s leg to the agent (baresip) with no hint: auto-answered with the reply\'s uuid; tones both ways; the SDK hangs up', async (env) => {
  const ap = env.peers.agent;
  const bs = env.baresip;
  const rep = await ap.cmd({ cmd: 'request', req: { msg_type: 'call', callee_number: '13800000000', out_line: 1, audio: 3, video: 0 } });
  const uuid = rep.reply && rep.reply.uuid;
  if (!rep.ok || !/^call-[0-9a-f]{32}$/.test(uuid)) throw new Error('call: ' + JSON.stringify(rep));
  const m0 = bs.mark();
  await bs.cmd('dial', `sip:${AGENT_EXT}@${DOMAIN}`); // FreeSWITCH originating the agent's leg
  const ans = (await ap.cmd({ cmd: 'wait_call', state: 'answered', uuid })).call;
  if (!ans.auto_answer || ans.uuid_from !== 'request') throw new Error('own leg: ' + JSON.stringify(ans));
  await bs.waitEvent('established at baresip', (e) => e.type === 'CALL_ESTABLISHED', 10000, m0);
  const estab = await bs.waitEvent('first RTP at baresip', (e) => e.type === 'CALL_RTPESTAB', 15000, m0);
  await measureSetup('gateway-own-leg', ap, ans.call_id, estab);
  const heard = await agentHears(ap, toneBaresip, `baresip's ${toneBaresip} Hz at the SDK`);
  await talkFor(ap, 75);
  await ap.cmd({ cmd: 'hangup_sip', call_id: ans.call_id });
  const closed = await bs.waitEvent('BYE at baresip', (e) => e.type === 'CALL_CLOSED', 10000, m0);
  const bh = expectBaresipHears(bs, toneSDK);
  log(`  SDK hears ${heard.peak_hz} Hz; baresip heard ${toneSDK} Hz in ${bh.good}/${bh.loud} windows; baresip: ${closed.param}`);
}, ['agent', 'baresip']);

test('gateway-ice-lite: rtpengine offers ICE-lite without rtcp-mux (Kamailio route for 8+ext); answered through CTI; tones both ways; baresip hangs up', async (env) => {
  const ap = env.peers.agent;
  const bs = env.baresip;
  const m0 = bs.mark();
  await bs.cmd('dial', `sip:8${AGENT_EXT}@${DOMAIN}`);
  const ring = (await ap.cmd({ cmd: 'wait_call', state: 'ringing', uuid: '' })).call;
  const uuid = 'call-' + (Date.now() + 1).toString(16).padStart(32, '0');
  // No callin this time: answer's uuid goes to the one ringing call.
  const ans = await ap.cmd({ cmd: 'request', req: { msg_type: 'answer', uuid, audio: 3, video: 0 } });
  if (!ans.ok) throw new Error('answer: ' + JSON.stringify(ans));
  const conf = (await ap.cmd({ cmd: 'wait_call', state: 'confirmed', uuid })).call;
  if (conf.uuid_from !== 'answer' || conf.call_id !== ring.call_id) throw new Error('confirmed: ' + JSON.stringify(conf));
  const estab = await bs.waitEvent('first RTP at baresip', (e) => e.type === 'CALL_RTPESTAB', 15000, m0);
  await measureSetup('gateway-ice-lite', ap, ring.call_id, estab);
  const heard = await agentHears(ap, toneBaresip, `baresip's ${toneBaresip} Hz at the SDK`);
  await talkFor(ap, 75);
  await bs.cmd('hangup');
  await ap.cmd({ cmd: 'wait_call', state: 'ended', uuid });
  await bs.waitEvent('call closed at baresip', (e) => e.type === 'CALL_CLOSED', 10000, m0);
  const bh = expectBaresipHears(bs, toneSDK);
  log(`  SDK hears ${heard.peak_hz} Hz; baresip heard ${toneSDK} Hz in ${bh.good}/${bh.loud} windows`);
}, ['agent', 'baresip']);

test('gateway-outbound: the SDK phone calls baresip (its BUNDLE offer; rtpengine answers without BUNDLE); tones both ways; baresip hangs up', async (env) => {
  const ap = env.peers.agent;
  const bs = env.baresip;
  const m0 = bs.mark();
  const dialing = ap.cmd({ cmd: 'dial', target: `sip:${bs.user}@${DOMAIN}` });
  await bs.waitEvent('INVITE at baresip', (e) => e.type === 'CALL_INCOMING', 10000, m0);
  await bs.cmd('accept');
  const d = await dialing;
  const estab = await bs.waitEvent('first RTP at baresip', (e) => e.type === 'CALL_RTPESTAB', 15000, m0);
  await measureSetup('gateway-outbound', ap, d.call_id, estab);
  const heard = await agentHears(ap, toneBaresip, `baresip's ${toneBaresip} Hz at the SDK`);
  await talkFor(ap, 75);
  await bs.cmd('hangup');
  await ap.cmd({ cmd: 'wait_call', state: 'ended' });
  await bs.waitEvent('call closed at baresip', (e) => e.type === 'CALL_CLOSED', 10000, m0);
  const bh = expectBaresipHears(bs, toneSDK);
  log(`  SDK hears ${heard.peak_hz} Hz; baresip heard ${toneSDK} Hz in ${bh.good}/${bh.loud} windows`);
}, ['agent', 'baresip']);

// Device mode (issue 16, section 3): the agent is the desktop phone. It
// runs on the private PulseAudio's null sinks: a speaker sink whose monitor
// the test records, a ringer sink, and a microphone (a remap source on a
// sink the test plays a 1000 Hz tone into). No default source and no PCM
// tap: what baresip hears can only come from the microphone, through the
// agent's voice processing (AEC, NS, AGC, VAD: device mode's default); what
// the agent receives can only be heard on the speaker.
const DEVICE_EXT = '1004';
const toneMic = 1000; // played into the device-mode agent's microphone

test('gateway-device-mode: baresip calls the SDK agent in device mode on PulseAudio; the ringtone on the ringer, answered through CTI; 440 Hz out of the speaker sink, the 1000 Hz microphone at baresip through the voice processing; devices closed after baresip hangs up', async (env) => {
  if (!AUDIO_PULSE) throw new Error('no PulseAudio (AUDIO_PULSE unset: run.sh starts one with tests/audio/pulse.sh)');
  const bs = env.baresip;
  const mods = [];
  const procs = [];
  let dp = null;
  try {
    const load = (...a) => mods.push(pactl('load-module', ...a));
    load('module-null-sink', 'sink_name=gw_spk', 'rate=48000', 'channels=2', 'sink_properties=device.description=gw_spk');
    load('module-null-sink', 'sink_name=gw_ring', 'rate=48000', 'channels=2', 'sink_properties=device.description=gw_ring');
    load('module-null-sink', 'sink_name=gw_feed', 'rate=16000', 'channels=1', 'sink_properties=device.description=gw_feed');
    load('module-remap-source', 'source_name=gw_mic', 'master=gw_feed.monitor', 'source_properties=device.description=gw_mic');
    const spk = new PulseRecorder('gw_spk.monitor');
    const ringer = new PulseRecorder('gw_ring.monitor');
    procs.push(spk, ringer);
    const wav = path.join(WORK, `tone-${toneMic}-16k.wav`);
    if (!fs.existsSync(wav)) writeWav(wav, toneMic, 60, 16000);
    const feed = spawn('paplay', ['-d', 'gw_feed', wav], { env: pulseEnv(), stdio: ['ignore', 'ignore', 'inherit'] });
    feed.on('error', (e) => log(`  paplay: ${e.message}`));
    procs.push({ stop: () => feed.kill('SIGTERM') });

    dp = new SDKPeer(AGENT_PEER, pulseEnv());
    const r = await dp.cmd({ cmd: 'start', ws: WS, domain: DOMAIN, ext: DEVICE_EXT, ext_pwd: USERS[DEVICE_EXT],
      audio: 'device', microphone: 'gw_mic', speaker: 'gw_spk', ringer: 'gw_ring' });
    log(`  device-mode agent registered ${r.aor} (microphone gw_mic, speaker gw_spk, ringer gw_ring)`);

    const m0 = bs.mark();
    await bs.cmd('dial', `sip:${DEVICE_EXT}@${DOMAIN}`);
    const ring = (await dp.cmd({ cmd: 'wait_call', state: 'ringing', uuid: '' })).call;
    // The built-in ring (400 + 450 Hz) on the ringer while the call rings.
    await waitFor('the ringtone on the ringer sink', () => {
      const { samples } = ringer.pcm();
      for (let off = 0; off + 800 <= samples.length; off += 800) {
        if (goertzelDBFS(samples.subarray(off, off + 800), 400, 8000) > -40) return true;
      }
      return { ok: false, samples: samples.length };
    }, 10000, 100);
    const uuid = 'call-' + (Date.now() + 2).toString(16).padStart(32, '0');
    const ans = await dp.cmd({ cmd: 'request', req: { msg_type: 'answer', uuid, audio: 3, video: 0 } });
    if (!ans.ok) throw new Error('answer: ' + JSON.stringify(ans));
    const conf = (await dp.cmd({ cmd: 'wait_call', state: 'confirmed', uuid })).call;
    if (conf.call_id !== ring.call_id) throw new Error('confirmed: ' + JSON.stringify(conf));
    const spkFrom = spk.length;
    await bs.waitEvent('first RTP at baresip', (e) => e.type === 'CALL_RTPESTAB', 15000, m0);

    // baresip's 440 Hz out of the speaker: 1 s of 100 ms windows with 80 % of the energy at 440 Hz.
    await waitFor(`baresip's ${toneBaresip} Hz out of the speaker sink`, () => {
      const w = toneWindows(spk.pcm(spkFrom), toneBaresip);
      return w.good >= 10 ? w : { ok: false, ...w };
    }, 15000, 100);
    // The devices are open: one stream on the speaker, one on the microphone; the ringer stopped.
    await waitFor('one stream each on gw_spk and gw_mic, none on gw_ring', () => {
      const n = { spk: pulseStreams('sink', 'gw_spk'), mic: pulseStreams('source', 'gw_mic'), ring: pulseStreams('sink', 'gw_ring') };
      return n.spk === 1 && n.mic === 1 && n.ring === 0 ? n : { ok: false, ...n };
    }, 10000, 100);
    const st = (await dp.cmd({ cmd: 'processing', uuid })).state;
    if (!st.Active || !st.aec || !st.ns || !st.agc || !st.vad) throw new Error('voice processing: ' + JSON.stringify(st));
    // 3 s of the microphone to baresip, then baresip hangs up.
    const stats = await talkFor(dp, 150);
    const spkTo = spk.length;
    const st2 = (await dp.cmd({ cmd: 'processing', uuid })).state;
    await bs.cmd('hangup');
    const end = (await dp.cmd({ cmd: 'wait_call', state: 'ended', uuid })).call;
    if (end.reason !== 'remote hangup') throw new Error('ended: ' + JSON.stringify(end));
    await bs.waitEvent('call closed at baresip', (e) => e.type === 'CALL_CLOSED', 10000, m0);
    const bh = expectBaresipHears(bs, toneMic);
    // The whole call at the speaker: the share of loud windows that are 440 Hz
    // (93-98 % since the speaker's 25 ms PulseAudio periods, docs/audio.md; 80 % before).
    const sw = toneWindows(spk.pcm(spkFrom, spkTo), toneBaresip);
    if (sw.good < 0.85 * sw.loud) throw new Error(`speaker: ${toneBaresip} Hz in ${sw.good} of ${sw.loud} loud windows`);
    // Hung up: the SDK closed its devices.
    await waitFor('no stream left on gw_spk, gw_mic, gw_ring', () => {
      const n = { spk: pulseStreams('sink', 'gw_spk'), mic: pulseStreams('source', 'gw_mic'), ring: pulseStreams('sink', 'gw_ring') };
      return n.spk + n.mic + n.ring === 0 ? n : { ok: false, ...n };
    }, 10000, 100);
    log(`  speaker sink: ${toneBaresip} Hz in ${sw.good}/${sw.loud} loud windows at ${sw.dbfs.toFixed(1)} dBFS; ` +
      `baresip heard the microphone's ${toneMic} Hz in ${bh.good}/${bh.loud} windows at ${bh.dbfs.toFixed(1)} dBFS; ` +
      `processing AEC/NS/AGC/VAD on, microphone ${st2.LevelDBFS.toFixed(1)} dBFS before it, device clocks ${st2.MicRateHz.toFixed(0)}/${st2.SpeakerRateHz.toFixed(0)} Hz; ` +
      `packets sent/received ${stats.packets_sent}/${stats.packets_received}`);
  } finally {
    if (dp) await dp.close();
    for (const p of procs) p.stop();
    for (const m of mods.reverse()) { try { pactl('unload-module', m); } catch (e) { log(`  ${e.message}`); } }
  }
}, ['agent', 'baresip']);

// ---- main ----

// A test that fails leaves promises behind (a call still being placed, say):
// their later rejection must not kill the run.
process.on('unhandledRejection', (e) => log(`(late rejection: ${e && e.message ? e.message : e})`));
// run.sh stops the run with SIGTERM (interrupt, time limit): exit at once;
// playwright's exit hook kills the Chromium processes it launched, and the
// Go peers see their stdin close.
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
  process.on(sig, () => {
    log(`${sig}: stopping`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  });
}

async function main() {
  if (!WS) throw new Error('KAMAILIO_WS not set (run through run.sh)');
  const t0 = Date.now();
  const web = await serveWeb();
  const webURL = `http://127.0.0.1:${web.address().port}/`;
  const env = {};
  const cleanup = [];
  let passed = 0, failed = 0, unselected = 0;
  try {
    const bA = await launchBrowser('browserA', toneBrowserA);
    cleanup.push(() => bA.browser.close());
    const bB = await launchBrowser('browserB', toneBrowserB);
    cleanup.push(() => bB.browser.close());
    env.phoneA = await openPhone(bA, webURL, '2001');
    env.phoneB = await openPhone(bB, webURL, '2002');
    log(`browsers registered 2001 (${toneBrowserA} Hz) and 2002 (${toneBrowserB} Hz) at ${WS}`);
    env.webURL = webURL;
    env.browserA = bA;
    env.extraPhones = [];
    cleanup.push(() => Promise.all(env.extraPhones.map((p) => p.ctx.close())));
    env.peers = {};
    if (PBX_PEER) {
      const pbx = new SDKPeer(PBX_PEER);
      cleanup.push(() => pbx.close());
      const l = await pbx.waitEvent('PBX listening', (e) => e.event === 'listening');
      env.pbx = pbx;
      env.pbxWS = l.ws;
      env.pbxDomain = l.domain;
      env.peers.pbx = pbx;
      log(`simulated PBX on ${l.ws}`);
    }
    for (const [name, bin, user] of [['refphone', REF_PEER, '1002'], ['sdk', SDK_PEER, '1001']]) {
      if (!bin) continue;
      const peer = new SDKPeer(bin);
      peer.user = user;
      cleanup.push(() => peer.close());
      const r = await peer.cmd({ cmd: 'register', ws: WS, domain: DOMAIN, user, password: USERS[user], tone_hz: toneSDK });
      log(`${name} peer registered ${user} (${toneSDK} Hz): ${JSON.stringify(r)}`);
      env.peers[name] = peer;
    }
    if (AGENT_PEER) {
      const ap = new SDKPeer(AGENT_PEER);
      cleanup.push(() => ap.close());
      // The stand-in CTI hands out rtc_address as the platform does: host:port, no scheme.
      const r = await ap.cmd({ cmd: 'start', ws: WS, domain: DOMAIN, ext: AGENT_EXT, ext_pwd: USERS[AGENT_EXT], tone_hz: toneSDK });
      if (r.rtc_address !== WS.replace(/^ws:\/\//, '') || r.url !== WS) {
        throw new Error(`agent registered from rtc_address ${r.rtc_address} at ${r.url}: want ${WS} from its host:port`);
      }
      log(`SDK agent checked in (stand-in CTI, rtc_address ${r.rtc_address}) and registered ${r.aor} at Kamailio (${r.url})`);
      env.peers.agent = ap;
    }
    if (BARESIP && KAMAILIO_UDP) {
      const bs = new Baresip();
      cleanup.push(() => bs.close());
      await bs.start('3001');
      log(`baresip registered 3001 over UDP at ${KAMAILIO_UDP} (${toneBaresip} Hz)`);
      env.baresip = bs;
      env.peers.baresip = bs;
    }
    const runs = [];
    for (let r = 0; r < REPEAT; r++) runs.push(...tests);
    for (const t of runs) {
      if (ONLY && !t.name.includes(ONLY)) {
        unselected++;
        continue;
      }
      const missing = t.needs.filter((n) => !env.peers[n]);
      if (missing.length) {
        log(`FAIL ${t.name}: no ${missing.join(', ')} peer (run.sh builds it; SDK_PEER/REF_PEER/PBX_PEER empty)`);
        failed++;
        continue;
      }
      const start = Date.now();
      try {
        await Promise.race([
          t.fn(env),
          new Promise((_, rej) => setTimeout(() => rej(new Error('test timed out')), TEST_TIMEOUT)),
        ]);
        log(`PASS ${t.name} (${((Date.now() - start) / 1000).toFixed(1)} s)`);
        passed++;
      } catch (e) {
        log(`FAIL ${t.name}: ${e.message}`);
        for (const p of [env.phoneA, env.phoneB]) {
          const l = await p.page.evaluate(() => window.peer.log.slice(-12)).catch(() => []);
          log(`  ${p.name} log: ${l.join(' | ')}`);
        }
        failed++;
      }
      for (const p of [env.phoneA, env.phoneB]) await resetPhone(p).catch(() => {});
      for (const [n, p] of Object.entries(env.peers || {})) if (n !== 'pbx' && n !== 'agent' && n !== 'baresip') await p.cmd({ cmd: 'reset' }).catch(() => {});
      if (env.baresip) await env.baresip.cmd('hangup').catch(() => {});
    }
  } catch (e) {
    log(`FAIL setup: ${e.stack || e.message}`);
    failed++;
  } finally {
    for (const f of cleanup.reverse()) await Promise.resolve(f()).catch(() => {});
    web.close();
  }
  if (setupTimes.length) {
    fs.writeFileSync(path.join(WORK, 'setup-times.json'), JSON.stringify(setupTimes) + '\n');
    log(`setup times through the gateway (200 OK → first audio): ${setupTimes.map((x) => `${x.test} SDK ${x.sdk_ms} ms / baresip ${x.baresip_ms} ms`).join('; ')}`);
  }
  log(`interop run took ${((Date.now() - t0) / 1000).toFixed(1)} s` + (unselected ? ` (ONLY=${ONLY}: ${unselected} tests not selected)` : ''));
  if (passed + failed === 0) {
    log('FAIL no test ran');
    failed++;
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main();
