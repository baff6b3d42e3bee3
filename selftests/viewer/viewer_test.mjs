// SPDX-License-Identifier: GPL-2.0
//
// viewer_test.mjs - does catctl's Trace Event Format JSON open in a real
// trace viewer?  Host only, no VM, no network but 127.0.0.1.
//
//  1. Makes real catctl JSON: builds catctl and the synthetic trace
//     generator (client/tests/gen_trace.c), writes a small raw trace with
//     build/rust/release/tokio_multi's probe table (a few hundred polls on
//     3 tokio workers, with LOST markers) and runs "catctl convert" on it.
//     The real tokio_multi trace committed as a fuzz seed
//     (client/tests/fuzz-seeds/real-tokio_multi-6.1.cat) and, when one is
//     there, the newest trace a VM run left under build/vm*/results-*/out/
//     are converted too.
//  2. Opens each JSON in speedscope (npm package "speedscope", a static
//     web app; its dist/release/ is served by the tiny HTTP server below on
//     127.0.0.1, the trace through "#profileURL=") in headless Debian
//     Chromium driven by playwright-core, and checks that
//       - speedscope takes it as a Trace Event Format profile and shows no
//         error, and neither the page nor its console report one (and no
//         warning of speedscope's importer: slices that do not nest on a
//         thread, a slice still open at the end, an empty profile);
//       - its profile selector lists exactly the lanes the JSON names with
//         process_name/thread_name metadata (speedscope shows one
//         "profile" per pid/tid that has slices): the tokio-runtime-w
//         worker threads and one "task <id> <file>:<line>" lane per task
//         instance;
//       - a worker thread's and a task's lanes are drawn (the flame chart
//         has coloured slices), with a screenshot of each and one of the
//         lane list, in build/viewer/ (paths printed).
//     The JSON itself is checked too where a viewer would silently drop
//     things: every flow start has its end, and both sit inside a slice of
//     their thread (chrome://tracing and Perfetto bind flows to slices).
//
// chrome://tracing is no help: Debian's Chromium 156 shows "Internal
// debugging pages are currently disabled", and once they are enabled in
// chrome://chrome-urls the page fails to load (net::ERR_FAILED). The
// Perfetto UI has no offline package. So speedscope is the viewer.
//
// VIEWER_JSON=a.json[:b.json] opens these JSON files as well.
//
// Output: TAP-ish "ok N - ..." lines, then "N passed, N failed"; exit 1 on
// any failure. Run by "make -C selftests/viewer check", which first does
// "npm ci" here. Environment: CHROMIUM (default /usr/bin/chromium),
// VIEWER_OUT (default build/viewer), VIEWER_KEEP=1 keeps the browser
// profile directory, VIEWER_JSON (above).

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const TOP = path.resolve(HERE, '../..');
const OUT = path.resolve(process.env.VIEWER_OUT || path.join(TOP, 'build/viewer'));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const CATCTL = path.join(TOP, 'client/catctl');
const RUST_BIN = path.join(TOP, 'build/rust/release/tokio_multi');
const SPEEDSCOPE = path.join(HERE, 'node_modules/speedscope/dist/release');
const REAL_SEED = path.join(TOP, 'client/tests/fuzz-seeds/real-tokio_multi-6.1.cat');
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
	'--no-first-run', '--disable-background-networking',
	'--disable-component-update', '--disable-sync'];
const T0 = Date.now();

let n = 0, passed = 0, failed = 0, skipped = 0;
const diag = (s) => String(s).split('\n').filter((l) => l !== '')
	.forEach((l) => console.log(`#   ${l}`));
function ok(cond, name, detail) {
	n++;
	if (cond) passed++; else failed++;
	console.log(`${cond ? 'ok' : 'not ok'} ${n} - ${name}`);
	if (!cond && detail) diag(detail);
	return cond;
}
function skip(name, why) {
	n++; skipped++;
	console.log(`ok ${n} - ${name} # SKIP ${why}`);
}
function finish() {
	console.log(`# ${((Date.now() - T0) / 1000).toFixed(1)} s` + (skipped ? `, ${skipped} skipped` : ''));
	// Exactly "N passed, N failed": .ci/run sums the lines of that form.
	console.log(`${passed} passed, ${failed} failed`);
	process.exit(failed ? 1 : 0);
}

