// Refused forms (issue 13, points 2, 3 and 8): every error at once in the page's language,
// linked from a summary that takes the focus, each field marked; nothing typed is lost; a file
// of the wrong type is refused in the browser before anything is sent; a private person is not
// asked for a company's details. At 1280 px and at 375 px, with axe on the error states.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launch, checkA11y, shot } from "./harness.mjs";

let server, browser;

before(async () => {
  server = await startServer();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

for (const width of [1280, 375]) {
  test(`a refused sign-up at ${width} px keeps everything and says why, field by field`, async () => {
    const ctx = await browser.newContext({ locale: "fr-FR", viewport: { width, height: 900 } });
    const page = await ctx.newPage();
    page.setDefaultTimeout(15000);
    page.on("pageerror", (e) => assert.fail(`page error: ${e.message}`));
    await page.goto(server.base + "/inscription");

    // A private person is not asked for a company's name or identifiers.
    await page.getByLabel("Un particulier").check();
    assert.equal(await page.getByLabel("Raison sociale").isVisible(), false, "company fields hidden for a person");
    await page.getByLabel("Une entreprise").check();
    assert.equal(await page.getByLabel("Raison sociale").isVisible(), true, "and shown for a company");

    await page.getByLabel("Type de bien").fill("Loft");
    await page.getByLabel("Adresse du bien").fill("3 rue du Port, 44000 Nantes");
    await page.getByLabel("Surface (m²)").fill("grand");
    await page.getByLabel("Nom complet").fill("Hugo Lemaire");
    await page.getByLabel("Adresse e-mail").fill(`hugo.${width}@example.org`);
    await page.getByLabel("Téléphone").fill("pas un numéro");
    await page.getByLabel("Raison sociale").fill("Lemaire Immobilier");
    await page.getByLabel("SIREN").fill("123456788");
    await page.getByLabel("Adresse", { exact: true }).fill("9 place Royale");
    await page.getByLabel("Code postal").fill("ABCDE");
    await page.getByLabel("Ville").fill("Nantes");
    await page.getByLabel(/Nouveau mot de passe/).fill("court");

    // A program is refused by the browser, next to its input, and the form is not sent.
    const files = page.getByLabel("Plans et photos");
    await files.setInputFiles([{ name: "setup.exe", mimeType: "application/x-msdownload", buffer: Buffer.from("MZ") }]);
    await assert.doesNotReject(page.getByText("setup.exe : seuls les fichiers PDF, JPEG, PNG, WebP ou HEIC sont acceptés").waitFor());
    assert.equal(await files.getAttribute("aria-invalid"), "true");
    await page.getByRole("button", { name: "Envoyer ma demande" }).click();
    await page.waitForTimeout(300);
    assert.match(page.url(), /\/inscription$/, "nothing was sent");
    assert.equal(await page.locator(".error-summary").count(), 0, "the server never saw the form");
    await shot(page, `${width}px-inscription-fichier-refuse`);

    // A plan instead: the server refuses the rest, every field at once.
    await files.setInputFiles([{ name: "plan.pdf", mimeType: "application/pdf", buffer: Buffer.from("%PDF-1.7\n%%EOF\n") }]);
    assert.equal(await files.getAttribute("aria-invalid"), null, "the file is accepted");
    await page.getByRole("button", { name: "Envoyer ma demande" }).click();
    const summary = page.locator(".error-summary");
    await summary.waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.classList.contains("error-summary")), true, "the summary has the focus");
    for (const text of [
      "Code postal : un code postal français compte 5 chiffres",
      "Téléphone : un numéro de téléphone tel que 01 23 45 67 89 ou +33 1 23 45 67 89",
      "SIREN : SIREN invalide (son chiffre de contrôle est faux)",
      "Surface (m²) : un nombre de mètres carrés",
    ]) {
      assert.ok((await summary.innerText()).includes(text), `the summary says: ${text}`);
    }
    assert.equal(await page.getByLabel("Code postal").getAttribute("aria-invalid"), "true");
    // A link of the summary takes to its field.
    await summary.getByRole("link", { name: /^Code postal/ }).click();
    assert.equal(await page.evaluate(() => document.activeElement?.id), "f-postcode");
    // Nothing typed is lost.
    assert.equal(await page.getByLabel("Nom complet").inputValue(), "Hugo Lemaire");
    assert.equal(await page.getByLabel("Adresse du bien").inputValue(), "3 rue du Port, 44000 Nantes");
    assert.equal(await page.getByLabel("Raison sociale").inputValue(), "Lemaire Immobilier");
    assert.equal(await page.getByLabel("Code postal").inputValue(), "ABCDE");
    await checkA11y(page, `inscription refusée (${width} px)`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(overflow <= width, `the refused form fits ${width} px (${overflow})`);
    await shot(page, `${width}px-inscription-erreurs`);

    // The plan was received: listed as kept, not to be attached again (issue 13, point 3).
    assert.match(await page.locator("fieldset.kept").innerText(), /Fichiers déjà reçus[\s\S]*plan\.pdf/);
    assert.equal(await files.inputValue(), "", "the file input is empty, as browsers leave it");
    await page.getByLabel("Surface (m²)").fill("80");
    await page.getByLabel("Téléphone").fill("01 23 45 67 89");
    await page.getByLabel("SIREN").fill("123456782");
    await page.getByLabel("Code postal").fill("44000");
    await page.getByLabel(/Nouveau mot de passe/).fill("un-mot-de-passe-solide");
    await page.getByRole("button", { name: "Envoyer ma demande" }).click();
    await page.waitForURL("**/inscription/envoyee");
    await page.goto(server.base + (await server.emailedLink("signup_confirm", `hugo.${width}@example.org`)));
    await page.waitForURL("**/compte/demandes?ok=1");
    const request = (await server.api("GET", "/quote-requests")).items.find((r) => r.property_address === "3 rue du Port, 44000 Nantes");
    assert.deepEqual(request.attachments.map((a) => a.filename), ["plan.pdf"], "the kept plan is the request's");
    await ctx.close();
  });
}

test("without JavaScript the refused form still lists and marks every error", async () => {
  const ctx = await browser.newContext({ javaScriptEnabled: false, locale: "en-GB" });
  const page = await ctx.newPage();
  page.setDefaultTimeout(15000);
  await page.goto(server.base + "/inscription");
  await page.getByLabel("Property type").fill("Flat");
  await page.getByLabel("Property address").fill("1 Main Street");
  await page.getByLabel("Full name").fill("Sam Green");
  await page.getByLabel("Email address").fill("sam@example.org");
  await page.getByLabel("Address", { exact: true }).fill("1 Main Street");
  await page.getByLabel("Postcode").fill("12");
  await page.getByLabel("City").fill("Lille");
  await page.getByLabel(/New password/).fill("short");
  await page.getByRole("button", { name: "Send my request" }).click();
  const summary = page.locator(".error-summary");
  await summary.waitFor();
  const text = await summary.innerText();
  assert.ok(text.includes("Postcode: a French postcode is 5 digits"), text);
  assert.ok(text.includes("at least 10 characters"), text);
  // (axe runs in the page: it is run on the same error state with JavaScript, above.)
  await shot(page, "inscription-erreurs-en-sans-js");
  await ctx.close();
});

test("the studio's front door and its legal pages, at 1280 px and 375 px", async () => {
  for (const width of [1280, 375]) {
    const ctx = await browser.newContext({ locale: "fr-FR", viewport: { width, height: 900 } });
    const page = await ctx.newPage();
    page.setDefaultTimeout(15000);
    await page.goto(server.base + "/");
    await assert.doesNotReject(page.getByRole("heading", { name: "Votre projet en cinq étapes" }).waitFor());
    assert.equal(await page.locator("ol.steps li").count(), 5);
    await checkA11y(page, `accueil (${width} px)`);
    assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= width, "the home fits");
    await shot(page, `${width}px-accueil`);
    await page.getByRole("link", { name: "Conditions générales de vente" }).first().click();
    await page.waitForURL("**/cgv");
    await checkA11y(page, `cgv (${width} px)`);
    await shot(page, `${width}px-cgv`);
    await page.goto(server.base + "/");
    await page.getByRole("link", { name: "Demander un devis" }).first().click();
    await page.waitForURL("**/inscription");
    await ctx.close();
  }
});

