// One JsSIP phone in a page, driven by harness.mjs through page.evaluate.
// Its microphone is Chromium's fake capture device (a tone from a wav file
// the harness wrote); what it hears is analysed with WebAudio + Goertzel.
'use strict';

(function () {
  const peer = {
    ua: null,
    session: null,
    incoming: [],
    ended: [],
    log: [],
    remoteStream: null,
    audioCtx: null,
    analyser: null,
    // DTMF received: SIP INFO digits (JsSIP newDTMF), other INFOs (newInfo),
    // and RFC 4733 digits as Chromium plays them out (see startDTMFDetector).
    dtmfInfo: [],
    infos: [],
    dtmfAudio: [],
    dtmfNode: null,
  };
  window.peer = peer;

  function note(s) {
    peer.log.push(new Date().toISOString().slice(11, 23) + ' ' + s);
    document.getElementById('state').textContent = s;
  }

  // Keep only loopback ICE candidates, in both directions: nothing here may
  // send a packet to an address off this machine's loopback.
  function loopbackOnly(sdp) {
    return sdp
      .split('\r\n')
      .filter((line) => {
        if (!line.startsWith('a=candidate:')) return true;
        const addr = line.split(' ')[4];
        return /^127\./.test(addr);
      })
      .join('\r\n');
  }

  const pcConfig = { iceServers: [], iceTransportPolicy: 'all', bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' };

  function attach(session) {
    peer.session = session;
    session.on('sdp', (e) => {
      e.sdp = loopbackOnly(e.sdp);
    });
    session.on('peerconnection', (e) => hookPC(e.peerconnection));
    if (session.connection) hookPC(session.connection);
    session.on('confirmed', () => note('confirmed'));
    // The 2xx that established an outgoing call: its Record-Route (RFC 3261
    // §12.1.1 has the UAS copy it from the INVITE) builds our route set.
    session.on('accepted', (e) => {
      if (e.originator === 'remote' && e.response) {
        peer.acceptedRecordRoute = e.response.getHeaders('Record-Route');
      }
    });
    session.on('newDTMF', (e) => {
      if (e.originator !== 'remote') return;
      peer.dtmfInfo.push(e.dtmf.tone);
      note('INFO DTMF ' + e.dtmf.tone);
    });
    session.on('newInfo', (e) => {
      if (e.originator !== 'remote') return;
      peer.infos.push({ contentType: e.info.contentType, body: e.info.body });
      note('INFO ' + e.info.contentType);
    });
    session.on('ended', (e) => {
      note('ended ' + e.originator + ' ' + e.cause);
      peer.ended.push({ originator: e.originator, cause: e.cause });
    });
    session.on('failed', (e) => {
      note('failed ' + e.originator + ' ' + e.cause);
      peer.ended.push({ originator: e.originator, cause: e.cause, failed: true });
    });
  }

  function hookPC(pc) {
    pc.addEventListener('track', (ev) => {
      if (ev.track.kind !== 'audio') return;
      const stream = ev.streams[0] || new MediaStream([ev.track]);
      peer.remoteStream = stream;
      // Chromium only feeds a remote WebRTC stream to WebAudio while the
      // stream also plays in a media element.
      const el = document.createElement('audio');
      el.autoplay = true;
      el.muted = true;
      el.srcObject = stream;
      document.body.appendChild(el);
      el.play().catch(() => {});
      if (!peer.audioCtx) peer.audioCtx = new AudioContext();
      peer.audioCtx.resume();
      const src = peer.audioCtx.createMediaStreamSource(stream);
      const an = peer.audioCtx.createAnalyser();
      an.fftSize = 8192;
      src.connect(an);
      peer.analyser = an;
      startDTMFDetector(src).catch((e) => note('DTMF detector: ' + e.message));
      note('remote track');
    });
  }

  peer.start = function (opts) {
    return new Promise((resolve, reject) => {
      const socket = new JsSIP.WebSocketInterface(opts.ws);
      const ua = new JsSIP.UA({
        sockets: [socket],
        uri: opts.uri,
        password: opts.password,
        display_name: opts.display || 'browser',
        register: true,
        register_expires: 300,
        session_timers: false,
        user_agent: 'JsSIP-interop',
      });
      peer.ua = ua;
      ua.on('registered', () => {
        note('registered');
        resolve(true);
      });
      ua.on('registrationFailed', (e) => {
        note('registrationFailed ' + e.cause);
        reject(new Error('registration failed: ' + e.cause));
      });
      ua.on('newRTCSession', (e) => {
        if (e.originator === 'remote') {
          attach(e.session);
          const info = e.request.getHeader('X-CC-UUID') || '';
          peer.incoming.push({
            from: e.request.from.uri.toString(),
            uuid: info,
            callInfo: e.request.getHeader('Call-Info') || '',
          });
          note('incoming from ' + e.request.from.uri.toString());
        }
      });
      ua.start();
    });
  };

  peer.call = function (target) {
    return new Promise((resolve, reject) => {
      const s = peer.ua.call(target, {
        mediaConstraints: { audio: true, video: false },
        pcConfig,
        rtcOfferConstraints: { offerToReceiveAudio: true, offerToReceiveVideo: false },
        eventHandlers: {
          confirmed: () => resolve(true),
          failed: (e) => reject(new Error('call failed: ' + e.cause)),
        },
      });
      attach(s);
    });
  };

  peer.answer = function () {
    if (!peer.session) throw new Error('no session to answer');
    return new Promise((resolve, reject) => {
      peer.session.on('confirmed', () => resolve(true));
      peer.session.on('failed', (e) => reject(new Error('answer failed: ' + e.cause)));
      peer.session.answer({ mediaConstraints: { audio: true, video: false }, pcConfig });
    });
  };

  peer.hangup = function () {
    if (peer.session && !peer.session.isEnded()) peer.session.terminate();
    return true;
  };

  // hold(on): re-INVITE a=sendonly (on) / a=sendrecv (off); resolves when
  // the re-INVITE is answered.
  peer.hold = function (on) {
    return new Promise((resolve, reject) => {
      const s = peer.session;
      const ok = on
        ? s.hold({}, () => resolve(s.isOnHold()))
        : s.unhold({}, () => resolve(s.isOnHold()));
      if (!ok) reject(new Error('hold/unhold refused in state ' + s.status));
    });
  };

  peer.sendDTMF = function (digits, transportType) {
    peer.session.sendDTMF(digits, { transportType: transportType || 'RFC2833', duration: 120, interToneGap: 80 });
    return true;
  };

  function goertzel(x, f, rate) {
    const w = (2 * Math.PI * f) / rate;
    const c = 2 * Math.cos(w);
    let s1 = 0, s2 = 0;
    for (let i = 0; i < x.length; i++) {
      const s0 = x[i] + c * s1 - s2;
      s2 = s1;
      s1 = s0;
    }
    return s1 * s1 + s2 * s2 - c * s1 * s2;
  }

  // measure(freq): share of the received audio's energy at freq (≈1 for a
  // clean tone), its level, and the strongest frequency.
  peer.measure = function (freq) {
    const an = peer.analyser;
    if (!an) return { ratio: 0, rmsDb: -120, peakHz: 0, ctx: 'none' };
    const x = new Float32Array(an.fftSize);
    an.getFloatTimeDomainData(x);
    let e = 0;
    for (let i = 0; i < x.length; i++) e += x[i] * x[i];
    const rate = peer.audioCtx.sampleRate;
    const rms = Math.sqrt(e / x.length);
    const out = { ratio: 0, rmsDb: rms > 0 ? 20 * Math.log10(rms) : -120, peakHz: 0, ctx: peer.audioCtx.state };
    if (e === 0) return out;
    out.ratio = Math.min(1, (2 * goertzel(x, freq, rate)) / (x.length * e));
    let best = 0, bestP = -1;
    for (let f = 100; f <= 4000; f += 2) {
      const p = goertzel(x, f, rate);
      if (p > bestP) { bestP = p; best = f; }
    }
    out.peakHz = best;
    return out;
  };

  // RFC 4733 digits received: Chromium's NetEq plays a received
  // telephone-event out as its DTMF tone pair, so a Goertzel detector on
  // the remote audio sees the digits. It runs in an AudioWorklet, on every
  // sample the audio thread renders (43 ms windows every 15 ms): a page
  // timer would be throttled on a loaded machine and miss a 100 ms digit
  // (seen: "59#" for "159#" under load). A digit counts once it is seen in
  // two windows in a row; the same digit counts again only after 8 windows
  // (120 ms) without it: NetEq's playout of one event can dip for a window
  // or two (seen at the first digit of a call).
  const dtmfWorklet = `
    const rowsHz = [697, 770, 852, 941], colsHz = [1209, 1336, 1477, 1633];
    const keys = ['123A', '456B', '789C', '*0#D'];
    function goertzel(x, f) {
      const c = 2 * Math.cos((2 * Math.PI * f) / sampleRate);
      let s1 = 0, s2 = 0;
      for (let i = 0; i < x.length; i++) { const s0 = x[i] + c * s1 - s2; s2 = s1; s1 = s0; }
      return s1 * s1 + s2 * s2 - c * s1 * s2;
    }
    class DTMFDetector extends AudioWorkletProcessor {
      constructor() {
        super();
        this.win = 2048;
        this.hop = Math.round(sampleRate * 0.015);
        this.ring = new Float32Array(this.win);
        this.x = new Float32Array(this.win);
        this.n = 0;
        this.sinceHop = 0;
        this.cand = null; this.active = null; this.absent = 0;
      }
      process(inputs) {
        const ch = inputs[0] && inputs[0][0];
        if (!ch) return true;
        for (let i = 0; i < ch.length; i++) {
          this.ring[this.n % this.win] = ch[i];
          this.n++;
          if (++this.sinceHop >= this.hop && this.n >= this.win) {
            this.sinceHop = 0;
            this.analyse();
          }
        }
        return true;
      }
      analyse() {
        const x = this.x, w = this.win, start = this.n % w;
        let e = 0;
        for (let i = 0; i < w; i++) { const v = this.ring[(start + i) % w]; x[i] = v; e += v * v; }
        let digit = null;
        if (e > 0 && Math.sqrt(e / w) > 0.003) {
          const r = (f) => (2 * goertzel(x, f)) / (w * e);
          const rows = rowsHz.map(r), cols = colsHz.map(r);
          const ri = rows.indexOf(Math.max(...rows)), ci = cols.indexOf(Math.max(...cols));
          if (rows[ri] > 0.25 && cols[ci] > 0.25 && rows[ri] + cols[ci] > 0.7) digit = keys[ri][ci];
        }
        if (digit && digit === this.cand && digit !== this.active) {
          this.active = digit;
          this.port.postMessage(digit);
        }
        this.absent = digit && digit === this.active ? 0 : this.absent + 1;
        if (this.absent >= 8) this.active = null;
        this.cand = digit;
      }
    }
    registerProcessor('dtmf-detector', DTMFDetector);
  `;
  let dtmfModule = null;
  async function startDTMFDetector(src) {
    const ctx = peer.audioCtx;
    if (!dtmfModule) {
      const url = URL.createObjectURL(new Blob([dtmfWorklet], { type: 'text/javascript' }));
      dtmfModule = ctx.audioWorklet.addModule(url);
    }
    await dtmfModule;
    if (peer.dtmfNode) peer.dtmfNode.disconnect();
    const node = new AudioWorkletNode(ctx, 'dtmf-detector', { numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [1] });
    node.port.onmessage = (ev) => {
      peer.dtmfAudio.push(ev.data);
      note('audio DTMF ' + ev.data);
    };
    // Pulled by the graph: through a silent gain to the destination.
    const mute = ctx.createGain();
    mute.gain.value = 0;
    src.connect(node);
    node.connect(mute).connect(ctx.destination);
    peer.dtmfNode = node;
  }

  peer.stats = async function () {
    const pc = peer.session && peer.session.connection;
    if (!pc) return {};
    const r = await pc.getStats();
    const out = { packetsReceived: 0, packetsSent: 0, codec: '' };
    r.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio') out.packetsReceived += s.packetsReceived;
      if (s.type === 'outbound-rtp' && s.kind === 'audio') out.packetsSent += s.packetsSent;
      if (s.type === 'codec' && s.mimeType && s.mimeType.startsWith('audio/') && !out.codec) out.codec = s.mimeType;
    });
    return out;
  };

  note('ready');
})();
