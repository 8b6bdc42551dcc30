// The studio's side in a real browser, the client acting through the API: build and send a
// quote, revise it after a refusal, validate the purchase order, plan the stages, upload the
// final file (with progress) and deliver, record a transfer and a cheque; record an acceptance
// received on paper — axe-core on every page.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launch, checkA11y, checkNarrow, shot } from "./harness.mjs";

let server, browser, page;

before(async () => {
  server = await startServer();
  browser = await launch();
  const context = await browser.newContext({ locale: "fr-FR" });
  page = await context.newPage();
  page.on("pageerror", (e) => assert.fail(`page error: ${e.message}`));
});

after(async () => {
  await browser?.close();
  server?.stop();
});

async function client(path, method, body, token) {
  const res = await fetch(`${server.base}/api/v1${path}`, {
    method,
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json().catch(() => null);
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function checked(name) {
  await checkA11y(page, name);
  await shot(page, `bo-${name}`);
}

test("the team runs a project from request to payment", async () => {
  // A new client asks for a quote (through the API, as the portal would).
  await client("/auth/signup", "POST", {
    client: { kind: "company", name: "Paul Girard", email: "paul@agence-girard.example", company_name: "Agence Girard",
      siren: "732829320", vat_number: "FR44732829320", billing_address: { line1: "3 cours Vitton", postcode: "69006", city: "Lyon" } },
    password: "mot-de-passe-client",
  });
  const confirm = await server.emailedLink("signup_confirm", "paul@agence-girard.example");
  const session = await client("/auth/signup/confirm", "POST", { token: confirm.split("/").pop() });
  const token = session.token;
  await client("/quote-requests", "POST", { property_type: "Loft", property_address: "7 rue Vendôme, Lyon", wanted: ["VISITE-360", "PLAN-2D"] }, token);

  // Sign in: staff land on the "à traiter" dashboard.
  await page.goto(server.base + "/connexion");
  await page.getByLabel("Adresse e-mail").fill("admin@immovr.example");
  await page.getByLabel("Mot de passe").fill("immovr-admin");
  await page.getByRole("button", { name: "Se connecter" }).click();
  await page.waitForURL("**/gestion");
  await checked("a-traiter");
  assert.match(await page.locator("main").innerText(), /7 rue Vendôme/);

  // Build the quote from the request: the catalogue lines come prefilled; add one from the list.
  await page.getByRole("link", { name: /Agence Girard — 7 rue Vendôme/ }).click();
  await page.getByRole("heading", { name: "Nouveau devis" }).waitFor();
  const empty = page.locator("tr.line").nth(2).locator("input[name=description]");
  await empty.fill("Lot de 10 photos HDR supplémentaires");
  await page.locator("tr.line").nth(2).locator("input[name=unit_price]").waitFor();
  assert.equal(await page.locator("tr.line").nth(2).locator("input[name=unit_price]").inputValue(), "120");
  await page.locator("tr.line").nth(1).locator("input[name=discount]").fill("20");
  await page.locator(".live-totals").getByText(/TTC/).waitFor();
  assert.match(await page.locator(".live-totals").innerText(), /TTC 732,00 €/);
  await checked("devis-nouveau");
  await page.getByRole("button", { name: "Enregistrer le brouillon" }).click();
  await page.getByRole("button", { name: "Enregistrer et envoyer au client" }).waitFor();
  assert.match(await page.locator("table.totals").innerText(), /732,00/);
  await page.getByRole("button", { name: "Enregistrer et envoyer au client" }).click();
  await page.getByText("Enregistré.").waitFor();
  await checked("devis-envoye");
  const quoteId = Number(new URL(page.url()).pathname.split("/").pop());

  // The client asks for changes; the team drafts v2 and sends it.
  await client(`/quotes/${quoteId}/refuse`, "POST", { kind: "changes_requested", comment: "Sans les photos HDR" }, token);
  await page.reload();
  await page.getByText("Sans les photos HDR").waitFor();
  await page.getByRole("button", { name: "Préparer une nouvelle version" }).click();
  await page.getByRole("button", { name: "Enregistrer le brouillon" }).waitFor();
  await page.locator("tr.line").nth(2).locator("input[name=description]").fill("");
  await page.getByRole("button", { name: "Enregistrer le brouillon" }).click();
  await page.getByRole("button", { name: "Enregistrer et envoyer au client" }).click();
  await page.getByText("Enregistré.").waitFor();
  await checked("devis-v2");
  const v2 = Number(new URL(page.url()).pathname.split("/").pop());
  await client(`/quotes/${v2}/accept`, "POST", { signer_name: "Paul Girard", consent: true, terms_accepted: true, early_start: true }, token);

  // Validate the purchase order: the order is registered.
  await page.goto(server.base + "/gestion/bons-de-commande");
  await checked("bons-de-commande");
  const row = page.locator("tr", { hasText: "Agence Girard" });
  await row.getByRole("button", { name: /Valider/ }).click();
  await page.getByRole("heading", { name: /Bon de commande BC-/ }).waitFor();
  await checked("commande");

  // Plan the shoot, mark the first stage done.
  const shoot = page.locator("li.stage", { hasText: "Prise de vue sur site" });
  await shoot.getByLabel("Date prévue").fill("2027-02-03");
  await shoot.getByLabel("Heure").fill("10:00");
  assert.equal(await shoot.getByLabel("Lieu").inputValue(), "7 rue Vendôme, Lyon", "the shoot is at the property");
  await shoot.getByLabel("Responsable").fill("Hugo");
  await shoot.getByRole("button", { name: /Planifier/ }).click();
  await page.getByText("Enregistré.").waitFor();
  await page.locator("li.stage", { hasText: "Prise de contact" }).getByRole("button", { name: /Marquer terminée/ }).click();
  await page.getByText("Enregistré.").waitFor();
  const order = (await client("/orders", "GET", undefined, token)).items;
  assert.equal(order[0].stages[2].planned_date, "2027-02-03", "the client sees the plan");
  assert.equal(order[0].stages[2].planned_time, "10:00:00");
  assert.equal(order[0].stages[2].place, "7 rue Vendôme, Lyon");
  assert.equal(order[0].contact.email, "admin@immovr.example", "the one who validated is the client's contact");
  assert.match(await page.locator("section", { hasText: "Contact du client au studio" }).innerText(), /admin@immovr\.example/);
  assert.equal(order[0].stages[0].status, "done");

  // Upload the final file (progress bar), then deliver: the invoice is issued.
  await page.getByLabel("Fichiers finaux").setInputFiles({
    name: "loft-vendome-360.zip", mimeType: "application/zip", buffer: Buffer.alloc(3 * 1024 * 1024, 42),
  });
  await page.getByRole("button", { name: "Déposer les fichiers finaux" }).click();
  await page.getByText("loft-vendome-360.zip").waitFor();
  // Delivering issues the invoice: irreversible, so confirmed first.
  await page.getByLabel("Je confirme : cette action est définitive.").check();
  await page.getByRole("button", { name: /Marquer livrée/ }).click();
  await page.getByRole("heading", { name: /Facture F-/ }).waitFor();
  // No approved platform in the demo: the invoice says its transmission is off (issue 14).
  await page.getByText("Transmission à une plateforme agréée : désactivée").waitFor();
  await checked("facture");

  // A transfer for part, a cheque for the rest: paid.
  await page.getByLabel("Montant").first().fill("300");
  await page.getByRole("button", { name: "Enregistrer le virement" }).click();
  await page.getByText("Partiellement réglée").first().waitFor();
  await page.getByLabel("N° du chèque").fill("0098765");
  await page.getByLabel("Banque", { exact: true }).fill("Banque Populaire");
  await page.getByRole("button", { name: "Enregistrer le chèque" }).click();
  await page.locator(".badge.s-paid").first().waitFor();
  await checked("facture-reglee");
  const invoices = (await client("/invoices", "GET", undefined, token)).items;
  assert.equal(invoices[0].status, "paid");
  assert.deepEqual(invoices[0].payments.map((p) => p.method), ["transfer", "cheque"]);

  // The other back-office pages pass axe too.
  for (const [path, name] of [["/gestion/demandes", "demandes"], ["/gestion/devis", "devis"], ["/gestion/commandes", "commandes"],
    ["/gestion/factures?status=paid", "factures"], ["/gestion/journal", "journal"], ["/gestion/clients", "clients"],
    [`/gestion/clients/${session.user.client_id}`, "fiche-client"], ["/gestion/catalogue", "catalogue"],
    ["/gestion/parametres", "parametres"], ["/gestion/utilisateurs", "utilisateurs"], ["/gestion/securite", "securite"]]) {
    await page.goto(server.base + path);
    await checked(name);
  }
  // The e-invoicing settings: the category, the VAT option, the directory address.
  await page.goto(server.base + "/gestion/parametres");
  const einvoicing = page.locator("fieldset", { hasText: "Facturation électronique" });
  assert.equal(await einvoicing.getByLabel("Catégorie des opérations facturées").inputValue(), "services");
  await einvoicing.getByLabel(/Option pour le paiement de la TVA/).waitFor();
  await einvoicing.getByLabel(/Adresse de facturation électronique/).waitFor();
});

test("the team records an acceptance received on paper, with the signed scan", async () => {
  const created = await server.api("POST", "/clients", {
    client: { kind: "person", name: "Lucie Bernard", email: "lucie.bernard@example.net",
      billing_address: { line1: "12 rue Mercière", postcode: "69002", city: "Lyon" } },
  });
  const draft = await server.api("POST", "/quotes", { client_id: created.id, title: "Visite virtuelle — maison de ville",
    lines: [{ description: "Visite virtuelle 360°", quantity: "1", unit: "forfait", unit_price: "690", vat_rate: "20" }] });
  await server.api("POST", `/quotes/${draft.id}/send`, {});

  await page.goto(`${server.base}/gestion/devis/${draft.id}`);
  if (page.url().includes("/connexion")) {
    await page.getByLabel("Adresse e-mail").fill("admin@immovr.example");
    await page.getByLabel("Mot de passe").fill("immovr-admin");
    await page.getByRole("button", { name: "Se connecter" }).click();
    await page.goto(`${server.base}/gestion/devis/${draft.id}`);
  }
  const form = page.locator("form", { hasText: "Enregistrer un accord reçu hors ligne" });
  assert.equal(await form.getByLabel(/Signataire/).inputValue(), "Lucie Bernard", "the client's name is offered");
  await form.getByLabel("Document signé").setInputFiles({
    name: "devis-signe.pdf", mimeType: "application/pdf", buffer: Buffer.from("%PDF-1.4\n% bon pour accord signé\n%%EOF\n"),
  });
  await checked("accord-hors-ligne");
  await checkNarrow(browser, await page.context().storageState(), page.url(), "bo-accord-hors-ligne");
  await form.getByRole("button", { name: "Enregistrer l'accord et créer le bon de commande" }).click();
  await page.getByText("Enregistré.").waitFor();
  const evidence = page.locator("section", { hasText: "Bon pour accord" });
  assert.match(await evidence.innerText(), /Exemplaire papier signé/);
  assert.match(await evidence.innerText(), /admin@immovr\.example/);
  await evidence.getByRole("link", { name: "devis-signe.pdf" }).waitFor();
  await checked("accord-enregistre");
  const orders = await server.api("GET", "/purchase-orders");
  assert.ok(orders.items.some((po) => po.quote_id === draft.id), "the purchase order was created");
});