test("at 375 px the client's tables become cards and the header folds into a menu", async () => {
  const ctx = await browser.newContext({ locale: "fr-FR", viewport: { width: 375, height: 812 } });
  const page = await ctx.newPage();
  page.setDefaultTimeout(15000);
  await page.goto(server.base + "/connexion");
  await page.getByLabel("Adresse e-mail").fill("claire.dubois@agence-lumiere.example");
  await page.getByLabel("Mot de passe").fill("immovr-client");
  await page.getByRole("button", { name: "Se connecter" }).click();
  await page.waitForURL("**/compte");
  const menu = page.locator("details.menu");
  assert.equal(await menu.evaluate((d) => d.open), false, "the menu is folded");
  await page.getByText("Menu", { exact: true }).click();
  await page.getByRole("link", { name: "Devis", exact: true }).click();
  await page.waitForURL("**/compte/devis");
  const quote = page.locator("table.stack td a").first();
  await quote.click();
  await page.waitForURL(/\/compte\/devis\/\d+$/);
  for (const path of [new URL(page.url()).pathname, "/compte/devis", "/compte/commandes", "/compte/factures"]) {
    await page.goto(server.base + path);
    const overflowing = await page.evaluate(() =>
      Array.from(document.querySelectorAll(".table-wrap")).filter((w) => w.scrollWidth > w.clientWidth + 1).length);
    assert.equal(overflowing, 0, `no table scrolls sideways on ${path}`);
    const display = await page.evaluate(() => {
      const td = document.querySelector("table.stack td");
      return td ? getComputedStyle(td).display : "flex";
    });
    assert.equal(display, "flex", `rows are cards on ${path}`);
    assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= 375, `${path} fits`);
    await checkA11y(page, `${path} at 375 px`);
    await shot(page, `375px-cartes${path.replaceAll("/", "-")}`);
  }
  await ctx.close();
});