// Runs a command; returns {ok, out} with stdout+stderr.
function run(cmd, args, opts = {}) {
	const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 300000, ...opts });
	const out = (r.stdout || '') + (r.stderr || '') + (r.error ? String(r.error) : '');
	return { ok: r.status === 0, out };
}
const tail = (s, k = 15) => s.trim().split('\n').slice(-k).join('\n');

// ---------------------------------------------------------------------------
// 1. real catctl JSON

fs.mkdirSync(OUT, { recursive: true });

let r = run('make', ['-s', '-C', path.join(TOP, 'client'), 'catctl', 'libcatctl.a']);
if (!ok(r.ok, 'build catctl and libcatctl.a (make -C client)', tail(r.out))) finish();

const GEN = path.join(OUT, 'gen_trace');
r = run('cc', ['-O2', '-I.', '-I../include', '-I/usr/include/libiberty', '-o', GEN,
	'tests/gen_trace.c', 'libcatctl.a', '-ldw', '-lelf', '-lyajl', '-liberty', '-lz'],
	{ cwd: path.join(TOP, 'client') });
if (!ok(r.ok, 'build client/tests/gen_trace.c', tail(r.out))) finish();

if (!fs.existsSync(RUST_BIN)) {
	r = run('make', ['-s', '-C', path.join(TOP, 'selftests/rust')], { timeout: 1200000 });
	ok(fs.existsSync(RUST_BIN), 'build the Rust programs (make -C selftests/rust)', tail(r.out));
}
const GEN_BIN = RUST_BIN.replace(/\/release\//, '/debug/');
const haveBin = fs.existsSync(RUST_BIN);

// Each entry: a JSON to open, and what its lanes must look like.
const traces = [];

function convert(label, cat, extra) {
	const json = path.join(OUT, `${label}.json`);
	fs.rmSync(json, { force: true });
	let c = run(CATCTL, ['convert', cat, '-o', json, ...extra]);
	// -b names a binary of another build than the trace's (a committed
	// trace, a fresh build): catctl refuses it rather than show wrong
	// lines, so convert without it, locations unknown.
	let sameBuild = extra.includes('-b');
	if (!c.ok && sameBuild && /refused: the trace was taken with build-id/.test(c.out)) {
		diag(c.out.trim().split('\n').pop());
		const i = extra.indexOf('-b');
		extra = [...extra.slice(0, i), ...extra.slice(i + 2)];
		c = run(CATCTL, ['convert', cat, '-o', json, ...extra]);
		sameBuild = false;
	}
	// "catctl convert: R records, T threads, I task instances, P polls ..."
	const m = /(\d+) threads, (\d+) task instances, (\d+) polls/.exec(c.out);
	if (!ok(c.ok && m && fs.existsSync(json), `catctl convert ${path.relative(TOP, cat)} -> ${path.relative(TOP, json)}`, c.out))
		return null;
	diag(c.out.trim().split('\n').pop());
	if (/warning/.test(c.out)) diag(c.out.split('\n').filter((l) => /warning/.test(l)).join('\n'));
	return { label, json, threads: +m[1], tasks: +m[2], polls: +m[3], sameBuild };
}

{
	const cat = path.join(OUT, 'synthetic.cat');
	const args = ['-t', '24', '-p', '16', '-w', '3', '-l', '100', '-o', cat];
	// the debug build: with Debian's rustc 1.63 the release build inlines
	// a probe kind the generator plays (gen_trace says which)
	if (fs.existsSync(GEN_BIN)) args.push('-b', GEN_BIN);
	r = run(GEN, args);
	if (ok(r.ok, `gen_trace ${args.join(' ')}`, r.out)) {
		const t = convert('synthetic', cat, []);
		if (t) traces.push({ ...t, workers: 3, locations: haveBin });
		// and in compact detail, what traces of over 200,000 polls get
		const c = convert('synthetic-compact', cat, ['--detail', 'compact']);
		if (c) traces.push({ ...c, workers: 3, locations: haveBin });
	}
}
if (fs.existsSync(REAL_SEED)) {
	const t = convert('real-tokio_multi', REAL_SEED, haveBin ? ['-b', RUST_BIN] : []);
	if (t) traces.push({ ...t, workers: 1, locations: t.sameBuild });
} else {
	skip('convert the committed real trace', `${REAL_SEED} is missing`);
}
{
	// The newest trace.cat a VM run of selftests left, if any.
	let best = null;
	for (const vm of fs.readdirSync(path.join(TOP, 'build'), { withFileTypes: true })) {
		if (!vm.isDirectory() || !vm.name.startsWith('vm')) continue;
		const vdir = path.join(TOP, 'build', vm.name);
		for (const res of fs.readdirSync(vdir)) {
			if (!res.startsWith('results-')) continue;
			const odir = path.join(vdir, res, 'out');
			if (!fs.existsSync(odir)) continue;
			for (const t of fs.readdirSync(odir)) {
				const f = path.join(odir, t, 'trace.cat');
				if (!/tokio_multi/.test(t) || !fs.existsSync(f)) continue;
				const st = fs.statSync(f);
				if (st.size > 0 && (!best || st.mtimeMs > best.mtime))
					best = { f, mtime: st.mtimeMs, debug: /debug/.test(t) };
			}
		}
	}
	if (best) {
		// The trace names the binary by its path in the guest; the host's
		// copy of it is the same build.
		const bin = best.debug ? RUST_BIN.replace('/release/', '/debug/') : RUST_BIN;
		const t = convert('vm-tokio_multi', best.f, fs.existsSync(bin) ? ['-b', bin] : []);
		if (t) traces.push({ ...t, workers: 1, locations: t.sameBuild });
	} else {
		skip('convert a trace from a VM run', 'no build/vm*/results-*/out/*tokio_multi*/trace.cat');
	}
}

// VIEWER_JSON=a.json[:b.json...]: also open these (any catctl JSON); their
// task lanes are not counted against catctl's summary.
for (const f of (process.env.VIEWER_JSON || '').split(':').filter(Boolean)) {
	const label = 'extra-' + path.basename(f).replace(/\.json$/, '').replace(/[^\w.-]/g, '_');
	const json = path.join(OUT, `${label}.json`);
	try {
		fs.copyFileSync(path.resolve(f), json);
		ok(true, `VIEWER_JSON ${f}`);
		traces.push({ label, json, tasks: null, workers: 1, locations: false });
	} catch (err) { ok(false, `VIEWER_JSON ${f}`, String(err)); }
}

// What speedscope must list for a JSON: one profile per pid/tid with B/E/X
// events, named "<process_name> (pid P), <thread_name> (tid T)" (its
// importer's naming, see speedscope's trace-event.ts).
function expectLanes(t) {
	let doc;
	try {
		doc = JSON.parse(fs.readFileSync(t.json, 'utf8'));
	} catch (err) {
		return { lanes: [], problems: [`not JSON: ${err.message}`], flows: 0 };
	}
	const ev = Array.isArray(doc) ? doc : doc.traceEvents;
	if (!Array.isArray(ev)) return { lanes: [], problems: ['no traceEvents array'], flows: 0 };
	const pname = new Map(), tname = new Map(), withSlices = new Set();
	const slices = new Map();
	const flows = new Map();
	const problems = [];
	for (const e of ev) {
		const key = `${e.pid}:${e.tid}`;
		if (e.ph === 'M' && e.name === 'process_name') pname.set(e.pid, e.args.name);
		if (e.ph === 'M' && e.name === 'thread_name') tname.set(key, e.args.name);
		if (e.ph === 'X' || e.ph === 'B' || e.ph === 'E') withSlices.add(key);
		if (e.ph === 'X') {
			if (typeof e.ts !== 'number' || typeof e.dur !== 'number' || e.dur < 0)
				problems.push(`bad X event ${JSON.stringify(e).slice(0, 200)}`);
			if (!slices.has(key)) slices.set(key, []);
			slices.get(key).push([e.ts, e.ts + e.dur]);
		}
		if (e.ph === 's' || e.ph === 'f') {
			if (!flows.has(e.id)) flows.set(e.id, []);
			flows.get(e.id).push(e);
		}
	}
	for (const [id, fe] of flows) {
		const phs = fe.map((e) => e.ph).join('');
		if (phs !== 'sf') problems.push(`flow id ${id}: events "${phs}", not one "s" then one "f"`);
		for (const e of fe) {
			const inside = (slices.get(`${e.pid}:${e.tid}`) || [])
				.some(([a, b]) => a <= e.ts && e.ts <= b);
			if (!inside) problems.push(`flow ${e.ph} id ${id} at ts ${e.ts} on ${e.pid}:${e.tid} is in no slice of its thread`);
		}
	}
	const lanes = [];
	for (const key of withSlices) {
		const [pid, tid] = key.split(':');
		const p = pname.get(+pid), th = tname.get(key);
		if (p == null || th == null) problems.push(`pid ${pid} tid ${tid} has slices but no ${p == null ? 'process_name' : 'thread_name'}`);
		const sl = slices.get(key) || [];
		const span = sl.length ? Math.max(...sl.map((x) => x[1])) - Math.min(...sl.map((x) => x[0])) : 0;
		const fill = span > 0 ? sl.reduce((a, x) => a + x[1] - x[0], 0) / span : 0;
		lanes.push({ key, thread: th, fill, speedscope: p != null && th != null ? `${p} (pid ${pid}), ${th} (tid ${tid})`
			: th != null ? `${th} (pid ${pid}, tid ${tid})` : p != null ? `${p} (pid ${pid}, tid ${tid})` : `pid ${pid}, tid ${tid}` });
	}
	return { lanes, problems, flows: flows.size };
}

for (const t of traces) {
	const e = expectLanes(t);
	t.expect = e;
	const workers = e.lanes.filter((l) => /^tokio-runtime-w \d+$/.test(l.thread));
	const tasks = e.lanes.filter((l) => /^task \d+ /.test(l.thread || ''));
	const located = tasks.filter((l) => /^task \d+ \S+\.rs:\d+$/.test(l.thread));
	t.workerLanes = workers; t.taskLanes = tasks;
	ok(e.problems.length === 0, `${t.label}: JSON is well formed (${e.lanes.length} lanes with slices, ${e.flows} flows bound to slices)`,
		e.problems.slice(0, 10).join('\n'));
	ok(workers.length >= t.workers, `${t.label}: JSON names ${workers.length} tokio-runtime-w thread lanes (>= ${t.workers})`,
		e.lanes.map((l) => l.thread).join('\n'));
	if (t.tasks !== null) ok(tasks.length === t.tasks, `${t.label}: JSON has one "task <id> ..." lane per task instance (${tasks.length} of ${t.tasks})`,
		e.lanes.map((l) => l.thread).join('\n'));
	if (t.locations)
		ok(located.length === tasks.length, `${t.label}: every task lane is named "task <id> <file>:<line>"`,
			tasks.filter((l) => !located.includes(l)).map((l) => l.thread).join('\n'));
}

// ---------------------------------------------------------------------------
// 2. the viewer

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css',
	'.json': 'application/json', '.wasm': 'application/wasm', '.png': 'image/png',
	'.ico': 'image/x-icon', '.woff2': 'font/woff2', '.txt': 'text/plain' };
