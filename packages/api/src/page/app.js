// The agent page: three views over the API (find a contract, its invoices and why each line is what
// it is, a what-if self-read and its commit). Plain DOM, no framework; every call sends the token typed
// at the top. docs/api.md describes it.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { contract: null, invoice: null, plan: null, idempotencyKey: null };
const KIND = { monthlyInvoice: "Facture", trueUpInvoice: "Régularisation annuelle", creditNote: "Avoir", chargesInvoice: "Facture de frais (après la facture de résiliation)" };

$("token").value = sessionStorage.getItem("billing-token") ?? "";
$("token").addEventListener("change", () => sessionStorage.setItem("billing-token", $("token").value.trim()));
$("token-form").addEventListener("submit", (e) => e.preventDefault());

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c ?? "")));
  return e;
}

/** "-12.5" → "-12,50 €" */
function euros(a) {
  const n = String(a);
  const neg = n.startsWith("-");
  const [i, f = ""] = n.replace("-", "").split(".");
  return `${neg ? "-" : ""}${i.replace(/\B(?=(\d{3})+(?!\d))/g, "\u202f")},${(f + "00").slice(0, 2)} €`;
}
const money = (a) => el("td", { class: `num${String(a).startsWith("-") ? " neg" : ""}` }, euros(a));
const frDate = (d) => (d ? d.split("-").reverse().join("/") : "");

function say(text) {
  $("alert").hidden = true;
  $("status").textContent = text;
}
function fail(text) {
  $("status").textContent = "";
  $("alert").textContent = text;
  $("alert").hidden = false;
}

/** Calls the API; a problem+json answer becomes a thrown Error with its detail and fields. */
async function api(path, { method = "GET", body, headers = {}, raw = false } = {}) {
  const token = $("token").value.trim();
  sessionStorage.setItem("billing-token", token);
  const res = await fetch(path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { "content-type": "application/json" } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try {
      const p = await res.json();
      message = `${p.title} (${p.status}) : ${p.detail}`;
    } catch {}
    throw new Error(message);
  }
  return raw ? res : res.json();
}

function show(sectionId, headingId) {
  $(sectionId).hidden = false;
  $(headingId).focus();
}

$("find-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    const { contracts } = await api(`/api/contracts?q=${encodeURIComponent($("q").value.trim())}`);
    const list = $("results");
    list.replaceChildren(
      ...contracts.map((c) =>
        el("li", {}, el("button", { type: "button", class: "link", onclick: () => openContract(c.id) }, `${c.id} — ${c.customer.name} — PDL ${c.deliveryPoint}`)),
      ),
    );
    say(contracts.length === 0 ? "Aucun contrat trouvé." : `${contracts.length} contrat(s) trouvé(s).`);
  } catch (err) {
    fail(err.message);
  }
});

async function openContract(id) {
  try {
    const [c, { invoices }] = await Promise.all([api(`/api/contracts/${encodeURIComponent(id)}`), api(`/api/contracts/${encodeURIComponent(id)}/invoices`)]);
    state.contract = c;
    $("contract-title").textContent = `Contrat ${c.id} — ${c.customer.name}`;
    const facts = [
      ["Point de livraison", c.deliveryPoint], ["Offre", c.offer.name], ["Puissance", `${c.subscribedKva} kVA`], ["Option", c.priceOption],
      ["Compteur communicant", c.communicatingMeter ? "oui" : "non"], ["Début", frDate(c.start)], ["Prochaine facturation", frDate(c.nextBillingDate) || "—"],
    ];
    $("contract-facts").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
    $("invoices").tBodies[0].replaceChildren(
      ...invoices.map((i) =>
        el("tr", {},
          el("td", {}, el("button", { type: "button", class: "link", onclick: () => openInvoice(i) }, i.number)),
          el("td", {}, KIND[i.kind] ?? i.kind),
          el("td", {}, frDate(i.billingDate)),
          money(i.totalTtc),
          el("td", {}, i.cancelledBy ? `annulée par ${i.cancelledBy}` : i.correction?.kind === "replacement" ? `remplace ${i.correction.replaces.number}` : i.correction?.kind === "cancellation" ? `annule ${i.correction.cancels.number}` : "en vigueur"),
        ),
      ),
    );
    $("invoice").hidden = true;
    $("whatif").hidden = true;
    say(`Contrat ${c.id} : ${invoices.length} document(s).`);
    show("contract", "contract-title");
  } catch (err) {
    fail(err.message);
  }
}

