// evidence-anchor report: attestation badges computed in the browser with WebCrypto.
// The steps, their order and their codes are those of `anchor verify-attestation`
// (anchor/attest/verify.py); the claim maps and constants come embedded from Python.
// Untrusted text is only ever written through textContent. The badge does not re-hash
// artifacts: the page does not have them.
"use strict";
(function () {
  const DATA = JSON.parse(document.getElementById("anchor-data").textContent);
  const C = DATA.constants;

  class Fail extends Error {
    constructor(code, detail) { super(code + ": " + detail); this.code = code; this.detail = detail; }
  }
  const fail = (code, detail) => { throw new Fail(code, detail); };

  // --- strict JSON: duplicate keys refused (JSON.parse keeps the last one silently) ---
  function strictParse(text) {
    let i = 0;
    const ws = () => { while (i < text.length && " \t\n\r".includes(text[i])) i++; };
    const err = () => { throw new SyntaxError("not strict JSON at " + i); };
    function str() {
      const m = /^"(?:[^"\\\u0000-\u001f]|\\(?:["\\\/bfnrt]|u[0-9a-fA-F]{4}))*"/.exec(text.slice(i));
      if (!m) err();
      i += m[0].length;
      return JSON.parse(m[0]);
    }
    function value() {
      ws();
      const ch = text[i];
      if (ch === "{") {
        i++; const out = Object.create(null); const seen = new Set(); ws();
        if (text[i] === "}") { i++; return out; }
        for (;;) {
          ws(); if (text[i] !== '"') err();
          const k = str(); if (seen.has(k)) throw new SyntaxError("duplicate key " + k);
          seen.add(k); ws(); if (text[i] !== ":") err(); i++;
          out[k] = value(); ws();
          if (text[i] === ",") { i++; continue; }
          if (text[i] === "}") { i++; return out; }
          err();
        }
      }
      if (ch === "[") {
        i++; const out = []; ws();
        if (text[i] === "]") { i++; return out; }
        for (;;) {
          out.push(value()); ws();
          if (text[i] === ",") { i++; continue; }
          if (text[i] === "]") { i++; return out; }
          err();
        }
      }
      if (ch === '"') return str();
      const m = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i));
      if (!m) err();
      i += m[0].length;
      const v = JSON.parse(m[0]);
      if (typeof v !== "number") return v;
      // As Python's json: a literal with a fraction or exponent is a float, any other an exact int.
      if (/[.eE]/.test(m[0])) return new Float(v);
      return Number.isSafeInteger(v) ? v : BigInt(m[0]);
    }
    const v = value(); ws(); if (i !== text.length) err();
    return v;
  }
  // A JSON number written with a fraction or exponent (Python reads it as a float).
  class Float { constructor(value) { this.value = value; } }
  const isObj = (v) => v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Float);
  // The numeric value of a JSON number (int, big int or float), else null.
  const numeric = (v) => typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : v instanceof Float ? v.value : null;
  const has = (o, k) => Object.prototype.hasOwnProperty.call(o, k);

  // --- bytes ---
  // ignoreBOM: a leading BOM stays in the text (and fails strict parsing), as in Python.
  const utf8 = (b) => new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(b);
  const ascii = (s) => new TextEncoder().encode(s);
  function b64std(text, what) {
    if (typeof text !== "string") fail("bundle-malformed", what + " is not a string");
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) fail("bundle-malformed", what + " is not base64");
    let bin; try { bin = atob(text); } catch (e) { fail("bundle-malformed", what + " is not base64"); }
    const out = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    if (btoa(bin) !== text) fail("bundle-malformed", what + " is not canonical base64");
    return out;
  }
  function b64url(seg) {
    if (!/^[A-Za-z0-9_-]*$/.test(seg) || seg.length % 4 === 1) return null;
    const pad = seg + "===".slice((seg.length + 3) % 4);
    let bin;
    try { bin = atob(pad.replace(/-/g, "+").replace(/_/g, "/")); } catch (e) { return null; }
    const again = btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    return again === seg ? Uint8Array.from(bin, (c) => c.charCodeAt(0)) : null;
  }
  const concat = (...parts) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0)); let o = 0;
    for (const p of parts) { out.set(p, o); o += p.length; }
    return out;
  };
  const eq = (a, b) => a.length === b.length && a.every((x, k) => x === b[k]);
  const hex = (buf) => Array.from(new Uint8Array(buf), (x) => x.toString(16).padStart(2, "0")).join("");

  function pae(type, body) {
    const t = ascii(type);
    return concat(ascii("DSSEv1 " + t.length + " "), t, ascii(" " + body.length + " "), body);
  }

  // Strict DER ECDSA-Sig-Value -> r||s (32 bytes each); null when not minimal DER.
  function derToRaw(der) {
    function int(at) {
      if (der[at] !== 0x02) return null;
      const len = der[at + 1];
      if (len === undefined || len === 0 || len > 33 || at + 2 + len > der.length) return null;
      const v = der.slice(at + 2, at + 2 + len);
      if (v[0] & 0x80) return null;                                // negative
      if (v.length > 1 && v[0] === 0 && !(v[1] & 0x80)) return null; // not minimal
      const mag = v[0] === 0 ? v.slice(1) : v;
      if (mag.length > 32) return null;
      const out = new Uint8Array(32); out.set(mag, 32 - mag.length);
      return { out, next: at + 2 + len };
    }
    if (der.length < 8 || der[0] !== 0x30 || der[1] & 0x80 || der[1] !== der.length - 2) return null;
    const r = int(2); if (!r) return null;
    const s = int(r.next); if (!s || s.next !== der.length) return null;
    return concat(r.out, s.out);
  }

  function exactKeys(v, keys, what) {
    if (!isObj(v)) fail("bundle-malformed", what + " is not an object");
    const got = Object.keys(v);
    const extra = got.filter((k) => !keys.includes(k));
    const missing = keys.filter((k) => !has(v, k));
    if (extra.length) fail("bundle-malformed", what + ": unknown field '" + extra.sort()[0] + "'");
    if (missing.length) fail("bundle-malformed", what + ": missing field '" + missing.sort()[0] + "'");
    return v;
  }

  function pointer(doc, path) {
    if (path === "") return doc;
    if (!path.startsWith("/")) return undefined;
    let node = doc;
    for (const raw of path.slice(1).split("/")) {
      const part = raw.replace(/~1/g, "/").replace(/~0/g, "~");
      if (isObj(node) && has(node, part)) node = node[part];
      else if (Array.isArray(node) && /^\d+$/.test(part) && Number(part) < node.length) node = node[Number(part)];
      else return undefined;
    }
    return node;
  }
  // A value as identity text, as anchor/attest/identity.py's _text: strings and integers only.
  const text = (v) => (typeof v === "string" ? v : Number.isInteger(v) || typeof v === "bigint" ? String(v) : null);

  // --- the steps (anchor/attest/verify.py) ---
  async function verifyBundle(bytes, root, T) {
    const S = crypto.subtle;
    // 1. bundle-malformed
    let doc;
    try { doc = strictParse(utf8(bytes)); } catch (e) { fail("bundle-malformed", "not strict JSON"); }
    const top = exactKeys(doc, ["mediaType", "verificationMaterial", "dsseEnvelope"], "bundle");
    if (top.mediaType !== C.bundleMediaType) fail("bundle-malformed", "mediaType is not the Sigstore bundle v0.3");
    const mat = exactKeys(top.verificationMaterial, ["publicKey", "tlogEntries"], "verificationMaterial");
    if (!Array.isArray(mat.tlogEntries) || mat.tlogEntries.length !== 0) fail("bundle-malformed", "tlogEntries must be empty");
    const pub = exactKeys(mat.publicKey, ["hint"], "publicKey");
    const env = exactKeys(top.dsseEnvelope, ["payloadType", "payload", "signatures"], "dsseEnvelope");
    if (!Array.isArray(env.signatures) || env.signatures.length !== 1) fail("bundle-malformed", "exactly one signature is required");
    const sig = exactKeys(env.signatures[0], ["sig", "keyid"], "signature");
    if (typeof env.payloadType !== "string") fail("bundle-malformed", "payloadType is not a string");
    if (typeof sig.keyid !== "string" || sig.keyid !== pub.hint) fail("bundle-malformed", "signature keyid differs from the key hint");
    const spki = b64std(pub.hint, "publicKey.hint");
    let key;
    try {
      key = await S.importKey("spki", spki, { name: "ECDSA", namedCurve: "P-256" }, true, ["verify"]);
      if (!eq(new Uint8Array(await S.exportKey("spki", key)), spki)) throw new Error("not canonical");
    } catch (e) { fail("bundle-malformed", "publicKey.hint is not a P-256 SubjectPublicKeyInfo"); }
    const payload = b64std(env.payload, "payload");
    const der = b64std(sig.sig, "signature");
    // 2. dsse-signature, before the payload is looked at
    const raw = derToRaw(der);
    const ok = raw && (await S.verify({ name: "ECDSA", hash: "SHA-256" }, key, raw, pae(env.payloadType, payload)));
    if (!ok) fail("dsse-signature", "the DSSE signature does not verify with the bundled key");
    // 3. payload-type
    if (env.payloadType !== C.payloadType) fail("payload-type", "payloadType is not " + C.payloadType);
    let st;
    try { st = strictParse(utf8(payload)); } catch (e) { fail("payload-type", "statement is not strict JSON"); }
    if (!isObj(st) || st._type !== C.statementType) fail("payload-type", "not an in-toto Statement v1");
    if (st.predicateType !== C.predicateType) fail("payload-type", "predicate is not SLSA Provenance v1");
    if (!Array.isArray(st.subject) || st.subject.length === 0) fail("payload-type", "statement has no subject");
    for (const s of st.subject) {
      const d = isObj(s) ? s.digest : undefined;
      const h = isObj(d) ? d.sha256 : undefined;
      if (!isObj(s) || typeof s.name !== "string" || typeof h !== "string" || !/^[0-9a-f]{64}$/.test(h))
        fail("payload-type", "a subject lacks a name or a sha256 digest");
    }
    const token = pointer(st, "/predicate/runDetails/anchor_identityToken");
    if (typeof token !== "string" || !token) fail("payload-type", "no identity token at runDetails.anchor_identityToken");
    if (!root) return { status: "unverifiable", code: "trust-root-unavailable", detail: "no issuer keys embedded or loaded" };
    // 4. token-alg, token-kid, token-signature, token-issuer
    const parts = token.split(".");
    let header, claimBytes;
    try {
      if (parts.length !== 3) throw new Error("parts");
      if (parts[0].length > C.maxHeader || parts[1].length > C.maxPayload || parts[2].length > C.maxSignature) throw new Error("size");
      header = JSON.parse(utf8(b64url(parts[0])));
      claimBytes = b64url(parts[1]);
      if (!isObj(header) || !has(header, "alg") || claimBytes === null) throw new Error("header");
    } catch (e) { fail("token-alg", "the token is not a JWS compact serialization"); }
    const alg = header.alg;
    if (!C.allowedAlgs.includes(alg)) fail("token-alg", "algorithm is not allowed (ES256, RS256 only)");
    const refused = Object.keys(header).filter((h) => !C.allowedHeaders.includes(h)).sort();
    if (refused.length) fail("token-alg", "header parameter '" + refused[0] + "' is refused");
    const kid = header.kid;
    if (typeof kid !== "string" || !kid) fail("token-kid", "the token names no kid");
    const matches = root.keys.filter((k) => isObj(k) && k.kid === kid);
    if (matches.length !== 1) fail("token-kid", "the token's kid is not among the issuer's keys");
    const jwk = matches[0];
    const [kty, crv] = alg === "ES256" ? ["EC", "P-256"] : ["RSA", null];
    if (jwk.kty !== kty || (crv !== null && jwk.crv !== crv)) fail("token-alg", alg + " does not fit the issuer's key");
    if (has(jwk, "alg") && jwk.alg !== alg) fail("token-alg", "the issuer's key is for another algorithm");
    if ((has(jwk, "use") ? jwk.use : "sig") !== "sig") fail("token-alg", "the issuer's key is not a signing key");
    const params = alg === "ES256"
      ? [{ name: "ECDSA", namedCurve: "P-256" }, { name: "ECDSA", hash: "SHA-256" }]
      : [{ name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, { name: "RSASSA-PKCS1-v1_5" }];
    let issuerKey;
    try {
      const pubJwk = alg === "ES256" ? { kty, crv, x: jwk.x, y: jwk.y } : { kty, n: jwk.n, e: jwk.e };
      issuerKey = await S.importKey("jwk", pubJwk, params[0], false, ["verify"]);
    } catch (e) { fail("token-kid", "the issuer's key for this kid does not import"); }
    const tsig = b64url(parts[2]);
    const good = tsig !== null && (await S.verify(params[1], issuerKey, tsig, ascii(parts[0] + "." + parts[1])));
    if (!good) fail("token-signature", "the token's signature does not verify");
    let claims;
    try { claims = strictParse(utf8(claimBytes)); } catch (e) { fail("token-signature", "the token's claims are not strict JSON"); }
    if (!isObj(claims)) fail("token-signature", "the token's claims are not an object");
    if (claims.iss !== root.issuer) fail("token-issuer", "the token's iss is not the trusted issuer");
    // 5. token-audience, token-expired
    const auds = typeof claims.aud === "string" ? [claims.aud]
      : Array.isArray(claims.aud) && claims.aud.every((a) => typeof a === "string") ? claims.aud : [];
    const keyAud = "anchor:v1:sha256:" + hex(await S.digest("SHA-256", spki));
    let binding = "key-bound";
    if (!auds.includes(keyAud)) {
      if (!auds.includes(C.timeAudience)) fail("token-audience", "the token's audience names neither this key nor the verifier");
      binding = "time-bound";
      // joserfc's JWTClaimsRegistry(now=T, leeway, exp essential): the same comparisons.
      const L = C.leeway;
      const exp = numeric(claims.exp), nbf = numeric(claims.nbf), iat = numeric(claims.iat);
      const bad = !has(claims, "exp") || exp === null || !Number.isFinite(exp) || exp <= T - L
        || (has(claims, "nbf") && (nbf === null || !Number.isFinite(nbf) || nbf > T + L))
        || (has(claims, "iat") && (iat === null || !Number.isFinite(iat) || iat > T + L));
      if (bad) fail("token-expired", "the time-bound token is not valid at the reference time");
    }
    // 6. identity-mismatch:<field>
    let map = root.claimMap;
    if (!map) {
      const platform = has(claims, "workflow_ref") && has(claims, "run_id") ? "github"
        : has(claims, "project_path") && has(claims, "pipeline_id") ? "gitlab" : null;
      map = platform ? DATA.claimMaps[platform] : null;
    }
    if (!map) fail("identity-mismatch:claimMap", "no claim map for this issuer");
    for (const [claim, template] of map) {
      let missing = false;
      const expected = template.replace(/\{(\/[^{}]*)\}/g, (_, p) => {
        const v = text(pointer(st, p)); if (v === null) { missing = true; return ""; } return v;
      });
      const actual = text(claims[claim]);
      if (missing || actual === null || expected !== actual)
        fail("identity-mismatch:" + claim, "the statement's " + claim + " does not match the token's claim");
    }
    // 7. subject: not here, the page does not have the artifact bytes.
    return { status: "verified", code: "", detail: "verified (" + binding + "); artifact bytes not re-hashed" };
  }

  // --- the page: rows built with textContent only, one badge per row ---
  function cell(tr, cls, value) {
    const td = document.createElement("td");
    td.className = cls;
    td.textContent = value || "\u2014";
    tr.appendChild(td);
    return td;
  }

  function buildRows() {
    const table = document.getElementById("rows");
    const body = table.querySelector("tbody");
    if (DATA.rows.length === 0) { document.getElementById("empty").hidden = false; return; }
    table.hidden = false;
    for (const row of DATA.rows) {
      const tr = document.createElement("tr");
      tr.dataset.row = String(row.index);
      const td = document.createElement("td");
      const el = document.createElement("span");
      el.className = "badge";
      el.dataset.status = "pending";
      el.dataset.code = "";
      el.textContent = "checking\u2026";
      const code = document.createElement("span");
      code.className = "code";
      td.append(el, code);
      tr.appendChild(td);
      cell(tr, "job", row.job);
      cell(tr, "artifact", row.artifact);
      cell(tr, "digest", row.digest);
      cell(tr, "created", row.created);
      cell(tr, "clock", row.referenceTime === null ? "this browser's clock"
        : "block time " + new Date(row.referenceTime * 1000).toISOString().replace(".000Z", "Z") + " (anchored)");
      const dl = cell(tr, "download", "");
      dl.textContent = "";
      const a = document.createElement("a");
      a.setAttribute("href", row.file);
      a.setAttribute("download", row.file.split("/").pop());
      a.textContent = row.file.split("/").pop();
      dl.appendChild(a);
      body.appendChild(tr);
    }
  }

  async function badge(row, root) {
    const tr = document.querySelector('tr[data-row="' + row.index + '"]');
    const el = tr.querySelector(".badge");
    const T = row.referenceTime === null ? Math.floor(Date.now() / 1000) : row.referenceTime;
    let r;
    try {
      if (!window.crypto || !crypto.subtle) r = { status: "unverifiable", code: "webcrypto-unavailable", detail: "WebCrypto is not available here" };
      else r = await verifyBundle(b64std(row.bundle, "bundle"), root, T);
    } catch (e) {
      // A Fail is a verdict; anything else is a fault of this page, never a verdict on the bundle.
      r = e instanceof Fail ? { status: "failed", code: e.code, detail: e.detail } : { status: "unverifiable", code: "page-error", detail: String(e) };
    }
    el.dataset.status = r.status;
    el.dataset.code = r.code;
    el.textContent = r.status;
    el.title = r.code ? r.code + ": " + r.detail : r.detail;
    tr.querySelector(".code").textContent = r.code;
  }

  let generation = 0;
  async function run(root) {
    const mine = ++generation;
    document.body.dataset.done = "0";
    const status = document.getElementById("trust-root-status");
    status.textContent = root ? "Trusted issuer: " + root.issuer + " (" + root.keys.length + " keys)"
      : "No issuer keys embedded: bundles whose own signature holds are unverifiable until a trust root is loaded.";
    await Promise.all(DATA.rows.map((row) => badge(row, root)));
    if (mine === generation) document.body.dataset.done = "1";
  }

  function loadRoot(doc) {
    if (!isObj(doc) || typeof doc.issuer !== "string" || !isObj(doc.jwks) || !Array.isArray(doc.jwks.keys)) return null;
    if (!doc.jwks.keys.every((k) => isObj(k) && typeof k.kty === "string")) return null;
    const raw = doc.claimMap;
    const map = Array.isArray(raw) ? raw : isObj(raw) ? Object.entries(raw) : null;
    if (map && !map.every((p) => Array.isArray(p) && p.length === 2 && typeof p[1] === "string")) return null;
    return { issuer: doc.issuer, keys: doc.jwks.keys, claimMap: map && map.length ? map : null };
  }

  buildRows();
  document.getElementById("reference-time").textContent =
    DATA.rows.some((row) => row.referenceTime !== null)
      ? "Reference time: a row anchored by a Label 309 record is judged at its block time (anchor report --evidence), as anchor verify --trust-root does; any other row at this browser's clock. Generated by anchor report."
      : "Reference time: this browser's clock (the CLI's T for a bundle outside an anchor). Generated by anchor report.";
  const input = document.getElementById("trust-root-file");
  input.addEventListener("change", async () => {
    const file = input.files[0]; if (!file) return;
    let root = null;
    try { root = loadRoot(strictParse(utf8(new Uint8Array(await file.arrayBuffer())))); } catch (e) { root = null; }
    if (root) run(root);
    else document.getElementById("trust-root-status").textContent = "That file is not a trust-root file.";
  });
  run(DATA.trustRoot ? loadRoot(DATA.trustRoot) : null);
})();