// "/" and the app's files from speedscope's dist/release, "/traces/X.json"
// from OUT; nothing else.
function serve() {
	const srv = http.createServer((req, res) => {
		const p = decodeURIComponent(new URL(req.url, 'http://127.0.0.1').pathname);
		let f;
		const m = /^\/traces\/([\w.-]+\.json)$/.exec(p);
		if (m) f = path.join(OUT, m[1]);
		else if (/^\/[\w.-]*$/.test(p)) f = path.join(SPEEDSCOPE, p === '/' ? 'index.html' : p);
		fs.readFile(f || '/nonexistent', (err, data) => {
			if (err) { res.writeHead(404); res.end('not found'); return; }
			res.writeHead(200, { 'content-type': TYPES[path.extname(f)] || 'application/octet-stream',
				'cache-control': 'no-store' });
			res.end(data);
		});
	});
	return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve(srv)));
}

// Share of the screenshot's pixels below the toolbar that are coloured
// (speedscope draws slices in saturated colours on white and grey).
async function colouredShare(page, png) {
	return page.evaluate(async (b64) => {
		const img = new Image();
		img.src = 'data:image/png;base64,' + b64;
		await img.decode();
		const c = new OffscreenCanvas(img.width, img.height);
		const x = c.getContext('2d');
		x.drawImage(img, 0, 0);
		const top = 40, d = x.getImageData(0, top, img.width, img.height - top).data;
		let col = 0;
		for (let i = 0; i < d.length; i += 4) {
			const mx = Math.max(d[i], d[i + 1], d[i + 2]), mn = Math.min(d[i], d[i + 1], d[i + 2]);
			if (mx - mn > 40) col++;
		}
		return col / (d.length / 4);
	}, png.toString('base64'));
}

