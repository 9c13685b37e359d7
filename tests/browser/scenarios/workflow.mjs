// A workflow run in the browser, the Mojodex flow: start `echo_loop` from the catalog with its input, answer
// its question, reject the echoed step with feedback (it is redone with it), accept it, answer "no", and
// see the run complete. Env: DRYDOCK_USER, DRYDOCK_PASSWORD.
import { scenario, shot, step } from '../lib.mjs';

const expectText = async (page, text) => {
  await page.getByText(text, { exact: false }).first().waitFor({ timeout: 10_000 });
};

await scenario(async ({ page, url }) => {
  page.on('dialog', (dialog) => dialog.accept());
  await step('sign in on the way to the catalog', async () => {
    await page.goto(url('/sign-in?next=/workflows'));
    await page.getByLabel('Username').fill(process.env.DRYDOCK_USER);
    await page.getByLabel('Password').fill(process.env.DRYDOCK_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(url('/workflows'));
    await shot(page, 'workflows-catalog');
  });
  await step('start a run with its declared input', async () => {
    await page.locator('#in-echo_loop-greeting').fill('Hi');
    await page.getByRole('button', { name: 'Start a run of echo_loop' }).click();
    await page.waitForURL(/\/runs\/[0-9a-f-]+$/);
    await expectText(page, 'waiting for an answer');
    await shot(page, 'run-question');
  });
  await step('answer its question; the step waits for validation', async () => {
    await page.locator('#answer').fill('spring');
    await page.getByRole('button', { name: 'Answer' }).click();
    await expectText(page, 'Hi: spring');
    await expectText(page, 'waiting for validation');
    await shot(page, 'run-validate');
  });
  await step('reject with feedback: the step is redone with it', async () => {
    await page.locator('#feedback').fill(', louder');
    await page.getByRole('button', { name: 'Reject and redo with this feedback' }).click();
    await expectText(page, 'Hi: spring, louder');
    await expectText(page, 'Rejected with feedback:');
    await shot(page, 'run-redone');
  });
  await step('accept, answer "no", and the run completes', async () => {
    await page.getByRole('button', { name: 'Accept', exact: true }).click();
    await expectText(page, 'Another one?');
    await page.getByRole('button', { name: 'no', exact: true }).click();
    await page.locator('.badge.s-completed').first().waitFor({ timeout: 10_000 });
    await expectText(page, 'Echoed 1 time(s):');
    await shot(page, 'run-completed');
  });
});
