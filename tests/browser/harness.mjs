// Shared pieces of the browser tests: a real immovr server on a free port with the demo data,
// the staff side driven through the JSON API, Debian's chromium through playwright-core,
// accessibility checks with axe-core, screenshots kept under artifacts/.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { AxeBuilder } from "@axe-core/playwright";

const root = resolve(import.meta.dirname, "../..");
const bin = process.env.IMMOVR_BIN || join(process.env.CARGO_TARGET_DIR || join(root, "target"), "debug", "immovr");
export const artifacts = join(import.meta.dirname, "artifacts");
mkdirSync(artifacts, { recursive: true });

function freePort() {
  return new Promise((ok) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

export async function startServer() {
  const data = mkdtempSync(join(tmpdir(), "immovr-browser-"));
  const port = await freePort();
  const env = { ...process.env, IMMOVR_DATA_DIR: data, IMMOVR_LISTEN: `127.0.0.1:${port}`, RUST_LOG: "warn" };
  delete env.DATABASE_URL;
  const proc = spawn(bin, ["demo"], { env, stdio: ["ignore", "ignore", "inherit"] });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${base}/readyz`)).ok) break;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  const token = execFileSync(bin, ["token", "create", "--email", "admin@immovr.example"], { env }).toString().trim();
  const api = async (method, path, body) => {
    const res = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json().catch(() => null);
    assert.ok(res.ok, `${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  // The path of the newest emailed link of this kind (signup_confirm, magic_link…) to `email`,
  // read in the outbox as the studio's admin: what the client's mailbox holds.
  const emailedLink = async (kind, email) => {
    const outbox = await api("GET", "/outbox?limit=100");
    const message = outbox.items.find((m) => m.kind === kind && m.recipient === email);
    assert.ok(message, `no ${kind} email to ${email}`);
    return message.payload.url_path;
  };
  // The link of the newest email of this kind to `email` about `page` (`d12`: quote 12, `c3`:
  // order 3, `f4`: invoice 4), as the client's mailbox shows it: read from the `.eml` the outbox
  // folder holds (the link is signed as the email is composed, so it waits for the email).
  const mailedLink = async (kind, email, page) => {
    for (let i = 0; i < 100; i++) {
      const names = readdirSync(join(data, "outbox")).filter((n) => n.endsWith(`-${kind}.eml`)).sort().reverse();
      for (const name of names) {
        // Quoted-printable: soft line breaks joined, "=3D" back to "=".
        const eml = readFileSync(join(data, "outbox", name), "latin1").replace(/=\r?\n/g, "").replace(/=3D/g, "=");
        const link = eml.match(/https?:\/\/[^\s"<]+\/acces\/[A-Za-z0-9._-]+/);
        if (eml.includes(`To: ${email}`) && link?.[0].includes(`.${page}.`)) return new URL(link[0]).pathname;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`no ${kind} email to ${email} about ${page}`);
  };
  return { base, api, token, emailedLink, mailedLink, stop: () => proc.kill("SIGTERM") };
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
}

/** No serious or critical accessibility violation on the current page. */
export async function checkA11y(page, name) {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(
    bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`),
    [],
    `accessibility violations on ${name}`,
  );
}

/** At 375 px wide nothing overflows sideways (tables scroll inside their wrapper). */
export async function checkNarrow(browser, storageState, url, name) {
  const ctx = await browser.newContext({ viewport: { width: 375, height: 812 }, storageState });
  const page = await ctx.newPage();
  await page.goto(url);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  await page.screenshot({ path: join(artifacts, `375px-${name}.png`), fullPage: true });
  await ctx.close();
  assert.ok(width <= 375, `${name} is ${width}px wide at a 375px viewport`);
}

export async function shot(page, name) {
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}