const WARN_RE = /Tried to end|still open at end of profile|Empty profile|Unexpected .* format|Ignoring|Something went wrong|Failed to create WebGL/;

const internal = (lane) => (/ tokio-[\d.]+\/src\//.test(lane.thread) ? 1 : 0);

async function viewOne(ctx, base, t) {
	const page = await ctx.newPage();
	const msgs = [];
	page.on('console', (m) => msgs.push({ type: m.type(), text: m.text() }));
	page.on('pageerror', (err) => msgs.push({ type: 'pageerror', text: err.message }));
	// speedscope alert()s "Unrecognized format!" for what it cannot read.
	let sawDialog;
	const dialog = new Promise((resolve) => { sawDialog = resolve; });
	page.on('dialog', (d) => {
		msgs.push({ type: 'dialog', text: d.message() });
		d.dismiss().catch(() => {});
		sawDialog();
	});
	const url = `${base}/#profileURL=${encodeURIComponent(`${base}/traces/${path.basename(t.json)}`)}`;
	await page.goto(url);
	// Loaded: the toolbar shows "(1/N)" after the profile name; failed:
	// speedscope's error box.
	let loaded = false;
	try {
		await Promise.race([dialog,
			page.waitForFunction(() => /\(1\/\d+\)/.test(document.body.innerText) ||
				/Something went wrong/.test(document.body.innerText), null, { timeout: 30000 })]);
		loaded = /\(1\/\d+\)/.test(await page.evaluate(() => document.body.innerText));
	} catch (err) { msgs.push({ type: 'timeout', text: err.message.split('\n')[0] }); }
	await page.waitForTimeout(300);
	const bad = msgs.filter((m) => m.type === 'error' || m.type === 'pageerror' || m.type === 'dialog' ||
		m.type === 'timeout' || WARN_RE.test(m.text));
	const asTEF = msgs.some((m) => /Importing as Trace Event Format/.test(m.text));
	const body = await page.evaluate(() => document.body.innerText);
	ok(loaded && asTEF && bad.length === 0, `${t.label}: speedscope imports it as Trace Event Format without error or warning`,
		[...bad.slice(0, 10).map((m) => `${m.type}: ${m.text.slice(0, 300)}`),
			asTEF ? '' : 'no "Importing as Trace Event Format profile" in the console',
			loaded ? '' : `page: ${body.slice(0, 500)}`].join('\n'));
	if (!loaded) { await page.close(); return; }

	// The lane list: speedscope's profile selector, opened by clicking
	// the profile name in the toolbar.
	await page.locator('span', { hasText: /\(1\/\d+\)/ }).last().click({ timeout: 5000 });
	await page.waitForSelector('tr[title]', { timeout: 10000 }).catch(() => {});
	const listed = await page.locator('tr[title]').evaluateAll((rows) => rows.map((r) => r.getAttribute('title')));
	const want = t.expect.lanes.map((l) => l.speedscope);
	const missing = want.filter((w) => !listed.includes(w)), extra = listed.filter((l) => !want.includes(l));
	ok(missing.length === 0 && extra.length === 0 && listed.length === want.length,
		`${t.label}: speedscope lists the ${want.length} lanes (${t.workerLanes.length} tokio-runtime-w threads, ${t.taskLanes.length} tasks)`,
		[...missing.map((m) => `missing: ${m}`), ...extra.map((x) => `unexpected: ${x}`)].join('\n'));
	const shots = [];
	const lanesPng = path.join(OUT, `${t.label}-lanes.png`);
	await page.screenshot({ path: lanesPng });
	shots.push(lanesPng);

	// A worker thread and the task lane its slices fill most, each drawn
	const pick = [
		['worker', t.workerLanes[0]],
		// (the program's own tasks first: not tokio's blocking-pool tasks
		// that run a worker loop, spawned in tokio's own sources)
		['task', [...t.taskLanes].sort((a, b) => internal(a) - internal(b) || b.fill - a.fill)[0]],
	];
	for (const [what, lane] of pick) {
		if (!lane) { ok(false, `${t.label}: a ${what} lane to show`); continue; }
		if (!(await page.locator('tr[title]').first().isVisible()))
			await page.locator('span', { hasText: /\(\d+\/\d+\)/ }).last().click();
		await page.locator(`tr[title="${lane.speedscope.replace(/"/g, '\\"')}"]`).click({ timeout: 5000 });
		await page.waitForTimeout(200);
		if (await page.locator('tr[title]').first().isVisible()) await page.keyboard.press('Escape');
		await page.waitForTimeout(600);
		const head = await page.evaluate(() => document.body.innerText.split('\n').slice(0, 3).join(' '));
		const png = path.join(OUT, `${t.label}-${what}.png`);
		const buf = await page.screenshot({ path: png });
		shots.push(png);
		const share = await colouredShare(page, buf);
		ok(head.includes(lane.speedscope) && share > 0.0003,
			`${t.label}: ${what} lane "${lane.thread}" is shown with its slices drawn (${(share * 100).toFixed(1)}% coloured)`,
			`toolbar: ${head}\nscreenshot: ${png}`);
	}
	for (const s of shots) console.log(`# screenshot: ${s}`);
	await page.close();
}

if (!traces.length) finish();
if (!ok(fs.existsSync(CHROMIUM), `${CHROMIUM} exists (Debian package chromium)`)) finish();
if (!ok(fs.existsSync(path.join(SPEEDSCOPE, 'index.html')), 'speedscope is installed (npm ci in selftests/viewer)')) finish();

// A hung browser must not hang "make check".
setTimeout(() => { ok(false, 'the viewer part finished within 120 s'); finish(); }, 120000).unref();
const srv = await serve();
const base = `http://127.0.0.1:${srv.address().port}`;
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'cat-viewer-chromium-'));
let ctx;
try {
	ctx = await chromium.launchPersistentContext(profile, {
		executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS,
		viewport: { width: 1600, height: 900 }, timeout: 60000,
	});
	ok(true, `headless ${CHROMIUM} started (${ctx.browser() ? ctx.browser().version() : 'persistent context'})`);
	for (const t of traces) {
		try {
			await viewOne(ctx, base, t);
		} catch (err) {
			ok(false, `${t.label}: viewer run`, err.stack || String(err));
		}
	}
} catch (err) {
	ok(false, `headless ${CHROMIUM} started`, err.stack || String(err));
} finally {
	if (ctx) await ctx.close().catch(() => {});
	srv.close();
	if (!process.env.VIEWER_KEEP) fs.rmSync(profile, { recursive: true, force: true });
}
finish();
