// The workflow console end to end in Chromium: sign in, start a run of `echo_loop` (an input, then a
// sandboxed echo whose output a person validates), reject the echo with feedback, see it redone with the
// feedback, accept it, answer "no" to "another one?", and see the run complete. Screenshots at each stage.
// Self-contained for now (the shared harness, ../lib.mjs, will take over the launch and the helpers).
// Env: DRYDOCK_URL, DRYDOCK_USER, DRYDOCK_PASSWORD, DRYDOCK_SCREENSHOTS.
import { chromium } from 'playwright-core';

const base = process.env.DRYDOCK_URL ?? 'http://127.0.0.1:8080';
const shots = process.env.DRYDOCK_SCREENSHOTS ?? '.';
const url = (path) => new URL(path, base).toString();
const shot = (page, name) => page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
const expectText = async (page, text) => {
  await page.getByText(text, { exact: false }).first().waitFor({ timeout: 10_000 });
};

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--no-first-run'],
});
try {
  const page = await browser.newPage();
  page.on('dialog', (dialog) => dialog.accept());

  await page.goto(url('/sign-in?next=/workflows'));
  await page.getByLabel('Username').fill(process.env.DRYDOCK_USER ?? 'admin');
  await page.getByLabel('Password').fill(process.env.DRYDOCK_PASSWORD ?? '');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(url('/workflows'));
  await shot(page, 'workflows-catalog');

  // Start a run from the catalog, with its declared input filled in.
  await page.locator('#in-echo_loop-greeting').fill('Hi');
  await page.getByRole('button', { name: 'Start a run of echo_loop' }).click();
  await page.waitForURL(/\/runs\/[0-9a-f-]+$/);
  await expectText(page, 'waiting for an answer');
  await shot(page, 'run-question');

  await page.locator('#answer').fill('spring');
  await page.getByRole('button', { name: 'Answer' }).click();
  await expectText(page, 'Hi: spring');
  await expectText(page, 'waiting for validation');
  await shot(page, 'run-validate');

  // Reject with feedback: the step is redone with it and waits again.
  await page.locator('#feedback').fill(', louder');
  await page.getByRole('button', { name: 'Reject and redo with this feedback' }).click();
  await expectText(page, 'Hi: spring, louder');
  await expectText(page, 'Rejected with feedback:');
  await shot(page, 'run-redone');

  // Accept: the run goes on to its yes/no question; "no" ends it.
  await page.getByRole('button', { name: 'Accept', exact: true }).click();
  await expectText(page, 'Another one?');
  await page.getByRole('button', { name: 'no', exact: true }).click();
  await page.locator('.badge.s-completed').first().waitFor({ timeout: 10_000 });
  await expectText(page, 'Echoed 1 time(s):');
  await shot(page, 'run-completed');
  console.log('workflow scenario: ok');
} finally {
  await browser.close();
}
