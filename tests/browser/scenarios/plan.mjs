// The plan pages: sign in, create a session from a work item, generate its plan (drawn as a DAG), rehearse
// the nodes up to the one that writes a file, read the rehearsal with its diff, approve the shown hash; the
// approved page reads at 320 px. Needs a server with the template planner and the workspace plugin.
// Env: DRYDOCK_USER, DRYDOCK_PASSWORD.
import { assert, assertEqual, assertNoHorizontalScroll, restoreViewport, scenario, shot, step } from '../lib.mjs';

await scenario(async ({ page, url }) => {
  page.on('dialog', (dialog) => dialog.accept()); // data-confirm
  let session = '';
  await step('sign in on the way to /plans', async () => {
    await page.goto(url('/plans'));
    await page.getByLabel('Username').fill(process.env.DRYDOCK_USER);
    await page.getByLabel('Password').fill(process.env.DRYDOCK_PASSWORD);
    await Promise.all([page.waitForURL(/\/plans$/), page.getByRole('button', { name: 'Sign in' }).click()]);
  });
  await step('a work item becomes a session', async () => {
    await page.getByLabel('Key').fill('WEB-42');
    await page.getByLabel('Title').fill('Retry failed uploads');
    await page.getByLabel('Description').fill('Uploads fail on flaky networks');
    await page.getByLabel('Labels').fill('backend, uploads');
    await shot(page, 'plan-new-session');
    await Promise.all([page.waitForURL(/done=created/), page.getByRole('button', { name: 'Create session' }).click()]);
  });
  await step('generating draws the plan as a DAG', async () => {
    await Promise.all([page.waitForURL(/done=generated/), page.getByRole('button', { name: 'Generate the plan' }).click()]);
    assert((await page.locator('svg.dag[role=img] g.n-pending').count()) > 0, 'the plan DAG is drawn with pending nodes');
    session = page.url().split('?')[0];
    await shot(page, 'plan-generated');
  });
  await step('rehearsing the nodes shows the file change as a diff, simulated', async () => {
    for (const node of ['analyze', 'implement']) {
      await page.goto(session);
      await Promise.all([page.waitForURL(/\/executions\//), page.getByRole('button', { name: `Dry run node ${node}` }).click()]);
      await page.waitForSelector('#execution .badge.s-completed, #execution .badge.s-failed', { timeout: 20000 });
      await page.reload(); // the final state, whether or not the live update swapped it in already
    }
    assert((await page.locator('pre.diff span.add').count()) > 0, 'the rehearsal shows the added lines');
    assert((await page.locator('[data-capability=fs] .badge.s-simulated').count()) > 0, 'file writes are simulated');
    await shot(page, 'plan-rehearsal');
  });
  await step('approving freezes the hash the page showed', async () => {
    await page.goto(session);
    const hash = (await page.locator('#content-hash').textContent()).trim();
    await Promise.all([page.waitForURL(/done=approved/), page.getByRole('button', { name: /Approve version/ }).click()]);
    assertEqual((await page.locator('#approved-hash').textContent()).trim(), hash, 'the approved hash');
    await shot(page, 'plan-approved');
  });
  await step('the approved plan reads at 320 px', async () => {
    await assertNoHorizontalScroll(page, 320);
    await shot(page, 'plan-approved-320');
    await restoreViewport(page);
  });
});
