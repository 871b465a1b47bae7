/**
 * `billing case export` (DESIGN: "a case can be exported to a JSON file and run from the command
 * line"): the case the nightly run would build for one stored contract on a date — the same loading
 * as `runBilling` (nightly-run.ts) for one contract: the reads of its window (a year of history for a
 * meter that may be estimated, two years for a smoothed contract), station days, the peer averages
 * known that day, the indexes its last invoice billed up to, its plan and its pending charges — so an
 * agent can edit it and run `billing simulate`. Reads only.
 */
import { type Case, type EstimationConfig, dates, dueInvoices } from "@billing/core";
import {
  type ContractRow,
  type MeterReadRow,
  type Store,
  kvaBandOf,
  loadBilledIndexes,
  loadCustomers,
  loadLastActualReadsBefore,
  loadOffers,
  loadPeerAverages,
  loadPendingCharges,
  loadPlanStates,
  loadReadsFor,
  loadSmoothedReadsFor,
  loadReference,
  loadStationDays,
  findContract,
} from "@billing/db";
import {
  buildCase,
  lastBillingDateOf,
  lastIndexesFromRows,
  offerFromRows,
  peerAveragesFromRows,
  referenceFromRows,
  stationDaysFromRows,
} from "./case-builder.ts";
import { HISTORY_READ_WINDOW_DAYS, READ_WINDOW_DAYS, SMOOTHED_READ_WINDOW_DAYS, STATION_WINDOW_DAYS, pendingTrueUpReads } from "./nightly-run.ts";
import { pendingChargeOf } from "./payments.ts";

export class CaseExportError extends Error {
  override readonly name = "CaseExportError";
}

/**
 * The case of contract `contractId` as the nightly run of `asOf` would build it. `estimation`: the
 * supplier's R2 settings the run is given (default: the core's defaults). Throws CaseExportError when
 * the contract or its customer is unknown.
 */
export async function exportCase(store: Store, contractId: string, asOf: string, opts: { estimation?: Omit<EstimationConfig, "peerAverages"> } = {}): Promise<Case> {
  const { db } = store;
  const k = await findContract(db, contractId);
  if (!k) throw new CaseExportError(`contract ${contractId} not found`);
  const [customer] = await loadCustomers(db, [k.customer_id]);
  if (!customer) throw new CaseExportError(`customer ${k.customer_id} of contract ${contractId} not found`);
  const offerRow = (await loadOffers(db)).find((o) => o.id === k.offer_id);
  if (!offerRow) throw new CaseExportError(`offer ${k.offer_id} of contract ${contractId} not found`);
  const reference = referenceFromRows(await loadReference(db));
  const offer = offerFromRows(offerRow);
  const received = { receivedBy: asOf };
  // The run's chunk starts its windows at the earliest next billing date of the chunk, capped by the run date.
  const earliest = k.next_billing_date !== null && k.next_billing_date < asOf ? k.next_billing_date : asOf;
  const lastBilling = lastBillingDateOf(k);
  const smoothed = k.billing_mode === "smoothed";

  const estimationData = async (): Promise<{ reads: MeterReadRow[]; station: Awaited<ReturnType<typeof loadStationDays>> }> => {
    const historyFrom = dates.addDays(earliest, -HISTORY_READ_WINDOW_DAYS);
    const [history, anchors, station] = await Promise.all([
      loadReadsFor(db, [k.id], historyFrom, asOf, received),
      loadLastActualReadsBefore(db, [k.id], historyFrom, asOf),
      loadStationDays(db, [{ id: k.id, since: lastBilling ?? k.start_date }], asOf, asOf, dates.addDays(asOf, -STATION_WINDOW_DAYS)),
    ]);
    return { reads: [...anchors, ...history], station };
  };
  const [plans, billed, charges, peerRows] = await Promise.all([
    smoothed ? loadPlanStates(db, [k.id], { corrected: k.last_correction_id === null ? [] : [k.id] }) : Promise.resolve(new Map()),
    lastBilling === null ? Promise.resolve([]) : loadBilledIndexes(db, [{ id: k.id, billingDate: lastBilling }]),
    loadPendingCharges(db, [k.id], asOf),
    loadPeerAverages(db, asOf),
  ]);
  const build = (reads: readonly MeterReadRow[], station: Awaited<ReturnType<typeof loadStationDays>>): Case =>
    buildCase({
      customer, contract: k, offer, reference, reads, asOf, plan: plans.get(k.id),
      stationDays: stationDaysFromRows(station),
      estimation: { ...opts.estimation, peerAverages: peerAveragesFromRows(peerRows, k.price_option, kvaBandOf(k.subscribed_kva)) },
      lastIndexes: lastIndexesFromRows(billed),
      pendingCharges: charges.get(k.id)?.map(pendingChargeOf),
    });

  if (smoothed) {
    // As the run: the smoothed window, and the reads of a true-up that waits before it (R1 · CGV 6.1).
    const from = dates.addDays(earliest, -SMOOTHED_READ_WINDOW_DAYS);
    const [window, waiting] = await Promise.all([loadSmoothedReadsFor(db, [k.id], from, asOf, { ...received, corrected: k.last_correction_id === null ? [] : [k.id] }), pendingTrueUpReads(db, plans, from, asOf)]);
    return build([...waiting, ...window], []);
  }
  if (!k.communicating_meter) {
    const e = await estimationData();
    return build(e.reads, e.station);
  }
  // A communicating meter: the short window, unless its tele-read is missing and it must be estimated (as the run retries).
  const short = build(await loadReadsFor(db, [k.id], dates.addDays(earliest, -31 - READ_WINDOW_DAYS), asOf, received), []);
  const out = dueInvoices(short);
  const estimated = out.ok ? out.invoices.some((i) => i.consumption?.estimated === true) : out.failure.code === "NO_ESTIMATE";
  if (!estimated) return short;
  const e = await estimationData();
  return build(e.reads, e.station);
}
