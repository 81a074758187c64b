// The ledger console: plain script, no framework. It holds the API key the user signs in with in this tab's session
// storage only, sends it as a Bearer header to this origin's API, and never puts it in a URL, a cookie or a log.
'use strict';

(function () {
  const KEY = 'ledger.apiKey';
  const $ = (id) => document.getElementById(id);
  const state = { caller: null, tenants: [], invoicesAfter: null, drill: null, runTimer: null };

  // ---- the API ------------------------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, code, detail) {
      super(detail || ('HTTP ' + status));
      this.status = status;
      this.code = code;
    }
  }

  async function call(path, options = {}) {
    const key = sessionStorage.getItem(KEY);
    const headers = Object.assign({ Accept: 'application/json' }, options.headers || {});
    if (key) {
      headers.Authorization = 'Bearer ' + key;
    }
    const response = await fetch(path, { method: options.method || 'GET', headers, body: options.body, cache: 'no-store',
      credentials: 'omit', redirect: 'error' });
    if (response.status === 401 && state.caller) {
      signOut('Your key is no longer accepted; sign in again.');
    }
    if (!response.ok) {
      let problem = {};
      try { problem = await response.json(); } catch (e) { /* not problem+json */ }
      throw new ApiError(response.status, problem.code, problem.detail || problem.title);
    }
    return response;
  }

  async function json(path, options) {
    return (await call(path, options)).json();
  }

  function query(params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) {
      if (v !== undefined && v !== null && v !== '') {
        q.set(k, v);
      }
    }
    const s = q.toString();
    return s ? '?' + s : '';
  }

  /** Fetches with the key and hands the answer to the browser as a file (the key never goes into a link). */
  async function download(path, accept, fallbackName, statusEl) {
    try {
      statusEl.textContent = 'Preparing the download…';
      const response = await call(path, { headers: { Accept: accept } });
      const disposition = response.headers.get('Content-Disposition') || '';
      const match = /filename="([^"]+)"/.exec(disposition);
      const blob = await response.blob();
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = match ? match[1] : fallbackName;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      statusEl.textContent = 'Downloaded ' + a.download + ' (' + blob.size.toLocaleString('en') + ' bytes).';
    } catch (e) {
      statusEl.textContent = 'Download failed: ' + e.message;
    }
  }

  // ---- small helpers ------------------------------------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') {
        node.className = v;
      } else if (k.startsWith('data-') || k.startsWith('aria-')) {
        node.setAttribute(k, v);
      } else {
        node[k] = v;
      }
    }
    for (const c of children) {
      if (c !== null && c !== undefined) {
        node.append(c instanceof Node ? c : String(c));
      }
    }
    return node;
  }

  function fill(tbody, rows) {
    tbody.replaceChildren(...rows);
  }

  function utc(text) {
    return text ? text.replace('T', ' ').replace(/(\.\d+)?Z$/, 'Z') : '';
  }

  function count(n) {
    return n === null || n === undefined ? '–' : Number(n).toLocaleString('en');
  }

  function short(hash) {
    return hash ? hash.slice(0, 12) + '…' : '–';
  }

  /** Minor units as an exact decimal string: no floating point between the ledger and the reader. */
  function money(minor, currency) {
    if (minor === null || minor === undefined) {
      return '–';
    }
    let digits = 2;
    try {
      digits = new Intl.NumberFormat('en', { style: 'currency', currency: (currency || 'usd').toUpperCase() })
        .resolvedOptions().maximumFractionDigits;
    } catch (e) { /* an unknown currency: two places */ }
    const negative = minor < 0;
    const s = String(Math.abs(minor)).padStart(digits + 1, '0');
    const whole = digits ? s.slice(0, -digits) : s;
    const text = Number(whole).toLocaleString('en') + (digits ? '.' + s.slice(-digits) : '');
    return (negative ? '-' : '') + (currency || '').toUpperCase() + ' ' + text;
  }

  function isoDate(d) {
    return d.toISOString().slice(0, 10);
  }

  // each change of a page's state is also a User Timing mark (e.g. usage-loading, usage-ready), for the browser's
  // performance tools and the benchmark
  function setPageState(page, value) {
    $('page-' + page).dataset.state = value;
    performance.mark(page + '-' + value);
  }

  function can(scope) {
    return state.caller && state.caller.scopes.includes(scope);
  }

  // ---- signing in ---------------------------------------------------------------------------------------------

  async function signIn(key) {
    sessionStorage.setItem(KEY, key);
    try {
      state.caller = await json('/v1/caller');
    } catch (e) {
      sessionStorage.removeItem(KEY);
      state.caller = null;
      throw e;
    }
    if (state.caller.kind === 'service') {
      sessionStorage.removeItem(KEY);
      state.caller = null;
      throw new ApiError(403, 'insufficient_scope', 'A service key reads no finance and no entries: use a tenant key or the admin key.');
    }
    await loadTenants();
    $('sign-in').hidden = true;
    $('nav').hidden = false;
    $('sign-out').hidden = false;
    $('who').hidden = false;
    $('who').textContent = state.caller.kind === 'admin' ? 'Signed in with the admin key'
      : 'Signed in for tenant ' + state.caller.tenant_id + ' (' + state.caller.scopes.join(', ') + ')';
    for (const a of document.querySelectorAll('nav a')) {
      const page = a.dataset.page;
      a.parentElement.hidden = page === 'chain' ? !can('audit:read') : !can('finance:read');
    }
    route();
  }

  function signOut(message) {
    sessionStorage.removeItem(KEY);
    state.caller = null;
    for (const k of Object.keys(loaded)) {
      delete loaded[k];
    }
    if (state.runTimer) {
      clearTimeout(state.runTimer);
    }
    for (const p of document.querySelectorAll('.page')) {
      p.hidden = true;
    }
    $('nav').hidden = true;
    $('sign-out').hidden = true;
    $('who').hidden = true;
    $('sign-in').hidden = false;
    $('sign-in-error').textContent = message || '';
    $('api-key').focus();
  }

  async function loadTenants() {
    if (state.caller.kind === 'tenant') {
      state.tenants = [state.caller.tenant_id];
    } else {
      const all = [];
      let after = '';
      for (let pages = 0; pages < 20; pages++) {
        const page = await json('/v1/tenants' + query({ after, limit: 1000 }));
        all.push(...page.tenants.map((t) => t.tenant_id));
        if (!page.next_after) {
          break;
        }
        after = page.next_after;
      }
      state.tenants = all;
    }
    const admin = state.caller.kind === 'admin';
    for (const id of ['usage-tenant', 'invoices-tenant', 'reconciliation-tenant', 'chain-tenant']) {
      const select = $(id);
      const options = state.tenants.map((t) => el('option', { value: t }, t));
      if (admin && id !== 'chain-tenant') {
        options.unshift(el('option', { value: '' }, 'all tenants'));
      }
      select.replaceChildren(...options);
    }
  }

  // ---- pages --------------------------------------------------------------------------------------------------

  const loaded = {};

  function route() {
    if (!state.caller) {
      return;
    }
    let page = (location.hash || '').slice(1);
    const allowed = (p) => (p === 'chain' ? can('audit:read') : can('finance:read'));
    if (!['usage', 'invoices', 'reconciliation', 'chain'].includes(page) || !allowed(page)) {
      page = can('finance:read') ? 'usage' : 'chain';
    }
    for (const p of document.querySelectorAll('.page')) {
      p.hidden = p.id !== 'page-' + page;
    }
    for (const a of document.querySelectorAll('nav a')) {
      if (a.dataset.page === page) {
        a.setAttribute('aria-current', 'page');
      } else {
        a.removeAttribute('aria-current');
      }
    }
    document.title = page.charAt(0).toUpperCase() + page.slice(1) + ' · Ledger console';
    if (!loaded[page]) {
      loaded[page] = true;
      ({ usage: showUsage, invoices: showInvoices, reconciliation: showReconciliation, chain: showChain })[page]();
    }
  }

  // Usage -------------------------------------------------------------------------------------------------------

  function usageParams() {
    const from = $('usage-from').value;
    const to = $('usage-to').value;
    const end = to ? new Date(Date.parse(to + 'T00:00:00Z') + 86400000) : null;
    return {
      tenant_id: $('usage-tenant').value,
      meter: $('usage-meter').value.trim(),
      granularity: $('usage-granularity').value,
      from: from ? from + 'T00:00:00Z' : '',
      to: end ? end.toISOString().replace('.000Z', 'Z') : '',
    };
  }

  function defaultUsageRange() {
    const today = new Date();
    const days = $('usage-granularity').value === 'hour' ? 1 : 30;
    $('usage-to').value = isoDate(today);
    $('usage-from').value = isoDate(new Date(today.getTime() - days * 86400000));
  }

  async function showUsage() {
    setPageState('usage', 'loading');
    $('usage-status').textContent = 'Loading usage…';
    try {
      const usage = await json('/v1/finance/usage' + query(usageParams()));
      drawUsage(usage);
      fill($('usage-table').tBodies[0], usage.buckets.map((b) => el('tr', {},
        el('td', {}, b.tenant_id), el('td', {}, b.meter), el('td', {}, utc(b.start)), el('td', {}, utc(b.end)),
        el('td', { class: 'num' }, count(b.ledger_quantity)), el('td', { class: 'num' }, count(b.reported_quantity)),
        el('td', { class: 'num' }, count(b.late_quantity)))));
      $('usage-status').textContent = usage.buckets.length
        ? usage.buckets.length.toLocaleString('en') + ' ' + usage.granularity + ' buckets from ' + utc(usage.from) + ' to ' + utc(usage.to) + '.'
        : 'No usage from ' + utc(usage.from) + ' to ' + utc(usage.to) + '.';
      setPageState('usage', 'ready');
    } catch (e) {
      $('usage-status').textContent = 'Could not load usage: ' + e.message;
      setPageState('usage', 'error');
    }
  }

  function drawUsage(usage) {
    const box = $('usage-charts');
    box.replaceChildren();
    if (typeof uPlot === 'undefined') {
      box.append(el('p', { class: 'status' }, 'The chart library did not load; the table below has every figure.'));
      return;
    }
    const step = usage.granularity === 'hour' ? 3600 : 86400;
    const groups = new Map();
    for (const b of usage.buckets) {
      const k = b.tenant_id + '\u0000' + b.meter;
      if (!groups.has(k)) {
        groups.set(k, { tenant: b.tenant_id, meter: b.meter, byStart: new Map() });
      }
      groups.get(k).byStart.set(Date.parse(b.start) / 1000, b);
    }
    const first = Math.floor(Date.parse(usage.from) / 1000);
    const last = Math.floor(Date.parse(usage.to) / 1000);
    const width = Math.max(320, Math.min(box.clientWidth || 900, 1240) - 20);
    for (const g of groups.values()) {
      const xs = [];
      const ledger = [];
      const reported = [];
      for (let t = first; t < last; t += step) {
        const b = g.byStart.get(t);
        xs.push(t);
        ledger.push(b ? b.ledger_quantity : 0);
        reported.push(b ? b.reported_quantity : 0);
      }
      const title = g.tenant + ' · ' + g.meter;
      const figure = el('figure', { class: 'chart', 'aria-label': 'Usage of ' + title + ' per ' + usage.granularity });
      figure.append(el('h3', {}, title));
      box.append(figure);
      // eslint-disable-next-line no-new
      new uPlot({
        width: width > 1100 ? 560 : width, height: 200,
        scales: { x: { time: true } },
        series: [
          { label: 'Start (UTC)', value: (u, v) => (v === null ? '–' : utc(new Date(v * 1000).toISOString())) },
          { label: 'Ledger', stroke: '#0b4f8a', width: 2, fill: 'rgba(11,79,138,0.08)' },
          { label: 'Reported to Stripe', stroke: '#b34700', width: 2, dash: [6, 4] },
        ],
        axes: [{}, { size: 60 }],
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      }, [xs, ledger, reported], figure);
    }
  }

  // Invoices ----------------------------------------------------------------------------------------------------

  function invoiceParams(after) {
    return { tenant_id: $('invoices-tenant').value, status: $('invoices-status').value, held: $('invoices-held').value, after, limit: 100 };
  }

  async function showInvoices(more) {
    setPageState('invoices', 'loading');
    const tbody = $('invoices-table').tBodies[0];
    if (!more) {
      tbody.replaceChildren();
      state.invoicesAfter = null;
    }
    $('invoices-status-line').textContent = 'Loading invoices…';
    try {
      const page = await json('/v1/finance/invoices' + query(invoiceParams(more ? state.invoicesAfter : '')));
      for (const inv of page.invoices) {
        tbody.append(invoiceRow(inv));
      }
      state.invoicesAfter = page.next_after || null;
      $('invoices-more').hidden = !state.invoicesAfter;
      $('invoices-status-line').textContent = tbody.rows.length ? tbody.rows.length + ' invoices shown.' : 'No invoices match.';
      setPageState('invoices', 'ready');
    } catch (e) {
      $('invoices-status-line').textContent = 'Could not load invoices: ' + e.message;
      setPageState('invoices', 'error');
    }
  }

  function invoiceRow(inv) {
    let witness;
    if (inv.held) {
      witness = el('span', { class: 'held' }, 'Held: ' + inv.held_reason + (inv.held_detail ? ' — ' + inv.held_detail : ''));
    } else if (inv.ledger_checkpoint) {
      witness = el('span', {}, 'size ' + count(inv.checkpoint_size) + ' ', el('code', { title: inv.ledger_checkpoint }, short(inv.ledger_checkpoint)));
    } else {
      witness = el('span', {}, 'not witnessed yet');
    }
    const open = el('button', { type: 'button', 'aria-label': 'Entries of ' + inv.invoice_id }, 'Entries');
    open.addEventListener('click', () => openDrill(inv));
    return el('tr', { 'data-invoice': inv.invoice_id, class: inv.held ? 'mismatch' : '' },
      el('td', {}, el('code', {}, inv.invoice_id)), el('td', {}, inv.tenant_id), el('td', {}, inv.status || '–'),
      el('td', { class: 'num' }, money(inv.amount_due, inv.currency)), el('td', { class: 'num' }, money(inv.amount_paid, inv.currency)),
      el('td', {}, utc(inv.period_start) + ' – ' + utc(inv.period_end)), el('td', {}, witness), el('td', {}, open));
  }

  async function openDrill(inv) {
    state.drill = { invoice: inv.invoice_id, after: null };
    $('drill').hidden = false;
    $('drill-title').textContent = 'Entries of ' + inv.invoice_id;
    $('drill-table').tBodies[0].replaceChildren();
    $('drill-summary').textContent = inv.held
      ? 'Held (' + inv.held_reason + '): ' + (inv.held_detail || '') + ' The entries through the hold are shown, without proofs.'
      : '';
    $('drill-title').focus();
    await loadDrill();
  }

  async function loadDrill() {
    const d = state.drill;
    $('drill-status').textContent = 'Loading entries…';
    try {
      const page = await json('/v1/finance/invoices/' + encodeURIComponent(d.invoice) + '/entries' + query({ after: d.after, limit: 100 }));
      if (page.checkpoint) {
        $('drill-summary').textContent = 'Period ' + utc(page.period_start) + ' – ' + utc(page.period_end)
          + '; checkpoint of size ' + count(page.checkpoint.size) + ', root ' + page.checkpoint.root_hash + '.';
      }
      const tbody = $('drill-table').tBodies[0];
      for (const e of page.entries) {
        const proofCell = el('td', {}, e.proof ? 'checking…' : 'no checkpoint');
        tbody.append(el('tr', { 'data-sequence': e.sequence }, el('td', { class: 'num' }, e.sequence), el('td', {}, utc(e.recorded_at)),
          el('td', {}, e.meter), el('td', { class: 'num' }, count(e.quantity)), el('td', { class: 'hash' }, e.hash), proofCell));
        if (e.proof) {
          verifyInclusion(e.hash, e.proof).then((ok) => {
            proofCell.className = ok ? 'proof-ok' : 'proof-bad';
            proofCell.textContent = ok === null ? 'not checkable here (no Web Crypto on this page)'
              : ok ? 'verified in this browser (leaf ' + e.proof.leaf_index + ' of ' + e.proof.tree_size + ')' : 'does NOT verify';
          });
        }
      }
      d.after = page.next_after || null;
      $('drill-more').hidden = !d.after;
      $('drill-status').textContent = tbody.rows.length + ' entries shown.';
    } catch (e) {
      $('drill-status').textContent = 'Could not load the entries: ' + e.message;
    }
  }

  // RFC 9162 2.1.3.2: the leaf is SHA-256(0x00 || entry hash), each node SHA-256(0x01 || left || right).
  async function verifyInclusion(entryHashHex, proof) {
    if (!window.crypto || !crypto.subtle) {
      return null;
    }
    const bytes = (hex) => Uint8Array.from(hex.match(/../g).map((h) => parseInt(h, 16)));
    const sha = async (prefix, ...parts) => {
      const all = new Uint8Array(1 + parts.reduce((n, p) => n + p.length, 0));
      all[0] = prefix;
      let at = 1;
      for (const p of parts) {
        all.set(p, at);
        at += p.length;
      }
      return new Uint8Array(await crypto.subtle.digest('SHA-256', all));
    };
    let fn = proof.leaf_index;
    let sn = proof.tree_size - 1;
    if (fn < 0 || fn > sn) {
      return false;
    }
    let r = await sha(0, bytes(entryHashHex));
    for (const hex of proof.audit_path) {
      const p = bytes(hex);
      if (sn === 0) {
        return false;
      }
      if (fn % 2 === 1 || fn === sn) {
        r = await sha(1, p, r);
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      } else {
        r = await sha(1, r, p);
      }
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
    }
    const hex = Array.from(r, (b) => b.toString(16).padStart(2, '0')).join('');
    return sn === 0 && hex === proof.root_hash;
  }

  // Reconciliation ----------------------------------------------------------------------------------------------

  const RANK = { MISMATCH: 0, PENDING: 1, MATCH: 2 };

  async function showReconciliation() {
    setPageState('reconciliation', 'loading');
    $('reconciliation-status').textContent = 'Reconciling…';
    try {
      const r = await json('/v1/finance/reconciliation' + query({ period: $('reconciliation-period').value,
        tenant_id: $('reconciliation-tenant').value }));
      const rows = r.rows.slice().sort((a, b) => RANK[a.status] - RANK[b.status]);
      fill($('reconciliation-table').tBodies[0], rows.map((row) => el('tr', { class: row.status.toLowerCase() },
        el('td', {}, row.status), el('td', {}, row.tenant_id), el('td', {}, row.meter),
        el('td', { class: 'num' }, count(row.ledger_quantity)), el('td', { class: 'num' }, count(row.reported_quantity)),
        el('td', { class: 'num' }, row.stripe_quantity === null || row.stripe_quantity === undefined ? 'not known yet' : count(row.stripe_quantity)),
        el('td', {}, mismatches(row.mismatches || [])))));
      const bad = rows.filter((x) => x.status === 'MISMATCH').length;
      $('reconciliation-status').textContent = r.period + (r.closed ? ' (closed)' : ' (still open)') + ': ' + rows.length + ' rows, '
        + bad + ' mismatched.';
      setPageState('reconciliation', 'ready');
    } catch (e) {
      $('reconciliation-status').textContent = 'Could not reconcile: ' + e.message;
      setPageState('reconciliation', 'error');
    }
  }

  function mismatches(list) {
    if (!list.length) {
      return '–';
    }
    return el('ul', { class: 'kinds' }, ...list.map((m) => el('li', {}, el('strong', {}, m.kind), ' ' + count(m.quantity) + ' units',
      m.windows.length ? ' in ' + m.windows.map((w) => utc(w.start) + ' – ' + utc(w.end) + ' (' + count(w.quantity) + ')').join('; ') : '')));
  }

  // Chain -------------------------------------------------------------------------------------------------------

  function chainTenant() {
    return $('chain-tenant').value;
  }

  async function showChain() {
    const t = chainTenant();
    setPageState('chain', 'loading');
    $('verdict').textContent = '';
    $('verdict').className = 'verdict';
    if (!t) {
      $('chain-status').textContent = 'No tenant to show.';
      setPageState('chain', 'ready');
      return;
    }
    $('chain-status').textContent = 'Reading the chain of ' + t + '…';
    try {
      const head = await json('/v1/tenants/' + encodeURIComponent(t) + '/head');
      $('chain-head-sequence').textContent = count(head.sequence);
      $('chain-head-hash').textContent = head.hash || '–';
      let checkpoint = null;
      try {
        checkpoint = await json('/v1/tenants/' + encodeURIComponent(t) + '/checkpoints/latest');
      } catch (e) {
        if (e.status !== 404) {
          throw e;
        }
      }
      $('chain-checkpoint').textContent = checkpoint
        ? 'size ' + count(checkpoint.size) + ', root ' + checkpoint.root_hash + ', issued ' + utc(checkpoint.issued_at) + ' by key ' + checkpoint.key_id
        : 'none yet';
      $('chain-status').textContent = 'Chain of ' + t + (head.recorded_at ? ', last entry recorded ' + utc(head.recorded_at) : '') + '.';
      setPageState('chain', 'ready');
    } catch (e) {
      $('chain-status').textContent = 'Could not read the chain: ' + e.message;
      setPageState('chain', 'error');
    }
  }

  async function verifyChain() {
    const t = chainTenant();
    const button = $('chain-verify');
    const verdict = $('verdict');
    button.disabled = true;
    verdict.className = 'verdict';
    verdict.textContent = 'Verifying…';
    $('verify-progress-box').hidden = false;
    const bar = $('verify-progress');
    const text = $('verify-progress-text');
    bar.removeAttribute('value');
    text.textContent = 'starting';
    try {
      const started = await json('/v1/tenants/' + encodeURIComponent(t) + '/verification-runs', {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
      let run = started;
      while (run.state === 'running') {
        if (run.to_sequence) {
          const total = Math.max(1, run.to_sequence - run.from_sequence + 1);
          bar.max = total;
          bar.value = Math.min(run.checked, total);
          text.textContent = count(run.checked) + ' of ' + count(total) + ' entries checked';
        }
        await new Promise((resolve) => { state.runTimer = setTimeout(resolve, 250); });
        run = await json('/v1/tenants/' + encodeURIComponent(t) + '/verification-runs/' + encodeURIComponent(started.run_id));
      }
      if (run.state === 'failed') {
        verdict.textContent = 'The verification could not run: ' + run.problem.detail + ' (' + run.problem.code + ')';
        return;
      }
      const v = run.verification;
      bar.max = Math.max(1, v.checked);
      bar.value = v.checked;
      text.textContent = count(v.checked) + ' entries checked';
      if (v.status === 'VALID') {
        verdict.className = 'verdict valid';
        verdict.textContent = 'VALID: ' + count(v.checked) + ' entries checked through sequence ' + count(v.head_sequence) + '.';
      } else {
        verdict.className = 'verdict broken';
        verdict.textContent = 'BROKEN at sequence ' + v.first_broken_sequence + ': ' + v.reason + (v.detail ? ' — ' + v.detail : '');
      }
      verdict.dataset.status = v.status;
    } catch (e) {
      verdict.textContent = 'The verification could not run: ' + e.message;
    } finally {
      button.disabled = false;
    }
  }

  // ---- wiring -------------------------------------------------------------------------------------------------

  function init() {
    $('sign-in-form').addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const input = $('api-key');
      const key = input.value.trim();
      $('sign-in-error').textContent = '';
      try {
        await signIn(key);
        input.value = '';
      } catch (e) {
        $('sign-in-error').textContent = e.status === 401 ? 'That key was not accepted.' : 'Could not sign in: ' + e.message;
      }
    });
    $('sign-out').addEventListener('click', () => signOut('Signed out.'));
    window.addEventListener('hashchange', route);

    defaultUsageRange();
    $('usage-granularity').addEventListener('change', defaultUsageRange);
    $('usage-form').addEventListener('submit', (ev) => { ev.preventDefault(); showUsage(); });
    $('usage-csv').addEventListener('click', () => download('/v1/finance/usage' + query(usageParams()), 'text/csv', 'usage.csv', $('usage-status')));

    $('invoices-form').addEventListener('submit', (ev) => { ev.preventDefault(); showInvoices(false); });
    $('invoices-more').addEventListener('click', () => showInvoices(true));
    $('invoices-csv').addEventListener('click', () => download('/v1/finance/invoices' + query(Object.assign(invoiceParams(''), { limit: '' })),
      'text/csv', 'invoices.csv', $('invoices-status-line')));
    $('drill-more').addEventListener('click', loadDrill);

    $('reconciliation-period').value = new Date().toISOString().slice(0, 7);
    $('reconciliation-form').addEventListener('submit', (ev) => { ev.preventDefault(); showReconciliation(); });
    $('reconciliation-csv').addEventListener('click', () => download('/v1/finance/reconciliation' + query({
      period: $('reconciliation-period').value, tenant_id: $('reconciliation-tenant').value }), 'text/csv', 'reconciliation.csv',
    $('reconciliation-status')));

    $('chain-form').addEventListener('submit', (ev) => { ev.preventDefault(); showChain(); });
    $('chain-verify').addEventListener('click', verifyChain);
    $('chain-export').addEventListener('click', () => download('/v1/tenants/' + encodeURIComponent(chainTenant()) + '/export',
      'application/x-ndjson', 'export-' + chainTenant() + '.ndjson', $('chain-status')));
    $('proof-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const seq = $('proof-sequence').value;
      download('/v1/tenants/' + encodeURIComponent(chainTenant()) + '/entries/' + encodeURIComponent(seq) + '/proof', 'application/json',
        'proof-' + chainTenant() + '-' + seq + '.json', $('proof-status'));
    });

    if (sessionStorage.getItem(KEY)) {
      signIn(sessionStorage.getItem(KEY)).catch(() => signOut('Sign in again.'));
    } else {
      $('api-key').focus();
    }
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
}());
