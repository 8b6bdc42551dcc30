// The seed's five steps, as a new client lives them in a real browser, the studio acting
// through the API: request → quote → refuse with changes → revised quote accepted → purchase
// order → order validated and planned (seen live) → delivered, invoice with payment details → paid.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launch, checkA11y, checkNarrow, shot } from "./harness.mjs";

let server, browser, context, page;
const visited = [];

before(async () => {
  server = await startServer();
  browser = await launch();
  context = await browser.newContext({ locale: "fr-FR" });
  page = await context.newPage();
  page.on("pageerror", (e) => assert.fail(`page error: ${e.message}`));
});

after(async () => {
  await browser?.close();
  server?.stop();
});

async function visit(path, name) {
  await page.goto(server.base + path);
  await checkA11y(page, name);
  visited.push([path, name]);
  await shot(page, name);
}

test("a new client goes from request to paid invoice", async () => {
  const { api } = server;

  // Step 0: the quote request, with the account created on the way.
  await page.goto(server.base + "/inscription");
  await checkA11y(page, "inscription");
  await page.getByLabel("Type de bien").fill("Appartement");
  await page.getByLabel("Adresse du bien").fill("21 rue de la République, 69002 Lyon");
  await page.getByLabel("Surface (m²)").fill("72");
  await page.getByLabel("Nombre de pièces").fill("3");
  await page.getByLabel(/Visite virtuelle 360°/).check();
  await page.getByLabel(/Home staging virtuel/).check();
  await page.getByLabel("Un particulier").check();
  await page.getByLabel("Nom complet").fill("Léa Martin");
  await page.getByLabel("Adresse e-mail").fill("lea.martin@example.org");
  await page.getByLabel("Adresse", { exact: true }).fill("4 rue des Lilas");
  await page.getByLabel("Code postal").fill("69003");
  await page.getByLabel("Ville").fill("Lyon");
  // A plan (PDF) and a photo (PNG), uploaded with a progress bar.
  await page.getByLabel("Plans et photos").setInputFiles([
    { name: "plan-rdc.pdf", mimeType: "application/pdf", buffer: Buffer.concat([Buffer.from("%PDF-1.7\n"), Buffer.alloc(2 * 1024 * 1024, 32)]) },
    { name: "salon.png", mimeType: "image/png", buffer: Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(1024)]) },
  ]);
  await page.getByLabel(/Nouveau mot de passe/).fill("un-mot-de-passe-solide");
  await shot(page, "0-demande-de-devis");
  await page.getByRole("button", { name: "Envoyer ma demande" }).click();
  // Nothing is created until the address is confirmed: the emailed link opens the account.
  await page.waitForURL("**/inscription/envoyee");
  await checkA11y(page, "inscription-envoyee");
  await shot(page, "0-verifiez-vos-emails");
  await page.goto(server.base + (await server.emailedLink("signup_confirm", "lea.martin@example.org")));
  await page.waitForURL("**/compte/demandes?ok=1");
  await assert.doesNotReject(page.getByText("Votre demande est enregistrée").waitFor());
  visited.push(["/compte/demandes", "demandes"]);
  await checkA11y(page, "demandes");

  // The studio prepares the quote from the request and sends it.
  const request = (await api("GET", "/quote-requests")).items.find((r) => r.property_address.startsWith("21 rue de la République"));
  assert.deepEqual(request.attachments.map((a) => a.filename), ["plan-rdc.pdf", "salon.png"]);
  assert.equal(await page.locator("progress.upload").count(), 0, "the upload finished and the next page is shown");
  const catalogue = await api("GET", "/catalogue");
  const line = (code, quantity) => {
    const item = catalogue.find((i) => i.code === code);
    return { code, description: item.label_fr, quantity, unit: item.unit, unit_price: item.unit_price, vat_rate: item.vat_rate };
  };
  const v1 = await api("POST", "/quotes", {
    client_id: request.client_id, request_id: request.id, title: "Visite 360° et home staging — rue de la République",
    lines: [line("VISITE-360", "1"), line("HOME-STAGING", "3"), line("OPT-EXPRESS", "1")],
  });
  await api("POST", `/quotes/${v1.id}/send`);

  // Step 1: the quote in Mon Compte > Devis.
  await visit("/compte/devis", "1-mes-devis");
  await page.getByRole("link", { name: /D-2026-\d+ v1/ }).click();
  await page.getByRole("heading", { name: /Devis D-2026-\d+/ }).waitFor();
  await checkA11y(page, "devis-v1");
  await shot(page, "1-devis-v1");
  assert.match(await page.locator("table.totals").innerText(), /Total TTC/);

  // Step 2: Refuser — ask for changes; the team sends v2.
  await page.getByLabel("Je souhaite des modifications").check();
  await page.getByLabel("Votre commentaire pour l'équipe").fill("Pas besoin de la livraison express.");
  await page.getByRole("button", { name: "Refuser" }).click();
  await page.getByText("Votre réponse est transmise").waitFor();
  await shot(page, "2-refus-avec-modifications");
  const v2 = await api("POST", `/quotes/${v1.id}/revise`);
  await api("PUT", `/quotes/${v2.id}`, { title: v2.title, lines: [line("VISITE-360", "1"), line("HOME-STAGING", "3")] });
  await api("POST", `/quotes/${v2.id}/send`);
  await visit(`/compte/devis/${v2.id}`, "2-devis-v2");
  await assert.doesNotReject(page.getByText("Pas besoin de la livraison express.").waitFor());
  // The two versions side by side, with what changed.
  await page.getByRole("link", { name: "comparer avec v1" }).click();
  await page.waitForURL("**/comparer");
  await assert.doesNotReject(page.getByText("Retiré :").first().waitFor());
  await checkA11y(page, "comparaison");
  await shot(page, "2-comparaison-v1-v2");
  visited.push([new URL(page.url()).pathname, "comparaison"]);
  await page.goto(server.base + `/compte/devis/${v2.id}`);

  // Accepter: the signature step.
  await page.getByLabel("Votre nom complet (signature)").fill("Léa Martin");
  await page.getByLabel(/Bon pour accord/).check();
  await page.getByLabel(/conditions générales/).check();
  // A private client: 14 days to withdraw; she asks for the work to start at once.
  await page.getByLabel(/commence avant la fin du délai de rétractation/).check();
  await shot(page, "2-signature");
  await page.getByRole("button", { name: /^Accepter/ }).click();

  // Step 3: the purchase order, at once.
  await page.getByText("Devis accepté. Bon de commande généré").waitFor();
  const po = (await api("GET", "/purchase-orders")).items.find((p) => p.quote_id === v2.id);
  assert.match(await page.locator("main").innerText(), new RegExp(po.number));
  await page.getByText("Vous pouvez vous rétracter jusqu’au").waitFor();
  await checkA11y(page, "devis-accepte");
  await shot(page, "3-bon-de-commande");
  // The purchase order waits for the studio, and says so from the client's side.
  await visit("/compte/commandes", "3-mes-commandes");
  assert.match(await page.locator("main").innerText(), /En attente de validation par le studio/);

  // Step 4: validated, the stages planned while the client watches (live, no reload).
  const validated = await api("POST", `/purchase-orders/${po.id}/validate`);
  const orderId = validated.order_id;
  await visit(`/compte/commandes/${orderId}`, "4-commande");
  const order = await api("GET", `/orders/${orderId}`);
  await page.evaluate(() => { window.__sameDocument = true; });
  await api("POST", `/orders/${orderId}/stages/${order.stages[0].id}/done`);
  await api("PUT", `/orders/${orderId}/stages/${order.stages[2].id}`, { planned_date: "2027-01-15", planned_time: "14:00", assignee: "Hugo" });
  await page.getByText("15/01/2027").waitFor({ timeout: 2000 });
  await page.getByText("à 14:00").waitFor({ timeout: 2000 });
  await page.getByText("21 rue de la République, 69002 Lyon").first().waitFor({ timeout: 2000 });
  assert.match(await page.locator("section.contact").innerText(), /admin@immovr\.example|Immo/, "the client sees their contact");
  assert.equal(await page.evaluate(() => window.__sameDocument), true, "updated without a reload");
  await shot(page, "4-etapes-en-direct");

  // Messages with the team, live as well.
  await page.getByLabel("Votre message").fill("Le gardien sera présent le matin.");
  await page.getByRole("button", { name: "Envoyer" }).click();
  await page.getByText("Le gardien sera présent le matin.").waitFor();
  await page.evaluate(() => { window.__sameDocument = true; });
  await api("POST", `/orders/${orderId}/messages`, { body: "Parfait, merci !" });
  await page.getByText("Parfait, merci !").waitFor({ timeout: 2000 });
  assert.equal(await page.evaluate(() => window.__sameDocument), true);

  // Step 5: delivery, the detailed invoice and both ways to pay.
  const finalFile = Buffer.alloc(5 * 1024 * 1024, 7);
  const up = await fetch(`${server.base}/api/v1/orders/${orderId}/files/visite-360-republique.zip`, {
    method: "PUT", headers: { authorization: `Bearer ${server.token}`, "content-type": "application/zip" }, body: finalFile,
  });
  assert.equal(up.status, 201);
  const delivered = await api("POST", `/orders/${orderId}/deliver`);
  const invoice = delivered.invoice;
  await visit("/compte/livraisons", "5-livraisons");
  assert.match(await page.locator("main").innerText(), /visite-360-republique\.zip/);
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "visite-360-republique.zip" }).click()]);
  assert.equal(download.suggestedFilename(), "visite-360-republique.zip");
  await visit(`/compte/factures/${invoice.id}`, "5-facture");
  const text = await page.locator("main").innerText();
  // It names the quote it comes from and the property (issue 13, point 10).
  for (const expected of ["IBAN", "BIC", invoice.payment_reference, "Virtuelli", "Par chèque", "Par virement bancaire",
    "Lieu de la prestation", "21 rue de la République, 69002 Lyon", `${v2.number} v2`]) {
    assert.ok(text.includes(expected), `invoice page lacks ${expected}`);
  }
  await api("POST", `/invoices/${invoice.id}/payments`, { method: "transfer", amount: invoice.amount_due, date: new Date().toISOString().slice(0, 10), reference: invoice.payment_reference });
  await page.locator(".badge.s-paid").first().waitFor({ timeout: 2000 });
  await shot(page, "5-facture-reglee");

  // The rest of the client area, in French and English.
  for (const [path, name] of [["/compte", "compte"], ["/compte/commandes", "commandes"], ["/compte/factures", "factures"],
    ["/compte/profil", "profil"], ["/compte/demandes/nouvelle", "nouvelle-demande"]]) {
    await visit(path, name);
  }
  await page.goto(server.base + "/compte/profil");
  await page.getByRole("link", { name: "English" }).click();
  await page.getByRole("heading", { name: "My profile" }).waitFor();
  await checkA11y(page, "profile-en");
  await page.goto(server.base + "/langue/fr?retour=/compte");
  await page.getByRole("button", { name: "Se déconnecter" }).click();
  await page.waitForURL("**/connexion");
  for (const [path, name] of [["/connexion", "connexion"], ["/lien-magique", "lien-magique"], ["/mot-de-passe-oublie", "mot-de-passe-oublie"]]) {
    await visit(path, name);
  }

  // Every page at 375 px wide, signed in again.
  await page.goto(server.base + "/connexion");
  await page.getByLabel("Adresse e-mail").fill("lea.martin@example.org");
  await page.getByLabel("Mot de passe").fill("un-mot-de-passe-solide");
  await page.getByRole("button", { name: "Se connecter" }).click();
  await page.waitForURL("**/compte");
  const state = await context.storageState();
  for (const [path, name] of visited) {
    await checkNarrow(browser, state, server.base + path, name);
  }
});

test("the pages work without JavaScript", async () => {
  const ctx = await browser.newContext({ javaScriptEnabled: false, locale: "fr-FR" });
  const p = await ctx.newPage();
  await p.goto(server.base + "/connexion");
  await p.getByLabel("Adresse e-mail").fill("claire.dubois@agence-lumiere.example");
  await p.getByLabel("Mot de passe").fill("immovr-client");
  await p.getByRole("button", { name: "Se connecter" }).click();
  await p.waitForURL("**/compte");
  await p.getByRole("link", { name: "Devis", exact: true }).click();
  await p.getByRole("heading", { name: "Mes devis" }).waitFor();
  await p.getByRole("link", { name: /D-2026-0001/ }).first().click();
  await p.getByRole("button", { name: /^Accepter/ }).waitFor();
  await p.screenshot({ path: "artifacts/sans-javascript.png", fullPage: true });
  await ctx.close();
});
