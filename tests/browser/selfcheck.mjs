// A check of lib.mjs itself: its guards can fail. It serves small pages from Node's http on 127.0.0.1, each
// doing one wrong thing, and asserts the guard reports it: a script from another host (and that the request
// was aborted before it left: a second local server counts what reaches it), a CSP violation, an uncaught
// error, a page too wide for 320 px, and a link Tab cannot reach. Run by tests/integration/console.rs.
import { createServer } from 'node:http';
import {
  armTimeout, assert, assertEqual, assertNoHorizontalScroll, assertReachableByKeyboard, openBrowser, step,
} from './lib.mjs';

const timer = armTimeout();

// Serves `pages` (path → [headers, html]) on a free loopback port; counts the requests it got.
async function serve(pages) {
  const server = createServer((request, response) => {
    server.hits += 1;
    const [headers, html] = pages[request.url] ?? [{}, 'not found'];
    response.writeHead(pages[request.url] ? 200 : 404, { 'content-type': 'text/html', ...headers });
    response.end(html);
  });
  server.hits = 0;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${server.address().port}` };
}

// Opens `path` in a fresh guarded browser, runs `more` on the page, and returns what the guards caught.
async function problemsOf(origin, path, more = async () => {}) {
  const browser = await openBrowser(origin);
  try {
    await browser.page.goto(`${origin}${path}`);
    await more(browser.page);
    await new Promise((resolve) => setTimeout(resolve, 100));
    return browser.problems;
  } finally {
    await browser.close();
  }
}

async function rejects(body) {
  try {
    await body();
  } catch (error) {
    return error.message;
  }
  return null;
}

const elsewhere = await serve({ '/x.js': [{}, 'window.loaded = true;'] });
const { server, origin } = await serve({
  '/off-host': [{}, `<title>t</title><script src="http://example.invalid/x.js"></script>
    <script src="${elsewhere.origin}/x.js"></script>`],
  '/csp': [{ 'content-security-policy': "script-src 'self'" }, '<title>t</title><script>1</script>'],
  '/throws': [{}, '<title>t</title><script>throw new Error("boom")</script>'],
  '/wide': [{}, '<title>t</title><div style="width:600px">wide</div>'],
  '/unreachable': [{}, '<title>t</title><a href="/a">a</a><a href="/b" tabindex="-1">b</a>'],
  '/clean': [{}, '<title>t</title><a href="/a">a</a>'],
});

try {
  await step('a clean page passes every guard', async () => {
    const problems = await problemsOf(origin, '/clean');
    assertEqual(problems.length, 0, `problems of a clean page (${problems.join('; ')})`);
  });
  await step('a script from another host is reported and never sent', async () => {
    const problems = await problemsOf(origin, '/off-host');
    assert(problems.some((p) => p.includes('http://example.invalid/x.js')), `example.invalid not reported: ${problems}`);
    assert(problems.some((p) => p.includes(`${elsewhere.origin}/x.js`)), `the other port not reported: ${problems}`);
    assertEqual(elsewhere.server.hits, 0, 'requests that reached the other server');
  });
  await step('a CSP violation is reported', async () => {
    const problems = await problemsOf(origin, '/csp');
    assert(problems.some((p) => p.includes('CSP violation: script-src')), `no CSP violation reported: ${problems}`);
  });
  await step('an uncaught error is reported', async () => {
    const problems = await problemsOf(origin, '/throws');
    assert(problems.some((p) => p.includes('uncaught error in the page: boom')), `no page error reported: ${problems}`);
  });
  await step('a page wider than 320 px fails the narrow check', async () => {
    let message = null;
    await problemsOf(origin, '/wide', async (page) => {
      message = await rejects(() => assertNoHorizontalScroll(page, 320));
    });
    assert(message?.includes('scrolls sideways'), `the wide page passed: ${message}`);
  });
  await step('a link Tab cannot reach fails the keyboard check', async () => {
    let message = null;
    await problemsOf(origin, '/unreachable', async (page) => {
      message = await rejects(() => assertReachableByKeyboard(page, 'a[href]'));
    });
    assert(message?.includes('href="/b"'), `the unreachable link passed: ${message}`);
  });
  console.log('PASS: every guard caught its case');
} catch (error) {
  console.error(`FAIL: ${error.message}`);
  process.exitCode = 1;
} finally {
  server.close();
  elsewhere.server.close();
  clearTimeout(timer);
}
