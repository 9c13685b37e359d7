// The plan pages in Chromium: sign in, create a session from a work item, generate its plan, rehearse the
// nodes up to the one that writes a file, read the rehearsal with its diff, approve the shown hash.
// Self-contained for now (to be ported to tests/browser/lib.mjs). Needs a server with the template planner
// and the workspace plugin (`drydock serve`), and DRYDOCK_URL, DRYDOCK_USER, DRYDOCK_PASSWORD,
// DRYDOCK_SCREENSHOTS. Exits non-zero with the reason on the first failed check.
import { chromium } from "playwright-core";

const base = process.env.DRYDOCK_URL ?? "http://127.0.0.1:8080";
const shots = process.env.DRYDOCK_SCREENSHOTS ?? ".";
const check = (ok, what) => { if (!ok) throw new Error(`check failed: ${what}`); };
const shot = (page, name) => page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run"],
});
try {
  const page = await browser.newPage();
  const errors = [];
  page.on("console", (m) => m.type() === "error" && errors.push(m.text())); // CSP violations show here
  page.on("pageerror", (e) => errors.push(String(e)));

  await page.goto(`${base}/plans`);
  await page.fill("#username", process.env.DRYDOCK_USER);
  await page.fill("#password", process.env.DRYDOCK_PASSWORD);
  await Promise.all([page.waitForURL(/\/plans$/), page.click("form button[type=submit]")]);

  await page.getByLabel("Key").fill(`WEB-${Date.now() % 100000}`);
  await page.getByLabel("Title").fill("Retry failed uploads");
  await page.getByLabel("Description").fill("Uploads fail on flaky networks");
  await page.getByLabel("Labels").fill("backend, uploads");
  await shot(page, "plan-new-session");
  await Promise.all([page.waitForURL(/done=created/), page.getByRole("button", { name: "Create session" }).click()]);

  await Promise.all([page.waitForURL(/done=generated/), page.getByRole("button", { name: "Generate the plan" }).click()]);
  check(await page.locator("svg.dag[role=img] g.n-pending").count() > 0, "the plan's DAG is drawn");
  await shot(page, "plan-generated");
  const session = page.url().split("?")[0];

  // Dry-run nodes in plan order until `implement` (the one that writes a file) has run.
  for (const node of ["analyze", "implement"]) {
    await page.goto(session);
    await Promise.all([page.waitForURL(/\/executions\//), page.getByRole("button", { name: `Dry run node ${node}` }).click()]);
    await page.waitForSelector("#execution .badge.s-completed, #execution .badge.s-failed", { timeout: 20000 });
    await page.reload(); // the final state, whether or not the live update already swapped it in
  }
  check(await page.locator("pre.diff span.add").count() > 0, "the rehearsal shows the diff's added lines");
  check(await page.locator("[data-capability=fs] .badge.s-simulated").count() > 0, "file writes are simulated");
  await shot(page, "plan-rehearsal");

  await page.goto(session);
  const hash = (await page.locator("#content-hash").textContent()).trim();
  page.once("dialog", (d) => d.accept()); // data-confirm
  await Promise.all([page.waitForURL(/done=approved/), page.getByRole("button", { name: /Approve version/ }).click()]);
  check((await page.locator("#approved-hash").textContent()).trim() === hash, "the approved hash is the one shown");
  await page.setViewportSize({ width: 320, height: 800 });
  await shot(page, "plan-approved-320");
  check(errors.length === 0, `no console errors: ${errors.join(" | ")}`);
  console.log("plan scenario: ok");
} finally {
  await browser.close();
}
