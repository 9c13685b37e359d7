// The browser tests' driver: what every scenario in scenarios/ uses to drive Debian's Chromium through
// playwright-core against a Drydock server that the Rust test started (tests/integration/console.rs).
//
// A scenario is one script: `await scenario(async ({ page, url }) => { await step(...) ... })`. It exits 0
// when every step passed, 1 otherwise, and 124 when it ran past the hard timeout. Besides the scenario's own
// assertions, it fails when the page
//   - requests anything from another origin than the server's (such a request is aborted before it leaves),
//   - breaks its Content Security Policy, logs an error to the console, or throws an uncaught error.
//
// Environment: DRYDOCK_URL (the server, required), DRYDOCK_SCREENSHOTS (where shot() writes; a temporary
// folder when unset), DRYDOCK_CHROMIUM (the browser; /usr/bin/chromium when unset), DRYDOCK_SCENARIO_TIMEOUT_MS
// (the hard timeout; 120 s when unset).

import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const TIMEOUT_MS = Number(process.env.DRYDOCK_SCENARIO_TIMEOUT_MS || 120_000);
const started = Date.now();
let steps = 0;
let currentStep = '(before the first step)';
// The browser of the running scenario, whose guards each step checks.
let guarded = null;
// Every browser not closed yet, for the hard timeout to close.
const openBrowsers = new Set();

// Runs a whole scenario: a hard timeout, a fresh browser on DRYDOCK_URL, the body, then the guards' verdict.
// `options.allowConsoleErrors` lists regexps of console errors the scenario expects (a refused sign-in's 401).
export async function scenario(body, options = {}) {
  const base = process.env.DRYDOCK_URL;
  if (!base) fail('DRYDOCK_URL is not set: run scenarios through the Rust tests (tests/integration/console.rs)');
  const timer = armTimeout();
  let browser;
  try {
    browser = await openBrowser(base, options);
    guarded = browser;
    await body({ page: browser.page, url: (path) => new URL(path, base).href, browser });
    browser.check();
    console.log(`PASS: ${steps} steps in ${Date.now() - started} ms`);
  } catch (error) {
    console.error(`FAIL in step "${currentStep}": ${error.message}`);
    if (browser) {
      console.error(`requests made:\n  ${browser.requests.join('\n  ')}`);
      await shot(browser.page, `failure-${steps}`).catch(() => {});
    }
    process.exitCode = 1;
  } finally {
    await browser?.close();
    clearTimeout(timer);
  }
}

// Ends the process with 124 when it runs past the hard timeout, so that a hang cannot stall CI; returns the
// timer (clearTimeout to disarm it).
export function armTimeout() {
  return setTimeout(async () => {
    console.error(`FAIL: ran past the hard timeout of ${TIMEOUT_MS} ms, in step "${currentStep}"`);
    // Closing removes the profiles; a browser that does not close in 5 s is killed by Playwright at exit.
    const closing = Promise.all([...openBrowsers].map((browser) => browser.close()));
    await Promise.race([closing, new Promise((resolve) => setTimeout(resolve, 5000))]);
    process.exit(124);
  }, TIMEOUT_MS);
}

