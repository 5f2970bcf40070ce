/**
 * Opens a report rendered from the fixture results in headless Chromium (Debian's, never a
 * download) and checks what a reader sees: charts drawn, tables filled, nothing fetched, no
 * errors, the hostile scenario name shown as text. Saves a full-page screenshot for CI.
 * Without /usr/bin/chromium the test is ignored locally and fails in CI (CI=true).
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ignoreWithout } from "../_tools.ts";
import { pathToFileURL } from "node:url";
import puppeteer from "puppeteer-core";
import { writeAbReport, writeReport } from "../../src/report/write.ts";
import { fixturePath, readFixture } from "../report/_fixtures.ts";
import { abFixture } from "../report/_ab_fixtures.ts";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = "reports/artifacts";
const hasChromium = existsSync(CHROMIUM);

interface CanvasInfo {
  id: string;
  expected: number;
  datasets: number;
  painted: number;
}

/** Runs in the page (a string: this file is type-checked without the DOM library). */
const CANVAS_PROBE = `[...document.querySelectorAll("canvas")].map((c) => {
  const { data } = c.getContext("2d").getImageData(0, 0, c.width, c.height);
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
  const chart = Chart.getChart(c);
  return {
    id: c.id,
    expected: Number(c.dataset.datasets),
    datasets: chart ? chart.data.datasets.length : -1,
    painted,
  };
})`;

Deno.test({
  name: "report.html renders in headless Chromium offline with every chart drawn",
  ignore: ignoreWithout(hasChromium, "Debian's chromium (apt-get install chromium)"),
  // puppeteer keeps sockets and timers of its own beyond the test's awaits.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    assert.ok(
      hasChromium,
      `Cannot run the browser test as ${CHROMIUM} is missing (apt-get install chromium)`,
    );
    const before = await readFixture("before");
    const after = await readFixture("after");
    await Deno.mkdir(ARTIFACTS, { recursive: true });
    const htmlPath = join(ARTIFACTS, "report.html");
    await writeReport([fixturePath("before"), fixturePath("after")], htmlPath, {
      labels: ["before", "after"],
    });
    const url = pathToFileURL(await Deno.realPath(htmlPath)).href;
    const profile = await Deno.makeTempDir({ prefix: "report-chromium-" });
    const browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      // Talk to Chromium over a pipe, not a WebSocket on localhost: no --allow-net needed.
      pipe: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        `--user-data-dir=${profile}`,
      ],
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      const requests: string[] = [];
      const dialogs: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(m.text());
      });
      page.on("pageerror", (e) => errors.push(String(e)));
      page.on("request", (r) => requests.push(r.url()));
      page.on("dialog", async (d) => {
        dialogs.push(d.message());
        await d.dismiss();
      });
      await page.setViewport({ width: 1280, height: 800 });
      await page.goto(url, { waitUntil: "load" });

      assert.deepEqual(errors, []);
      assert.deepEqual(requests, [url], "the report must fetch nothing beyond itself");
      assert.deepEqual(dialogs, []);

      const canvases = await page.evaluate(CANVAS_PROBE) as CanvasInfo[];
      assert.ok(canvases.length >= 8, `${canvases.length} charts`);
      for (const c of canvases) {
        assert.equal(c.datasets, c.expected, `datasets of ${c.id}`);
        assert.ok(c.painted > 1000, `${c.id} is blank (${c.painted} painted pixels)`);
      }

      const rows = (name: string) =>
        page.$$eval(`table[data-table="${name}"] tbody tr`, (trs) => trs.length);
      const done = (cases: typeof after.cases) => cases.filter((c) => c.state === "completed");
      assert.equal(await rows("cases"), done(after.cases).length);
      assert.equal(await rows("problems"), after.cases.length - done(after.cases).length);
      const compared = done(after.cases).filter((c) =>
        done(before.cases).some((b) => b.id === c.id)
      );
      assert.equal(await rows("deltas"), compared.length);
      assert.equal(await rows("missing"), 4);
      assert.equal(await rows("context"), 14);
      assert.ok((await rows("cost")) > 0 && (await rows("time-blocks")) > 0);

      const heading = await page.$eval("h1", (h) => h.textContent);
      assert.equal(heading, "RepStem Bench: <script>alert(1)</script> tiny");
      assert.equal(await page.$$eval("script", (s) => s.length), 3);
      assert.equal(await page.title(), "RepStem Bench: <script>alert(1)</script> tiny");

      await page.screenshot({ path: join(ARTIFACTS, "report.png"), fullPage: true });
      assert.ok((await Deno.stat(join(ARTIFACTS, "report.png"))).size > 10_000);
    } finally {
      await browser.close();
      await Deno.remove(profile, { recursive: true });
    }
  },
});

