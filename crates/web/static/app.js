// Progressive enhancement for the client area: everything works without this file.
// - Live updates: the server announces changes (server-sent events); the page fetches itself
//   again and swaps its main content, unless the person is typing in a form.
// - Countdown: days left before a quote expires.
(function () {
  "use strict";
  var body = document.body;

  function typing() {
    var el = document.activeElement;
    if (!el || !el.form) return false;
    return Array.prototype.some.call(el.form.elements, function (f) {
      return (f.type === "text" || f.tagName === "TEXTAREA") && f.value !== "";
    });
  }

  function refresh() {
    if (typing()) {
      if (!document.querySelector(".live-banner")) {
        var b = document.createElement("p");
        b.className = "live-banner";
        b.setAttribute("role", "status");
        b.textContent = document.documentElement.lang === "en" ? "This page has changed: reload to see the update." : "Cette page a changé : rechargez-la pour voir la mise à jour.";
        body.insertBefore(b, body.firstChild);
      }
      return;
    }
    fetch(location.href, { headers: { Accept: "text/html" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.querySelector("main");
        var main = document.querySelector("main");
        if (fresh && main) {
          main.innerHTML = fresh.innerHTML;
          main.setAttribute("data-refreshed", String(Date.now()));
          countdown();
          uploads();
          fileChecks();
          applicable();
        }
      })
      .catch(function () {});
  }

  function live() {
    var url = body.getAttribute("data-live");
    if (!url || !window.EventSource) return;
    var source = new EventSource(url);
    var timer = null;
    source.addEventListener("change", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 150); // several changes in one transaction: one refresh
    });
  }

  function countdown() {
    var els = document.querySelectorAll(".countdown[data-until]");
    Array.prototype.forEach.call(els, function (el) {
      var until = new Date(el.getAttribute("data-until") + "T23:59:59");
      var days = Math.ceil((until - new Date()) / 86400000);
      if (days >= 0) {
        el.textContent = document.documentElement.lang === "en"
          ? "(" + days + " day" + (days === 1 ? "" : "s") + " left)"
          : "(" + days + " jour" + (days > 1 ? "s" : "") + " restant" + (days > 1 ? "s" : "") + ")";
      }
    });
  }

  // Upload progress: forms that carry files are sent with XMLHttpRequest to show a progress bar;
  // the answer is handled as the browser would (follow the redirect, or show the returned page).
  function uploads() {
    var forms = document.querySelectorAll("form[data-upload]");
    Array.prototype.forEach.call(forms, function (form) {
      form.addEventListener("submit", function (ev) {
        if (form.querySelector("input[type=file][aria-invalid=true]")) { ev.preventDefault(); return; }
        if (!window.FormData || !window.XMLHttpRequest) return;
        var hasFile = Array.prototype.some.call(form.querySelectorAll("input[type=file]"), function (i) { return i.files && i.files.length; });
        if (!hasFile) return;
        ev.preventDefault();
        var bar = form.querySelector("progress.upload");
        var button = form.querySelector("button[type=submit]");
        if (bar) { bar.hidden = false; bar.value = 0; }
        if (button) button.disabled = true;
        var xhr = new XMLHttpRequest();
        xhr.open("POST", form.action);
        xhr.upload.addEventListener("progress", function (e) {
          if (bar && e.lengthComputable) bar.value = Math.round((e.loaded / e.total) * 100);
        });
        xhr.addEventListener("load", function () {
          var url = new URL(xhr.responseURL);
          if (xhr.status < 400 && url.pathname !== new URL(form.action).pathname) {
            location.assign(xhr.responseURL);
            return;
          }
          var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
          var fresh = doc.querySelector("main");
          if (fresh) document.querySelector("main").innerHTML = fresh.innerHTML;
          enhanceForms();
        });
        xhr.addEventListener("error", function () {
          if (bar) bar.hidden = true;
          if (button) button.disabled = false;
        });
        xhr.send(new FormData(form));
      });
    });
  }

  // Quote builder: picking a catalogue label fills the row; totals per VAT rate follow the
  // typing (in cents, the server recomputes them exactly on save).
  function builder() {
    var form = document.querySelector("form.builder");
    if (!form) return;
    var out = form.querySelector(".live-totals");
    var options = form.querySelectorAll("datalist#catalogue option");
    function cents(v) {
      var n = parseFloat(String(v || "").replace(/\s/g, "").replace(",", "."));
      return isNaN(n) ? 0 : n;
    }
    function fmt(c) {
      var en = out && out.getAttribute("data-lang") === "en";
      var s = (Math.round(c) / 100).toFixed(2);
      return en ? "€" + s : s.replace(".", ",") + " €";
    }
    function recompute() {
      var perRate = {};
      Array.prototype.forEach.call(form.querySelectorAll("tr.line"), function (row) {
        var desc = row.querySelector("input[name=description]").value.trim();
        if (!desc) return;
        var q = cents(row.querySelector("input[name=quantity]").value);
        var p = cents(row.querySelector("input[name=unit_price]").value);
        var d = cents(row.querySelector("input[name=discount]").value);
        var r = row.querySelector("select[name=vat_rate]").value;
        perRate[r] = (perRate[r] || 0) + Math.round((q * p - d) * 100);
      });
      var ht = 0, tva = 0, parts = [];
      Object.keys(perRate).sort(function (a, b) { return parseFloat(a) - parseFloat(b); }).forEach(function (r) {
        var base = perRate[r], vat = Math.round(base * parseFloat(r) / 100);
        ht += base; tva += vat;
        parts.push(r + " % : " + fmt(base) + " + " + fmt(vat));
      });
      if (out) out.textContent = parts.join(" · ") + (parts.length ? " — HT " + fmt(ht) + ", TVA " + fmt(tva) + ", TTC " + fmt(ht + tva) : "");
    }
    form.addEventListener("input", function (ev) {
      var t = ev.target;
      if (t.name === "description") {
        Array.prototype.forEach.call(options, function (o) {
          if (o.value === t.value) {
            var row = t.closest("tr");
            row.querySelector("input[name=code]").value = o.getAttribute("data-code");
            row.querySelector("input[name=unit]").value = o.getAttribute("data-unit");
            row.querySelector("input[name=unit_price]").value = o.getAttribute("data-price");
            var sel = row.querySelector("select[name=vat_rate]");
            Array.prototype.forEach.call(sel.options, function (opt) {
              if (parseFloat(opt.value) === parseFloat(o.getAttribute("data-vat"))) sel.value = opt.value;
            });
          }
        });
      }
      recompute();
    });
    form.addEventListener("change", recompute);
    recompute();
  }

  var en = document.documentElement.lang === "en";

  // A refused form: its summary of errors takes the focus, so that it is read first.
  function focusErrors() {
    var summary = document.querySelector(".error-summary");
    if (summary) summary.focus();
  }

  // Files are checked by type and number in the browser as well (the server checks their
  // content): a wrong file is named next to its input and the form is not sent.
  function fileChecks() {
    Array.prototype.forEach.call(document.querySelectorAll("input[type=file][accept]"), function (input) {
      var accepted = input.getAttribute("accept").toLowerCase().split(",");
      var max = parseInt(input.getAttribute("data-max-files") || "0", 10);
      input.addEventListener("change", function () {
        var wrong = Array.prototype.filter.call(input.files, function (f) {
          var name = f.name.toLowerCase(), type = (f.type || "").toLowerCase();
          return !accepted.some(function (a) {
            a = a.trim();
            return a.charAt(0) === "." ? name.slice(-a.length) === a : a === type;
          });
        });
        var message = "";
        if (wrong.length) {
          message = wrong.map(function (f) { return f.name; }).join(", ") +
            (en ? ": only PDF, JPEG, PNG, WebP or HEIC files" : " : seuls les fichiers PDF, JPEG, PNG, WebP ou HEIC sont acceptés");
        } else if (max && input.files.length > max) {
          message = en ? "at most " + max + " files" : max + " fichiers au plus";
        }
        var id = input.id + "-err", p = document.getElementById(id);
        if (!message) {
          input.removeAttribute("aria-invalid");
          if (p) p.remove();
          return;
        }
        if (!p) {
          p = document.createElement("p");
          p.className = "field-error";
          p.id = id;
          p.setAttribute("role", "alert");
          input.insertAdjacentElement("afterend", p);
        }
        p.textContent = message;
        input.setAttribute("aria-invalid", "true");
        var described = (input.getAttribute("aria-describedby") || "").split(" ").filter(function (x) { return x && x !== id; });
        described.push(id);
        input.setAttribute("aria-describedby", described.join(" "));
      });
    });
  }

  // Forms show the fields that apply: a company's name and identifiers only for a company.
  function applicable() {
    Array.prototype.forEach.call(document.querySelectorAll("input[data-shows]"), function (radio) {
      var target = radio.getAttribute("data-shows");
      function update() {
        var on = radio.form && radio.form.querySelector("input[data-shows=" + target + "]:checked");
        Array.prototype.forEach.call(document.querySelectorAll("[data-when=" + target + "]"), function (el) {
          el.hidden = !(on && on.value === target);
        });
      }
      radio.addEventListener("change", update);
      update();
    });
  }

  // The menu folds on a narrow screen (it is open without JavaScript).
  function menu() {
    var details = document.querySelector("details.menu");
    if (!details || !window.matchMedia) return;
    var narrow = window.matchMedia("(max-width: 40rem)");
    function apply() { details.open = !narrow.matches; }
    apply();
    if (narrow.addEventListener) narrow.addEventListener("change", apply);
  }

  function enhanceForms() {
    uploads();
    fileChecks();
    applicable();
    focusErrors();
  }

  live();
  countdown();
  builder();
  menu();
  enhanceForms();
})();
