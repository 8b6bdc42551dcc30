// Issue 13, point 4: an email's link opens its document without signing in, at 1280 and
// 375 px; the page says how it was opened, offers its PDF, keeps the rest of the account
// behind the login, and accepting still takes the signature step.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launch, checkA11y, shot } from "./harness.mjs";

const CLIENT = "claire.dubois@agence-lumiere.example";
let server, browser;

before(async () => {
  server = await startServer();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

test("the quote's email opens the quote, and accepting takes the signature", async () => {
  const { api } = server;
  const client = (await api("GET", "/clients?q=Lumiere")).items.find((c) => c.email === CLIENT);
  const quote = await api("POST", "/quotes", {
    client_id: client.id, title: "Visite virtuelle — lien de l'e-mail",
    lines: [{ description: "Visite virtuelle 360°", quantity: "1", unit: "forfait", unit_price: "390.00", vat_rate: "20" }],
  });
  await api("POST", `/quotes/${quote.id}/send`);
  const link = await server.mailedLink("quote_sent", CLIENT, `d${quote.id}`);

  // Desktop, nobody signed in: the email's button.
  const ctx = await browser.newContext({ locale: "fr-FR" });
  const page = await ctx.newPage();
  page.on("pageerror", (e) => assert.fail(`page error: ${e.message}`));
  await page.goto(server.base + link);
  await page.waitForURL(`**/compte/devis/${quote.id}`);
  await page.getByText("grâce au lien reçu par e-mail").waitFor();
  await checkA11y(page, "lien-devis");
  await shot(page, "lien-1-devis-depuis-email");
  assert.equal(await page.locator("nav details.menu").count(), 0, "no account menu: this document only");
  const pdf = await page.locator("a.pdf").first().getAttribute("href");
  assert.equal((await page.request.get(server.base + pdf)).headers()["content-type"], "application/pdf");
  // The rest of the account asks to sign in.
  await page.goto(server.base + "/compte/factures");
  await page.waitForURL("**/connexion?suivant=/compte/factures");
  await page.goto(server.base + `/compte/devis/${quote.id}`);

  // Accepting: the signature step, then the evidence names the link.
  // (Without the signature the browser does not even send the form; the server refuses it too:
  // see the API test `a_link_opens_its_document_only_and_accepting_still_takes_the_signature`.)
  await page.getByRole("button", { name: /^Accepter/ }).click();
  assert.equal(await page.locator("#signer_name:invalid, [name=signer_name]:invalid").count(), 1, "the signature is asked for");
  assert.equal((await api("GET", `/quotes/${quote.id}`)).status, "sent", "not accepted without the signature");
  await page.getByLabel("Votre nom complet (signature)").fill("Claire Dubois");
  await page.getByLabel(/Bon pour accord/).check();
  await page.getByLabel(/conditions générales/).check();
  // (A private client is asked whether the work may start within its withdrawal period.)
  const early = page.getByLabel(/commence avant la fin du délai de rétractation/);
  if (await early.count()) await early.check();
  await page.getByRole("button", { name: /^Accepter/ }).click();
  await page.getByText("Devis accepté. Bon de commande généré").waitFor();
  await page.getByText("Ouvert par le lien personnel de l’e-mail du").waitFor();
  await checkA11y(page, "lien-devis-accepte");
  await shot(page, "lien-2-accepte-depuis-email");
  const accepted = await api("GET", `/quotes/${quote.id}`);
  assert.equal(accepted.status, "accepted");
  assert.ok(accepted.acceptance.link_sent_at, "the evidence keeps the link");
  await ctx.close();

  // At 375 px: the purchase order's email opens the same page, nothing overflows.
  const narrow = await browser.newContext({ locale: "fr-FR", viewport: { width: 375, height: 812 } });
  const mobile = await narrow.newPage();
  await mobile.goto(server.base + (await server.mailedLink("purchase_order_created", CLIENT, `d${quote.id}`)));
  await mobile.waitForURL(`**/compte/devis/${quote.id}`);
  await mobile.getByText("grâce au lien reçu par e-mail").waitFor();
  await checkA11y(mobile, "lien-devis-375");
  await mobile.screenshot({ path: "artifacts/375px-lien-devis.png", fullPage: true });
  assert.ok(await mobile.evaluate(() => document.documentElement.scrollWidth) <= 375, "no sideways scroll at 375 px");
  await narrow.close();
});