function openInvoice(i) {
  state.invoice = i;
  $("invoice-title").textContent = `${KIND[i.kind] ?? i.kind} ${i.number}`;
  $("invoice-summary").textContent = `Émise le ${frDate(i.issueDate)}, échéance ${frDate(i.dueDate)} — total HT ${euros(i.totalHt)}, TVA ${euros(i.totalVat)}, TTC ${euros(i.totalTtc)}.`;
  $("consumption").textContent = i.consumption ? `Consommation (${i.consumption.rule}) : ${i.consumption.explanation}` : "";
  $("lines").tBodies[0].replaceChildren(
    ...i.lines.map((l) =>
      el("tr", {},
        el("td", {}, `${l.lineNo}. ${l.kind}${l.register ? ` ${l.register}` : ""}`),
        el("td", {}, l.rule),
        el("td", { class: "num" }, `${l.quantity} ${l.quantityUnit}`),
        money(l.amount),
        el("td", {}, el("p", {}, l.explanation), el("details", {}, el("summary", {}, "Données d'entrée"), el("ul", {}, ...Object.entries(l.inputs).map(([k, v]) => el("li", {}, `${k} : ${v}`))))),
      ),
    ),
  );
  $("pdf-link").hidden = true;
  // The what-if starts from this invoice's billing date.
  $("wi-from").value = i.billingDate;
  $("wi-date").value = i.energyPeriod ? i.energyPeriod.end : i.billingDate;
  $("wi-on").value = new Date().toISOString().slice(0, 10);
  $("wi-index").value = "";
  $("diff").hidden = true;
  $("whatif").hidden = false;
  show("invoice", "invoice-title");
}

$("pdf").addEventListener("click", async () => {
  try {
    const res = await api(`/api/invoices/${encodeURIComponent(state.invoice.number)}/pdf`, { raw: true });
    const url = URL.createObjectURL(await res.blob());
    const a = $("pdf-link");
    a.href = url;
    a.download = `${state.invoice.number}.pdf`;
    a.textContent = `${state.invoice.number}.pdf`;
    a.hidden = false;
    a.click();
    say(`PDF de ${state.invoice.number} prêt : ${a.download}.`);
  } catch (err) {
    fail(err.message);
  }
});

function whatIfRequest() {
  const f = new FormData($("whatif-form"));
  return {
    contractId: state.contract.id,
    from: f.get("from"),
    requestedOn: f.get("requestedOn"),
    reads: [{ date: f.get("date"), register: f.get("register"), index: String(f.get("index")).trim() }],
  };
}

$("whatif-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    const request = whatIfRequest();
    const plan = await api("/api/recalculations/dry-run", { method: "POST", body: request });
    state.plan = { request, plan };
    // One key per simulated request: clicking "Valider" twice (or a retry) commits once.
    state.idempotencyKey = crypto.randomUUID();
    const rows = plan.invoices.flatMap((x) =>
      x.status === "corrected"
        ? x.lines.map((l) => el("tr", {}, el("td", {}, x.number), el("td", {}, l.label), money(l.issued?.amount ?? "0"), money(l.recomputed?.amount ?? "0"), money(l.difference)))
        : [el("tr", {}, el("td", {}, x.number), el("td", { colspan: "4" }, x.status === "unchanged" ? "inchangée" : `${x.status} : ${x.reason}`))],
    );
    $("diff-lines").tBodies[0].replaceChildren(...rows);
    const corrected = plan.invoices.filter((x) => x.status === "corrected");
    $("diff-summary").textContent =
      corrected.length === 0
        ? "Aucune facture ne change : rien à corriger."
        : `${corrected.length} facture(s) corrigée(s) : ${corrected.map((x) => `${x.number} ${euros(x.issuedTotalTtc)} → ${euros(x.recomputedTotalTtc)} TTC`).join(" ; ")}. Effet sur le compte du client : ${euros(plan.netTtc)} TTC.` +
          (plan.blockers.length ? ` Bloqué : ${plan.blockers.join(" ; ")}` : "");
    $("commit").hidden = corrected.length === 0 || plan.blockers.length > 0;
    $("diff").hidden = false;
    say("Simulation faite : rien n'a été émis.");
    $("diff-title").focus();
  } catch (err) {
    fail(err.message);
  }
});

$("commit").addEventListener("click", async () => {
  try {
    const r = await api("/api/recalculations", { method: "POST", body: state.plan.request, headers: { "idempotency-key": state.idempotencyKey } });
    const docs = (r.correction?.documents ?? []).map((d) => `avoir ${d.creditNote} annulant ${d.replaced}, nouvelle facture ${d.newInvoice} (écart ${euros(d.differenceTtc)} TTC)`);
    $("commit").hidden = true;
    await openContract(state.contract.id);
    say(r.status === "nothingToCorrect" ? "Rien à corriger." : `Correction validée par ${r.client} : ${docs.join(" ; ")}.`);
  } catch (err) {
    fail(err.message);
  }
});
