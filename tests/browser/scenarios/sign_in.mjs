// Signing in with the keyboard only: a signed-out visitor is sent to the sign-in page, which explains the
// first start; a wrong password is shown beside the form; repeated failures on one account are throttled
// (429, with when to retry) while another account still signs in; the overview reads at 320 px; sign-out
// ends the session. Env: DRYDOCK_USER / DRYDOCK_PASSWORD (an account), DRYDOCK_VICTIM (another account,
// whose password the scenario does not know).
import {
  assert, assertIncludes, assertNoHorizontalScroll, assertReachableByKeyboard, restoreViewport, scenario, shot,
  step, tabTo,
} from '../lib.mjs';

const user = process.env.DRYDOCK_USER;
const password = process.env.DRYDOCK_PASSWORD;
const victim = process.env.DRYDOCK_VICTIM;

async function typeSignIn(page, name, secret) {
  await page.evaluate(() => document.activeElement?.blur());
  await tabTo(page, '#username');
  await page.keyboard.press('Control+A');
  await page.keyboard.type(name);
  await page.keyboard.press('Tab');
  await page.keyboard.type(secret);
  const answered = page.waitForNavigation({ waitUntil: 'domcontentloaded' });
  await page.keyboard.press('Enter');
  await answered;
}

await scenario(async ({ page, url }) => {
  await step('a signed-out visitor lands on the sign-in page, which explains the first start', async () => {
    const response = await page.goto(url('/'));
    assert(page.url().startsWith(url('/sign-in')), `expected the sign-in page, got ${page.url()}`);
    assert(response.ok(), `the sign-in page answered ${response.status()}`);
    const text = await page.locator('main').innerText();
    assertIncludes(text, 'admin', 'the first-start explanation');
    assertIncludes(text, 'drydock user add', 'how to add an account');
    await assertReachableByKeyboard(page, 'input:not([type=hidden]), button, a[href]');
    await shot(page, 'sign-in');
  });
  await step('a wrong password is shown beside the form, with the username kept', async () => {
    await typeSignIn(page, victim, 'not-the-password');
    const alert = page.locator('[role=alert]');
    assertIncludes(await alert.innerText(), 'wrong username or password', 'the error');
    assert((await page.inputValue('#username')) === victim, 'the username is kept');
    assert((await page.inputValue('#password')) === '', 'the password is not');
  });
  await step('repeated failures on one account are throttled, saying when to retry', async () => {
    let throttled = '';
    for (let attempt = 0; attempt < 12 && !throttled; attempt += 1) {
      await typeSignIn(page, victim, `guess-${attempt}`);
      const text = await page.locator('[role=alert]').innerText();
      if (/too many/i.test(text)) throttled = text;
    }
    assert(throttled, 'no sign-in was throttled after 12 failures');
    assert(/\d/.test(throttled), `the throttled message says when to retry: ${throttled}`);
    await shot(page, 'sign-in-throttled');
  });
  await step('another account still signs in, with the keyboard only', async () => {
    await typeSignIn(page, user, password);
    await page.waitForURL(url('/'));
    assertIncludes(await page.locator('.who').innerText(), user, 'who is signed in');
    await shot(page, 'overview');
  });
  await step('the overview reads at 320 px', async () => {
    await assertNoHorizontalScroll(page, 320);
    await shot(page, 'overview-320');
    await restoreViewport(page);
  });
  await step('the first render fetched no data beyond its HTML', async () => {
    const fetched = await page.evaluate(() => performance.getEntriesByType('resource')
      .filter((e) => e.initiatorType === 'fetch' || e.initiatorType === 'xmlhttprequest').map((e) => e.name));
    console.log(`  data requests after the HTML: ${fetched.length}`);
    assert(fetched.length <= 1, `the overview fetched ${fetched.length} data resources: ${fetched.join(', ')}`);
  });
  await step('sign out ends the session', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/sign-in/);
    await page.goto(url('/'));
    assert(page.url().startsWith(url('/sign-in')), 'signed out: back to the sign-in page');
  });
}, { allowConsoleErrors: [/status of 40[13]/, /status of 429/] });