/** A report open in headless Chromium, with what the page logged, fetched and asked. */
interface OpenReport {
  page: Awaited<ReturnType<Awaited<ReturnType<typeof puppeteer.launch>>["newPage"]>>;
  url: string;
  errors: string[];
  requests: string[];
  dialogs: string[];
  close(): Promise<void>;
}

/** Opens an HTML file in headless Chromium (flags as above) and waits for its load event. */
async function openInChromium(htmlPath: string): Promise<OpenReport> {
  const url = pathToFileURL(await Deno.realPath(htmlPath)).href;
  const profile = await Deno.makeTempDir({ prefix: "report-chromium-" });
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    pipe: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      `--user-data-dir=${profile}`,
    ],
  });
  const close = async () => {
    await browser.close();
    await Deno.remove(profile, { recursive: true });
  };
  try {
    const page = await browser.newPage();
    const opened: OpenReport = { page, url, errors: [], requests: [], dialogs: [], close };
    page.on("console", (m) => {
      if (m.type() === "error") opened.errors.push(m.text());
    });
    page.on("pageerror", (e) => opened.errors.push(String(e)));
    page.on("request", (r) => opened.requests.push(r.url()));
    page.on("dialog", async (d) => {
      opened.dialogs.push(d.message());
      await d.dismiss();
    });
    await page.setViewport({ width: 1280, height: 800 });
    await page.goto(url, { waitUntil: "load" });
    return opened;
  } catch (e) {
    await close();
    throw e;
  }
}

Deno.test({
  name: "the A/B report.html renders in headless Chromium offline with both charts drawn",
  ignore: ignoreWithout(hasChromium, "Debian's chromium (apt-get install chromium)"),
  // puppeteer keeps sockets and timers of its own beyond the test's awaits.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    assert.ok(
      hasChromium,
      `Cannot run the browser test as ${CHROMIUM} is missing (apt-get install chromium)`,
    );
    await Deno.mkdir(ARTIFACTS, { recursive: true });
    const htmlPath = join(ARTIFACTS, "ab_report.html");
    await writeAbReport(abFixture(), htmlPath, { label: "ab.json" });
    const opened = await openInChromium(htmlPath);
    try {
      const { page } = opened;
      assert.deepEqual(opened.errors, []);
      assert.deepEqual(
        opened.requests,
        [opened.url],
        "the report must fetch nothing beyond itself",
      );
      assert.deepEqual(opened.dialogs, []);

      const canvases = await page.evaluate(CANVAS_PROBE) as CanvasInfo[];
      assert.deepEqual(canvases.map((c) => c.id), ["chart-ab-ratio-1", "chart-ab-speedup-2"]);
      for (const c of canvases) {
        assert.equal(c.datasets, c.expected, `datasets of ${c.id}`);
        assert.ok(c.painted > 1000, `${c.id} is blank (${c.painted} painted pixels)`);
      }
      const rows = (name: string) =>
        page.$$eval(`table[data-table="${name}"] tbody tr`, (trs) => trs.length);
      assert.equal(await rows("ab"), 5);
      assert.equal(await rows("ab-speedup"), 2);
      assert.equal(
        await page.$eval("h1", (h) => h.textContent),
        "RepStem Bench A/B: <b>ab</b> models",
      );
      assert.equal(await page.$$eval("script", (s) => s.length), 3);

      await page.screenshot({ path: join(ARTIFACTS, "ab_report.png"), fullPage: true });
      assert.ok((await Deno.stat(join(ARTIFACTS, "ab_report.png"))).size > 10_000);
    } finally {
      await opened.close();
    }
  },
});
