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
