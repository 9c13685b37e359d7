// The page served at `/` today (host/server/src/api/home.rs): it loads with nothing from elsewhere, reads at
// 320 px, its links are reachable with the keyboard, and Enter on one follows it.
import {
  activate, assertEqual, assertIncludes, assertNoHorizontalScroll, assertReachableByKeyboard, restoreViewport,
  scenario, shot, step,
} from '../lib.mjs';

await scenario(async ({ page, url }) => {
  await step('open /', async () => {
    await page.goto(url('/'));
    assertEqual(await page.title(), 'Drydock', 'the title');
    assertIncludes(await page.locator('h1').innerText(), 'Drydock', 'the heading');
    await shot(page, 'home');
  });
  await step('reads at 320 px without scrolling sideways', async () => {
    await assertNoHorizontalScroll(page, 320);
    await shot(page, 'home-320');
    await restoreViewport(page);
  });
  await step('every link is reachable with Tab', async () => {
    await assertReachableByKeyboard(page, 'a[href]');
  });
  await step('Enter on the health link follows it', async () => {
    await page.reload();
    await activate(page, 'a[href="/healthz"]');
    await page.waitForURL(url('/healthz'));
    assertIncludes(await page.locator('body').innerText(), '"status"', 'the health answer');
  });
});
