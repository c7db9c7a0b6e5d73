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
// simulated PBX, tests/interop/pbxpeer).

import { chromium } from 'playwright-core';
import * as esbuild from 'esbuild';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const WS = process.env.KAMAILIO_WS;
const DOMAIN = process.env.SIP_DOMAIN || 'interop.test';
const WORK = process.env.WORK || fs.mkdtempSync('/tmp/interop-');
const SDK_PEER = process.env.SDK_PEER || '';
const REF_PEER = process.env.REF_PEER || '';
const PBX_PEER = process.env.PBX_PEER || '';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ONLY = process.env.ONLY || '';
const TEST_TIMEOUT = 60_000;

// Users known to Kamailio (run.sh puts the same list in kamailio.cfg).
const USERS = {
  '2001': 'pw2001',
  '2002': 'pw2002',
  '1001': 'pw1001', // the SDK phone
  '1002': 'pw1002', // the reference Go phone
};

const toneBrowserA = 440; // what browser A's microphone plays
const toneBrowserB = 660; // browser B
const toneSDK = 1000; // what the SDK peer plays

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
    if (window.peer.dtmfTimer) clearInterval(window.peer.dtmfTimer);
    window.peer.dtmfTimer = null;
  });
}

// ---- the Go SDK peer ----

class SDKPeer {
  constructor(bin) {
    this.proc = spawn(bin, [], { stdio: ['pipe', 'pipe', 'inherit'] });
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
    for (const t of tests) {
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
      for (const [n, p] of Object.entries(env.peers || {})) if (n !== 'pbx') await p.cmd({ cmd: 'reset' }).catch(() => {});
    }
  } catch (e) {
    log(`FAIL setup: ${e.stack || e.message}`);
    failed++;
  } finally {
    for (const f of cleanup.reverse()) await Promise.resolve(f()).catch(() => {});
    web.close();
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
