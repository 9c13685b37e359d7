// An operator at work: the plugins page says the master switch holds every toggle back, a capability is
// toggled live with the keyboard and the page confirms who set it; the audit log shows the toggle, filters
// by action, and verifies the chain; a form stripped of its CSRF token is refused and changes nothing.
// Env: DRYDOCK_USER / DRYDOCK_PASSWORD (an operator), DRYDOCK_PLUGIN (a plugin with an http grant).
import { assert, assertIncludes, scenario, shot, step } from '../lib.mjs';

const plugin = process.env.DRYDOCK_PLUGIN;

await scenario(async ({ page, url }) => {
  await step('sign in as an operator', async () => {
    await page.goto(url('/sign-in?next=/operators/plugins'));
    await page.getByLabel('Username').fill(process.env.DRYDOCK_USER);
    await page.getByLabel('Password').fill(process.env.DRYDOCK_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(url('/operators/plugins'));
  });
  await step('the plugins page says why a toggle alone does nothing while the master switch is off', async () => {
    assertIncludes(await page.locator('main').innerText(), 'master switch is off, so these toggles do nothing yet', 'the explanation');
    await shot(page, 'plugins');
  });
  await step('toggle http live with the keyboard', async () => {
    const box = page.locator(`#live-${plugin}-http`);
    assert(!(await box.isChecked()), 'http starts dry');
    await box.focus();
    await page.keyboard.press('Space');
    await page.getByRole('button', { name: `Save live list for ${plugin}` }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/saved=/);
    const card = page.locator(`#plugin-${plugin}`);
    assertIncludes(await card.innerText(), `Saved the live list of \`${plugin}\``, 'the confirmation');
    assertIncludes(await card.innerText(), 'set by', 'who set it');
    assert(await page.locator(`#live-${plugin}-http`).isChecked(), 'http is now checked');
    await shot(page, 'plugins-toggled');
  });
  await step('a toggle without its CSRF token is refused and changes nothing', async () => {
    await page.evaluate((name) => {
      const form = document.querySelector(`form[action="/operators/plugins/${name}/live"]`);
      form.querySelector('input[name=_csrf]').remove();
      form.querySelector('input[name=http]').checked = false;
    }, plugin);
    await page.getByRole('button', { name: `Save live list for ${plugin}` }).click();
    await page.waitForLoadState('domcontentloaded');
    assertIncludes(await page.locator('[role=alert]').innerText(), 'CSRF', 'the refusal');
    await shot(page, 'csrf-refused');
    await page.goto(url('/operators/plugins'));
    assert(await page.locator(`#live-${plugin}-http`).isChecked(), 'http is still live: the forged form changed nothing');
  });
  await step('the audit log shows the toggle and verifies the chain', async () => {
    await page.getByRole('link', { name: 'Audit' }).click();
    await page.getByLabel('Action').fill('policy.live');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/action=policy.live/);
    assertIncludes(await page.locator('tbody').innerText(), 'policy.live.set', 'the toggle row');
    await page.getByRole('link', { name: 'Verify the chain' }).click();
    const verdict = await page.locator('#verification').innerText();
    assertIncludes(verdict, 'Intact.', 'the chain');
    assert(/[0-9a-f]{64}/.test(verdict), `the head hash is shown: ${verdict}`);
    await shot(page, 'audit-verified');
  });
}, { allowConsoleErrors: [/status of 403/] });