// Launches Chromium on a fresh profile with one guarded page. The result holds `page`, `context` (for a
// second page: `context.newPage()`, guarded too), `requests` (every request, "METHOD url"), `problems` (what the guards caught), `check()` (throws when there is a problem) and
// `close()`. `scenario` uses this; the self-check uses it directly to see the guards catch.
export async function openBrowser(base, { allowConsoleErrors = [] } = {}) {
  const origin = new URL(base).origin;
  const profile = await mkdtemp(join(tmpdir(), 'drydock-chromium-'));
  const launch = () => chromium.launchPersistentContext(profile, {
    executablePath: process.env.DRYDOCK_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run',
    ],
    viewport: { width: 1280, height: 800 },
  });
  // Chromium has been seen to crash at launch (SIGSEGV) on a machine loaded with compiles; one more try then,
  // saying so. A crash after launch is the scenario's failure like any other.
  const context = await launch().catch(async (error) => {
    console.log(`  Chromium did not start (${error.message.split('\n')[0]}); trying once more`);
    return launch();
  });
  const requests = [];
  const problems = [];
  const offOrigin = (url) => /^(https?|wss?):$/.test(url.protocol) && url.origin !== origin;
  // Routes see every request of every page before it is sent; one to another origin is recorded and aborted.
  await context.route(offOrigin, (route) => {
    problems.push(`request to another origin than ${origin}: ${route.request().method()} ${route.request().url()}`);
    return route.abort('blockedbyclient');
  });
  await context.routeWebSocket(offOrigin, (ws) => {
    problems.push(`websocket to another origin than ${origin}: ${ws.url()}`);
    return ws.close();
  });
  // A CSP violation is an event in the page; this reports it on the console, where the listener below sees it.
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || '(inline)'}`);
    });
  });
  // Every page of the context is watched, the first one and any the scenario or the site opens.
  const watch = (page) => {
    page.on('request', (request) => requests.push(`${request.method()} ${request.url()}`));
    page.on('console', (message) => {
      const text = message.text();
      if (message.type() === 'error' && !allowConsoleErrors.some((allowed) => allowed.test(text))) {
        problems.push(`console error: ${text}`);
      }
    });
    page.on('pageerror', (error) => problems.push(`uncaught error in the page: ${error.message}`));
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  const page = context.pages()[0] ?? (await context.newPage());
  const browser = {
    page,
    context,
    requests,
    problems,
    check() {
      if (problems.length) throw new Error(`the page misbehaved:\n  ${problems.join('\n  ')}`);
    },
    async close() {
      openBrowsers.delete(this);
      await context.close().catch(() => {});
      await rm(profile, { recursive: true, force: true });
    },
  };
  openBrowsers.add(browser);
  return browser;
}

// Runs one named step, logging it, and after it the guards' verdict, so a failure names its step.
export async function step(name, body) {
  steps += 1;
  currentStep = name;
  const stepStarted = Date.now();
  console.log(`step ${steps}: ${name}`);
  const result = await body();
  // Lets late events (a console error from a script that ran after load) reach the guards first.
  await new Promise((resolve) => setTimeout(resolve, 50));
  guarded?.check();
  console.log(`  ok (${Date.now() - stepStarted} ms)`);
  return result;
}

// Saves a full-page PNG as DRYDOCK_SCREENSHOTS/<name>.png; returns its path.
export async function shot(page, name) {
  const dir = process.env.DRYDOCK_SCREENSHOTS || join(tmpdir(), 'drydock-screenshots');
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  console.log(`  screenshot: ${path}`);
  return path;
}

// Presses Tab until `selector` has the focus (at most `maxTabs` times); fails saying what had it instead.
export async function tabTo(page, selector, maxTabs = 60) {
  const seen = [];
  for (let i = 0; i < maxTabs; i += 1) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return i + 1;
    seen.push(await describeFocus(page));
  }
  fail(`${selector} never got the focus in ${maxTabs} presses of Tab; the focus went through: ${seen.join(', ')}`);
}

// Reaches `selector` with Tab only and presses Enter on it, as a keyboard-only user would.
export async function activate(page, selector) {
  await tabTo(page, selector);
  await page.keyboard.press('Enter');
}

// Checks that every element matching `selector` gets the focus by pressing Tab from the top of the page.
export async function assertReachableByKeyboard(page, selector = 'a[href], button, input, select, textarea') {
  await page.evaluate(() => {
    document.activeElement?.blur();
    window.getSelection()?.removeAllRanges();
  });
  const wanted = await page.$$eval(selector, (elements) => elements.filter((e) => e.checkVisibility()).length);
  const reached = new Set();
  for (let i = 0; i < wanted * 2 + 5 && reached.size < wanted; i += 1) {
    await page.keyboard.press('Tab');
    const index = await page.evaluate((s) => {
      const all = [...document.querySelectorAll(s)];
      return all.indexOf(document.activeElement);
    }, selector);
    if (index >= 0) reached.add(index);
  }
  const missed = await page.$$eval(
    selector,
    (elements, reachedList) => elements
      .map((e, i) => (reachedList.includes(i) || !e.checkVisibility() ? null : e.outerHTML.slice(0, 80)))
      .filter(Boolean),
    [...reached],
  );
  assert(missed.length === 0, `not reachable with Tab: ${missed.join(' | ')}`);
  return wanted;
}

// Checks that the page reads at `width` px without horizontal scrolling; fails naming what sticks out.
// Leaves the viewport at that width (take a screenshot of it), `restoreViewport` brings it back.
export async function assertNoHorizontalScroll(page, width = 320) {
  await page.setViewportSize({ width, height: 800 });
  const { scrollWidth, culprits } = await page.evaluate((w) => ({
    scrollWidth: document.documentElement.scrollWidth,
    culprits: [...document.body.querySelectorAll('*')]
      .filter((e) => e.getBoundingClientRect().right > w)
      .map((e) => `<${e.tagName.toLowerCase()}> "${(e.textContent || '').trim().slice(0, 40)}" ends at ${Math.round(e.getBoundingClientRect().right)} px`)
      .slice(0, 5),
  }), width);
  assert(scrollWidth <= width, `at ${width} px wide the page is ${scrollWidth} px wide (scrolls sideways); sticking out: ${culprits.join('; ')}`);
}

export async function restoreViewport(page) {
  await page.setViewportSize({ width: 1280, height: 800 });
}

export function assert(condition, message) {
  if (!condition) fail(message);
}

export function assertEqual(actual, expected, what) {
  if (actual !== expected) fail(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

export function assertIncludes(text, part, what) {
  if (!String(text).includes(part)) fail(`${what}: expected it to contain ${JSON.stringify(part)}, got ${JSON.stringify(String(text).slice(0, 300))}`);
}

function fail(message) {
  throw new Error(message);
}

async function describeFocus(page) {
  return page.evaluate(() => {
    const e = document.activeElement;
    if (!e || e === document.body) return '(body)';
    return `<${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}> "${(e.textContent || e.getAttribute('aria-label') || '').trim().slice(0, 30)}"`;
  });
}
